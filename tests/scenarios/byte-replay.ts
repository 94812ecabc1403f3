// The card's side of the ISO 7816-3 byte line, recorded and replayed (engine-neutral). On Node a
// RecordingByteCard sits between the simulated line (hal/sim/card-line.ts) and the real byte card
// (card/iso7816/byte-card.ts) and writes down what the terminal writes and what the card does after
// each of its characters: the characters it sends (ATR, PPS answer, T=1 blocks or T=0 procedure
// bytes and data, as on the wire) and its UART settings. Inside XS a ReplayByteCard does only
// that again from Uint8Arrays prepared before the flow: no hex, no ATR/PPS/T=1 work of the card,
// so the device runner charges the terminal's side of the line alone. Any character the terminal
// writes other than the recorded one makes it go mute and keep a ReplayMismatch.
import type { LineSettings } from '../../hal/card-line.js';
import { fromHex, toHex } from '../../firmware/protocol/bytes.js';
import type { ByteCard, CardContacts } from '../../card/iso7816/contacts.js';

export class ReplayMismatch extends Error {
  override name = 'ReplayMismatch';
}

/**
 * What the card does after `at` characters of the terminal's message have arrived (0: at the
 * reset, or before the first): sends raw characters (`send`, hex) `delayEtu` etu after the last
 * character on the line, or sets its UART (`configure`).
 */
export type ByteLineAct =
  | { readonly at: number; readonly send: string; readonly delayEtu: number }
  | { readonly at: number; readonly configure: LineSettings };

/**
 * One step on the byte line: a reset (`terminal` null) or one message of the terminal (the raw
 * characters it writes, hex, until the card answers), and what the card does meanwhile, in order.
 */
export interface ByteLineStep {
  readonly terminal: string | null;
  readonly acts: readonly ByteLineAct[];
}

/** A ByteLineAct decoded for replay: `send` null for a configure, `configure` null for a send. */
export interface ReplayAct {
  readonly at: number;
  readonly send: Uint8Array | null;
  readonly delayEtu: number;
  readonly configure: LineSettings | null;
}

/** A ByteLineStep decoded for replay: `terminal` the raw characters expected, null for a reset. */
export interface ReplayStep {
  readonly terminal: Uint8Array | null;
  readonly acts: readonly ReplayAct[];
}

/** Decodes a recorded byte line for a ReplayByteCard (do it before the measured flow: it parses hex). */
export function prepareByteLine(steps: readonly ByteLineStep[]): ReplayStep[] {
  return steps.map((step) => Object.freeze({
    terminal: step.terminal === null ? null : fromHex(step.terminal),
    acts: Object.freeze(step.acts.map((act): ReplayAct => Object.freeze('send' in act
      ? { at: act.at, send: fromHex(act.send), delayEtu: act.delayEtu, configure: null }
      : { at: act.at, send: null, delayEtu: 0, configure: Object.freeze({ ...act.configure }) }))),
  }));
}

/** A step in which the card answers the terminal's whole message (`terminal`, raw) with `answer` after `delayEtu`. */
export function answerStep(terminal: Uint8Array, answer: Uint8Array, delayEtu: number): ReplayStep {
  return Object.freeze({ terminal, acts: Object.freeze([Object.freeze({ at: terminal.length, send: answer, delayEtu, configure: null })]) });
}

// The replay's state, behind one private field read once per call: the card's work should cost
// the terminal as little as can be.
interface ReplayState {
  readonly steps: readonly ReplayStep[];
  contacts: CardContacts | null;
  /** Index of the current step (-1 before the first reset), characters of it heard, its next act. */
  step: number;
  heard: number;
  act: number;
  mismatch: ReplayMismatch | null;
}

// Functions, not private methods: esbuild lowers those into two frames each, on the stack the
// card shares with the terminal in the simulation.

/** Does the current step's acts from `state.act` on while they are due after `state.heard` characters. */
function perform(state: ReplayState, contacts: CardContacts): void {
  const acts = state.steps[state.step]!.acts;
  let next = state.act;
  for (let act = acts[next]; act && act.at <= state.heard; act = acts[++next]) {
    if (act.send) contacts.send(act.send, act.delayEtu);
    else contacts.configure(act.configure!);
  }
  state.act = next;
}

function stepDone(state: ReplayState): boolean {
  if (state.step < 0) return true;
  const step = state.steps[state.step]!;
  return state.heard === (step.terminal === null ? 0 : step.terminal.length) && state.act === step.acts.length;
}

function fail(state: ReplayState, message: string): void {
  state.mismatch ??= new ReplayMismatch(message);
}

const hex2 = (byte: number | undefined): string => (byte === undefined ? 'nothing' : byte.toString(16).padStart(2, '0'));

/**
 * A card that only replays: at each reset and after each character of the terminal it does what
 * the step's acts say, having compared the character with the recorded one. On the first
 * difference (another character, a parity error, a reset or a character the recording does not
 * have) it keeps a ReplayMismatch in `mismatch` and goes mute, so the terminal sees a dead card and
 * the caller names the real cause.
 */
