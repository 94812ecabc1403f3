// The TypeScript shape of the smart-card UART (smartcard-uart.js, the binding of smartcard-uart.c):
// an ECMA-419 Serial (embedded:io/serial: constructor options, read, write, flush, set, close,
// format) with what ISO/IEC 7816-3 needs and Moddable's ESP32 Serial lacks (it is fixed at 8N1):
//
//   - 8 data bits, a parity bit (even, or odd for an inverse-convention card read by a direct UART,
//     §8.1) and 2 stop bits, so a transmitted character spans 12 etu, the minimum guard time (§8.3);
//   - transmit and receive on one wire: the ESP32 drives its transmit pin open drain and reads the
//     wire back on its receive pin (the same pin, or two tied together), as the I/O contact is one
//     line shared by both sides (§5.2; the interface chip's I/OUC pin);
//   - per-character parity verdicts: read() gives 0..255, or'ed with PARITY_ERROR (0x100, the value
//     of hal/card-line.ts LINE.PARITY_ERROR) when the character's parity check failed;
//   - the baud rate and parity changed on an open port by set() (after the ATR and after PPS);
//   - extra guard time between transmitted characters, in bit times (N of TC1, §8.3).
//
// Echo: everything written comes back to read() as well (the pin reads the wire, and the wire
// carries our own characters), in order and before anything the card sends after them. The C only
// carries bytes; hal/esp32/card-interface.ts drops the echo, so the twin board (hal/twin) runs the
// same suppression code the device runs.
//
// The twin's host class (hal/twin/smartcard-uart.ts) has this shape too; the card interface takes
// either through its options, so nothing in hal/esp32 imports the native module.

export interface SmartCardUartOptions {
  /** UART controller (0..2 on the ESP32); the terminal's wiring uses 1 (moddable.json wiring.card.uart). */
  readonly port: number;
  /**
   * GPIOs joined to the interface chip's I/OUC (ECMA-419 Serial's names): the transmitter drives
   * `transmit` open drain and the receiver reads `receive`; they may be one pin or two pins tied
   * together (moddable.json wiring.card: 17 and 16).
   */
  readonly transmit: number;
  readonly receive: number;
  /** Bit rate in bit/s: clock Hz × Di / Fi (§7.1), 9,600 at 3.5712 MHz and the default Fi 372, Di 1. */
  readonly baud: number;
  /** Parity sense; even unless given (§7.2). */
  readonly parity?: 'even' | 'odd';
  /** Idle bit times added after each transmitted character's 2 stop bits: N of TC1 (§8.3). Default 0. */
  readonly guardBits?: number;
  /** Called (with `this` the port, ECMA-419 style) when characters are waiting; `count` is how many. */
  readonly onReadable?: (this: SmartCardUartPort, count: number) => void;
  readonly format?: 'number';
  readonly target?: unknown;
}

/** What set() changes on an open port; what it leaves out stays as it was. */
export interface SmartCardUartSettings {
  readonly baud?: number;
  readonly parity?: 'even' | 'odd';
  readonly guardBits?: number;
}

/** An open smart-card UART. */
export interface SmartCardUartPort {
  /** The bit rate the UART's divider reached, bit/s (ESP-IDF uart_get_baudrate): close to the one asked for. */
  readonly baud: number;
  readonly target: unknown;
  /** The next received character, 0..255 | 0x100 on a parity error; undefined when none waits. */
  read(): number | undefined;
  /**
   * Copies waiting characters into `target` from `offset`, as many as fit, stopping before one
   * flagged with a parity error (read() gives that one, flagged); returns how many it copied.
   * RangeError for an offset outside `target`. One call per batch, not per character.
   */
  readInto(target: Uint8Array, offset: number): number;
  /** Queues characters for transmission; they go out (12 + guardBits) bit times apart. */
  write(buffer: ArrayBuffer | ArrayBufferView): void;
  /** Changes the bit rate, parity sense or guard time of the open port. */
  set(settings: SmartCardUartSettings): void;
  /** Drops what was received and not yet read. */
  flush(): void;
  close(): void;
  get format(): 'number';
  set format(value: 'number');
}

/** The class, as hal/esp32/card-interface.ts takes it (the native one or the twin's). */
export type SmartCardUartClass = new (options: SmartCardUartOptions) => SmartCardUartPort;

/** The card clock (smartcard-uart.c SmartCardClock): an LEDC output, ECMA-419 PWM's shape plus `resolution`. */
export declare class SmartCardClock {
  /**
   * `hz` asked for, 1..20 MHz; `resolution` in bits, 1..4 (default 1: 50 % duty is write(1));
   * LEDC `timer` and `channel` (default 3 and 7).
   */
  constructor(options: { readonly pin: number; readonly hz: number; readonly resolution?: number; readonly timer?: number; readonly channel?: number });
  /** The frequency the LEDC divider reached (ESP-IDF ledc_get_freq), Hz. */
  readonly hz: number;
  readonly resolution: number;
  write(duty: number): void;
  close(): void;
  get format(): 'number';
  set format(value: 'number');
}

/** Or'ed onto a character whose parity check failed. */
export declare const PARITY_ERROR: 0x100;

/** The members are SmartCardUartPort's (declaration merging: one list to keep). */
interface SmartCardUart extends SmartCardUartPort {}
declare class SmartCardUart {
  constructor(options: SmartCardUartOptions);
}

export default SmartCardUart;
