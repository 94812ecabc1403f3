// moddable.json, the board file: the shipped one is valid for its three targets, and every kind
// of wrong field is refused with a message that names it (tools/moddable/board-file.ts).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BoardFileError, dataPartitions, readBoardFile } from '../tools/moddable/board-file.js';
import { wiringTable, withWiringTable } from '../tools/moddable/wiring-table.js';

const ROOT = join(import.meta.dirname, '..', '..');
const PARTITIONS = dataPartitions(readFileSync(join(ROOT, 'manifests', 'partitions.csv'), 'utf8'));
const board = (): Record<string, any> => JSON.parse(readFileSync(join(ROOT, 'moddable.json'), 'utf8')) as Record<string, any>;

function refused(edit: (json: Record<string, any>) => void, ...problems: RegExp[]): void {
  const json = board();
  edit(json);
  assert.throws(() => readBoardFile(json, PARTITIONS), (error: unknown) => {
    assert.ok(error instanceof BoardFileError, String(error));
    for (const problem of problems) assert.ok(error.problems.some((p) => problem.test(p)), `no problem matches ${problem}: ${JSON.stringify(error.problems)}`);
    return true;
  });
}

describe('moddable.json (the board file)', () => {
  it('is valid: the plain ESP32, an ESP32-S2 with PSRAM and an ESP32-C3, with SDK targets that exist in 8.2.3', () => {
    const file = readBoardFile(board());
    assert.deepEqual(file.targets.map((t) => [t.name, t.platform, t.chip]), [
      ['esp32', 'esp32', 'esp32'], ['esp32-s2-psram', 'esp32/lolin_s2mini', 'esp32s2'], ['esp32-c3', 'esp32/esp32c3_cdc', 'esp32c3'],
    ]);
    assert.equal(file.sdk.version, '8.2.3');
    const c3 = file.targets[2]!.wiring;
    assert.ok('expander' in c3.keypad, 'the C3 keypad sits behind the I2C expander');
    assert.equal(c3.rtc.address, 104, 'parts a target does not name come from the board wiring');
  });

  it('names the field of a pin that does not exist, is reserved, is used twice or cannot drive', () => {
    refused((j) => (j.wiring.card.clock = 24), /^wiring\.card\.clock: GPIO 24 does not exist on the esp32$/);
    refused((j) => (j.wiring.card.reset = 7), /^wiring\.card\.reset: GPIO 7 is a flash pin on the esp32$/);
    refused((j) => (j.wiring.keypad.rows[2] = 4), /^wiring\.keypad\.rows\[2\]: GPIO 4 is already card\.clock$/);
    refused((j) => (j.wiring.card.vcc = 35), /^wiring\.card\.vcc: GPIO 35 is input only on the esp32; this pin must drive$/);
    refused((j) => (j.targets['esp32-c3'].wiring.card.clock = 13), /^targets\.esp32-c3\.wiring\.card\.clock: GPIO 13 is a flash pin on the esp32c3$/);
    refused((j) => (j.wiring.card.receive = 1), /^wiring\.card\.receive: GPIO 1 is UART 0 TX \(console\) on the esp32$/);
  });

  it('names UARTs, I2C addresses, clock, baud rate, layout and partition that do not fit', () => {
    refused((j) => (j.wiring.modem.uart = 0), /^wiring\.modem\.uart: UART 0 carries the console/);
    refused((j) => (j.wiring.modem.uart = 1), /^wiring\.modem\.uart: UART 1 is already the card's$/);
    refused((j) => (j.targets['esp32-c3'].wiring.modem.uart = 2), /^targets\.esp32-c3\.wiring\.modem\.uart: must be a whole number from 0 to 1, got 2$/);
    refused((j) => (j.wiring.rtc.address = 39), /^wiring\.rtc\.address: I2C address 39 is already lcd\.i2c\.address on the LCD's bus$/);
    refused((j) => (j.wiring.card.clockHz = 8_000_000), /^wiring\.card\.clockHz: must be a whole number from 1000000 to 5000000, got 8000000$/);
    refused((j) => (j.wiring.modem.baud = 10000), /^wiring\.modem\.baud: must be one of/);
    refused((j) => (j.wiring.keypad.layout = ['123R', '456C', '789E', '*0#X']), /^wiring\.keypad\.layout: must be 4 rows of 4 keys/);
    refused((j) => (j.wiring.keypad.layout = ['123R', '456C', '789E', '*0##']), /^wiring\.keypad\.layout: has no "N" key$/);
    refused((j) => (j.wiring.flash.partition = 'Journal Partition'), /^wiring\.flash\.partition: must be a partition name/);
    refused((j) => (j.wiring.flash.hotlistPartition = 'records'), /^wiring\.flash\.hotlistPartition: "records" is no data partition of manifests\/partitions\.csv/);
    refused((j) => (j.wiring.flash.hotlistPartition = 'journal'), /^wiring\.flash\.hotlistPartition: "journal" is already the journal's partition$/);
    refused((j) => delete j.wiring.flash.hotlistPartition, /^wiring\.flash\.hotlistPartition: must be a partition name/);
    refused((j) => (j.wiring.lcd.rows = 3), /^wiring\.lcd: a 20×3 HD44780 is not supported/);
  });

  it('refuses a strapping pin held at the wrong level at reset, naming the pin and the level', () => {
    assert.deepEqual(PARTITIONS, ['nvs', 'phy_init', 'hotlist', 'journal']);
    refused((j) => (j.wiring.keypad.columns[2] = 12), /^wiring\.keypad\.columns\[2\]: GPIO 12 is a strapping pin of the esp32 that must be low at reset, and this signal holds it high$/);
    refused((j) => (j.targets['esp32-c3'].wiring.modem.powerKey = 2), /^targets\.esp32-c3\.wiring\.modem\.powerKey: GPIO 2 is a strapping pin of the esp32c3 that must be high at reset, and this signal holds it low$/);
    refused((j) => (j.targets['esp32-c3'].wiring.card.detect = 9), /^targets\.esp32-c3\.wiring\.card\.detect: GPIO 9 is a strapping pin of the esp32c3 that must be high at reset/);
    refused((j) => (j.wiring.modem.powerKey = 0), /^wiring\.modem\.powerKey: GPIO 0 is a strapping pin of the esp32 that must be high at reset/);
  });

  it('names an unknown field (a typo) and a journal partition the partition table lacks, each problem once', () => {
    refused((j) => {
      j.targets.esp32.wirng = j.targets.esp32.wiring;
    }, /^targets\.esp32\.wirng: is not a field of a target \(comment, platform, chip, console, wiring\)$/);
    refused((j) => (j.wiring.card.clok = 4), /^wiring\.card\.clok: is not a field of a card/);
    refused((j) => (j.wiring.flash.partition = 'records'), /^wiring\.flash\.partition: "records" is no data partition of manifests\/partitions\.csv \(nvs, phy_init, hotlist, journal\)$/);
    const json = board();
    json.wiring.modem.baud = 10000; // shared by the esp32 target only: one problem, not one per target
    json.wiring.flash.partition = 'records'; // shared by all three targets
    assert.throws(() => readBoardFile(json, PARTITIONS), (error: unknown) => {
      assert.ok(error instanceof BoardFileError);
      assert.deepEqual(error.problems.filter((p) => p.startsWith('wiring.flash')), ['wiring.flash.partition: "records" is no data partition of manifests/partitions.csv (nvs, phy_init, hotlist, journal)']);
      return true;
    });
  });

  it('names a wrong target, chip, console or SDK field, and lists every problem at once', () => {
    refused((j) => (j.targets.esp32.platform = 'esp8266'), /^targets\.esp32\.platform: must be what mcconfig -p takes/);
    refused((j) => (j.targets.esp32.chip = 'esp32h2'), /^targets\.esp32\.chip: must be one of esp32, esp32s2, esp32c3/);
    refused((j) => (j.targets.esp32.console = 'jtag'), /^targets\.esp32\.console: must be "uart0" or "usb"/);
    refused((j) => delete j.wiring.modem, /^wiring\.modem: must be an object$/);
    refused((j) => (j.sdk.commit = 'tip'), /^sdk\.commit: must be the SDK commit/);
    refused((j) => {
      j.wiring.card.clock = 24;
      j.wiring.modem.baud = 10000;
    }, /card\.clock/, /modem\.baud/);
  });
});

describe('docs/hardware.md and npm run build:esp32', () => {
  it('the hardware guide holds the wiring table generated from moddable.json (npm run wiring)', () => {
    const guide = readFileSync(join(ROOT, 'docs', 'hardware.md'), 'utf8');
    assert.equal(withWiringTable(guide, wiringTable(readBoardFile(board()))), guide, 'run npm run wiring after editing moddable.json');
  });

  const build = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    spawnSync(process.execPath, [join(ROOT, 'build', 'tools', 'moddable', 'build.js'), ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env } });

  it('stops with one line saying what to install when the SDK or ESP-IDF is missing', () => {
    const noSdk = build(['esp32', '--target', 'esp32']);
    assert.equal(noSdk.status, 2);
    assert.equal(noSdk.stderr, 'build: the Moddable SDK is not set up: set MODDABLE to a local build of the Moddable SDK 8.2.3 (docs/hardware.md, "Building the firmware")\n');
    const emptySdk = build(['esp32', '--target', 'esp32'], { MODDABLE: join(ROOT, 'build', 'no-sdk-here') });
    assert.equal(emptySdk.status, 2);
    assert.match(emptySdk.stderr, /^build: no .*no-sdk-here\/build\/bin\/lin\/release\/mcconfig: build the SDK's tools first/);
  });

  it('checks the provisioning file before asking for the SDK, and the simulator build takes no target', () => {
    const bad = build(['esp32', '--target', 'esp32', '--terminal', join(ROOT, 'README.md')]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^build: --terminal .*README\.md: /);
    const sim = build(['sim', '--target', 'esp32']);
    assert.equal(sim.status, 2);
    assert.match(sim.stderr, /build:moddable-sim takes no --target or --terminal/);
  });

  it('refuses a target moddable.json lacks and a flash without provisioning, naming what is wrong', () => {
    const unknown = build(['esp32', '--target', 'esp8266']);
    assert.equal(unknown.status, 2);
    assert.equal(unknown.stderr, 'build: --target esp8266: moddable.json has no such target (esp32, esp32-s2-psram, esp32-c3)\n');
    const flash = build(['flash', '--target', 'esp32']);
    assert.equal(flash.status, 2);
    assert.match(flash.stderr, /--terminal is required to flash/);
  });

  it('refuses an access point name the modem could not be given, before asking for the SDK', () => {
    for (const apn of ['internet "x"', 'a..b', '', `${'a'.repeat(101)}`]) {
      const run = build(['esp32', '--target', 'esp32', '--apn', apn]);
      assert.equal(run.status, 2, apn);
      assert.match(run.stderr, /^build: --apn (must be labels|is at most 100 characters)/, apn);
    }
    const good = build(['esp32', '--target', 'esp32', '--apn', 'internet.example.jp']);
    assert.match(good.stderr, /^build: the Moddable SDK is not set up/, 'a good APN goes on to the SDK check');
  });
});
