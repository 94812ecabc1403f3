// The terminal's transactions as the device runner measures them (tools/xs/device-runner.c,
// `npm run bench`, tests/xs-device.test.ts). Engine-neutral: the same flow scripts run on Node to
// record what the card answers, and inside XS under ESP32 memory limits against a card that replays
// those answers. On the device the card is another chip, so only the terminal's side is charged.
//
// Each flow has a setup (steps that bring the terminal to where the flow starts: not measured,
// but the state they leave behind is charged) and the measured steps, then checks on the events.
//
// By default the terminal talks to the card over the simulated ISO 7816-3 byte line (ATR, PPS,
// T=1 or T=0: what the board's UART carries), and the recording is of the characters the card
// sends (tests/scenarios/byte-replay.ts); the APDU-level recording and ReplayCard below remain
// for runs that pass whole APDUs.
import type { ByteCard } from '../../card/iso7816/contacts.js';
import { fromHex, toHex } from '../../firmware/protocol/bytes.js';
import type { TerminalConfig } from '../../firmware/terminal/config.js';
import type { UsageStore } from '../../firmware/terminal/usage-store.js';
import type { Flash } from '../../hal/flash.js';
import type { CardReader } from '../../hal/reader.js';
import type { CardDevice, SimCardSlot } from '../../hal/sim/card-slot.js';
import { SimLineReader } from '../../hal/sim/line-slot.js';
import { TerminalRig } from '../../hal/sim/rig.js';
import { ReplayMismatch, type ByteLineStep } from './byte-replay.js';
import { AssertionFailed } from './scenario.js';
import { BENCH_FLASH, BENCH_RIG, registerPin } from './world.js';

export { ReplayMismatch };

export const DEVICE_PIN = '2468';
export const DEVICE_FLASH = BENCH_FLASH;

/**
 * The card line's rate: 'best' = the terminal proposes the card's TA1 by PPS (then T=1 when
 * offered), as the firmware does; '9600' = no PPS, so Fi 372 / Di 1 (9,600 bit/s at 3.5712 MHz)
 * and the first protocol the ATR offers (ISO/IEC 7816-3 §9.1: T=0 for the project's card).
 */
export type LineRate = 'best' | '9600';
export const LINE_RATES: readonly LineRate[] = Object.freeze(['best', '9600'] as const);

/** The byte line under the rig's slot: its rate, and the byte-level card that meets the line for a card device in the slot. */
export interface DeviceLine {
  readonly rate: LineRate;
  /** The byte-level card behind SimCardLine; or, with `reader`, nothing (the reader brings its own line). */
  readonly byteCard?: (device: CardDevice) => ByteCard;
  /** A reader of the caller's over the slot (its card-detect switch): the device's own driver in the runner. */
  readonly reader?: (slot: SimCardSlot) => CardReader;
  /** Told the reader once it is made (the recorder reads its lastSession). */
  readonly onReader?: (reader: SimLineReader) => void;
}

/**
 * The rig as both sides build it: same clock, seed and timings, so the terminal sends the same
 * bytes. With `line`, the slot's contacts are behind the simulated byte line (hal/sim/line-slot.ts);
 * without, the slot passes whole APDUs.
 */
export function deviceRig(config: TerminalConfig, usage: UsageStore, flash: Flash, line?: DeviceLine): TerminalRig {
  if (!line) return new TerminalRig({ config, usage, flash, ...BENCH_RIG });
  if (line.reader) return new TerminalRig({ config, usage, flash, ...BENCH_RIG, readerOverSlot: line.reader });
  const options = { reader: { pps: line.rate === 'best' }, ...(line.byteCard ? { byteCard: line.byteCard } : {}) };
  return new TerminalRig({
    config, usage, flash, ...BENCH_RIG,
    readerOverSlot(slot) {
      const reader = new SimLineReader(slot, options);
      line.onReader?.(reader);
      return reader;
    },
  });
}

/** The key of a flow's recording at a rate in SuiteFixture.recordings: "insertion", "insertion@9600". */
export function recordingKey(flow: string, rate: LineRate): string {
  return rate === 'best' ? flow : `${flow}@${rate}`;
}

