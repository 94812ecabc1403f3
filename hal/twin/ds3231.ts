// Model of a Maxim DS3231 RTC for the twin board: the timekeeping registers 00h..06h (BCD,
// 24-hour, century bit), the status register 0Fh with OSF, a register pointer set by the first
// byte of a write and advanced by every byte. Time runs with the virtual clock from where it was
// set; `batteryOut()` stops it and sets OSF, as a flat coin cell would.
import type { I2cDevice, TwinBoard } from './board.js';

function toBcd(value: number): number {
  return ((Math.floor(value / 10) % 10) << 4) | (value % 10);
}

function fromBcd(value: number): number {
  return (value >> 4) * 10 + (value & 0x0f);
}

export class Ds3231Twin {
  readonly #board: TwinBoard;
  /** RTC time minus virtual-clock time, ms. */
  #offset: number;
  #status = 0;
  #pointer = 0;
  #fresh = true; // the next written byte is a register address
  #pending = new Map<number, number>();

  constructor(board: TwinBoard, startMs: number) {
    this.#board = board;
    this.#offset = startMs - board.clock.now();
  }

  /** What the RTC's registers say now, ms since the epoch (to the second). */
  get time(): number {
    return Math.floor((this.#board.clock.now() + this.#offset) / 1000) * 1000;
  }

  batteryOut(): void {
    this.#status |= 0x80;
    this.#offset = Date.UTC(2000, 0, 1) - this.#board.clock.now();
  }

  readonly device: I2cDevice = Object.freeze({
    write: (byte: number) => {
      if (this.#fresh) {
        this.#pointer = byte & 0x1f;
        this.#fresh = false;
        return;
      }
      this.#pending.set(this.#pointer, byte);
      this.#pointer = (this.#pointer + 1) % 0x13;
    },
    read: () => {
      const value = this.#register(this.#pointer);
      this.#pointer = (this.#pointer + 1) % 0x13;
      return value;
    },
    stop: () => this.#commit(),
  });

  /** A new transfer begins with a register address: called by the bus through stop(). */
  #commit(): void {
    this.#fresh = true;
    if (this.#pending.size === 0) return;
    const registers = Array.from({ length: 7 }, (_, i) => this.#pending.get(i) ?? this.#register(i));
    if ([0, 1, 2, 3, 4, 5, 6].some((i) => this.#pending.has(i))) {
      const century = registers[5]! & 0x80 ? 100 : 0;
      const ms = Date.UTC(2000 + century + fromBcd(registers[6]!), fromBcd(registers[5]! & 0x1f) - 1, fromBcd(registers[4]!), fromBcd(registers[2]! & 0x3f), fromBcd(registers[1]!), fromBcd(registers[0]! & 0x7f));
      this.#offset = ms - this.#board.clock.now();
    }
    const status = this.#pending.get(0x0f);
    if (status !== undefined) this.#status = (this.#status & status & 0x80) | (status & 0x7f);
    this.#pending.clear();
  }

  #register(index: number): number {
    const date = new Date(this.time);
    const year = date.getUTCFullYear();
    switch (index) {
      case 0: return toBcd(date.getUTCSeconds());
      case 1: return toBcd(date.getUTCMinutes());
      case 2: return toBcd(date.getUTCHours());
      case 3: return date.getUTCDay() + 1;
      case 4: return toBcd(date.getUTCDate());
      case 5: return toBcd(date.getUTCMonth() + 1) | (year >= 2100 ? 0x80 : 0);
      case 6: return toBcd(year % 100);
      case 0x0f: return this.#status;
      default: return 0;
    }
  }
}