export class ReplayByteCard implements ByteCard {
  readonly label: string;
  readonly #state: ReplayState;

  constructor(label: string, steps: readonly ReplayStep[]) {
    this.label = label;
    this.#state = { steps, contacts: null, step: -1, heard: 0, act: 0, mismatch: null };
  }

  /** Steps begun so far (resets and terminal messages). */
  get position(): number {
    return this.#state.step + 1;
  }

  /** The first difference from the recording, or null. */
  get mismatch(): ReplayMismatch | null {
    return this.#state.mismatch;
  }

  /** Whether every step was replayed to its end without a difference. */
  get finished(): boolean {
    const state = this.#state;
    return state.mismatch === null && state.step + 1 === state.steps.length && stepDone(state);
  }

  reset(contacts: CardContacts, cold: boolean): void {
    const state = this.#state;
    state.contacts = contacts;
    if (state.mismatch) return;
    const at = state.step;
    const next = state.steps[at + 1];
    if (!stepDone(state)) return fail(state, `step ${at}: the terminal reset the card after ${state.heard} of ${state.steps[at]!.terminal!.length} characters`);
    if (!next) return fail(state, `the terminal ${cold ? 'cold' : 'warm'} reset the card after the recording ended (${state.steps.length} steps)`);
    if (next.terminal !== null) return fail(state, `step ${at + 1}: the terminal reset the card where the recording has it write ${toHex(next.terminal.subarray(0, 8))}…`);
    state.step = at + 1;
    state.heard = 0;
    state.act = 0;
    perform(state, contacts);
  }

  powerOff(): void {
    this.#state.contacts = null;
  }

  sendFailed(): void {
    fail(this.#state, `step ${this.#state.step}: the terminal kept signalling parity errors on the card's characters`);
  }

  receive(raw: number, parityError: boolean): void {
    const state = this.#state;
    const contacts = state.contacts;
    if (state.mismatch || !contacts) return;
    if (stepDone(state)) {
      const next = state.steps[state.step + 1];
      if (!next || next.terminal === null) return fail(state, `step ${state.step + 1}: the terminal wrote ${hex2(raw)} where the recording has ${next ? 'a reset' : 'ended'}`);
      state.step++;
      state.heard = 0;
      state.act = 0;
    }
    const expected = state.steps[state.step]!.terminal!;
    const heard = state.heard;
    if (raw !== expected[heard] || parityError) {
      return fail(state, `step ${state.step}: the terminal wrote ${hex2(raw)}${parityError ? ' (parity error)' : ''} as character ${heard} of ${toHex(expected)}, the recording has ${hex2(expected[heard])}`);
    }
    state.heard = heard + 1;
    perform(state, contacts);
  }
}

interface OpenStep {
  terminal: number[] | null;
  readonly acts: ByteLineAct[];
  answered: boolean;
}

/**
 * Passes everything to `card` and writes down the byte line as ByteLineSteps: a step per reset
 * and per message of the terminal (its characters until the card next sends something).
 */
export class RecordingByteCard implements ByteCard {
  readonly label: string;
  readonly #card: ByteCard;
  readonly #steps: OpenStep[] = [];

  constructor(card: ByteCard) {
    this.label = card.label;
    this.#card = card;
  }

  /** The line so far. */
  get steps(): ByteLineStep[] {
    return this.#steps.map((step) => ({ terminal: step.terminal === null ? null : toHex(Uint8Array.from(step.terminal)), acts: [...step.acts] }));
  }

  get stepCount(): number {
    return this.#steps.length;
  }

  reset(contacts: CardContacts, cold: boolean): void {
    const step: OpenStep = { terminal: null, acts: [], answered: false };
    this.#steps.push(step);
    this.#card.reset({
      clockHz: contacts.clockHz,
      send: (raw, delayEtu = 0) => {
        const current = this.#current();
        current.acts.push({ at: current.terminal?.length ?? 0, send: toHex(raw), delayEtu });
        current.answered = true;
        return contacts.send(raw, delayEtu);
      },
      configure: (settings) => {
        const current = this.#current();
        current.acts.push({ at: current.terminal?.length ?? 0, configure: { ...settings } });
        contacts.configure(settings);
      },
    }, cold);
  }

  powerOff(): void {
    this.#card.powerOff();
  }

  receive(raw: number, parityError: boolean, at: number): void {
    let current = this.#steps[this.#steps.length - 1];
    if (!current || current.answered || current.terminal === null) {
      current = { terminal: [], acts: [], answered: false };
      this.#steps.push(current);
    }
    current.terminal!.push(raw);
    this.#card.receive(raw, parityError, at);
  }

  idle(): void {
    this.#card.idle?.();
  }

  sendFailed(): void {
    this.#card.sendFailed();
  }

  #current(): OpenStep {
    return this.#steps[this.#steps.length - 1]!;
  }
}
