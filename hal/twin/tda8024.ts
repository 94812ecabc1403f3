// Model of a TDA8024-class card interface chip and the card behind it, for the twin board. The
// chip sits on the firmware's pins (CMDVCC, RSTIN, OFF, XTAL1 = the card clock, I/OUC) and on the
// other side holds a byte-level card: the real card application behind ATR, PPS and T=1/T=0
// (card/iso7816 SimByteCard over hal/sim SimCard), driven character by character.
//
// The I/O wire: one line shared by the terminal's UART and the card. Each character is a frame of
// start bit, 8 data bits, a parity bit computed by its sender in the sender's parity sense, and
// the sender's guard time; the receiver checks the parity in its own sense, and a receiver whose
// bit rate differs from the sender's by more than 4 % (half a bit over the 10.5 bits to the
// parity bit's middle) reads garbage with a parity error. The terminal's UART hears its own
// characters back (echo) as they end on the wire; the driver must drop them. The card's etu
// follow the frequency the clock pin really carries (board.pwm(pin).hz), the terminal's from the
// baud its UART reached. Time is the board's virtual clock; the card's answers arrive through
// clock timers at the moments their last bit ends.
//
// Checked against ISO/IEC 7816-3 (faults go to board.faults): the card clock runs (1..5 MHz, duty
// 40..60 %) when RST rises, RST stayed low ≥ 400 clock cycles after the clock started (§6.2.2).
// Faults injected per character (hal/sim/card-line.ts FAULTS): a flipped bit (the parity check
// catches it), two flipped bits (parity kept: only the EDC of T=1 can), a dropped and an extra
// character. The chip deactivates by itself when the card leaves, as the real one does.
import { damage, FAULTS, garble, type Direction, type Fault, type FaultPlan } from '../sim/card-line.js';
import { DEFAULT_LINE_SETTINGS, LINE, type LineSettings } from '../card-line.js';
import type { ByteCard, CardContacts } from '../../card/iso7816/contacts.js';
import type { Level, TwinBoard } from './board.js';
import type { CardWiring } from '../esp32/wiring.js';

/** The firmware-side pins of the chip (moddable.json wiring.card). */
export type Tda8024Wiring = Pick<CardWiring, 'transmit' | 'receive' | 'clock' | 'reset' | 'vcc' | 'detect'>;

/** The terminal UART's frame settings as the wire sees them. */
export interface UartFrame {
  /** Bit rate the UART's divider reached, bit/s. */
  readonly baud: number;
  readonly parity: 'even' | 'odd';
  /** Idle bits after the 2 stop bits of each character sent. */
  readonly guardBits: number;
}

/** The terminal's UART as the chip's I/OUC sees it (hal/twin/smartcard-io.ts). */
export interface UartEnd {
  readonly frame: UartFrame;
  /** A character ends on the wire: 0..255 | LINE.PARITY_ERROR. */
  deliver(character: number): void;
}

export interface Tda8024Stats {
  /** Characters the terminal sent, and the echoes its UART heard of them. */
  readonly toCard: number;
  readonly echoes: number;
  /** Characters the card sent, as the terminal's UART read them (values with parity flags), in order. */
  readonly toTerminal: readonly number[];
  readonly faults: number;
  readonly activations: number;
  /** Clock frequency at the last reset, Hz. */
  readonly clockHz: number;
}

/** Frame tolerance: a receiver off by more than this fraction of the sender's rate reads garbage. */
const RATE_TOLERANCE = 0.04;
/** TS starts this many clock cycles after RST rises (ISO 7816-3 §8.1: 400..40,000). */
const TS_DELAY_CYCLES = 1_000;
/** The model's activation sequence: RST follows RSTIN this long after CMDVCC falls, µs (assumed). */
const ACTIVATION_US = 500;

export class TwinTda8024 {
  readonly #board: TwinBoard;
  readonly #wiring: Tda8024Wiring;
  readonly #t0: number;
  faults: FaultPlan = FAULTS.none;
  #card: ByteCard | null = null;
  #uart: UartEnd | null = null;
  /** CMDVCC low and a card in: VCC, I/O and CLK on. */
  #powered = false;
  #poweredAt = 0;
  #rstLowAt = 0;
  #rstHigh = false;
  /** The card has been reset since power-up (a second reset is warm). */
  #wasReset = false;
  #cardSettings: LineSettings = DEFAULT_LINE_SETTINGS;
  /** Seconds (since the chip was made) when the wire is free, and of the card's last character. */
  #lineFree = 0;
  #cardClock = 0;
  #toCardIndex = 0;
  #toTerminalIndex = 0;
  readonly #pending = new Set<unknown>();
  #stats = { toCard: 0, echoes: 0, toTerminal: [] as number[], faults: 0, activations: 0, clockHz: 0 };

