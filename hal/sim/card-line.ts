// A simulated card line: the terminal's CardLine joined to a byte-level card (card/iso7816) by one
// I/O wire with a modelled clock. Time is virtual (seconds since the line was made): characters
// take (12 + N) etu at the current Fi/Di, receive() timeouts move the clock, nothing waits for real.
// Faults are injected per character: flipped bits (parity error), corruptions that keep the parity
// right, dropped and extra characters; in T=0 the error signal and repetition of §7.3 run on both
// sides, up to maxRepetitions, after which the sender gives up.
import { CardRemovedError } from '../reader.js';
import { DEFAULT_LINE_SETTINGS, LINE, NO_PARITY_ERRORS, type CardLine, type LineRun, type LineSettings } from '../card-line.js';
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

/** A queued character's mark: FLIPPED when a fault flipped one of its bits, the sender's index above it. */
const FLIPPED = 1;
const SENDER_SHIFT = 1;
/**
 * Room for characters towards the terminal at first: a T=1 block (259 at most) or a T=0 answer of
 * 256 data bytes with its procedure byte and SW1 SW2 fit without growing; doubled when more queue up.
 */
const QUEUE_START = 320;

export interface SimCardLineOptions {
  /** Where the card comes from: a fixed card, or a function (e.g. whatever sits in a sim slot). */
  readonly card?: ByteCard | (() => ByteCard | null);
  readonly clockHz?: number;
  readonly faults?: FaultPlan;
  /** Repetitions of one character after error signals before the sender gives up (§7.3). */
  readonly maxRepetitions?: number;
  /** Sees what crosses the contacts (a protocol analyser on the I/O wire); nothing by default. */
  readonly wiretap?: LineWiretap;
}

/**
 * A listener on the I/O contact: each run of characters as its sender put it on the wire (before
 * any injected fault), and each power-on and power-off of the card. Times are the line's modelled
 * seconds. What it is handed is its own copy.
 */
export interface LineWiretap {
  characters(direction: Direction, bytes: Uint8Array, atSeconds: number): void;
  power(on: boolean, atSeconds: number): void;
}

const TS_DELAY_CYCLES = 1_000; // TS comes 400..40,000 cycles after RST (§8.1)

export class SimCardLine implements CardLine {
  onInserted: (() => void) | null = null;
  onRemoved: (() => void) | null = null;
  readonly clockHz: number;
  faults: FaultPlan;
  readonly #maxRepetitions: number;
  readonly #wiretap: LineWiretap | null;
  #fixed: ByteCard | null = null;
  readonly #source: (() => ByteCard | null) | null;
  #powered: ByteCard | null = null;
  #terminal: LineSettings = DEFAULT_LINE_SETTINGS;
  #card: LineSettings = DEFAULT_LINE_SETTINGS;
  /**
   * Characters on their way to the terminal, oldest first, from #queueHead up to #queueTail: when
   * each ends on the wire (modelled seconds), its raw byte as a fault left it, and its mark
   * (FLIPPED | index in #senders << SENDER_SHIFT). Typed arrays that grow when full, so taking a
   * character is O(1) and a clean run is handed over as one copy of #queueByte.
   */
  #queueAt = new Float64Array(QUEUE_START);
  #queueByte = new Uint8Array(QUEUE_START);
  #queueMark = new Uint32Array(QUEUE_START);
  #queueHead = 0;
  #queueTail = 0;
  /** Queued characters marked FLIPPED: while there are none, a run from clean senders needs no look at the marks. */
  #flippedQueued = 0;
  /** The card's settings the queued characters went out with: parity sense and rate are checked against the terminal's on arrival. */
  #senders: LineSettings[] = [];
  /**
   * The modelled clocks, seconds, and the count of characters sent to the card, in one object the
   * send loop (which stands for one native UART write on the device) reads once.
   */
  readonly #clock = { now: 0, card: 0, lineFree: 0, toCardIndex: 0 };
  #toTerminalIndex = 0;
  #stats = { toCard: 0, toTerminal: 0, repetitions: 0, faults: 0, start: 0 };

  constructor(options: SimCardLineOptions = {}) {
    this.clockHz = options.clockHz ?? DEFAULTS.clockHz;
    this.faults = options.faults ?? FAULTS.none;
    this.#maxRepetitions = options.maxRepetitions ?? 3;
    this.#wiretap = options.wiretap ?? null;
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
    return this.#clock.now;
  }

