// A twin of the terminal board for tests: pins joined into nets, I2C buses with addressed devices,
// UART ports, flash partitions and a timer service, all on the virtual clock (hal/sim/clock.ts).
// `board.io` holds host classes with the ECMA-419 shapes (Digital, I2C, Serial, PWM: constructors
// taking the ECMA-419 options, ECMA-419 §"IO Class Pattern"), so the drivers in hal/esp32 run
// unchanged on it; the parts (hd44780.ts, keypad-matrix.ts, at-modem.ts, ds3231.ts) sit on the
// other side of the same pins, buses and ports. Engine-neutral: it runs on Node and inside XS.
//
// How a part attaches:
//   - pins: `board.watch(pin, listener)` hears the level of a net change (a chip's input);
//     `board.drive(pin, owner, level | null)` drives a net from the part (a chip's output or a
//     switch to ground; null releases it); `board.switch(a, b)` is a contact joining two nets
//     (a key). Levels resolve as wires do: strong 0 and 1 together are a fault (contention), a
//     net nobody drives follows its pull-up/pull-down, a floating net read is a fault.
//   - I2C: `board.i2c(dataPin, clockPin).attach(address, device)`; the device gets every byte the
//     firmware writes with the bus time it arrived at (9 bit times a byte at the bus clock).
//   - UART: `board.uart(port)` gives the part the far end: `onReceive` hears the firmware's bytes,
//     `send(bytes, delayMs)` answers; bytes arrive 10 bit times apart at the configured baud.
//   - flash: `board.addPartition(name, simFlash)`; `board.storage.Flash` is Moddable's `flash` class.
//
// Time: the board's clock is the virtual clock. A synchronous I2C transfer blocks the firmware as
// it does on the device (an I2C write of 84 bytes at 100 kHz lasts 7.6 ms): the clock moves on by
// the transfer's length, without firing timers on the way, and parts that check timing see each
// byte's bus timestamp in µs.
//
// Faults (contention, floating reads, protocol errors a part refuses) are collected in
// `board.faults`; a test asserts it is empty, or finds the fault it provoked.
import type { VirtualClock } from '../sim/clock.js';
import type { SimFlash } from '../sim/flash.js';

export type Level = 0 | 1;

/** What a part on an I2C bus sees: bytes written at bus times (µs), reads it answers. */
export interface I2cDevice {
  /** One byte the controller wrote, at `atUs` µs of bus time. */
  write(byte: number, atUs: number): void;
  /** The next byte the controller reads. */
  read(atUs: number): number;
  /** A STOP (or a repeated START) ended the transfer. */
  stop?(atUs: number): void;
}

/** Anything ECMA-419 accepts as a buffer that the twin can read: ArrayBuffer or a view on one. */
export type TwinBuffer = ArrayBuffer | ArrayBufferView;

export function bytesOf(value: TwinBuffer): Uint8Array {
  if (value instanceof ArrayBuffer) return new Uint8Array(value.slice(0));
  return new Uint8Array(value.buffer, value.byteOffset, value.byteLength).slice();
}

type PinMode = 'input' | 'output' | 'open-drain';
type Pull = 'up' | 'down' | 'none';

interface PinUser {
  readonly mode: PinMode;
  readonly pull: Pull;
  /** Driven level for output modes (open drain: 1 releases the net). */
  readonly out: Level;
}

interface Contact {
  readonly a: number;
  readonly b: number;
  closed: boolean;
}

export class BoardSwitch {
  readonly #board: TwinBoard;
  readonly #contact: Contact;

  constructor(board: TwinBoard, contact: Contact) {
    this.#board = board;
    this.#contact = contact;
  }

  get closed(): boolean {
    return this.#contact.closed;
  }

  set closed(value: boolean) {
    if (this.#contact.closed === value) return;
    this.#contact.closed = value;
    this.#board.settle();
  }
}

/** An I2C bus on two pins: devices by 7-bit address, a clock rate, bus time in µs. */
export class TwinI2cBus {
  readonly #board: TwinBoard;
  readonly #devices = new Map<number, I2cDevice>();
  #freeAtUs = 0;
  /** Addresses that answer NACK until cleared (a part unplugged or browned out). */
  readonly absent = new Set<number>();

  constructor(board: TwinBoard) {
    this.#board = board;
  }

