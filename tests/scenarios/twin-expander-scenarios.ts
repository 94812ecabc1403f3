// The keypad behind a PCF8574 (the ESP32-C3 board: moddable.json targets["esp32-c3"].wiring.keypad)
// on the twin board: hal/esp32/keypad-matrix.ts, unchanged, with hal/esp32/pcf8574-digital.ts as
// its Digital class, against the keypad matrix model wired to the twin PCF8574's pins
// (hal/twin/pcf8574.ts) on the LCD's I2C bus. Each keypad scenario runs the same presses on the
// GPIO keypad too and wants the same keys. Engine-neutral: runs on Node and inside XS.
import { frame } from '../../hal/display.js';
import { Hd44780Lcd } from '../../hal/esp32/hd44780-lcd.js';
import { KeypadMatrix } from '../../hal/esp32/keypad-matrix.js';
import { PCF8574_KEYPAD_PINS, pcf8574Digital, type Pcf8574Options } from '../../hal/esp32/pcf8574-digital.js';
import type { Key } from '../../hal/keypad.js';
import { Pcf8574Twin } from '../../hal/twin/pcf8574.js';
import { TWIN_EXPANDER_WIRING, TWIN_WIRING, TwinTerminalBoard } from '../../hal/twin/terminal-board.js';
import { SCREENS } from '../../firmware/terminal/screens.js';
import { equal, ok, rejects, type Scenario } from './scenario.js';
import { START } from './world.js';

const LAYOUT = TWIN_WIRING.keypad.layout;
/** Every key of the layout in reading order, and the keys it gives ('*' and '#' give none). */
const EVERY_LEGEND = LAYOUT.join('');
const EVERY_KEY: Key[] = ['1', '2', '3', 'REGISTER', '4', '5', '6', 'CLEAR', '7', '8', '9', 'ENTER', '0', 'END'];

function noFaults(board: TwinTerminalBoard): void {
  equal(board.board.faults, [], 'no faults on the board');
}

function expanderBoard(): TwinTerminalBoard {
  return new TwinTerminalBoard({ startMs: START, keypadOnExpander: true });
}

function expanderTwin(board: TwinTerminalBoard): Pcf8574Twin {
  const expander = board.expander;
  ok(expander, 'the board has the keypad expander');
  return expander;
}

/** The expander's options as hal/esp32 main builds them: the LCD's bus, the C3 wiring's address and INT. */
function expanderOptions(board: TwinTerminalBoard, extra: Partial<Pcf8574Options> = {}): Pcf8574Options {
  const { i2c } = TWIN_WIRING.lcd;
  const { address, interrupt } = TWIN_EXPANDER_WIRING.keypad.expander;
  return {
    expander: { io: board.io.I2C, data: i2c.data, clock: i2c.clock, hz: i2c.hz, address },
    interrupt: { io: board.io.Digital, pin: interrupt },
    ...extra,
  };
}

function expanderKeypad(board: TwinTerminalBoard, keys: Key[]): KeypadMatrix {
  const { rows, columns } = PCF8574_KEYPAD_PINS;
  const keypad = new KeypadMatrix({ keypad: { io: pcf8574Digital(expanderOptions(board)), rows, columns }, layout: LAYOUT, clock: board.clock });
  keypad.onKey = (key) => keys.push(key);
  return keypad;
}

function gpioKeypad(board: TwinTerminalBoard, keys: Key[]): KeypadMatrix {
  const { rows, columns } = TWIN_WIRING.keypad;
  const keypad = new KeypadMatrix({ keypad: { io: board.io.Digital, rows, columns }, layout: LAYOUT, clock: board.clock });
  keypad.onKey = (key) => keys.push(key);
  return keypad;
}

