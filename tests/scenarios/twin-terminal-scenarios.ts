// The whole terminal on the twin board, opened the way the device opens it: hal/esp32/board.ts
// openTerminalBoard() with the twin's IO classes in place of the device's (hal/twin/io.ts hostIo,
// hal/twin/smartcard-io.ts twinCardIo) and firmware/main.ts startFirmware(). hal/esp32/main.ts
// does the same with embedded:io/*, the native smart-card UART and RNG, `flash`, `timer` and
// `time`. The configuration comes through configFromProvisioning() from the JSON of an issuer's
// provision-terminal file, as the device's `provisioning` module gives it.
//
// Everything a person does goes through the parts' models: a real card (issuer/issuer.ts,
// hal/sim/sim-card.ts) in the TDA8024 twin speaking ISO 7816-3 bytes, keys pressed (with bounce) on
// the keypad matrix twin, screens read from the HD44780 twin's DDRAM, usage records read from the
// journal partition's flash. Time is the virtual clock, moved on by drive() (twin-card-scenarios.ts)
// only while the firmware waits on timers. Engine-neutral: runs on Node and inside XS.
import { frame } from '../../hal/display.js';
import { ISO7816_3 } from '../../hal/esp32/card-interface.js';
import { noticeLines, openTerminalBoard, showNotice, type Esp32Io, type TerminalBoard } from '../../hal/esp32/board.js';
import { JournalFlash } from '../../hal/esp32/journal-flash.js';
import type { Wiring } from '../../hal/esp32/wiring.js';
import type { SimCard } from '../../hal/sim/sim-card.js';
import { twinCardIo } from '../../hal/twin/smartcard-io.js';
import { TwinTda8024 } from '../../hal/twin/tda8024.js';
import { TWIN_EXPANDER_WIRING, TWIN_WIRING, TwinTerminalBoard } from '../../hal/twin/terminal-board.js';
import { SimByteCard } from '../../card/iso7816/byte-card.js';
import { startFirmware, type Firmware } from '../../firmware/main.js';
import { UsageJournal } from '../../firmware/journal/usage-journal.js';
import type { TerminalEvent } from '../../firmware/terminal/events.js';
import { configFromProvisioning, PROVISIONING_FORMAT, provisioningJson } from '../../firmware/terminal/provisioning.js';
import { elapsedText, SCREENS } from '../../firmware/terminal/screens.js';
import { provisionTerminal } from '../../issuer/issuer.js';
import { aliceCard, drive, issuer, WIRING as CARD_WIRING } from './twin-card-scenarios.js';
import { equal, ok, type Scenario } from './scenario.js';
import { ALICE, START } from './world.js';

/** moddable.json's `wiring` of the ESP32-DevKitC board, as the build hands it to the device (mc/config). */
const BOARD_WIRING: Wiring = Object.freeze({ ...TWIN_WIRING, card: Object.freeze({ ...CARD_WIRING, clockHz: CARD_WIRING.clockHz ?? ISO7816_3.CLOCK_HZ }) });

/** The ESP32-C3 board's keypad (moddable.json targets["esp32-c3"]): behind the PCF8574 on the LCD's bus. */
const EXPANDER_WIRING: Wiring = Object.freeze({
  ...BOARD_WIRING,
  keypad: Object.freeze({ expander: TWIN_EXPANDER_WIRING.keypad.expander, layout: TWIN_EXPANDER_WIRING.keypad.layout }),
});

/** Keys on the twin keypad: the HAL's function keys are the layout's legends R, C, E, N. */
const LEGEND: Readonly<Record<string, string>> = Object.freeze({ REGISTER: 'R', CLEAR: 'C', ENTER: 'E', END: 'N' });
/** A person's typing: a key every 150 ms, held 60 ms, its contact bouncing for 4 ms each way. */
const KEY = Object.freeze({ GAP_MS: 150, HOLD_MS: 60, BOUNCE_MS: 4 });

