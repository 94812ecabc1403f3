// The issuer-signed hotlist change list (docs/upload-protocol.md, "Hotlist change list"; patent
// [0019]: the issuer blocks card numbers IDU, terminals refuse them offline). The issuer signs each
// version with its key A; the centre only stores and relays the bytes, so neither the centre nor
// anyone on the line can add or remove a card.
//
//   DF02 change list
//     EC change message (what the signature covers)
//       DC version (u32, from 1)
//       C4 suite, C5 key id (one byte each): which issuer key signed it
//       C2 IDU added (8 bytes)     × any, rising order
//       CA IDU removed (8 bytes)   × any, rising order
//     D7 signature by A over the encoded EC TLV
//
// Decoding is strict: fields in this order, fixed widths, IDUs in rising order without repeats,
// no card both added and removed, minimal length forms. So one change has one encoding, and the
// bytes a signature covers are the bytes re-encoding gives. Engine-neutral: runs on the terminal
// (XS), in the issuer tool and in the centre.
import { concatBytes, constantTimeEqual } from '../protocol/bytes.js';
import { decodeSingle, decodeTlvs, encodeConstructed, encodeTlv, TlvError, type Tlv } from '../protocol/tlv.js';
import { suiteById, SUITES } from '../crypto/suites.js';
import type { IssuerPublicKey } from '../terminal/config.js';
import type { IssuerVerifier, TerminalKeys } from '../terminal/keys.js';
import { compareIdu, IDU_LENGTH, iduText, sortedCardNumbers } from './card-numbers.js';
import { HOTLIST_PROBLEM, HotlistRefusedError } from './refusal.js';
import { readU32, U32_MAX, u32Bytes } from './words.js';

export const CHANGE_LIST_TAG = Object.freeze({
  CHANGE_LIST: 0xdf02,
  MESSAGE: 0xec, // what A signs
  VERSION: 0xdc,
  SUITE: 0xc4,
  KEY_ID: 0xc5,
  ADDED: 0xc2, // the card data's IDU tag
  REMOVED: 0xca,
  SIGNATURE: 0xd7,
} as const);

export const CHANGE_LIST_LIMITS = Object.freeze({
  /**
   * Cards added plus removed in one change list. 1,000 encode to 10,015 bytes of EC, so one change
   * list with the longest signature (ESIGN, 256 bytes) always fits an upload answer (16,384 bytes).
   */
  changes: 1_000,
  /** Versions count from 1; version 0 is the list the terminal was provisioned with. */
  firstVersion: 1,
  lastVersion: U32_MAX,
} as const);

/** What the issuer signs: version `version` is the list of version - 1 with these cards added and removed. */
export interface ChangeMessage {
  readonly version: number;
  readonly suite: number;
  readonly keyId: number;
  /** IDUs, 8 bytes each; the encoder sorts them, the decoder gives them in rising order. */
  readonly added: readonly Uint8Array[];
  readonly removed: readonly Uint8Array[];
}

export interface ChangeList extends ChangeMessage {
  readonly signature: Uint8Array;
  /** The encoded EC TLV, the bytes the signature covers. */
  readonly signedMessage: Uint8Array;
  /** The whole DF02 TLV, as the centre stores and relays it. */
  readonly encoded: Uint8Array;
}

/** Bytes that are not a change list; the message says what is wrong. Nothing of it is applied. */
export class ChangeListError extends TlvError {
  override name = 'ChangeListError';
}

/** What verification needs of the terminal's keys (firmware/terminal/keys.ts). */
export type IssuerKeys = Pick<TerminalKeys, 'issuerKey'>;

/**
 * Issuer keys nA as verifiers, each decoded once, for a holder that is no terminal (the centre
 * checking a change list it imports, the issuer tool's show). Never throws: a key of a suite this
 * code does not know, or malformed for its suite, verifies nothing.
 */
export function issuerVerifiers(keys: readonly IssuerPublicKey[]): IssuerKeys {
  const verifiers: IssuerVerifier[] = keys.map((key) => Object.freeze({
    suite: key.suite, keyId: key.keyId, verifier: SUITES.some((suite) => suite.id === key.suite) ? suiteById(key.suite).verifier(key.publicKey) : null,
  }));
  return Object.freeze({ issuerKey: (suite: number, keyId: number) => verifiers.find((key) => key.suite === suite && key.keyId === keyId) ?? null });
}

function checkByte(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xff) throw new RangeError(`${what} must be 0 to 255, got ${value}`);
  return value;
}

