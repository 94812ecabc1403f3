// The card's answer to reset (ISO/IEC 7816-3 §8): direct convention, TA1 = 96 (Fi 512, Di 32: up
// to 223 kbit/s at 3.57 MHz, taken by PPS), T=0 and T=1 offered, for T=1 IFSC 254 (TA3), BWI 4 and
// CWI 5 (TB3), LRC (no TC3); historical bytes "ICCR". TCK is present because a protocol other than
// T=0 is offered (§8.2.5).
import { asciiBytes } from '../firmware/protocol/bytes.js';

const HISTORICAL = 'ICCR';

export const CARD_INTERFACE_BYTES = Object.freeze({
  TA1: 0x96,
  /** TD1: TD2 follows, T=0. */
  TD1: 0x80,
  /** TD2: TA3 and TB3 follow, T=1. */
  TD2: 0x31,
  /** TA3: IFSC. */
  TA3: 0xfe,
  /** TB3: BWI 4 (high nibble), CWI 5. */
  TB3: 0x45,
} as const);

export function answerToReset(): Uint8Array {
  const historical = asciiBytes(HISTORICAL);
  const { TA1, TD1, TD2, TA3, TB3 } = CARD_INTERFACE_BYTES;
  // T0: TA1 and TD1 follow, K historical bytes.
  const body = [0x90 | historical.length, TA1, TD1, TD2, TA3, TB3, ...historical];
  const tck = body.reduce((x, b) => x ^ b, 0);
  return Uint8Array.from([0x3b, ...body, tck]);
}
