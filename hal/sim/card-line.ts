// A simulated card line: the terminal's CardLine joined to a byte-level card (card/iso7816) by one
// I/O wire with a modelled clock. Time is virtual (seconds since the line was made): characters
// take (12 + N) etu at the current Fi/Di, receive() timeouts move the clock, nothing waits for real.
// Faults are injected per character: flipped bits (parity error), corruptions that keep the parity
// right, dropped and extra characters; in T=0 the error signal and repetition of §7.3 run on both
// sides, up to maxRepetitions, after which the sender gives up.
import { CardRemovedError } from '../reader.js';
import { DEFAULT_LINE_SETTINGS, LINE, type CardLine, type LineSettings } from '../card-line.js';
import { LineParityError } from '../../firmware/iso7816/errors.js';
import { DEFAULTS } from '../../firmware/iso7816/timing.js';
import type { ByteCard, CardContacts } from '../../card/iso7816/contacts.js';

export type Direction = 'to-card' | 'to-terminal';

export type Fault =
  /** One data bit flipped: the parity check catches it. */
  | { readonly kind: 'flip'; readonly bit?: number }
  /** Two data bits flipped (bits b1 and b2, default 0 and 7): parity still right; only an EDC (T=1) can catch it. */
  | { readonly kind: 'corrupt'; readonly bits?: readonly [number, number] }
  | { readonly kind: 'drop' }
  /** An extra character on the line just before this one. */
  | { readonly kind: 'extra'; readonly byte?: number };

export interface CharacterContext {
  readonly direction: Direction;
  /** Characters sent in this direction since the line was made (repetitions share the index). */
  readonly index: number;
  /** 0 for the first sending, 1.. for repetitions after an error signal. */
  readonly attempt: number;
  readonly raw: number;
}

export type FaultPlan = (character: CharacterContext) => Fault | null;

export interface LineStats {
  /** Characters on the wire, repetitions and extra characters included. */
  readonly toCard: number;
  readonly toTerminal: number;
  readonly repetitions: number;
  readonly faults: number;
  /** Modelled time on the line, seconds. */
  readonly seconds: number;
}

/** Fault plans for tests. */
export const FAULTS = Object.freeze({
  none: (() => null) as FaultPlan,
  /** `fault` on the index-th character of `direction`, on its first `times` sendings. */
  at(direction: Direction, index: number, fault: Fault, times = 1): FaultPlan {
    return (c) => (c.direction === direction && c.index === index && c.attempt < times ? fault : null);
  },
  /** Each character (first sending and repetitions alike) hit with probability `rate`, seeded. */
  random(seed: number, rate: number, kinds: readonly Fault['kind'][], directions: readonly Direction[] = ['to-card', 'to-terminal']): FaultPlan {
    let state = seed >>> 0 || 1;
    const next = (): number => {
      state ^= state << 13; state >>>= 0;
      state ^= state >>> 17;
      state ^= state << 5; state >>>= 0;
      return state / 0x1_0000_0000;
    };
    return (c) => {
      if (!directions.includes(c.direction)) return null;
      const roll = next();
      if (roll >= rate) return null;
      const kind = kinds[Math.floor(next() * kinds.length)]!;
      if (kind === 'flip') return { kind, bit: Math.floor(next() * 8) };
      if (kind === 'extra') return { kind, byte: Math.floor(next() * 256) };
      if (kind === 'corrupt') {
        const first = Math.floor(next() * 8);
        return { kind, bits: [first, (first + 1 + Math.floor(next() * 7)) % 8] };
      }
      return { kind };
    };
  },
  all(...plans: FaultPlan[]): FaultPlan {
    return (c) => {
      for (const plan of plans) {
        const fault = plan(c);
        if (fault) return fault;
      }
      return null;
    };
  },
});

interface InFlight {
  readonly at: number;
  readonly raw: number;
  /** A fault flipped one bit. */
  readonly flipped: boolean;
  /** The sender's settings: parity sense and rate are checked against the receiver's on arrival. */
  readonly sender: LineSettings;
}

export interface SimCardLineOptions {
  /** Where the card comes from: a fixed card, or a function (e.g. whatever sits in a sim slot). */
  readonly card?: ByteCard | (() => ByteCard | null);
  readonly clockHz?: number;
  readonly faults?: FaultPlan;
  /** Repetitions of one character after error signals before the sender gives up (§7.3). */
  readonly maxRepetitions?: number;
}

