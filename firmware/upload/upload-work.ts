// The daily upload as the terminal's idle work (patent fig. 1, [0015]; issue 11, build 2): while
// nobody is at the terminal, each quiet interval asks whether an upload is due (the daily local
// time, the journal's fill level, or a demand: the service key, the simulator's `upload`) and, if
// so, sends one batch (Uploader.step). An upload goes on batch by batch, one per interval, until
// nothing is pending; a failed attempt is tried again after the uploader's backoff, a refused one
// waits for a person. Engine-neutral.
import type { Clock } from '../../hal/clock.js';
import type { Modem } from '../../hal/modem.js';
import type { Random } from '../../hal/random.js';
import { issuerVerifiers } from '../hotlist/change-list.js';
import type { TerminalConfig } from '../terminal/config.js';
import type { IdleWork } from '../terminal/terminal.js';
import type { EventSink } from '../terminal/events.js';
import type { TerminalKeys } from '../terminal/keys.js';
import { CentreCertificateError, checkCentreCertificate } from './centre-certificate.js';
import { localDay, uploadDue, type UploadScheduleConfig } from './schedule.js';
import { Uploader, type UploadClock, type UploadHotlist, type UploadJournal, type UploadStep } from './uploader.js';

/** Why an upload runs: the schedule's reasons, or a person asked (service key, `upload`). */
export type UploadReason = 'daily' | 'fill' | 'demand';

export const UPLOAD_WORK_DEFAULTS = Object.freeze({
  /** Quiet time between two batch attempts at the idle screen, ms. */
  intervalMs: 5_000,
  /** The daily upload at 03:00 local time, and at half-full: the board's defaults. */
  schedule: Object.freeze({ dailyAtMinutes: 180, fillLevel: 0.5 }),
} as const);

/** What the upload work needs of the journal: the schedule's fill level. */
export interface UploadWorkJournal {
  readonly pendingCount: number;
  readonly capacity: number;
}

export interface UploadWorkOptions {
  readonly uploader: Uploader;
  readonly journal: UploadWorkJournal;
  readonly clock: Clock;
  readonly schedule: UploadScheduleConfig;
  readonly intervalMs?: number;
  /** Where each attempt is reported ('upload' events); default nowhere. */
  readonly emit?: EventSink;
}

/** The terminal's IdleWork for the upload; one Uploader.step() per run(). */
export class UploadWork implements IdleWork {
  readonly intervalMs: number;
  readonly #options: UploadWorkOptions;
  /** The upload under way (a reason once one started, until nothing is pending or it stops). */
  #current: UploadReason | null = null;
  #demanded = false;
  /** The local day of the last daily upload that ran to its end (-1: none yet in this run). */
  #lastDailyDay = -1;
  /** The last attempt's outcome, for the simulator's status and the service screen. */
  #last: UploadStep | null = null;

  constructor(options: UploadWorkOptions) {
    this.#options = options;
    this.intervalMs = options.intervalMs ?? UPLOAD_WORK_DEFAULTS.intervalMs;
  }

  /** The last attempt's outcome, or null before the first. */
  get lastStep(): UploadStep | null {
    return this.#last;
  }

  /** Whether an upload is under way or asked for. */
  get busy(): boolean {
    return this.#current !== null || this.#demanded;
  }

  /**
   * Asks for an upload at the next idle step (the service key, the simulator's `upload`): any
   * backoff and held refusal are cleared (Uploader.retry), as an operator standing there means it.
   */
  demand(): void {
    this.#demanded = true;
    this.#options.uploader.retry();
  }

  /** One step: starts an upload when one is due, else goes on with the one under way. Throws what Uploader.step() throws. */
  async run(): Promise<void> {
    const o = this.#options;
    if (this.#current === null) {
      const due = this.#demanded ? 'demand' : uploadDue(o.schedule, o.clock.now(), this.#lastDailyDay, o.journal);
      this.#demanded = false;
      if (due === null) return;
      this.#current = due;
    }
    const reason = this.#current;
    // The daily upload and the service key reach the centre even with nothing to send (a check-in):
    // the hotlist must get to a terminal nobody used that day. The fill level always has records.
    const step = await o.uploader.step({ checkIn: reason !== 'fill' && o.journal.pendingCount === 0 });
    this.#last = step;
    if (step.kind === 'waiting') return; // the backoff after a failure: the next interval asks again
    o.emit?.(uploadEvent(reason, step));
    // A failed attempt stays under way: the uploader's backoff times the next one, and the same
    // records go again until the centre acknowledges them. The upload ends when nothing is left,
    // or at a refusal (a person must look: the service key or `upload` tries again).
    if (step.kind === 'failed') return;
    if (step.kind === 'acknowledged' && step.sent > 0 && o.journal.pendingCount > 0) return;
    this.#lastDailyDay = Math.max(this.#lastDailyDay, dailyDayDone(o.schedule, o.clock.now()));
    this.#current = null;
  }
}

