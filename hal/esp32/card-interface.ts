// The card line (hal/card-line.ts) on the terminal board: an NXP TDA8024-class card interface chip
// between the ESP32 and the ISO/IEC 7816 contacts. The chip does the electrical work (VCC supply,
// level shifting, the activation and deactivation sequences, deactivation on card removal); the
// ESP32 tells it what to do on four pins and one UART:
//
//   CMDVCC  Digital output, active low: low starts the chip's activation sequence, high its
//           deactivation (TDA8024 data sheet, "Activation sequence", "Deactivation sequence").
//   RSTIN   Digital output: the chip copies it to the card's RST once VCC, I/O and CLK are up.
//   OFF     Digital input with pull-up, edge interrupts: low while no card is in the slot (or on a
//           supply fault); the chip's open-drain interrupt output.
//   XTAL1   the card clock, from an LEDC PWM output at 50 % duty; CLK = XTAL1 with CLKDIV1/2 = /1.
//   I/OUC   the smart-card UART (smartcard-uart.d.ts): 8 data bits, parity, 2 stop bits, open
//           drain on one wire; its baud is f·Di/Fi with f the clock the PWM actually reached.
//
// Frequency: ISO 7816-3 times everything in etu = Fi / (Di · f) seconds (§7.1), so the baud rate and
// every timeout follow from the clock on CLK, not from the one asked for. The driver opens the
// clock with { pin, hz, resolution: 1 } and takes `hz` back from the open port as the frequency
// reached. smartcard-uart.c's SmartCardClock reports ESP-IDF's ledc_get_freq(), which computes it
// from the LEDC divider it programmed (80 MHz APB / (divider · 2^resolution), divider in 10.8
// fixed point: 3,571,677 Hz when 3,571,200 is asked). Moddable's ECMA-419 PWM echoes the hz it was
// asked for and takes no resolution under 8 bits (so nothing above 312.5 kHz): it does not fit.
//
// Echo: the I/O contact is one wire, so the UART hears every character it sends. The driver counts
// what it wrote and drops that many characters as they come back (checking each against what was
// sent); send() resolves when the last echo is back, i.e. when the characters have left, so the
// waiting times of receive() start when the card can begin to answer (§7.2, §11.4.3).
//
// Not done by this hardware: the T=0 error signal and character repetition (§7.3). The ESP32 UART
// cannot pull I/O low in the guard time of a bad character; a parity error reaches the protocol as
// LINE.PARITY_ERROR whatever `errorSignal` says, so T=0 fails the command and T=1 (which the
// terminal prefers) asks again with an R-block.
//
// Time is the injected HAL clock's (hal/clock.ts, whole milliseconds on the device): no global
// timers, no module-level state, so the module can be preloaded.
import type Digital from 'embedded:io/digital';
import { DEFAULT_LINE_SETTINGS, LINE, NO_PARITY_ERRORS, type CardLine, type LineRun, type LineSettings } from '../card-line.js';
import type { Clock, TimerHandle } from '../clock.js';
import { CardRemovedError } from '../reader.js';
import { TransmissionError } from '../../firmware/iso7816/errors.js';
import type { SmartCardUartClass, SmartCardUartPort } from './smartcard-uart.js';
import type { CardWiring } from './wiring.js';

/** The card clock's port: ECMA-419 PWM's shape (embedded:io/pwm) plus the `resolution` option. */
export interface CardClockPort {
  /** The frequency the output reached, Hz. */
  readonly hz: number;
  /** Duty resolution, bits: write() takes 0 .. 2^resolution − 1. */
  readonly resolution: number;
  write(duty: number): void;
  close(): void;
}

export type CardClockClass = new (options: { readonly pin: number; readonly hz: number; readonly resolution?: number }) => CardClockPort;

/**
 * The board's wiring of the card interface: moddable.json wiring.card (hal/esp32/wiring.ts), with
 * the card clock optional (default 3,571,200 Hz: 9,600 bit/s at Fi 372, Di 1).
 */
export type CardInterfaceWiring = Omit<CardWiring, 'clockHz'> & { readonly clockHz?: number };

export interface CardInterfaceOptions {
  readonly wiring: CardInterfaceWiring;
  /** The IO classes: ECMA-419 Digital, the card clock and the smart-card UART (native or twin). */
  readonly io: {
    readonly Digital: typeof Digital;
    readonly CardClock: CardClockClass;
    readonly SmartCardUart: SmartCardUartClass;
  };
  /** The HAL clock: timeouts and the waits of the activation sequence. */
  readonly clock: Clock;
}

