// The ESP32 drivers (hal/esp32) on the twin of the board (hal/twin): the same JavaScript the device
// runs, with host classes of the ECMA-419 shapes wired to models of the LCD, keypad, modem, RTC,
// flash partition and RNG. Engine-neutral: runs on Node and inside XS.
import { frame } from '../../hal/display.js';
import { BoardClock } from '../../hal/esp32/board-clock.js';
import { Ds3231 } from '../../hal/esp32/ds3231.js';
import { HardwareRandom } from '../../hal/esp32/hardware-random.js';
import { Hd44780Lcd } from '../../hal/esp32/hd44780-lcd.js';
import { JournalFlash } from '../../hal/esp32/journal-flash.js';
import { KeypadMatrix } from '../../hal/esp32/keypad-matrix.js';
import { Sim800Modem } from '../../hal/esp32/sim800-modem.js';
import type { Key } from '../../hal/keypad.js';
import { ModemError, ModemTimeoutError } from '../../hal/modem.js';
import type { HttpRequest } from '../../hal/twin/at-modem.js';
import { TWIN_WIRING, TwinTerminalBoard, type TwinTerminalBoardOptions } from '../../hal/twin/terminal-board.js';
import { UsageJournal } from '../../firmware/journal/usage-journal.js';
import { elapsedText, REJECT_TEXT, SCREENS } from '../../firmware/terminal/screens.js';
import { asciiBytes, asciiText } from '../../firmware/protocol/bytes.js';
import { equal, ok, rejects, type Scenario } from './scenario.js';
import { makeWorld, registerPin, START } from './world.js';

function twin(options: Partial<TwinTerminalBoardOptions> = {}): TwinTerminalBoard {
  return new TwinTerminalBoard({ startMs: START, ...options });
}

function noFaults(board: TwinTerminalBoard): void {
  equal(board.board.faults, [], 'no faults on the board');
}

function lcdOn(board: TwinTerminalBoard, onError?: (error: unknown) => void): Hd44780Lcd {
  const { i2c } = TWIN_WIRING.lcd;
  return new Hd44780Lcd({
    display: { io: board.io.I2C, data: i2c.data, clock: i2c.clock, hz: i2c.hz, address: i2c.address },
    clock: board.clock,
    ...(onError ? { onError } : {}),
  });
}

function keypadOn(board: TwinTerminalBoard, keys: Key[]): KeypadMatrix {
  const { rows, columns, layout } = TWIN_WIRING.keypad;
  const keypad = new KeypadMatrix({ keypad: { io: board.io.Digital, rows, columns }, layout, clock: board.clock });
  keypad.onKey = (key) => keys.push(key);
  return keypad;
}

const APN = 'internet.example';
const CENTRE = 'http://centre.example/upload';

function modemOn(board: TwinTerminalBoard, powerKey = true): Sim800Modem {
  const { uart, transmit, receive, baud } = TWIN_WIRING.modem;
  return new Sim800Modem({
    serial: { io: board.io.Serial, port: uart, transmit, receive, baud },
    ...(powerKey ? { powerKey: { io: board.io.Digital, pin: TWIN_WIRING.modem.powerKey } } : {}),
    clock: board.clock,
    apn: APN,
  });
}

/** A centre that answers every POST with "ACK " and the body's length. */
function echoCentre(request: HttpRequest): { status: number; body: Uint8Array } {
  return { status: 200, body: asciiBytes(`ACK ${request.body.length}`) };
}

/** Every screen of firmware/terminal/screens.ts, with sample arguments. */
function everyScreen(): Array<readonly string[]> {
  return [
    SCREENS.idle, SCREENS.reading, SCREENS.pinBlocked, SCREENS.wrongPinBlocked, SCREENS.noPin, SCREENS.pinsDiffer, SCREENS.wait,
    SCREENS.takeCard('Card expired'), SCREENS.takeCard(REJECT_TEXT.hotlisted, 'Call the issuer'),
    SCREENS.enterPin('****', true), SCREENS.enterPin('', false), SCREENS.tooShort(4),
    SCREENS.registrationNumber('12345678'), SCREENS.settingNumber('****'), SCREENS.newPin('**'), SCREENS.repeatPin('****'),
    SCREENS.dial('0312345678'), SCREENS.calling('0312345678'), SCREENS.inCall('0312345678', elapsedText(125), '40 JPY'),
    SCREENS.wrong('PIN', 1), SCREENS.wrong('setting no.', 2), SCREENS.registered(true), SCREENS.registered(false),
    ['A line far longer than twenty columns', 'short'], [],
  ];
}

