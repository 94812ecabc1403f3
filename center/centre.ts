/// <reference types="node" />
// The fee management centre (patent fig. 1, centre 3; docs/centre.md): its store, its key and
// certificate, its billing settings, opened from options that all have defaults, so
// `startCentre({})` runs with no configuration: SQLite in center-data/, a centre key made there
// and certified by the simulator's demo issuer, Japan time for the bills.
import { join } from 'node:path';
import { suiteById } from '../firmware/crypto/suites.js';
import type { Signer } from '../firmware/crypto/suite.js';
import { asciiBytes } from '../firmware/protocol/bytes.js';
import { checkUtcOffset } from '../firmware/protocol/dates.js';
import type { CentreKey, IssuerKey } from '../issuer/issuer.js';
import { loadCentreKey } from '../issuer/files.js';
import { DEFAULT_BILLING, type BillingOptions } from './billing.js';
import { loadOrCreateCentreKey } from './centre-key.js';
import { registerTerminal } from './registry.js';
import { openStore } from './store/open.js';
import type { CentreStore } from './store/store.js';

export const DEFAULTS = Object.freeze({
  dataDir: 'center-data',
  host: '127.0.0.1',
  port: 8470,
  databaseFile: 'centre.sqlite',
  centreKeyFile: 'centre-key.json',
});

export interface CentreOptions {
  /** Folder for the SQLite file and the centre key made here (default center-data). */
  readonly dataDir?: string;
  /** sqlite:PATH or postgres://user@host:port/database (default SQLite in the data folder). */
  readonly database?: string;
  /** The centre key (issuer provision-centre), or its file; default <dataDir>/centre-key.json, made if missing. */
  readonly centreKey?: CentreKey | string;
  /** Certifies a centre key made here: an issuer key, its directory or file (default: the simulator's demo issuer). */
  readonly issuerKey?: IssuerKey | string;
  /** Terminal certificates CT to register at start (the simulator's terminal, say). */
  readonly terminals?: readonly Uint8Array[];
  /** The billing time zone, minutes east of UTC (default +540, Japan). */
  readonly utcOffsetMinutes?: number;
  /** The currency fees are in (default JPY, fees in yen). */
  readonly currency?: string;
  /** The centre's clock, ms since epoch UTC (default Date.now). */
  readonly now?: () => number;
}

export interface Centre {
  readonly store: CentreStore;
  readonly key: CentreKey;
  readonly signer: Signer;
  /** Bytes of one of the centre's signatures. */
  readonly signatureBytes: number;
  readonly billing: BillingOptions;
  readonly now: () => number;
  /** Whether the centre key was made now, in the data folder. */
  readonly keyCreated: boolean;
  close(): Promise<void>;
}

function centreKeyOf(options: CentreOptions, dataDir: string, now: number): { key: CentreKey; created: boolean } {
  if (options.centreKey !== undefined && typeof options.centreKey !== 'string') return { key: options.centreKey, created: false };
  if (typeof options.centreKey === 'string') return { key: loadCentreKey(options.centreKey), created: false };
  return loadOrCreateCentreKey({ path: join(dataDir, DEFAULTS.centreKeyFile), ...(options.issuerKey === undefined ? {} : { issuer: options.issuerKey }), now });
}

/**
 * Opens the centre without serving it (the CLI's bill, reconcile and imports use this). Throws
 * FileFormatError for a bad key file, the driver's error for a database it cannot open, CentreError
 * for a start-up terminal certificate that does not check.
 */
export async function openCentre(options: CentreOptions = {}): Promise<Centre> {
  const now = options.now ?? Date.now;
  const dataDir = options.dataDir ?? DEFAULTS.dataDir;
  const { key, created } = centreKeyOf(options, dataDir, now());
  const billing: BillingOptions = {
    utcOffsetMinutes: checkUtcOffset(options.utcOffsetMinutes ?? DEFAULT_BILLING.utcOffsetMinutes),
    currency: options.currency ?? DEFAULT_BILLING.currency,
  };
  const signer = suiteById(key.suite).signer(key.secretKey);
  const signatureBytes = signer.sign(asciiBytes('signature length')).length;
  const store = await openStore(options.database ?? `sqlite:${join(dataDir, DEFAULTS.databaseFile)}`);
  try {
    for (const certificate of options.terminals ?? []) await registerTerminal(store, certificate, key.issuerKeys, now());
  } catch (error) {
    await store.close();
    throw error;
  }
  return { store, key, signer, signatureBytes, billing, now, keyCreated: created, close: () => store.close() };
}
