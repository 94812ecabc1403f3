// CI check of the ESP32 HAL against the Moddable SDK's typings: `tsc -p tsconfig.esp32.json`
// (strict, no Node types, @moddable/typings' embedded:io/*, flash and timer declarations) must
// report nothing. And the twin board's wiring must be the board's (moddable.json `wiring`).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { TWIN_WIRING } from '../hal/twin/terminal-board.js';
import { ROOT } from '../tools/xs/xsnap.mjs';

describe('ESP32 HAL typings (tsconfig.esp32.json, @moddable/typings)', function () {
  it('hal/esp32 and hal/twin type-check strictly against @moddable/typings with no error', function () {
    this.timeout(120_000);
    const tsc = createRequire(join(ROOT, 'package.json')).resolve('typescript/bin/tsc');
    const run = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.esp32.json', '--pretty', 'false'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(run.error, undefined, `tsc did not start: ${run.error?.message}`);
    assert.equal(`${run.stdout}${run.stderr}`.trim(), '', 'tsc -p tsconfig.esp32.json reported errors');
    assert.equal(run.status, 0, 'tsc exit status');
  });

  it('the typings package is the one the config lists files of (embedded_io/serial.d.ts and friends exist)', function () {
    const config = JSON.parse(readFileSync(join(ROOT, 'tsconfig.esp32.json'), 'utf8')) as { files: string[] };
    for (const file of config.files) assert.doesNotThrow(() => readFileSync(join(ROOT, file)), `${file} is missing: install @moddable/typings`);
  });

  it('the twin board is wired as moddable.json says', function () {
    const wiring = (JSON.parse(readFileSync(join(ROOT, 'moddable.json'), 'utf8')) as { wiring: Record<string, unknown> }).wiring;
    for (const part of ['keypad', 'lcd', 'modem', 'rtc', 'flash'] as const) {
      assert.deepEqual(JSON.parse(JSON.stringify(TWIN_WIRING[part])), wiring[part], `wiring of the ${part}`);
    }
  });
});
