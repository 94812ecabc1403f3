// The monthly bill (patent [0015]: the centre totals the usage records per registration number
// and bills every month). A record belongs to the month in which its call started (D), in the
// billing time zone: Japan time (UTC+09:00) unless configured otherwise (docs/centre.md, "Bills").
// The terminal's own local time is not used: terminals of one customer may sit in different
// zones, and one zone for the whole bill run makes each record belong to exactly one month.
import { formatUtcOffset } from '../firmware/protocol/dates.js';
import { CentreError, REFUSAL } from './errors.js';
import { NO_PROGRESS, type Progress } from './progress.js';
import type { CentreStore, RegistrationTotal } from './store/store.js';

export const DEFAULT_BILLING = Object.freeze({ utcOffsetMinutes: 540, currency: 'JPY' });

export interface BillingOptions {
  /** The billing time zone, minutes east of UTC. */
  readonly utcOffsetMinutes: number;
  readonly currency: string;
}

export interface MonthlyBill {
  readonly month: string; // YYYY-MM
  readonly utcOffset: string; // "+09:00"
  readonly currency: string;
  /** The month's first and next month's first instant, UTC ISO 8601. */
  readonly from: string;
  readonly to: string;
  readonly records: number;
  readonly fee: number; // yen (the currency's smallest unit)
  /** One line per registration number Nt, in Nt order. */
  readonly registrations: readonly RegistrationTotal[];
}

const MS_PER_DAY = 86_400_000;

/** [from, to) in ms of `month` (YYYY-MM) in the zone `utcOffsetMinutes` east of UTC; CentreError bad-request for another text. */
export function monthRange(month: string, utcOffsetMinutes: number): { readonly from: number; readonly to: number } {
  const match = /^(\d{4})-(\d{2})$/.exec(month);
  const year = match ? Number(match[1]) : NaN;
  const index = match ? Number(match[2]) - 1 : NaN;
  if (!match || index < 0 || index > 11 || year < 1970) throw new CentreError(REFUSAL.BAD_REQUEST, `month must be YYYY-MM (e.g. 2026-12), got "${month}"`);
  const offset = utcOffsetMinutes * 60_000;
  return { from: Date.UTC(year, index, 1) - offset, to: Date.UTC(year, index + 1, 1) - offset };
}

/**
 * The bill of `month`: per Nt the records that started in it and their fees, summed day by day in
 * the database (each day one query, so a month of millions of records shows progress as it goes).
 */
export async function monthlyBill(store: CentreStore, month: string, options: BillingOptions, progress: (total: number) => Progress = () => NO_PROGRESS): Promise<MonthlyBill> {
  const { from, to } = monthRange(month, options.utcOffsetMinutes);
  const bar = progress(await store.countRecords(from, to));
  const totals = new Map<string, { records: number; fee: number }>();
  try {
    for (let day = from; day < to; day += MS_PER_DAY) {
      let counted = 0;
      for (const line of await store.totalsByRegistration(day, Math.min(day + MS_PER_DAY, to))) {
        const sum = totals.get(line.registrationNumber) ?? { records: 0, fee: 0 };
        sum.records += line.records;
        sum.fee += line.fee;
        totals.set(line.registrationNumber, sum);
        counted += line.records;
      }
      bar.advance(counted);
    }
  } finally {
    bar.stop();
  }
  const registrations = [...totals].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([registrationNumber, sum]) => ({ registrationNumber, ...sum }));
  return {
    month, utcOffset: formatUtcOffset(options.utcOffsetMinutes), currency: options.currency,
    from: new Date(from).toISOString(), to: new Date(to).toISOString(),
    records: registrations.reduce((n, line) => n + line.records, 0),
    fee: registrations.reduce((n, line) => n + line.fee, 0),
    registrations,
  };
}

/** The bill as CSV (RFC 4180): a header, then month, Nt, records, fee and currency per line. */
export function billCsv(bill: MonthlyBill): string {
  const lines = ['month,registration_number,records,fee,currency'];
  for (const line of bill.registrations) lines.push(`${bill.month},${line.registrationNumber},${line.records},${line.fee},${bill.currency}`);
  return `${lines.join('\r\n')}\r\n`;
}
