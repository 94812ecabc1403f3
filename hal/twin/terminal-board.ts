// The terminal board as a twin: the wiring of moddable.json with every part attached: the LCD
// behind its backpack and the DS3231 on the I2C bus, the keypad matrix on its eight pins, the
// modem on UART 2 with its power key, the journal and hotlist partitions and a hardware RNG source. Tests
// build the hal/esp32 drivers on `io` exactly as the firmware's main module does on the device.
import { VirtualClock } from '../sim/clock.js';
import { SimFlash } from '../sim/flash.js';
import { SeededRandom } from '../sim/random.js';
import { AtModemTwin, type AtModemTwinOptions, type HttpRequest } from './at-modem.js';
import { TwinBoard } from './board.js';
import { Ds3231Twin } from './ds3231.js';
import { Hd44780Twin } from './hd44780.js';
import { hostIo, type HostIo } from './io.js';
import { KeypadMatrixTwin } from './keypad-matrix.js';
import { Pcf8574Twin } from './pcf8574.js';

/** moddable.json's `wiring` of the ESP32-DevKitC board (tests/typings.test.ts checks the two agree). */
export const TWIN_WIRING = Object.freeze({
  keypad: Object.freeze({ rows: [32, 33, 25, 26], columns: [27, 14, 15, 13], layout: ['123R', '456C', '789E', '*0#N'] }),
  lcd: Object.freeze({ i2c: Object.freeze({ data: 21, clock: 22, hz: 100_000, address: 39 }), columns: 20, rows: 4 }),
  modem: Object.freeze({ uart: 2, transmit: 23, receive: 34, baud: 9600, powerKey: 2 }),
  rtc: Object.freeze({ address: 0x68 }),
  flash: Object.freeze({ partition: 'journal', hotlistPartition: 'hotlist' }),
});

/**
 * The keypad as the ESP32-C3 board wires it (moddable.json targets["esp32-c3"].wiring.keypad: too
 * few GPIOs for eight keypad lines): behind a PCF8574 on the LCD's I2C bus (0x20; the backpack is
 * 0x27), rows on P0..P3, columns on P4..P7; the INT goes to GPIO 3, free on this DevKitC twin (the
 * C3 board uses GPIO 2). `nets` are the board
 * nets the twin gives P0..P7: virtual, numbered outside the GPIOs.
 */
export const TWIN_EXPANDER_WIRING = Object.freeze({
  keypad: Object.freeze({
    expander: Object.freeze({ address: 0x20, interrupt: 3 }),
    rows: Object.freeze([0, 1, 2, 3]),
    columns: Object.freeze([4, 5, 6, 7]),
    layout: TWIN_WIRING.keypad.layout,
  }),
  nets: Object.freeze([1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007]),
});

export interface TwinTerminalBoardOptions {
  /** Wall-clock start, ms since the epoch UTC (virtual clock and RTC). */
  readonly startMs: number;
  readonly journal?: { readonly sectorSize: number; readonly sectorCount: number };
  /** The hotlist partition; by default 8 sectors of 4 KiB (1,536 cards), the board's has 400. */
  readonly hotlist?: { readonly sectorSize: number; readonly sectorCount: number };
  readonly server?: (request: HttpRequest) => { readonly status: number; readonly body: Uint8Array };
  readonly modem?: Partial<Omit<AtModemTwinOptions, 'port' | 'powerKeyPin' | 'server'>>;
  readonly keypadSeed?: number;
  /** The keypad behind a PCF8574 on the LCD's bus (TWIN_EXPANDER_WIRING) instead of on eight GPIOs. */
  readonly keypadOnExpander?: boolean;
}

export class TwinTerminalBoard {
  readonly clock: VirtualClock;
  readonly board: TwinBoard;
  readonly io: HostIo;
  readonly lcd: Hd44780Twin;
  readonly keypad: KeypadMatrixTwin;
  /** The keypad's PCF8574 when `keypadOnExpander`, else null. */
  readonly expander: Pcf8574Twin | null = null;
  readonly modem: AtModemTwin;
  readonly rtc: Ds3231Twin;
  readonly journal: SimFlash;
  readonly hotlist: SimFlash;
  /** The hardware RNG as the native esp_fill_random binding would fill arrays. */
  readonly fillRandom: (target: Uint8Array) => void;

  constructor(options: TwinTerminalBoardOptions) {
    this.clock = new VirtualClock(options.startMs);
    this.board = new TwinBoard(this.clock);
    this.io = hostIo(this.board);
    const wiring = TWIN_WIRING;
    const bus = this.board.i2c(wiring.lcd.i2c.data, wiring.lcd.i2c.clock);
    this.lcd = new Hd44780Twin(this.board);
    bus.attach(wiring.lcd.i2c.address, this.lcd.backpack);
    this.rtc = new Ds3231Twin(this.board, options.startMs);
    bus.attach(wiring.rtc.address, this.rtc.device);
    const seed = options.keypadSeed === undefined ? {} : { seed: options.keypadSeed };
    if (options.keypadOnExpander) {
      const { keypad, nets } = TWIN_EXPANDER_WIRING;
      this.expander = new Pcf8574Twin(this.board, { pins: nets, interrupt: keypad.expander.interrupt, name: 'PCF8574 keypad' });
      bus.attach(keypad.expander.address, this.expander.device);
      const rows = keypad.rows.map((pin) => nets[pin]!);
      const columns = keypad.columns.map((pin) => nets[pin]!);
      this.keypad = new KeypadMatrixTwin(this.board, { rows, columns, layout: keypad.layout, ...seed });
    } else {
      this.keypad = new KeypadMatrixTwin(this.board, { ...wiring.keypad, ...seed });
    }
    this.modem = new AtModemTwin(this.board, {
      ...options.modem,
      port: wiring.modem.uart,
      powerKeyPin: wiring.modem.powerKey,
      server: options.server ?? (() => ({ status: 404, body: new Uint8Array(0) })),
    });
    this.journal = new SimFlash(options.journal ?? { sectorSize: 4096, sectorCount: 4 });
    this.board.addPartition(wiring.flash.partition, this.journal);
    this.hotlist = new SimFlash(options.hotlist ?? { sectorSize: 4096, sectorCount: 8 });
    this.board.addPartition(wiring.flash.hotlistPartition, this.hotlist);
    const source = new SeededRandom('twin-trng');
    this.fillRandom = (target) => target.set(source.bytes(target.length));
  }

  /** Lets `ms` pass on the virtual clock, firing timers in order and letting promise jobs run between them. */
  async run(ms: number): Promise<void> {
    const target = this.clock.now() + ms;
    await settleJobs();
    while (this.clock.fireNext(target)) await settleJobs();
    this.clock.moveTo(target);
    await settleJobs();
  }

  /** Runs the clock until `promise` settles (at most `limitMs`), and gives its outcome. */
  async until<T>(promise: Promise<T>, limitMs = 600_000): Promise<T> {
    let settled = false;
    const watched = promise.finally(() => {
      settled = true;
    });
    watched.catch(() => undefined);
    const limit = this.clock.now() + limitMs;
    await settleJobs();
    while (!settled) {
      if (!this.clock.fireNext(limit)) throw new Error(`still waiting after ${limitMs} ms of board time`);
      await settleJobs();
    }
    return watched;
  }
}

/** Lets chains of promise jobs run to their end (async drivers take a few hops per byte). */
async function settleJobs(): Promise<void> {
  for (let i = 0; i < 64; i++) await Promise.resolve();
}
