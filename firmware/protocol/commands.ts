// The card application's commands (DESIGN.md §3), built as the terminal sends them.
import { command, type CommandApdu } from './apdu.js';
import { encodeDigits } from './digits.js';

// Typed arrays with elements cannot be frozen; callers get a fresh copy.
export function aid(): Uint8Array {
  return Uint8Array.of(0xf0, 0x49, 0x43, 0x43, 0x52, 0x01);
}

export const INS = Object.freeze({
  SELECT: 0xa4,
  READ_CARD_DATA: 0xca,
  VERIFY: 0x20,
  REGISTER_PIN: 0x24,
  GET_CHALLENGE: 0x84,
  INTERNAL_AUTHENTICATE: 0x88,
  BLOCK_CARD: 0x1e,
  GET_RESPONSE: 0xc0,
} as const);

/** CLA bit b5: "more commands of this chain follow" (ISO 7816-4 §5.4.1). */
export const CLA_CHAINING = 0x10;
/** The most data one short command carries; longer data goes as a chain. */
export const MAX_SHORT_DATA = 255;

/** P2 of VERIFY: which reference data (ISO 7816-4 §7.5.6, specific references 0x8x). */
export const REFERENCE = Object.freeze({
  PIN: 0x81,
  SETTING_NUMBER: 0x82,
} as const);

export const CLA_ISO = 0x00;
export const CLA_PROPRIETARY = 0x80;
export const CHALLENGE_LENGTH = 8;

/**
 * Le of the terminal's reads of long answers (READ CARD DATA, GET RESPONSE): 252 data bytes and
 * SW1 SW2 fill one T=1 I-block at the largest IFSD, 254 (ISO/IEC 7816-3 §11.4.2), so each part
 * comes in one block instead of a chain of two with an R-block between; on T=0 the same number
 * of GET RESPONSE commands fetch an answer of the card data's size.
 */
export const RESPONSE_PART = 252;

export const COMMANDS = Object.freeze({
  select: (): CommandApdu => command(CLA_ISO, INS.SELECT, 0x04, 0x00, aid()),
  readCardData: (): CommandApdu => command(CLA_PROPRIETARY, INS.READ_CARD_DATA, 0x00, 0x01, undefined, RESPONSE_PART),
  verifySettingNumber: (ns: string): CommandApdu => command(CLA_ISO, INS.VERIFY, 0x00, REFERENCE.SETTING_NUMBER, encodeDigits('settingNumber', ns)),
  verifyPin: (pin: string): CommandApdu => command(CLA_ISO, INS.VERIFY, 0x00, REFERENCE.PIN, encodeDigits('pin', pin)),
  triesLeft: (reference: number): CommandApdu => command(CLA_ISO, INS.VERIFY, 0x00, reference),
  registerPin: (data: Uint8Array): CommandApdu => command(CLA_PROPRIETARY, INS.REGISTER_PIN, 0x00, REFERENCE.PIN, data),
  getChallenge: (): CommandApdu => command(CLA_ISO, INS.GET_CHALLENGE, 0x00, 0x00, undefined, CHALLENGE_LENGTH),
  internalAuthenticate: (random: Uint8Array): CommandApdu => command(CLA_ISO, INS.INTERNAL_AUTHENTICATE, 0x00, 0x00, random, 256),
  blockCard: (data: Uint8Array): CommandApdu => command(CLA_PROPRIETARY, INS.BLOCK_CARD, 0x00, 0x00, data),
  getResponse: (length: number): CommandApdu => command(CLA_ISO, INS.GET_RESPONSE, 0x00, 0x00, undefined, length),
});
