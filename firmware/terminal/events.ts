// What the terminal reports as it works: shown as JSON lines by the simulator's script mode,
// kept in the log on the device. One shape per thing a person or an operator cares about.

export type RejectReason =
  | 'not-our-card' // SELECT failed: no such application
  | 'unreadable' // READ CARD DATA failed or malformed
  | 'unknown-issuer' // no nA for the card's suite and key id
  | 'bad-signature' // SA1 or SA2 does not verify with nA
  | 'expired' // [0020]
  | 'hotlisted' // [0019]
  | 'blocked' // the card answers 6983
  | 'clock-not-set'; // the terminal's clock lost the time: no expiry date can be checked ([0020])

/** What led to a block: the hotlist at insertion ([0019]) or the third wrong number ([0013]). */
export type BlockStep = 'hotlist' | 'registration-number' | 'setting-number';

export type TerminalEvent =
  | { readonly event: 'card-inserted' }
  | { readonly event: 'card-accepted'; readonly registrationNumber: string; readonly cardNumber: string; readonly expiry: string; readonly pinRegistered: boolean; readonly pinBlocked: boolean }
  | { readonly event: 'card-rejected'; readonly reason: RejectReason; readonly detail: string }
  /**
   * The card is now unusable for good: blocked by the terminal's BLOCK CARD (a hotlisted card at
   * insertion, or three wrong registration numbers) or by the card itself (three wrong Ns).
   */
  | { readonly event: 'card-blocked'; readonly by: 'terminal' | 'card'; readonly step: BlockStep }
  | { readonly event: 'wrong-entry'; readonly step: 'registration-number' | 'setting-number' | 'pin'; readonly triesLeft: number }
  | { readonly event: 'entry-too-short'; readonly digits: number; readonly minDigits: number }
  | { readonly event: 'pin-not-registered' }
  | { readonly event: 'pin-registered'; readonly change: boolean }
  | { readonly event: 'pin-verified' }
  /** The third wrong PIN: the PIN is blocked, the card is not (a new PIN needs Ns). */
  | { readonly event: 'pin-blocked' }
  | { readonly event: 'service-started'; readonly number: string }
  | { readonly event: 'service-ended'; readonly durationSeconds: number; readonly fee: number; readonly currency: string; readonly endedBy: 'end' | 'card-removed' | 'shutdown' | 'journal-full' }
  | { readonly event: 'record-written'; readonly sequence: number; readonly registrationNumber: string; readonly fee: number; /** D in the terminal's local time, "YYYY-MM-DD hh:mm:ss +hh:mm" (the record keeps UTC). */ readonly localTime: string }
  | { readonly event: 'service-refused'; readonly reason: string }
  | { readonly event: 'card-removed'; readonly during: string }
  | { readonly event: 'timeout'; readonly during: string }
  | { readonly event: 'card-error'; readonly during: string; readonly detail: string }
  | { readonly event: 'eject'; readonly reason: string }
  | { readonly event: 'idle-work-failed'; readonly detail: string }
  /** Figs. 6 and 7: SU = Sig_U(R ‖ X) checked with the certified nU before `step`. */
  | { readonly event: 'card-authenticated'; readonly step: 'registration' | 'service' }
  /** The card could not prove it holds the card key (a clone of the card data, or no key where one is required). */
  | { readonly event: 'card-not-genuine'; readonly step: 'registration' | 'service' | 'secure-channel'; readonly detail: string }
  /** [0021]: session keys agreed with the card (SCP11b); every later APDU is wrapped. */
  | { readonly event: 'secure-channel-opened' }
  /** One batch attempt of the upload (firmware/upload/upload-work.ts); retryAt in ms since the epoch. */
  | {
    readonly event: 'upload'; readonly reason: 'daily' | 'fill' | 'demand'; readonly outcome: 'nothing-pending' | 'acknowledged' | 'checked-in' | 'refused' | 'failed';
    readonly sent?: number; readonly acknowledged?: number; readonly clockSet?: boolean; readonly hotlistVersion?: number | null; readonly hotlistRefused?: string | null;
    readonly status?: number; readonly detail?: string; readonly retryAt?: number;
  }
  /** The power came back (the simulator's power-cut): the journal closed these calls the cut left open, billed as cut short. */
  | { readonly event: 'power-restored'; readonly recovered: readonly number[] }
  /** The service key at the idle screen: an upload was asked for. */
  | { readonly event: 'service-key' }
  | { readonly event: 'shutdown' };

export type EventSink = (event: TerminalEvent) => void;