const lcdScenarios: Scenario[] = [
  {
    name: 'twin board: LCD init follows HD44780 fig. 24 (0x3 ×3, 0x2, function set 2 lines, off, clear, entry mode, on)',
    async run() {
      const board = twin();
      const lcd = lcdOn(board);
      lcd.show(SCREENS.idle);
      await board.run(40);
      equal(board.lcd.log.length, 0, 'nothing sent in the first 40 ms after power-on');
      await board.run(100);
      ok(board.lcd.initialised, 'LCD initialised');
      const log = board.lcd.log;
      equal(log.slice(0, 9).map((entry) => entry.value), [0x30, 0x30, 0x30, 0x20, 0x28, 0x08, 0x01, 0x06, 0x0c], 'init sequence');
      ok(log[1]!.atUs - log[0]!.atUs > 4100, 'more than 4.1 ms after the first function set');
      ok(log[2]!.atUs - log[1]!.atUs > 100, 'more than 100 µs after the second');
      ok(log[0]!.atUs - START * 1000 > 40_000, 'first function set more than 40 ms after power-on');
      ok(board.lcd.displayOn && !board.lcd.cursorOn && board.lcd.backlight, 'display on, no cursor, backlight on');
      equal(board.lcd.lines, frame(SCREENS.idle), 'DDRAM holds the idle screen');
      noFaults(board);
    },
  },
  {
    name: 'twin board: LCD DDRAM equals every screen of firmware/terminal/screens.ts, rows at 0x00 0x40 0x14 0x54',
    async run() {
      const board = twin();
      const lcd = lcdOn(board);
      await board.run(100);
      for (const screen of everyScreen()) {
        lcd.show(screen);
        equal(board.lcd.lines, frame(screen), `DDRAM after ${JSON.stringify(screen[0] ?? '')}`);
      }
      lcd.show(['ABCDEFGHIJKLMNOPQRST', 'abcdefghijklmnopqrst', '01234567890123456789', '!"#$%&()*+,-./:;<=>?']);
      equal(board.lcd.ddram(0x00), 0x41, 'row 1 starts at 0x00');
      equal(board.lcd.ddram(0x40), 0x61, 'row 2 starts at 0x40');
      equal(board.lcd.ddram(0x14), 0x30, 'row 3 starts at 0x14');
      equal(board.lcd.ddram(0x54), 0x21, 'row 4 starts at 0x54');
      lcd.show(['Fee ¥40', 'back\\slash ~', 'ｶｰﾄﾞ ｦ ｲﾚﾃｸﾀﾞｻｲ', '']);
      equal(board.lcd.lines.slice(0, 3), ['Fee ¥40'.padEnd(20), 'back?slash ?'.padEnd(20), 'ｶｰﾄﾞ ｦ ｲﾚﾃｸﾀﾞｻｲ'.padEnd(20)], 'ROM A00: ¥, no backslash or tilde, halfwidth katakana');
      noFaults(board);
    },
  },
  {
    name: 'twin board: LCD shows every frame of a real terminal session (register a PIN, a call, the fee)',
    async run() {
      const board = twin();
      const lcd = lcdOn(board);
      await board.run(100);
      const world = await makeWorld();
      const { rig } = world;
      let frames = 0;
      const chained = rig.lcd.onFrame;
      rig.lcd.onFrame = (lines) => {
        chained?.(lines);
        lcd.show(lines);
        frames++;
        equal(board.lcd.lines, [...lines], `DDRAM after frame ${frames}`);
      };
      await rig.insert(world.card({ label: 'alice' }));
      await registerPin(rig, '2468');
      await rig.press('2468', 'ENTER');
      await rig.press('0312345678', 'ENTER');
      await rig.wait(65);
      await rig.press('END');
      await rig.remove();
      ok(frames >= 15, `the session showed many frames (${frames})`);
      equal(board.lcd.lines, rig.lcd.lines, 'the glass shows the terminal\'s last frame');
      noFaults(board);
    },
  },
  {
    name: 'twin board: LCD model refuses data before init, an early second function set, and data changing as E falls',
    async run() {
      const board = twin();
      const { i2c } = TWIN_WIRING.lcd;
      const io = new board.io.I2C({ data: i2c.data, clock: i2c.clock, hz: i2c.hz, address: i2c.address });
      await board.run(50);
      io.write(Uint8Array.of(0x08, 0x4d, 0x49)); // RS=1 nibble 0x4 before any function set
      ok(board.board.faults.some((fault) => /before initialisation/.test(fault)), 'data before init refused');
      io.write(Uint8Array.of(0x3c, 0x38, 0x3c, 0x38)); // two 0x3 nibbles 90 µs apart
      ok(board.board.faults.some((fault) => /while busy/.test(fault)), 'second function set while busy refused');
      io.write(Uint8Array.of(0x2c, 0x58)); // E falls as D7..D4 change
      ok(board.board.faults.some((fault) => /hold time/.test(fault)), 'data changing with E refused');
      ok(!board.lcd.initialised, 'not initialised');
    },
  },
  {
    name: 'twin board: LCD initialised again after the backpack stopped answering, then the last frame redrawn',
    async run() {
      const board = twin();
      const errors: unknown[] = [];
      const lcd = lcdOn(board, (error) => errors.push(error));
      await board.run(100);
      const bus = board.board.i2c(TWIN_WIRING.lcd.i2c.data, TWIN_WIRING.lcd.i2c.clock);
      bus.absent.add(TWIN_WIRING.lcd.i2c.address);
      lcd.show(SCREENS.reading);
      equal(errors.length, 1, 'the failure reported');
      bus.absent.delete(TWIN_WIRING.lcd.i2c.address);
      await board.run(1200);
      equal(board.lcd.lines, frame(SCREENS.reading), 'the frame shown after the retry');
      noFaults(board);
    },
  },
];