function provisioning(): unknown {
  const { issuer: key, random } = issuer();
  return JSON.parse(JSON.stringify(provisioningJson(provisionTerminal(key, { terminalId: 'T0001', validFrom: '2026-01-01', validTo: '2031-12-31' }, random.source))));
}

/** The twin's IO in the shape the device's main module passes (hal/esp32/board.ts Esp32Io). */
function twinEsp32Io(twin: TwinTerminalBoard, chip: TwinTda8024): Esp32Io<object> {
  const card = twinCardIo(twin.board, chip);
  const { Digital, I2C, Serial, Flash, Timer, ticks } = twin.io;
  return {
    Digital, I2C, Serial, SmartCardUart: card.SmartCardUart, SmartCardClock: card.CardClock, Flash, Timer,
    // Moddable's Time.ticks counts whole ms; the twin's clock also carries the µs of I2C transfers
    // (hostIo's ticks), which would reach the usage records' D through BoardClock.now().
    ticks: () => Math.floor(ticks()),
    fillRandom: twin.fillRandom,
  };
}

interface Device {
  readonly twin: TwinTerminalBoard;
  readonly chip: TwinTda8024;
  readonly board: TerminalBoard<object>;
  readonly firmware: Firmware;
  readonly events: TerminalEvent[];
  /** Bus failures the LCD and the keypad expander reported (openTerminalBoard onError). */
  readonly busErrors: string[];
  /** How firmware.stopped rejected, or 'none'. */
  readonly fault: string;
  /** Lets `ms` of board time pass. */
  pass(ms: number): Promise<void>;
  /** Presses keys on the keypad ("REGISTER", "ENTER", "END", "CLEAR" or digit strings), one after another. */
  press(...keys: string[]): Promise<void>;
  /** Runs the board until the terminal reports `name` (counting from now), and gives the event. */
  until(name: TerminalEvent['event']): Promise<TerminalEvent>;
  insert(card: SimCard): Promise<void>;
  /** What the LCD's DDRAM holds. */
  readonly screen: string[];
  eventsOf(name: TerminalEvent['event']): TerminalEvent[];
}

/** Powers the board up: openTerminalBoard() + startFirmware(), then lets the LCD initialise. */
async function powerUp(twin = new TwinTerminalBoard({ startMs: START }), wiring: Wiring = BOARD_WIRING): Promise<Device> {
  const chip = new TwinTda8024(twin.board, wiring.card);
  const events: TerminalEvent[] = [];
  const busErrors: string[] = [];
  const waiting: Array<{ readonly name: string; readonly resolve: (event: TerminalEvent) => void }> = [];
  const board = openTerminalBoard({
    io: twinEsp32Io(twin, chip),
    wiring,
    config: configFromProvisioning(provisioning()),
    fallbackTimeMs: START,
    onError: (part, error) => busErrors.push(`${part}: ${String(error)}`),
    onEvent(event) {
      events.push(event);
      const index = waiting.findIndex((waiter) => waiter.name === event.event);
      if (index >= 0) waiting.splice(index, 1)[0]!.resolve(event);
    },
  });
  const firmware = startFirmware(board);
  let fault = 'none';
  firmware.stopped.catch((error: unknown) => (fault = error instanceof Error ? `${error.name}: ${error.message}` : String(error)));
  const clock = twin.clock;
  const pass = (ms: number): Promise<void> => drive(clock, new Promise<void>((resolve) => clock.setTimer(ms, resolve)));
  const device: Device = {
    twin, chip, board, firmware, events, busErrors, pass,
    async press(...keys) {
      const legends = keys.flatMap((key) => (LEGEND[key] ? [LEGEND[key]!] : Array.from(key)));
      legends.forEach((legend, i) => twin.keypad.press(legend, { afterMs: i * KEY.GAP_MS, holdMs: KEY.HOLD_MS, bounceMs: KEY.BOUNCE_MS }));
      await pass(legends.length * KEY.GAP_MS + 100);
    },
    async until(name) {
      try {
        return await drive(clock, new Promise<TerminalEvent>((resolve) => waiting.push({ name, resolve })));
      } catch (error) {
        // what the terminal said and showed, for the failure message
        const said = events.slice(-6).map((event) => JSON.stringify(event)).join(' ');
        throw new Error(`waiting for ${name}: ${(error as Error).message}; firmware fault: ${fault}; last events ${said}; LCD ${JSON.stringify(twin.lcd.lines)}`);
      }
    },
    async insert(card) {
      const accepted = device.until('card-accepted');
      chip.insert(new SimByteCard(card));
      await accepted;
    },
    get screen() {
      return twin.lcd.lines;
    },
    get fault() {
      return fault;
    },
    eventsOf: (name) => events.filter((event) => event.event === name),
  };
  await pass(200); // HD44780 fig. 24: > 40 ms after power-on, then the idle screen
  return device;
}

