// Calendar dates (card expiry, certificate validity) as "YYYY-MM-DD" in code and as 4 BCD bytes
// YY YY MM DD on the card (patent [0020]: the terminal compares them with its calendar).

export class DateError extends RangeError {
  override name = 'DateError';
}

/** The number written by `count` ASCII digits of `text` from `at`, or -1 when one is not a digit. */
function digitsAt(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const code = text.charCodeAt(i);
    if (!(code >= 0x30 && code <= 0x39)) return -1;
    value = value * 10 + code - 0x30;
  }
  return value;
}

/** Throws DateError unless year-month-day is a day of the (proleptic Gregorian) calendar. */
function checkDay(year: number, month: number, day: number, text: string): void {
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) throw new DateError(`no such date: ${text}`);
}

/** Returns `text` when it is a real date written YYYY-MM-DD (ASCII digits), else throws DateError. */
export function checkDate(text: string): string {
  const year = text.length === 10 && text.charCodeAt(4) === 0x2d && text.charCodeAt(7) === 0x2d ? digitsAt(text, 0, 4) : -1;
  const month = year < 0 ? -1 : digitsAt(text, 5, 2);
  const day = month < 0 ? -1 : digitsAt(text, 8, 2);
  if (day < 0) throw new DateError(`date must be YYYY-MM-DD, got "${text}"`);
  checkDay(year, month, day, text);
  return text;
}

function bcd(value: number): number {
  return ((Math.floor(value / 10) % 10) << 4) | (value % 10);
}

function fromBcd(byte: number): number {
  const high = byte >> 4;
  const low = byte & 0x0f;
  if (high > 9 || low > 9) throw new DateError(`byte ${byte.toString(16)} is not BCD`);
  return high * 10 + low;
}

export function encodeDate(text: string): Uint8Array {
  checkDate(text);
  const year = Number(text.slice(0, 4));
  return Uint8Array.of(bcd(Math.floor(year / 100)), bcd(year % 100), bcd(Number(text.slice(5, 7))), bcd(Number(text.slice(8, 10))));
}

export function decodeDate(bytes: Uint8Array): string {
  if (bytes.length !== 4) throw new DateError(`a date is 4 BCD bytes, got ${bytes.length}`);
  const year = fromBcd(bytes[0]!) * 100 + fromBcd(bytes[1]!);
  const month = fromBcd(bytes[2]!);
  const day = fromBcd(bytes[3]!);
  const text = `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
  checkDay(year, month, day, text);
  return text;
}

/** The calendar date of a UTC millisecond time, as "YYYY-MM-DD", at `utcOffsetMinutes` from UTC. */
export function dateOf(epochMs: number, utcOffsetMinutes = 0): string {
  return new Date(epochMs + utcOffsetMinutes * 60_000).toISOString().slice(0, 10);
}

export const UTC_OFFSET_RANGE_MINUTES = Object.freeze({ min: -12 * 60, max: 14 * 60 } as const);

/**
 * "+09:00" → 540: fixed offsets as ISO 8601 writes them, -12:00 .. +14:00, whole minutes. Throws
 * DateError for anything else (no names: the device has no tz database).
 */
export function parseUtcOffset(text: string): number {
  const sign = text.length === 6 && text.charCodeAt(3) === 0x3a ? text.charCodeAt(0) : 0;
  const hours = sign === 0x2b || sign === 0x2d ? digitsAt(text, 1, 2) : -1;
  const mins = hours < 0 ? -1 : digitsAt(text, 4, 2);
  if (mins < 0 || mins > 59) throw new DateError(`UTC offset must be +hh:mm or -hh:mm, such as +09:00, got "${text}"`);
  const minutes = (sign === 0x2d ? -1 : 1) * (hours * 60 + mins);
  checkUtcOffset(minutes);
  return minutes;
}

/** Throws DateError unless `minutes` is a whole number within UTC_OFFSET_RANGE_MINUTES. */
export function checkUtcOffset(minutes: number): number {
  if (!Number.isInteger(minutes) || minutes < UTC_OFFSET_RANGE_MINUTES.min || minutes > UTC_OFFSET_RANGE_MINUTES.max) {
    throw new DateError(`UTC offset must be whole minutes from -12:00 to +14:00, got ${minutes} minutes`);
  }
  return minutes;
}

/** 540 → "+09:00". */
export function formatUtcOffset(minutes: number): string {
  const size = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${String(Math.floor(size / 60)).padStart(2, '0')}:${String(size % 60).padStart(2, '0')}`;
}

/** A UTC millisecond time as local time for people: "YYYY-MM-DD hh:mm:ss +09:00". */
export function localTimeText(epochMs: number, utcOffsetMinutes: number): string {
  const local = new Date(epochMs + utcOffsetMinutes * 60_000).toISOString();
  return `${local.slice(0, 10)} ${local.slice(11, 19)} ${formatUtcOffset(utcOffsetMinutes)}`;
}

/** A card is usable up to and including its expiry day. */
export function isExpired(expiry: string, today: string): boolean {
  return today > expiry;
}
