// Why a well-formed hotlist change is not applied (docs/upload-protocol.md, "Hotlist change
// list"). A refused change writes nothing: the terminal keeps the list and the version it had.
// A change list whose bytes are not one is a ChangeListError (change-list.ts) instead.

export const HOTLIST_PROBLEM = Object.freeze({
  /** Signed with an issuer key (suite, key id) the terminal does not hold. */
  UNKNOWN_KEY: 'unknown-key',
  /** The issuer signature D7 does not verify with that key. */
  BAD_SIGNATURE: 'bad-signature',
  /** Not the version after the one held (versions apply one after another, from 1). */
  WRONG_VERSION: 'wrong-version',
  /** The list would grow past what the flash partition holds. */
  OVER_CAPACITY: 'over-capacity',
  /** Another update of the same store is under way (HotlistStore.begin) and not committed yet. */
  BUSY: 'busy',
} as const);
export type HotlistProblem = typeof HOTLIST_PROBLEM[keyof typeof HOTLIST_PROBLEM];

export class HotlistRefusedError extends Error {
  override name = 'HotlistRefusedError';
  readonly problem: HotlistProblem;

  constructor(problem: HotlistProblem, message: string) {
    super(message);
    this.problem = problem;
  }
}
