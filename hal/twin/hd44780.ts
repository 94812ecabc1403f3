// Model of an HD44780 20×4 LCD behind a PCF8574 I2C backpack, for the twin board.
// PCF8574 (NXP datasheet rev. 5): each byte written sets P0..P7 at its acknowledge; pins start
// high at power-on; a read returns the pin levels. Backpack wiring: P0 RS, P1 RW, P2 E,
// P3 backlight, P4..P7 D4..D7.
// HD44780U (Hitachi ADE-207-272): after power-on the interface is 8 bits wide; it must be
// initialised by instruction (fig. 24: 0x3 after > 40 ms, 0x3 after > 4.1 ms, 0x3 after > 100 µs,
// 0x2, then function set in 4 bits); a nibble is latched when E falls (fig. 25, 4-bit transfer);
// instructions take the execution times of table 6, during which the busy flag is set and a
// write is lost. The model refuses (ignores and records a fault on the board) anything sent
// before initialisation, while busy, with RS changing as E rises (tAS), or with data changing as
// E falls (tH); it keeps DDRAM with the 2-line addresses (0x00..0x27, 0x40..0x67; rows at 0x00,
// 0x40, 0x14, 0x54), the address counter, entry mode, display shift, display on/off and CGRAM.
import type { I2cDevice, TwinBoard } from './board.js';

const PIN = Object.freeze({ RS: 0x01, RW: 0x02, E: 0x04, BACKLIGHT: 0x08 } as const);

/** Table 6 execution times, µs (fosc = 270 kHz). */
const EXEC_US = Object.freeze({ SHORT: 37, CLEAR: 1520, DATA: 41, FIRST_INIT: 4100, SECOND_INIT: 100 } as const);
/** Fig. 24: the wait after VCC reaches 2.7 V, µs. */
const POWER_ON_US = 40_000;

const ROW_ADDRESS = Object.freeze([0x00, 0x40, 0x14, 0x54] as const);
const LINE_LENGTH = 40;

/** Character ROM A00 decoded for tests: ASCII but ¥ at 0x5C, arrows at 0x7E/0x7F, halfwidth katakana. */
function glyph(code: number): string {
  if (code === 0x5c) return '¥';
  if (code === 0x7e) return '→';
  if (code === 0x7f) return '←';
  if (code >= 0x20 && code <= 0x7d) return String.fromCharCode(code);
  if (code >= 0xa1 && code <= 0xdf) return String.fromCharCode(0xff61 + code - 0xa1);
  if (code === 0xff) return '█';
  if (code < 0x10) return '▯'; // a CGRAM character
  return '�';
}

export interface LcdInstruction {
  /** Bus time the instruction was latched, µs. */
  readonly atUs: number;
  readonly rs: 0 | 1;
  /** The byte (8-bit interface: the nibble on D7..D4 as the high half, DL=1 function sets as 0x30). */
  readonly value: number;
}

export class Hd44780Twin {
  readonly #board: TwinBoard;
  readonly #ddram = new Uint8Array(0x80).fill(0xff); // undefined contents at power-on
  readonly #cgram = new Uint8Array(64);
  /** Every instruction and data byte executed, in order. */
  readonly log: LcdInstruction[] = [];
  #port = 0xff;
  #busyUntilUs: number;
  #initStep = 0; // 0..3 function sets of 0x3 seen; 4 after 0x2; 5 after the 4-bit function set
  #eightBit = true;
  #pendingHigh: number | null = null;
  #pendingRs = 0;
  #address = 0;
  #toCgram = false;
  #increment = true;
  #shiftOnWrite = false;
  #shift = 0;
  #displayOn = false;
  #cursorOn = false;
  #twoLines = false;

  constructor(board: TwinBoard) {
    this.#board = board;
    this.#busyUntilUs = board.nowUs() + POWER_ON_US;
  }

  /** The PCF8574 on the bus, to attach at the backpack's address. */
  readonly backpack: I2cDevice = Object.freeze({
    write: (byte: number, atUs: number) => this.#pins(byte & 0xff, atUs),
    read: () => this.#port,
  });

  get initialised(): boolean {
    return this.#initStep === 5;
  }

  get displayOn(): boolean {
    return this.#displayOn;
  }

  get cursorOn(): boolean {
    return this.#cursorOn;
  }

