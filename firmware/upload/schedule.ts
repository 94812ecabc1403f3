// When the terminal uploads (issue 11, build 2; [0015] "about once a day"): at a configured local
// time of day, on demand (the service key, the simulator's `upload`), and when the journal's
// unsent records pass a fill level. Pure: the caller holds the state (lastDailyDay) in RAM.
import type { UsageJournal } from '../journal/usage-journal.js';

export interface UploadScheduleConfig {
  /** Minutes after local midnight of the daily upload, 0..1439 (e.g. 180 = 03:00). */
  readonly dailyAtMinutes: number;
  /** Minutes east of UTC of the terminal's local time (TerminalConfig.utcOffsetMinutes). */
  readonly utcOffsetMinutes: number;
  /** Upload when unsent records reach this share of the journal's slots, 0..1 (e.g. 0.5). */
  readonly fillLevel: number;
}

const DAY_MS = 86_400_000;

/** The local day number (days since the epoch in local time) of `nowMs`. */
export function localDay(nowMs: number, utcOffsetMinutes: number): number {
  return Math.floor((nowMs + utcOffsetMinutes * 60_000) / DAY_MS);
}

/**
 * Why an upload is due now, or null: 'daily' once the local time of day passed dailyAtMinutes on
 * a day after `lastDailyDay` (a local day number; -1 = never), 'fill' when pending/capacity is
 * at least fillLevel. RangeError for a time of day outside 0..1439 or a fill level outside 0..1.
 */
export function uploadDue(config: UploadScheduleConfig, nowMs: number, lastDailyDay: number, journal: Pick<UsageJournal, 'pendingCount' | 'capacity'>): 'daily' | 'fill' | null {
  if (!Number.isInteger(config.dailyAtMinutes) || config.dailyAtMinutes < 0 || config.dailyAtMinutes >= 1440) throw new RangeError(`daily upload time must be 0..1439 minutes after midnight, got ${config.dailyAtMinutes}`);
  if (!(config.fillLevel >= 0 && config.fillLevel <= 1)) throw new RangeError(`fill level must be between 0 and 1, got ${config.fillLevel}`);
  if (journal.pendingCount > 0 && journal.pendingCount >= config.fillLevel * journal.capacity) return 'fill';
  const local = nowMs + config.utcOffsetMinutes * 60_000;
  const day = Math.floor(local / DAY_MS);
  const minutes = Math.floor((local - day * DAY_MS) / 60_000);
  return day > lastDailyDay && minutes >= config.dailyAtMinutes ? 'daily' : null;
}
