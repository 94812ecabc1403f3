/// <reference types="node" />
/// <reference types="mocha" />
// Fuzz target: ISO/IEC 7816-3 on the terminal's side (firmware/iso7816): the ATR parser, and the
// reader's activation (ATR, PPS, S(IFS)) and T=0 and T=1 receivers fed through the simulated line
// (hal/sim/card-line.ts): by a chip that sends arbitrary byte streams, and by the real card with
// faults placed on chosen characters. Only the documented protocol errors come out (AtrError, or
// CardMuteError and its kin: CardTimeoutError, TransmissionError, LineParityError,
// ProtocolAbortError); every exchange ends within a bounded number of line operations of modelled
// time; and over T=1 with CRC, and over T=0 with parity faults and lost characters, an answer
// handed up is the card's own.
import fc from 'fast-check';
import { answerToReset } from '../../card/atr.js';
import { SimByteCard } from '../../card/iso7816/byte-card.js';
import type { ApduCard, ByteCard, CardContacts } from '../../card/iso7816/contacts.js';
import { describeAtr, expectedAtrLength, parseAtr, requireValidAtr } from '../../firmware/iso7816/atr.js';
import { encodeBlock, iBlock, rBlock, sBlock, S_KIND, type Edc } from '../../firmware/iso7816/block.js';
import { AtrError } from '../../firmware/iso7816/errors.js';
import { ProtocolReader } from '../../firmware/iso7816/protocol-reader.js';
import { fromHex, toHex } from '../../firmware/protocol/bytes.js';
import type { CardLine, LineRun, LineSettings } from '../../hal/card-line.js';
import { CardMuteError } from '../../hal/reader.js';
import { SimCardLine, type Direction, type Fault, type FaultPlan } from '../../hal/sim/card-line.js';
import { cardAtr, CASES, echoCard } from '../scenarios/iso7816-scenarios.js';
import { fuzzTarget, mutateAll, mutationArbitrary, sameBytes, type FuzzProperty } from './fuzz.js';

function fail(message: string): never {
  throw new Error(message);
}

/** Line operations one activation and one command may take; more is a hang (the clock is modelled, a loop would never end). */
const LINE_BUDGET = 20_000;

class LineBudgetExceeded extends Error {
  override name = 'LineBudgetExceeded';
}

/** The simulated line, counting what the reader does on it: past the budget every operation throws. */
class GuardedLine implements CardLine {
  readonly #line: SimCardLine;
  #operations = 0;

  constructor(line: SimCardLine) {
    this.#line = line;
  }

  get cardPresent(): boolean {
    return this.#line.cardPresent;
  }

  get onInserted(): (() => void) | null {
    return this.#line.onInserted;
  }

  set onInserted(handler: (() => void) | null) {
    this.#line.onInserted = handler;
  }

  get onRemoved(): (() => void) | null {
    return this.#line.onRemoved;
  }

  set onRemoved(handler: (() => void) | null) {
    this.#line.onRemoved = handler;
  }

  get clockHz(): number {
    return this.#line.clockHz;
  }

  #count(): void {
    if (++this.#operations > LINE_BUDGET) throw new LineBudgetExceeded(`over ${LINE_BUDGET} line operations (${this.#line.now.toFixed(1)} s modelled): the reader does not stop`);
  }

  activate(): Promise<void> {
    this.#count();
    return this.#line.activate();
  }

  warmReset(): Promise<void> {
    this.#count();
    return this.#line.warmReset();
  }

  configure(settings: LineSettings): void {
    this.#line.configure(settings);
  }

  send(raw: Uint8Array): Promise<void> {
    this.#count();
    return this.#line.send(raw);
  }

  receive(timeoutEtu: number): Promise<number> {
    this.#count();
    return this.#line.receive(timeoutEtu);
  }

  receiveRun(count: number, firstTimeoutEtu: number, gapTimeoutEtu: number): Promise<LineRun> {
    this.#count();
    return this.#line.receiveRun(count, firstTimeoutEtu, gapTimeoutEtu);
  }