/**
 * The local day number whose daily upload the upload that just ended counts for: today once
 * today's upload time has passed, else yesterday (an upload at 01:00 does not stand in for 03:00).
 */
function dailyDayDone(schedule: UploadScheduleConfig, nowMs: number): number {
  const today = localDay(nowMs, schedule.utcOffsetMinutes);
  const minutes = Math.floor((nowMs + schedule.utcOffsetMinutes * 60_000 - today * 86_400_000) / 60_000);
  return minutes >= schedule.dailyAtMinutes ? today : today - 1;
}

function uploadEvent(reason: UploadReason, step: Exclude<UploadStep, { kind: 'waiting' }>) {
  switch (step.kind) {
    case 'idle':
      return { event: 'upload', reason, outcome: 'nothing-pending' } as const;
    case 'acknowledged':
      return {
        event: 'upload', reason, outcome: step.sent === 0 ? 'checked-in' : 'acknowledged', sent: step.sent, acknowledged: step.acknowledged, clockSet: step.clockSet,
        hotlistVersion: step.hotlist?.version ?? null, hotlistRefused: step.hotlist?.refused?.message ?? null,
      } as const;
    case 'refused':
      return { event: 'upload', reason, outcome: 'refused', status: step.status, detail: `${step.error}: ${step.message}` } as const;
    case 'failed':
      return { event: 'upload', reason, outcome: 'failed', detail: step.detail, retryAt: step.retryAtMs } as const;
  }
}

export interface UploadSetup {
  readonly config: TerminalConfig;
  readonly keys: TerminalKeys;
  /** The centre's batch endpoint, e.g. http://127.0.0.1:8470/v1/batches. */
  readonly url: string;
  readonly journal: UploadJournal & UploadWorkJournal;
  readonly hotlist: UploadHotlist | null;
  readonly modem: Modem;
  readonly clock: UploadClock;
  readonly random: Random;
  readonly emit?: EventSink;
  /** Default UPLOAD_WORK_DEFAULTS.schedule in the terminal's local time. */
  readonly schedule?: UploadScheduleConfig;
  readonly intervalMs?: number;
}

/**
 * The terminal's upload as idle work, from its provisioning: answers are trusted under the key
 * nC of config.centreCertificate (CC), checked here with the issuer keys nA. Throws
 * CentreCertificateError (centre-certificate.ts) for a config without CC or a CC nA does not
 * certify: a terminal that cannot check answers must not act on them.
 */
export function createUploadWork(setup: UploadSetup): UploadWork {
  const { config } = setup;
  if (!config.centreCertificate) throw new CentreCertificateError(`terminal ${config.terminalId} has no centre certificate (CC): provision it again with the centre's certificate to upload`);
  const { centreKey } = checkCentreCertificate(config.centreCertificate, config.issuerKeys);
  const uploader = new Uploader({
    terminalId: config.terminalId, url: setup.url, journal: setup.journal, hotlist: setup.hotlist,
    issuerKeys: issuerVerifiers(config.issuerKeys), sign: (message) => setup.keys.sign(message), centreKey,
    modem: setup.modem, clock: setup.clock, random: setup.random,
  });
  return new UploadWork({
    uploader, journal: setup.journal, clock: setup.clock,
    schedule: setup.schedule ?? { ...UPLOAD_WORK_DEFAULTS.schedule, utcOffsetMinutes: config.utcOffsetMinutes },
    ...(setup.emit ? { emit: setup.emit } : {}),
    ...(setup.intervalMs === undefined ? {} : { intervalMs: setup.intervalMs }),
  });
}
