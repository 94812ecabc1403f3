// Calendar dates (card expiry, certificate validity) as "YYYY-MM-DD" in code and as 4 BCD bytes
// YY YY MM DD on the card (patent [0020]: the terminal compares them with its calendar).

export class DateError extends RangeError {
  override name = 'DateError';
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function checkDate(text: string): string {
  const match = DATE.exec(text);
  if (!match) throw new DateError(`date must be YYYY-MM-DD, got "${text}"`);
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) throw new DateError(`no such date: ${text}`);
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
  const text = `${String(year).padStart(4, '0')}-${String(fromBcd(bytes[2]!)).padStart(2, '0')}-${String(fromBcd(bytes[3]!)).padStart(2, '0')}`;
  return checkDate(text);
}

/** The calendar date of a UTC millisecond time, as "YYYY-MM-DD". */
export function dateOf(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

/** A card is usable up to and including its expiry day. */
export function isExpired(expiry: string, today: string): boolean {
  return today > expiry;
}
