// Every text the terminal shows on its 20×4 LCD, in one place (patent fig. 2, display 14).
import type { BlockStep, RejectReason } from './events.js';
import type { EjectMessage } from './session.js';

export const SCREENS = Object.freeze({
  idle: Object.freeze(['IC CARD TELEPHONE', '', 'Please insert card', ''] as const),
  /** The clock lost the time: no card can be served until the centre's time sets it (an upload). */
  idleClockNotSet: Object.freeze(['IC CARD TELEPHONE', 'Clock not set', 'Out of service', 'Call the operator'] as const),
  reading: Object.freeze(['Reading card...', '', '', ''] as const),
  takeCard: (first: string, second = '', third = '') => [first, second, third, 'Please take card'],
  enterPin: (entry: string, pinRegistered: boolean) => ['Enter PIN', entry, pinRegistered ? 'REGISTER: change PIN' : 'REGISTER: set PIN', 'END: cancel'],
  /** A card whose PIN is blocked: only a new PIN through the setting number helps ([0012]). */
  pinBlocked: Object.freeze(['PIN blocked', 'REGISTER: new PIN', 'with setting number', 'END: cancel'] as const),
  wrongPinBlocked: Object.freeze(['Wrong PIN', 'PIN now blocked', 'Setting number can', 'set a new PIN'] as const),
  tooShort: (minDigits: number) => ['Too short', `At least ${minDigits} digits`, '', 'Please try again'],
  registrationNumber: (entry: string) => ['PIN registration', 'Registration no.:', entry, 'ENTER ok  END cancel'],
  settingNumber: (entry: string) => ['PIN registration', 'Setting number:', entry, 'ENTER ok  END cancel'],
  newPin: (entry: string) => ['PIN registration', 'New PIN:', entry, 'ENTER ok  END cancel'],
  repeatPin: (entry: string) => ['PIN registration', 'New PIN again:', entry, 'ENTER ok  END cancel'],
  dial: (entry: string) => ['PIN OK', 'Dial number:', entry, 'ENTER call END quit'],
  calling: (number: string) => ['Calling', number, '', ''],
  inCall: (number: string, elapsed: string, fee: string) => ['Connected', number, `${elapsed}  ${fee}`, 'END: hang up'],
  wrong: (what: string, triesLeft: number) => [`Wrong ${what}`, `${triesLeft} ${triesLeft === 1 ? 'try' : 'tries'} left`, '', 'Please try again'],
  noPin: Object.freeze(['No PIN registered', 'Press REGISTER', 'to set your PIN', ''] as const),
  pinsDiffer: Object.freeze(['PINs differ', 'Please enter the', 'new PIN again', ''] as const),
  registered: (change: boolean) => [change ? 'PIN changed' : 'PIN registered', '', 'Enter PIN to use', ''],
  wait: Object.freeze(['Please wait...', '', '', ''] as const),
  /** The service key at the idle screen: the records go to the centre now. */
  uploading: Object.freeze(['Service', 'Uploading records', 'to the centre...', ''] as const),
} as const);

export const REJECT_TEXT: Readonly<Record<RejectReason, string>> = Object.freeze({
  'not-our-card': 'Unknown card type',
  unreadable: 'Card unreadable',
  'unknown-issuer': 'Unknown issuer',
  'bad-signature': 'Invalid card data',
  expired: 'Card expired',
  hotlisted: 'Reported lost/stolen',
  blocked: 'Card is blocked',
  'clock-not-set': 'Clock not set',
});

/** The line under a refusal that tells the person what to do, where anything helps. */
const REJECT_ADVICE: Readonly<Partial<Record<RejectReason, string>>> = Object.freeze({
  hotlisted: 'Call the issuer',
  blocked: 'Call the issuer',
  'clock-not-set': 'Call the operator',
});

/** What the LCD says as a refused card comes out: the refusal, its reason, what to do if anything. */
export function refusal(reason: RejectReason): EjectMessage {
  const advice = REJECT_ADVICE[reason];
  return advice ? ['Card refused', REJECT_TEXT[reason], advice] : ['Card refused', REJECT_TEXT[reason]];
}

/**
 * Why a card was blocked ([0013], [0019]), as the LCD says it while the card comes out: the card
 * is unusable for good, so every message sends the person to the issuer.
 */
export const BLOCKED: Readonly<Record<BlockStep, EjectMessage>> = Object.freeze({
  hotlist: Object.freeze(['Card blocked', 'Reported lost/stolen', 'Call the issuer'] as const),
  'registration-number': Object.freeze(['Card blocked', '3 wrong reg. numbers', 'Call the issuer'] as const),
  'setting-number': Object.freeze(['Card blocked', '3 wrong setting nos.', 'Call the issuer'] as const),
});

/** Whole seconds ≥ 0 as m:ss for the call display (redrawn every second: no padStart boxing). */
export function elapsedText(seconds: number): string {
  const rest = seconds % 60;
  return `${Math.floor(seconds / 60)}:${rest < 10 ? '0' : ''}${rest}`;
}
