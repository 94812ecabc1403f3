// One usage record in binary (DESIGN.md §5), as it goes to the centre (docs/upload-protocol.md).
// Layout, version 2, integers big-endian:
//   magic "UR" (2) | version (1) | body length L (2) | body (L) | CRC-32 of everything before (4)
//   body: sequence u32 | startedAt (D) u48 | fee (V) u32 | serviceCode u16 | durationSeconds u32 |
//         flags u8 | then length-prefixed (u8): terminalId, registrationNumber (Nt), cardNumber (IDU), dialled
//   flags: bit 0 cut short: the power failed during the call, which is billed for the tariff units
//          the journal showed (its duration is those units' length); bit 1 continuation: the call
//          went on from the record before (sequence − 1), whose journal slot had no room for more
//          units; the other bits are 0.
// Version 1 (before calls were journalled as they ran) has no flags byte; it still decodes, with
// both flags false. A record that fails any check is refused with RecordFormatError, never decoded
// into wrong values.
import type { UsageEntry } from '../terminal/usage-store.js';
import { FrameWriter, integer, readFrame, RecordFormatError, U32, type Frame } from './fields.js';

export { RecordFormatError };

export interface UsageRecord extends UsageEntry {
  readonly terminalId: string;
  readonly sequence: number; // per terminal, from 1, never reused
  /** The call ended with the power: billed for the units the journal showed at the cut. */
  readonly cutShort: boolean;
  /** The call went on from the record before this one (a call longer than one journal slot counts). */
  readonly continuation: boolean;
}

const MAGIC = Object.freeze([0x55, 0x52] as const); // "UR"
export const RECORD_VERSION = 2;
const LEGACY_VERSION = 1; // no flags byte
const FRAME: Frame = Object.freeze({ what: 'record', magic: MAGIC, versions: Object.freeze([RECORD_VERSION, LEGACY_VERSION]), lengthBytes: 2 });
const FLAG = Object.freeze({ CUT_SHORT: 0x01, CONTINUATION: 0x02 } as const);

export function encodeRecord(record: UsageRecord): Uint8Array {
  if (integer(record.sequence, U32, 'sequence') === 0) throw new RangeError('record sequence starts at 1');
  return new FrameWriter(FRAME, RECORD_VERSION)
    .u32(record.sequence, 'sequence')
    .u48(record.startedAt, 'startedAt')
    .u32(record.fee, 'fee')
    .u16(record.serviceCode, 'serviceCode')
    .u32(record.durationSeconds, 'durationSeconds')
    .u8((record.cutShort ? FLAG.CUT_SHORT : 0) | (record.continuation ? FLAG.CONTINUATION : 0), 'flags')
    .ascii(record.terminalId, 'terminalId')
    .ascii(record.registrationNumber, 'registrationNumber')
    .bytes(record.cardNumber, 'cardNumber')
    .ascii(record.dialled, 'dialled')
    .finish();
}

/** Decodes the record at the start of `bytes`, ignoring what follows it; also returns its length. */
export function readRecord(bytes: Uint8Array): { readonly record: UsageRecord; readonly length: number } {
  const { version, body, length } = readFrame(bytes, FRAME);
  const sequence = body.u32();
  const startedAt = body.u48();
  const fee = body.u32();
  const serviceCode = body.u16();
  const durationSeconds = body.u32();
  const flags = version === LEGACY_VERSION ? 0 : body.u8();
  if ((flags & ~(FLAG.CUT_SHORT | FLAG.CONTINUATION)) !== 0) throw new RecordFormatError(`record flags 0x${flags.toString(16)} have bits no version ${version} defines`);
  const terminalId = body.text('terminalId');
  const registrationNumber = body.text('registrationNumber');
  const cardNumber = body.field();
  const dialled = body.text('dialled');
  body.end();
  if (sequence === 0) throw new RecordFormatError('record sequence 0 is not valid');
  const record: UsageRecord = Object.freeze({
    terminalId, sequence, registrationNumber, cardNumber, startedAt, fee, serviceCode, durationSeconds, dialled,
    cutShort: (flags & FLAG.CUT_SHORT) !== 0, continuation: (flags & FLAG.CONTINUATION) !== 0,
  });
  return { record, length };
}

/** Decodes exactly one record: trailing bytes are an error here. */
export function decodeRecord(bytes: Uint8Array): UsageRecord {
  const { record, length } = readRecord(bytes);
  if (length !== bytes.length) throw new RecordFormatError(`${bytes.length - length} bytes follow the record`);
  return record;
}
