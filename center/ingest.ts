// One upload at the centre (patent [0015]; docs/upload-protocol.md): a batch is parsed, its
// terminal looked up in the registry, its signature checked with the registered nT, its records
// stored once in one transaction, and the signed answer made: S, the centre time, the hotlist
// changes since the terminal's version. Every refusal comes before the transaction or rolls it
// back, so nothing of a refused batch is stored; a duplicate or replay is answered as a new batch.
import { suiteById } from '../firmware/crypto/suites.js';
import type { Signer, Verifier } from '../firmware/crypto/suite.js';
import { toHex } from '../firmware/protocol/bytes.js';
import { dateOf } from '../firmware/protocol/dates.js';
import { BATCH_PROBLEM, BatchFormatError, batchSignatureValid, decodeBatch, encodeAnswer, type DecodedBatch } from '../firmware/upload/messages.js';
import { CentreError, REFUSAL } from './errors.js';
import { changesFor } from './hotlist.js';
import type { CentreStore, IngestOutcome, TerminalEntry } from './store/store.js';

/** Steps of an upload a test (or a monitor) can act at: after the checks, after the commit. */
export interface IngestHooks {
  /** The batch passed every check; nothing is stored yet. */
  received?(batch: DecodedBatch): Promise<void> | void;
  /** The batch is committed; the answer is not made yet. */
  stored?(batch: DecodedBatch, outcome: IngestOutcome): Promise<void> | void;
}

export interface Ingest {
  readonly store: CentreStore;
  readonly centreSigner: Signer;
  /** Bytes of the centre's signatures (to fit change lists into an answer). */
  readonly signatureBytes: number;
  /** Minutes east of UTC in which certificate validity dates are judged. */
  readonly utcOffsetMinutes: number;
  readonly now: () => number;
  readonly hooks?: IngestHooks;
}

export interface Upload {
  /** The signed answer (F5). */
  readonly answer: Uint8Array;
  readonly batch: DecodedBatch;
  readonly outcome: IngestOutcome;
}

const BATCH_REFUSAL = Object.freeze({
  [BATCH_PROBLEM.MALFORMED]: REFUSAL.MALFORMED,
  [BATCH_PROBLEM.TOO_LARGE]: REFUSAL.TOO_LARGE,
  [BATCH_PROBLEM.FOREIGN_RECORD]: REFUSAL.FOREIGN_RECORD,
} as const);

function parse(body: Uint8Array): DecodedBatch {
  try {
    return decodeBatch(body);
  } catch (error) {
    if (error instanceof BatchFormatError) throw new CentreError(BATCH_REFUSAL[error.problem], error.message);
    throw error;
  }
}

/** nT of a registered terminal as a Verifier, decoded once per key. */
function verifierCache(): (terminal: TerminalEntry) => Verifier | null {
  const verifiers = new Map<string, Verifier | null>();
  return (terminal) => {
    const key = `${terminal.suite}:${toHex(terminal.publicKey)}`;
    if (!verifiers.has(key)) verifiers.set(key, suiteById(terminal.suite).verifier(terminal.publicKey));
    return verifiers.get(key)!;
  };
}

/** Makes the function that takes one batch body and returns its signed answer; it throws CentreError for every refusal. */
export function batchReceiver(ingest: Ingest): (body: Uint8Array) => Promise<Upload> {
  const verifierOf = verifierCache();
  return async (body) => {
    const batch = parse(body);
    const terminal = await ingest.store.terminal(batch.terminalId);
    if (!terminal) throw new CentreError(REFUSAL.UNKNOWN_TERMINAL, `terminal ${batch.terminalId} is not in the registry: import its certificate CT (center import-terminal)`);
    const today = dateOf(ingest.now(), ingest.utcOffsetMinutes);
    if (today > terminal.validTo) throw new CentreError(REFUSAL.UNKNOWN_TERMINAL, `terminal ${batch.terminalId}'s certificate expired on ${terminal.validTo}: import its renewed certificate`);
    if (today < terminal.validFrom) throw new CentreError(REFUSAL.UNKNOWN_TERMINAL, `terminal ${batch.terminalId}'s certificate is valid from ${terminal.validFrom} only`);
    const verifier = verifierOf(terminal);
    if (!verifier || !batchSignatureValid(batch, verifier)) {
      throw new CentreError(REFUSAL.BAD_SIGNATURE, `the batch signature does not check with terminal ${batch.terminalId}'s registered key nT`);
    }
    await ingest.hooks?.received?.(batch);
    const outcome = await ingest.store.ingest({
      terminalId: batch.terminalId, nonce: batch.nonce, terminalClock: batch.terminalClock, hotlistVersion: batch.hotlistVersion,
      receivedAt: ingest.now(), records: batch.records,
    });
    await ingest.hooks?.stored?.(batch, outcome);
    const hotlist = await changesFor(ingest.store, batch.hotlistVersion, ingest.signatureBytes);
    const answer = encodeAnswer({
      terminalId: batch.terminalId, nonce: batch.nonce, acknowledged: outcome.acknowledged, centreTime: ingest.now(),
      hotlistVersion: hotlist.version, changeLists: hotlist.changeLists,
    }, (message) => ingest.centreSigner.sign(message));
    return { answer, batch, outcome };
  };
}