  attach(address: number, device: I2cDevice): void {
    if (this.#devices.has(address)) throw new Error(`I2C address 0x${address.toString(16)} is taken`);
    this.#devices.set(address, device);
  }

  /** Starts a transfer: START and address byte; returns the device or throws on NACK. */
  #begin(address: number, hz: number): { device: I2cDevice; bitUs: number; atUs: number } {
    const device = this.#devices.get(address);
    const bitUs = 1e6 / hz;
    const atUs = Math.max(this.#board.nowUs(), this.#freeAtUs) + 10 * bitUs; // START + address + ACK
    this.#freeAtUs = atUs;
    if (!device || this.absent.has(address)) throw new Error(`I2C: no acknowledge from address 0x${address.toString(16)}`);
    return { device, bitUs, atUs };
  }

  /** STOP (or nothing, before a repeated START); the firmware was blocked until now. */
  #end(device: I2cDevice, atUs: number, stop: boolean): void {
    this.#freeAtUs = atUs;
    if (stop) device.stop?.(atUs);
    this.#board.clock.moveTo(atUs / 1000);
  }

  write(address: number, hz: number, bytes: Uint8Array, stop: boolean): void {
    const begun = this.#begin(address, hz);
    let atUs = begun.atUs;
    for (const byte of bytes) {
      atUs += 9 * begun.bitUs;
      begun.device.write(byte, atUs);
    }
    this.#end(begun.device, atUs + begun.bitUs, stop);
  }

  read(address: number, hz: number, length: number, stop: boolean): Uint8Array {
    const begun = this.#begin(address, hz);
    const out = new Uint8Array(length);
    let atUs = begun.atUs;
    for (let i = 0; i < length; i++) {
      atUs += 9 * begun.bitUs;
      out[i] = begun.device.read(atUs) & 0xff;
    }
    this.#end(begun.device, atUs + begun.bitUs, stop);
    return out;
  }
}

/** The far end of a UART port, where a part (the modem) sits. */
export class TwinUart {
  readonly #board: TwinBoard;
  /** Baud rate the firmware opened the port with; 0 while closed. */
  baud = 0;
  /** Bytes the firmware wrote, as they leave its transmit pin. Set by the part. */
  onReceive: ((bytes: Uint8Array) => void) | null = null;
  /** Where bytes for the firmware go: set by the host Serial while the port is open. */
  deliver: ((bytes: Uint8Array) => void) | null = null;
  #lineFreeAt = 0;

  constructor(board: TwinBoard) {
    this.#board = board;
  }

  /** Milliseconds one byte takes on the line: start, 8 data bits, stop. */
  get byteMs(): number {
    return this.baud > 0 ? 10_000 / this.baud : 0;
  }

  /** The part sends bytes to the firmware after `delayMs`; they arrive one byte time apart. */
  send(bytes: Uint8Array, delayMs = 0): void {
    const clock = this.#board.clock;
    const start = Math.max(clock.now() + delayMs, this.#lineFreeAt);
    const copy = bytes.slice();
    this.#lineFreeAt = start + copy.length * this.byteMs;
    // one delivery when the last byte has arrived: a UART driver hands over what its FIFO holds
    clock.setTimer(this.#lineFreeAt - clock.now(), () => {
      if (this.deliver) this.deliver(copy);
      else this.#board.fault(`uart: ${copy.length} bytes sent to a closed port`);
    });
  }
}

/** A flash partition as Moddable's `flash` module sees it. */
export interface PartitionBacking {
  readonly flash: SimFlash;
}

export class TwinBoard {
  readonly clock: VirtualClock;
  readonly faults: string[] = [];
  readonly #users = new Map<number, PinUser>();
  readonly #partDrives = new Map<number, Map<string, Level>>();
  readonly #contacts: Contact[] = [];
  readonly #watchers = new Map<number, Array<(level: Level) => void>>();
  readonly #levels = new Map<number, Level>();
  readonly #buses = new Map<string, TwinI2cBus>();
  readonly #uarts = new Map<number, TwinUart>();
  readonly #partitions = new Map<string, SimFlash>();
  readonly #pwm = new Map<number, { hz: number; duty: number }>();

  constructor(clock: VirtualClock) {
    this.clock = clock;
  }

  nowUs(): number {
    return this.clock.now() * 1000;
  }

  fault(message: string): void {
    this.faults.push(`${this.clock.now()}: ${message}`);
  }

  // ---- pins and nets

