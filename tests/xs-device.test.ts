// The terminal on the XS engine with the ESP32's memory limits (tools/xs/device-runner.c, built by
// `npm run build:xs-device`): the whole service flow with the ESIGN suite completes inside the
// Moddable ESP32 default heap (78,848 chunk bytes, 4,928 slots, stack 512, no growth), and the
// limits are real: an allocation bigger than the chunk heap, or more live objects than the slot
// heap holds, ends in "memory full". Only behaviour is asserted, never times.
//
// The card's answers are recorded on Node first (the card is another chip on the device) and
// replayed in XS by a card that fails on any command it did not expect (tests/scenarios/device-flows.ts).
import assert from 'node:assert/strict';
import { bundleDevice, DEVICE_ED25519, recordFixtures, requireDeviceRunner, runDevice, smallestHeap, type DeviceRun } from '../tools/bench/device.js';

const TIMEOUT_MS = 5 * 60_000;

function explain(run: DeviceRun): string {
  return `device-runner exit ${run.status}, report ${JSON.stringify(run.report)}\nstderr:\n${run.stderr.trim()}`;
}

describe('terminal on XS with ESP32 memory limits (device runner)', function () {
  this.timeout(TIMEOUT_MS);
  let script: string;

  before(async function () {
    requireDeviceRunner(); // says to run `npm run build:xs-device` when it is missing
    const { fixtures, problems } = await recordFixtures([3], ['full-service', 'registration']);
    assert.deepEqual(problems, [], 'the ESIGN flows must run on Node before they can be replayed on XS');
    script = await bundleDevice(fixtures, 'xs-device-test');
  });

  it('runs the whole service flow with ESIGN (insertion, PIN verify, service, record) under the esp32 profile without memory full', async function () {
    const run = await runDevice(script, '3:full-service', { profile: 'esp32' });
    assert.equal(run.report.memoryFull, false, explain(run));
    assert.equal(run.report.status, 'ok', explain(run));
    assert.equal(run.status, 0, explain(run));
    assert.deepEqual(run.report.profile, { name: 'esp32', chunk: 78_848, slots: 4_928, stack: 512 });
    assert.ok(run.report.peakSlots <= 4_928, explain(run));
    assert.ok(run.report.computrons.flow > 0, 'the flow was metered');
  });

  it('registers a PIN with ESIGN (the terminal signs ST) under the esp32 profile without memory full', async function () {
    const run = await runDevice(script, '3:registration', { profile: 'esp32' });
    assert.equal(run.report.status, 'ok', explain(run));
  });

  it('with the firmware\'s small-heap curve tables, P-256 and Ed25519 registration and service fit the esp32 profile too', async function () {
    const { fixtures, problems } = await recordFixtures([1, 2], ['full-service', 'registration']);
    assert.deepEqual(problems, []);
    const small = await bundleDevice({ ...fixtures, smallHeap: true }, 'xs-device-test-small-heap');
    for (const arg of ['1:full-service', '1:registration', '2:full-service', '2:registration']) {
      const run = await runDevice(small, arg, { profile: 'esp32' });
      assert.equal(run.report.status, 'ok', `${arg}: ${explain(run)}`);
    }
    const library = await bundleDevice(fixtures, 'xs-device-test-library-tables');
    const full = await runDevice(library, '1:registration', { profile: 'esp32' });
    assert.equal(full.report.memoryFull, true, `the library's default table does not fit: ${explain(full)}`);
  });

  it('Ed25519 as the device runs it (RFC 8032 over BigInt, no tables): registration and service fit the esp32 profile', async function () {
    const { fixtures, problems } = await recordFixtures([2], ['full-service', 'registration']);
    assert.deepEqual(problems, []);
    const device = await bundleDevice(fixtures, 'xs-device-test-device-ed25519', DEVICE_ED25519);
    for (const arg of ['2:full-service', '2:registration']) {
      const run = await runDevice(device, arg, { profile: 'esp32' });
      assert.equal(run.report.status, 'ok', `${arg}: ${explain(run)}`);
      // Measured, not asserted beyond "fits": the smallest heap by bisection (tools/bench/device.ts).
      const { minChunks, minSlots } = await smallestHeap(device, arg);
      console.log(`      ${arg} with the device's Ed25519 needs ${((minChunks ?? 0) / 1024).toFixed(0)} KB of chunks and ${minSlots} slots at least (bisection with the x86_64 device runner; chunk bytes are an upper bound), ${run.report.computrons.flow.toLocaleString('en-US')} computrons`);
    }
  });

  it('receives a long answer through T=1 and T=0 in runs of characters, within a computron budget (tests/scenarios/line-probes.ts)', async function () {
    // Computrons are XS's own metering: deterministic, unlike time. With one promise per character
    // the probes took 3,439,941 (T=1: 861 data bytes in four chained I-blocks) and 1,075,074 (T=0:
    // 256 data bytes after one ACK); reading blocks and data as runs (CardLine.receiveRun) brought
    // them to 524,678 and 137,731. The budgets keep that win with room for small changes.
    const budgets = { 't1-receive': 1_000_000, 't0-receive': 350_000 } as const;
    for (const [probe, budget] of Object.entries(budgets)) {
      const run = await runDevice(script, `0:${probe}`, { profile: 'esp32' });
      assert.equal(run.report.status, 'ok', `${probe}: ${explain(run)}`);
      const computrons = run.report.computrons.flow;
      assert.ok(computrons > 0 && computrons <= budget, `${probe}: ${computrons.toLocaleString('en-US')} computrons, budget ${budget.toLocaleString('en-US')}`);
    }
  });

  it('reports memory full (exit 4) for one allocation bigger than the esp32 chunk heap', async function () {
    const run = await runDevice(script, '0:oversize', { profile: 'esp32' });
    assert.equal(run.report.memoryFull, true, explain(run));
    assert.equal(run.status, 4, explain(run));
    assert.equal(run.report.phase, 'flow');
    assert.match(run.stderr, /memory full during flow/);
  });

  it('reports memory full for more live objects than the esp32 slot heap holds, and not without limits', async function () {
    const limited = await runDevice(script, '0:slots', { profile: 'esp32' });
    assert.equal(limited.report.memoryFull, true, explain(limited));
    const unlimited = await runDevice(script, '0:slots', { profile: 'host' });
    assert.equal(unlimited.report.status, 'ok', explain(unlimited));
    assert.ok(unlimited.report.flowPeakSlots > 4_928, 'the probe really keeps more than 4,928 slots alive');
  });

  it('fails loudly when the terminal sends a command the card recording does not expect', async function () {
    const { fixtures } = await recordFixtures([3], ['full-service']);
    const recording = fixtures.suites['3']!.recordings['full-service']!;
    // Change the expected SELECT: the replaying card must refuse the terminal's real one.
    const line = recording.line.map((entry, i) => (i === 1 ? [`${entry[0].slice(0, -2)}00`, entry[1]] as const : entry));
    const broken = await bundleDevice({ suites: { '3': { ...fixtures.suites['3']!, recordings: { 'full-service': { ...recording, line } } } } }, 'xs-device-test-broken');
    const run = await runDevice(broken, '3:full-service', { profile: 'host' });
    assert.notEqual(run.report.status, 'ok', explain(run));
    assert.match(run.stderr, /ReplayMismatch|card-error|card not accepted/, explain(run));
  });
});
