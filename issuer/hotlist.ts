// The issuer signs the hotlist (DESIGN.md §1, patent [0019]): each version is a change list, the
// cards added and removed since the version before, signed with the master key A
// (firmware/hotlist/change-list.ts, tag DF02). The centre stores and relays the signed bytes;
// terminals check them with nA before they block or free a card. The file the CLI writes holds
// the DF02 bytes in hex beside the same fields for people to read; loading trusts the bytes only
// and refuses a file whose readable fields say something else. Engine-neutral (no file IO here),
// so scenario tests on XS sign their own change lists.
import { suiteById } from '../firmware/crypto/suites.js';
import { fromHex, toHex } from '../firmware/protocol/bytes.js';
import { iduFromHex } from '../firmware/hotlist/card-numbers.js';
import { changeMessage, decodeChangeList, encodeChangeList, type ChangeList } from '../firmware/hotlist/change-list.js';
import { IssuerError, type IssuerKey } from './issuer.js';

export const HOTLIST_CHANGE_FORMAT = 'icc-hotlist-change/1';

export interface HotlistChangeRequest {
  /** The version this change list makes: 1 for the first, then the last version + 1. */
  readonly version: number;
  /** Card numbers IDU, 16 hex digits each. */
  readonly added: readonly string[];
  readonly removed: readonly string[];
}

/** A hotlist change file's JSON. */
export interface HotlistChangeJson {
  readonly format: typeof HOTLIST_CHANGE_FORMAT;
  readonly version: number;
  readonly suite: number;
  readonly keyId: number;
  readonly added: readonly string[];
  readonly removed: readonly string[];
  /** The DF02 TLV in hex: what the centre stores and terminals check. */
  readonly changeList: string;
}

function cards(list: readonly string[], what: string): Uint8Array[] {
  try {
    return list.map((hex, i) => iduFromHex(hex, `${what} card ${i + 1}`));
  } catch (error) {
    throw new IssuerError((error as Error).message);
  }
}

/**
 * Signs hotlist version `request.version` with `issuer`: the DF02 bytes. Throws IssuerError for a
 * card number that is not 16 hex digits, a version outside 1..2^32-1, a card listed twice or both
 * added and removed, more cards than one change list holds (CHANGE_LIST_LIMITS.changes).
 */
export function signChangeList(issuer: IssuerKey, request: HotlistChangeRequest): Uint8Array {
  const message = { version: request.version, suite: issuer.suite, keyId: issuer.keyId, added: cards(request.added, 'added'), removed: cards(request.removed, 'removed') };
  let signed: Uint8Array;
  try {
    signed = changeMessage(message);
  } catch (error) {
    throw new IssuerError((error as Error).message);
  }
  return encodeChangeList(message, suiteById(issuer.suite).sign(issuer.secretKey, signed));
}

/** The file's JSON for signed DF02 bytes; throws ChangeListError for bytes that are not a change list. */
export function changeListToJson(bytes: Uint8Array): HotlistChangeJson {
  const changeList = decodeChangeList(bytes);
  return {
    format: HOTLIST_CHANGE_FORMAT,
    version: changeList.version,
    suite: changeList.suite,
    keyId: changeList.keyId,
    added: changeList.added.map(toHex),
    removed: changeList.removed.map(toHex),
    changeList: toHex(changeList.encoded),
  };
}

/**
 * The change list of a hotlist change file's JSON (decoded, signature not checked). Throws
 * IssuerError for another format, a `changeList` that is not hex, or readable fields that differ
 * from what the bytes say; ChangeListError for bytes that are not a change list.
 */
export function changeListFromJson(value: unknown): ChangeList {
  const json = (typeof value === 'object' && value !== null ? value : {}) as Partial<Record<keyof HotlistChangeJson, unknown>>;
  if (json.format !== HOTLIST_CHANGE_FORMAT) throw new IssuerError(`not a hotlist change file (format "${String(json.format)}", expected "${HOTLIST_CHANGE_FORMAT}")`);
  if (typeof json.changeList !== 'string') throw new IssuerError('hotlist change file: "changeList" must be the DF02 bytes in hex');
  let bytes: Uint8Array;
  try {
    bytes = fromHex(json.changeList);
  } catch {
    throw new IssuerError('hotlist change file: "changeList" is not hex');
  }
  const changeList = decodeChangeList(bytes);
  const readable = changeListToJson(bytes);
  const upper = (field: unknown) => (Array.isArray(field) ? field.map((idu) => String(idu).toUpperCase()) : field);
  for (const field of ['version', 'suite', 'keyId', 'added', 'removed'] as const) {
    const given = JSON.stringify(upper(json[field]));
    if (given !== JSON.stringify(readable[field])) throw new IssuerError(`hotlist change file: "${field}" says ${given}, the signed bytes say ${JSON.stringify(readable[field])}`);
  }
  return changeList;
}