  available(): number {
    this.#count();
    return this.#line.available();
  }

  deactivate(): Promise<void> {
    this.#count();
    return this.#line.deactivate();
  }

  eject(): Promise<void> {
    return this.#line.eject();
  }
}

/** A chip that sends an ATR at every reset and, each time the terminal has finished a write, the next chunk of a script. */
class ScriptedByteCard implements ByteCard {
  readonly label = 'scripted';
  readonly #atr: Uint8Array;
  readonly #chunks: readonly Uint8Array[];
  #next = 0;
  #contacts: CardContacts | null = null;

  constructor(atr: Uint8Array, chunks: readonly Uint8Array[]) {
    this.#atr = atr;
    this.#chunks = chunks;
  }

  reset(contacts: CardContacts): void {
    this.#contacts = contacts;
    contacts.send(this.#atr);
  }

  powerOff(): void {
    this.#contacts = null;
  }

  receive(): void {}

  sendFailed(): void {}

  idle(): void {
    const chunk = this.#chunks[this.#next++];
    if (chunk && this.#contacts) this.#contacts.send(chunk, 2);
  }
}

/** What a reader call may end with: a value, or one of the documented protocol errors (anything else is rethrown). */
async function documented<T>(what: string, action: () => Promise<T>): Promise<T | null> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof AtrError || error instanceof CardMuteError) return null;
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    fail(`${what}: ${text}, not a documented protocol error`);
  }
}

// ---------------------------------------------------------------------------------------------
// Inputs

const byte = fc.integer({ min: 0, max: 255 });
/** The ATR with its TCK appended (XOR of T0..TCK zero). */
function withTck(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + 1);
  out.set(body);
  out[body.length] = body.subarray(1).reduce((x, b) => x ^ b, 0);
  return out;
}

/** ATRs that drive the reader down each path: T=1 only (no PPS), T=0 only, the card's own (PPS to TA1 96), CRC, inverse convention, specific mode (TA2). */
const ATRS: readonly Uint8Array[] = Object.freeze([
  withTck(fromHex('3B808131FE45')),
  fromHex('3B00'),
  answerToReset(),
  cardAtr({ edc: 'crc' }),
  fromHex('3F6525002C09699000'),
  fromHex('3B801001'),
]);

const atr = fc.oneof(
  fc.constantFrom(...ATRS),
  fc.tuple(fc.constantFrom(...ATRS), fc.array(mutationArbitrary, { minLength: 1, maxLength: 3 })).map(([genuine, mutations]) => mutateAll(genuine, mutations)),
  fc.uint8Array({ maxLength: 36 }),
  fc.uint8Array({ minLength: 1, maxLength: 20 }).map((body) => withTck(Uint8Array.from([0x3b, ...body]))),
);

/** Chunks a chip might send: T=1 blocks (valid or not), T=0 procedure bytes and status words, noise. */
const edc = fc.constantFrom<Edc>('lrc', 'crc');
const block = fc.oneof(
  fc.tuple(fc.nat(1), fc.boolean(), fc.uint8Array({ maxLength: 40 })).map(([ns, more, inf]) => iBlock(ns, more, inf)),
  fc.tuple(fc.nat(1), fc.nat(3)).map(([nr, error]) => rBlock(nr, error)),
  fc.tuple(fc.constantFrom(S_KIND.RESYNCH, S_KIND.IFS, S_KIND.ABORT, S_KIND.WTX, 5), fc.boolean(), fc.uint8Array({ maxLength: 2 })).map(([type, response, inf]) => sBlock(type, response, inf)),
);
const chunk = fc.oneof(
  fc.tuple(block, edc, fc.constantFrom(0, 0, 0x21)).map(([b, e, nad]) => encodeBlock(b, e, nad)),
  fc.tuple(block, edc, fc.array(mutationArbitrary, { minLength: 1, maxLength: 2 })).map(([b, e, mutations]) => mutateAll(encodeBlock(b, e), mutations)),
  fc.constantFrom(Uint8Array.of(0xff, 0x11, 0x96, 0x78), Uint8Array.of(0xff, 0x01, 0xfe), Uint8Array.of(0x60), Uint8Array.of(0x90, 0x00), Uint8Array.of(0x61, 0x04), Uint8Array.of(0x6c, 0x08)),
  fc.tuple(byte, fc.uint8Array({ maxLength: 12 })).map(([procedure, data]) => Uint8Array.from([procedure, ...data])),
  fc.uint8Array({ maxLength: 60 }),
);
const command = fc.constantFrom(...CASES.map(([, hex]) => fromHex(hex)));