/** The sorted card lists of `message`; RangeError for a repeat, an overlap or too many changes. */
function canonicalCards(message: ChangeMessage): { added: Uint8Array[]; removed: Uint8Array[] } {
  const added = sortedCardNumbers(message.added, 'added');
  const removed = sortedCardNumbers(message.removed, 'removed');
  if (added.length !== message.added.length || removed.length !== message.removed.length) throw new RangeError('a card number is listed twice in one change list');
  const both = firstCommon(added, removed);
  if (both) throw new RangeError(`card ${iduText(both)} is both added and removed`);
  const changes = added.length + removed.length;
  if (changes > CHANGE_LIST_LIMITS.changes) throw new RangeError(`a change list holds at most ${CHANGE_LIST_LIMITS.changes} cards added and removed, got ${changes}: split it into more versions`);
  return { added, removed };
}

/** The first card in both rising lists, or null. */
function firstCommon(a: readonly Uint8Array[], b: readonly Uint8Array[]): Uint8Array | null {
  for (let i = 0, j = 0; i < a.length && j < b.length;) {
    const order = compareIdu(a[i]!, 0, b[j]!, 0);
    if (order === 0) return a[i]!;
    if (order < 0) i++;
    else j++;
  }
  return null;
}

function messageFields(version: number, suite: number, keyId: number, added: readonly Uint8Array[], removed: readonly Uint8Array[]): Tlv[] {
  return [
    { tag: CHANGE_LIST_TAG.VERSION, value: u32Bytes(version, 'hotlist version') },
    { tag: CHANGE_LIST_TAG.SUITE, value: Uint8Array.of(suite) },
    { tag: CHANGE_LIST_TAG.KEY_ID, value: Uint8Array.of(keyId) },
    ...added.map((value) => ({ tag: CHANGE_LIST_TAG.ADDED, value })),
    ...removed.map((value) => ({ tag: CHANGE_LIST_TAG.REMOVED, value })),
  ];
}

/**
 * The EC TLV the issuer signs, cards in rising order. RangeError for a version outside
 * 1..2^32-1, a suite or key id outside 0..255, an IDU that is not 8 bytes, a card listed twice or
 * both added and removed, more than CHANGE_LIST_LIMITS.changes cards.
 */
export function changeMessage(message: ChangeMessage): Uint8Array {
  if (!Number.isSafeInteger(message.version) || message.version < CHANGE_LIST_LIMITS.firstVersion || message.version > CHANGE_LIST_LIMITS.lastVersion) {
    throw new RangeError(`hotlist version must be ${CHANGE_LIST_LIMITS.firstVersion} to ${CHANGE_LIST_LIMITS.lastVersion} (0 is the provisioned list), got ${message.version}`);
  }
  const { added, removed } = canonicalCards(message);
  return encodeConstructed(CHANGE_LIST_TAG.MESSAGE, messageFields(message.version, checkByte(message.suite, 'suite'), checkByte(message.keyId, 'key id'), added, removed));
}

/** The DF02 TLV: changeMessage(message) ‖ D7 signature. Throws as changeMessage does. */
export function encodeChangeList(message: ChangeMessage, signature: Uint8Array): Uint8Array {
  if (signature.length === 0) throw new RangeError('the issuer signature must not be empty');
  return assemble(changeMessage(message), signature);
}

function assemble(signedMessage: Uint8Array, signature: Uint8Array): Uint8Array {
  return encodeTlv(CHANGE_LIST_TAG.CHANGE_LIST, concatBytes(signedMessage, encodeTlv(CHANGE_LIST_TAG.SIGNATURE, signature)));
}

function fail(text: string): never {
  throw new ChangeListError(`hotlist change list: ${text}`);
}

function single(field: Tlv | undefined, tag: number, what: string, length: number): Uint8Array {
  if (!field || field.tag !== tag) fail(`${what} (tag ${tag.toString(16).toUpperCase()}) expected${field ? `, found tag ${field.tag.toString(16).toUpperCase()}` : ''}`);
  if (field.value.length !== length) fail(`${what} must be ${length} byte${length === 1 ? '' : 's'}, got ${field.value.length}`);
  return field.value;
}

