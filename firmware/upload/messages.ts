// The daily upload's two messages (patent fig. 1, [0015]; docs/upload-protocol.md): the batch the
// terminal signs with its key T and the answer the centre signs with its key C. BER-TLV through
// firmware/protocol/tlv.ts, usage records as firmware/journal/record.ts encodes them.
// Decoding is strict: fields in the documented order, fixed widths, the minimal length form
// (the bytes a signature covers are the bytes re-encoding gives), so one message has one encoding.
// Engine-neutral: runs on the terminal (XS) and in the centre (Node).
import { concatBytes, constantTimeEqual } from '../protocol/bytes.js';
import { decodeSingle, decodeTlvs, encodeConstructed, encodeTlv, TlvError, type Tlv } from '../protocol/tlv.js';
import type { Verifier } from '../crypto/suite.js';
import { encodeRecord, readRecord, RecordFormatError, type UsageRecord } from '../journal/record.js';
import { deviceIdBytes, readDeviceId, readUnsigned, unsignedBytes, WIDTH } from './fields.js';

export const UPLOAD_TAG = Object.freeze({
  BATCH: 0xf4,
  BATCH_MESSAGE: 0xe7, // what T signs
  ANSWER: 0xf5,
  ANSWER_MESSAGE: 0xe8, // what C signs
  TERMINAL_ID: 0xd3,
  NONCE: 0xdb,
  HOTLIST_VERSION: 0xdc, // the terminal's in a batch, the centre's current one in an answer
  TERMINAL_CLOCK: 0xdd,
  RECORD_COUNT: 0xde,
  RECORD: 0xdf01,
  ACKNOWLEDGED: 0xdf03,
  CENTRE_TIME: 0xdf04,
  CHANGE_LISTS: 0xeb,
  CHANGE_LIST: 0xdf02, // issuer-signed, opaque here (firmware/hotlist decodes it)
  BATCH_SIGNATURE: 0xd8, // by T, as ST
  ANSWER_SIGNATURE: 0xd7, // by C
} as const);

export const UPLOAD_LIMITS = Object.freeze({
  /** Largest batch body the centre takes, bytes (HTTP 413 beyond). */
  batchBytes: 16_384,
  /** Records in one batch, 1 to this (HTTP 413 beyond). */
  records: 64,
  /** Largest answer, bytes: what the terminal must be able to hold. */
  answerBytes: 16_384,
  /** Change lists in one answer at most. */
  changeLists: 32,
  nonceBytes: 16,
} as const);

/** Why a batch is refused; the centre answers each with the HTTP status of docs/upload-protocol.md. */
export const BATCH_PROBLEM = Object.freeze({
  MALFORMED: 'malformed', // 400
  TOO_LARGE: 'too-large', // 413
  FOREIGN_RECORD: 'foreign-record', // 409
} as const);
export type BatchProblem = typeof BATCH_PROBLEM[keyof typeof BATCH_PROBLEM];

/** A refusal with a machine-readable `problem` (the protocol's error code). */
class UploadRefusal<Problem extends string> extends Error {
  readonly problem: Problem;

  constructor(problem: Problem, message: string) {
    super(message);
    this.problem = problem;
  }
}

/** A batch that is not one; `problem` says which refusal of the protocol applies. */
export class BatchFormatError extends UploadRefusal<BatchProblem> {
  override name = 'BatchFormatError';
}

/** An answer that is not one (bad TLV, wrong tags or widths, too many change lists). */
export class AnswerFormatError extends TlvError {
  override name = 'AnswerFormatError';
}

/** Why a well-formed answer is not for this terminal's upload. */
export const ANSWER_PROBLEM = Object.freeze({
  BAD_SIGNATURE: 'bad-signature',
  WRONG_TERMINAL: 'wrong-terminal',
  WRONG_NONCE: 'wrong-nonce',
} as const);
export type AnswerProblem = typeof ANSWER_PROBLEM[keyof typeof ANSWER_PROBLEM];

/** A well-formed answer this terminal must not act on (a forgery, or the answer to another batch). */
export class AnswerRefusedError extends UploadRefusal<AnswerProblem> {
  override name = 'AnswerRefusedError';
}

/** Signs a message (the encoded E7 or E8 TLV) with the sender's key; e.g. TerminalKeys.sign. */
export type SignMessage = (message: Uint8Array) => Uint8Array;

