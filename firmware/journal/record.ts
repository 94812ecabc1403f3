// One usage record in binary (DESIGN.md §5), as it lies in a journal slot and goes to the centre.
// Layout, integers big-endian:
//   magic "UR" (2) | version (1) | body length L (2) | body (L) | CRC-32 of everything before (4)
//   body: sequence u32 | startedAt (D) u48 | fee (V) u32 | serviceCode u16 | durationSeconds u32 |
//         then length-prefixed (u8): terminalId, registrationNumber (Nt), cardNumber (IDU), dialled
// A record that fails any check is refused with RecordFormatError, never decoded into wrong values.
import type { UsageEntry } from '../terminal/usage-store.js';
import { asciiBytes, asciiText, concatBytes, readUint16, readUint32, uint16, uint32 } from '../protocol/bytes.js';
import { crc32 } from './crc32.js';

export interface UsageRecord extends UsageEntry {
  readonly terminalId: string;
  readonly sequence: number; // per terminal, from 1, never reused
}

export class RecordFormatError extends Error {
  override name = 'RecordFormatError';
}

const MAGIC = Object.freeze([0x55, 0x52] as const); // "UR"
const VERSION = 1;
const HEAD = 5; // magic, version, length
const CRC = 4;
const U48 = 2 ** 48;
const U32 = 2 ** 32;

function integer(value: number, limit: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 0 || value >= limit) throw new RangeError(`record ${what} must be an integer 0..${limit - 1}, got ${value}`);
  return value;
}

function field(bytes: Uint8Array, what: string): Uint8Array {
  if (bytes.length > 0xff) throw new RangeError(`record ${what} is ${bytes.length} bytes, at most 255 fit`);
  return concatBytes(Uint8Array.of(bytes.length), bytes);
}

export function encodeRecord(record: UsageRecord): Uint8Array {
  if (integer(record.sequence, U32, 'sequence') === 0) throw new RangeError('record sequence starts at 1');
  const startedAt = integer(record.startedAt, U48, 'startedAt');
  const body = concatBytes(
    uint32(record.sequence),
    uint16(Math.floor(startedAt / U32)), uint32(startedAt % U32),
    uint32(integer(record.fee, U32, 'fee')),
    uint16(integer(record.serviceCode, 0x10000, 'serviceCode')),
    uint32(integer(record.durationSeconds, U32, 'durationSeconds')),
    field(asciiBytes(record.terminalId), 'terminalId'),
    field(asciiBytes(record.registrationNumber), 'registrationNumber'),
    field(record.cardNumber, 'cardNumber'),
    field(asciiBytes(record.dialled), 'dialled'),
  );
  const head = concatBytes(Uint8Array.from(MAGIC), Uint8Array.of(VERSION), uint16(body.length), body);
  return concatBytes(head, uint32(crc32(head)));
}

/** Reads fields front to back; running past the body is a format error, not undefined values. */
class Reader {
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

  u16(): number {
    return readUint16(this.take(2));
  }

  u32(): number {
    return readUint32(this.take(4));
  }

  field(): Uint8Array {
    return this.take(this.take(1)[0]!);
  }

  text(what: string): string {
    try {
      return asciiText(this.field());
    } catch {
      throw new RecordFormatError(`record ${what} is not printable ASCII`);
    }
  }

  get rest(): number {
    return this.#bytes.length - this.#at;
  }
}

/** Decodes the record at the start of `bytes`, ignoring what follows it; also returns its length. */
export function readRecord(bytes: Uint8Array): { readonly record: UsageRecord; readonly length: number } {
  if (bytes.length < HEAD + CRC) throw new RecordFormatError(`record too short: ${bytes.length} bytes`);
  if (bytes[0] !== MAGIC[0] || bytes[1] !== MAGIC[1]) throw new RecordFormatError('no record magic "UR"');
  if (bytes[2] !== VERSION) throw new RecordFormatError(`record version ${bytes[2]} is not ${VERSION}`);
  const length = HEAD + readUint16(bytes, 3) + CRC;
  if (length > bytes.length) throw new RecordFormatError(`record claims ${length} bytes, only ${bytes.length} present`);
  const stored = readUint32(bytes, length - CRC);
  if (crc32(bytes.subarray(0, length - CRC)) !== stored) throw new RecordFormatError('record CRC-32 does not match: torn or corrupted');
  const body = new Reader(bytes.subarray(HEAD, length - CRC));
  const sequence = body.u32();
  const startedAt = body.u16() * U32 + body.u32();
  const fee = body.u32();
  const serviceCode = body.u16();
  const durationSeconds = body.u32();
  const terminalId = body.text('terminalId');
  const registrationNumber = body.text('registrationNumber');
  const cardNumber = body.field();
  const dialled = body.text('dialled');
  if (body.rest !== 0) throw new RecordFormatError(`record body has ${body.rest} bytes after its last field`);
  if (sequence === 0) throw new RecordFormatError('record sequence 0 is not valid');
  const record: UsageRecord = Object.freeze({ terminalId, sequence, registrationNumber, cardNumber, startedAt, fee, serviceCode, durationSeconds, dialled });
  return { record, length };
}

/** Decodes exactly one record: trailing bytes are an error here. */
export function decodeRecord(bytes: Uint8Array): UsageRecord {
  const { record, length } = readRecord(bytes);
  if (length !== bytes.length) throw new RecordFormatError(`${bytes.length - length} bytes follow the record`);
  return record;
}
