/// <reference types="node" />
// The centre's key pair C and certificate CC (docs/upload-protocol.md, "Keys"). An operator makes
// them with `npm run issuer -- provision-centre` and points the centre at the file; a centre
// started without one makes its own in its data folder, certified by the issuer key it is given,
// or by the simulator's demo issuer (the same key `npm start` creates in sim-data/issuer), so a
// demo runs with no configuration.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dateOf } from '../firmware/protocol/dates.js';
import { SeededRandom } from '../hal/sim/random.js';
import { createIssuerKey, provisionCentre, type CentreKey, type IssuerKey } from '../issuer/issuer.js';
import { loadCentreKey, loadIssuerKey, saveCentreKey } from '../issuer/files.js';
import { DEMO } from '../tools/simulator/demo.js';

export const DEFAULT_CENTRE_ID = 'CENTRE-1';
/** Years a centre certificate the centre makes for itself is valid. */
const SELF_PROVISIONED_YEARS = 10;

/** The simulator's demo issuer key (suite 1, key id 1): the first key SeededRandom(DEMO.seed) makes. */
export function demoIssuerKey(): IssuerKey {
  return createIssuerKey(1, 1, new SeededRandom(DEMO.seed).source);
}

export interface CentreKeySource {
  /** The centre key file (issuer provision-centre); made here if missing. */
  readonly path: string;
  /** The issuer key that certifies a centre key made here: a key, its directory or file; the demo issuer if absent. */
  readonly issuer?: IssuerKey | string;
  readonly now?: number;
}

/**
 * The centre key in `source.path`, or a new one written there (mode 0600) when the file does not
 * exist. Throws FileFormatError for a file that is not a valid centre key.
 */
export function loadOrCreateCentreKey(source: CentreKeySource): { readonly key: CentreKey; readonly created: boolean } {
  if (existsSync(source.path)) return { key: loadCentreKey(source.path), created: false };
  const issuer = source.issuer === undefined ? demoIssuerKey() : typeof source.issuer === 'string' ? loadIssuerKey(source.issuer) : source.issuer;
  const now = source.now ?? Date.now();
  const validFrom = dateOf(now);
  const validTo = `${Number(validFrom.slice(0, 4)) + SELF_PROVISIONED_YEARS}${validFrom.slice(4, 10) === '-02-29' ? '-02-28' : validFrom.slice(4)}`;
  const key = provisionCentre(issuer, { centreId: DEFAULT_CENTRE_ID, validFrom, validTo }, (length) => new Uint8Array(randomBytes(length)));
  saveCentreKey(source.path, key);
  return { key, created: true };
}
