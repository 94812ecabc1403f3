/// <reference types="node" />
// The fee management centre beside the simulator (issue 11, build 5): `npm start` serves an
// embedded centre (SQLite in the data folder's centre/, its key certified by the simulation's own
// issuer, the simulator's terminal registered), and the terminal uploads to it through the
// HTTP modem as its idle work, as a field unit does through its AT modem. The centre's clock is
// the terminal's simulated clock, so a scripted session's answers and bills do not depend on the
// day it runs.
import { join } from 'node:path';
import { monthlyBill, type MonthlyBill } from '../../center/billing.js';
import { DEFAULTS } from '../../center/centre.js';
import { startCentre, type RunningCentre } from '../../center/server.js';
import type { HotlistStore } from '../../firmware/hotlist/store.js';
import type { UsageJournal } from '../../firmware/journal/usage-journal.js';
import { localTimeText } from '../../firmware/protocol/dates.js';
import type { TerminalConfig } from '../../firmware/terminal/config.js';
import type { EventSink } from '../../firmware/terminal/events.js';
import { decodeTerminalKeys } from '../../firmware/terminal/keys.js';
import { createUploadWork, type UploadWork } from '../../firmware/upload/upload-work.js';
import type { Clock } from '../../hal/clock.js';
import type { Random } from '../../hal/random.js';
import { HttpModem } from './http-modem.js';

export interface SimulatorCentreOptions {
  /** The simulator's data folder: the centre keeps centre/ in it and certifies with its issuer. */
  readonly dataDir: string;
  readonly config: TerminalConfig;
  /** The port to serve on (default 8470); a port in use falls back to a free one. 0: a free one. */
  readonly port?: number;
  /** The terminal's clock, which the centre's is too. */
  readonly clock: Clock;
  readonly log: (line: string) => void;
}

export interface SimulatorCentre {
  readonly running: RunningCentre;
  /** Builds the terminal's upload work over this run's journal and hotlist; `emit` reports attempts. */
  uploadWork(journal: UsageJournal, hotlist: HotlistStore | null, random: Random, emit: EventSink): UploadWork;
  /** The month's bill (YYYY-MM, default the month of the terminal's clock in the centre's zone). */
  bill(month: string | null): Promise<MonthlyBill>;
  close(): Promise<void>;
}

function isAddressInUse(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
}

/**
 * Starts the embedded centre. Throws what startCentre throws (a broken centre key file, a
 * database that will not open), except a port in use, where it takes a free port and says so.
 */
export async function startSimulatorCentre(options: SimulatorCentreOptions): Promise<SimulatorCentre> {
  const { config, clock } = options;
  const centreOptions = {
    dataDir: join(options.dataDir, 'centre'),
    issuerKey: join(options.dataDir, 'issuer'),
    terminals: [config.certificate],
    now: () => clock.now(),
    log: options.log,
  };
  const port = options.port ?? DEFAULTS.port;
  let running: RunningCentre;
  try {
    running = await startCentre({ ...centreOptions, port });
  } catch (error) {
    if (!isAddressInUse(error) || port === 0) throw error;
    options.log(`simulator: port ${port} is in use (another centre?): the embedded centre takes a free port`);
    running = await startCentre({ ...centreOptions, port: 0 });
  }
  // The terminal trusts the answers of the centre it was given the certificate of: this one's.
  const terminalConfig = { ...config, centreCertificate: running.centreCertificate };
  const keys = decodeTerminalKeys(config);
  return {
    running,
    uploadWork: (journal, hotlist, random, emit) => createUploadWork({
      config: terminalConfig, keys, url: `${running.url}/v1/batches`, journal, hotlist, modem: new HttpModem(), clock, random, emit,
    }),
    bill(month) {
      const billing = running.centre.billing;
      return monthlyBill(running.centre.store, month ?? localTimeText(clock.now(), billing.utcOffsetMinutes).slice(0, 7), billing);
    },
    close: () => running.close(),
  };
}
