// Host classes for the twin board with the shapes of hal/esp32/smartcard-uart.c's classes: the
// smart-card UART (hal/esp32/smartcard-uart.d.ts) on the I/OUC line of a TDA8024 model
// (tda8024.ts), and the card clock, an LEDC output whose frequency is what the ESP32's divider can
// reach. hal/esp32/card-interface.ts takes them in place of the native ones, so the driver's own
// code (echo suppression, rates, timeouts, activation) runs on Node and XS.
//
// What the silicon does, modelled here:
//   - UART divider: APB 80 MHz / baud in 20.4 fixed point (ESP32 TRM, UART_CLKDIV_REG), so the
//     baud reached is 80 MHz·16 / round(80 MHz·16 / baud).
//   - LEDC divider: 80 MHz·256 / (hz · 2^resolution) in 10.8 fixed point, truncated, as ESP-IDF's
//     ledc_timer_config computes it; the frequency reached (ledc_get_freq) is 80 MHz·256 /
//     (2^resolution · divider), truncated to whole Hz.
//   - One receive FIFO the driver empties on onReadable; every character written comes back (echo).
import { bytesOf, type TwinBoard } from './board.js';
import type { TwinTda8024, UartEnd, UartFrame } from './tda8024.js';
import type { SmartCardUartOptions, SmartCardUartPort, SmartCardUartSettings } from '../esp32/smartcard-uart.js';
import type { CardClockPort } from '../esp32/card-interface.js';
import { LINE } from '../card-line.js';

const APB_HZ = 80_000_000;

/** The bit rate an ESP32 UART reaches for `baud` (20.4 fixed-point divider of the 80 MHz APB clock). */
export function uartReachedBaud(baud: number): number {
  const divider = Math.round((APB_HZ * 16) / baud);
  return (APB_HZ * 16) / divider;
}

/** The frequency an ESP32 LEDC timer reaches for `hz` at `resolution` bits (10.8 fixed-point divider). */
export function ledcReachedHz(hz: number, resolution: number): number {
  const divider = Math.floor((APB_HZ * 256) / (hz * 2 ** resolution));
  if (divider < 256) throw new RangeError(`LEDC: ${hz} Hz at ${resolution} bits needs a divider below 1`);
  return Math.floor((APB_HZ * 256) / (2 ** resolution * divider));
}

