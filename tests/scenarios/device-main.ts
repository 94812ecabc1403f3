// The XS side of the device runner (tools/xs/device-runner.c): installs globalThis.device with
// setup(arg) and flow(arg), arg being "SUITE:FLOW[@LINE]" (e.g. "3:full-service"), for recordings
// made on Node (tools/bench/device.ts bundleDevice() writes the entry that imports this with them).
// LINE is options joined by "+": none = the byte line at the card's best rate (PPS to TA1, T=1);
// "9600" = the byte line without PPS (Fi 372 / Di 1, the ATR's first protocol); "apdu" = no byte
// line, whole APDUs replayed from the best-rate recording (ReplayCard); "sim" = the simulated line
// and a JavaScript replaying card instead of the device's driver; "char" = the UART hands over one
// character per onReadable call instead of one run (tools/xs/native/card-line.ts).
//
// On the byte line the terminal runs the device's own card driver (hal/esp32/card-interface.ts)
// under ProtocolReader, over the runner's native smart-card UART and card (native-card-line.c):
// the card replays the recording in C, as the other chip it is on the board, so the flow charges
// the terminal, its ISO 7816-3 stack and the driver's JavaScript, not the card or the wire.
//
// What the runner charges: the load phase (this module's top level, the recordings as string
// constants) stands for flash on the device and is not charged; setup (terminal configuration and
// recording decoded, journal opened, rig started, setup steps) and the flow are. The journal's
// NOR flash is the runner's native chip (tools/xs/native/flash.ts), outside the JavaScript heap as
// the ESP32's SPI flash is, driven by the device's own hal/esp32/journal-flash.ts.
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
import type { Flash } from '../../hal/flash.js';
import { JournalFlash } from '../../hal/esp32/journal-flash.js';
import { RunnerFlash } from '../../tools/xs/native/flash.js';
import type { TerminalRig } from '../../hal/sim/rig.js';
import type { CardDevice } from '../../hal/sim/card-slot.js';
import { prepareByteLine, ReplayByteCard, ReplayMismatch } from './byte-replay.js';
import { ProtocolReader } from '../../firmware/iso7816/protocol-reader.js';
import { CardInterface } from '../../hal/esp32/card-interface.js';
import type { CardWiring } from '../../hal/esp32/wiring.js';
import { runnerCardBoard, type CardLineDelivery } from '../../tools/xs/native/card-line.js';
import { lineProbe, type LineProbe } from './line-probes.js';
import { DEVICE_FLASH, deviceFlow, deviceRig, flowConfig, fromPortable, lineOnlyDevice, ReplayCard, type DeviceFlow, type FlowRecording } from './device-flows.js';