/** What a terminal sends in one batch. */
export interface BatchContent {
  readonly terminalId: string;
  /** 16 random bytes, new for every attempt; the answer echoes them. */
  readonly nonce: Uint8Array;
  /** The hotlist version the terminal holds (u32; 0 = the empty list). */
  readonly hotlistVersion: number;
  /** The terminal's clock at sending, ms since epoch UTC (u48); 0 when it was never set. */
  readonly terminalClock: number;
  /** 1 to 64 records of this terminal, in rising sequence order. */
  readonly records: readonly UsageRecord[];
}

/** One record of a received batch: its bytes as sent (what the centre stores) and their meaning. */
export interface BatchRecord {
  readonly bytes: Uint8Array;
  readonly record: UsageRecord;
}

export interface DecodedBatch {
  readonly terminalId: string;
  readonly nonce: Uint8Array;
  readonly hotlistVersion: number;
  readonly terminalClock: number;
  readonly records: readonly BatchRecord[];
  /** The encoded E7 TLV: the bytes T's signature covers. */
  readonly signedMessage: Uint8Array;
  readonly signature: Uint8Array;
}

/** What the centre answers one batch with. */
export interface AnswerContent {
  readonly terminalId: string;
  /** The nonce of the batch answered. */
  readonly nonce: Uint8Array;
  /** The highest sequence S such that the centre holds 1..S (u32; 0 = none). */
  readonly acknowledged: number;
  /** The centre's clock, ms since epoch UTC (u48). */
  readonly centreTime: number;
  /** The hotlist version now (u32). */
  readonly hotlistVersion: number;
  /** Issuer-signed change lists, each a whole DF02 TLV, versions holder+1.. in order; at most 32. */
  readonly changeLists: readonly Uint8Array[];
}

export interface DecodedAnswer extends AnswerContent {
  /** The encoded E8 TLV: the bytes C's signature covers. */
  readonly signedMessage: Uint8Array;
  readonly signature: Uint8Array;
}

function checkNonce(nonce: Uint8Array): Uint8Array {
  if (nonce.length !== UPLOAD_LIMITS.nonceBytes) throw new RangeError(`nonce must be ${UPLOAD_LIMITS.nonceBytes} bytes, got ${nonce.length}`);
  return nonce;
}

/** The signed part and the signature wrapped in `outer`, refused with RangeError past `limit` bytes. */
function signedEnvelope(outer: number, message: Uint8Array, signatureTag: number, sign: SignMessage, limit: number, what: string): Uint8Array {
  const signature = sign(message);
  if (signature.length === 0) throw new RangeError(`${what} signature is empty`);
  const out = encodeTlv(outer, concatBytes(message, encodeTlv(signatureTag, signature)));
  if (out.length > limit) throw new RangeError(`${what} is ${out.length} bytes, at most ${limit} are allowed`);
  return out;
}

/**
 * The batch F4 = E7 (terminal id, nonce, hotlist version, clock, count, records) ‖ D8 Sig_T(E7).
 * `sign` gets the encoded E7 TLV. A batch of no records is a check-in: a terminal with nothing to
 * send still gets the hotlist changes and the centre's time. Throws RangeError for content the
 * protocol cannot carry: more than 64 records, records of another terminal or not in rising sequence order, a nonce
 * not 16 bytes, a batch over 16,384 bytes; RangeError from encodeRecord for a record's field.
 */
export function encodeBatch(batch: BatchContent, sign: SignMessage): Uint8Array {
  const count = batch.records.length;
  if (count > UPLOAD_LIMITS.records) throw new RangeError(`a batch holds 0 to ${UPLOAD_LIMITS.records} records, got ${count}`);
  const children: Tlv[] = [
    { tag: UPLOAD_TAG.TERMINAL_ID, value: deviceIdBytes(batch.terminalId, 'terminal id') },
    { tag: UPLOAD_TAG.NONCE, value: checkNonce(batch.nonce) },
    { tag: UPLOAD_TAG.HOTLIST_VERSION, value: unsignedBytes(batch.hotlistVersion, WIDTH.U32, 'hotlist version') },
    { tag: UPLOAD_TAG.TERMINAL_CLOCK, value: unsignedBytes(batch.terminalClock, WIDTH.U48, 'terminal clock') },
    { tag: UPLOAD_TAG.RECORD_COUNT, value: unsignedBytes(count, WIDTH.U16, 'record count') },
  ];
  let previous = 0;
  for (const record of batch.records) {
    if (record.terminalId !== batch.terminalId) throw new RangeError(`record ${record.sequence} is of terminal "${record.terminalId}", not "${batch.terminalId}"`);
    if (record.sequence <= previous) throw new RangeError(`record ${record.sequence} follows ${previous}: records go in rising sequence order`);
    previous = record.sequence;
    children.push({ tag: UPLOAD_TAG.RECORD, value: encodeRecord(record) });
  }
  const message = encodeConstructed(UPLOAD_TAG.BATCH_MESSAGE, children);
  return signedEnvelope(UPLOAD_TAG.BATCH, message, UPLOAD_TAG.BATCH_SIGNATURE, sign, UPLOAD_LIMITS.batchBytes, 'batch');
}