  get backlight(): boolean {
    return (this.#port & PIN.BACKLIGHT) !== 0;
  }

  get address(): number {
    return this.#address;
  }

  /** What the DDRAM holds for the four rows, as the glass shows it with the display on. */
  get lines(): string[] {
    return ROW_ADDRESS.map((_, row) => {
      let text = '';
      for (let col = 0; col < 20; col++) text += glyph(this.#ddram[this.#visibleAddress(row, col)]!);
      return text;
    });
  }

  /** What a person sees: the lines, or blank glass with the display off. */
  get glass(): string[] {
    return this.#displayOn ? this.lines : ROW_ADDRESS.map(() => ' '.repeat(20));
  }

  ddram(address: number): number {
    return this.#ddram[address & 0x7f]!;
  }

  #visibleAddress(row: number, col: number): number {
    const line = row % 2;
    const offset = row >= 2 ? 20 : 0;
    return line * 0x40 + (((offset + col + this.#shift) % LINE_LENGTH) + LINE_LENGTH) % LINE_LENGTH;
  }

  #fault(message: string): void {
    this.#board.fault(`HD44780: ${message}`);
  }

  #pins(next: number, atUs: number): void {
    const before = this.#port;
    this.#port = next;
    const eBefore = before & PIN.E;
    const eNow = next & PIN.E;
    if (!eBefore && eNow && (before & (PIN.RS | PIN.RW)) !== (next & (PIN.RS | PIN.RW)) && !(next & PIN.RW)) {
      this.#fault(`RS/RW changed as E rose (address setup time tAS) at ${atUs.toFixed(0)} µs`);
    }
    if (!eBefore || eNow) return;
    // E fell: a read cycle (RW = 1) latches nothing; the driver never reads in 4-bit mode
    if (before & PIN.RW) {
      if (!this.#eightBit) this.#fault('read cycle in 4-bit mode: the driver is write-only');
      return;
    }
    if ((before & 0xf0) !== (next & 0xf0) || (before & PIN.RS) !== (next & PIN.RS)) {
      this.#fault(`data changed as E fell (hold time tH) at ${atUs.toFixed(0)} µs`);
      return;
    }
    this.#latch(before >> 4, before & PIN.RS ? 1 : 0, atUs);
  }

  #latch(nibble: number, rs: 0 | 1, atUs: number): void {
    if (atUs < this.#busyUntilUs) {
      this.#fault(`nibble 0x${nibble.toString(16)} (RS=${rs}) at ${atUs.toFixed(0)} µs while busy until ${this.#busyUntilUs.toFixed(0)} µs: lost`);
      return;
    }
    if (this.#eightBit) {
      // 8-bit interface: D3..D0 are tied low on the backpack, so each pulse is one whole byte
      const value = nibble << 4;
      if (this.#initStep < 3) {
        if (rs !== 0 || value !== 0x30) {
          this.#fault(`0x${value.toString(16)} (RS=${rs}) before initialisation (step ${this.#initStep + 1} of fig. 24 wants 0x30)`);
          return;
        }
        this.log.push({ atUs, rs, value });
        this.#busyUntilUs = atUs + [EXEC_US.FIRST_INIT, EXEC_US.SECOND_INIT, EXEC_US.SHORT][this.#initStep]!;
        this.#initStep++;
        return;
      }
      this.#execute(value, rs, atUs);
      return;
    }
    if (this.#pendingHigh === null) {
      this.#pendingHigh = nibble;
      this.#pendingRs = rs;
      return;
    }
    const value = (this.#pendingHigh << 4) | nibble;
    const pairedRs = this.#pendingRs;
    this.#pendingHigh = null;
    if (pairedRs !== rs) this.#fault(`RS changed between the two nibbles of 0x${value.toString(16)}`);
    this.#execute(value, rs, atUs);
  }

  #execute(value: number, rs: 0 | 1, atUs: number): void {
    if (this.#initStep < 5 && (rs === 1 || (value & 0xe0) !== 0x20)) {
      this.#fault(`0x${value.toString(16)} (RS=${rs}) before the 4-bit function set of fig. 24`);
      return;
    }
    this.log.push({ atUs, rs, value });
    let execUs: number = EXEC_US.SHORT;
    if (rs === 1) {
      execUs = EXEC_US.DATA;
      if (this.#toCgram) {
        this.#cgram[this.#address & 0x3f] = value & 0x1f;
        this.#address = (this.#address + (this.#increment ? 1 : -1)) & 0x3f;
      } else {
        this.#ddram[this.#address] = value;
        this.#step();
        if (this.#shiftOnWrite) this.#shift += this.#increment ? 1 : -1;
      }
    } else if (value & 0x80) {
      const address = value & 0x7f;
      if (this.#twoLines && ((address > 0x27 && address < 0x40) || address > 0x67)) this.#fault(`DDRAM address 0x${address.toString(16)} does not exist in 2-line mode`);
      this.#address = address;
      this.#toCgram = false;
    } else if (value & 0x40) {
      this.#address = value & 0x3f;
      this.#toCgram = true;
    } else if (value & 0x20) {
      // DL switches the interface (how fig. 24 recovers from any state); N and F are checked only
      // in a 4-bit function set that stays in 4 bits, where the low nibble is really transferred
      const wasEightBit = this.#eightBit;
      this.#eightBit = (value & 0x10) !== 0;
      this.#pendingHigh = null;
      if (!wasEightBit && !this.#eightBit) {
        this.#twoLines = (value & 0x08) !== 0;
        if (!this.#twoLines) this.#fault('function set N=0: a 20×4 module needs 2-line mode');
        if (this.#initStep === 4 && !this.#eightBit) this.#initStep = 5;
      } else if (!this.#eightBit && this.#initStep === 3) {
        this.#initStep = 4;
      }
    } else if (value & 0x10) {
      if (value & 0x08) this.#shift += value & 0x04 ? -1 : 1;
      else this.#step(value & 0x04 ? 1 : -1);
    } else if (value & 0x08) {
      this.#displayOn = (value & 0x04) !== 0;
      this.#cursorOn = (value & 0x02) !== 0;
    } else if (value & 0x04) {
      this.#increment = (value & 0x02) !== 0;
      this.#shiftOnWrite = (value & 0x01) !== 0;
    } else if (value & 0x02) {
      execUs = EXEC_US.CLEAR;
      this.#address = 0;
      this.#toCgram = false;
      this.#shift = 0;
    } else if (value & 0x01) {
      execUs = EXEC_US.CLEAR;
      this.#ddram.fill(0x20);
      this.#address = 0;
      this.#toCgram = false;
      this.#shift = 0;
      this.#increment = true;
    }
    this.#busyUntilUs = atUs + execUs;
  }

  /** Moves the DDRAM address counter one cell, wrapping 0x27→0x40 and 0x67→0x00 (2-line mode). */
  #step(direction: number = this.#increment ? 1 : -1): void {
    let next = this.#address + direction;
    if (direction > 0) {
      if (next === 0x28) next = 0x40;
      else if (next === 0x68) next = 0x00;
    } else if (next === 0x3f) next = 0x27;
    else if (next === -1) next = 0x67;
    this.#address = next;
  }
}
