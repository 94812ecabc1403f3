// The terminal board (docs/hardware.md) put together: every hal/esp32 driver opened on its wiring
// (moddable.json `wiring`, resolved by the build: wiring.ts) with the IO classes it is given, and
// the TerminalHal (hal/index.ts) the firmware runs on: the TDA8024 card interface under the
// ISO 7816-3 ProtocolReader, the HD44780 LCD, the keypad matrix (on eight GPIOs, or behind a
// PCF8574 on the LCD's I2C bus), the SIM800 modem, the DS3231-backed clock, the hardware RNG, the
// journal's flash partition and the hotlist's. What comes back is firmware/main.ts's Board: startFirmware() takes it.
//
// Nothing here imports a Moddable module: the device's start module (main.ts) passes the real
// classes (embedded:io/*, the native smart-card UART and RNG, `flash`, `timer`, `time`), the twin
// board (hal/twin) its host classes, so the same opening code runs on the device, on Node and in
// XS. No module-level state: the module can be preloaded.
import type Digital from 'embedded:io/digital';
import type I2C from 'embedded:io/i2c';
import type Serial from 'embedded:io/serial';
import type { Board } from '../../firmware/main.js';
import { ProtocolReader, type ProtocolReaderOptions } from '../../firmware/iso7816/protocol-reader.js';
import type { TerminalConfig } from '../../firmware/terminal/config.js';
import type { TerminalEvent } from '../../firmware/terminal/events.js';
import type { IdleWork } from '../../firmware/terminal/terminal.js';
import type { TerminalHal } from '../index.js';
import { BoardClock, type TimerService } from './board-clock.js';
import { CardInterface, type CardClockClass } from './card-interface.js';
import { Ds3231 } from './ds3231.js';
import { HardwareRandom } from './hardware-random.js';
import { Hd44780Lcd } from './hd44780-lcd.js';
import { JournalFlash, type JournalFlashOptions } from './journal-flash.js';
import { KeypadMatrix } from './keypad-matrix.js';
import { PCF8574_KEYPAD_PINS, pcf8574Digital } from './pcf8574-digital.js';
import { Sim800Modem } from './sim800-modem.js';
import type { SmartCardUartClass } from './smartcard-uart.js';
import type { Wiring } from './wiring.js';

/**
 * The IO the drivers take. On the device (main.ts): embedded:io/digital, embedded:io/i2c,
 * embedded:io/serial, smartcard-uart.js's default export and SmartCardClock, Moddable's `flash`
 * and `timer`, `() => Time.ticks` of Moddable's `time`, and random-fill.js's fill. On the twin:
 * hal/twin/io.ts hostIo() and hal/twin/smartcard-io.ts twinCardIo().
 */
export interface Esp32Io<T> {
  /** ECMA-419 Digital: the card interface's CMDVCC, RSTIN, OFF; keypad rows and columns; PWRKEY; the expander's INT. */
  readonly Digital: typeof Digital;
  /** ECMA-419 I2C: the LCD backpack, the DS3231 and the keypad's PCF8574 on one bus. */
  readonly I2C: typeof I2C;
  /** ECMA-419 Serial: the modem's UART. */
  readonly Serial: typeof Serial;
  /** The smart-card UART (smartcard-uart.d.ts). */
  readonly SmartCardUart: SmartCardUartClass;
  /** The card clock, an LEDC output reporting the frequency it reached (smartcard-uart.d.ts SmartCardClock). */
  readonly SmartCardClock: CardClockClass;
  /** Moddable's `flash` class: new Flash(partition). */
  readonly Flash: JournalFlashOptions['storage']['io'];
  /** Moddable's `timer` module (Timer.set, Timer.clear). */
  readonly Timer: TimerService<T>;
  /** Monotonic milliseconds (Moddable: () => Time.ticks). */
  readonly ticks: () => number;
  /** Fills an array from the hardware RNG (random-fill.js: esp_fill_random). */
  readonly fillRandom: (target: Uint8Array) => void;
}

export interface TerminalBoardOptions<T> {
  readonly io: Esp32Io<T>;
  readonly wiring: Wiring;
  /** From the issuer's provisioning (firmware/terminal/provisioning.ts). */
  readonly config: TerminalConfig;
  /** The SIM's packet data access point; empty: the network's default (AT+SAPBR "APN",""). */
  readonly apn?: string;
  /** Where the clock starts when the DS3231 lost the time (OSF set): ms since the epoch, e.g. the build's date. */
  readonly fallbackTimeMs: number;
  readonly onEvent?: (event: TerminalEvent) => void;
  readonly idleWork?: IdleWork;
  /** Told of a bus failure the LCD or the keypad expander recovers from (they keep running). */
  readonly onError?: (part: 'lcd' | 'keypad', error: unknown) => void;
  /** ProtocolReader options (T=1 preference, PPS, IFSD, a line trace). */
  readonly reader?: ProtocolReaderOptions;
}

/** The board's drivers, for diagnostics and tests (the firmware uses `hal` only). */
export interface TerminalBoardParts<T> {
  readonly card: CardInterface;
  readonly reader: ProtocolReader;
  readonly lcd: Hd44780Lcd;
  readonly keypad: KeypadMatrix;
  readonly modem: Sim800Modem;
  readonly rtc: Ds3231;
  readonly clock: BoardClock<T>;
  readonly random: HardwareRandom;
  readonly flash: JournalFlash;
  readonly hotlistFlash: JournalFlash;
}

