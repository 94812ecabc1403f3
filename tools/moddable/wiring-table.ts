// The wiring table of docs/hardware.md, made from moddable.json so the two cannot disagree:
// one row per signal, one column per target, GPIO numbers. `npm run wiring` rewrites the table
// between the markers in docs/hardware.md; tests/board-file.test.ts checks it is current.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BoardFileError, loadBoardFile, type BoardFile } from './board-file.js';
import type { Wiring } from '../../hal/esp32/wiring.js';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
export const TABLE_BEGIN = '<!-- wiring table: generated from moddable.json by `npm run wiring` -->';
export const TABLE_END = '<!-- end of wiring table -->';

type Row = readonly [part: string, signal: string, value: (w: Wiring) => string];

const gpio = (n: number): string => `GPIO ${n}`;

const ROWS: readonly Row[] = Object.freeze([
  ['card interface (TDA8024)', 'I/OUC (card I/O, through the chip)', (w) => (w.card.transmit === w.card.receive ? `${gpio(w.card.transmit)} TX+RX, UART ${w.card.uart}` : `${gpio(w.card.transmit)} TX, ${gpio(w.card.receive)} RX, UART ${w.card.uart}`)],
  ['card interface (TDA8024)', 'CLKIN (card clock, LEDC)', (w) => `${gpio(w.card.clock)}, ${(w.card.clockHz / 1e6).toFixed(4)} MHz`],
  ['card interface (TDA8024)', 'RSTIN', (w) => gpio(w.card.reset)],
  ['card interface (TDA8024)', 'CMDVCC (active low; pull-up)', (w) => gpio(w.card.vcc)],
  ['card interface (TDA8024)', 'OFF (card present)', (w) => gpio(w.card.detect)],
  ['keypad 4×4', 'rows R1–R4 (driven)', (w) => ('rows' in w.keypad ? w.keypad.rows.map(gpio).join(', ') : `PCF8574 P0–P3 at I2C ${hex(w.keypad.expander.address)}`)],
  ['keypad 4×4', 'columns C1–C4 (pulled up)', (w) => ('columns' in w.keypad ? w.keypad.columns.map(gpio).join(', ') : 'PCF8574 P4–P7')],
  ['keypad 4×4', 'PCF8574 INT (expander only)', (w) => ('expander' in w.keypad ? gpio(w.keypad.expander.interrupt) : '—')],
  ['LCD 20×4 (PCF8574 backpack) and RTC (DS3231)', 'I2C SDA, SCL', (w) => `${gpio(w.lcd.i2c.data)}, ${gpio(w.lcd.i2c.clock)}, ${w.lcd.i2c.hz / 1000} kHz`],
  ['LCD 20×4 (PCF8574 backpack) and RTC (DS3231)', 'I2C addresses', (w) => `LCD ${hex(w.lcd.i2c.address)}, RTC ${hex(w.rtc.address)}`],
  ['modem (SIM800)', 'TXD → ESP32 RX, RXD ← ESP32 TX', (w) => `${gpio(w.modem.receive)} RX, ${gpio(w.modem.transmit)} TX, UART ${w.modem.uart}, ${w.modem.baud} baud`],
  ['modem (SIM800)', 'PWRKEY (through an NPN, active high)', (w) => gpio(w.modem.powerKey)],
  ['flash', 'usage journal partition', (w) => `"${w.flash.partition}"`],
  ['flash', 'hotlist partition', (w) => `"${w.flash.hotlistPartition}"`],
]);

function hex(n: number): string {
  return `0x${n.toString(16).padStart(2, '0')}`;
}

/** The Markdown table for every target of the board file. */
export function wiringTable(board: BoardFile): string {
  const head = `| part | signal | ${board.targets.map((t) => `${t.name} (\`${t.platform}\`)`).join(' | ')} |`;
  const rule = `|:--|:--|${board.targets.map(() => ':--').join('|')}|`;
  const rows = ROWS.map(([part, signal, value]) => `| ${part} | ${signal} | ${board.targets.map((t) => value(t.wiring)).join(' | ')} |`);
  return [head, rule, ...rows].join('\n');
}

/** `text` with the table between the markers replaced; throws when the markers are missing. */
export function withWiringTable(text: string, table: string): string {
  const begin = text.indexOf(TABLE_BEGIN);
  const end = text.indexOf(TABLE_END);
  if (begin < 0 || end < begin) throw new Error(`the wiring table markers are missing (${TABLE_BEGIN} ... ${TABLE_END})`);
  return `${text.slice(0, begin + TABLE_BEGIN.length)}\n${table}\n${text.slice(end)}`;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  let board: BoardFile;
  try {
    board = loadBoardFile(ROOT);
  } catch (error) {
    if (!(error instanceof BoardFileError)) throw error;
    process.stderr.write(`wiring: ${error.message}\n`);
    process.exit(2);
  }
  const guide = join(ROOT, 'docs', 'hardware.md');
  writeFileSync(guide, withWiringTable(readFileSync(guide, 'utf8'), wiringTable(board)));
  process.stdout.write('docs/hardware.md: wiring table written from moddable.json\n');
}
