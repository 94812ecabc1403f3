// The terminal on the XS engine with the ESP32's memory limits (tools/xs/device-runner.c, built by
// `npm run build:xs-device`): the whole service flow with the ESIGN suite completes inside the
// Moddable ESP32 default heap (78,848 chunk bytes, 4,928 slots, no growth) with the stack the
// firmware is built with (manifests/terminal.json: 768 slots), and the limits are real: an
// allocation bigger than the chunk heap, or more live objects than the slot heap holds, ends in
// "memory full". Only behaviour is asserted, never times.
//
// The terminal talks to the card over the simulated ISO 7816-3 byte line (ATR, PPS to the card's
// TA1, T=1; or without PPS at 9,600 bit/s, T=0). The card's side of the line is recorded on Node
// first (the card is another chip on the device) and replayed in XS by a card that only sends the
// recorded characters and fails on any character of the terminal it did not expect
// (tests/scenarios/byte-replay.ts); the APDU-level replay (tests/scenarios/device-flows.ts) is kept.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../firmware/protocol/bytes.js';
import {
  bundleDevice, computronsOf, DEVICE_ED25519, ESP32_FIRMWARE, FIRMWARE_STACK, recordFixtures, requireDeviceRunner, runDevice, smallestHeap, type DeviceRun,
} from '../tools/bench/device.js';
import type { DeviceFixtures } from '../tests/scenarios/device-main.js';
import type { FlowRecording } from '../tests/scenarios/device-flows.js';

const TIMEOUT_MS = 5 * 60_000;

/**
 * The esp32 profile with the bundle loaded into RAM, not preloaded: these bundles use the hosts'
 * @noble providers, whose modules keep scratch TypedArrays at their top level (SHA-256's W), and
 * a preloaded TypedArray throws on assignment (Moddable, XS linker warnings), so on a device they
 * could only run loaded. What the device runs (its providers, preloaded) is tests/rv32.test.ts's.
 */
const LOADED = Object.freeze({ ...ESP32_FIRMWARE, preload: false });

function explain(run: DeviceRun): string {
  return `device-runner exit ${run.status}, report ${JSON.stringify(run.report)}\nstderr:\n${run.stderr.trim()}`;
}