/** Runs `script` on a GPIO keypad and on the expander keypad; both must give `expected`. */
async function sameAsGpio(script: (board: TwinTerminalBoard) => Promise<void>, expected: Key[], what: string): Promise<TwinTerminalBoard> {
  const gpio = new TwinTerminalBoard({ startMs: START });
  const gpioKeys: Key[] = [];
  gpioKeypad(gpio, gpioKeys);
  await script(gpio);
  equal(gpioKeys, expected, `${what} (GPIO keypad)`);
  const board = expanderBoard();
  const keys: Key[] = [];
  expanderKeypad(board, keys);
  await script(board);
  equal(keys, expected, `${what} (keypad behind the PCF8574)`);
  equal(board.clock.nextDue, null, 'the scanner is idle again: no timer running');
  equal([expanderTwin(board).interrupting, board.board.level(TWIN_EXPANDER_WIRING.keypad.expander.interrupt)], [false, 1], 'INT released');
  noFaults(gpio);
  noFaults(board);
  return board;
}

const keypadScenarios: Scenario[] = [
  {
    name: 'twin expander: the wiring the twin gives the keypad expander is the driver\'s (rows P0..P3, columns P4..P7, 0x20; INT on the DevKitC twin\'s free GPIO 3)',
    run() {
      equal([...TWIN_EXPANDER_WIRING.keypad.rows], [...PCF8574_KEYPAD_PINS.rows], 'rows');
      equal([...TWIN_EXPANDER_WIRING.keypad.columns], [...PCF8574_KEYPAD_PINS.columns], 'columns');
      // The address is the C3 board's (moddable.json); the INT pin is the DevKitC twin's own, since the twin keeps its other GPIOs.
      equal(TWIN_EXPANDER_WIRING.keypad.expander, { address: 32, interrupt: 3 }, 'the expander at 0x20, INT on GPIO 3 of the twin');
    },
  },
  {
    name: 'twin expander: keypad gives one key for a press that bounces for 8 ms, as on GPIOs',
    async run() {
      await sameAsGpio(async (board) => {
        board.keypad.press('5', { holdMs: 120, bounceMs: 8 });
        await board.run(300);
      }, ['5'], 'one key');
    },
  },
  {
    name: 'twin expander: keypad gives one key for a key held 3 s, as on GPIOs',
    async run() {
      await sameAsGpio(async (board) => {
        board.keypad.press('E', { holdMs: 3000, bounceMs: 5 });
        await board.run(3200);
      }, ['ENTER'], 'held key: one press');
    },
  },
  {
    name: 'twin expander: keypad gives both keys of two quick presses and of a rollover in one column, as on GPIOs',
    async run() {
      await sameAsGpio(async (board) => {
        board.keypad.press('1', { holdMs: 60, bounceMs: 5 });
        board.keypad.press('2', { holdMs: 60, bounceMs: 5, afterMs: 100 });
        await board.run(300);
        board.keypad.press('4', { holdMs: 200, bounceMs: 4 });
        board.keypad.press('7', { holdMs: 200, bounceMs: 4, afterMs: 80 });
        await board.run(500);
      }, ['1', '2', '4', '7'], 'two quick presses 40 ms apart, then a rollover');
    },
  },
  {
    name: 'twin expander: keypad maps every one of the 16 keys to the layout, as on GPIOs, and ignores a glitch',
    async run() {
      await sameAsGpio(async (board) => {
        for (const legend of EVERY_LEGEND) {
          board.keypad.press(legend, { holdMs: 70, bounceMs: 4 });
          await board.run(200);
        }
        board.keypad.press('9', { holdMs: 8, bounceMs: 2 });
        await board.run(200);
      }, EVERY_KEY, 'the 16 keys in layout order (* and # give none), no key for an 8 ms glitch');
    },
  },
  {
    name: 'twin expander: INT falls on a key, the driver reads the port once and INT is released by that read',
    async run() {
      const board = expanderBoard();
      const expander = expanderTwin(board);
      const keys: Key[] = [];
      expanderKeypad(board, keys);
      await board.run(100);
      const before = { reads: expander.reads, writes: expander.writes };
      await board.run(1000);
      equal({ reads: expander.reads, writes: expander.writes }, before, 'an idle keypad makes no bus traffic (no polling)');
      const pin = TWIN_EXPANDER_WIRING.keypad.expander.interrupt;
      const edges: Array<{ level: number; reads: number; writes: number }> = [];
      board.board.watch(pin, (level) => edges.push({ level, reads: expander.reads, writes: expander.writes }));
      board.keypad.press('8', { holdMs: 100, bounceMs: 0, afterMs: 10 });
      await board.run(10);
      equal(edges.slice(0, 2), [
        { level: 0, reads: before.reads, writes: before.writes },
        { level: 1, reads: before.reads + 1, writes: before.writes },
      ], 'INT low at the key, high again after one read of the port and no write');
      await board.run(400);
      equal(keys, ['8'], 'the key');
      equal(expander.interrupting, false, 'INT released at the end');
      ok(edges.every((edge, i) => i === 0 || edge.level !== edges[i - 1]!.level), 'INT edges alternate');
      noFaults(board);
    },
  },
  {
    name: 'twin expander: the LCD on the same I2C bus keeps working while keys are scanned',
    async run() {
      const board = expanderBoard();
      const { i2c } = TWIN_WIRING.lcd;
      const lcd = new Hd44780Lcd({ display: { io: board.io.I2C, data: i2c.data, clock: i2c.clock, hz: i2c.hz, address: i2c.address }, clock: board.clock });
      const keys: Key[] = [];
      expanderKeypad(board, keys);
      lcd.show(SCREENS.idle);
      await board.run(200);
      equal(board.lcd.lines, frame(SCREENS.idle), 'the idle screen');
      const digits = '0312345678';
      let shown = '';
      Array.from(digits).forEach((legend, i) => board.keypad.press(legend, { holdMs: 60, bounceMs: 4, afterMs: i * 150 }));
      for (let i = 0; i < digits.length; i++) {
        await board.run(150);
        while (shown.length < keys.length) shown += keys[shown.length];
        lcd.show(SCREENS.dial(shown));
        equal(board.lcd.lines, frame(SCREENS.dial(shown)), `DDRAM after ${shown.length} digits`);
      }
      await board.run(300);
      equal(keys.join(''), digits, 'every digit');
      lcd.show(SCREENS.calling(digits));
      equal(board.lcd.lines, frame(SCREENS.calling(digits)), 'the next screen');
      ok(board.lcd.initialised && board.lcd.displayOn, 'LCD still initialised');
      noFaults(board);
    },
  },
];