/**
 * A card device that only stands in the slot for a byte-level card (the line reader never asks
 * it for APDUs): any call means the rig was built without the line.
 */
export function lineOnlyDevice(label: string): CardDevice {
  const refuse = (): never => {
    throw new ReplayMismatch(`card "${label}" answers on the byte line only, not with whole APDUs`);
  };
  return { label, reset: refuse, process: refuse };
}

export interface DeviceFlow {
  readonly name: string;
  readonly title: string;
  /** Whether the card must already hold a PIN. */
  readonly cardHasPin: boolean;
  /** The terminal's mutual authentication for this flow (figs. 6 and 7); absent: the suite's config (off). */
  readonly mutualAuthentication?: 'required';
  /** The encrypted card channel ([0021]) for this flow: the card is issued with its agreement key. */
  readonly secureChannel?: 'required';
  setup(rig: TerminalRig, card: CardDevice): Promise<void>;
  run(rig: TerminalRig, card: CardDevice): Promise<void>;
  check(rig: TerminalRig): void;
}

function expect(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionFailed(message);
}

type EventKind = TerminalRig['events'][number]['event'];

function expectOnce(rig: TerminalRig, kind: EventKind, problem: string): void {
  expect(rig.eventsOf(kind).length === 1, `${problem}; events: ${rig.events.map((e) => e.event).join(', ')}`);
}

async function useService(rig: TerminalRig): Promise<void> {
  await rig.press(DEVICE_PIN, 'ENTER');
  await rig.press('0312345678', 'ENTER');
  await rig.wait(125);
  await rig.press('END');
  await rig.remove();
}

function checkService(rig: TerminalRig): void {
  expectOnce(rig, 'pin-verified', 'PIN not verified');
  expectOnce(rig, 'record-written', 'no usage record');
  expect(rig.eventsOf('record-written')[0]!.fee === 40, 'the usage record should say 40 JPY');
}

const nothing = async (): Promise<void> => {};
const insert = (rig: TerminalRig, card: CardDevice): Promise<void> => rig.insert(card);

/** The PIN, then the number: from the PIN screen to the in-call screen. */
async function pinToService(rig: TerminalRig): Promise<void> {
  await rig.press(DEVICE_PIN, 'ENTER');
  await rig.press('0312345678', 'ENTER');
}

function authenticatedService(rig: TerminalRig): void {
  expectOnce(rig, 'card-authenticated', 'the card was not authenticated');
  expectOnce(rig, 'service-started', 'the service did not start');
}