export interface SuiteFixture {
  /** TerminalConfig through toPortable(). */
  readonly config: unknown;
  /** By recordingKey(flow, rate): "insertion" (best rate), "insertion@9600". */
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

/** LINE options after "@", joined by "+": 9600, apdu, sim, char (the header says what each means). */
const LINE_FLAGS: readonly string[] = Object.freeze(['9600', 'apdu', 'sim', 'char']);

interface LineChoice {
  /** Whole APDUs, no byte line (ReplayCard). */
  readonly apdu: boolean;
  /** The simulated line (hal/sim/card-line.ts) and a JavaScript ReplayByteCard instead of the device's driver over the runner's card. */
  readonly sim: boolean;
  readonly delivery: CardLineDelivery;
}

/** The board's card interface wiring (moddable.json wiring.card, the ESP32-DevKitC board). */
const BOARD_CARD_WIRING: CardWiring = Object.freeze({ uart: 1, transmit: 17, receive: 16, clock: 4, reset: 5, vcc: 18, detect: 19, clockHz: 3_571_200 });

/** The replaying card of either kind, as setup and flow check it. */
interface Replay {
  readonly device: CardDevice;
  readonly position: number;
  readonly finished: boolean;
  /** Steps (byte line) or entries (APDUs) of the whole recording, and of its setup. */
  readonly total: number;
  readonly setup: number;
  /** The card's own record of a difference (the byte card goes mute rather than throwing into the terminal). */
  readonly mismatch: Error | null;
}

interface Running {
  readonly flow: DeviceFlow;
  readonly rig: TerminalRig;
  readonly replay: Replay;
}

/** Runs `step`; a difference the card noticed wins over whatever the terminal made of it. */
async function replaying(replay: Replay, step: () => Promise<void> | void): Promise<void> {
  try {
    await step();
  } catch (error) {
    throw replay.mismatch ?? error;
  }
  if (replay.mismatch) throw replay.mismatch;
}

/**
 * The terminal on the device's own card driver (hal/esp32/card-interface.ts) and ProtocolReader,
 * over the runner's native UART and replaying card (tools/xs/native/card-line.ts), the slot's
 * card-detect switch driving the interface chip's OFF pin: what the ESP32 runs, and only that.
 */
function boardRig(recording: FlowRecording, delivery: CardLineDelivery, config: TerminalConfig, usage: UsageJournal, flash: Flash): { rig: TerminalRig; replay: Replay } {
  const board = runnerCardBoard(prepareByteLine(recording.bytes), BOARD_CARD_WIRING, delivery);
  const mismatch = (): ReplayMismatch | null => {
    const problem = board.status().mismatch;
    return problem === null ? null : new ReplayMismatch(problem);
  };
  const replay: Replay = {
    device: lineOnlyDevice(recording.label), total: recording.bytes.length, setup: recording.setupSteps,
    get position() { return board.status().step + 1; },
    get finished() { return board.status().finished; },
    get mismatch() { return mismatch(); },
  };
  const rig = deviceRig(flowConfig(config, recording.flow), usage, flash, {
    rate: recording.rate,
    reader(slot) {
      const reader = new ProtocolReader(new CardInterface(board.options), { pps: recording.rate === 'best' });
      slot.onInserted = () => board.insert();
      slot.onRemoved = () => board.remove();
      return reader;
    },
  });
  return { rig, replay };
}

/** The rig and the replaying card for one recording: on the byte line, or passing APDUs. */
function replayRig(recording: FlowRecording, line: LineChoice, config: TerminalConfig, usage: UsageJournal, flash: Flash): { rig: TerminalRig; replay: Replay } {
  if (line.apdu) {
    const card = new ReplayCard(recording.label, recording.line);
    const replay: Replay = {
      device: card, total: recording.line.length, setup: recording.setupEntries,
      get position() { return card.position; },
      get finished() { return card.finished; },
      get mismatch() { return card.mismatch; },
    };
    return { rig: deviceRig(flowConfig(config, recording.flow), usage, flash), replay };
  }
  if (!line.sim) return boardRig(recording, line.delivery, config, usage, flash);
  const card = new ReplayByteCard(recording.label, prepareByteLine(recording.bytes));
  const replay: Replay = {
    device: lineOnlyDevice(recording.label), total: recording.bytes.length, setup: recording.setupSteps,
    get position() { return card.position; },
    get finished() { return card.finished; },
    get mismatch() { return card.mismatch; },
  };
  return { rig: deviceRig(flowConfig(config, recording.flow), usage, flash, { rate: recording.rate, byteCard: () => card }), replay };
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
  // The journal partition (moddable.json wiring.flash.partition), as hal/esp32/main.ts opens it.
  const partition = class extends RunnerFlash {
    constructor(name: string) {
      super(name, DEVICE_FLASH);
    }
  };
  if (fixtures.smallHeap) useSmallHeapCurveTables();
  if (fixtures.tuning) {
    p256.Point.BASE.precompute(fixtures.tuning.baseWindow, !fixtures.tuning.eager);
    ed25519.Point.BASE.precompute(fixtures.tuning.baseWindow, !fixtures.tuning.eager);
  }
  let running: Running | null = null;
  let probe: LineProbe | null = null;

  function parse(arg: string): { suite: string; flowName: string; key: string; line: LineChoice } {
    const [suite, name] = arg.split(':');
    if (!suite || !name) throw new RangeError(`device arg "${arg}" is not SUITE:FLOW[@LINE]`);
    const [flowName, options] = name.split('@') as [string, string | undefined];
    const flags = options === undefined ? [] : options.split('+');
    for (const flag of flags) {
      if (!LINE_FLAGS.includes(flag)) throw new RangeError(`device arg "${arg}": line option "${flag}" is none of ${LINE_FLAGS.join(', ')}`);
    }
    const line: LineChoice = { apdu: flags.includes('apdu'), sim: flags.includes('sim'), delivery: flags.includes('char') ? 'character' : 'run' };
    return { suite, flowName, key: flags.includes('9600') ? `${flowName}@9600` : flowName, line };
  }

  (globalThis as unknown as { device: unknown }).device = {
    async setup(arg: string): Promise<void> {
      const { suite, flowName, key, line } = parse(arg);
      if (suite === '0') {
        const made = lineProbe(flowName);
        if (made) probe = await made;
        return;
      }
      const fixture = fixtures.suites[suite];
      if (!fixture) throw new RangeError(`no fixture for suite ${suite} (have ${Object.keys(fixtures.suites).join(', ')})`);
      const recording = fixture.recordings[key];
      if (!recording) throw new RangeError(`no recording "${key}" for suite ${suite} (have ${Object.keys(fixture.recordings).join(', ')})`);
      const flow = deviceFlow(flowName);
      const config = fromPortable(fixture.config) as TerminalConfig;
      const flash = new JournalFlash({ storage: { io: partition, partition: 'journal' } });
      const usage = UsageJournal.open(flash, config.terminalId);
      const { rig, replay } = replayRig(recording, line, config, usage, flash);
      await rig.start();
      await replaying(replay, () => flow.setup(rig, replay.device));
      if (replay.position !== replay.setup) {
        throw new Error(`setup used ${replay.position} steps of the recording, the recording's setup used ${replay.setup}`);
      }
      running = { flow, rig, replay };
    },
    async flow(arg: string): Promise<void> {
      const { suite, flowName } = parse(arg);
      if (suite === '0') return probe ? probe.run() : limitProbe(flowName);
      if (!running) throw new Error('flow() before setup()');
      const { flow, rig, replay } = running;
      await replaying(replay, async () => {
        await flow.run(rig, replay.device);
        flow.check(rig);
      });
      if (!replay.finished) throw new Error(`the flow stopped at step ${replay.position} of ${replay.total} of the recording`);
    },
  };
}