/** The TLVs of `bytes`, which must be one `outer` TLV holding `message` then `signatureTag`. */
function openEnvelope(bytes: Uint8Array, outer: number, messageTag: number, signatureTag: number): { fields: Tlv[]; signature: Uint8Array } {
  const parts = decodeTlvs(decodeSingle(bytes, outer));
  if (parts.length !== 2 || parts[0]!.tag !== messageTag || parts[1]!.tag !== signatureTag) {
    throw new TlvError(`${outer.toString(16)} must hold ${messageTag.toString(16)} then ${signatureTag.toString(16)}`);
  }
  const signature = parts[1]!.value;
  if (signature.length === 0) throw new TlvError('the signature is empty');
  return { fields: decodeTlvs(parts[0]!.value), signature };
}

/** The value of fields[index], which must have `tag`. */
function fieldAt(fields: readonly Tlv[], index: number, tag: number, what: string): Uint8Array {
  const field = fields[index];
  if (!field || field.tag !== tag) throw new TlvError(`${what} (tag ${tag.toString(16)}) expected as field ${index + 1}${field ? `, found tag ${field.tag.toString(16)}` : ''}`);
  return field.value;
}

/**
 * Re-encodes the parsed message and envelope; the input must be exactly those bytes (no long
 * length forms), so the signature is checked over the bytes that were sent. Returns the message.
 */
function canonicalMessage(bytes: Uint8Array, outer: number, messageTag: number, fields: readonly Tlv[], signatureTag: number, signature: Uint8Array): Uint8Array {
  const message = encodeConstructed(messageTag, fields);
  const again = encodeTlv(outer, concatBytes(message, encodeTlv(signatureTag, signature)));
  if (!constantTimeEqual(again, bytes)) throw new TlvError('not in the minimal length form (one encoding per message)');
  return message;
}

/** The terminal id and nonce both messages start with. */
function readHead(fields: readonly Tlv[]): { readonly terminalId: string; readonly nonce: Uint8Array } {
  const terminalId = readDeviceId(fieldAt(fields, 0, UPLOAD_TAG.TERMINAL_ID, 'terminal id'), 'terminal id');
  const nonce = fieldAt(fields, 1, UPLOAD_TAG.NONCE, 'nonce');
  if (nonce.length !== UPLOAD_LIMITS.nonceBytes) throw new TlvError(`nonce must be ${UPLOAD_LIMITS.nonceBytes} bytes, got ${nonce.length}`);
  return { terminalId, nonce };
}

const BATCH_HEAD = 5; // terminal id, nonce, hotlist version, clock, count

/**
 * Parses a batch without checking its signature (the centre looks up nT by the terminal id
 * first). Throws BatchFormatError: `too-large` for over 16,384 bytes or more than 64 records,
 * `foreign-record` for a record naming another terminal, `malformed` for anything else (TLV,
 * tags, order, widths, count not matching the records, a record's CRC or fields, sequences not
 * rising). Record bytes are copies; nothing refers into `bytes` afterwards.
 */
