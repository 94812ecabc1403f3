// One slot of the usage journal (usage-journal.ts): the usage record of one call, written from the
// moment the call starts, in the writes NOR flash allows (each only clears bits; DESIGN.md §5).
//
// Slot layout, SLOT_SIZE bytes, integers big-endian:
//   [0] closed | [1] opened | [2] cut short | [3] acknowledged      flags: 0xFF clear, set by writing 0x00
//   [4 .. 4+O)     opening, O bytes: "UC" | version 1 | body length L u8 | body | CRC-32 of the bytes before it
//                  body: sequence u32 | startedAt (D) u48 | serviceCode u16 | connectionFee u32 |
//                        unitFee u32 | unitSeconds u32 (0: not metered) | flags u8 (bit 1: continuation) |
//                        then u8-length-prefixed: registrationNumber (Nt), cardNumber (IDU), dialled
//   [4+O .. S-12)  unit bitmap: the opening stands for the call's first tariff unit; each unit that
//                  starts after it clears the next bit, the most significant bit of each byte first
//   [S-12 .. S)    closing: durationSeconds u32 | fee (V) u32 | CRC-32 of the opening's CRC and these 8 bytes
//
// What the flags say (any cleared bit counts as set: a torn flag write comes only after everything
// it vouches for):
//   - opened: the opening is whole; the call is under way, or ended with the power.
//   - closed: the closing is whole too: the record is final (a call hung up, or a record written whole).
//   - cut short: set at boot on an opened slot without a whole closing: the record is final, billed
//     for the units its bitmap shows (the bitmap never changes again). The closing those units
//     make is then written too where the slot's closing bytes allow it (erased, or torn by the same
//     write), so the record is CRC-checked from then on; until it is whole, the bitmap counts.
//   - acknowledged: the centre holds the record. Last of the flags, so an interrupted erase (which
//     starts at the sector's first byte) clears a slot's other flags before it: an acknowledged
//     record never comes back as pending.
//   - no flag: an opening or record write was cut off: there is no record, the slot is used up.
// Recovery decides only from what the slot holds, so a cut during recovery repeats it identically.
//
// Legacy slots (journal format of record version 1): [0] committed | [1] acknowledged | [2..] the
// record as record.ts version 1 encodes it ("UR" at [2..3]). They are read and reclaimed, never
// written; acknowledge() sets their flag at [1].
import { concatBytes, readUint32, uint32 } from '../protocol/bytes.js';
import { feeForUnits } from '../terminal/config.js';
import { crc32 } from './crc32.js';
import { FrameWriter, integer, readFrame, RecordFormatError, U32, type Frame } from './fields.js';
import { readRecord, type UsageRecord } from './record.js';

export const SLOT_LAYOUT = Object.freeze({
  SLOT_SIZE: 128,
  /** Flag bytes at the slot's start: closed, opened, cut short, acknowledged. */
  FLAGS: 4,
  CLOSING_SIZE: 12,
  /** The smallest unit bitmap a slot leaves a call (64 units); a longer opening is refused. */
  MIN_UNIT_BYTES: 8,
} as const);

export const SLOT_FLAG = Object.freeze({ CLOSED: 0, OPENED: 1, CUT_SHORT: 2, ACKNOWLEDGED: 3 } as const);

/** Where a legacy slot has its flags and record (record.ts version 1). */
const LEGACY = Object.freeze({ COMMITTED: 0, ACKNOWLEDGED: 1, RECORD: 2 } as const);

const { SLOT_SIZE, FLAGS, CLOSING_SIZE, MIN_UNIT_BYTES } = SLOT_LAYOUT;
const ERASED = 0xff;
const MAGIC = Object.freeze([0x55, 0x43] as const); // "UC"
const LEGACY_MAGIC = Object.freeze([0x55, 0x52] as const); // "UR" at [2..3], where no flag ever reads so
const VERSION = 1;
const FRAME: Frame = Object.freeze({ what: 'call opening', magic: MAGIC, versions: Object.freeze([VERSION]), lengthBytes: 1 });
const CRC = 4;
const CONTINUATION = 0x02;

/** What a slot's opening holds: the record's fields known when the call starts, and its tariff. */
export interface CallOpening {
  readonly sequence: number;
  readonly registrationNumber: string; // Nt
  readonly cardNumber: Uint8Array; // IDU
  readonly startedAt: number; // D, ms since epoch UTC
  readonly serviceCode: number;
  readonly dialled: string;
  /** Charged by this record for the connection (0 on a continuation). */
  readonly connectionFee: number;
  readonly unitFee: number;
  /** Length of a tariff unit, s; 0 for a record written whole (nothing to meter). */
  readonly unitSeconds: number;
  readonly continuation: boolean;
}