/** Counters for tests and the line summary. */
export interface CardInterfaceStats {
  /** Characters written to the card. */
  readonly sent: number;
  /** Characters from the card handed to the protocol. */
  readonly received: number;
  /** Our own characters heard back and dropped. */
  readonly echoes: number;
  /** Echoes that differed from what was sent (a disturbed line). */
  readonly echoMismatches: number;
  /** Characters from the card with a parity error. */
  readonly parityErrors: number;
}

export const TDA8024 = Object.freeze({
  /**
   * Wait after CMDVCC falls before RSTIN may rise, ms: the chip's activation sequence (VCC ramp,
   * I/O enabled, CLK started) takes a few hundred µs (data sheet, "Activation sequence", t_act).
   */
  ACTIVATION_MS: 2,
  /** Wait after CMDVCC rises, ms: the chip's deactivation sequence (RST, CLK, I/O, VCC low, ~100 µs). */
  DEACTIVATION_MS: 1,
} as const);

export const ISO7816_3 = Object.freeze({
  /** RST stays low at least 400 clock cycles once CLK runs (§6.2.2 cold reset, §6.2.3 warm reset, t_a/t_b). */
  RESET_LOW_CYCLES: 400,
  /** The default card clock, Hz: 372 cycles an etu are 9,600 bit/s. */
  CLOCK_HZ: 3_571_200,
  /** Class A/B/C cards run between 1 and 5 MHz before TA1 says more (§5.2.3, Table 7 fmax for TA1 absent). */
  CLOCK_MIN_HZ: 1_000_000,
  CLOCK_MAX_HZ: 5_000_000,
  /** Start bit, 8 data bits, parity and 2 stop bits: the 12 etu of a character with N = 0 (§8.3). */
  CHARACTER_ETU: 12,
} as const);

/**
 * An echo still missing this long (ms) after the time its characters need on the wire means the
 * line is stuck: the UART's receive timeout and FIFO threshold, the task that moves characters to
 * JavaScript and the 1 ms timer resolution all delay an echo by a few ms at most.
 */
const ECHO_SLACK_MS = 20;

/**
 * A receive() or receiveRun() waiting for the card: how many characters it wants, the timeout
 * for each next one (etu) and its timer, running from the last character that came. The
 * characters themselves wait in the driver's receive buffer until the run is whole or cut short.
 */
interface Waiter {
  readonly count: number;
  readonly gapEtu: number;
  /** Settles the caller's promise with what the buffer holds (at most `count`): `timedOut` when short. */
  readonly finish: (timedOut: boolean) => void;
  readonly reject: (error: Error) => void;
  timer: TimerHandle | null;
}

/** Room for characters from the card at first: a T=1 block (259) or a T=0 answer fits; doubled when more wait. */
const RECEIVE_BUFFER = 320;

interface Sending {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  readonly timer: TimerHandle;
}

export class CardInterface implements CardLine {
  onInserted: (() => void) | null = null;
  onRemoved: (() => void) | null = null;
  readonly #wiring: CardInterfaceWiring;
  readonly #io: CardInterfaceOptions['io'];
  readonly #clock: Clock;
  readonly #vcc: Digital;
  readonly #reset: Digital;
  readonly #detect: Digital;
  readonly #uart: SmartCardUartPort;
  #cardClock: CardClockPort | null = null;
  #clockHz: number;
  #present: boolean;
  #powered = false;
  #settings: LineSettings = DEFAULT_LINE_SETTINGS;
  /**
   * Characters from the card not yet taken: raw, at #head .. #tail of #buffer, with #flagged[i] 1
   * where the one at i failed its parity check (#flags of them in all, almost always 0).
   */
  #buffer = new Uint8Array(RECEIVE_BUFFER);
  #flagged = new Uint8Array(RECEIVE_BUFFER);
  #head = 0;
  #tail = 0;
  #flags = 0;
  /** What we wrote (while a send is under way) and how much of it we have heard back. */
  #echo: Uint8Array | null = null;
  #echoAt = 0;
  #waiter: Waiter | null = null;
  #sending: Sending | null = null;
  #stats = { sent: 0, received: 0, echoes: 0, echoMismatches: 0, parityErrors: 0 };

