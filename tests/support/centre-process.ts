/// <reference types="node" />
// The centre as a process of its own for tests/center.test.ts, so a test can kill it like a power
// cut or a crash: SIGKILL from outside, or by itself at a step of an upload (after the checks,
// before the transaction; after the commit, before the answer) of the n-th batch it receives.
// Configured by the JSON in CENTRE_PROCESS (CentreProcessConfig); prints {"url": ...} once
// listening.
import { fromHex } from '../../firmware/protocol/bytes.js';
import { centreKeyFromJson } from '../../issuer/files.js';
import { startCentre } from '../../center/server.js';

export interface CentreProcessConfig {
  readonly database: string;
  /** The centre key file's JSON (centreKeyToJson). */
  readonly centreKey: unknown;
  /** CTs in hex, registered at start. */
  readonly terminals: readonly string[];
  /** The centre's clock, ms since epoch (fixed, so the certificates' validity is judged the same every run). */
  readonly now: number;
  readonly port?: number;
  /** Kill this process at `step` of the `batch`-th batch (1-based) that reaches that step. */
  readonly crash?: { readonly step: 'received' | 'stored'; readonly batch: number };
}

const config = JSON.parse(process.env.CENTRE_PROCESS ?? '{}') as CentreProcessConfig;
const reached = { received: 0, stored: 0 };
const crashAt = (step: 'received' | 'stored') => () => {
  reached[step]++;
  if (config.crash?.step === step && config.crash.batch === reached[step]) process.kill(process.pid, 'SIGKILL');
};

const running = await startCentre({
  database: config.database,
  centreKey: centreKeyFromJson(config.centreKey),
  terminals: config.terminals.map((hex) => fromHex(hex)),
  now: () => config.now,
  port: config.port ?? 0,
  hooks: { received: crashAt('received'), stored: crashAt('stored') },
});
process.stdout.write(`${JSON.stringify({ url: running.url })}\n`);
process.once('SIGTERM', () => {
  void running.close().then(() => process.exit(0));
});
