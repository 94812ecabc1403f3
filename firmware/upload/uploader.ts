// The terminal's daily upload (patent fig. 1, [0015]; docs/upload-protocol.md): the journal's
// unsent records in signed batches through the modem HAL, the centre's signed answer acted on
// (records acknowledged, sectors reclaimed, hotlist change lists applied, the clock set when the
// answer is fresh). One batch attempt per step(), so it fits the terminal's IdleWork; a failed
// attempt waits an exponential backoff with jitter, and the same records go again until the
// centre acknowledges them. Engine-neutral: random and clock are the HAL's, no Node APIs.
import type { Clock } from '../../hal/clock.js';
import type { Modem } from '../../hal/modem.js';
import type { Random } from '../../hal/random.js';
import type { Verifier } from '../crypto/suite.js';
import type { UsageRecord } from '../journal/record.js';
import type { IssuerKeys } from '../hotlist/change-list.js';
import type { HotlistOutcome } from '../hotlist/store.js';
import { acceptAnswer, encodeBatch, UPLOAD_LIMITS, type SignMessage } from './messages.js';

export const UPLOAD_CONTENT_TYPE = Object.freeze({ BATCH: 'application/vnd.icct.batch', ANSWER: 'application/vnd.icct.answer' } as const);

export const UPLOAD_DEFAULTS = Object.freeze({
  /** An answer received within this of sending sets the clock (docs/upload-protocol.md), ms. */
  freshMs: 30_000,
  /** First retry delay, ms; doubled per failure up to maxBackoffMs. */
  backoffMs: 10_000,
  maxBackoffMs: 3_600_000,
} as const);

/** What the uploader needs of the usage journal (firmware/journal/usage-journal.ts). */
export interface UploadJournal {
  pending(limit?: number): UsageRecord[];
  acknowledge(upToSequence: number): void;
  reclaim(): number;
}

/** What it needs of the hotlist in flash (firmware/hotlist/store.ts). */
export interface UploadHotlist {
  readonly version: number;
  applyAll(changeLists: readonly Uint8Array[], keys: IssuerKeys): HotlistOutcome;
}

/** The clock HAL, settable when the board can (BoardClock.set; hal/sim's clocks). */
export type UploadClock = Clock;

export interface UploaderOptions {
  readonly terminalId: string;
  readonly url: string;
  readonly journal: UploadJournal;
  readonly hotlist: UploadHotlist | null;
  readonly issuerKeys: IssuerKeys;
  /** Signs the encoded E7 with T (TerminalKeys.sign). */
  readonly sign: SignMessage;
  /** nC, from checkCentreCertificate(config.centreCertificate, config.issuerKeys). */
  readonly centreKey: Verifier;
  readonly modem: Modem;
  readonly clock: UploadClock;
  readonly random: Random;
  /** Whether the clock was ever set; false sends clock 0. Default: clock.valid, else true. */
  readonly clockValid?: () => boolean;
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
}

/** What one step did. */
export type UploadStep =
  | { readonly kind: 'idle' } // nothing pending
  | { readonly kind: 'waiting'; readonly untilMs: number } // backing off
  | { readonly kind: 'acknowledged'; readonly sent: number; readonly acknowledged: number; readonly clockSet: boolean; readonly hotlist: HotlistOutcome | null }
  | { readonly kind: 'refused'; readonly status: number; readonly error: string; readonly message: string } // 4xx: not retried blindly
  | { readonly kind: 'failed'; readonly detail: string; readonly retryAtMs: number };

/** The records of the next batch: oldest pending first, at most 64 and 16,384 bytes encoded. */
export function nextBatch(pending: readonly UsageRecord[], encode: (records: readonly UsageRecord[]) => Uint8Array): { records: readonly UsageRecord[]; body: Uint8Array } | null {
  let count = Math.min(pending.length, UPLOAD_LIMITS.records);
  while (count > 0) {
    const records = pending.slice(0, count);
    try {
      return { records, body: encode(records) };
    } catch (error) {
      if (!(error instanceof RangeError) || count === 1) throw error;
      count = Math.max(1, Math.floor(count / 2)); // over 16,384 bytes: fewer records
    }
  }
  return null;
}

/** The centre's JSON refusal {error, message}, or the status alone when the body is not one. */
function readRefusal(status: number, body: Uint8Array): { error: string; message: string } {
  try {
    const parsed = JSON.parse(String.fromCharCode(...body.subarray(0, 2_048))) as { error?: unknown; message?: unknown };
    return { error: String(parsed.error ?? `http-${status}`), message: String(parsed.message ?? '') };
  } catch {
    return { error: `http-${status}`, message: `the centre answered HTTP ${status} without a JSON error` };
  }
}

