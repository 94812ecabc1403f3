// The main job as a person runs it: `npm start -- --script FILE` on a fresh data folder.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MAIN = 'build/tools/simulator/main.js';
const SESSION = 'tests/sessions/register-and-call.script';

interface Line {
  readonly t?: string;
  readonly lcd?: readonly string[];
  readonly event?: string;
  readonly script?: string;
  readonly [key: string]: unknown;
}

function simulate(data: string, script: string, extra: string[] = []) {
  const run = spawnSync(process.execPath, [MAIN, '--data', data, '--script', script, '--time', '2026-11-23T09:00:00Z', ...extra], { encoding: 'utf8' });
  const lines: Line[] = run.stdout.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as Line);
  return { status: run.status, stderr: run.stderr, lines, events: lines.filter((line) => line.event) };
}

describe('terminal simulator (npm start)', function () {
  let data: string;
  beforeEach(() => {
    data = mkdtempSync(join(tmpdir(), 'sim-'));
  });
  afterEach(() => rmSync(data, { recursive: true, force: true }));

  it('creates the demo on first run and replays the scripted session: PIN registered, call made, record written', () => {
    const run = simulate(data, SESSION);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /alice.*12345678.*1357/s, 'first run prints the demo cards with Nt and Ns');
    assert.equal(statSync(join(data, 'cards', 'alice.card.json')).mode & 0o777, 0o600, 'card images hold secrets: 0600');
    const names = run.events.map((line) => line.event);
    for (const expected of ['card-inserted', 'card-accepted', 'pin-registered', 'pin-verified', 'service-started', 'service-ended', 'record-written', 'eject']) {
      assert.ok(names.includes(expected), `event ${expected} missing from ${names.join(', ')}`);
    }
    const ended = run.events.find((line) => line.event === 'service-ended')!;
    assert.equal(ended.durationSeconds, 125);
    assert.equal(ended.fee, 40);
    const record = run.events.find((line) => line.event === 'record-written')!;
    assert.equal(record.sequence, 1);
    assert.equal(record.registrationNumber, '12345678');
    const frames = run.lines.filter((line) => line.lcd);
    assert.ok(frames.length > 10, 'one line per LCD frame');
    for (const frame of frames) {
      assert.equal(frame.lcd!.length, 4);
      for (const row of frame.lcd!) assert.equal(row.length, 20);
    }
    assert.ok(frames.some((frame) => frame.lcd![0]!.startsWith('Enter PIN')));
    assert.deepEqual(frames[frames.length - 1]!.lcd![2], 'Please insert card'.padEnd(20));
    const line = run.lines.find((entry) => typeof entry.line === 'object')?.line as Record<string, unknown> | undefined;
    assert.ok(line, 'a summary of the card line');
    assert.equal(line.protocol, 'T=1', 'the card answered over T=1');
    assert.equal(line.pps, 'accepted', 'at the rate of its TA1');
    assert.ok((line.bytesToCard as number) > 200 && (line.bytesToTerminal as number) > 250, `bytes crossed the contacts: ${JSON.stringify(line)}`);
  });

  it('keeps card and journal state between runs: the PIN stays registered, sequence numbers go on', () => {
    assert.equal(simulate(data, SESSION).status, 0);
    const script = join(data, 'again.script');
    writeFileSync(script, 'insert alice\nkeys 2468 ENTER\nkeys 0312345678 ENTER\nwait 30\nkeys END\nremove\n');
    const run = simulate(data, script);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.events.find((line) => line.event === 'card-accepted')!.pinRegistered, true);
    assert.equal(run.events.find((line) => line.event === 'record-written')!.sequence, 2);
  });

  it('a script with a mistake is refused before anything runs, naming the line', () => {
    const script = join(data, 'bad.script');
    writeFileSync(script, 'insert alice\nkeys 12 ENTRE\n');
    const run = simulate(data, script);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /script line 2: "ENTRE" is not a key/);
    assert.equal(run.lines.length, 0);
  });

  it('an unknown card name stops the script with a clear error', () => {
    const script = join(data, 'nobody.script');
    writeFileSync(script, 'insert carol\n');
    const run = simulate(data, script);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /script line 1: no card called "carol"/);
  });
});