/** The IDUs of consecutive fields tagged `tag` from `at`, checked to rise; returns them and the next index. */
function cardRun(fields: readonly Tlv[], at: number, tag: number, what: string): { cards: Uint8Array[]; next: number } {
  const cards: Uint8Array[] = [];
  let i = at;
  for (; i < fields.length && fields[i]!.tag === tag; i++) {
    const card = fields[i]!.value;
    if (card.length !== IDU_LENGTH) fail(`${what} card ${cards.length + 1} must be ${IDU_LENGTH} bytes, got ${card.length}`);
    const previous = cards[cards.length - 1];
    if (previous && compareIdu(previous, 0, card, 0) >= 0) fail(`${what} cards must rise without repeats: ${iduText(card)} follows ${iduText(previous)}`);
    cards.push(card.slice());
  }
  return { cards, next: i };
}

/**
 * Decodes a DF02 change list; does not check the signature (verifyChangeList does). Throws
 * ChangeListError naming the first thing wrong: bad TLV, a tag missing, repeated or out of order,
 * wrong widths, version 0, cards not rising or both added and removed, more than
 * CHANGE_LIST_LIMITS.changes cards, a non-minimal encoding, bytes after the TLV.
 */
export function decodeChangeList(bytes: Uint8Array): ChangeList {
  let parts: Tlv[];
  let fields: Tlv[];
  try {
    parts = decodeTlvs(decodeSingle(bytes, CHANGE_LIST_TAG.CHANGE_LIST));
    if (parts.length !== 2 || parts[0]!.tag !== CHANGE_LIST_TAG.MESSAGE || parts[1]!.tag !== CHANGE_LIST_TAG.SIGNATURE) {
      fail('must hold the change message EC and then the signature D7, nothing else');
    }
    fields = decodeTlvs(parts[0]!.value);
  } catch (error) {
    if (error instanceof ChangeListError) throw error;
    fail((error as Error).message);
  }
  const version = readU32(single(fields[0], CHANGE_LIST_TAG.VERSION, 'version', 4), 0);
  if (version < CHANGE_LIST_LIMITS.firstVersion) fail('version 0 is the provisioned list, change lists start at version 1');
  const suite = single(fields[1], CHANGE_LIST_TAG.SUITE, 'suite', 1)[0]!;
  const keyId = single(fields[2], CHANGE_LIST_TAG.KEY_ID, 'key id', 1)[0]!;
  const added = cardRun(fields, 3, CHANGE_LIST_TAG.ADDED, 'added');
  const removed = cardRun(fields, added.next, CHANGE_LIST_TAG.REMOVED, 'removed');
  if (removed.next !== fields.length) fail(`unexpected tag ${fields[removed.next]!.tag.toString(16).toUpperCase()} after the cards (added C2 first, then removed CA)`);
  const changes = added.cards.length + removed.cards.length;
  if (changes > CHANGE_LIST_LIMITS.changes) fail(`${changes} cards added and removed, at most ${CHANGE_LIST_LIMITS.changes}`);
  const both = firstCommon(added.cards, removed.cards);
  if (both) fail(`card ${iduText(both)} is both added and removed`);
  const signature = parts[1]!.value.slice();
  if (signature.length === 0) fail('the signature D7 is empty');
  const signedMessage = changeMessage({ version, suite, keyId, added: added.cards, removed: removed.cards });
  const encoded = assemble(signedMessage, signature);
  if (!constantTimeEqual(encoded, bytes)) fail('not in the minimal encoding (a length field is longer than it needs to be)');
  return Object.freeze({ version, suite, keyId, added: Object.freeze(added.cards), removed: Object.freeze(removed.cards), signature, signedMessage, encoded });
}

/**
 * Checks the issuer signature of `changeList` with the terminal's key of its suite and key id.
 * Throws HotlistRefusedError: UNKNOWN_KEY when the terminal holds no such key, BAD_SIGNATURE when
 * the signature does not verify (or the provisioned key is malformed).
 */
export function verifyChangeList(changeList: ChangeList, keys: IssuerKeys): void {
  const key = keys.issuerKey(changeList.suite, changeList.keyId);
  if (!key) throw new HotlistRefusedError(HOTLIST_PROBLEM.UNKNOWN_KEY, `hotlist version ${changeList.version} is signed with issuer key ${changeList.keyId} of suite ${changeList.suite}, which this terminal does not hold`);
  if (!key.verifier || !key.verifier.verify(changeList.signedMessage, changeList.signature)) {
    throw new HotlistRefusedError(HOTLIST_PROBLEM.BAD_SIGNATURE, `hotlist version ${changeList.version}: the issuer signature does not verify with issuer key ${changeList.keyId}`);
  }
}
