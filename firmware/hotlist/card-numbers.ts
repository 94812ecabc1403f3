// Card numbers IDU as the hotlist keeps them ([0019]): 8 bytes each, ordered as unsigned
// big-endian numbers, which is the order of their upper-case hex text too. Engine-neutral.
import { fromHex, toHex } from '../protocol/bytes.js';
import { CARD_NUMBER_LENGTH } from '../protocol/data-objects.js';

/** Bytes of one card number IDU, and of one hotlist entry in flash. */
export const IDU_LENGTH = CARD_NUMBER_LENGTH;

/** Compares the IDU at `a[aAt..aAt+8)` with the one at `b[bAt..bAt+8)`: negative, 0 or positive. */
export function compareIdu(a: Uint8Array, aAt: number, b: Uint8Array, bAt: number): number {
  for (let i = 0; i < IDU_LENGTH; i++) {
    const difference = a[aAt + i]! - b[bAt + i]!;
    if (difference !== 0) return difference;
  }
  return 0;
}

/** An IDU from 16 hex digits (either case); RangeError naming `what` otherwise. */
export function iduFromHex(hex: string, what: string): Uint8Array {
  let bytes: Uint8Array | null = null;
  if (hex.length === IDU_LENGTH * 2) {
    try {
      bytes = fromHex(hex);
    } catch {
      bytes = null;
    }
  }
  if (!bytes || bytes.length !== IDU_LENGTH) throw new RangeError(`${what} must be a card number (IDU) of ${IDU_LENGTH * 2} hex digits, got "${hex}"`);
  return bytes;
}

/**
 * The card numbers in rising order without repeats, copied: what a list of IDUs means as a set.
 * RangeError naming `what` for an entry that is not 8 bytes.
 */
export function sortedCardNumbers(cards: readonly Uint8Array[], what: string): Uint8Array[] {
  for (let i = 0; i < cards.length; i++) {
    if (cards[i]!.length !== IDU_LENGTH) throw new RangeError(`${what}[${i}] must be ${IDU_LENGTH} bytes, got ${cards[i]!.length}`);
  }
  const sorted = cards.map((card) => card.slice()).sort((a, b) => compareIdu(a, 0, b, 0));
  return sorted.filter((card, i) => i === 0 || compareIdu(sorted[i - 1]!, 0, card, 0) !== 0);
}

/** Upper-case hex of an IDU, as events and errors show it. */
export function iduText(idu: Uint8Array): string {
  return toHex(idu);
}