export interface CallClosing {
  readonly durationSeconds: number;
  readonly fee: number;
}

/** What readSlot() found in a slot. */
export type SlotContent =
  | { readonly kind: 'empty' } // erased: free
  | { readonly kind: 'unused' } // a write was cut off before any flag: no record, but not free
  /** `ackFlag`: where in the slot acknowledge() sets the flag (a legacy slot has it elsewhere). */
  | { readonly kind: 'record'; readonly record: UsageRecord; readonly acknowledged: boolean; readonly ackFlag: number }
  | {
    readonly kind: 'open';
    readonly opening: CallOpening;
    readonly openingBytes: Uint8Array;
    readonly shownBits: number;
    /** The closing if whole (only its flag is missing), else null; and the closing bytes as they are. */
    readonly closing: CallClosing | null;
    readonly closingBytes: Uint8Array;
  };

/** True when every byte is 0xFF (erased). A loop: XS calls a callback per byte for every(). */
export function erased(bytes: Uint8Array): boolean {
  const length = bytes.length;
  for (let i = 0; i < length; i++) if (bytes[i] !== ERASED) return false;
  return true;
}

function isSet(flag: number): boolean {
  return flag !== ERASED;
}

/** The opening's bytes; RangeError for a field out of range or an opening that leaves no room to meter. */
export function encodeOpening(opening: CallOpening): Uint8Array {
  if (integer(opening.sequence, U32, 'sequence') === 0) throw new RangeError('record sequence starts at 1');
  const bytes = new FrameWriter(FRAME, VERSION)
    .u32(opening.sequence, 'sequence')
    .u48(opening.startedAt, 'startedAt')
    .u16(opening.serviceCode, 'serviceCode')
    .u32(opening.connectionFee, 'connectionFee')
    .u32(opening.unitFee, 'unitFee')
    .u32(opening.unitSeconds, 'unitSeconds')
    .u8(opening.continuation ? CONTINUATION : 0, 'flags')
    .ascii(opening.registrationNumber, 'registrationNumber')
    .bytes(opening.cardNumber, 'cardNumber')
    .ascii(opening.dialled, 'dialled')
    .finish();
  const room = SLOT_SIZE - FLAGS - CLOSING_SIZE - MIN_UNIT_BYTES;
  if (bytes.length > room) throw new RangeError(`usage record is ${bytes.length} bytes, a journal slot holds ${room}`);
  return bytes;
}

/** Decodes the opening at the start of `bytes` and returns its length; RecordFormatError if it fails any check. */
export function readOpening(bytes: Uint8Array): { readonly opening: CallOpening; readonly length: number } {
  const { body, length } = readFrame(bytes, FRAME);
  const sequence = body.u32();
  const startedAt = body.u48();
  const serviceCode = body.u16();
  const connectionFee = body.u32();
  const unitFee = body.u32();
  const unitSeconds = body.u32();
  const flags = body.u8();
  if ((flags & ~CONTINUATION) !== 0) throw new RecordFormatError(`call opening flags 0x${flags.toString(16)} have undefined bits`);
  const registrationNumber = body.text('registrationNumber');
  const cardNumber = body.field();
  const dialled = body.text('dialled');
  body.end();
  if (sequence === 0) throw new RecordFormatError('record sequence 0 is not valid');
  const opening: CallOpening = Object.freeze({
    sequence, registrationNumber, cardNumber, startedAt, serviceCode, dialled, connectionFee, unitFee, unitSeconds, continuation: flags !== 0,
  });
  return { opening, length };
}

/** The closing's 12 bytes, bound to the opening (its last 4 bytes are the opening's CRC). */
export function encodeClosing(closing: CallClosing, opening: Uint8Array): Uint8Array {
  const body = concatBytes(uint32(integer(closing.durationSeconds, U32, 'durationSeconds')), uint32(integer(closing.fee, U32, 'fee')));
  return concatBytes(body, uint32(crc32(concatBytes(opening.subarray(opening.length - CRC), body))));
}

/** The closing in `bytes`, bound to `opening`; RecordFormatError when it is not whole. */
function readClosing(bytes: Uint8Array, opening: Uint8Array): CallClosing {
  const body = bytes.subarray(0, CLOSING_SIZE - CRC);
  if (crc32(concatBytes(opening.subarray(opening.length - CRC), body)) !== readUint32(bytes, CLOSING_SIZE - CRC)) {
    throw new RecordFormatError('call closing CRC-32 does not match: torn or corrupted');
  }
  return { durationSeconds: readUint32(body, 0), fee: readUint32(body, 4) };
}

/** Where the unit bitmap lies in a slot whose opening is `openingLength` bytes: [start, end). */
export function unitBitmap(openingLength: number): { readonly start: number; readonly end: number } {
  return { start: FLAGS + openingLength, end: SLOT_SIZE - CLOSING_SIZE };
}

