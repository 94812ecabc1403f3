// Host classes with the ECMA-419 shapes (embedded:io/digital, i2c, serial, pwm) on a twin board,
// plus Moddable's `flash` and `timer` modules, so hal/esp32 drivers run on Node and XS unchanged.
// `hostIo(board)` makes one set of classes bound to one board: an ECMA-419 constructor takes only
// its options, so the board has to be in the class's closure.
//
// Callbacks (onReadable, onWritable) run as ECMA-419 says they do on a device: later, from the
// event loop, with `this` the IO instance; here a microtask (edges) or a clock timer (UART bytes).
import { bytesOf, type Level, type TwinBoard, type TwinBuffer } from './board.js';

const EDGE = Object.freeze({ Rising: 1, Falling: 2 } as const);
const MODE = Object.freeze({
  Input: 'Input',
  InputPullUp: 'InputPullUp',
  InputPullDown: 'InputPullDown',
  InputPullUpDown: 'InputPullUpDown',
  Output: 'Output',
  OutputOpenDrain: 'OutputOpenDrain',
} as const);

export interface TwinDigitalOptions {
  readonly pin: number;
  readonly mode: unknown;
  readonly edge?: number;
  readonly onReadable?: (this: never) => void;
  readonly format?: 'number';
  readonly target?: unknown;
}

export interface TwinI2COptions {
  readonly data: number;
  readonly clock: number;
  readonly hz: number;
  readonly address: number;
  readonly port?: number;
  readonly format?: 'buffer';
  readonly target?: unknown;
}

export interface TwinSerialOptions {
  readonly port: number;
  readonly baud: number;
  readonly receive?: number;
  readonly transmit?: number;
  readonly onReadable?: (this: never, bytes: number) => void;
  readonly onWritable?: (this: never, bytes: number) => void;
  readonly format?: 'number' | 'buffer';
  readonly target?: unknown;
}

export interface TwinPWMOptions {
  readonly pin: number;
  readonly hz?: number;
  readonly format?: 'number';
  readonly target?: unknown;
}

/** The UART driver's receive buffer on the ESP32 (Moddable's default), bytes; more is lost. */
const SERIAL_RECEIVE_BUFFER = 1024;
/** LEDC PWM resolution the twin reports, bits. */
const PWM_RESOLUTION = 10;

// ECMA-419 invokes callbacks with the IO instance as `this`; the option types say `this: never`
// so the typings' `(this: Digital) => void` fits, and the call gives the instance.
function invoke<A extends unknown[]>(callback: ((this: never, ...args: A) => void) | undefined, self: object, ...args: A): void {
  (callback as ((this: object, ...args: A) => void) | undefined)?.call(self, ...args);
}

