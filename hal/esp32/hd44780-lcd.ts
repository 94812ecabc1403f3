// The terminal's 20×4 character LCD (patent fig. 2, display 14): an HD44780 in 4-bit mode behind
// a PCF8574 I2C backpack. Hitachi HD44780U datasheet (ADE-207-272(Z) '99.9 rev 0.0): instructions
// table 6, DDRAM addresses p. 11 and fig. 4/5, initialising by instruction fig. 24 (4-bit).
// NXP PCF8574 datasheet rev. 5: a write sets the eight quasi-bidirectional pins at each byte's
// acknowledge (§8.2), and they come up high at power-on (§8.1).
//
// The backpack's wiring (the common "LCM1602 IIC" boards): P0 RS, P1 RW, P2 E, P3 backlight
// transistor, P4..P7 D4..D7. An instruction is two nibbles, high first; each nibble is latched on
// the falling edge of E, so it takes two PCF8574 writes (E high with the data, then E low).
//
// Time comes from the HAL clock: the power-on and instruction waits of fig. 24 are clock timers,
// never a busy loop. The slowest ordinary instructions (37 µs, table 6) need no wait: one nibble
// takes two bytes on the bus, 180 µs at 100 kHz. Clear display (1.52 ms) is only sent in the init
// sequence, where the driver waits for it; frames are drawn by overwriting cells.
import type I2C from 'embedded:io/i2c';
import type { Clock } from '../clock.js';
import { frame, LCD_COLUMNS, LCD_ROWS, type Display } from '../display.js';
import type { I2cBusOptions } from './i2c-bus.js';

/** HD44780U table 6: instruction codes (RS = 0). */
const Instruction = Object.freeze({
  CLEAR_DISPLAY: 0x01,
  ENTRY_MODE_SET: 0x04,
  DISPLAY_CONTROL: 0x08,
  FUNCTION_SET: 0x20,
  SET_DDRAM_ADDRESS: 0x80,
} as const);

/** HD44780U table 6: the option bits of those instructions. */
const Flag = Object.freeze({
  ENTRY_INCREMENT: 0x02, // I/D = 1: the address counter counts up after a write
  DISPLAY_ON: 0x04, // D = 1 (cursor C and blink B stay 0)
  TWO_LINES: 0x08, // N = 1: a 20×4 module is wired as two 40-character lines
  FONT_5X8: 0x00, // F = 0
  INTERFACE_8_BITS: 0x03, // the nibble of "function set, DL = 1" sent during fig. 24
  INTERFACE_4_BITS: 0x02, // the nibble of "function set, DL = 0"
} as const);

/** PCF8574 pins on the backpack. */
const Backpack = Object.freeze({
  RS: 0x01,
  RW: 0x02,
  E: 0x04,
  BACKLIGHT: 0x08,
  DATA_SHIFT: 4, // D4..D7 on P4..P7
} as const);

/** HD44780U p. 11, fig. 5 (4-line display): DDRAM address of column 0 of each row. */
const ROW_ADDRESS = Object.freeze([0x00, 0x40, 0x14, 0x54] as const);

/** Waits of fig. 24 and table 6 in ms, rounded up to the HAL clock's resolution. */
const Wait = Object.freeze({
  POWER_ON: 50, // > 40 ms after VCC rises to 2.7 V
  FIRST_FUNCTION_SET: 5, // > 4.1 ms
  SECOND_FUNCTION_SET: 1, // > 100 µs
  CLEAR_DISPLAY: 2, // 1.52 ms
  RETRY: 1000, // before initialising again after the bus failed
} as const);

/** Character ROM A00 (table 4): the codes that differ from ASCII or lie outside it. */
const Rom = Object.freeze({
  YEN: 0x5c, // A00 has ¥ where ASCII has a backslash
  UNKNOWN: 0x3f, // '?' for any character the ROM lacks
  KATAKANA_FIRST: 0xa1, // U+FF61..U+FF9F halfwidth katakana are 0xA1..0xDF
  KATAKANA_LAST: 0xdf,
} as const);

const HALFWIDTH_KATAKANA = 0xff61;

/** One character to its A00 code: printable ASCII but backslash and tilde, ¥, halfwidth katakana. */
function romCode(char: string): number {
  const code = char.codePointAt(0) ?? 0x20;
  if (code >= 0x20 && code <= 0x7d && code !== Rom.YEN) return code;
  if (code === 0xa5) return Rom.YEN;
  const kana = code - HALFWIDTH_KATAKANA + Rom.KATAKANA_FIRST;
  if (kana >= Rom.KATAKANA_FIRST && kana <= Rom.KATAKANA_LAST) return kana;
  return Rom.UNKNOWN;
}

export interface Hd44780Options {
  /** The backpack's bus: ECMA-419 I2C class and its options (pins, hz, address; defaults 100 kHz, 0x27). */
  readonly display: I2cBusOptions;
  readonly clock: Clock;
  /** Told of a bus failure; the driver initialises the LCD again and redraws the last frame. */
  readonly onError?: (error: unknown) => void;
}

export class Hd44780Lcd implements Display {
  readonly columns = LCD_COLUMNS;
  readonly rows = LCD_ROWS;
  readonly #io: I2C;
  readonly #clock: Clock;
  readonly #onError: ((error: unknown) => void) | null;
  #ready = false;
  #closed = false;
  #backlight: number = Backpack.BACKLIGHT;
  /** The PCF8574 port as last written; it powers up with every pin high. */
  #port = 0xff;
  /** The frame to show: drawn as soon as the LCD is initialised. */
  #wanted: string[] = frame([]);
  /** A00 codes the DDRAM holds for each visible cell, or null when unknown (before init, after a failure). */
  #shown: number[][] | null = null;
  #initialising: Promise<void> | null = null;