/** Units a slot can count: the opening's one and a bit for each further unit. */
export function unitCapacity(openingLength: number): number {
  const { start, end } = unitBitmap(openingLength);
  return 1 + (end - start) * 8;
}

/**
 * Bits cleared from the bitmap's start without a gap. A bit after a set one is not counted: the
 * journal clears them in order, so never more units than started are read from a damaged bitmap.
 */
export function shownBits(bitmap: Uint8Array): number {
  let bits = 0;
  for (const byte of bitmap) {
    if (byte === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(byte) - 24;
  }
  return bits;
}

/**
 * The bytes that take a bitmap from `from` cleared bits to `to`, and where in the bitmap they go.
 * Each byte carries every bit cleared so far, so writing it again changes nothing (NOR AND).
 */
export function bitmapWrite(from: number, to: number): { readonly offset: number; readonly bytes: Uint8Array } {
  const first = from >> 3;
  const bytes = new Uint8Array(((to - 1) >> 3) - first + 1);
  for (let i = 0; i < bytes.length; i++) {
    const cleared = Math.min(8, to - (first + i) * 8);
    bytes[i] = (0xff >>> cleared) & 0xff;
  }
  return { offset: first, bytes };
}

function closingOrNull(bytes: Uint8Array, opening: Uint8Array): CallClosing | null {
  try {
    return readClosing(bytes, opening);
  } catch (error) {
    if (!(error instanceof RecordFormatError)) throw error;
    return null;
  }
}

/** The closing of a call cut short with `units` started: fee V for them, their length as duration. */
export function cutShortClosing(opening: CallOpening, units: number): CallClosing {
  return { durationSeconds: units * opening.unitSeconds, fee: feeForUnits(opening, units) };
}

/** True when writing `intended` over `present` gives `intended` (NOR: new = old AND data). */
export function writableOver(present: Uint8Array, intended: Uint8Array): boolean {
  return intended.every((byte, i) => (present[i]! & byte) === byte);
}

/** The record a slot holds once final. */
export function slotRecord(terminalId: string, opening: CallOpening, closing: CallClosing, cutShort: boolean): UsageRecord {
  const { sequence, registrationNumber, cardNumber, startedAt, serviceCode, dialled, continuation } = opening;
  const { fee, durationSeconds } = closing;
  return Object.freeze({ terminalId, sequence, registrationNumber, cardNumber, startedAt, fee, serviceCode, durationSeconds, dialled, cutShort, continuation });
}

/**
 * Reads one slot of SLOT_SIZE bytes. Throws RecordFormatError when a flag vouches for bytes that
 * fail their checks (damage, not a cut: every flag is written after what it vouches for).
 */
export function readSlot(bytes: Uint8Array, terminalId: string): SlotContent {
  if (erased(bytes)) return { kind: 'empty' };
  if (bytes[LEGACY.RECORD] === LEGACY_MAGIC[0] && bytes[LEGACY.RECORD + 1] === LEGACY_MAGIC[1]) {
    if (!isSet(bytes[LEGACY.COMMITTED]!)) return { kind: 'unused' };
    const { record } = readRecord(bytes.subarray(LEGACY.RECORD));
    return { kind: 'record', record, acknowledged: isSet(bytes[LEGACY.ACKNOWLEDGED]!), ackFlag: LEGACY.ACKNOWLEDGED };
  }
  const closed = isSet(bytes[SLOT_FLAG.CLOSED]!);
  const acknowledged = isSet(bytes[SLOT_FLAG.ACKNOWLEDGED]!);
  const opened = isSet(bytes[SLOT_FLAG.OPENED]!);
  const cutShort = isSet(bytes[SLOT_FLAG.CUT_SHORT]!);
  if (!closed && !opened && !cutShort) return { kind: 'unused' };
  const { opening, length } = readOpening(bytes.subarray(FLAGS));
  const openingBytes = bytes.subarray(FLAGS, FLAGS + length);
  const closingBytes = bytes.subarray(SLOT_SIZE - CLOSING_SIZE);
  const { start, end } = unitBitmap(length);
  const bits = shownBits(bytes.subarray(start, end));
  const ackFlag = SLOT_FLAG.ACKNOWLEDGED;
  if (closed) return { kind: 'record', record: slotRecord(terminalId, opening, readClosing(closingBytes, openingBytes), false), acknowledged, ackFlag };
  const closing = closingOrNull(closingBytes, openingBytes);
  if (cutShort) return { kind: 'record', record: slotRecord(terminalId, opening, closing ?? cutShortClosing(opening, 1 + bits), true), acknowledged, ackFlag };
  return { kind: 'open', opening, openingBytes, shownBits: bits, closing, closingBytes };
}
