// Field coding shared by the usage record (record.ts) and the journal's call slot (call-slot.ts):
// framed items (magic, version, body length, body, CRC-32) of big-endian integers with range
// checks and u8-length-prefixed strings; a writer into one buffer and a reader that turns running
// past the end into a format error instead of undefined values.
import { asciiText, readUint16, readUint32 } from '../protocol/bytes.js';
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

/**
 * Writes a framed item (see Frame) front to back into one buffer: the head, the fields of its body,
 * then the CRC-32 of everything before it. Every field is range-checked (RangeError naming it), so
 * nothing out of range is ever written; one buffer, no concatenation per field.
 */
export class FrameWriter {
  #bytes = new Uint8Array(128);
  #at: number;
  readonly #frame: Frame;

  constructor(frame: Frame, version: number) {
    this.#frame = frame;
    this.#bytes[0] = frame.magic[0];
    this.#bytes[1] = frame.magic[1];
    this.#bytes[2] = version;
    this.#at = 3 + frame.lengthBytes;
  }

  #room(length: number): number {
    const at = this.#at;
    if (at + length > this.#bytes.length) {
      const grown = new Uint8Array(Math.max(this.#bytes.length * 2, at + length + CRC_BYTES));
      grown.set(this.#bytes.subarray(0, at));
      this.#bytes = grown;
    }
    this.#at = at + length;
    return at;
  }

  u8(value: number, what: string): this {
    this.#bytes[this.#room(1)] = integer(value, 0x100, what);
    return this;
  }

  u16(value: number, what: string): this {
    const checked = integer(value, 0x10000, what);
    const at = this.#room(2);
    this.#bytes[at] = checked >> 8;
    this.#bytes[at + 1] = checked & 0xff;
    return this;
  }

  u32(value: number, what: string): this {
    this.#u32(integer(value, U32, what));
    return this;
  }

  /** A date-time in ms, as u48. */
  u48(value: number, what: string): this {
    const checked = integer(value, U48, what);
    const high = Math.floor(checked / U32);
    const at = this.#room(2);
    this.#bytes[at] = high >> 8;
    this.#bytes[at + 1] = high & 0xff;
    this.#u32(checked % U32);
    return this;
  }

  /** 0..2^32-1, big-endian; >>> takes the value modulo 2^32 first. */
  #u32(value: number): void {
    const at = this.#room(4);
    const bytes = this.#bytes;
    bytes[at] = value >>> 24;
    bytes[at + 1] = (value >>> 16) & 0xff;
    bytes[at + 2] = (value >>> 8) & 0xff;
    bytes[at + 3] = value & 0xff;
  }

  /** A u8 length, then the bytes; RangeError when more than 255. */
  bytes(bytes: Uint8Array, what: string): this {
    const length = bytes.length;
    if (length > 0xff) throw new RangeError(`record ${what} is ${length} bytes, at most 255 fit`);
    const at = this.#room(1 + length);
    this.#bytes[at] = length;
    this.#bytes.set(bytes, at + 1);
    return this;
  }

  /** A u8 length, then the text's characters; RangeError for more than 255 or one outside 0x20..0x7E. */
  ascii(text: string, what: string): this {
    const length = text.length;
    if (length > 0xff) throw new RangeError(`record ${what} is ${length} bytes, at most 255 fit`);
    const at = this.#room(1 + length);
    this.#bytes[at] = length;
    for (let i = 0; i < length; i++) {
      const code = text.charCodeAt(i);
      if (code < 0x20 || code > 0x7e) throw new RangeError(`record ${what} is not printable ASCII at ${i}: "${text}"`);
      this.#bytes[at + 1 + i] = code;
    }
    return this;
  }

  /** The item: body length filled in, CRC-32 appended, exactly as long as it is. */
  finish(): Uint8Array {
    const head = 3 + this.#frame.lengthBytes;
    const bodyLength = this.#at - head;
    if (bodyLength >= (this.#frame.lengthBytes === 1 ? 0x100 : 0x10000)) throw new RangeError(`${this.#frame.what} body of ${bodyLength} bytes does not fit its length field`);
    if (this.#frame.lengthBytes === 1) this.#bytes[3] = bodyLength;
    else {
      this.#bytes[3] = bodyLength >> 8;
      this.#bytes[4] = bodyLength & 0xff;
    }
    const end = this.#at;
    this.#u32(crc32(this.#bytes.subarray(0, end)));
    return this.#bytes.slice(0, end + CRC_BYTES);
  }
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