  constructor(options: Hd44780Options) {
    const { io: I2cClass, ...bus } = options.display;
    this.#io = new I2cClass({ hz: 100_000, address: 0x27, ...bus });
    this.#clock = options.clock;
    this.#onError = options.onError ?? null;
    this.#start(Wait.POWER_ON);
  }

  /** Resolves when the init sequence under way has run (the frame is then on the glass) or failed (a retry is then scheduled). */
  get ready(): Promise<void> {
    return this.#initialising ?? Promise.resolve();
  }

  show(lines: readonly string[]): void {
    this.#wanted = frame(lines, this.columns, this.rows);
    if (this.#ready) this.#draw();
  }

  /** The backlight transistor on P3. */
  set backlight(on: boolean) {
    this.#backlight = on ? Backpack.BACKLIGHT : 0;
    if (!this.#ready) return;
    this.#guard(() => this.#io.write(Uint8Array.of((this.#port & ~Backpack.BACKLIGHT) | this.#backlight)));
  }

  close(): void {
    this.#closed = true;
    this.#ready = false;
  }

  #start(waitMs: number): void {
    this.#ready = false;
    this.#shown = null;
    this.#initialising = this.#initialise(waitMs).catch((error: unknown) => {
      this.#onError?.(error);
      if (!this.#closed) this.#start(Wait.RETRY);
    });
  }

  /** Fig. 24, 4-bit interface: three 8-bit function sets, the switch to 4 bits, then the settings. */
  async #initialise(waitMs: number): Promise<void> {
    await this.#sleep(waitMs);
    this.#write([this.#port & ~(Backpack.E | Backpack.RS | Backpack.RW)]); // E low before the first pulse
    this.#write(this.#nibble(Flag.INTERFACE_8_BITS, 0));
    await this.#sleep(Wait.FIRST_FUNCTION_SET);
    this.#write(this.#nibble(Flag.INTERFACE_8_BITS, 0));
    await this.#sleep(Wait.SECOND_FUNCTION_SET);
    this.#write([...this.#nibble(Flag.INTERFACE_8_BITS, 0), ...this.#nibble(Flag.INTERFACE_4_BITS, 0)]);
    this.#write([
      ...this.#instruction(Instruction.FUNCTION_SET | Flag.TWO_LINES | Flag.FONT_5X8),
      ...this.#instruction(Instruction.DISPLAY_CONTROL),
      ...this.#instruction(Instruction.CLEAR_DISPLAY),
    ]);
    await this.#sleep(Wait.CLEAR_DISPLAY);
    this.#write([
      ...this.#instruction(Instruction.ENTRY_MODE_SET | Flag.ENTRY_INCREMENT),
      ...this.#instruction(Instruction.DISPLAY_CONTROL | Flag.DISPLAY_ON),
    ]);
    this.#shown = ROW_ADDRESS.map(() => new Array<number>(LCD_COLUMNS).fill(0x20));
    if (this.#closed) return;
    this.#ready = true;
    this.#draw();
  }

  /** Writes the cells that differ from what the DDRAM holds, one bus transfer per row. */
  #draw(): void {
    this.#guard(() => {
      const shown = this.#shown;
      if (!shown) return;
      this.#wanted.forEach((line, row) => {
        const codes = Array.from(line, romCode);
        const held = shown[row]!;
        const bytes: number[] = [];
        let col = 0;
        while (col < codes.length) {
          if (codes[col] === held[col]) {
            col++;
            continue;
          }
          // a run of changed cells; one unchanged cell inside costs less than a new address
          let end = col + 1;
          while (end < codes.length && (codes[end] !== held[end] || (end + 1 < codes.length && codes[end + 1] !== held[end + 1]))) end++;
          bytes.push(...this.#instruction(Instruction.SET_DDRAM_ADDRESS | (ROW_ADDRESS[row]! + col)));
          for (let i = col; i < end; i++) bytes.push(...this.#data(codes[i]!));
          col = end;
        }
        if (bytes.length === 0) return;
        this.#write(bytes);
        shown[row] = codes;
      });
    });
  }

  #guard(action: () => void): void {
    try {
      action();
    } catch (error) {
      // a NACK or a bus fault: the LCD may have lost power, so it is initialised from scratch
      this.#onError?.(error);
      if (!this.#closed) this.#start(Wait.RETRY);
    }
  }

  /** Port bytes for one nibble: RS settles with E low first if it changes, then E high, E low. */
  #nibble(value: number, rs: number): number[] {
    const port = ((value & 0x0f) << Backpack.DATA_SHIFT) | this.#backlight | rs;
    const bytes: number[] = [];
    if ((this.#port & (Backpack.RS | Backpack.RW)) !== rs) bytes.push(port);
    bytes.push(port | Backpack.E, port);
    this.#port = port;
    return bytes;
  }

  #instruction(code: number): number[] {
    return [...this.#nibble(code >> 4, 0), ...this.#nibble(code, 0)];
  }

  #data(code: number): number[] {
    return [...this.#nibble(code >> 4, Backpack.RS), ...this.#nibble(code, Backpack.RS)];
  }

  #write(bytes: readonly number[]): void {
    this.#io.write(Uint8Array.from(bytes));
    this.#port = bytes[bytes.length - 1] ?? this.#port;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.#clock.setTimer(ms, resolve));
  }
}
