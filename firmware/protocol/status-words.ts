// ISO/IEC 7816-4 §5.1.3 status words used by this card application (DESIGN.md §3).
export const SW = Object.freeze({
  OK: 0x9000,
  /** Warning: selected, but the application is deactivated (ISO 7816-4 table 6; EMV's "application blocked"). */
  SELECTED_FILE_DEACTIVATED: 0x6283,
  WRONG_LENGTH: 0x6700,
  SECURITY_STATUS_NOT_SATISFIED: 0x6982,
  AUTHENTICATION_METHOD_BLOCKED: 0x6983,
  REFERENCE_DATA_NOT_USABLE: 0x6984,
  CONDITIONS_NOT_SATISFIED: 0x6985,
  WRONG_DATA: 0x6a80,
  FILE_NOT_FOUND: 0x6a82,
  NOT_ENOUGH_MEMORY: 0x6a84,
  INCORRECT_P1P2: 0x6a86,
  INS_NOT_SUPPORTED: 0x6d00,
  CLA_NOT_SUPPORTED: 0x6e00,
  MEMORY_FAILURE: 0x6581,
  LAST_COMMAND_OF_CHAIN_EXPECTED: 0x6883,
  UNKNOWN_ERROR: 0x6f00,
} as const);

/** `61xx`: xx more response bytes wait for GET RESPONSE (ISO 7816-4 §5.1.3; 00 means 256 or more). */
export function moreDataStatus(remaining: number): number {
  return 0x6100 | (remaining >= 256 ? 0 : remaining);
}

/** `6Cxx`: wrong Le, resend with Le = xx. */
export function exactLengthStatus(length: number): number {
  return 0x6c00 | (length & 0xff);
}

/** `63Cx`: verification failed, x tries left (ISO 7816-4 table 6). */
export function triesLeftStatus(tries: number): number {
  return 0x63c0 | (tries & 0x0f);
}

/** Tries left from a `63Cx` status word, or null if it is not one. */
export function triesLeftFrom(sw: number): number | null {
  return (sw & 0xfff0) === 0x63c0 ? sw & 0x0f : null;
}

const MEANING: Readonly<Record<number, string>> = Object.freeze({
  0x9000: 'ok',
  0x6283: 'selected file deactivated (the card is blocked)',
  0x6700: 'wrong length',
  0x6982: 'security status not satisfied',
  0x6983: 'authentication method blocked',
  0x6984: 'reference data not usable (no PIN registered)',
  0x6985: 'conditions of use not satisfied',
  0x6a80: 'incorrect data (bad signature or TLV)',
  0x6a82: 'application not found',
  0x6a84: 'not enough memory',
  0x6a86: 'incorrect P1-P2',
  0x6d00: 'instruction not supported',
  0x6e00: 'class not supported',
  0x6581: 'memory failure',
  0x6883: 'last command of the chain expected',
  0x6f00: 'unknown error',
});

export function describeStatus(sw: number): string {
  const hex = sw.toString(16).toUpperCase().padStart(4, '0');
  const tries = triesLeftFrom(sw);
  if (tries !== null) return `${hex} wrong, ${tries} ${tries === 1 ? 'try' : 'tries'} left`;
  if (sw >> 8 === 0x61) return `${hex} more data: GET RESPONSE`;
  if (sw >> 8 === 0x6c) return `${hex} wrong Le: resend with Le = ${sw & 0xff || 256}`;
  return `${hex} ${MEANING[sw] ?? 'unknown status'}`;
}