export function twinCardIo(board: TwinBoard, chip: TwinTda8024) {
  class SmartCardUart implements SmartCardUartPort {
    readonly target: unknown;
    readonly #pins: readonly number[];
    readonly #received: number[] = [];
    readonly #onReadable: ((count: number) => void) | null;
    #frame: UartFrame;
    #open = true;

    constructor(options: SmartCardUartOptions) {
      const wiring = chip.wiring;
      if (options.transmit !== wiring.transmit || options.receive !== wiring.receive) {
        throw new RangeError(`SmartCardUart: pins ${options.transmit}/${options.receive} are not the card interface's I/OUC (${wiring.transmit}/${wiring.receive})`);
      }
      if (!(options.port >= 0 && options.port <= 2)) throw new RangeError(`SmartCardUart: invalid port ${options.port}`);
      this.#frame = Object.freeze({ baud: checkedBaud(options.baud), parity: checkedParity(options.parity ?? 'even'), guardBits: checkedGuard(options.guardBits ?? 0) });
      this.#pins = options.transmit === options.receive ? [options.transmit] : [options.transmit, options.receive];
      // The transmitter drives open drain; the chip's I/OUC has a pull-up (10 kΩ in the TDA8024).
      board.claim(options.transmit, { mode: 'open-drain', pull: 'up', out: 1 });
      if (options.receive !== options.transmit) board.claim(options.receive, { mode: 'input', pull: 'up', out: 1 });
      this.target = options.target;
      const callback = options.onReadable;
      this.#onReadable = callback ? (count) => (callback as (this: SmartCardUartPort, count: number) => void).call(this, count) : null;
      const self = this;
      const end: UartEnd = {
        get frame() {
          return self.#frame;
        },
        deliver: (character) => this.#deliver(character),
      };
      chip.attachUart(end);
    }

    get baud(): number {
      return this.#frame.baud;
    }

    read(): number | undefined {
      this.#check();
      return this.#received.shift();
    }

    readInto(target: Uint8Array, offset: number): number {
      this.#check();
      if (!(offset >= 0 && offset <= target.length)) throw new RangeError(`SmartCardUart: offset ${offset} outside a buffer of ${target.length}`);
      const received = this.#received;
      let copied = 0;
      while (received.length > 0 && offset + copied < target.length && !(received[0]! & LINE.PARITY_ERROR)) target[offset + copied++] = received.shift()!;
      return copied;
    }

    write(buffer: ArrayBuffer | ArrayBufferView): void {
      this.#check();
      chip.fromTerminal(bytesOf(buffer));
    }

    set(settings: SmartCardUartSettings): void {
      this.#check();
      this.#frame = Object.freeze({
        baud: settings.baud === undefined ? this.#frame.baud : checkedBaud(settings.baud),
        parity: settings.parity === undefined ? this.#frame.parity : checkedParity(settings.parity),
        guardBits: settings.guardBits === undefined ? this.#frame.guardBits : checkedGuard(settings.guardBits),
      });
    }

    flush(): void {
      this.#received.length = 0;
    }

    close(): void {
      if (!this.#open) return;
      this.#open = false;
      chip.attachUart(null);
      for (const pin of this.#pins) board.release(pin);
    }

    get format(): 'number' {
      return 'number';
    }

    set format(value: 'number') {
      if (value !== 'number') throw new RangeError('SmartCardUart: format must be "number"');
    }

    #deliver(character: number): void {
      if (!this.#open) return;
      this.#received.push(character);
      this.#onReadable?.(this.#received.length);
    }

    #check(): void {
      if (!this.#open) throw new Error('SmartCardUart: closed');
    }
  }

  /** The card clock: an LEDC output at the frequency its divider reaches, reported back by `hz`. */
  class CardClock implements CardClockPort {
    readonly hz: number;
    readonly resolution: number;
    readonly #pin: number;
    #open = true;

    constructor(options: { readonly pin: number; readonly hz: number; readonly resolution?: number }) {
      this.resolution = options.resolution ?? 10;
      if (!Number.isInteger(this.resolution) || this.resolution < 1 || this.resolution > 20) throw new RangeError(`CardClock: resolution ${this.resolution}`);
      this.hz = ledcReachedHz(options.hz, this.resolution);
      this.#pin = options.pin;
      board.setPwm(this.#pin, { hz: this.hz, duty: 0 });
    }

    write(duty: number): void {
      if (!this.#open) throw new Error('CardClock: closed');
      const steps = 2 ** this.resolution;
      if (!Number.isInteger(duty) || duty < 0 || duty > steps - 1) throw new RangeError(`CardClock: duty ${duty} out of 0..${steps - 1}`);
      board.setPwm(this.#pin, { hz: this.hz, duty: duty / steps });
    }

    close(): void {
      if (!this.#open) return;
      this.#open = false;
      board.setPwm(this.#pin, null);
    }
  }

  return Object.freeze({ SmartCardUart, CardClock });
}

function checkedBaud(baud: number): number {
  if (!(baud >= 1200 && baud <= 5_000_000)) throw new RangeError(`SmartCardUart: baud ${baud} out of range`);
  return uartReachedBaud(baud);
}

function checkedParity(parity: string): 'even' | 'odd' {
  if (parity !== 'even' && parity !== 'odd') throw new RangeError(`SmartCardUart: parity "${parity}"`);
  return parity;
}

function checkedGuard(bits: number): number {
  if (!Number.isInteger(bits) || bits < 0 || bits > 254) throw new RangeError(`SmartCardUart: guardBits ${bits}`);
  return bits;
}