const keypadScenarios: Scenario[] = [
  {
    name: 'twin board: keypad gives one key for a press that bounces for 8 ms',
    async run() {
      const board = twin();
      const keys: Key[] = [];
      keypadOn(board, keys);
      board.keypad.press('5', { holdMs: 120, bounceMs: 8 });
      await board.run(300);
      equal(keys, ['5'], 'one key');
      equal(board.clock.nextDue, null, 'the scanner is idle again: no timer running');
      noFaults(board);
    },
  },
  {
    name: 'twin board: keypad gives one key for a key held 3 s, and maps the legends R C E N',
    async run() {
      const board = twin();
      const keys: Key[] = [];
      keypadOn(board, keys);
      board.keypad.press('E', { holdMs: 3000, bounceMs: 5 });
      await board.run(3200);
      equal(keys, ['ENTER'], 'held key: one press');
      for (const legend of ['R', 'C', 'N', '*', '#', '0']) {
        board.keypad.press(legend, { holdMs: 60, bounceMs: 3 });
        await board.run(200);
      }
      equal(keys, ['ENTER', 'REGISTER', 'CLEAR', 'END', '0'], 'R C N map to REGISTER CLEAR END; * and # give nothing');
      noFaults(board);
    },
  },
  {
    name: 'twin board: keypad gives both keys of two quick presses, and of a rollover in one column',
    async run() {
      const board = twin();
      const keys: Key[] = [];
      keypadOn(board, keys);
      board.keypad.press('1', { holdMs: 60, bounceMs: 5 });
      board.keypad.press('2', { holdMs: 60, bounceMs: 5, afterMs: 100 });
      await board.run(300);
      equal(keys, ['1', '2'], 'two quick presses, 40 ms apart');
      board.keypad.press('4', { holdMs: 200, bounceMs: 4 });
      board.keypad.press('7', { holdMs: 200, bounceMs: 4, afterMs: 80 }); // same column, pressed while 4 is down
      await board.run(500);
      equal(keys, ['1', '2', '4', '7'], 'rollover: the second key seen while the first is held');
      noFaults(board);
    },
  },
  {
    name: 'twin board: keypad ignores a contact glitch shorter than the debounce time',
    async run() {
      const board = twin();
      const keys: Key[] = [];
      keypadOn(board, keys);
      board.keypad.press('9', { holdMs: 8, bounceMs: 2 });
      await board.run(200);
      equal(keys, [], 'no key for an 8 ms glitch');
      noFaults(board);
    },
  },
];

const EXPECTED_ATTACH = [
  'AT', 'ATE0', 'AT+CPIN?', 'AT+CREG?', 'AT+CGATT?', 'AT+CGATT=1', 'AT+SAPBR=2,1',
  'AT+SAPBR=3,1,"Contype","GPRS"', `AT+SAPBR=3,1,"APN","${APN}"`, 'AT+SAPBR=1,1',
];
const EXPECTED_POST = [
  'AT+HTTPINIT', 'AT+HTTPPARA="CID",1', `AT+HTTPPARA="URL","${CENTRE}"`, 'AT+HTTPPARA="CONTENT","application/octet-stream"',
  'AT+HTTPDATA=300,10000', 'AT+HTTPACTION=1', 'AT+HTTPREAD', 'AT+HTTPTERM',
];

