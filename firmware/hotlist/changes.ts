// Change lists in version order folded into one net change (docs/upload-protocol.md: "it applies
// each change list whose issuer signature checks, in version order, stopping at the first that
// fails"). Each card's last change wins, as applying the lists one by one would give, so the
// terminal writes its flash once for all the versions an answer brings.
import { toHex } from '../protocol/bytes.js';
import { compareIdu } from './card-numbers.js';
import { ChangeListError, decodeChangeList, verifyChangeList, type ChangeList, type IssuerKeys } from './change-list.js';
import { HOTLIST_PROBLEM, HotlistRefusedError } from './refusal.js';

/** What the list holds now, and where a card's membership is looked up (the flash, a few reads each). */
export interface ListState {
  readonly version: number;
  readonly count: number;
  readonly capacity: number;
  contains(card: Uint8Array): boolean;
}

export interface NetChange {
  /** The version reached: the holder's when nothing applies. */
  readonly version: number;
  /** Cards in the list at that version. */
  readonly count: number;
  /** Cards to add that are not in the list, and listed cards to remove; rising. */
  readonly added: readonly Uint8Array[];
  readonly removed: readonly Uint8Array[];
  /** How many change lists it takes in (from the first given). */
  readonly applied: number;
  /** Why the change list after those was refused; null when all apply. */
  readonly refused: ChangeListError | HotlistRefusedError | null;
}

interface Membership {
  readonly card: Uint8Array;
  readonly before: boolean;
  now: boolean;
}

/**
 * Folds `changeLists` (DF02 bytes, or decoded) onto `state`, each checked in turn: decodes,
 * is the next version, the issuer signature verifies with `keys`, the list stays within
 * capacity. Stops at the first that fails and gives its error in `refused` (nothing of it is in
 * the net change). Reads the flash (state.contains) once per card named; writes nothing.
 */
export function foldChanges(state: ListState, changeLists: readonly (Uint8Array | ChangeList)[], keys: IssuerKeys): NetChange {
  const cards = new Map<string, Membership>();
  let version = state.version;
  let count = state.count;
  let applied = 0;
  let refused: ChangeListError | HotlistRefusedError | null = null;
  const membership = (card: Uint8Array): Membership => {
    const key = toHex(card);
    let entry = cards.get(key);
    if (!entry) {
      const before = state.contains(card);
      entry = { card, before, now: before };
      cards.set(key, entry);
    }
    return entry;
  };
  for (const given of changeLists) {
    try {
      const changeList = given instanceof Uint8Array ? decodeChangeList(given) : given;
      if (changeList.version !== version + 1) {
        throw new HotlistRefusedError(HOTLIST_PROBLEM.WRONG_VERSION, `hotlist version ${changeList.version} does not follow version ${version}, which this terminal holds`);
      }
      verifyChangeList(changeList, keys);
      const adds = changeList.added.map(membership);
      const removes = changeList.removed.map(membership);
      const grown = count + adds.filter((entry) => !entry.now).length - removes.filter((entry) => entry.now).length;
      if (grown > state.capacity) {
        throw new HotlistRefusedError(HOTLIST_PROBLEM.OVER_CAPACITY, `hotlist version ${changeList.version} would list ${grown} cards, the flash holds ${state.capacity}: the list stays at version ${version}`);
      }
      for (const entry of adds) entry.now = true;
      for (const entry of removes) entry.now = false;
      count = grown;
      version = changeList.version;
      applied++;
    } catch (error) {
      if (!(error instanceof ChangeListError) && !(error instanceof HotlistRefusedError)) throw error;
      refused = error;
      break;
    }
  }
  const changed = [...cards.values()].filter((entry) => entry.now !== entry.before);
  const rising = (entries: Membership[]) => entries.map((entry) => entry.card).sort((a, b) => compareIdu(a, 0, b, 0));
  return Object.freeze({
    version, count, applied, refused,
    added: rising(changed.filter((entry) => entry.now)),
    removed: rising(changed.filter((entry) => !entry.now)),
  });
}