  get stats(): LineStats {
    const s = this.#stats;
    return { toCard: s.toCard, toTerminal: s.toTerminal, repetitions: s.repetitions, faults: s.faults, seconds: this.#clock.now - s.start };
  }

  resetStats(): void {
    this.#stats = { toCard: 0, toTerminal: 0, repetitions: 0, faults: 0, start: this.#clock.now };
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
    this.#wiretap?.characters('to-card', raw.slice(), this.#clock.now);
    // What holds for every character of this call, read once (the loop runs per character, and
    // stands for a UART write that on the device is one native call); the card's settings are
    // read again after each character, as it may change them on the way (its protocol starts).
    const terminal = this.#terminal;
    const charTime = this.#charSeconds(terminal);
    const stats = this.#stats;
    const clock = this.#clock;
    let settings: LineSettings | null = null;
    let clean = false;
    for (let i = 0; i < raw.length; i++) {
      const char = raw[i]!;
      if (this.faults === FAULTS.none) {
        const current = this.#card;
        if (current !== settings) {
          settings = current;
          clean = current.parity === terminal.parity && current.fi === terminal.fi && current.di === terminal.di;
        }
        if (clean) {
          // No fault, same parity sense and rate: the character arrives as sent.
          clock.toCardIndex++;
          const now = clock.now + charTime;
          clock.now = now;
          stats.toCard++;
          clock.card = now;
          clock.lineFree = now;
          card.receive(char, false, now);
          if (this.#powered !== card) return;
          continue;
        }
      }
      const index = this.#clock.toCardIndex++;
      for (let attempt = 0; ; attempt++) {
        const fault = this.faults === FAULTS.none ? null : this.faults({ direction: 'to-card', index, attempt, raw: char });
        if (fault) this.#stats.faults++;
        if (fault?.kind === 'extra') this.#deliverToCard(card, fault.byte ?? 0x00, false);
        // The terminal's UART does not pause for the card: overlapping characters collide at the card.
        this.#clock.now += this.#charSeconds(this.#terminal);
        this.#stats.toCard++;
        if (fault?.kind === 'drop') break;
        const received = damage(char, fault);
        const parityError = (fault?.kind === 'flip') !== (this.#terminal.parity !== this.#card.parity) || !this.#sameRate();
        if (parityError && this.#terminal.errorSignal && this.#card.errorSignal) {
          this.#stats.repetitions++;
          this.#clock.now += 2 * this.#etuSeconds(this.#terminal); // error signal, then the repetition (§7.3)
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
    return this.#take(timeoutEtu);
  }

  /**
   * Up to `count` characters in one go: the queued ones are taken with their modelled arrival
   * times, the first within `firstTimeoutEtu` etu, each next within `gapTimeoutEtu` etu of the one
   * before; the clock ends where `count` receive() calls would have left it.
   */
  async receiveRun(count: number, firstTimeoutEtu: number, gapTimeoutEtu: number): Promise<LineRun> {
    this.#require();
    const terminal = this.#terminal;
    const etu = this.#etuSeconds(terminal);
    const queueAt = this.#queueAt;
    const tail = this.#queueTail;
    const head = this.#queueHead;
    let now = this.#clock.now;
    let end = head;
    let timedOut = false;
    if (count > 0) {
      // The deadlines as `count` receive() calls would meet them, in one loop without calls: the
      // first within firstTimeoutEtu of now, each next within gapTimeoutEtu of the clock after the
      // one before (the clock only moves forward).
      const first = now + firstTimeoutEtu * etu;
      if (head === tail || queueAt[head]! > first) {
        now = Math.max(now, first);
        timedOut = true;
      } else {
        now = Math.max(now, queueAt[head]!);
        const gap = gapTimeoutEtu * etu;
        const last = Math.min(tail, head + count);
        end = head + 1;
        for (; end < last; end++) {
          const at = queueAt[end]!;
          if (at > now + gap) break;
          if (at > now) now = at;
        }
        if (end - head < count) {
          now = Math.max(now, now + gap);
          timedOut = true;
        }
      }
    }
    const run = this.#taken(head, end, terminal);
    this.#clock.now = now;
    if (end === tail) this.#clearQueue();
    else this.#queueHead = end;
    return { chars: run.chars, parityErrors: run.parityErrors, timedOut };
  }

  /** Queued characters whose last bit has ended by the line's time now (CardLine.available). */
  available(): number {
    this.#require();
    const queueAt = this.#queueAt;
    const now = this.#clock.now;
    let end = this.#queueHead;
    while (end < this.#queueTail && queueAt[end]! <= now) end++;
    return end - this.#queueHead;
  }

  /**
   * The queued characters from `head` to `end` as the terminal's UART reads them: one copy when no
   * fault flipped any and every sender's parity sense and rate are the terminal's, else each
   * through arrival().
   */
  #taken(head: number, end: number, terminal: LineSettings): { chars: Uint8Array; parityErrors: readonly number[] } {
    const bytes = this.#queueByte;
    const senders = this.#senders;
    let clean = this.#flippedQueued === 0;
    for (let i = 0; clean && i < senders.length; i++) clean = sameLine(senders[i]!, terminal);
    if (clean) return { chars: bytes.slice(head, end), parityErrors: NO_PARITY_ERRORS };
    const marks = this.#queueMark;
    const chars = new Uint8Array(end - head);
    let parityErrors: number[] | null = null;
    for (let k = head; k < end; k++) {
      const mark = marks[k]!;
      if (mark & FLIPPED) this.#flippedQueued--;
      const char = arrival(bytes[k]!, mark, senders[mark >> SENDER_SHIFT]!, terminal);
      chars[k - head] = char & 0xff;
      if (char & LINE.PARITY_ERROR) (parityErrors ??= []).push(k - head);
    }
    return { chars, parityErrors: parityErrors ?? NO_PARITY_ERRORS };
  }

  /** The next queued character if it arrives within `timeoutEtu` etu (the clock moves to it), else LINE.TIMEOUT (the clock moves to the deadline). */
  #take(timeoutEtu: number): number {
    const deadline = this.#clock.now + timeoutEtu * this.#etuSeconds(this.#terminal);
    const head = this.#queueHead;
    if (head < this.#queueTail && this.#queueAt[head]! <= deadline) {
      this.#clock.now = Math.max(this.#clock.now, this.#queueAt[head]!);
      const mark = this.#queueMark[head]!;
      const char = arrival(this.#queueByte[head]!, mark, this.#senders[mark >> SENDER_SHIFT]!, this.#terminal);
      if (mark & FLIPPED) this.#flippedQueued--;
      if (head + 1 === this.#queueTail) this.#clearQueue();
      else this.#queueHead = head + 1;
      return char;
    }
    this.#clock.now = Math.max(this.#clock.now, deadline);
    return LINE.TIMEOUT;
  }

  async deactivate(): Promise<void> {
    if (this.#powered) this.#wiretap?.power(false, this.#clock.now);
    this.#powered?.powerOff();
    this.#powered = null;
    this.#clearQueue();
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
    this.#clearQueue();
    this.#powered = card;
    this.#clock.now = Math.max(this.#clock.now, this.#clock.lineFree);
    this.#clock.card = this.#clock.now + TS_DELAY_CYCLES / this.clockHz;
    this.#wiretap?.power(true, this.#clock.now);
    card.reset(this.#contacts(card), cold);
  }

  #contacts(card: ByteCard): CardContacts {
    return {
      clockHz: this.clockHz,
      send: (raw, delayEtu = 0) => (this.#powered === card ? this.#sendToTerminal(card, raw, delayEtu) : this.#clock.now),
      configure: (settings) => {
        if (this.#powered === card) this.#card = Object.freeze({ ...settings });
      },
    };
  }

  #deliverToCard(card: ByteCard, raw: number, parityError: boolean): void {
    this.#clock.card = this.#clock.now;
    this.#clock.lineFree = this.#clock.now;
    card.receive(raw, parityError, this.#clock.now);
  }

  #sendToTerminal(card: ByteCard, raw: Uint8Array, delayEtu: number): number {
    const settings = this.#card;
    const terminal = this.#terminal;
    const charTime = this.#charSeconds(settings);
    const repeatTime = 2 * this.#etuSeconds(settings); // error signal, then the repetition (§7.3)
    let at = Math.max(this.#clock.card + delayEtu * this.#etuSeconds(settings), this.#clock.lineFree);
    this.#wiretap?.characters('to-terminal', raw.slice(), at);
    // What holds for every character of this call, read once: the loop runs per character.
    const faults = this.faults === FAULTS.none ? null : this.faults;
    const senseDiffers = terminal.parity !== settings.parity;
    const rateDiffers = !this.#sameRate();
    const signalled = terminal.errorSignal && settings.errorSignal;
    const sender = this.#senderIndex(settings) << SENDER_SHIFT;
    const stats = this.#stats;
    // Room for every character, and for an extra one before each when a fault plan may add them.
    this.#reserve(faults ? 2 * raw.length : raw.length);
    const queueAt = this.#queueAt;
    const queueByte = this.#queueByte;
    const queueMark = this.#queueMark;
    let tail = this.#queueTail;
    let index = this.#toTerminalIndex;
    if (!faults && !((senseDiffers || rateDiffers) && signalled)) {
      // Nothing to repeat or damage (on the device: one UART write): the bytes and marks in one
      // copy each, only the arrival times one by one.
      const count = raw.length;
      queueByte.set(raw, tail);
      queueMark.fill(sender, tail, tail + count);
      for (let i = 0; i < count; i++) queueAt[tail + i] = at += charTime;
      stats.toTerminal += count;
      this.#queueTail = tail + count;
      this.#toTerminalIndex = index + count;
      this.#clock.lineFree = at;
      this.#clock.card = at;
      return at;
    }
    for (let i = 0; i < raw.length; i++) {
      const char = raw[i]!;
      const charIndex = index++;
      for (let attempt = 0; ; attempt++) {
        const fault = faults ? faults({ direction: 'to-terminal', index: charIndex, attempt, raw: char }) : null;
        if (fault) stats.faults++;
        if (fault?.kind === 'extra') {
          at += charTime;
          stats.toTerminal++;
          queueAt[tail] = at;
          queueByte[tail] = fault.byte ?? 0x00;
          queueMark[tail++] = sender;
        }
        at += charTime;
        stats.toTerminal++;
        if (fault?.kind === 'drop') break;
        const flipped = fault?.kind === 'flip';
        if ((flipped !== senseDiffers || rateDiffers) && signalled) {
          stats.repetitions++;
          at += repeatTime;
          if (attempt < this.#maxRepetitions) continue;
          this.#queueTail = tail;
          this.#toTerminalIndex = index;
          this.#clock.lineFree = at;
          card.sendFailed();
          return at;
        }
        queueAt[tail] = at;
        queueByte[tail] = damage(char, fault);
        if (flipped) this.#flippedQueued++;
        queueMark[tail++] = (flipped ? FLIPPED : 0) | sender;
        break;
      }
    }
    this.#queueTail = tail;
    this.#toTerminalIndex = index;
    this.#clock.lineFree = at;
    this.#clock.card = at;
    return at;
  }

  /** The index of `sender` in #senders, added when the card's settings changed since the last character queued. */
  #senderIndex(sender: LineSettings): number {
    const last = this.#senders.length - 1;
    if (last >= 0 && this.#senders[last] === sender) return last;
    this.#senders.push(sender);
    return last + 1;
  }

  /** Makes room for `count` more characters at the queue's end: moves it to the front, or doubles it. */
  #reserve(count: number): void {
    const head = this.#queueHead;
    const length = this.#queueTail - head;
    if (this.#queueTail + count <= this.#queueAt.length) return;
    if (length + count <= this.#queueAt.length) {
      this.#queueAt.copyWithin(0, head, this.#queueTail);
      this.#queueByte.copyWithin(0, head, this.#queueTail);
      this.#queueMark.copyWithin(0, head, this.#queueTail);
    } else {
      let size = 2 * this.#queueAt.length;
      while (size < length + count) size *= 2;
      const at = new Float64Array(size);
      const bytes = new Uint8Array(size);
      const marks = new Uint32Array(size);
      at.set(this.#queueAt.subarray(head, this.#queueTail));
      bytes.set(this.#queueByte.subarray(head, this.#queueTail));
      marks.set(this.#queueMark.subarray(head, this.#queueTail));
      this.#queueAt = at;
      this.#queueByte = bytes;
      this.#queueMark = marks;
    }
    this.#queueHead = 0;
    this.#queueTail = length;
  }

  #clearQueue(): void {
    this.#queueHead = 0;
    this.#queueTail = 0;
    this.#flippedQueued = 0;
    this.#senders.length = 0;
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

/**
 * A queued character as the terminal's UART reads it: garbled when the card sent at another rate,
 * flagged with LINE.PARITY_ERROR when a fault flipped a bit, the parity senses differ, or the rates do.
 */
function arrival(raw: number, mark: number, sender: LineSettings, terminal: LineSettings): number {
  const sameRate = sender.fi === terminal.fi && sender.di === terminal.di;
  const parityError = (mark & FLIPPED) !== 0 !== (sender.parity !== terminal.parity) || !sameRate;
  return (sameRate ? raw : garble(raw)) | (parityError ? LINE.PARITY_ERROR : 0);
}

/** Whether the terminal's UART reads what `sender` sends unflagged and ungarbled: same parity sense and rate. */
function sameLine(sender: LineSettings, terminal: LineSettings): boolean {
  return sender.parity === terminal.parity && sender.fi === terminal.fi && sender.di === terminal.di;
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
