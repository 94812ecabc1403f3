// Field coding shared by the usage record (record.ts) and the journal's call slot (call-slot.ts):
// big-endian integers with range checks, u8-length-prefixed byte strings, and a reader that turns
// running past the end into a format error instead of undefined values.
import { asciiText, concatBytes, readUint16, readUint32 } from '../protocol/bytes.js';
import { crc32 } from './crc32.js';

/** A record or slot that fails any check: never decoded into wrong values. */
export class RecordFormatError extends Error {
  override name = 'RecordFormatError';
}

export const U32 = 2 ** 32;
export const U48 = 2 ** 48;

/** `value` if it is an integer in 0..limit-1; RangeError naming `what` otherwise. */
export function integer(value: number, limit: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 0 || value >= limit) throw new RangeError(`record ${what} must be an integer 0..${limit - 1}, got ${value}`);
  return value;
}

/** A u8 length, then the bytes; RangeError when more than 255. */
export function field(bytes: Uint8Array, what: string): Uint8Array {
  if (bytes.length > 0xff) throw new RangeError(`record ${what} is ${bytes.length} bytes, at most 255 fit`);
  return concatBytes(Uint8Array.of(bytes.length), bytes);
}

/** A date-time in ms as u48 (two bytes, then four). */
export function uint48(value: number, what: string): Uint8Array {
  const checked = integer(value, U48, what);
  const high = Math.floor(checked / U32);
  return Uint8Array.of(high >> 8, high & 0xff, (checked >>> 24) & 0xff, (checked >>> 16) & 0xff, (checked >>> 8) & 0xff, checked & 0xff);
}

/** Reads fields front to back; running past the end is a RecordFormatError. */
export class FieldReader {
  #bytes: Uint8Array;
  #at = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  take(length: number): Uint8Array {
    if (this.#at + length > this.#bytes.length) throw new RecordFormatError(`record body ends before its fields do (at byte ${this.#at})`);
    const out = this.#bytes.slice(this.#at, this.#at + length);
    this.#at += length;
    return out;
  }

  u8(): number {
    return this.take(1)[0]!;
  }

  u16(): number {
    return readUint16(this.take(2));
  }

  u32(): number {
    return readUint32(this.take(4));
  }

  u48(): number {
    return this.u16() * U32 + this.u32();
  }

  field(): Uint8Array {
    return this.take(this.u8());
  }

  text(what: string): string {
    try {
      return asciiText(this.field());
    } catch {
      throw new RecordFormatError(`record ${what} is not printable ASCII`);
    }
  }

  /** Throws unless every byte was read. */
  end(): void {
    const rest = this.#bytes.length - this.#at;
    if (rest !== 0) throw new RecordFormatError(`record body has ${rest} bytes after its last field`);
  }
}

/** How a framed item starts: `magic` (2 bytes), a version byte, then its body length (1 or 2 bytes). */
export interface Frame {
  readonly what: string;
  readonly magic: readonly [number, number];
  readonly versions: readonly number[];
  readonly lengthBytes: 1 | 2;
}

const CRC_BYTES = 4;

/**
 * Checks the framed item at the start of `bytes`: magic, a known version, a length that fits, the
 * CRC-32 over everything before it. Returns its version, a reader over its body and its length in
 * bytes; RecordFormatError naming `frame.what` for the first check that fails.
 */
export function readFrame(bytes: Uint8Array, frame: Frame): { readonly version: number; readonly body: FieldReader; readonly length: number } {
  const head = 3 + frame.lengthBytes;
  if (bytes.length < head + CRC_BYTES) throw new RecordFormatError(`${frame.what} too short: ${bytes.length} bytes`);
  if (bytes[0] !== frame.magic[0] || bytes[1] !== frame.magic[1]) throw new RecordFormatError(`no ${frame.what} magic "${String.fromCharCode(...frame.magic)}"`);
  const version = bytes[2]!;
  if (!frame.versions.includes(version)) throw new RecordFormatError(`${frame.what} version ${version} is ${frame.versions.length === 1 ? 'not' : 'none of'} ${frame.versions.join(', ')}`);
  const length = head + (frame.lengthBytes === 1 ? bytes[3]! : readUint16(bytes, 3)) + CRC_BYTES;
  if (length > bytes.length) throw new RecordFormatError(`${frame.what} claims ${length} bytes, only ${bytes.length} present`);
  if (crc32(bytes.subarray(0, length - CRC_BYTES)) !== readUint32(bytes, length - CRC_BYTES)) throw new RecordFormatError(`${frame.what} CRC-32 does not match: torn or corrupted`);
  return { version, body: new FieldReader(bytes.subarray(head, length - CRC_BYTES)), length };
}
