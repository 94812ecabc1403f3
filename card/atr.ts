// The card's answer to reset (ISO/IEC 7816-3 §8): direct convention, T=0 and T=1 offered,
// historical bytes "ICCR". TCK is present because a protocol other than T=0 is offered (§8.2.5).
import { asciiBytes } from '../firmware/protocol/bytes.js';

const HISTORICAL = 'ICCR';

export function answerToReset(): Uint8Array {
  const historical = asciiBytes(HISTORICAL);
  // T0: TD1 follows, K historical bytes; TD1: TD2 follows, T=0; TD2: T=1.
  const body = [0x80 | historical.length, 0x80, 0x01, ...historical];
  const tck = body.reduce((x, b) => x ^ b, 0);
  return Uint8Array.from([0x3b, ...body, tck]);
}