describe('terminal on XS with ESP32 memory limits (device runner)', function () {
  this.timeout(TIMEOUT_MS);
  let script: string;
  let fixtures: DeviceFixtures;

  before(async function () {
    requireDeviceRunner(); // says to run `npm run build:xs-device` when it is missing
    const recorded = await recordFixtures([3], ['full-service', 'registration'], ['best', '9600']);
    assert.deepEqual(recorded.problems, [], 'the ESIGN flows must run on Node before they can be replayed on XS');
    fixtures = recorded.fixtures;
    script = await bundleDevice(fixtures, 'xs-device-test');
  });

  it('runs the whole service flow with ESIGN (insertion, PIN verify, service, record) over the byte line under the esp32 profile without memory full', async function () {
    const { session } = fixtures.suites['3']!.recordings['full-service']!;
    assert.deepEqual(session, { protocol: 1, fi: 512, di: 32, pps: 'accepted' }, 'recorded with PPS to the card\'s TA1, T=1');
    const run = await runDevice(script, '3:full-service', LOADED);
    assert.equal(run.report.memoryFull, false, explain(run));
    assert.equal(run.report.status, 'ok', explain(run));
    assert.equal(run.status, 0, explain(run));
    assert.deepEqual(run.report.profile, { name: 'esp32', chunk: 78_848, slots: 4_928, stack: FIRMWARE_STACK });
    assert.equal(FIRMWARE_STACK, 768);
    assert.ok(run.report.peakSlots <= 4_928, explain(run));
    assert.ok(computronsOf(run.report).flow > 0, 'the flow was metered');
  });

  it('registers a PIN with ESIGN (the terminal signs ST) over the byte line under the esp32 profile without memory full', async function () {
    const run = await runDevice(script, '3:registration', LOADED);
    assert.equal(run.report.status, 'ok', explain(run));
  });

  it('runs the ESIGN flows at 9,600 bit/s too (no PPS: Fi 372 / Di 1, the ATR\'s first protocol, T=0)', async function () {
    const { session } = fixtures.suites['3']!.recordings['full-service@9600']!;
    assert.deepEqual(session, { protocol: 0, fi: 372, di: 1, pps: 'off' });
    for (const arg of ['3:full-service@9600', '3:registration@9600']) {
      const run = await runDevice(script, arg, LOADED);
      assert.equal(run.report.status, 'ok', `${arg}: ${explain(run)}`);
    }
  });

  it('runs the device\'s own card driver over the runner\'s native card, charging less than the simulated line with a JavaScript card (FLOW@sim), and with one character per UART wake-up (FLOW@char)', async function () {
    const board = await runDevice(script, '3:full-service', LOADED);
    const sim = await runDevice(script, '3:full-service@sim', LOADED);
    const perCharacter = await runDevice(script, '3:full-service@char', LOADED);
    for (const run of [board, sim, perCharacter]) assert.equal(run.report.status, 'ok', explain(run));
    // The same bytes cross the line each way; only who pays for the card and the wire differs.
    assert.ok(computronsOf(board.report).flow < computronsOf(sim.report).flow, `board ${computronsOf(board.report).flow} vs sim ${computronsOf(sim.report).flow} computrons`);
    // A wake-up per character costs the driver more than one per run: 1.37 times the computrons
    // for the whole service flow with the wake-ups and timers native, as on the device.
    assert.ok(computronsOf(perCharacter.report).flow > computronsOf(board.report).flow * 1.25, `per character ${computronsOf(perCharacter.report).flow} vs per run ${computronsOf(board.report).flow}`);
  });

  it('refuses a line option it does not know', async function () {
    const run = await runDevice(script, '3:insertion@fast', LOADED);
    assert.notEqual(run.report.status, 'ok');
    assert.match(run.stderr, /line option "fast" is none of 9600, apdu, sim, char/, explain(run));
  });

  it('still replays whole APDUs when asked (FLOW@apdu: no byte line)', async function () {
    const run = await runDevice(script, '3:full-service@apdu', LOADED);
    assert.equal(run.report.status, 'ok', explain(run));
  });

  it('with the firmware\'s small-heap curve tables, P-256 and Ed25519 registration and service fit the esp32 profile too', async function () {
    const { fixtures, problems } = await recordFixtures([1, 2], ['full-service', 'registration']);
    assert.deepEqual(problems, []);
    const small = await bundleDevice({ ...fixtures, smallHeap: true }, 'xs-device-test-small-heap');
    for (const arg of ['1:full-service', '1:registration', '2:full-service', '2:registration']) {
      const run = await runDevice(small, arg, LOADED);
      assert.equal(run.report.status, 'ok', `${arg}: ${explain(run)}`);
    }
    const library = await bundleDevice(fixtures, 'xs-device-test-library-tables');
    const full = await runDevice(library, '1:registration', LOADED);
    assert.equal(full.report.memoryFull, true, `the library's default table does not fit: ${explain(full)}`);
  });

  it('Ed25519 as the device runs it (RFC 8032 over BigInt, no tables): registration and service fit the esp32 profile', async function () {
    const { fixtures, problems } = await recordFixtures([2], ['full-service', 'registration']);
    assert.deepEqual(problems, []);
    const device = await bundleDevice(fixtures, 'xs-device-test-device-ed25519', DEVICE_ED25519);
    for (const arg of ['2:full-service', '2:registration']) {
      const run = await runDevice(device, arg, LOADED);
      assert.equal(run.report.status, 'ok', `${arg}: ${explain(run)}`);
      // Measured, not asserted beyond "fits": the smallest heap by bisection (tools/bench/device.ts).
      // It ran loaded (the bundle keeps @noble's providers, which cannot be preloaded): the bisection runs it so too.
      const { minChunks, minSlots } = await smallestHeap(device, arg, 'host', LOADED);
      assert.ok(minChunks !== null && minSlots !== null && minChunks <= 78_848 && minSlots <= 4_928, `${arg}: the flow fits at the sizes it ran in, so the bisection finds a smallest heap (${minChunks} chunk bytes, ${minSlots} slots)`);
      console.log(`      ${arg} with the device's Ed25519 needs ${(minChunks / 1024).toFixed(0)} KB of chunks and ${minSlots} slots at least (bisection with the x86_64 device runner; chunk bytes are an upper bound), ${computronsOf(run.report).flow.toLocaleString('en-US')} computrons`);
    }
  });

  it('receives a long answer through T=1 and T=0 in runs of characters, within a computron budget (tests/scenarios/line-probes.ts)', async function () {
    // Computrons are XS's own metering: deterministic, unlike time. With one promise per character
    // the probes took 3,439,941 (T=1: 861 data bytes in four chained I-blocks) and 1,075,074 (T=0:
    // 256 data bytes after one ACK); reading blocks and data as runs (CardLine.receiveRun) brought
    // them to 524,678 and 137,731 (480,739 and 127,532 later). Runs as bytes (LineRun.chars a
    // Uint8Array, one copy per clean run in SimCardLine, deadline checks without a call per
    // character, T=1 blocks joined with one copy each) brought them to 123,023 and 31,101. The
    // budgets keep that win with about 10 % room.
    const budgets = { 't1-receive': 135_000, 't0-receive': 35_000 } as const;
    for (const [probe, budget] of Object.entries(budgets)) {
      const run = await runDevice(script, `0:${probe}`, { profile: 'esp32' });
      assert.equal(run.report.status, 'ok', `${probe}: ${explain(run)}`);
      const computrons = computronsOf(run.report).flow;
      assert.ok(computrons > 0 && computrons <= budget, `${probe}: ${computrons.toLocaleString('en-US')} computrons, budget ${budget.toLocaleString('en-US')}`);
    }
  });

  it('preloads the load phase as the device does (read-only, out of the collected heap): what setup writes into it survives every collection, a Map in it is read-only', async function () {
    // Each kind of write into load-phase state: a property added, a module-level binding, a private
    // field, an array grown; then a flow that collects many times over. A load-phase Map is
    // read-only, as XS keeps it in flash: set() throws.
    const dir = mkdtempSync(join(tmpdir(), 'preload-'));
    const probe = join(dir, 'preload-probe.js');
    writeFileSync(probe, `
      const hexes = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
      const state = { count: 0 };
      let current = null;
      class Holder { #kept = null; keep(value) { this.#kept = value; } kept() { return this.#kept; } }
      const holder = new Holder();
      const list = [1, 2, 3];
      const map = new Map();
      const hex = (bytes) => { let text = ''; for (const byte of bytes) text += hexes[byte]; return text; };
      globalThis.device = {
        setup() {
          state.extra = { name: hex(Uint8Array.of(0xca, 0xfe)) };
          current = { value: 'c'.repeat(40) };
          holder.keep([hex(Uint8Array.of(1, 2, 3))]);
          list.push({ pushed: hex(Uint8Array.of(0xff)) });
          try { map.set('key', { mapped: 7 }); } catch (error) { state.mapError = String(error); }
        },
        flow(mode) {
          let garbage = 0;
          for (let i = 0; i < 20000; i++) garbage += hex(Uint8Array.of(i & 0xff, 7)).length + [i, { i }].length;
          const seen = [state.extra.name, current.value.length, holder.kept()[0], list.length, list[3].pushed, map.size, state.mapError].join(',');
          const expected = mode === 'preload' ? 'cafe,40,010203,4,ff,0,TypeError: Map instance is read-only' : 'cafe,40,010203,4,ff,1,';
          if (seen !== expected) throw new Error('load-phase state lost: ' + seen);
          return garbage;
        },
      };`);
    try {
      const run = await runDevice(probe, 'preload', { ...ESP32_FIRMWARE, checkPreload: true });
      assert.equal(run.report.status, 'ok', explain(run));
      assert.equal(run.report.preload.on, true);
      assert.ok(run.report.preload.aliases > 0, 'mutable load-phase instances get aliases');
      assert.deepEqual([run.report.preload.violationsSetup, run.report.preload.violationsFlow], [0, 0]);
      const unloaded = await runDevice(probe, 'plain', { ...ESP32_FIRMWARE, preload: false });
      assert.equal(unloaded.report.status, 'ok', explain(unloaded));
      assert.equal(unloaded.report.preload.on, false);
      assert.ok(unloaded.report.baseline.ballastSlots > 0, 'without preload the budget is kept by ballast slots');
      // What XS cannot alias: a promise made at load gets its reactions from C, straight into flash.
      const written = join(dir, 'preload-written.js');
      writeFileSync(written, `let resolveIt; const pending = new Promise((resolve) => { resolveIt = resolve; });
        globalThis.device = { setup() { pending.then((value) => { globalThis.value = value; }); }, flow() { resolveIt(5); } };`);
      const caught = await runDevice(written, '', { ...ESP32_FIRMWARE, checkPreload: true });
      assert.equal(caught.status, 8, explain(caught));
      assert.equal(caught.report.preload.violationsSetup, 1);
      assert.match(caught.stderr, /load-phase slots point into RAM after setup/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
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
    const recording = fixtures.suites['3']!.recordings['full-service']!;
    // Change the expected SELECT on the byte line (the T=1 I-block that carries it): the replaying
    // card must refuse the terminal's real one, and its ReplayMismatch must be what the run reports.
    const select = toHex(Uint8Array.of(0x00, 0xa4, 0x04, 0x00));
    const at = recording.bytes.findIndex((step) => step.terminal?.includes(select));
    assert.ok(at > 0, 'the recording has the SELECT I-block');
    const bytes = recording.bytes.map((step, i) => (i === at ? { ...step, terminal: `${step.terminal!.slice(0, -4)}0000` } : step));
    // And the APDU-level recording's SELECT, for the run that passes whole APDUs.
    const line = recording.line.map((entry, i) => (i === 1 ? [`${entry[0].slice(0, -2)}00`, entry[1]] as const : entry));
    const changed: FlowRecording = { ...recording, bytes, line };
    const broken = await bundleDevice({ suites: { '3': { ...fixtures.suites['3']!, recordings: { 'full-service': changed } } } }, 'xs-device-test-broken');
    const run = await runDevice(broken, '3:full-service', { profile: 'host' });
    assert.notEqual(run.report.status, 'ok', explain(run));
    assert.match(run.stderr, new RegExp(`ReplayMismatch: step ${at}: the terminal wrote`), explain(run));
    const apdu = await runDevice(broken, '3:full-service@apdu', { profile: 'host' });
    assert.notEqual(apdu.report.status, 'ok', explain(apdu));
    assert.match(apdu.stderr, /ReplayMismatch/, explain(apdu));
  });

  it('fails loudly when the terminal writes at another rate than the card listens at (the runner\'s card checks the UART frame)', async function () {
    const recording = fixtures.suites['3']!.recordings['full-service']!;
    // The card's UART after PPS: give it another Di, so the terminal's next block goes at a rate it does not hear.
    let changed = false;
    const bytes = recording.bytes.map((step) => ({
      ...step,
      acts: step.acts.map((act) => {
        if (changed || !('configure' in act) || act.configure.di === 1) return act;
        changed = true;
        return { ...act, configure: { ...act.configure, di: act.configure.di / 2 } };
      }),
    }));
    assert.ok(changed, 'the recording has the card switch to the PPS rate');
    const broken = await bundleDevice({ suites: { '3': { ...fixtures.suites['3']!, recordings: { 'full-service': { ...recording, bytes } } } } }, 'xs-device-test-rate');
    const run = await runDevice(broken, '3:full-service', { profile: 'host' });
    assert.notEqual(run.report.status, 'ok', explain(run));
    assert.match(run.stderr, /ReplayMismatch: step \d+: the terminal writes at 223\d{3} bit\/s even parity, the card listens at 111\d{3} bit\/s even parity/, explain(run));
  });
});