const digitalScenarios: Scenario[] = [
  {
    name: 'twin expander: Digital keeps one shadow byte per expander, writes only changes, and reads the port',
    run() {
      const board = expanderBoard();
      const first = expanderTwin(board);
      const second = new Pcf8574Twin(board.board, { pins: [2000, 2001, 2002, 2003, 2004, 2005, 2006, 2007], interrupt: 15, name: 'second' });
      const { i2c } = TWIN_WIRING.lcd;
      board.board.i2c(i2c.data, i2c.clock).attach(0x21, second.device);
      const A = pcf8574Digital(expanderOptions(board));
      const B = pcf8574Digital({ expander: { io: board.io.I2C, data: i2c.data, clock: i2c.clock, address: 0x21 } });
      const a0 = new A({ pin: 0, mode: A.OutputOpenDrain });
      const a7 = new A({ pin: 7, mode: A.Output });
      const b3 = new B({ pin: 3, mode: B.Output });
      const b5 = new B({ pin: 5, mode: B.InputPullUp });
      equal([first.outputs, second.outputs], [0xff, 0xff], 'every pin released after opening');
      a0.write(0);
      a7.write(0);
      b3.write(0);
      equal([first.outputs, second.outputs], [0x7e, 0xf7], 'each expander has its own byte');
      const writes = first.writes;
      a0.write(0);
      equal(first.writes, writes, 'writing the same level sends nothing');
      equal([a0.read(), a7.read(), b5.read()], [0, 0, 1], 'levels read back');
      board.board.drive(second.pins[5]!, 'test', 0);
      equal(b5.read(), 1, 'a read in the same job gives the port as read then');
      b3.write(1);
      equal(b5.read(), 0, 'after a write the port is read again');
      board.board.drive(second.pins[5]!, 'test', null);
      a0.close();
      equal(first.outputs, 0x7f, 'a closed pin is released');
      const again = new A({ pin: 0, mode: A.Input });
      equal(again.read(), 1, 'the pin opens again as an input');
      noFaults(board);
    },
  },
  {
    name: 'twin expander: Digital refuses pull-downs, pins outside 0..7, a pin in use, writing an input and onReadable with no INT pin',
    async run() {
      const board = expanderBoard();
      const Expander = pcf8574Digital(expanderOptions(board));
      await rejects(() => new Expander({ pin: 1, mode: Expander.InputPullDown }), /RangeError: .*no pull-down/, 'no pull-down');
      await rejects(() => new Expander({ pin: 8, mode: Expander.Input }), /RangeError: .*not 0\.\.7/, 'pin 8');
      const input = new Expander({ pin: 1, mode: Expander.Input });
      await rejects(() => new Expander({ pin: 1, mode: Expander.Output }), /in use/, 'pin in use');
      await rejects(() => input.write(0), /is an input/, 'write to an input');
      await rejects(() => new Expander({ pin: 2, mode: Expander.Output, edge: Expander.Falling, onReadable() {} }), /TypeError: .*needs an input/, 'onReadable on an output');
      const { i2c } = TWIN_WIRING.lcd;
      const NoInt = pcf8574Digital({ expander: { io: board.io.I2C, data: i2c.data, clock: i2c.clock, address: 0x20 } });
      await rejects(() => new NoInt({ pin: 3, mode: NoInt.InputPullUp, edge: NoInt.Falling, onReadable() {} }), /TypeError: .*INT pin/, 'no INT pin');
      input.close();
      await rejects(() => input.read(), /closed/, 'closed');
    },
  },
  {
    name: 'twin expander: a bus failure throws, or goes to onError with the pin read as 1; the shadow byte is sent again after it',
    async run() {
      const board = expanderBoard();
      const expander = expanderTwin(board);
      const bus = board.board.i2c(TWIN_WIRING.lcd.i2c.data, TWIN_WIRING.lcd.i2c.clock);
      const address = TWIN_EXPANDER_WIRING.keypad.expander.address;
      const Throwing = pcf8574Digital(expanderOptions(board));
      const out = new Throwing({ pin: 6, mode: Throwing.OutputOpenDrain });
      bus.absent.add(address);
      await rejects(() => out.write(0), /no acknowledge/, 'ECMA-419: the write throws');
      bus.absent.delete(address);
      out.close();
      const errors: unknown[] = [];
      const Reporting = pcf8574Digital(expanderOptions(board, { onError: (error) => errors.push(error) }));
      const row = new Reporting({ pin: 0, mode: Reporting.OutputOpenDrain });
      const column = new Reporting({ pin: 4, mode: Reporting.InputPullUp });
      bus.absent.add(address);
      row.write(0);
      await board.run(1);
      equal(column.read(), 1, 'read as 1 while the bus fails');
      equal(errors.length, 2, 'both failures reported');
      bus.absent.delete(address);
      await board.run(1);
      equal(expander.outputs, 0xff, 'the chip still has the old byte');
      board.keypad.press('1', { holdMs: 50 });
      await board.run(10);
      equal(column.read(), 0, 'the next access sent the shadow byte (row 1 low) before reading');
      equal(expander.outputs, 0xfe, 'the chip has the byte');
      noFaults(board);
    },
  },
];

export const twinExpanderScenarios: readonly Scenario[] = [...keypadScenarios, ...digitalScenarios];