export function decodeBatch(bytes: Uint8Array): DecodedBatch {
  if (bytes.length > UPLOAD_LIMITS.batchBytes) throw new BatchFormatError(BATCH_PROBLEM.TOO_LARGE, `batch is ${bytes.length} bytes, at most ${UPLOAD_LIMITS.batchBytes} are allowed`);
  try {
    const { fields, signature } = openEnvelope(bytes, UPLOAD_TAG.BATCH, UPLOAD_TAG.BATCH_MESSAGE, UPLOAD_TAG.BATCH_SIGNATURE);
    const { terminalId, nonce } = readHead(fields);
    const hotlistVersion = readUnsigned(fieldAt(fields, 2, UPLOAD_TAG.HOTLIST_VERSION, 'hotlist version'), WIDTH.U32, 'hotlist version');
    const terminalClock = readUnsigned(fieldAt(fields, 3, UPLOAD_TAG.TERMINAL_CLOCK, 'terminal clock'), WIDTH.U48, 'terminal clock');
    const count = readUnsigned(fieldAt(fields, 4, UPLOAD_TAG.RECORD_COUNT, 'record count'), WIDTH.U16, 'record count');
    const present = fields.length - BATCH_HEAD;
    if (count > UPLOAD_LIMITS.records || present > UPLOAD_LIMITS.records) {
      throw new BatchFormatError(BATCH_PROBLEM.TOO_LARGE, `batch has ${Math.max(count, present)} records, at most ${UPLOAD_LIMITS.records} are allowed`);
    }
    if (count !== present) throw new TlvError(`record count says ${count}, the batch holds ${present} fields after it`);
    const records: BatchRecord[] = [];
    let previous = 0;
    for (let i = 0; i < count; i++) {
      const value = fieldAt(fields, BATCH_HEAD + i, UPLOAD_TAG.RECORD, `record ${i + 1}`);
      let record: UsageRecord;
      try {
        const read = readRecord(value);
        if (read.length !== value.length) throw new RecordFormatError(`${value.length - read.length} bytes follow the record`);
        record = read.record;
      } catch (error) {
        if (error instanceof RecordFormatError) throw new TlvError(`record ${i + 1}: ${error.message}`);
        throw error;
      }
      if (record.terminalId !== terminalId) {
        throw new BatchFormatError(BATCH_PROBLEM.FOREIGN_RECORD, `record ${i + 1} (sequence ${record.sequence}) names terminal "${record.terminalId}", the batch is from "${terminalId}"`);
      }
      if (record.sequence <= previous) throw new TlvError(`record ${i + 1} has sequence ${record.sequence} after ${previous}: sequences must rise`);
      previous = record.sequence;
      records.push(Object.freeze({ bytes: value.slice(), record }));
    }
    const signedMessage = canonicalMessage(bytes, UPLOAD_TAG.BATCH, UPLOAD_TAG.BATCH_MESSAGE, fields, UPLOAD_TAG.BATCH_SIGNATURE, signature);
    return Object.freeze({ terminalId, nonce: nonce.slice(), hotlistVersion, terminalClock, records: Object.freeze(records), signedMessage, signature: signature.slice() });
  } catch (error) {
    if (error instanceof BatchFormatError) throw error;
    if (error instanceof TlvError) throw new BatchFormatError(BATCH_PROBLEM.MALFORMED, `not a batch: ${error.message}`);
    throw error;
  }
}

/** Whether T's signature (the registered nT, decoded once) covers the batch. */
export function batchSignatureValid(batch: DecodedBatch, terminalKey: Verifier): boolean {
  return terminalKey.verify(batch.signedMessage, batch.signature);
}

function checkChangeLists(changeLists: readonly Uint8Array[]): void {
  if (changeLists.length > UPLOAD_LIMITS.changeLists) throw new RangeError(`an answer carries at most ${UPLOAD_LIMITS.changeLists} change lists, got ${changeLists.length}`);
  changeLists.forEach((list, i) => {
    try {
      decodeSingle(list, UPLOAD_TAG.CHANGE_LIST);
    } catch (error) {
      throw new RangeError(`change list ${i + 1} is not one DF02 TLV: ${(error as Error).message}`);
    }
  });
}

/**
 * The answer F5 = E8 (terminal id, nonce, acknowledged S, centre time, hotlist version, change
 * lists) ‖ D7 Sig_C(E8). `sign` gets the encoded E8 TLV. Throws RangeError for values out of their
 * widths, a nonce not 16 bytes, more than 32 change lists or one that is not a single DF02 TLV,
 * or an answer over 16,384 bytes (send fewer change lists: the next upload fetches the rest).
 */
export function encodeAnswer(answer: AnswerContent, sign: SignMessage): Uint8Array {
  checkChangeLists(answer.changeLists);
  const changes = concatBytes(...answer.changeLists);
  const message = encodeConstructed(UPLOAD_TAG.ANSWER_MESSAGE, [
    { tag: UPLOAD_TAG.TERMINAL_ID, value: deviceIdBytes(answer.terminalId, 'terminal id') },
    { tag: UPLOAD_TAG.NONCE, value: checkNonce(answer.nonce) },
    { tag: UPLOAD_TAG.ACKNOWLEDGED, value: unsignedBytes(answer.acknowledged, WIDTH.U32, 'acknowledged sequence') },
    { tag: UPLOAD_TAG.CENTRE_TIME, value: unsignedBytes(answer.centreTime, WIDTH.U48, 'centre time') },
    { tag: UPLOAD_TAG.HOTLIST_VERSION, value: unsignedBytes(answer.hotlistVersion, WIDTH.U32, 'hotlist version') },
    { tag: UPLOAD_TAG.CHANGE_LISTS, value: changes },
  ]);
  return signedEnvelope(UPLOAD_TAG.ANSWER, message, UPLOAD_TAG.ANSWER_SIGNATURE, sign, UPLOAD_LIMITS.answerBytes, 'answer');
}