/** The host classes of one board; each constructor reads the ECMA-419 options the twin models. */
export function hostIo(board: TwinBoard) {
  class Digital {
    static readonly Input: unknown = MODE.Input;
    static readonly InputPullUp: unknown = MODE.InputPullUp;
    static readonly InputPullDown: unknown = MODE.InputPullDown;
    static readonly InputPullUpDown: unknown = MODE.InputPullUpDown;
    static readonly Output: unknown = MODE.Output;
    static readonly OutputOpenDrain: unknown = MODE.OutputOpenDrain;
    static readonly Rising: number = EDGE.Rising;
    static readonly Falling: number = EDGE.Falling;

    readonly target: unknown;
    #pin: number | null;
    readonly #output: boolean;
    readonly #openDrain: boolean;
    readonly #pull: 'up' | 'down' | 'none';
    #out: Level = 0;

    constructor(options: TwinDigitalOptions) {
      const mode = options.mode;
      if (!Object.values(MODE).includes(mode as never)) throw new RangeError(`Digital: invalid mode ${String(mode)}`);
      if (mode === MODE.InputPullUpDown) throw new RangeError('Digital: the ESP32 has no pull-up and pull-down together');
      this.#output = mode === MODE.Output || mode === MODE.OutputOpenDrain;
      this.#openDrain = mode === MODE.OutputOpenDrain;
      this.#pull = mode === MODE.InputPullUp ? 'up' : mode === MODE.InputPullDown ? 'down' : 'none';
      if (options.onReadable && (this.#output || !options.edge)) throw new TypeError('Digital: onReadable needs an input with edge');
      this.#pin = options.pin;
      this.target = options.target;
      if (this.#openDrain) this.#out = 1; // released until written
      board.claim(options.pin, this.#user());
      if (options.onReadable && options.edge) {
        const edge = options.edge;
        const onReadable = options.onReadable;
        board.watch(options.pin, (level) => {
          if (this.#pin === null) return;
          const wanted = (level === 1 && (edge & EDGE.Rising) !== 0) || (level === 0 && (edge & EDGE.Falling) !== 0);
          if (wanted) void Promise.resolve().then(() => (this.#pin === null ? undefined : invoke(onReadable, this)));
        });
      }
    }

    #user() {
      return { mode: this.#openDrain ? 'open-drain' : this.#output ? 'output' : 'input', pull: this.#pull, out: this.#out } as const;
    }

    #open(): number {
      if (this.#pin === null) throw new Error('Digital: closed');
      return this.#pin;
    }

    read(): 0 | 1 {
      return board.level(this.#open());
    }

    write(value: 0 | 1): void {
      const pin = this.#open();
      if (!this.#output) throw new Error(`Digital: pin ${pin} is an input`);
      this.#out = value ? 1 : 0;
      board.update(pin, this.#user());
    }

    close(): void {
      if (this.#pin === null) return;
      board.release(this.#pin);
      this.#pin = null;
    }

    get format(): 'number' {
      return 'number';
    }

    set format(value: 'number') {
      if (value !== 'number') throw new RangeError('Digital: format must be "number"');
    }
  }

  class I2C {
    readonly resolution = 8;
    readonly target: unknown;
    readonly #address: number;
    readonly #hz: number;
    readonly #bus;
    #closed = false;

    constructor(options: TwinI2COptions) {
      if (!(options.hz > 0 && options.hz <= 1_000_000)) throw new RangeError(`I2C: hz ${options.hz} out of range`);
      if (!(options.address >= 0 && options.address < 0x80)) throw new RangeError(`I2C: address ${options.address} out of range`);
      this.#bus = board.i2c(options.data, options.clock);
      this.#address = options.address;
      this.#hz = options.hz;
      this.target = options.target;
    }

    write(value: TwinBuffer, stop = true): void {
      if (this.#closed) throw new Error('I2C: closed');
      this.#bus.write(this.#address, this.#hz, bytesOf(value), stop);
    }

    read(byteLength: number, stop?: boolean): ArrayBuffer;
    read(buffer: TwinBuffer, stop?: boolean): ArrayBuffer;
    read(what: number | TwinBuffer, stop = true): ArrayBuffer {
      if (this.#closed) throw new Error('I2C: closed');
      const length = typeof what === 'number' ? what : what.byteLength;
      const bytes = this.#bus.read(this.#address, this.#hz, length, stop);
      if (typeof what !== 'number') {
        const into = what instanceof ArrayBuffer ? new Uint8Array(what) : new Uint8Array(what.buffer, what.byteOffset, what.byteLength);
        into.set(bytes);
      }
      return bytes.buffer as ArrayBuffer;
    }

    close(): void {
      this.#closed = true;
    }

    get format(): 'buffer' {
      return 'buffer';
    }

    set format(value: 'buffer') {
      if (value !== 'buffer') throw new RangeError('I2C: format must be "buffer"');
    }
  }

  class Serial {
    readonly resolution = 8;
    readonly target: unknown;
    #format: 'number' | 'buffer';
    readonly #uart;
    #received: number[] = [];
    #open = true;

    constructor(options: TwinSerialOptions) {
      if (options.receive === undefined && options.transmit === undefined) throw new TypeError('Serial: needs receive or transmit');
      this.#uart = board.uart(options.port);
      if (this.#uart.deliver) throw new Error(`Serial: port ${options.port} is in use`);
      this.#uart.baud = options.baud;
      this.#format = options.format ?? 'buffer';
      this.target = options.target;
      const onReadable = options.onReadable;
      this.#uart.deliver = (bytes) => {
        const room = SERIAL_RECEIVE_BUFFER - this.#received.length;
        if (bytes.length > room) board.fault(`serial port ${options.port}: receive buffer overflow, ${bytes.length - room} bytes lost`);
        for (const byte of bytes.subarray(0, Math.max(0, room))) this.#received.push(byte);
        invoke(onReadable, this, this.#received.length);
      };
    }

    read(): number | ArrayBuffer | undefined;
    read(byteLength: number): ArrayBuffer | undefined;
    read(buffer: TwinBuffer): number | undefined;
    read(what?: number | TwinBuffer): number | ArrayBuffer | undefined {
      if (!this.#open) throw new Error('Serial: closed');
      if (this.#received.length === 0) return undefined;
      if (what === undefined) {
        if (this.#format === 'number') return this.#received.shift();
        return Uint8Array.from(this.#received.splice(0)).buffer;
      }
      if (typeof what === 'number') return Uint8Array.from(this.#received.splice(0, what)).buffer;
      const into = what instanceof ArrayBuffer ? new Uint8Array(what) : new Uint8Array(what.buffer, what.byteOffset, what.byteLength);
      const taken = this.#received.splice(0, into.length);
      into.set(taken);
      return taken.length;
    }

    write(value: number | TwinBuffer): void {
      if (!this.#open) throw new Error('Serial: closed');
      const bytes = typeof value === 'number' ? Uint8Array.of(value & 0xff) : bytesOf(value);
      this.#uart.onReceive?.(bytes);
    }

    flush(): void {
      this.#received = [];
    }

    set(_options: { dataTerminalReady?: number; requestToSend?: number; break?: boolean }): void {}

    close(): void {
      if (!this.#open) return;
      this.#open = false;
      this.#uart.deliver = null;
      this.#uart.baud = 0;
    }

    get format(): 'number' | 'buffer' {
      return this.#format;
    }

    set format(value: 'number' | 'buffer') {
      if (value !== 'number' && value !== 'buffer') throw new RangeError('Serial: format must be "number" or "buffer"');
      this.#format = value;
    }
  }

  class PWM {
    readonly resolution = PWM_RESOLUTION;
    readonly hz: number;
    readonly target: unknown;
    readonly #pin: number;

    constructor(options: TwinPWMOptions) {
      this.#pin = options.pin;
      this.hz = options.hz ?? 1024;
      this.target = options.target;
      board.setPwm(this.#pin, { hz: this.hz, duty: 0 });
    }

    write(value: number): void {
      const max = (1 << PWM_RESOLUTION) - 1;
      if (!Number.isInteger(value) || value < 0 || value > max) throw new RangeError(`PWM: duty ${value} out of 0..${max}`);
      board.setPwm(this.#pin, { hz: this.hz, duty: value / max });
    }

    close(): void {
      board.setPwm(this.#pin, null);
    }

    get format(): 'number' {
      return 'number';
    }

    set format(value: 'number') {
      if (value !== 'number') throw new RangeError('PWM: format must be "number"');
    }
  }

  /** Moddable's `flash` module: a partition by name, sectors of `blockSize` bytes. */
  class Flash {
    readonly #flash;

    constructor(partition?: string) {
      this.#flash = board.partition(partition ?? 'storage');
    }

    get byteLength(): number {
      return this.#flash.sectorSize * this.#flash.sectorCount;
    }

    get blockSize(): number {
      return this.#flash.sectorSize;
    }

    erase(sector: number): void {
      this.#flash.eraseSector(sector);
    }

    read(offset: number, byteLength: number): ArrayBuffer {
      return this.#flash.read(offset, byteLength).buffer as ArrayBuffer;
    }

    write(offset: number, byteLength: number, buffer: TwinBuffer): void {
      this.#flash.write(offset, bytesOf(buffer).subarray(0, byteLength));
    }
  }

  /** Moddable's `timer` module on the virtual clock: set(callback, ms) and clear. */
  const Timer = Object.freeze({
    set(callback: (timer: object) => void, interval = 0): object {
      const timer = { id: null as unknown };
      timer.id = board.clock.setTimer(interval, () => callback(timer));
      return timer;
    },
    clear(timer: object | undefined | null): void {
      if (timer && 'id' in timer) board.clock.clearTimer(timer.id);
    },
  });

  /** Moddable's `time` module's monotonic ticks, ms. */
  const ticks = (): number => board.clock.now();

  return Object.freeze({ Digital, I2C, Serial, PWM, Flash, Timer, ticks });
}

export type HostIo = ReturnType<typeof hostIo>;
