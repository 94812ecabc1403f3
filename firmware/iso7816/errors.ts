// Errors of the ISO/IEC 7816-3 byte path, one class per kind, so the terminal can tell a card that
// answers badly from a card that is gone. All are CardMuteError or its kin from the reader HAL
// where the terminal already handles them.
import { CardMuteError } from '../../hal/reader.js';

/** The answer to reset is malformed (§8): wrong TS, missing bytes, wrong TCK. */
export class AtrError extends Error {
  override name = 'AtrError';
}

/** The card did not answer in time (WWT, BWT, CWT, §7.2, §10.2, §11.4.3). */
export class CardTimeoutError extends CardMuteError {
  override name = 'CardTimeoutError';
}

/** The card broke the T=0 or T=1 rules beyond what the retry limits recover (§10, §11.6). */
export class TransmissionError extends CardMuteError {
  override name = 'TransmissionError';
}

/** A character could not be sent: the receiver kept signalling parity errors (§7.3). */
export class LineParityError extends TransmissionError {
  override name = 'LineParityError';
}

/** The card refused the protocol exchange (S(ABORT), or a T=0 status word where none fits). */
export class ProtocolAbortError extends TransmissionError {
  override name = 'ProtocolAbortError';
}