function batch(): Uint8Array {
  return Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff); // binary, CR and LF included
}

const modemScenarios: Scenario[] = [
  {
    name: 'twin board: modem attach dialogue (AT, ATE0, CPIN, CREG while searching, CGATT, SAPBR bearer)',
    async run() {
      const board = twin({ modem: { apn: APN, registerAfterMs: 5000 } });
      const modem = modemOn(board);
      await board.until(modem.attach());
      const commands = board.modem.commands.filter((command, i, all) => command !== 'AT+CREG?' || all[i - 1] !== 'AT+CREG?');
      equal(commands, EXPECTED_ATTACH, 'the attach commands');
      ok(board.modem.commands.filter((command) => command === 'AT+CREG?').length >= 3, 'CREG polled until registered');
      noFaults(board);
    },
  },
  {
    name: 'twin board: modem HTTP POST of a binary body in the AT+HTTP* dialogue, answer read back',
    async run() {
      const board = twin({ server: echoCentre, modem: { apn: APN } });
      const modem = modemOn(board);
      const answer = await board.until(modem.post(CENTRE, batch(), 'application/octet-stream'));
      equal(answer.status, 200, 'status');
      equal(asciiText(answer.body), 'ACK 300', 'answer body');
      equal(board.modem.requests.length, 1, 'one request');
      equal(board.modem.requests[0]!.body, batch(), 'the body arrived byte for byte');
      equal(board.modem.commands, [...EXPECTED_ATTACH, ...EXPECTED_POST], 'attach, then the HTTP dialogue');
      noFaults(board);
    },
  },
  {
    name: 'twin board: modem ERROR answer is a ModemError at once, no power cycle; the next POST works',
    async run() {
      const board = twin({ server: echoCentre, modem: { apn: APN } });
      const modem = modemOn(board);
      await board.until(modem.attach());
      board.modem.failNext('AT+HTTPPARA="URL"', '+CME ERROR: 3');
      await rejects(() => board.until(modem.post(CENTRE, batch(), 'application/octet-stream')), /ModemError: AT\+HTTPPARA="URL".*\+CME ERROR: 3/, 'ERROR thrown');
      equal(board.modem.boots, 0, 'no power cycle for an ERROR');
      const answer = await board.until(modem.post(CENTRE, batch(), 'application/octet-stream'));
      equal(answer.status, 200, 'next POST: the open HTTP session is closed and opened again');
      ok(board.modem.commands.includes('AT+HTTPTERM'), 'HTTPTERM after HTTPINIT was refused');
      noFaults(board);
    },
  },
  {
    name: 'twin board: modem that hangs mid-POST times out, is power-cycled (PWRKEY) and the POST retried',
    async run() {
      const board = twin({ server: echoCentre, modem: { apn: APN } });
      const modem = modemOn(board);
      await board.until(modem.attach());
      board.modem.hangOn('AT+HTTPACTION');
      const answer = await board.until(modem.post(CENTRE, batch(), 'application/octet-stream'));
      equal(answer.status, 200, 'the retried POST got through');
      equal(board.modem.boots, 1, 'power-cycled once');
      equal(board.modem.requests.length, 1, 'the centre got the batch once');
      const afterBoot = board.modem.commands.slice(board.modem.commands.lastIndexOf('AT+HTTPACTION=1') + 1);
      equal(afterBoot.filter((command) => command === 'AT+HTTPACTION=1').length, 0, 'one action after the hang');
      noFaults(board);
    },
  },
  {
    name: 'twin board: modem that does not answer and has no power key gives ModemTimeoutError',
    async run() {
      const board = twin({ modem: { apn: APN, on: false } });
      const modem = modemOn(board, false);
      const started = board.clock.now();
      await rejects(() => board.until(modem.attach()), /ModemTimeoutError: modem does not answer AT/, 'timeout');
      equal(board.clock.now() - started, 1500, 'three probes of 500 ms');
    },
  },
  {
    name: 'twin board: modem switched off is switched on by the power cycle, boot messages ignored',
    async run() {
      const board = twin({ modem: { apn: APN, on: false } });
      const modem = modemOn(board);
      await board.until(modem.attach());
      equal(board.modem.power, 'on', 'on');
      equal(board.modem.boots, 1, 'one boot');
      noFaults(board);
    },
  },
];