  constructor(options: CardInterfaceOptions) {
    const { wiring, io } = options;
    this.#wiring = wiring;
    this.#io = io;
    this.#clock = options.clock;
    this.#clockHz = wiring.clockHz ?? ISO7816_3.CLOCK_HZ;
    if (!(this.#clockHz >= ISO7816_3.CLOCK_MIN_HZ && this.#clockHz <= ISO7816_3.CLOCK_MAX_HZ)) {
      throw new RangeError(`card clock ${this.#clockHz} Hz is outside 1..5 MHz (ISO/IEC 7816-3 §5.2.3)`);
    }
    const { Digital: DigitalClass, SmartCardUart } = io;
    // CMDVCC high (inactive) and RSTIN low before anything else: the card stays unpowered.
    this.#vcc = new DigitalClass({ pin: wiring.vcc, mode: DigitalClass.Output });
    this.#vcc.write(1);
    this.#reset = new DigitalClass({ pin: wiring.reset, mode: DigitalClass.Output });
    this.#reset.write(0);
    const self = this;
    this.#detect = new DigitalClass({
      pin: wiring.detect,
      mode: DigitalClass.InputPullUp,
      edge: DigitalClass.Rising | DigitalClass.Falling,
      onReadable() {
        self.#detectChanged();
      },
    });
    this.#present = this.#detect.read() === 1;
    this.#uart = new SmartCardUart({
      port: wiring.uart,
      transmit: wiring.transmit,
      receive: wiring.receive,
      baud: this.#baudFor(DEFAULT_LINE_SETTINGS),
      parity: 'even',
      onReadable() {
        self.#readable();
      },
    });
  }

  get cardPresent(): boolean {
    return this.#present;
  }

  /** The card clock, Hz: the frequency the clock output reached while it runs, else the one asked for. */
  get clockHz(): number {
    return this.#clockHz;
  }

  /** The UART's bit rate, bit/s, as its divider reached it. */
  get baud(): number {
    return this.#uart.baud;
  }

  /** The line settings in force (defaults after every reset). */
  get settings(): LineSettings {
    return this.#settings;
  }

  get stats(): CardInterfaceStats {
    return { ...this.#stats };
  }

  /** Cold reset (§6.2.2): VCC, I/O in reception, CLK, RST low ≥ 400 cycles, then RST high; the ATR follows. */
  async activate(): Promise<void> {
    if (this.#powered) await this.deactivate();
    this.#requireCard();
    this.#reset.write(0);
    this.#restoreDefaults();
    this.#startClock();
    this.#vcc.write(0); // the chip: VCC up, I/O in reception, CLK from XTAL1 (§6.2.2 a, b, c)
    this.#powered = true;
    await this.#sleep(TDA8024.ACTIVATION_MS + this.#resetLowMs());
    this.#requireCard();
    this.#reset.write(1); // RST high: the card answers within 400..40,000 cycles (§8.1)
  }

  /** Warm reset (§6.2.3): RST low ≥ 400 cycles with VCC and CLK kept, then high; settings back to the defaults. */
  async warmReset(): Promise<void> {
    this.#requirePowered();
    this.#reset.write(0);
    this.#restoreDefaults();
    await this.#sleep(this.#resetLowMs());
    this.#requirePowered();
    this.#reset.write(1);
  }

  /** Rate (baud = f·Di/Fi), parity sense and guard time after the ATR or PPS (§7.1, §8.1, §8.3). */
  configure(settings: LineSettings): void {
    this.#settings = Object.freeze({ ...settings });
    this.#uart.set({ baud: this.#baudFor(settings), parity: settings.parity, guardBits: Math.max(0, settings.guardEtu - ISO7816_3.CHARACTER_ETU) });
  }

  /** Sends raw characters; resolves when the last one has come back on the wire (it has left). */
  send(raw: Uint8Array): Promise<void> {
    this.#requirePowered();
    if (this.#sending) return Promise.reject(new Error('card interface: send() while a send is under way'));
    if (raw.length === 0) return Promise.resolve();
    const bytes = raw.slice();
    this.#echo = bytes;
    this.#echoAt = 0;
    this.#stats.sent += bytes.length;
    const characterEtu = ISO7816_3.CHARACTER_ETU + Math.max(0, this.#settings.guardEtu - ISO7816_3.CHARACTER_ETU);
    const limitMs = this.#etuToMs(bytes.length * characterEtu) + ECHO_SLACK_MS;
    return new Promise<void>((resolve, reject) => {
      const timer = this.#clock.setTimer(limitMs, () => {
        const missing = bytes.length - this.#echoAt;
        this.#sending = null;
        this.#echo = null;
        reject(new TransmissionError(`the I/O line did not carry ${missing} of ${bytes.length} characters back: line held or chip off`));
      });
      this.#sending = { resolve, reject, timer };
      this.#uart.write(bytes);
    });
  }

  /** The next raw character from the card (| LINE.PARITY_ERROR when flagged), or LINE.TIMEOUT after `timeoutEtu` etu. */
  receive(timeoutEtu: number): Promise<number> {
    this.#requirePowered();
    if (this.#waiter) return Promise.reject(new Error('card interface: receive() while a receive is under way'));
    if (this.#head < this.#tail) return Promise.resolve(this.#takeOne());
    return new Promise<number>((resolve, reject) => {
      this.#wait({ count: 1, gapEtu: timeoutEtu, finish: () => resolve(this.#head < this.#tail ? this.#takeOne() : LINE.TIMEOUT), reject, timer: null }, timeoutEtu);
    });
  }

  /**
   * Up to `count` raw characters as one run: what the UART has already handed over is taken in
   * one go; the clock is asked only while more are missing, for `firstTimeoutEtu` etu before the
   * first and `gapTimeoutEtu` etu after each one taken (restarted once per batch the UART hands
   * over, as the last of them has just arrived).
   */
  receiveRun(count: number, firstTimeoutEtu: number, gapTimeoutEtu: number): Promise<LineRun> {
    this.#requirePowered();
    if (this.#waiter) return Promise.reject(new Error('card interface: receiveRun() while a receive is under way'));
    const waiting = this.#tail - this.#head;
    if (waiting >= count) return Promise.resolve(this.#takeRun(count, false));
    return new Promise<LineRun>((resolve, reject) => {
      this.#wait({ count, gapEtu: gapTimeoutEtu, finish: (timedOut) => resolve(this.#takeRun(count, timedOut)), reject, timer: null }, waiting === 0 ? firstTimeoutEtu : gapTimeoutEtu);
    });
  }

  /**
   * Characters from the card waiting in the receive buffer, after taking in what the UART holds
   * now (as its next onReadable would: echo dropped, a waiting run settled). A character still in
   * the UART's hardware FIFO, below its receive threshold and timeout, is not counted yet.
   */
  available(): number {
    this.#requirePowered();
    this.#readable();
    return this.#tail - this.#head;
  }

  /** The first waiting character, | LINE.PARITY_ERROR when flagged (there is one). */
  #takeOne(): number {
    const at = this.#head++;
    const character = this.#buffer[at]!;
    if (this.#head === this.#tail) this.#head = this.#tail = 0;
    if (this.#flags > 0 && this.#flagged[at]) {
      this.#flagged[at] = 0;
      this.#flags--;
      return character | LINE.PARITY_ERROR;
    }
    return character;
  }

  /** Up to `count` waiting characters as a run of their own (a copy), with the flagged ones' indices. */
  #takeRun(count: number, timedOut: boolean): LineRun {
    const from = this.#head;
    const to = Math.min(this.#tail, from + count);
    const chars = this.#buffer.slice(from, to);
    this.#head = to;
    if (to === this.#tail) this.#head = this.#tail = 0;
    if (this.#flags === 0) return { chars, parityErrors: NO_PARITY_ERRORS, timedOut };
    const parityErrors: number[] = [];
    const flagged = this.#flagged;
    for (let i = from; i < to; i++) {
      if (!flagged[i]) continue;
      flagged[i] = 0;
      this.#flags--;
      parityErrors.push(i - from);
    }
    return { chars, parityErrors: parityErrors.length > 0 ? parityErrors : NO_PARITY_ERRORS, timedOut };
  }

  /** Installs `waiter` with its timer set to `timeoutEtu` etu. */
  #wait(waiter: Waiter, timeoutEtu: number): void {
    this.#waiter = waiter;
    this.#arm(waiter, timeoutEtu);
  }

  /** (Re)starts the waiter's timer: at its end the run stops short. */
  #arm(waiter: Waiter, timeoutEtu: number): void {
    if (waiter.timer !== null) this.#clock.clearTimer(waiter.timer);
    waiter.timer = this.#clock.setTimer(this.#etuToMs(timeoutEtu), () => {
      if (this.#waiter !== waiter) return;
      this.#waiter = null;
      waiter.timer = null;
      waiter.finish(true);
    });
  }

  /** Deactivation (§6.4): RST low, then CMDVCC high (the chip takes CLK, I/O and VCC low in order); clock off. */
  async deactivate(): Promise<void> {
    this.#reset.write(0);
    this.#vcc.write(1);
    const wasPowered = this.#powered;
    this.#powerDown(new CardRemovedError('card deactivated'));
    if (wasPowered) await this.#sleep(TDA8024.DEACTIVATION_MS);
    this.#stopClock();
  }

  /** The slot has no motor or latch: deactivate, and the person takes the card. */
  eject(): Promise<void> {
    return this.deactivate();
  }

  /** Releases the pins, the clock and the UART. */
  close(): void {
    this.#reset.write(0);
    this.#vcc.write(1);
    this.#powerDown(new CardRemovedError('card interface closed'));
    this.#stopClock();
    this.#uart.close();
    this.#detect.close();
    this.#reset.close();
    this.#vcc.close();
  }

  #detectChanged(): void {
    const present = this.#detect.read() === 1;
    if (present === this.#present) return;
    this.#present = present;
    if (present) {
      this.onInserted?.();
      return;
    }
    // The chip deactivates the contacts by itself when the card leaves (data sheet, "Deactivation
    // sequence"); the driver follows: CMDVCC and RSTIN back to rest, every wait ends.
    this.#reset.write(0);
    this.#vcc.write(1);
    this.#powerDown(new CardRemovedError());
    this.#stopClock();
    this.onRemoved?.();
  }

  // Once per batch the UART hands over, not per character: the batch is copied into the receive
  // buffer in one call (readInto), our own characters are dropped from its front, and a waiting run
  // is settled or its gap timer restarted once.
  #readable(): void {
    const from = this.#fill();
    const stats = this.#stats;
    // Our own characters come back first, in order, before anything the card sends after them
    // (characters of the card's still unread from before stay where they are).
    const echo = this.#echo;
    let heard = 0;
    if (echo) {
      const buffer = this.#buffer;
      const start = this.#echoAt;
      heard = Math.min(echo.length - start, this.#tail - from);
      let mismatches = 0;
      // The flags are looked at only when some character is flagged (almost never): a private
      // field read per character costs XS a lookup each.
      for (let i = 0, at = from; i < heard; i++, at++) if (buffer[at] !== echo[start + i]) mismatches++;
      if (this.#flags > 0) {
        const flagged = this.#flagged;
        for (let i = 0, at = from; i < heard; i++, at++) if (flagged[at] && buffer[at] === echo[start + i]) mismatches++;
      }
      this.#cut(from, heard);
      stats.echoes += heard;
      stats.echoMismatches += mismatches;
      this.#echoAt = start + heard;
      if (this.#echoAt === echo.length) {
        this.#echo = null;
        this.#sent();
      }
    }
    if (!this.#powered) {
      this.#cut(this.#head, this.#tail - this.#head); // noise on an unpowered line
      return;
    }
    const fresh = this.#tail - from;
    if (fresh <= 0) return;
    stats.received += fresh;
    if (this.#flags > 0) {
      // Flags of the card's own characters only: our echo and line noise were cut above.
      for (let i = from; i < this.#tail; i++) if (this.#flagged[i]) stats.parityErrors++;
    }
    const waiter = this.#waiter;
    if (!waiter) return;
    if (this.#tail - this.#head >= waiter.count) {
      this.#waiter = null;
      if (waiter.timer !== null) this.#clock.clearTimer(waiter.timer);
      waiter.timer = null;
      waiter.finish(false);
    } else {
      this.#arm(waiter, waiter.gapEtu); // still short: the gap time runs from the last one, just now
    }
  }

  /**
   * Moves everything the UART holds into the receive buffer (grown when full), flags and all;
   * returns where in the buffer the new characters begin.
   */
  #fill(): number {
    const uart = this.#uart;
    let from = this.#tail;
    for (;;) {
      if (this.#tail === this.#buffer.length) from -= this.#makeRoom();
      const copied = uart.readInto(this.#buffer, this.#tail);
      this.#tail += copied;
      if (this.#tail < this.#buffer.length) {
        // Not full: the UART is empty, or a flagged character stopped the copy.
        const character = uart.read();
        if (character === undefined) return from;
        if (character & LINE.PARITY_ERROR) {
          this.#flagged[this.#tail] = 1;
          this.#flags++;
        }
        this.#buffer[this.#tail++] = character & 0xff;
      }
    }
  }

  /**
   * Room at the end of the receive buffer: what waits moves to the front, or the buffer doubles
   * when it is all waiting characters; returns how far the characters moved towards the front.
   */
  #makeRoom(): number {
    const head = this.#head;
    const waiting = this.#tail - head;
    if (waiting === this.#buffer.length) {
      const buffer = new Uint8Array(waiting * 2);
      const flagged = new Uint8Array(waiting * 2);
      buffer.set(this.#buffer);
      flagged.set(this.#flagged);
      this.#buffer = buffer;
      this.#flagged = flagged;
      return 0;
    }
    this.#buffer.copyWithin(0, head, this.#tail);
    this.#flagged.copyWithin(0, head, this.#tail);
    this.#flagged.fill(0, waiting);
    this.#head = 0;
    this.#tail = waiting;
    return head;
  }

  /** Removes `count` characters at `at` (our echo, or noise); an empty buffer starts again at its front. */
  #cut(at: number, count: number): void {
    if (count === 0) return;
    const flagged = this.#flagged;
    if (this.#flags > 0) {
      for (let i = at; i < at + count; i++) {
        if (flagged[i]) {
          flagged[i] = 0;
          this.#flags--;
        }
      }
    }
    if (at + count < this.#tail) {
      this.#buffer.copyWithin(at, at + count, this.#tail);
      flagged.copyWithin(at, at + count, this.#tail);
      flagged.fill(0, this.#tail - count, this.#tail);
    }
    this.#tail -= count;
    if (this.#head === this.#tail) this.#head = this.#tail = 0;
  }

  #clearReceived(): void {
    if (this.#flags > 0) this.#flagged.fill(0);
    this.#flags = 0;
    this.#head = this.#tail = 0;
  }

  #sent(): void {
    const sending = this.#sending;
    if (!sending) return;
    this.#sending = null;
    this.#clock.clearTimer(sending.timer);
    sending.resolve();
  }

  #powerDown(error: Error): void {
    this.#powered = false;
    this.#clearReceived();
    this.#echo = null;
    this.#uart.flush();
    const waiter = this.#waiter;
    this.#waiter = null;
    if (waiter) {
      if (waiter.timer !== null) this.#clock.clearTimer(waiter.timer);
      waiter.reject(error);
    }
    const sending = this.#sending;
    this.#sending = null;
    if (sending) {
      this.#clock.clearTimer(sending.timer);
      sending.reject(error);
    }
  }

  #restoreDefaults(): void {
    this.#clearReceived();
    this.#echo = null;
    this.#uart.flush();
    this.configure(DEFAULT_LINE_SETTINGS);
  }

  #startClock(): void {
    if (!this.#cardClock) {
      const asked = this.#wiring.clockHz ?? ISO7816_3.CLOCK_HZ;
      const clock = new this.#io.CardClock({ pin: this.#wiring.clock, hz: asked, resolution: 1 });
      clock.write(2 ** (clock.resolution - 1)); // 50 % duty (ISO 7816-3 §5.2.3 asks 40..60 %)
      this.#cardClock = clock;
      this.#clockHz = clock.hz;
    }
    // The UART's rate follows the clock reached.
    this.configure(this.#settings);
  }

  #stopClock(): void {
    const clock = this.#cardClock;
    this.#cardClock = null;
    if (!clock) return;
    clock.write(0);
    clock.close();
  }

  #requireCard(): void {
    if (!this.#present) {
      this.#powerDown(new CardRemovedError());
      throw new CardRemovedError('no card in the slot');
    }
  }

  #requirePowered(): void {
    if (!this.#present) throw new CardRemovedError('no card in the slot');
    if (!this.#powered) throw new CardRemovedError('the card is not powered: activate first');
  }

  /** Bit rate for settings at the current clock: f · Di / Fi bit/s (§7.1). */
  #baudFor(settings: LineSettings): number {
    return Math.round((this.#clockHz * settings.di) / settings.fi);
  }

  /** etu at the current settings and clock, in whole ms of the HAL clock (rounded up, at least 1). */
  #etuToMs(etu: number): number {
    const seconds = (etu * this.#settings.fi) / (this.#settings.di * this.#clockHz);
    return Math.max(1, Math.ceil(seconds * 1000));
  }

  /** ms for RST to stay low RESET_LOW_CYCLES clock cycles. */
  #resetLowMs(): number {
    return Math.max(1, Math.ceil((ISO7816_3.RESET_LOW_CYCLES / this.#clockHz) * 1000));
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.#clock.setTimer(ms, resolve));
  }
}
