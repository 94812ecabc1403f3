// ECMA-419 Digital pins on an NXP PCF8574 I2C port expander, for boards with too few GPIOs (the
// ESP32-C3 target: the 4×4 keypad sits behind a PCF8574 on the LCD's I2C bus). `pcf8574Digital()`
// makes a class with the shape of embedded:io/digital whose pins are the expander's P0..P7, so a
// driver written for GPIOs (keypad-matrix.ts) takes it as its injected Digital class unchanged.
//
// NXP PCF8574/PCF8574A data sheet, rev. 5 (27 May 2013):
//   §8 "Functional description": the eight pins are quasi-bidirectional. A 0 written to a pin
//       turns on its strong pull-down (the pin drives low); a 1 leaves only a weak current source
//       to VDD (a weak pull-up, tens to a few hundred µA), plus a strong pull-up for a moment after
//       the write's acknowledge to speed the rising edge. A pin written 1 is an input: anything outside may
//       pull it low. A read returns the levels on the pins, whatever was written. The outputs
//       change at the acknowledge of each data byte written; every pin is high after power-on.
//       The 7-bit address is 0100 A2 A1 A0 (0x20..0x27; PCF8574A: 0x38..0x3F). Standard-mode
//       I2C only: 100 kHz at most.
//   §8.3 "Interrupt output": INT (open drain, active low; it needs a pull-up) goes low after
//       tv(INT) ≤ 4 µs when an input pin's level differs from its level at the last read or write
//       of the port; reading or writing the port releases it (at the acknowledge), as does the pin
//       going back to its old level.
//
// How ECMA-419 maps on it:
//   Output, OutputOpenDrain  write() sets the pin's bit in the port byte. Both are open-drain
//                            really: 1 is the weak pull-up, not a strong high.
//   Input, InputPullUp       the pin's bit stays 1 and read() reads the port. The weak pull-up
//                            cannot be switched off, so Input is InputPullUp; InputPullDown and
//                            InputPullUpDown do not exist on this chip (RangeError).
//   edge + onReadable        the expander's INT, on a GPIO opened with the injected (real)
//                            ECMA-419 Digital class as InputPullUp with a Falling edge: on each
//                            falling edge the port is read (which releases INT) and every pin
//                            registered for an edge whose level changed that way since the
//                            previous read of the port gets its onReadable, `this` the instance.
//
// Bus traffic: one shadow byte of outputs per expander (each call of pcf8574Digital() has its
// own; nothing is module state, so the module can be preloaded into flash). A write() that leaves
// the byte as it is sends nothing; one that changes it sends the whole byte (a 2-byte I2C write,
// 0.2 ms at 100 kHz). Reads within one job (the synchronous run of one callback) share one
// transfer unless a write came between them: a keypad scan reading four columns after driving a
// row reads the port once, as a GPIO read of four pins would see one instant. An interrupt always
// reads the port afresh. A failed transfer marks the chip out of step, so the next access sends
// the shadow byte again first (an expander that lost power comes back with every pin high).
//
// Errors: ECMA-419 says a pin operation throws when it fails, and so does this one, unless the
// options give `onError`: then a bus failure is reported there, a read gives 1 (the pulled-up
// level: no key down) and a write is retried at the next access. A driver that never expects its
// pins to fail (keypad-matrix.ts, scanning from a timer) keeps running through a bus glitch.
// A failed read in the interrupt leaves INT low (only a read or write that reaches the chip
// releases it), so no further edge comes until the next successful access of the port.
//
// Engine-neutral: no Node API, no Moddable module imported (the I2C and Digital classes are
// injected), runs in XS on the device and on Node and xsnap against the twin (hal/twin/pcf8574.ts).
import type Digital from 'embedded:io/digital';
import type I2C from 'embedded:io/i2c';
import type { I2cBusOptions } from './i2c-bus.js';

/** Data sheet §8: the bus the chip speaks (Hz) and its address with A2 = A1 = A0 = 0. */
const Bus = Object.freeze({ HZ: 100_000, ADDRESS: 0x20 } as const);