export const DEVICE_FLOWS: readonly DeviceFlow[] = Object.freeze([
  {
    name: 'insertion',
    title: 'card insertion checks (ATR, SELECT, READ CARD DATA, SA1 + SA2, expiry, hotlist, PIN state)',
    cardHasPin: true,
    setup: nothing,
    run: insert,
    check: (rig) => expectOnce(rig, 'card-accepted', 'card not accepted'),
  },
  {
    name: 'insertion-secure',
    title: 'card insertion checks, then the encrypted channel ([0021]: SCP11b key agreement, receipt checked)',
    cardHasPin: true,
    secureChannel: 'required',
    setup: nothing,
    run: insert,
    check(rig) {
      expectOnce(rig, 'secure-channel-opened', 'no channel');
      expectOnce(rig, 'card-accepted', 'card not accepted');
    },
  },
  {
    name: 'pin-to-service-secure',
    title: 'PIN-to-service through the encrypted channel with mutual authentication (VERIFY PIN, fig. 7, all wrapped)',
    cardHasPin: true,
    mutualAuthentication: 'required',
    secureChannel: 'required',
    setup: insert,
    run: pinToService,
    check: authenticatedService,
  },
  {
    // Issue 10's "PIN-to-service" budget: the work between the keypad and the meter, without the call's minutes.
    name: 'pin-to-service',
    title: 'PIN verify to the in-call screen (VERIFY PIN, dial, service started, first meter screen)',
    cardHasPin: true,
    setup: insert,
    run: pinToService,
    check(rig) {
      expectOnce(rig, 'pin-verified', 'PIN not verified');
      expectOnce(rig, 'service-started', 'the service did not start');
    },
  },
  {
    name: 'pin-to-service-mutual',
    title: 'PIN-to-service with mutual authentication (fig. 7: INTERNAL AUTHENTICATE, SU checked with nU)',
    cardHasPin: true,
    mutualAuthentication: 'required',
    setup: insert,
    run: pinToService,
    check: authenticatedService,
  },
  {
    name: 'pin-service',
    title: 'PIN verify + service (metered call, usage record, eject)',
    cardHasPin: true,
    setup: insert,
    run: (rig) => useService(rig),
    check: checkService,
  },
  {
    name: 'registration',
    title: 'PIN registration (Nt, Ns, new PIN twice, ST signed, REGISTER PIN)',
    cardHasPin: false,
    setup: insert,
    run: (rig) => registerPin(rig, DEVICE_PIN),
    check: (rig) => expectOnce(rig, 'pin-registered', 'PIN not registered'),
  },
  {
    name: 'registration-mutual',
    title: 'PIN registration with mutual authentication (fig. 6: SU checked, ST over R ‖ X ‖ Nc)',
    cardHasPin: false,
    mutualAuthentication: 'required',
    setup: insert,
    run: (rig) => registerPin(rig, DEVICE_PIN),
    check(rig) {
      expectOnce(rig, 'card-authenticated', 'the card was not authenticated');
      expectOnce(rig, 'pin-registered', 'PIN not registered');
    },
  },
  {
    name: 'full-service',
    title: 'whole service flow: insertion, PIN verify, service, record',
    cardHasPin: true,
    setup: nothing,
    async run(rig, card) {
      await insert(rig, card);
      await useService(rig);
    },
    check(rig) {
      expectOnce(rig, 'card-accepted', 'card not accepted');
      checkService(rig);
    },
  },
]);

/** The terminal's config for `flowName`: the suite's, with the flow's mutual authentication. */
export function flowConfig(config: TerminalConfig, flowName: string): TerminalConfig {
  const flow = deviceFlow(flowName);
  return {
    ...config,
    ...(flow.mutualAuthentication ? { mutualAuthentication: flow.mutualAuthentication } : {}),
    ...(flow.secureChannel ? { secureChannel: flow.secureChannel } : {}),
  };
}

export function deviceFlow(name: string): DeviceFlow {
  const flow = DEVICE_FLOWS.find((f) => f.name === name);
  if (!flow) throw new RangeError(`unknown device flow "${name}" (${DEVICE_FLOWS.map((f) => f.name).join(', ')})`);
  return flow;
}

/** One step on the card line: a reset (ATR) or a command and its response, as hex. */
export type LineEntry = readonly ['reset', string] | readonly [string, string];

/** How the terminal settled the byte line (ProtocolReader's LineSession, in short). */
export interface LineSessionSummary {
  readonly protocol: 0 | 1;
  readonly fi: number;
  readonly di: number;
  /** PPS outcome: accepted, off, not-needed, ... (firmware/iso7816/protocol-reader.ts). */
  readonly pps: string;
}

export interface FlowRecording {
  readonly suite: number;
  readonly flow: string;
  readonly label: string;
  readonly rate: LineRate;
  /** The whole APDU exchange from insertion on; the first `setupEntries` belong to the setup. */
  readonly line: readonly LineEntry[];
  readonly setupEntries: number;
  /** The byte line from insertion on, as the card side saw it; the first `setupSteps` belong to the setup. */
  readonly bytes: readonly ByteLineStep[];
  readonly setupSteps: number;
  readonly session: LineSessionSummary;
}

/** Wraps a card and writes down every reset and exchange (Node side, when recording). */
export class RecordingCard implements CardDevice {
  readonly line: LineEntry[] = [];
  readonly #card: CardDevice;

  constructor(card: CardDevice) {
    this.#card = card;
  }

  get label(): string {
    return this.#card.label;
  }

