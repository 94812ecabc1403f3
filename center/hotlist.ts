// The issuer's hotlist at the centre (docs/upload-protocol.md, "Hotlist change list"): each
// version an issuer-signed change list (DF02), checked with nA on import and kept as its bytes;
// an answer carries the versions after the terminal's, oldest first, at most 32 and as many as
// fit the answer. The centre never makes or alters a change list.
import { decodeChangeList, issuerVerifiers, verifyChangeList, type ChangeList } from '../firmware/hotlist/change-list.js';
import { HotlistRefusedError } from '../firmware/hotlist/refusal.js';
import type { IssuerPublicKey } from '../firmware/terminal/config.js';
import { answerOverhead, UPLOAD_LIMITS } from '../firmware/upload/messages.js';
import { CentreError, REFUSAL } from './errors.js';
import { bytesFromText } from './hex-input.js';
import type { CentreStore } from './store/store.js';

/** Decodes and checks a change list with the issuer keys; CentreError bad-change-list otherwise. */
export function checkChangeList(bytes: Uint8Array, issuerKeys: readonly IssuerPublicKey[]): ChangeList {
  let changeList: ChangeList;
  try {
    changeList = decodeChangeList(bytes);
    verifyChangeList(changeList, issuerVerifiers(issuerKeys));
  } catch (error) {
    if (error instanceof HotlistRefusedError || (error as Error).name === 'ChangeListError') {
      throw new CentreError(REFUSAL.BAD_CHANGE_LIST, `hotlist change list refused: ${(error as Error).message}`);
    }
    throw error;
  }
  const largest = UPLOAD_LIMITS.answerBytes - answerOverhead(256);
  if (bytes.length > largest) throw new CentreError(REFUSAL.BAD_CHANGE_LIST, `hotlist version ${changeList.version} is ${bytes.length} bytes; an answer carries at most ${largest}: split it`);
  return changeList;
}

/** Checks and keeps one version; 'unchanged' when it is held already. Throws CentreError. */
export async function importChangeList(store: CentreStore, bytes: Uint8Array, issuerKeys: readonly IssuerPublicKey[], now: number): Promise<{ readonly version: number; readonly outcome: 'added' | 'unchanged' }> {
  const changeList = checkChangeList(bytes, issuerKeys);
  return { version: changeList.version, outcome: await store.putChangeList(changeList.version, changeList.encoded, now) };
}

/**
 * The DF02 bytes from the issuer's hotlist-change file (its "changeList" in hex; the readable
 * fields beside it are not trusted) or from hex text. Throws CentreError bad-change-list.
 */
export function changeListFromText(text: string): Uint8Array {
  return bytesFromText(text, 'changeList', REFUSAL.BAD_CHANGE_LIST, "the issuer's hotlist-change file holds the DF02 bytes there, in hex");
}

/** The change lists an answer to a terminal at `holderVersion` carries, and the version now. */
export async function changesFor(store: CentreStore, holderVersion: number, signatureBytes: number): Promise<{ readonly version: number; readonly changeLists: Uint8Array[] }> {
  const version = await store.hotlistVersion();
  if (holderVersion >= version) return { version, changeLists: [] };
  const due = await store.changeListsAfter(holderVersion, UPLOAD_LIMITS.changeLists);
  let room = UPLOAD_LIMITS.answerBytes - answerOverhead(signatureBytes);
  const changeLists: Uint8Array[] = [];
  for (const { bytes } of due) {
    if (bytes.length > room) break; // the rest on the next upload
    changeLists.push(bytes);
    room -= bytes.length;
  }
  return { version, changeLists };
}