/** Faults on chosen characters (by direction and index), each of any kind. */
const fault: fc.Arbitrary<Fault> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant('corrupt' as const), bits: fc.tuple(fc.nat(7), fc.nat(7)).filter(([a, b]) => a !== b) }),
  fc.record({ kind: fc.constant('drop' as const) }),
  fc.record({ kind: fc.constant('extra' as const), byte }),
);
const placed = (kinds: fc.Arbitrary<Fault>, count: number) => fc.array(fc.record({
  direction: fc.constantFrom<Direction>('to-card', 'to-terminal'),
  index: fc.nat({ max: 400 }),
  attempt: fc.nat(1),
  fault: kinds,
}), { minLength: 1, maxLength: count });
type Placed = { direction: Direction; index: number; attempt: number; fault: Fault };

/**
 * The faults as a plan that acts only while armed, indices counted from the first character
 * after the first arming in each direction: activation runs on a quiet line, as in the soak of
 * tests/iso7816-line.test.ts, or a PPS lost to noise would fall back to T=0 (§9.3).
 */
function armedPlan(faults: readonly Placed[]): { readonly plan: FaultPlan; armed: boolean } {
  const base: Partial<Record<Direction, number>> = {};
  const state = {
    armed: false,
    plan: ((c) => {
      if (!state.armed) return null;
      const index = c.index - (base[c.direction] ??= c.index);
      return faults.find((f) => f.direction === c.direction && f.index === index && f.attempt === c.attempt)?.fault ?? null;
    }) as FaultPlan,
  };
  return state;
}

/**
 * The real card (the echo card behind SimByteCard's ATR, PPS, T=0/T=1) on a line with `faults`
 * from the first character: activation, then `commands`. An answer handed up must be the card's
 * own; a command that ends in an error is followed by a new activation.
 */
async function genuineWithFaults(options: { atr?: Uint8Array; t0?: boolean; faults: readonly Placed[]; commands: readonly Uint8Array[] }): Promise<void> {
  const device: ApduCard = echoCard();
  const faults = armedPlan(options.faults);
  const line = new SimCardLine({ card: new SimByteCard(device, options.atr ? { atr: options.atr } : {}), faults: faults.plan });
  const reader = new ProtocolReader(new GuardedLine(line), options.t0 ? { preferT1: false } : {});
  const protocol = options.t0 ? 0 : 1;
  // T=0 has no way back into step after an error but a new activation; T=1 only once RESYNCH failed.
  let reactivate = true;
  for (const command of options.commands) {
    if (reactivate) {
      faults.armed = false;
      await reader.powerOn();
      if (reader.session?.protocol !== protocol) fail(`activation on a quiet line settled T=${reader.session?.protocol}, not T=${protocol}`);
      reactivate = false;
    }
    faults.armed = true;
    const answer = await documented(`transmit ${toHex(command).slice(0, 16)}`, () => reader.transmit(command));
    if (answer === null) {
      reactivate = protocol === 0 || reader.t1?.dead === true;
      continue;
    }
    const expected = device.process(command);
    if (!sameBytes(answer, expected)) fail(`T=${reader.session?.protocol}: a wrong answer handed up for ${toHex(command).slice(0, 16)}: ${toHex(answer).slice(0, 40)}, the card said ${toHex(expected).slice(0, 40)}`);
  }
}