  constructor(board: TwinBoard, wiring: Tda8024Wiring) {
    this.#board = board;
    this.#wiring = wiring;
    this.#t0 = board.clock.now();
    board.drive(wiring.detect, 'tda8024', 0); // OFF low: no card
    board.watch(wiring.vcc, (level) => this.#vccChanged(level));
    board.watch(wiring.reset, (level) => this.#resetChanged(level));
  }

  get wiring(): Tda8024Wiring {
    return this.#wiring;
  }

  get card(): ByteCard | null {
    return this.#card;
  }

  /** True while the card is powered with RST high (talking). */
  get active(): boolean {
    return this.#powered && this.#rstHigh;
  }

  get stats(): Tda8024Stats {
    const s = this.#stats;
    return { toCard: s.toCard, echoes: s.echoes, toTerminal: s.toTerminal.slice(), faults: s.faults, activations: s.activations, clockHz: s.clockHz };
  }

  /** A card goes into the slot: the card-detect switch closes and OFF goes high. */
  insert(card: ByteCard): void {
    if (this.#card) throw new Error('tda8024: the slot holds a card already');
    this.#card = card;
    this.#board.drive(this.#wiring.detect, 'tda8024', null); // released: the pull-up takes OFF high
  }

  /**
   * A stray character on the I/O wire now (a glitch, a card's late noise), framed at the card's
   * rate and parity: the terminal's UART reads it when its last bit ends, 12 etu from now. Returns
   * the time it ends, seconds of the board's clock.
   */
  noise(byte: number): number {
    const settings = this.#cardSettings;
    const at = Math.max(this.#seconds(), this.#lineFree) + (settings.guardEtu * settings.fi) / (settings.di * this.#clockHz());
    this.#lineFree = at;
    this.#toTerminal(byte & 0xff, settings, at, parityBit(byte & 0xff, settings.parity));
    return at;
  }

  /** The card leaves, at any moment: OFF low, and the chip deactivates the contacts itself. */
  remove(): ByteCard | null {
    const card = this.#card;
    if (this.#powered) this.#deactivate();
    this.#card = null;
    this.#board.drive(this.#wiring.detect, 'tda8024', 0);
    return card;
  }

  /** The terminal's UART joins the I/OUC line (called by the host class when it opens). */
  attachUart(uart: UartEnd | null): void {
    this.#uart = uart;
  }

  /** Characters leave the terminal's UART now, one after the other. */
  fromTerminal(bytes: Uint8Array): void {
    const uart = this.#uart;
    if (!uart) return this.#board.fault('tda8024: I/OUC written with no UART attached');
    const frame = uart.frame;
    const charSeconds = (12 + frame.guardBits) / frame.baud;
    let at = Math.max(this.#seconds(), this.#lineFree);
    for (const byte of bytes) {
      at += charSeconds;
      this.#lineFree = at;
      this.#stats.toCard++;
      // The echo: the UART reads the wire it drives, its own frame, whatever the card makes of it.
      this.#schedule(at, () => {
        this.#stats.echoes++;
        this.#uart?.deliver(byte);
      });
      const card = this.#card;
      if (!card || !this.active) continue;
      const fault = this.#fault('to-card', this.#toCardIndex++, byte);
      if (fault?.kind === 'drop') continue;
      if (fault?.kind === 'extra') this.#toCard(card, fault.byte ?? 0, frame, at - charSeconds / 2);
      this.#toCard(card, damage(byte, fault), frame, at, parityBit(byte, frame.parity));
    }
    // The terminal's write is over and it listens (BGT at least) before it sends again.
    if (this.#card && this.active) this.#card.idle?.();
  }

  #toCard(card: ByteCard, data: number, frame: UartFrame, at: number, parity = parityBit(data, frame.parity)): void {
    const cardBaud = this.#baudOf(this.#cardSettings);
    const rateOk = Math.abs(frame.baud - cardBaud) <= RATE_TOLERANCE * cardBaud;
    const parityError = !rateOk || parity !== parityBit(data, this.#cardSettings.parity);
    this.#cardClock = at;
    card.receive(rateOk ? data : garble(data), parityError, at);
  }

  /** The card's UART sends: characters start `delayEtu` after its last character, when the wire is free. */
  #fromCard(card: ByteCard, raw: Uint8Array, delayEtu: number): number {
    if (this.#card !== card || !this.active) return this.#seconds();
    const settings = this.#cardSettings;
    const etu = settings.fi / (settings.di * this.#clockHz());
    const charSeconds = settings.guardEtu * etu;
    let at = Math.max(this.#cardClock + delayEtu * etu, this.#lineFree, this.#seconds());
    for (const byte of raw) {
      const fault = this.#fault('to-terminal', this.#toTerminalIndex++, byte);
      if (fault?.kind === 'extra') {
        at += charSeconds;
        this.#toTerminal(fault.byte ?? 0, settings, at, parityBit(fault.byte ?? 0, settings.parity));
      }
      at += charSeconds;
      if (fault?.kind === 'drop') continue;
      this.#toTerminal(damage(byte, fault), settings, at, parityBit(byte, settings.parity));
    }
    this.#lineFree = at;
    this.#cardClock = at;
    return at;
  }

  #toTerminal(data: number, sender: LineSettings, at: number, parity: Level): void {
    const uart = this.#uart;
    if (!uart) return;
    const senderBaud = this.#baudOf(sender);
    const rateOk = Math.abs(uart.frame.baud - senderBaud) <= RATE_TOLERANCE * senderBaud;
    const value = rateOk ? data : garble(data);
    const parityError = !rateOk || parity !== parityBit(data, uart.frame.parity);
    const character = value | (parityError ? LINE.PARITY_ERROR : 0);
    this.#schedule(at, () => {
      this.#stats.toTerminal.push(character);
      this.#uart?.deliver(character);
    });
  }

  #vccChanged(level: Level): void {
    if (level === 0 && !this.#powered) {
      if (!this.#card) return; // no card: the chip refuses to activate (OFF stays low)
      this.#powered = true;
      this.#poweredAt = this.#seconds();
      this.#rstLowAt = this.#poweredAt;
      this.#rstHigh = false;
      this.#wasReset = false;
    } else if (level === 1 && this.#powered) {
      this.#deactivate();
    }
  }

  #resetChanged(level: Level): void {
    const rising = level === 1;
    if (!this.#powered) {
      this.#rstHigh = rising;
      return;
    }
    if (!rising) {
      this.#rstHigh = false;
      this.#rstLowAt = this.#seconds();
      this.#cancelPending(); // a card in reset stops talking
      return;
    }
    const card = this.#card;
    if (!card || this.#rstHigh) return;
    const now = this.#seconds();
    const hz = this.#clockHz();
    const pwm = this.#board.pwm(this.#wiring.clock);
    if (!pwm || hz < 1e6 || hz > 5e6 || pwm.duty < 0.4 || pwm.duty > 0.6) {
      this.#board.fault(`tda8024: RST rose with no valid card clock on pin ${this.#wiring.clock} (${pwm ? `${pwm.hz} Hz, duty ${pwm.duty.toFixed(2)}` : 'none'}): the card stays mute`);
      this.#rstHigh = true;
      return;
    }
    const lowSince = Math.max(this.#rstLowAt, this.#poweredAt + ACTIVATION_US / 1e6);
    if ((now - lowSince) * hz < 400) {
      this.#board.fault(`tda8024: RST low only ${Math.round((now - lowSince) * hz)} clock cycles before rising (ISO 7816-3 §6.2.2: at least 400)`);
    }
    this.#rstHigh = true;
    const cold = !this.#wasReset;
    this.#wasReset = true;
    this.#cardSettings = DEFAULT_LINE_SETTINGS;
    this.#lineFree = Math.max(this.#lineFree, now);
    this.#cardClock = now + TS_DELAY_CYCLES / hz;
    this.#stats.activations++;
    this.#stats.clockHz = hz;
    card.reset(this.#contacts(card, hz), cold);
  }

  #contacts(card: ByteCard, clockHz: number): CardContacts {
    return {
      clockHz,
      send: (raw, delayEtu = 0) => this.#fromCard(card, raw, delayEtu),
      configure: (settings) => {
        if (this.#card === card && this.active) this.#cardSettings = Object.freeze({ ...settings });
      },
    };
  }

  #deactivate(): void {
    this.#powered = false;
    this.#rstHigh = false;
    this.#cancelPending();
    this.#card?.powerOff();
  }

  #cancelPending(): void {
    for (const handle of this.#pending) this.#board.clock.clearTimer(handle);
    this.#pending.clear();
  }

  #schedule(at: number, deliver: () => void): void {
    const clock = this.#board.clock;
    // Whole milliseconds, as the device's clock counts: characters that end within one ms arrive
    // together, as a UART driver hands over what its FIFO holds.
    const due = Math.ceil(this.#t0 + at * 1000 - 1e-6);
    const handle: unknown = clock.setTimer(Math.max(0, due - clock.now()), () => {
      this.#pending.delete(handle);
      deliver();
    });
    this.#pending.add(handle);
  }

  #fault(direction: Direction, index: number, raw: number): Fault | null {
    const fault = this.faults({ direction, index, attempt: 0, raw });
    if (fault) this.#stats.faults++;
    return fault;
  }

  #clockHz(): number {
    return this.#board.pwm(this.#wiring.clock)?.hz ?? 0;
  }

  #baudOf(settings: LineSettings): number {
    return (this.#clockHz() * settings.di) / settings.fi;
  }

  #seconds(): number {
    return (this.#board.clock.now() - this.#t0) / 1000;
  }
}

/** The parity bit a sender puts after `data` in `sense`. */
function parityBit(data: number, sense: 'even' | 'odd'): Level {
  let ones = 0;
  for (let bits = data & 0xff; bits; bits &= bits - 1) ones++;
  return ((ones & 1) ^ (sense === 'odd' ? 1 : 0)) as Level;
}

