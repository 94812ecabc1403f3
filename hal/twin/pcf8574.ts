// Model of an NXP PCF8574 I2C port expander for the twin board (hal/twin/board.ts), as a general
// part: its eight pins are nets of the board that other parts (the keypad matrix model) attach
// to like to GPIOs, and its INT output drives a GPIO net.
//
// NXP PCF8574/PCF8574A data sheet, rev. 5:
//   §8  quasi-bidirectional pins: a 0 written drives the pin low (strong pull-down), a 1 leaves a
//       weak current source to VDD, i.e. a pull-up anything else may overcome; the board resolves
//       a pin as an open-drain user with a pull-up (a closed key to a low row reads 0, no fault).
//       Each data byte written sets the pins at its acknowledge; a read returns the pin levels;
//       the pins are high (written 1) at power-on.
//   §8.3 INT, open drain, active low: low while some pin written 1 (an input) is at a level other
//       than the one it had at the last read or write of the port; a read or a write releases it,
//       as does the pin going back. The model drives the INT net low or lets it go (the firmware's
//       input pull-up holds it high). tv(INT) and trst(INT), 4 µs, are not modelled.
//
// The pins are "virtual" nets: numbers the twin board gives the expander, outside the GPIO range,
// so no firmware Digital on a GPIO can reach them (and the board refuses a second user of a net).
import type { I2cDevice, Level, TwinBoard } from './board.js';

const PINS = 8;
const ALL_HIGH = 0xff;

export interface Pcf8574TwinOptions {
  /** The board nets of P0..P7. */
  readonly pins: readonly number[];
  /** The GPIO net the INT output pulls low. */
  readonly interrupt: number;
  /** Names the part in faults and as the INT net's driver. */
  readonly name?: string;
}

export class Pcf8574Twin {
  /** The board nets of P0..P7. */
  readonly pins: readonly number[];
  /** The GPIO net INT drives. */
  readonly interruptPin: number;
  readonly #board: TwinBoard;
  readonly #name: string;
  /** The port byte as last written (1: weak pull-up; 0: driven low). */
  #outputs: number = ALL_HIGH;
  /** Pin levels at the last read or write: INT compares the inputs with these. */
  #reference: number;
  #interrupting = false;
  /** While a write sets the pins, their changes raise no interrupt (the write resets it). */
  #writing = false;
  /** Bus transfers the part has seen, for tests: data bytes written and port reads. */
  writes = 0;
  reads = 0;

  constructor(board: TwinBoard, options: Pcf8574TwinOptions) {
    if (options.pins.length !== PINS || new Set(options.pins).size !== PINS) throw new RangeError('PCF8574 twin: needs eight distinct nets');
    this.#board = board;
    this.pins = Object.freeze([...options.pins]);
    this.interruptPin = options.interrupt;
    this.#name = options.name ?? 'PCF8574';
    this.pins.forEach((net, pin) => {
      board.claim(net, this.#user(pin));
      board.watch(net, () => this.#update());
    });
    this.#reference = this.levels;
  }

  /** The part on the bus, to attach at its address. */
  readonly device: I2cDevice = Object.freeze({
    write: (byte: number) => this.#write(byte & 0xff),
    read: () => this.#read(),
  });

  /** The port byte as last written. */
  get outputs(): number {
    return this.#outputs;
  }

  /** The levels on P0..P7 now, P0 in bit 0. */
  get levels(): number {
    let levels = 0;
    this.pins.forEach((net, pin) => {
      if (this.#board.level(net)) levels |= 1 << pin;
    });
    return levels;
  }

  /** Whether INT is pulling its net low. */
  get interrupting(): boolean {
    return this.#interrupting;
  }

  #user(pin: number) {
    return { mode: 'open-drain', pull: 'up', out: ((this.#outputs >> pin) & 1) as Level } as const;
  }

  #write(byte: number): void {
    this.writes++;
    this.#writing = true;
    const before = this.#outputs;
    this.#outputs = byte;
    this.pins.forEach((net, pin) => {
      if (((before ^ byte) >> pin) & 1) this.#board.update(net, this.#user(pin));
    });
    this.#writing = false;
    this.#reference = this.levels;
    this.#update();
  }

  #read(): number {
    this.reads++;
    const levels = this.levels;
    this.#reference = levels;
    this.#update();
    return levels;
  }

  /** INT low while an input pin (written 1) differs from its level at the last read or write. */
  #update(): void {
    if (this.#writing) return;
    const interrupting = ((this.levels ^ this.#reference) & this.#outputs) !== 0;
    if (interrupting === this.#interrupting) return;
    this.#interrupting = interrupting;
    this.#board.drive(this.interruptPin, this.#name, interrupting ? 0 : null);
  }
}