export interface TerminalBoard<T> extends Board {
  readonly hal: TerminalHal;
  readonly parts: TerminalBoardParts<T>;
}

/**
 * Opens every part of the board. Throws when a part cannot be opened: a pin in use, no journal
 * or hotlist partition, a keypad layout that does not match its pins, a card clock outside 1..5 MHz.
 */
export function openTerminalBoard<T>(options: TerminalBoardOptions<T>): TerminalBoard<T> {
  const { io, wiring } = options;
  const bus = { data: wiring.lcd.i2c.data, clock: wiring.lcd.i2c.clock, hz: wiring.lcd.i2c.hz };
  const rtc = new Ds3231({ rtc: { io: io.I2C, ...bus, address: wiring.rtc.address } });
  const clock = new BoardClock<T>({ rtc, timer: io.Timer, ticks: io.ticks, fallbackMs: options.fallbackTimeMs });
  const onError = options.onError;
  const lcd = new Hd44780Lcd({
    display: { io: io.I2C, ...bus, address: wiring.lcd.i2c.address },
    clock,
    ...(onError ? { onError: (error: unknown) => onError('lcd', error) } : {}),
  });
  const keypad = openKeypad(options, clock);
  const card = new CardInterface({
    wiring: wiring.card,
    io: { Digital: io.Digital, CardClock: io.SmartCardClock, SmartCardUart: io.SmartCardUart },
    clock,
  });
  const reader = new ProtocolReader(card, options.reader ?? {});
  const modem = new Sim800Modem({
    serial: { io: io.Serial, port: wiring.modem.uart, transmit: wiring.modem.transmit, receive: wiring.modem.receive, baud: wiring.modem.baud },
    powerKey: { io: io.Digital, pin: wiring.modem.powerKey },
    clock,
    apn: options.apn ?? '',
  });
  const random = new HardwareRandom({ fill: io.fillRandom });
  const flash = new JournalFlash({ storage: { io: io.Flash, partition: wiring.flash.partition } });
  const hotlistFlash = new JournalFlash({ storage: { io: io.Flash, partition: wiring.flash.hotlistPartition } });
  const hal: TerminalHal = { reader, keypad, display: lcd, clock, random, flash, hotlistFlash, modem };
  return {
    hal,
    config: options.config,
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.idleWork ? { idleWork: options.idleWork } : {}),
    parts: { card, reader, lcd, keypad, modem, rtc, clock, random, flash, hotlistFlash },
  };
}

/** The keypad matrix on eight GPIOs, or on P0..P7 of the PCF8574 on the LCD's bus (the ESP32-C3 board). */
function openKeypad<T>(options: TerminalBoardOptions<T>, clock: BoardClock<T>): KeypadMatrix {
  const { io, wiring } = options;
  const keypad = wiring.keypad;
  if (!('expander' in keypad)) {
    return new KeypadMatrix({ keypad: { io: io.Digital, rows: keypad.rows, columns: keypad.columns }, layout: keypad.layout, clock });
  }
  const onError = options.onError;
  const { i2c } = wiring.lcd;
  const Expander = pcf8574Digital({
    expander: { io: io.I2C, data: i2c.data, clock: i2c.clock, hz: Math.min(i2c.hz, 100_000), address: keypad.expander.address },
    interrupt: { io: io.Digital, pin: keypad.expander.interrupt },
    // a bus glitch must not stop the scanner (it runs from timers): reported, the scan goes on
    onError: (error: unknown) => onError?.('keypad', error),
  });
  return new KeypadMatrix({ keypad: { io: Expander, rows: PCF8574_KEYPAD_PINS.rows, columns: PCF8574_KEYPAD_PINS.columns }, layout: keypad.layout, clock });
}

/**
 * A notice for a board that cannot run the terminal (no provisioning, a part or the journal that
 * failed to open): `title` on the first row, `detail` broken between words over the rows left.
 */
export function noticeLines(title: string, detail: string, columns: number, rows: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of detail.split(/\s+/).filter((part) => part !== '')) {
    for (let rest = word; rest !== ''; ) {
      const room = line === '' ? columns : columns - line.length - 1;
      if (rest.length <= room) {
        line = line === '' ? rest : `${line} ${rest}`;
        rest = '';
      } else if (line !== '') {
        lines.push(line);
        line = '';
      } else {
        lines.push(rest.slice(0, columns));
        rest = rest.slice(columns);
      }
    }
  }
  if (line !== '') lines.push(line);
  return [title, ...lines].slice(0, rows);
}

/**
 * The LCD alone, showing noticeLines(title, detail) once its init sequence has run. Its clock is
 * the timer and the ticks only: the DS3231 is not read, nothing here needs the wall time.
 */
export function showNotice<T>(io: Pick<Esp32Io<T>, 'I2C' | 'Timer' | 'ticks'>, wiring: Pick<Wiring, 'lcd'>, title: string, detail: string): Hd44780Lcd {
  const clock = new BoardClock<T>({ rtc: { time: 0, valid: false }, timer: io.Timer, ticks: io.ticks, fallbackMs: 0 });
  const { i2c, columns, rows } = wiring.lcd;
  const lcd = new Hd44780Lcd({ display: { io: io.I2C, data: i2c.data, clock: i2c.clock, hz: i2c.hz, address: i2c.address }, clock });
  lcd.show(noticeLines(title, detail, columns, rows));
  return lcd;
}