function shows(device: Device, lines: readonly string[], what: string): void {
  equal(device.screen, frame(lines), `LCD DDRAM: ${what}`);
}

function noFaults(device: Device): void {
  equal(device.twin.board.faults, [], 'no electrical, bus or timing fault on the twin board');
  equal(device.busErrors, [], 'no bus failure reported by the LCD or the keypad');
  equal(device.fault, 'none', 'the firmware did not fail');
}

/** Fig. 4 on the keypad, checking the LCD at each step. */
async function registerPin(device: Device, pin: string): Promise<void> {
  await device.press('REGISTER');
  shows(device, SCREENS.registrationNumber(''), 'registration number asked');
  await device.press(ALICE.registrationNumber);
  shows(device, SCREENS.registrationNumber(ALICE.registrationNumber), 'Nt as typed');
  await device.press('ENTER');
  shows(device, SCREENS.settingNumber(''), 'setting number asked');
  await device.press(ALICE.settingNumber);
  shows(device, SCREENS.settingNumber('*'.repeat(ALICE.settingNumber.length)), 'Ns masked');
  await device.press('ENTER');
  shows(device, SCREENS.newPin(''), 'new PIN asked (the card checked Ns)');
  await device.press(pin, 'ENTER');
  shows(device, SCREENS.repeatPin(''), 'PIN asked again');
  const registered = device.until('pin-registered');
  await device.press(pin, 'ENTER');
  await registered;
  shows(device, SCREENS.registered(false), 'PIN registered');
}

/**
 * PIN, number, a call; returns 50 ms before the call has run `seconds`, so an END pressed now
 * (seen some 25 ms later, after the debounce) or a card pulled now bills `seconds` seconds.
 */
async function call(device: Device, pin: string, seconds: number): Promise<void> {
  const verified = device.until('pin-verified');
  await device.press(pin, 'ENTER');
  await verified;
  shows(device, SCREENS.dial(''), 'PIN OK: dial');
  let startedAt = 0;
  const started = device.until('service-started').then(() => (startedAt = device.twin.clock.now()));
  await device.press('0312345678', 'ENTER');
  await started;
  await device.pass(seconds * 1000 - (device.twin.clock.now() - startedAt) - 50);
}