const properties: FuzzProperty<any>[] = [
  {
    name: 'parseAtr on arbitrary and mutated ATRs: never throws, valid only without problems, requireValidAtr throws only AtrError',
    runs: 10000,
    input: atr,
    check(bytes: Uint8Array) {
      const parsed = parseAtr(bytes);
      if (parsed.valid !== (parsed.problems.length === 0)) fail(`valid ${parsed.valid} with problems ${JSON.stringify(parsed.problems)}`);
      describeAtr(parsed);
      for (let n = 0; n <= bytes.length; n++) expectedAtrLength(bytes.subarray(0, n));
      if (parsed.valid && expectedAtrLength(bytes) !== bytes.length) fail(`a valid ATR of ${bytes.length} bytes, expectedAtrLength says ${expectedAtrLength(bytes)}`);
      try {
        requireValidAtr(parsed);
        if (!parsed.valid) fail('requireValidAtr took an invalid ATR');
      } catch (error) {
        if (!(error instanceof AtrError)) throw error;
        if (parsed.valid) fail('requireValidAtr refused a valid ATR');
      }
    },
  } satisfies FuzzProperty<Uint8Array>,
  {
    name: 'a chip sending an arbitrary ATR and byte streams: activation and one command end in a value or a documented error, within budget',
    runs: 4000,
    input: fc.record({ atr, chunks: fc.array(chunk, { maxLength: 8 }), command, t0: fc.boolean() }),
    async check({ atr: bytes, chunks, command: apdu, t0 }: { atr: Uint8Array; chunks: Uint8Array[]; command: Uint8Array; t0: boolean }) {
      const line = new SimCardLine({ card: new ScriptedByteCard(bytes, chunks) });
      const reader = new ProtocolReader(new GuardedLine(line), t0 ? { preferT1: false } : {});
      if ((await documented('powerOn', () => reader.powerOn())) === null) return;
      await documented('transmit', () => reader.transmit(apdu));
      await documented('transmit after', () => reader.transmit(apdu));
    },
  } satisfies FuzzProperty<{ atr: Uint8Array; chunks: Uint8Array[]; command: Uint8Array; t0: boolean }>,
  {
    name: 'T=1 with CRC, up to 3 faults of any kind on chosen characters: the card\'s own answer or a documented error',
    runs: 1000,
    input: fc.record({ faults: placed(fault, 3), commands: fc.array(command, { minLength: 1, maxLength: 3 }) }),
    async check({ faults, commands }: { faults: Placed[]; commands: Uint8Array[] }) {
      await genuineWithFaults({ atr: cardAtr({ edc: 'crc' }), faults, commands });
    },
  } satisfies FuzzProperty<{ faults: Placed[]; commands: Uint8Array[] }>,
  {
    name: 'T=1 with LRC, one fault of any kind: the card\'s own answer or a documented error',
    runs: 800,
    input: fc.record({ faults: placed(fault, 1), commands: fc.array(command, { minLength: 1, maxLength: 3 }) }),
    async check({ faults, commands }: { faults: Placed[]; commands: Uint8Array[] }) {
      await genuineWithFaults({ faults, commands });
    },
  } satisfies FuzzProperty<{ faults: Placed[]; commands: Uint8Array[] }>,
  {
    name: 'T=0 with up to 3 flipped or lost characters: the card\'s own answer or a documented error',
    runs: 1000,
    input: fc.record({
      faults: placed(fc.oneof(fc.record({ kind: fc.constant('flip' as const), bit: fc.nat(7) }), fc.record({ kind: fc.constant('drop' as const) })), 3),
      commands: fc.array(command, { minLength: 1, maxLength: 3 }),
    }),
    async check({ faults, commands }: { faults: Placed[]; commands: Uint8Array[] }) {
      await genuineWithFaults({ t0: true, faults, commands });
    },
  } satisfies FuzzProperty<{ faults: Placed[]; commands: Uint8Array[] }>,
];

describe('fuzz: ISO/IEC 7816-3 ATR, T=0 and T=1 receivers (firmware/iso7816)', function () {
  fuzzTarget('ATR, T=0 and T=1', 'iso7816', properties);
});