const boardScenarios: Scenario[] = [
  {
    name: 'twin board: journal flash partition through Moddable\'s flash class keeps the usage journal',
    async run() {
      const board = twin();
      const storage = { io: board.io.Flash, partition: TWIN_WIRING.flash.partition };
      const flash = new JournalFlash({ storage });
      equal([flash.sectorSize, flash.sectorCount], [4096, 4], 'geometry from the partition');
      const journal = UsageJournal.open(flash, 'T0001');
      const entry = { registrationNumber: '12345678', cardNumber: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), startedAt: START, fee: 40, serviceCode: 1, durationSeconds: 125, dialled: '0312345678' };
      equal(journal.append(entry), 1, 'first sequence');
      const again = UsageJournal.open(new JournalFlash({ storage }), 'T0001');
      equal(again.records().map((record) => [record.sequence, record.fee]), [[1, 40]], 'the record read back after a reboot');
      flash.write(0, Uint8Array.of(0x0f));
      equal(flash.read(0, 1)[0]! & 0xf0, 0, 'NOR: a write only clears bits');
      flash.eraseSector(0);
      equal(flash.read(0, 4), Uint8Array.of(0xff, 0xff, 0xff, 0xff), 'erase sets the sector to 0xFF');
      await rejects(() => flash.read(4 * 4096 - 2, 4), /outside the partition/, 'range checked');
    },
  },
  {
    name: 'twin board: clock reads the DS3231, runs timers on Moddable\'s Timer, and set() writes the RTC',
    async run() {
      const board = twin();
      const { i2c } = TWIN_WIRING.lcd;
      const rtc = new Ds3231({ rtc: { io: board.io.I2C, data: i2c.data, clock: i2c.clock, address: TWIN_WIRING.rtc.address } });
      const clock = new BoardClock({ rtc, timer: board.io.Timer, ticks: board.io.ticks, fallbackMs: Date.UTC(2026, 0, 1) });
      ok(clock.valid, 'RTC time valid');
      equal(clock.now(), START, 'now() from the RTC');
      let fired = 0;
      clock.setTimer(1500, () => fired++);
      const cancelled = clock.setTimer(1000, () => fired += 10);
      clock.clearTimer(cancelled);
      await board.run(2000);
      equal(fired, 1, 'one timer fired, the cleared one not');
      equal(clock.now(), START + 2000, 'time runs on the ticks');
      const later = Date.UTC(2101, 1, 28, 23, 59, 30);
      clock.set(later);
      equal(board.rtc.time, later, 'RTC registers set, century bit included');
      equal(rtc.time, later, 'read back');
      await board.run(45_000);
      equal(rtc.time, Date.UTC(2101, 2, 1, 0, 0, 15), 'the RTC runs over the month end');
      board.rtc.batteryOut();
      const cold = new BoardClock({ rtc, timer: board.io.Timer, ticks: board.io.ticks, fallbackMs: Date.UTC(2026, 0, 1) });
      ok(!cold.valid, 'oscillator stop flag: time not valid');
      equal(cold.now(), Date.UTC(2026, 0, 1), 'falls back');
      cold.set(START);
      ok(rtc.valid && cold.valid, 'set() clears OSF');
    },
  },
  {
    name: 'twin board: hardware RNG gives the bytes asked for and refuses a stuck source',
    async run() {
      const board = twin();
      const random = new HardwareRandom({ fill: board.fillRandom });
      const a = random.bytes(32);
      const b = random.bytes(5);
      equal([a.length, b.length], [32, 5], 'lengths');
      ok(!a.every((byte) => byte === a[0]), 'not constant');
      const stuck = new HardwareRandom({ fill: (target) => target.fill(0x5a) });
      await rejects(() => stuck.bytes(16), /RandomSourceError/, 'a repeating block throws');
    },
  },
  {
    name: 'twin board: Digital pins refuse a second user, open-drain rows never fight a push-pull net',
    run() {
      const board = twin();
      const { Digital } = board.io;
      const first = new Digital({ pin: 15, mode: Digital.Output });
      let refused = false;
      try {
        new Digital({ pin: 15, mode: Digital.Input });
      } catch {
        refused = true;
      }
      ok(refused, 'pin in use');
      first.write(1);
      board.board.drive(15, 'test', 0);
      equal(board.board.level(15), 0, 'contention reads low');
      ok(board.board.faults.some((fault) => /high and low/.test(fault)), 'contention is a fault');
      first.close();
    },
  },
];

export const twinBoardScenarios: readonly Scenario[] = [...lcdScenarios, ...keypadScenarios, ...modemScenarios, ...boardScenarios];