const TS_DELAY_CYCLES = 1_000; // TS comes 400..40,000 cycles after RST (§8.1)

export class SimCardLine implements CardLine {
  onInserted: (() => void) | null = null;
  onRemoved: (() => void) | null = null;
  readonly clockHz: number;
  faults: FaultPlan;
  readonly #maxRepetitions: number;
  #fixed: ByteCard | null = null;
  readonly #source: (() => ByteCard | null) | null;
  #powered: ByteCard | null = null;
  #terminal: LineSettings = DEFAULT_LINE_SETTINGS;
  #card: LineSettings = DEFAULT_LINE_SETTINGS;
  #queue: InFlight[] = [];
  #now = 0;
  #cardClock = 0;
  #lineFree = 0;
  #toCardIndex = 0;
  #toTerminalIndex = 0;
  #stats = { toCard: 0, toTerminal: 0, repetitions: 0, faults: 0, start: 0 };

  constructor(options: SimCardLineOptions = {}) {
    this.clockHz = options.clockHz ?? DEFAULTS.clockHz;
    this.faults = options.faults ?? FAULTS.none;
    this.#maxRepetitions = options.maxRepetitions ?? 3;
    if (typeof options.card === 'function') this.#source = options.card;
    else {
      this.#source = null;
      this.#fixed = options.card ?? null;
    }
  }

  get cardPresent(): boolean {
    return this.#currentCard() !== null;
  }

  /** Modelled seconds since the line was made. */
  get now(): number {
    return this.#now;
  }

