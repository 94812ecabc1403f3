// moddable.json, the board file a firmware engineer edits: which Moddable SDK target each build
// uses and how the parts are wired. Read and checked here (on the build machine, by
// `npm run build:esp32`, the hardware guide's wiring table and the tests); the device gets the
// resolved wiring of its target through the manifest's config (mc/config). Every problem names
// the field, e.g. `targets.esp32-c3.wiring.card.clock: GPIO 12 is a flash pin on the esp32c3`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CardWiring, KeypadWiring, Wiring } from '../../hal/esp32/wiring.js';

/** GPIO facts per chip, from the ESP32, ESP32-S2 and ESP32-C3 datasheets (pin overview tables). */
export const CHIPS = Object.freeze({
  esp32: Object.freeze({
    gpio: Object.freeze([...range(0, 19), 21, 22, 23, 25, 26, 27, ...range(32, 39)]),
    reserved: Object.freeze({ 1: 'UART 0 TX (console)', 3: 'UART 0 RX (console)', 6: 'a flash pin', 7: 'a flash pin', 8: 'a flash pin', 9: 'a flash pin', 10: 'a flash pin', 11: 'a flash pin' } as Record<number, string>),
    inputOnly: Object.freeze([34, 35, 36, 37, 38, 39]),
    strapping: Object.freeze({ 0: 'high', 5: 'high', 12: 'low', 15: 'high' } as Record<number, BootLevel>),
    uarts: 3,
  }),
  esp32s2: Object.freeze({
    gpio: Object.freeze([...range(0, 21), ...range(26, 46)]),
    reserved: Object.freeze({ 19: 'USB D− (console)', 20: 'USB D+ (console)', 26: 'the PSRAM chip select', 27: 'a flash pin', 28: 'a flash pin', 29: 'a flash pin', 30: 'a flash pin', 31: 'a flash pin', 32: 'a flash pin' } as Record<number, string>),
    inputOnly: Object.freeze([46]),
    strapping: Object.freeze({ 0: 'high', 45: 'low', 46: 'low' } as Record<number, BootLevel>),
    uarts: 2,
  }),
  esp32c3: Object.freeze({
    gpio: Object.freeze(range(0, 21)),
    reserved: Object.freeze({ 11: 'the flash supply (VDD_SPI)', 12: 'a flash pin', 13: 'a flash pin', 14: 'a flash pin', 15: 'a flash pin', 16: 'a flash pin', 17: 'a flash pin', 18: 'USB D− (console)', 19: 'USB D+ (console)' } as Record<number, string>),
    inputOnly: Object.freeze([] as number[]),
    strapping: Object.freeze({ 2: 'high', 8: 'high', 9: 'high' } as Record<number, BootLevel>),
    uarts: 2,
  }),
});

export type ChipName = keyof typeof CHIPS;

/**
 * The level a strapping pin must have while the chip comes out of reset to boot from flash at
 * 3.3 V (ESP32: GPIO12 MTDI low, else 1.8 V flash; GPIO0, 5, 15 high; ESP32-S2: GPIO0 high, 45 and
 * 46 low; ESP32-C3: GPIO2, 8, 9 high). A pin is refused for a signal held at the other level then.
 */
type BootLevel = 'high' | 'low';

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

export interface Target {
  readonly name: string;
  readonly comment: string;
  /** What mcconfig -p takes: "esp32" or "esp32/<SDK target>". */
  readonly platform: string;
  readonly chip: ChipName;
  /** Where the console (xsbug) runs: UART 0 is taken unless it is USB. */
  readonly console: 'uart0' | 'usb';
  readonly wiring: Wiring;
}

export interface BoardFile {
  readonly sdk: { readonly version: string; readonly commit: string };
  readonly targets: readonly Target[];
}

/** A wrong field of moddable.json; `problems` lists every one found, each naming its field. */
export class BoardFileError extends Error {
  override name = 'BoardFileError';
  constructor(readonly problems: readonly string[]) {
    super(`moddable.json: ${problems.length === 1 ? problems[0] : `${problems.length} problems:\n  ${problems.join('\n  ')}`}`);
  }
}

type Json = Readonly<Record<string, unknown>>;

