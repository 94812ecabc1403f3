// The usage journal on the XS device runner with the ESP32's memory limits (tools/xs/device-runner.c,
// `npm run build:xs-device`): a full journal on the board's partition (16 sectors of 4 KiB, 495 of
// 496 slots pending) opens, recovers a call the power cut, and takes, counts and closes a call
// within the esp32 profile's heap (78,848 chunk bytes, 4,928 slots), with the load phase preloaded
// and never written (--check-preload). The probes check what each operation did
// (tests/scenarios/journal-probes.ts); only behaviour is asserted, never times or counts.
import assert from 'node:assert/strict';
import { ESP32_FIRMWARE, requireDeviceRunner, runDevice } from '../tools/bench/device.js';
import { bundleJournalProbes } from '../tools/bench/journal-device.js';
import { JOURNAL_PROBES } from './scenarios/journal-probes.js';

describe('usage journal on XS with ESP32 memory limits (device runner)', function () {
  this.timeout(5 * 60_000);
  let script: string;
  before(async function () {
    requireDeviceRunner();
    script = await bundleJournalProbes();
  });

  for (const probe of JOURNAL_PROBES) {
    it(`a full journal: ${probe} completes in the esp32 heap`, async function () {
      const run = await runDevice(script, `journal:${probe}`, { ...ESP32_FIRMWARE, checkPreload: true });
      assert.equal(run.report.status, 'ok', `${run.report.phase}: ${run.report.message}\n${run.stderr}`);
      assert.deepEqual([run.report.preload.violationsSetup, run.report.preload.violationsFlow], [0, 0], 'nothing preloaded was written');
    });
  }

  it('refuses a probe it does not know, naming the ones it has', async function () {
    const run = await runDevice(script, 'journal:defragment', ESP32_FIRMWARE);
    assert.equal(run.report.status, 'failed');
    assert.match(`${run.report.message}\n${run.stderr}`, /device arg "journal:defragment" is not journal:PROBE \(open-call, unit, close-call, append, boot, recovery, none\)/);
  });
});