/** Bytes an answer takes beyond its change lists, at most: lets the centre pick lists that fit. */
export function answerOverhead(signatureBytes: number): number {
  // F5, E8, EB and D7 headers (3 or 4 bytes each), id 2+16, nonce 2+16, S 3+4, time 3+6, version 2+4.
  return 4 * 4 + 18 + 18 + 7 + 9 + 6 + signatureBytes;
}

/**
 * Parses an answer without checking its signature. Throws AnswerFormatError naming the first
 * thing wrong (TLV, tags, order, widths, more than 32 change lists, over 16,384 bytes).
 */
export function decodeAnswer(bytes: Uint8Array): DecodedAnswer {
  try {
    if (bytes.length > UPLOAD_LIMITS.answerBytes) throw new TlvError(`answer is ${bytes.length} bytes, at most ${UPLOAD_LIMITS.answerBytes} are allowed`);
    const { fields, signature } = openEnvelope(bytes, UPLOAD_TAG.ANSWER, UPLOAD_TAG.ANSWER_MESSAGE, UPLOAD_TAG.ANSWER_SIGNATURE);
    if (fields.length !== 6) throw new TlvError(`answer message has ${fields.length} fields, 6 expected`);
    const { terminalId, nonce } = readHead(fields);
    const acknowledged = readUnsigned(fieldAt(fields, 2, UPLOAD_TAG.ACKNOWLEDGED, 'acknowledged sequence'), WIDTH.U32, 'acknowledged sequence');
    const centreTime = readUnsigned(fieldAt(fields, 3, UPLOAD_TAG.CENTRE_TIME, 'centre time'), WIDTH.U48, 'centre time');
    const hotlistVersion = readUnsigned(fieldAt(fields, 4, UPLOAD_TAG.HOTLIST_VERSION, 'hotlist version'), WIDTH.U32, 'hotlist version');
    const lists = decodeTlvs(fieldAt(fields, 5, UPLOAD_TAG.CHANGE_LISTS, 'change lists'));
    if (lists.length > UPLOAD_LIMITS.changeLists) throw new TlvError(`answer carries ${lists.length} change lists, at most ${UPLOAD_LIMITS.changeLists} are allowed`);
    const changeLists = lists.map((list, i) => {
      if (list.tag !== UPLOAD_TAG.CHANGE_LIST) throw new TlvError(`change list ${i + 1} has tag ${list.tag.toString(16)}, not df02`);
      return encodeTlv(list.tag, list.value);
    });
    const signedMessage = canonicalMessage(bytes, UPLOAD_TAG.ANSWER, UPLOAD_TAG.ANSWER_MESSAGE, fields, UPLOAD_TAG.ANSWER_SIGNATURE, signature);
    return Object.freeze({
      terminalId, nonce: nonce.slice(), acknowledged, centreTime, hotlistVersion, changeLists: Object.freeze(changeLists), signedMessage, signature: signature.slice(),
    });
  } catch (error) {
    if (error instanceof TlvError && !(error instanceof AnswerFormatError)) throw new AnswerFormatError(`not an answer: ${error.message}`);
    throw error;
  }
}

/** What the terminal expects of the answer to the batch it sent. */
export interface AnswerExpectation {
  readonly terminalId: string;
  readonly nonce: Uint8Array;
  /** The centre key nC from the centre certificate CC (see centre-certificate.ts). */
  readonly centreKey: Verifier;
}

/**
 * The answer, once its signature checks with nC, it names this terminal and echoes the nonce
 * sent (docs/upload-protocol.md, "Answer"). Throws AnswerFormatError, or AnswerRefusedError with
 * its problem: the terminal then treats the upload as failed and sends the batch again.
 */
export function acceptAnswer(bytes: Uint8Array, expected: AnswerExpectation): DecodedAnswer {
  const answer = decodeAnswer(bytes);
  if (!expected.centreKey.verify(answer.signedMessage, answer.signature)) throw new AnswerRefusedError(ANSWER_PROBLEM.BAD_SIGNATURE, 'the answer signature does not check with the centre key nC');
  if (answer.terminalId !== expected.terminalId) throw new AnswerRefusedError(ANSWER_PROBLEM.WRONG_TERMINAL, `the answer is for terminal "${answer.terminalId}", not "${expected.terminalId}"`);
  if (!constantTimeEqual(answer.nonce, expected.nonce)) throw new AnswerRefusedError(ANSWER_PROBLEM.WRONG_NONCE, 'the answer echoes another nonce: it answers an earlier attempt');
  return answer;
}