  /** A host Digital opens a pin; throws if another host object holds it (ECMA-419: in use). */
  claim(pin: number, user: PinUser): void {
    if (this.#users.has(pin)) throw new Error(`pin ${pin} is in use`);
    this.#users.set(pin, user);
    this.settle();
  }

  update(pin: number, user: PinUser): void {
    this.#users.set(pin, user);
    this.settle();
  }

  release(pin: number): void {
    this.#users.delete(pin);
    this.settle();
  }

  /** A part drives a net (or releases it with null); `owner` names the driver. */
  drive(pin: number, owner: string, level: Level | null): void {
    let drives = this.#partDrives.get(pin);
    if (!drives) this.#partDrives.set(pin, (drives = new Map()));
    if (level === null) drives.delete(owner);
    else drives.set(owner, level);
    this.settle();
  }

  /** A contact between two nets, open at first. */
  switch(a: number, b: number): BoardSwitch {
    const contact: Contact = { a, b, closed: false };
    this.#contacts.push(contact);
    return new BoardSwitch(this, contact);
  }

  /** Calls `listener` whenever the net's level changes. */
  watch(pin: number, listener: (level: Level) => void): void {
    const list = this.#watchers.get(pin) ?? [];
    list.push(listener);
    this.#watchers.set(pin, list);
    this.#levels.set(pin, this.#resolve(pin, false));
  }

  /** The level of a net as an input on it reads it. */
  level(pin: number): Level {
    return this.#resolve(pin, true);
  }

  /** The pins joined to `pin` through closed contacts, `pin` included. */
  #net(pin: number): number[] {
    const net = [pin];
    for (let i = 0; i < net.length; i++) {
      for (const contact of this.#contacts) {
        if (!contact.closed) continue;
        const other = contact.a === net[i] ? contact.b : contact.b === net[i] ? contact.a : null;
        if (other !== null && !net.includes(other)) net.push(other);
      }
    }
    return net;
  }

  #resolve(pin: number, reading: boolean): Level {
    let low = false;
    let high = false;
    let pullUp = false;
    let pullDown = false;
    for (const member of this.#net(pin)) {
      const user = this.#users.get(member);
      if (user) {
        if (user.mode === 'output') (user.out ? (high = true) : (low = true));
        if (user.mode === 'open-drain' && user.out === 0) low = true;
        if (user.pull === 'up') pullUp = true;
        if (user.pull === 'down') pullDown = true;
      }
      for (const level of this.#partDrives.get(member)?.values() ?? []) (level ? (high = true) : (low = true));
    }
    if (low && high) {
      if (reading) this.fault(`pin ${pin}: a net driven high and low at once`);
      return 0;
    }
    if (low) return 0;
    if (high) return 1;
    if (pullUp && !pullDown) return 1;
    if (pullDown && !pullUp) return 0;
    if (reading) this.fault(`pin ${pin}: read while floating`);
    return 1;
  }

  /** Recomputes watched nets after any change and tells their listeners. */
  settle(): void {
    for (const [pin, listeners] of this.#watchers) {
      const level = this.#resolve(pin, false);
      if (this.#levels.get(pin) === level) continue;
      this.#levels.set(pin, level);
      for (const listener of listeners) listener(level);
    }
  }

  // ---- buses, ports, partitions

  i2c(data: number, clock: number): TwinI2cBus {
    const key = `${data}/${clock}`;
    let bus = this.#buses.get(key);
    if (!bus) this.#buses.set(key, (bus = new TwinI2cBus(this)));
    return bus;
  }

  uart(port: number): TwinUart {
    let uart = this.#uarts.get(port);
    if (!uart) this.#uarts.set(port, (uart = new TwinUart(this)));
    return uart;
  }

  addPartition(name: string, flash: SimFlash): void {
    this.#partitions.set(name, flash);
  }

  partition(name: string): SimFlash {
    const flash = this.#partitions.get(name);
    if (!flash) throw new Error(`flash partition "${name}" not found`);
    return flash;
  }

  setPwm(pin: number, state: { hz: number; duty: number } | null): void {
    if (state) this.#pwm.set(pin, state);
    else this.#pwm.delete(pin);
  }

  /** Frequency (Hz) and duty (0..1) a PWM output drives on a pin, or null. */
  pwm(pin: number): { readonly hz: number; readonly duty: number } | null {
    return this.#pwm.get(pin) ?? null;
  }
}