const scenarios: Scenario[] = [
  {
    name: 'twin terminal: openTerminalBoard() + startFirmware() on the twin board: idle screen, clock from the DS3231, journal on the partition',
    async run() {
      const device = await powerUp();
      shows(device, SCREENS.idle, 'idle screen');
      const { parts, hal } = device.board;
      ok(parts.clock.valid, 'the DS3231 kept the time');
      equal(hal.clock.now() - START < 1000, true, 'wall time from the RTC');
      equal([parts.flash.sectorSize, parts.flash.sectorCount], [4096, 4], 'the journal partition');
      equal(device.firmware.journal.records().length, 0, 'an empty journal');
      equal(hal.random.bytes(16).length, 16, 'the hardware RNG answers');
      equal(device.chip.active, false, 'the card interface is off');
      device.firmware.terminal.shutdown();
      await drive(device.twin.clock, device.firmware.stopped);
      equal(device.eventsOf('shutdown').length, 1, 'shut down');
      noFaults(device);
    },
  },
  {
    name: 'twin terminal: PIN registration (fig. 4) with keys pressed on the keypad, every screen read from the LCD DDRAM',
    async run() {
      const device = await powerUp();
      await device.insert(aliceCard());
      const accepted = device.eventsOf('card-accepted')[0];
      equal(accepted?.event === 'card-accepted' && accepted.registrationNumber, ALICE.registrationNumber, 'the card read through the TDA8024 and accepted');
      shows(device, SCREENS.enterPin('', false), 'PIN screen, no PIN registered yet');
      await registerPin(device, '2468');
      await device.pass(3_500);
      shows(device, SCREENS.enterPin('', true), 'the PIN screen again');
      await device.press('24');
      shows(device, SCREENS.enterPin('**', true), 'PIN digits masked');
      await device.press('CLEAR');
      shows(device, SCREENS.enterPin('', true), 'CLEAR starts the entry over');
      const ejected = device.until('eject');
      await device.press('END');
      await ejected;
      equal(device.chip.active, false, 'the card was deactivated');
      device.chip.remove();
      await device.pass(100);
      shows(device, SCREENS.idle, 'idle again once the card is taken');
      ok(device.board.parts.card.stats.echoes > 0 && device.board.parts.card.stats.echoMismatches === 0, 'all over the echoing I/O line');
      noFaults(device);
    },
  },
  {
    name: 'twin terminal: a call (fig. 5) billed and its usage record in the journal partition\'s flash',
    async run() {
      const device = await powerUp();
      await device.insert(aliceCard());
      await registerPin(device, '2468');
      await device.pass(3_500);
      await call(device, '2468', 125);
      shows(device, SCREENS.inCall('0312345678', elapsedText(124), '40 JPY'), 'the meter just before 125 s');
      const written = device.until('record-written');
      await device.press('END');
      const record = await written;
      equal(record.event === 'record-written' && [record.sequence, record.registrationNumber, record.fee], [1, ALICE.registrationNumber, 40], 'record #1, 40 JPY');
      const ended = device.eventsOf('service-ended')[0];
      equal(ended?.event === 'service-ended' && [ended.endedBy, ended.durationSeconds], ['end', 125], 'hung up with END after 125 s');
      // The partition as the flash holds it, read back by a journal of its own.
      const stored = UsageJournal.open(device.twin.journal, 'T0001').records();
      equal(stored.map((entry) => [entry.sequence, entry.registrationNumber, entry.fee, entry.durationSeconds, entry.dialled]), [[1, ALICE.registrationNumber, 40, 125, '0312345678']], 'the record is in the partition');
      ok(stored[0]!.startedAt >= START && stored[0]!.startedAt < START + 60_000, 'D is the call\'s start by the RTC-backed clock');
      equal(device.chip.active, false, 'the card was powered off after the call');
      noFaults(device);
    },
  },
  {
    name: 'twin terminal: the card pulled during a call ends and bills it; the record is written and the terminal goes back to idle',
    async run() {
      const device = await powerUp();
      await device.insert(aliceCard());
      await registerPin(device, '2468');
      await device.pass(3_500);
      await call(device, '2468', 30);
      const written = device.until('record-written');
      device.chip.remove();
      await written;
      const ended = device.eventsOf('service-ended')[0];
      equal(ended?.event === 'service-ended' && [ended.endedBy, ended.fee], ['card-removed', 20], 'ended by the card leaving, billed');
      equal(device.board.parts.card.cardPresent, false, 'OFF fell: the driver saw the card go');
      await device.pass(4_000);
      shows(device, SCREENS.idle, 'idle screen');
      equal(UsageJournal.open(device.twin.journal, 'T0001').records().length, 1, 'one record in the partition');
      // a new session on the same terminal works
      await device.insert(aliceCard('bob'));
      shows(device, SCREENS.enterPin('', false), 'next card accepted');
      noFaults(device);
    },
  },
  {
    name: 'twin terminal: power cut during a call: the call is recorded on the way down and the journal reopened on the same flash after power-up has it',
    async run() {
      const device = await powerUp();
      const card = aliceCard();
      await device.insert(card);
      await registerPin(device, '2468');
      await device.pass(3_500);
      await call(device, '2468', 65);
      await device.press('END');
      device.chip.remove();
      await device.pass(4_000);
      await device.insert(card);
      await call(device, '2468', 75);
      // The supply falls: the power-fail warning asks the firmware to stop, as the device's brown-out handling would.
      device.firmware.terminal.shutdown();
      await drive(device.twin.clock, device.firmware.stopped);
      const ended = device.eventsOf('service-ended').map((event) => event.event === 'service-ended' && [event.endedBy, event.durationSeconds, event.fee]);
      equal(ended, [['end', 65, 30], ['shutdown', 75, 30]], 'the second call ended by the power-down, billed');
      // Power is gone: a new board comes up with the same flash chip, and the same firmware start.
      const image = device.twin.journal.image;
      const twin = new TwinTerminalBoard({ startMs: START + 600_000 });
      twin.journal.write(0, image);
      const again = await powerUp(twin);
      const records = again.firmware.journal.records();
      equal(records.map((entry) => [entry.sequence, entry.fee]), [[1, 30], [2, 30]], 'both records survived, in order');
      const reopened = UsageJournal.open(new JournalFlash({ storage: { io: twin.io.Flash, partition: BOARD_WIRING.flash.partition } }), 'T0001').records();
      equal(reopened.length, 2, 'the partition reopened by a journal of its own holds them too');
      shows(again, SCREENS.idle, 'the terminal is back at idle');
      await again.insert(card);
      await call(again, '2468', 5);
      const written = again.until('record-written');
      await again.press('END');
      const next = await written;
      equal(next.event === 'record-written' && next.sequence, 3, 'numbering goes on after the power cut');
      noFaults(device);
      noFaults(again);
    },
  },
  {
    name: 'twin terminal: the C3 wiring (keypad behind a PCF8574 on the LCD bus, wiring.keypad.expander): PIN registration and a call',
    async run() {
      const device = await powerUp(new TwinTerminalBoard({ startMs: START, keypadOnExpander: true }), EXPANDER_WIRING);
      shows(device, SCREENS.idle, 'idle screen, the LCD sharing its bus with the expander');
      await device.insert(aliceCard());
      await registerPin(device, '2468');
      await device.pass(3_500);
      await call(device, '2468', 61);
      const written = device.until('record-written');
      await device.press('END');
      const record = await written;
      equal(record.event === 'record-written' && [record.sequence, record.fee], [1, 30], 'record #1, 61 s: 30 JPY');
      noFaults(device);
    },
  },
  {
    name: 'twin terminal: without provisioning the LCD says "Not provisioned" and why (what hal/esp32/main.ts shows)',
    async run() {
      const twin = new TwinTerminalBoard({ startMs: START });
      let reason = '';
      try {
        configFromProvisioning({ format: PROVISIONING_FORMAT, issuerKeys: [] });
      } catch (error) {
        reason = (error as Error).message.replace(/^terminal provisioning: /, '');
      }
      ok(reason !== '', 'configFromProvisioning refused the file');
      showNotice(twin.io, BOARD_WIRING, 'Not provisioned', reason);
      await drive(twin.clock, new Promise<void>((resolve) => twin.clock.setTimer(200, resolve)));
      equal(twin.lcd.lines, frame(noticeLines('Not provisioned', reason, 20, 4)), 'the notice on the glass');
      equal(twin.lcd.lines[0]!.trim(), 'Not provisioned', 'first row');
      ok(twin.lcd.lines.slice(1).join(' ').includes('"tariff"'), `the reason names the field: ${twin.lcd.lines.join('|')}`);
      equal(noticeLines('T', 'a verylongwordthatdoesnotfit x', 10, 4), ['T', 'a', 'verylongwo', 'rdthatdoes'], 'words broken to the width, rows cut');
      equal(twin.board.faults, [], 'no fault');
    },
  },
];

export const twinTerminalScenarios: Scenario[] = scenarios;
