// `npm run fuzz`, the long run of README "Fuzzing", as written in package.json: at a tiny
// FUZZ_SCALE it must still build, run every target under tests/fuzz/ and print each target's line
// with the scale and seed it was given, so the long run's counts can be read off its output.
// (Outside tests/fuzz/: the script's own glob would otherwise run this test inside itself.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const SEED = 7_654_321;
const SCALE = 0.02;

describe('npm run fuzz (the long run, README "Fuzzing")', function () {
  it(`runs every fuzz target and prints "fuzz <target>: N inputs, 0 failures, seed S" for each (FUZZ_SCALE=${SCALE}, FUZZ_SEED=${SEED})`, function () {
    const run = spawnSync('npm', ['run', '--silent', 'fuzz'], {
      encoding: 'utf8', env: { ...process.env, FUZZ_SCALE: String(SCALE), FUZZ_SEED: String(SEED) }, timeout: 600_000,
    });
    assert.equal(run.status, 0, `npm run fuzz failed:\n${run.stdout.slice(-3000)}\n${run.stderr.slice(-2000)}`);
    const lines = run.stdout.split('\n').map((line) => /^\s*fuzz (.+): (\d+) inputs, (\d+) failures, seed (-?\d+) \(scale ([\d.]+),/.exec(line)).filter((m) => m !== null);
    const targets = readdirSync('tests/fuzz').filter((name) => name.endsWith('.test.ts'));
    assert.equal(lines.length, targets.length, `one line per target file (${targets.join(', ')}):\n${run.stdout.slice(-3000)}`);
    for (const [, target, inputs, failures, seed, scale] of lines) {
      assert.ok(Number(inputs) > 0, `${target}: no inputs tried`);
      assert.equal(Number(failures), 0, `${target}: failures`);
      assert.equal(Number(seed), SEED, `${target}: the seed given`);
      assert.equal(Number(scale), SCALE, `${target}: the scale given`);
    }
  });
});