/** Data sheet §8: eight pins P0..P7, all high (written 1) after power-on. */
const Port = Object.freeze({ PINS: 8, ALL_HIGH: 0xff } as const);

/**
 * The modes the class offers, as its static properties (ECMA-419 Digital). Numbers, as the Moddable
 * SDK's own Digital declares them (SDK 8.2.3 typings), so the class stands in for it there too;
 * ACTIVE_LOW is the SDK's extra flag, which this class refuses (no pin of the keypad needs it).
 */
const Mode = Object.freeze({
  INPUT: 0,
  INPUT_PULL_UP: 1,
  INPUT_PULL_DOWN: 2,
  INPUT_PULL_UP_DOWN: 3,
  OUTPUT: 8,
  OUTPUT_OPEN_DRAIN: 9,
  ACTIVE_LOW: 0x100,
} as const);

/** Edges, a bit mask: Rising | Falling asks for both. */
const Edge = Object.freeze({ RISING: 1, FALLING: 2 } as const);

/**
 * The terminal board's keypad behind its PCF8574 (moddable.json wiring.keypad.expander, which names
 * no pins): rows on P0..P3, columns on P4..P7, in layout order, as keypad-matrix.ts takes them.
 */
export const PCF8574_KEYPAD_PINS = Object.freeze({
  rows: Object.freeze([0, 1, 2, 3] as const),
  columns: Object.freeze([4, 5, 6, 7] as const),
});

export interface Pcf8574Options {
  /** The expander's bus: ECMA-419 I2C class and its options (pins, hz, address; defaults 100 kHz, 0x20). */
  readonly expander: I2cBusOptions;
  /**
   * The GPIO the expander's INT drives: a real ECMA-419 Digital class and its pin. Opened as
   * InputPullUp (the ESP32's internal pull-up, ~45 kΩ, is enough for INT's slow edges; a board
   * may add an external one) while some pin has an onReadable. Without it, onReadable is refused.
   */
  readonly interrupt?: {
    readonly io: typeof Digital;
    readonly pin: number;
  };
  /** Told of a bus failure instead of having the pin operation throw (see the header). */
  readonly onError?: (error: unknown) => void;
}

/** The constructor options of the class pcf8574Digital() returns: ECMA-419 Digital's. */
export interface Pcf8574DigitalOptions {
  /** The expander pin, 0..7 for P0..P7. */
  readonly pin: number;
  readonly mode: unknown;
  /** Rising, Falling or both (a bit mask); with onReadable. */
  readonly edge?: number;
  readonly onReadable?: (this: never) => void;
  readonly format?: 'number';
  readonly target?: unknown;
}

interface Watcher {
  readonly edge: number;
  readonly notify: () => void;
}

// ECMA-419 invokes callbacks with the IO instance as `this`; the option type says `this: never`
// so embedded:io/digital's `(this: Digital) => void` fits, and the call gives the instance.
function invoke(callback: (this: never) => void, self: object): void {
  (callback as (this: object) => void).call(self);
}

function bit(pin: number): number {
  return 1 << pin;
}

/** One expander: its bus, the shadow byte of outputs, the pins in use and the INT pin. */
class Pcf8574Port {
  readonly #options: Pcf8574Options;
  readonly #buffer = new Uint8Array(1);
  #io: I2C | null = null;
  #interrupt: Digital | null = null;
  /** The port byte as written (1: weak pull-up, an input; 0: driven low). */
  #outputs: number = Port.ALL_HIGH;
  /** Whether the chip holds `#outputs` (false until the first write and after a failed transfer). */
  #synced = false;
  /** Pins in use, a bit each. */
  #claimed = 0;
  /** Levels at the last read of the port, the reference for edges; null before the first read. */
  #levels: number | null = null;
  /** Levels read in this job, given to later reads until a write or the end of the job. */
  #cached: number | null = null;
  readonly #watchers: Array<Watcher | null> = new Array<Watcher | null>(Port.PINS).fill(null);

  constructor(options: Pcf8574Options) {
    this.#options = options;
  }