  reset(): Uint8Array {
    const atr = this.#card.reset();
    this.line.push(['reset', toHex(atr)]);
    return atr;
  }

  process(command: Uint8Array): Uint8Array {
    const response = this.#card.process(command);
    this.line.push([toHex(command), toHex(response)]);
    return response;
  }
}

/** Whether `bytes` spells `hex` (lower or upper case), without building a string. */
function sameBytes(bytes: Uint8Array, hex: string): boolean {
  if (hex.length !== bytes.length * 2) return false;
  for (let i = 0; i < bytes.length; i++) {
    if (parseInt(hex.slice(2 * i, 2 * i + 2), 16) !== bytes[i]) return false;
  }
  return true;
}

/**
 * The card as the terminal sees it on the device bench: answers each expected command from a
 * recording and fails loudly on anything else, so a terminal that sends different bytes on XS
 * than it did on Node cannot pass by accident.
 */
export class ReplayCard implements CardDevice {
  readonly label: string;
  readonly #line: readonly LineEntry[];
  #next = 0;
  #mismatch: ReplayMismatch | null = null;

  constructor(label: string, line: readonly LineEntry[]) {
    this.label = label;
    this.#line = line;
  }

  /** Entries replayed so far. */
  get position(): number {
    return this.#next;
  }

  get finished(): boolean {
    return this.#next === this.#line.length;
  }

  /** The first difference thrown, kept: the terminal may catch it and carry on (a card error). */
  get mismatch(): ReplayMismatch | null {
    return this.#mismatch;
  }

  reset(): Uint8Array {
    const entry = this.#take('a reset');
    if (entry[0] !== 'reset') throw this.#fail(`line entry ${this.#next - 1}: the terminal reset the card where the recording has command ${entry[0].slice(0, 10)}…`);
    return fromHex(entry[1]);
  }

  process(command: Uint8Array): Uint8Array {
    const entry = this.#take(`command ${toHex(command.subarray(0, 5))}…`);
    if (entry[0] === 'reset' || !sameBytes(command, entry[0])) {
      throw this.#fail(`line entry ${this.#next - 1}: the terminal sent ${toHex(command)}, the recording expects ${entry[0] === 'reset' ? 'a reset' : entry[0]}`);
    }
    return fromHex(entry[1]);
  }

  #take(what: string): LineEntry {
    const entry = this.#line[this.#next];
    if (!entry) throw this.#fail(`the terminal sent ${what} after the recording ended (${this.#line.length} entries)`);
    this.#next++;
    return entry;
  }

  #fail(message: string): ReplayMismatch {
    const mismatch = new ReplayMismatch(message);
    this.#mismatch ??= mismatch;
    return mismatch;
  }
}

/** APDU count and bytes of a stretch of the line (resets counted apart, with the ATR length). */
export interface LineStats {
  readonly resets: number;
  readonly atrBytes: number;
  readonly commands: number;
  readonly bytesOut: number;
  readonly bytesIn: number;
}

export function lineStats(line: readonly LineEntry[]): LineStats {
  let resets = 0;
  let atrBytes = 0;
  let commands = 0;
  let bytesOut = 0;
  let bytesIn = 0;
  for (const [first, second] of line) {
    if (first === 'reset') {
      resets++;
      atrBytes += second.length / 2;
    } else {
      commands++;
      bytesOut += first.length / 2;
      bytesIn += second.length / 2;
    }
  }
  return { resets, atrBytes, commands, bytesOut, bytesIn };
}

// Terminal configuration and other values that hold bytes cross from Node to XS as JSON with
// Uint8Array written as { "$hex": "..." }.
export function toPortable(value: unknown): unknown {
  if (value instanceof Uint8Array) return { $hex: toHex(value) };
  if (Array.isArray(value)) return value.map(toPortable);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) out[key] = toPortable(inner);
    return out;
  }
  return value;
}

export function fromPortable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromPortable);
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (typeof record.$hex === 'string' && Object.keys(record).length === 1) return fromHex(record.$hex);
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(record)) out[key] = fromPortable(inner);
    return out;
  }
  return value;
}
