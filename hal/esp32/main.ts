// The device's start module (the manifest's creation.main on esp32): the real IO classes, the
// board's wiring from the build (mc/config `wiring`, moddable.json's wiring for the target, checked
// by tools/moddable/board-file.ts), the issuer's provisioning (the module `provisioning`, generated
// by the build from the provision-terminal file), then openTerminalBoard() and startFirmware():
// the same two calls the twin-board scenarios make on Node and XS.
//
// Without provisioning (no `provisioning` module in the image, or a file configFromProvisioning()
// refuses) the LCD says "Not provisioned" and why, and nothing else runs. Terminal events and
// faults go to trace() as JSON lines (the serial console / xsbug).
//
// Types: on the host the declarations of @moddable/typings (moddable-typings.d.ts); in mcconfig's
// build the SDK's own typings/ (its paths), so this file references neither. mc/config is declared there as
// Record<string, any>; it is read as Record<string, unknown> and `wiring` taken as the Wiring the
// build checked. `provisioning` is declared in provisioning-module.d.ts as unknown.
/// <reference path="./provisioning-module.d.ts" />
import Digital from 'embedded:io/digital';
import I2C from 'embedded:io/i2c';
import Serial from 'embedded:io/serial';
import Flash from 'flash';
import config from 'mc/config';
import Time from 'time';
import Timer from 'timer';
import { startFirmware } from '../../firmware/main.js';
import { configFromProvisioning } from '../../firmware/terminal/provisioning.js';
import type { TerminalConfig } from '../../firmware/terminal/config.js';
import { noticeLines, openTerminalBoard, showNotice, type Esp32Io, type TerminalBoard } from './board.js';
import { fillRandom } from './random-fill.js';
import SmartCardUart, { SmartCardClock } from './smartcard-uart.js';
import type { Wiring } from './wiring.js';

/** Where the clock starts when the DS3231 lost the time and the build gave no `buildTime`. */
const FIRMWARE_EPOCH_MS = Date.UTC(2026, 0, 1);

/** The runtime's trace(): a line to the console or the debugger. */
function trace(line: string): void {
  (globalThis as unknown as { trace(text: string): void }).trace(`${line}\n`);
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** The build's settings: mc/config, as the manifest's `config` section wrote it. */
function settings(): { readonly wiring: Wiring; readonly apn: string; readonly fallbackTimeMs: number; readonly centreUrl: string | null } {
  const values: Readonly<Record<string, unknown>> = config;
  const wiring = values.wiring;
  if (typeof wiring !== 'object' || wiring === null) throw new Error('mc/config has no `wiring`: the manifest\'s config must carry moddable.json\'s wiring');
  return {
    wiring: wiring as Wiring, // checked field by field on the build machine (tools/moddable/board-file.ts)
    apn: typeof values.apn === 'string' ? values.apn : '',
    fallbackTimeMs: typeof values.buildTime === 'number' ? values.buildTime : FIRMWARE_EPOCH_MS,
    centreUrl: typeof values.centreUrl === 'string' ? values.centreUrl : null, // build:esp32 --centre-url
  };
}

/** The terminal's configuration, or the reason there is none. */
async function provisioning(): Promise<TerminalConfig | { readonly missing: string }> {
  let json: unknown;
  try {
    json = (await import('provisioning')).default;
  } catch (error) {
    return { missing: `no provisioning in this image (${describe(error)})` };
  }
  try {
    return configFromProvisioning(json);
  } catch (error) {
    return { missing: (error instanceof Error ? error.message : String(error)).replace(/^terminal provisioning: /, '') };
  }
}

export default async function main(): Promise<void> {
  const io: Esp32Io<Timer> = {
    Digital, I2C, Serial, SmartCardUart, SmartCardClock, Flash, Timer,
    ticks: () => Time.ticks,
    fillRandom,
  };
  const { wiring, apn, fallbackTimeMs, centreUrl } = settings();
  const provisioned = await provisioning();
  if ('missing' in provisioned) {
    trace(JSON.stringify({ event: 'not-provisioned', reason: provisioned.missing }));
    showNotice(io, wiring, 'Not provisioned', provisioned.missing);
    return;
  }
  let board: TerminalBoard<Timer> | null = null;
  let firmware;
  try {
    board = openTerminalBoard({
      io, wiring, config: provisioned, apn, fallbackTimeMs,
      onEvent: (event) => trace(JSON.stringify(event)),
      onError: (part, error) => trace(JSON.stringify({ event: 'bus-error', part, detail: describe(error) })),
    });
    if (!board.parts.clock.valid) trace(JSON.stringify({ event: 'clock-lost', startedAt: new Date(board.hal.clock.now()).toISOString() }));
    // Opens the journal (recovers what a power cut left); the upload as idle work when the build named a centre.
    firmware = startFirmware(centreUrl ? { ...board, upload: { url: centreUrl } } : board);
  } catch (error) {
    trace(JSON.stringify({ event: 'board-failed', detail: describe(error) }));
    if (board) board.parts.lcd.show(noticeLines('Out of service', describe(error), wiring.lcd.columns, wiring.lcd.rows)); // the journal could not be opened
    else showNotice(io, wiring, 'Out of service', describe(error));
    return;
  }
  trace(JSON.stringify({ event: 'started', terminalId: provisioned.terminalId, records: firmware.journal.records().length }));
  firmware.stopped.then(
    () => trace(JSON.stringify({ event: 'stopped' })),
    (error: unknown) => trace(JSON.stringify({ event: 'firmware-failed', detail: describe(error) })),
  );
}