export class Uploader {
  readonly #options: UploaderOptions;
  #failures = 0;
  #retryAt = 0;
  /** The centre's last refusal; cleared by a successful upload or retry(). */
  #refusal: { readonly status: number; readonly error: string; readonly message: string } | null = null;

  constructor(options: UploaderOptions) {
    this.#options = options;
  }

  /** The last 4xx refusal, kept until retry() (an operator's act) or a success. */
  get refusal() {
    return this.#refusal;
  }

  /** Clears the backoff and a refusal: the next step() sends at once (the service key, `upload`). */
  retry(): void {
    this.#failures = 0;
    this.#retryAt = 0;
    this.#refusal = null;
  }

  /**
   * One batch attempt, unless nothing is pending, the backoff has not passed, or a refusal is
   * held. With `checkIn`, nothing pending sends a batch of no records (docs/upload-protocol.md:
   * the hotlist changes and the time for a quiet terminal); its step is `acknowledged` with
   * sent 0. Never throws for the network or the centre: those come back as the step's kind.
   * Throws what the journal, hotlist flash or signer throw.
   */
  async step(options: { readonly checkIn?: boolean } = {}): Promise<UploadStep> {
    const o = this.#options;
    const started = o.clock.now();
    if (this.#refusal) return { kind: 'refused', ...this.#refusal };
    if (started < this.#retryAt) return { kind: 'waiting', untilMs: this.#retryAt };
    const nonce = o.random.bytes(UPLOAD_LIMITS.nonceBytes);
    const terminalClock = (o.clockValid?.() ?? o.clock.valid ?? true) ? started : 0;
    const hotlistVersion = o.hotlist?.version ?? 0;
    const encode = (records: readonly UsageRecord[]) => encodeBatch({ terminalId: o.terminalId, nonce, hotlistVersion, terminalClock, records }, o.sign);
    const batch = nextBatch(o.journal.pending(UPLOAD_LIMITS.records), encode) ?? (options.checkIn ? { records: [], body: encode([]) } : null);
    if (!batch) return { kind: 'idle' };
    let status: number;
    let body: Uint8Array;
    try {
      ({ status, body } = await o.modem.post(o.url, batch.body, UPLOAD_CONTENT_TYPE.BATCH));
    } catch (error) {
      return this.#fail(`modem: ${(error as Error).message}`);
    }
    if (status >= 400 && status < 500) {
      this.#refusal = { status, ...readRefusal(status, body) };
      return { kind: 'refused', ...this.#refusal };
    }
    if (status !== 200) return this.#fail(`the centre answered HTTP ${status}`);
    let answer;
    try {
      answer = acceptAnswer(body, { terminalId: o.terminalId, nonce, centreKey: o.centreKey });
    } catch (error) {
      return this.#fail(`answer ignored: ${(error as Error).message}`);
    }
    const lastSent = batch.records[batch.records.length - 1]?.sequence ?? 0;
    const acknowledged = Math.min(answer.acknowledged, lastSent); // never past what this batch holds
    if (acknowledged > 0) o.journal.acknowledge(acknowledged);
    o.journal.reclaim();
    const hotlist = o.hotlist && answer.changeLists.length > 0 ? o.hotlist.applyAll(answer.changeLists, o.issuerKeys) : null;
    const clockSet = o.clock.set !== undefined && o.clock.now() - started <= UPLOAD_DEFAULTS.freshMs;
    if (clockSet) o.clock.set!(answer.centreTime);
    this.#failures = 0;
    this.#retryAt = 0;
    const progressed = batch.records.length === 0 || acknowledged >= batch.records[0]!.sequence;
    if (!progressed) return this.#fail(`the centre holds records up to ${answer.acknowledged} only (a gap before ${batch.records[0]!.sequence})`);
    return { kind: 'acknowledged', sent: batch.records.length, acknowledged, clockSet, hotlist };
  }

  /**
   * Steps until nothing is pending, a refusal, or an attempt fails (then the backoff holds the
   * rest); returns the steps taken.
   */
  async uploadAll(): Promise<UploadStep[]> {
    const steps: UploadStep[] = [];
    for (;;) {
      const step = await this.step();
      steps.push(step);
      if (step.kind !== 'acknowledged') return steps;
    }
  }

  /** Backoff base × 2^failures, at most maxBackoffMs, times a jitter in [0.5, 1). */
  #fail(detail: string): UploadStep {
    const o = this.#options;
    const base = Math.min(o.maxBackoffMs ?? UPLOAD_DEFAULTS.maxBackoffMs, (o.backoffMs ?? UPLOAD_DEFAULTS.backoffMs) * 2 ** this.#failures);
    const jitter = o.random.bytes(1)[0]! / 512 + 0.5;
    this.#failures++;
    this.#retryAt = o.clock.now() + Math.floor(base * jitter);
    return { kind: 'failed', detail, retryAtMs: this.#retryAt };
  }
}