  /**
   * Takes a pin; the first one opens the bus (kept open from then on, as hd44780-lcd.ts keeps its
   * own: @moddable/typings' I2C declares no close()), and the first write sends the shadow byte.
   */
  claim(pin: number): void {
    if (!(Number.isInteger(pin) && pin >= 0 && pin < Port.PINS)) throw new RangeError(`PCF8574: pin ${pin} is not 0..7`);
    if (this.#claimed & bit(pin)) throw new Error(`PCF8574: pin ${pin} is in use`);
    if (!this.#io) {
      const { io: I2cClass, ...bus } = this.#options.expander;
      this.#io = new I2cClass({ hz: Bus.HZ, address: Bus.ADDRESS, ...bus });
    }
    this.#claimed |= bit(pin);
  }

  /** Gives a pin back released (bit 1). */
  release(pin: number): void {
    if (!(this.#claimed & bit(pin))) return;
    if (this.#watchers[pin]) this.unwatch(pin);
    try {
      this.set(pin, 1);
    } catch {
      // closing must not throw; the bit is 1 in the shadow and is sent at the next access
    }
    this.#claimed &= ~bit(pin);
  }

  /** Sets one bit of the shadow byte; sends the byte if it changed or the chip is out of step. */
  set(pin: number, level: 0 | 1): void {
    const next = level ? this.#outputs | bit(pin) : this.#outputs & ~bit(pin);
    if (next === this.#outputs && this.#synced) return;
    this.#outputs = next;
    this.#sync();
  }

  /** The level of one pin: the port read in this job, or read now. */
  level(pin: number): 0 | 1 {
    const levels = this.#cached ?? this.#read();
    return levels === null ? 1 : (((levels >> pin) & 1) as 0 | 1);
  }

  /** Registers a pin for edges; the first one opens the INT pin. */
  watch(pin: number, edge: number, notify: () => void): void {
    const interrupt = this.#options.interrupt;
    if (!interrupt) throw new TypeError('PCF8574: onReadable needs the expander\'s INT pin (options.interrupt)');
    this.#watchers[pin] = { edge, notify };
    if (this.#interrupt) return;
    const DigitalClass = interrupt.io;
    this.#interrupt = new DigitalClass({
      pin: interrupt.pin,
      mode: DigitalClass.InputPullUp,
      edge: DigitalClass.Falling,
      onReadable: () => this.#service(),
    });
    // INT may already be low (a change since the chip's last read, before this firmware ran): no
    // edge would come. Reading the port releases it and sets the levels edges are counted from.
    this.#read();
  }

  unwatch(pin: number): void {
    this.#watchers[pin] = null;
    if (this.#watchers.some((watcher) => watcher !== null)) return;
    this.#interrupt?.close();
    this.#interrupt = null;
  }

  /** INT fell: read the port (releasing INT) and tell each pin whose level moved the way it asked. */
  #service(): void {
    if (!this.#interrupt) return;
    const before = this.#levels;
    const now = this.#read();
    if (now === null || before === null) return;
    this.#watchers.forEach((watcher, pin) => {
      if (!watcher) return;
      const was = (before >> pin) & 1;
      const is = (now >> pin) & 1;
      if (was === is) return;
      if ((is === 1 && (watcher.edge & Edge.RISING) !== 0) || (is === 0 && (watcher.edge & Edge.FALLING) !== 0)) watcher.notify();
    });
  }

  /** Writes the shadow byte (data sheet §8: the pins change at its acknowledge). */
  #sync(): void {
    const io = this.#io;
    if (!io) throw new Error('PCF8574: no pin open');
    this.#cached = null; // the pins may change with the write
    this.#buffer[0] = this.#outputs;
    try {
      io.write(this.#buffer);
      this.#synced = true;
    } catch (error) {
      this.#failed(error);
    }
  }

  /** One read of the port (1 byte); null when the bus failed and onError took the error. */
  #read(): number | null {
    const io = this.#io;
    if (!io) throw new Error('PCF8574: no pin open');
    if (!this.#synced) {
      this.#sync();
      if (!this.#synced) return null;
    }
    try {
      io.read(this.#buffer);
    } catch (error) {
      this.#failed(error);
      return null;
    }
    const levels = this.#buffer[0]!;
    this.#levels = levels;
    if (this.#cached === null) void Promise.resolve().then(() => (this.#cached = null));
    this.#cached = levels;
    return levels;
  }

  #failed(error: unknown): void {
    this.#synced = false;
    this.#cached = null;
    const onError = this.#options.onError;
    if (!onError) throw error;
    onError(error);
  }
}

/**
 * Makes an ECMA-419 Digital class whose pins are one PCF8574's P0..P7. Each call is one expander
 * with its own shadow byte: call it once per chip and hand the class to the drivers using its pins.
 */
export function pcf8574Digital(options: Pcf8574Options) {
  const port = new Pcf8574Port(options);

  class Pcf8574Digital {
    static readonly Input: number = Mode.INPUT;
    static readonly InputPullUp: number = Mode.INPUT_PULL_UP;
    static readonly InputPullDown: number = Mode.INPUT_PULL_DOWN;
    static readonly InputPullUpDown: number = Mode.INPUT_PULL_UP_DOWN;
    static readonly Output: number = Mode.OUTPUT;
    static readonly OutputOpenDrain: number = Mode.OUTPUT_OPEN_DRAIN;
    static readonly ActiveLow: number = Mode.ACTIVE_LOW;
    static readonly Rising: number = Edge.RISING;
    static readonly Falling: number = Edge.FALLING;

    readonly target: unknown;
    #pin: number | null;
    readonly #output: boolean;

    constructor(options: Pcf8574DigitalOptions) {
      const mode = options.mode;
      if (mode === Mode.ACTIVE_LOW) throw new RangeError('PCF8574: ActiveLow is not supported');
      if (!Object.values(Mode).includes(mode as never)) throw new RangeError(`PCF8574: invalid mode ${String(mode)}`);
      if (mode === Mode.INPUT_PULL_DOWN || mode === Mode.INPUT_PULL_UP_DOWN) {
        throw new RangeError('PCF8574: the port has a weak pull-up only, no pull-down (data sheet §8)');
      }
      this.#output = mode === Mode.OUTPUT || mode === Mode.OUTPUT_OPEN_DRAIN;
      const onReadable = options.onReadable;
      const edge = options.edge ?? 0;
      if (onReadable && (this.#output || (edge & (Edge.RISING | Edge.FALLING)) === 0 || (edge & ~(Edge.RISING | Edge.FALLING)) !== 0)) {
        throw new TypeError('PCF8574: onReadable needs an input with edge Rising, Falling or both');
      }
      port.claim(options.pin);
      this.#pin = options.pin;
      this.target = options.target;
      try {
        // an input keeps its bit 1; an output starts released (1) until written, as after power-on
        port.set(options.pin, 1);
        if (onReadable) port.watch(options.pin, edge, () => (this.#pin === null ? undefined : invoke(onReadable, this)));
      } catch (error) {
        port.release(options.pin);
        this.#pin = null;
        throw error;
      }
    }

    #open(): number {
      if (this.#pin === null) throw new Error('PCF8574: closed');
      return this.#pin;
    }

    /** The pin's level, 0 or 1, as the port reads (an output reads what the wire carries). */
    read(): 0 | 1 {
      return port.level(this.#open());
    }

    /** 0 drives the pin low; 1 releases it to the weak pull-up. Outputs only. */
    write(value: 0 | 1): void {
      const pin = this.#open();
      if (!this.#output) throw new Error(`PCF8574: pin ${pin} is an input`);
      port.set(pin, value ? 1 : 0);
    }

    /** Releases the pin (bit 1); never throws. */
    close(): void {
      if (this.#pin === null) return;
      port.release(this.#pin);
      this.#pin = null;
    }

    get format(): 'number' {
      return 'number';
    }

    set format(value: 'number') {
      if (value !== 'number') throw new RangeError('PCF8574: format must be "number"');
    }
  }

  return Pcf8574Digital;
}

/** The class pcf8574Digital() makes. */
export type Pcf8574DigitalClass = ReturnType<typeof pcf8574Digital>;