const KEY_CHARACTERS = /^[0-9RCEN*#]{4}$/;
const BAUDS = Object.freeze([1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200]);
const LCD_SIZES = Object.freeze(['16x2', '20x2', '20x4']);

/** The fields each object of the board file may have: anything else is a typo, named as one. */
const KNOWN_FIELDS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  '(file)': ['comment', 'sdk', 'targets', 'wiring'],
  sdk: ['version', 'commit'],
  target: ['comment', 'platform', 'chip', 'console', 'wiring'],
  wiring: ['card', 'keypad', 'lcd', 'rtc', 'modem', 'flash'],
  card: ['uart', 'transmit', 'receive', 'clock', 'reset', 'vcc', 'detect', 'clockHz'],
  keypad: ['rows', 'columns', 'layout', 'expander'],
  expander: ['address', 'interrupt'],
  lcd: ['i2c', 'columns', 'rows'],
  i2c: ['data', 'clock', 'hz', 'address'],
  rtc: ['address'],
  modem: ['uart', 'transmit', 'receive', 'baud', 'powerKey'],
  flash: ['partition', 'hotlistPartition'],
});

class Checker {
  readonly #problems = new Set<string>();

  /** Every problem once, in the order found (a shared part's fault would repeat per target). */
  get problems(): string[] {
    return [...this.#problems];
  }

  problem(field: string, text: string): void {
    this.#problems.add(`${field}: ${text}`);
  }

  /** Names each field of `json` that `kind` does not have. */
  known(json: Json | null, field: string, kind: string): void {
    if (!json) return;
    const allowed = KNOWN_FIELDS[kind]!;
    for (const key of Object.keys(json)) if (!allowed.includes(key)) this.problem(field === '(file)' ? key : `${field}.${key}`, `is not a field of ${kind === '(file)' ? 'the board file' : `a ${kind}`} (${allowed.join(', ')})`);
  }

  object(value: unknown, field: string): Json | null {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Json;
    this.problem(field, 'must be an object');
    return null;
  }

  integer(value: unknown, field: string, min: number, max: number): number {
    if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
    this.problem(field, `must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
    return min;
  }

  string(value: unknown, field: string, pattern: RegExp, what: string): string {
    if (typeof value === 'string' && pattern.test(value)) return value;
    this.problem(field, `must be ${what}, got ${JSON.stringify(value)}`);
    return '';
  }
}

/** A target's wiring: the board's `wiring` with the parts the target names replaced. */
function mergeWiring(base: Json, override: Json | undefined): Json {
  return override ? { ...base, ...override } : base;
}

/** `at(name)` gives a part's field: the target's own `wiring` when it names the part, else the board's. */
function checkWiring(c: Checker, wiring: Json, at: (name: string) => string, chipName: ChipName, consoleOn: 'uart0' | 'usb', partitions: readonly string[] | undefined): Wiring | null {
  const chip = CHIPS[chipName];
  const used = new Map<number, string>();
  /**
   * `atBoot`: the level the board holds the signal at while the chip resets ('high' for a line with
   * a pull-up such as CMDVCC, OFF, INT or a keypad column, 'low' for the modem's power key behind
   * its NPN), checked against the strapping pins.
   */
  const pin = (value: unknown, name: string, use: 'in' | 'out' | 'both', shared?: string, atBoot?: BootLevel): number => {
    const where = at(name);
    const gpio = c.integer(value, where, 0, 48);
    const strap = chip.strapping[gpio];
    if (strap && atBoot && strap !== atBoot) c.problem(where, `GPIO ${gpio} is a strapping pin of the ${chipName} that must be ${strap} at reset, and this signal holds it ${atBoot}`);
    if (!chip.gpio.includes(gpio)) c.problem(where, `GPIO ${gpio} does not exist on the ${chipName}`);
    else if (chip.reserved[gpio]) c.problem(where, `GPIO ${gpio} is ${chip.reserved[gpio]} on the ${chipName}`);
    else if (use !== 'in' && chip.inputOnly.includes(gpio)) c.problem(where, `GPIO ${gpio} is input only on the ${chipName}; this pin must drive`);
    const other = used.get(gpio);
    if (other !== undefined && other !== shared) c.problem(where, `GPIO ${gpio} is already ${other}`);
    used.set(gpio, name);
    return gpio;
  };
  const uart = (value: unknown, name: string): number => {
    const where = at(name);
    const port = c.integer(value, where, 0, chip.uarts - 1);
    if (port === 0 && consoleOn === 'uart0') c.problem(where, 'UART 0 carries the console on this target (set "console": "usb" on a board whose console is on USB)');
    return port;
  };

  const card = c.object(wiring.card, at('card'));
  const keypad = c.object(wiring.keypad, at('keypad'));
  const lcd = c.object(wiring.lcd, at('lcd'));
  const rtc = c.object(wiring.rtc, at('rtc'));
  const modem = c.object(wiring.modem, at('modem'));
  const flash = c.object(wiring.flash, at('flash'));
  if (!card || !keypad || !lcd || !rtc || !modem || !flash) return null;
  const part = (name: string): string => at(name).replace(/\.[^.]*$/, '');
  c.known(card, part('card.x'), 'card');
  c.known(keypad, part('keypad.x'), 'keypad');
  c.known(lcd, part('lcd.x'), 'lcd');
  c.known(rtc, part('rtc.x'), 'rtc');
  c.known(modem, part('modem.x'), 'modem');
  c.known(flash, part('flash.x'), 'flash');

  const receive = pin(card.receive, 'card.receive', 'in');
  const cardWiring: CardWiring = {
    uart: uart(card.uart, 'card.uart'),
    transmit: pin(card.transmit, 'card.transmit', 'out', card.transmit === card.receive ? 'card.receive' : undefined),
    receive,
    clock: pin(card.clock, 'card.clock', 'out'),
    reset: pin(card.reset, 'card.reset', 'out'),
    vcc: pin(card.vcc, 'card.vcc', 'out', undefined, 'high'),
    detect: pin(card.detect, 'card.detect', 'in', undefined, 'low'),
    clockHz: c.integer(card.clockHz, at('card.clockHz'), 1_000_000, 5_000_000),
  };

  const i2c = c.object(lcd.i2c, at('lcd.i2c'));
  c.known(i2c, at('lcd.i2c'), 'i2c');
  const bus = i2c
    ? { data: pin(i2c.data, 'lcd.i2c.data', 'both'), clock: pin(i2c.clock, 'lcd.i2c.clock', 'out'), hz: c.integer(i2c.hz, at('lcd.i2c.hz'), 10_000, 400_000), address: c.integer(i2c.address, at('lcd.i2c.address'), 0x08, 0x77) }
    : { data: 0, clock: 0, hz: 0, address: 0 };
  const columns = c.integer(lcd.columns, at('lcd.columns'), 16, 20);
  const rows = c.integer(lcd.rows, at('lcd.rows'), 2, 4);
  if (!LCD_SIZES.includes(`${columns}x${rows}`)) c.problem(at('lcd'), `a ${columns}×${rows} HD44780 is not supported (${LCD_SIZES.join(', ')})`);
  const rtcAddress = c.integer(rtc.address, at('rtc.address'), 0x08, 0x77);
  const addresses = new Map<number, string>([[bus.address, 'lcd.i2c.address']]);
  const onBus = (address: number, name: string): void => {
    const other = addresses.get(address);
    if (other !== undefined) c.problem(at(name), `I2C address ${address} is already ${other} on the LCD's bus`);
    addresses.set(address, name);
  };
  onBus(rtcAddress, 'rtc.address');

  const layout = Array.isArray(keypad.layout) ? keypad.layout : [];
  if (layout.length !== 4 || !layout.every((row) => typeof row === 'string' && KEY_CHARACTERS.test(row))) {
    c.problem(at('keypad.layout'), 'must be 4 rows of 4 keys from 0-9 R (REGISTER) C (CLEAR) E (END) N (ENTER) * #');
  } else {
    const keys = layout.join('');
    for (const needed of '0123456789RCEN') if (!keys.includes(needed)) c.problem(at('keypad.layout'), `has no "${needed}" key`);
  }
  let keypadWiring: KeypadWiring;
  if (keypad.expander !== undefined) {
    const expander = c.object(keypad.expander, at('keypad.expander'));
    c.known(expander, at('keypad.expander'), 'expander');
    const address = c.integer(expander?.address, at('keypad.expander.address'), 0x08, 0x77);
    onBus(address, 'keypad.expander.address');
    keypadWiring = { expander: { address, interrupt: pin(expander?.interrupt, 'keypad.expander.interrupt', 'in', undefined, 'high') }, layout: layout as string[] };
  } else {
    const lines = (value: unknown, name: string, use: 'in' | 'out', atBoot?: BootLevel): number[] => {
      if (!Array.isArray(value) || value.length !== 4) {
        c.problem(at(`keypad.${name}`), 'must list 4 GPIOs');
        return [];
      }
      return value.map((gpio, i) => pin(gpio, `keypad.${name}[${i}]`, use, undefined, atBoot));
    };
    // Rows are driven (open drain), columns read with pull-ups (hal/esp32/keypad-matrix.ts).
    keypadWiring = { rows: lines(keypad.rows, 'rows', 'out'), columns: lines(keypad.columns, 'columns', 'in', 'high'), layout: layout as string[] };
  }

  const modemWiring = {
    uart: uart(modem.uart, 'modem.uart'),
    transmit: pin(modem.transmit, 'modem.transmit', 'out'),
    receive: pin(modem.receive, 'modem.receive', 'in'),
    baud: c.integer(modem.baud, at('modem.baud'), 1200, 115200),
    powerKey: pin(modem.powerKey, 'modem.powerKey', 'out', undefined, 'low'),
  };
  if (!BAUDS.includes(modemWiring.baud)) c.problem(at('modem.baud'), `must be one of ${BAUDS.join(', ')}`);
  if (modemWiring.uart === cardWiring.uart) c.problem(at('modem.uart'), `UART ${modemWiring.uart} is already the card's`);
  const partitionNamed = (name: 'partition' | 'hotlistPartition'): string => {
    const where = at(`flash.${name}`);
    const named = c.string(flash[name], where, /^[a-z][a-z0-9_]{0,15}$/, 'a partition name of partitions.csv (lower case, at most 16 characters)');
    if (partitions && named && !partitions.includes(named)) c.problem(where, `"${named}" is no data partition of manifests/partitions.csv (${partitions.join(', ')})`);
    return named;
  };
  const partition = partitionNamed('partition');
  const hotlistPartition = partitionNamed('hotlistPartition');
  if (partition && partition === hotlistPartition) c.problem(at('flash.hotlistPartition'), `"${hotlistPartition}" is already the journal's partition`);
  return { card: cardWiring, keypad: keypadWiring, lcd: { i2c: bus, columns, rows }, rtc: { address: rtcAddress }, modem: modemWiring, flash: { partition, hotlistPartition } };
}

/** The data partitions of an ESP-IDF partition table (CSV: name, type, subtype, offset, size). */
export function dataPartitions(csv: string): string[] {
  return csv.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => line.split(',').map((cell) => cell.trim())).filter((cells) => cells[1] === 'data').map((cells) => cells[0]!);
}

/**
 * Checks a parsed moddable.json and resolves each target's wiring; `partitions` are the data
 * partitions the journal may use (dataPartitions() of manifests/partitions.csv). Throws
 * BoardFileError listing every wrong field it found, each once.
 */
export function readBoardFile(json: unknown, partitions?: readonly string[]): BoardFile {
  const c = new Checker();
  const root = c.object(json, '(file)');
  if (!root) throw new BoardFileError(c.problems);
  c.known(root, '(file)', '(file)');
  const sdk = c.object(root.sdk, 'sdk');
  c.known(sdk, 'sdk', 'sdk');
  const version = c.string(sdk?.version, 'sdk.version', /^\d+\.\d+\.\d+$/, 'the Moddable SDK version the board was built with, such as 8.2.3');
  const commit = c.string(sdk?.commit, 'sdk.commit', /^[0-9a-f]{7,40}$/, 'the SDK commit (hex)');
  const wiring = c.object(root.wiring, 'wiring');
  c.known(wiring, 'wiring', 'wiring');
  const targetsJson = c.object(root.targets, 'targets');
  const targets: Target[] = [];
  if (wiring && targetsJson) {
    if (Object.keys(targetsJson).length === 0) c.problem('targets', 'must name at least one target');
    for (const [name, value] of Object.entries(targetsJson)) {
      const field = `targets.${name}`;
      const target = c.object(value, field);
      if (!target) continue;
      c.known(target, field, 'target');
      const platform = c.string(target.platform, `${field}.platform`, /^esp32(\/[a-z0-9_]+)?$/, 'what mcconfig -p takes: "esp32" or "esp32/<target>"');
      const chip = c.string(target.chip, `${field}.chip`, /^(esp32|esp32s2|esp32c3)$/, 'one of esp32, esp32s2, esp32c3') as ChipName | '';
      const consoleOn = c.string(target.console, `${field}.console`, /^(uart0|usb)$/, '"uart0" or "usb"') as 'uart0' | 'usb' | '';
      const override = target.wiring === undefined ? undefined : c.object(target.wiring, `${field}.wiring`) ?? undefined;
      c.known(override ?? null, `${field}.wiring`, 'wiring');
      if (!chip || !consoleOn) continue;
      const at = (name: string): string => `${override && name.split('.')[0]! in override ? `${field}.wiring` : 'wiring'}.${name}`;
      const resolved = checkWiring(c, mergeWiring(wiring, override), at, chip, consoleOn, partitions);
      if (resolved) targets.push({ name, comment: typeof target.comment === 'string' ? target.comment : '', platform, chip, console: consoleOn, wiring: resolved });
    }
  }
  if (c.problems.length > 0) throw new BoardFileError(c.problems);
  return { sdk: { version, commit }, targets };
}

/**
 * The project's board file: `root`/moddable.json checked against the data partitions of
 * `root`/manifests/partitions.csv. Throws BoardFileError (naming the fields, or saying the file
 * is no JSON).
 */
export function loadBoardFile(root: string): BoardFile {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(join(root, 'moddable.json'), 'utf8'));
  } catch (error) {
    throw new BoardFileError([`(file): ${(error as Error).message}`]);
  }
  return readBoardFile(json, dataPartitions(readFileSync(join(root, 'manifests', 'partitions.csv'), 'utf8')));
}