  get stats(): LineStats {
    const s = this.#stats;
    return { toCard: s.toCard, toTerminal: s.toTerminal, repetitions: s.repetitions, faults: s.faults, seconds: this.#now - s.start };
  }

  resetStats(): void {
    this.#stats = { toCard: 0, toTerminal: 0, repetitions: 0, faults: 0, start: this.#now };
  }

  insert(card: ByteCard): void {
    if (this.#source) throw new Error('this line takes its card from a slot');
    this.#fixed = card;
    this.onInserted?.();
  }

  remove(): void {
    this.#fixed = null;
    this.#powered = null;
    this.onRemoved?.();
  }

  async activate(): Promise<void> {
    this.#reset(true);
  }

  async warmReset(): Promise<void> {
    this.#reset(false);
  }

  configure(settings: LineSettings): void {
    this.#terminal = Object.freeze({ ...settings });
  }

  async send(raw: Uint8Array): Promise<void> {
    const card = this.#require();
    for (const char of raw) {
      const index = this.#toCardIndex++;
      for (let attempt = 0; ; attempt++) {
        const fault = this.faults({ direction: 'to-card', index, attempt, raw: char });
        if (fault) this.#stats.faults++;
        if (fault?.kind === 'extra') this.#deliverToCard(card, fault.byte ?? 0x00, false);
        // The terminal's UART does not pause for the card: overlapping characters collide at the card.
        this.#now += this.#charSeconds(this.#terminal);
        this.#stats.toCard++;
        if (fault?.kind === 'drop') break;
        const received = damage(char, fault);
        const parityError = (fault?.kind === 'flip') !== (this.#terminal.parity !== this.#card.parity) || !this.#sameRate();
        if (parityError && this.#terminal.errorSignal && this.#card.errorSignal) {
          this.#stats.repetitions++;
          this.#now += 2 * this.#etuSeconds(this.#terminal); // error signal, then the repetition (§7.3)
          if (attempt < this.#maxRepetitions) continue;
          throw new LineParityError(`the card signalled a parity error on character ${char.toString(16)} ${attempt + 1} times`);
        }
        this.#deliverToCard(card, this.#sameRate() ? received : garble(received), parityError);
        break;
      }
      if (this.#powered !== card) return;
    }
    // The terminal's write is over: it receives (BGT at least) before it sends again.
    card.idle?.();
  }

  async receive(timeoutEtu: number): Promise<number> {
    this.#require();
    const deadline = this.#now + timeoutEtu * this.#etuSeconds(this.#terminal);
    const head = this.#queue[0];
    if (head && head.at <= deadline) {
      this.#queue.shift();
      this.#now = Math.max(this.#now, head.at);
      const sameRate = head.sender.fi === this.#terminal.fi && head.sender.di === this.#terminal.di;
      const parityError = head.flipped !== (head.sender.parity !== this.#terminal.parity) || !sameRate;
      return (sameRate ? head.raw : garble(head.raw)) | (parityError ? LINE.PARITY_ERROR : 0);
    }
    this.#now = Math.max(this.#now, deadline);
    return LINE.TIMEOUT;
  }

  async deactivate(): Promise<void> {
    this.#powered?.powerOff();
    this.#powered = null;
    this.#queue = [];
  }

  async eject(): Promise<void> {
    await this.deactivate();
  }

  #currentCard(): ByteCard | null {
    return this.#source ? this.#source() : this.#fixed;
  }

  #require(): ByteCard {
    const card = this.#currentCard();
    if (!card) throw new CardRemovedError('no card on the line');
    if (this.#powered !== card) throw new CardRemovedError('the card on the line is not powered: activate first');
    return card;
  }

  #reset(cold: boolean): void {
    const card = this.#currentCard();
    if (!card) throw new CardRemovedError('no card on the line');
    if (!cold && this.#powered !== card) throw new CardRemovedError('warm reset of a card that is not powered');
    this.#terminal = DEFAULT_LINE_SETTINGS;
    this.#card = DEFAULT_LINE_SETTINGS;
    this.#queue = [];
    this.#powered = card;
    this.#now = Math.max(this.#now, this.#lineFree);
    this.#cardClock = this.#now + TS_DELAY_CYCLES / this.clockHz;
    card.reset(this.#contacts(card), cold);
  }

  #contacts(card: ByteCard): CardContacts {
    return {
      clockHz: this.clockHz,
      send: (raw, delayEtu = 0) => (this.#powered === card ? this.#sendToTerminal(card, raw, delayEtu) : this.#now),
      configure: (settings) => {
        if (this.#powered === card) this.#card = Object.freeze({ ...settings });
      },
    };
  }

  #deliverToCard(card: ByteCard, raw: number, parityError: boolean): void {
    this.#cardClock = this.#now;
    this.#lineFree = this.#now;
    card.receive(raw, parityError, this.#now);
  }

  #sendToTerminal(card: ByteCard, raw: Uint8Array, delayEtu: number): number {
    const settings = this.#card;
    const charTime = this.#charSeconds(settings);
    let at = Math.max(this.#cardClock + delayEtu * this.#etuSeconds(settings), this.#lineFree);
    for (const char of raw) {
      const index = this.#toTerminalIndex++;
      for (let attempt = 0; ; attempt++) {
        const fault = this.faults({ direction: 'to-terminal', index, attempt, raw: char });
        if (fault) this.#stats.faults++;
        if (fault?.kind === 'extra') {
          at += charTime;
          this.#stats.toTerminal++;
          this.#queue.push({ at, raw: fault.byte ?? 0x00, flipped: false, sender: settings });
        }
        at += charTime;
        this.#stats.toTerminal++;
        if (fault?.kind === 'drop') break;
        const parityError = (fault?.kind === 'flip') !== (this.#terminal.parity !== settings.parity) || !this.#sameRate();
        if (parityError && this.#terminal.errorSignal && settings.errorSignal) {
          this.#stats.repetitions++;
          at += 2 * this.#etuSeconds(settings);
          if (attempt < this.#maxRepetitions) continue;
          this.#lineFree = at;
          card.sendFailed();
          return at;
        }
        this.#queue.push({ at, raw: damage(char, fault), flipped: fault?.kind === 'flip', sender: settings });
        break;
      }
    }
    this.#lineFree = at;
    this.#cardClock = at;
    return at;
  }

  #sameRate(): boolean {
    return this.#terminal.fi === this.#card.fi && this.#terminal.di === this.#card.di;
  }

  #etuSeconds(settings: LineSettings): number {
    return settings.fi / (settings.di * this.clockHz);
  }

  #charSeconds(settings: LineSettings): number {
    return settings.guardEtu * this.#etuSeconds(settings);
  }
}

/** A character as a fault leaves it: one bit flipped, or two (parity kept). */
export function damage(raw: number, fault: Fault | null): number {
  if (fault?.kind === 'flip') return raw ^ (1 << ((fault.bit ?? 0) & 7));
  if (fault?.kind === 'corrupt') return raw ^ (1 << (fault.bits?.[0] ?? 0)) ^ (1 << (fault.bits?.[1] ?? 7));
  return raw;
}

/** What a UART reads from characters sent at another rate. */
export function garble(raw: number): number {
  return (raw * 37 + 11) & 0xff;
}
