// The XS side of the device runner (tools/xs/device-runner.c): installs globalThis.device with
// setup(arg) and flow(arg), arg being "SUITE:FLOW" (e.g. "3:full-service"), for recordings made on
// Node (tools/bench/device-bundle.ts writes the entry that imports this with the recordings).
//
// What the runner charges: the load phase (this module's top level, the recordings as string
// constants, the simulated NOR flash chip) stands for flash on the device and is not charged;
// setup (terminal configuration decoded, journal opened, rig started, setup steps) and the flow are.
//
// Two extra flows prove the limits are real: "0:oversize" allocates 200,000 bytes at once and
// "0:slots" keeps 10,000 small objects alive; both must end in "memory full" under the esp32 profile.
// Two more measure the card line alone (tests/scenarios/line-probes.ts): "0:t1-receive" and
// "0:t0-receive", a long answer received through T1Transport or T0Transport.
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { useSmallHeapCurveTables } from '../../firmware/crypto/curve-tables.js';
import type { TerminalConfig } from '../../firmware/terminal/config.js';
import { UsageJournal } from '../../firmware/journal/usage-journal.js';
import { SimFlash } from '../../hal/sim/flash.js';
import type { TerminalRig } from '../../hal/sim/rig.js';
import { lineProbe, type LineProbe } from './line-probes.js';
import { DEVICE_FLASH, deviceFlow, deviceRig, fromPortable, ReplayCard, type DeviceFlow, type FlowRecording } from './device-flows.js';

export interface SuiteFixture {
  /** TerminalConfig through toPortable(). */
  readonly config: unknown;
  readonly recordings: Readonly<Record<string, FlowRecording>>;
}

/**
 * Cuts tried by `npm run bench` (never by the firmware): the window of @noble/curves' base-point
 * table for P-256 and Ed25519 (the library's default is 6: 1,408 points built on first use).
 * eager: the table is built during the load phase, which on the device means by the preloader,
 * into flash; otherwise it is built on first use, in RAM.
 */
export interface CurveTuning {
  readonly baseWindow: number;
  readonly eager: boolean;
}

export interface DeviceFixtures {
  readonly suites: Readonly<Record<string, SuiteFixture>>;
  readonly tuning?: CurveTuning;
  /** Run as the firmware does on an ESP32 without PSRAM: firmware/crypto/curve-tables.ts. */
  readonly smallHeap?: boolean;
}

interface Running {
  readonly flow: DeviceFlow;
  readonly recording: FlowRecording;
  readonly rig: TerminalRig;
  readonly card: ReplayCard;
}

const keep: unknown[] = [];

async function limitProbe(name: string): Promise<void> {
  if (name === 'oversize') {
    const block = new Uint8Array(200_000);
    block[0] = 1;
    keep.push(block);
  } else if (name === 'slots') {
    for (let i = 0; i < 10_000; i++) keep.push({ i });
  } else {
    throw new RangeError(`unknown limit probe "${name}"`);
  }
}

export function installDevice(fixtures: DeviceFixtures): void {
  // The terminal's NOR flash partition: a chip, not RAM, so it is made during the load phase.
  const flash = new SimFlash(DEVICE_FLASH);
  if (fixtures.smallHeap) useSmallHeapCurveTables();
  if (fixtures.tuning) {
    p256.Point.BASE.precompute(fixtures.tuning.baseWindow, !fixtures.tuning.eager);
    ed25519.Point.BASE.precompute(fixtures.tuning.baseWindow, !fixtures.tuning.eager);
  }
  let running: Running | null = null;
  let probe: LineProbe | null = null;

  function parse(arg: string): { suite: string; flowName: string } {
    const [suite, flowName] = arg.split(':');
    if (!suite || !flowName) throw new RangeError(`device arg "${arg}" is not SUITE:FLOW`);
    return { suite, flowName };
  }

  (globalThis as unknown as { device: unknown }).device = {
    async setup(arg: string): Promise<void> {
      const { suite, flowName } = parse(arg);
      if (suite === '0') {
        const made = lineProbe(flowName);
        if (made) probe = await made;
        return;
      }
      const fixture = fixtures.suites[suite];
      if (!fixture) throw new RangeError(`no fixture for suite ${suite} (have ${Object.keys(fixtures.suites).join(', ')})`);
      const recording = fixture.recordings[flowName];
      if (!recording) throw new RangeError(`no recording of flow "${flowName}" for suite ${suite}`);
      const flow = deviceFlow(flowName);
      const config = fromPortable(fixture.config) as TerminalConfig;
      const usage = UsageJournal.open(flash, config.terminalId);
      const rig = deviceRig(config, usage, flash);
      await rig.start();
      const card = new ReplayCard(recording.label, recording.line);
      await flow.setup(rig, card);
      if (card.position !== recording.setupEntries) {
        throw new Error(`setup used ${card.position} line entries, the recording's setup used ${recording.setupEntries}`);
      }
      running = { flow, recording, rig, card };
    },
    async flow(arg: string): Promise<void> {
      const { suite, flowName } = parse(arg);
      if (suite === '0') return probe ? probe.run() : limitProbe(flowName);
      if (!running) throw new Error('flow() before setup()');
      const { flow, recording, rig, card } = running;
      await flow.run(rig, card);
      flow.check(rig);
      if (!card.finished) throw new Error(`the flow stopped at line entry ${card.position} of ${recording.line.length}`);
    },
  };
}
