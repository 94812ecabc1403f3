// The terminal's battery-backed real-time clock: a Maxim DS3231 on the LCD's I2C bus (address
// 0x68). Maxim DS3231 datasheet 19-5170 rev. 10: timekeeping registers 00h..06h in BCD (fig. 1,
// table 1), 24-hour mode (bit 6 of 02h clear), century bit 7 of 05h, status register 0Fh whose
// OSF bit 7 says the oscillator stopped (battery out): the time is then not to be trusted.
// Register access: write the register address, then read on with a repeated START (fig. 5).
import type I2C from 'embedded:io/i2c';
import type { I2cBusOptions } from './i2c-bus.js';

const Register = Object.freeze({ SECONDS: 0x00, STATUS: 0x0f } as const);
const Status = Object.freeze({ OSF: 0x80 } as const);
const Bits = Object.freeze({ HOUR_12: 0x40, CENTURY: 0x80 } as const);
const TIME_REGISTERS = 7;

function fromBcd(value: number): number {
  return (value >> 4) * 10 + (value & 0x0f);
}

function toBcd(value: number): number {
  return ((Math.floor(value / 10) % 10) << 4) | (value % 10);
}

export interface Ds3231Options {
  /** ECMA-419 I2C class and the bus options (defaults 100 kHz, address 0x68). */
  readonly rtc: I2cBusOptions;
}

export class Ds3231 {
  readonly #io: I2C;

  constructor(options: Ds3231Options) {
    const { io: I2cClass, ...bus } = options.rtc;
    this.#io = new I2cClass({ hz: 100_000, address: 0x68, ...bus });
  }

  /** False when the oscillator has stopped since the time was last set (OSF). */
  get valid(): boolean {
    return (this.#read(Register.STATUS, 1)[0]! & Status.OSF) === 0;
  }

  /** Milliseconds since the Unix epoch, UTC, to the second; years 2000..2199. */
  get time(): number {
    const r = this.#read(Register.SECONDS, TIME_REGISTERS);
    const hourByte = r[2]!;
    if (hourByte & Bits.HOUR_12) throw new RangeError('DS3231 is in 12-hour mode: set the time first');
    const century = r[5]! & Bits.CENTURY ? 100 : 0;
    return Date.UTC(2000 + century + fromBcd(r[6]!), fromBcd(r[5]! & 0x1f) - 1, fromBcd(r[4]! & 0x3f), fromBcd(hourByte & 0x3f), fromBcd(r[1]! & 0x7f), fromBcd(r[0]! & 0x7f));
  }

  /** Sets the time (rounded down to the second) and clears OSF. */
  set time(ms: number) {
    const date = new Date(ms);
    const year = date.getUTCFullYear();
    if (!(year >= 2000 && year <= 2199)) throw new RangeError(`DS3231 keeps years 2000..2199, not ${year}`);
    this.#io.write(Uint8Array.of(
      Register.SECONDS,
      toBcd(date.getUTCSeconds()),
      toBcd(date.getUTCMinutes()),
      toBcd(date.getUTCHours()),
      date.getUTCDay() + 1,
      toBcd(date.getUTCDate()),
      toBcd(date.getUTCMonth() + 1) | (year >= 2100 ? Bits.CENTURY : 0),
      toBcd(year % 100),
    ));
    const status = this.#read(Register.STATUS, 1)[0]!;
    this.#io.write(Uint8Array.of(Register.STATUS, status & ~Status.OSF));
  }

  #read(register: number, length: number): Uint8Array {
    this.#io.write(Uint8Array.of(register), false);
    return new Uint8Array(this.#io.read(length));
  }
}
