// Direct and inverse convention (ISO/IEC 7816-3 §8.1). A UART reads every character LSB first
// with even parity; in inverse convention the card sends MSB first with the levels inverted, so a
// character read that way is the bit-reversed complement of the byte meant.
export type Convention = 'direct' | 'inverse';

/** TS as a direct-convention UART reads it: 3B direct, 03 inverse (its logical value is 3F). */
export const TS_RAW = Object.freeze({ direct: 0x3b, inverse: 0x03 } as const);
export const TS = Object.freeze({ direct: 0x3b, inverse: 0x3f } as const);

const REVERSED = (() => {
  const table = new Uint8Array(256);
  for (let value = 0; value < 256; value++) {
    let out = 0;
    for (let bit = 0; bit < 8; bit++) if (value & (1 << bit)) out |= 0x80 >> bit;
    table[value] = out;
  }
  return table;
})();

/** Inverse convention is its own inverse: the same map encodes and decodes. */
export function invertByte(value: number): number {
  return REVERSED[~value & 0xff]!;
}

export function encodeFor(convention: Convention, bytes: Uint8Array): Uint8Array {
  return convention === 'direct' ? bytes.slice() : bytes.map(invertByte);
}

/** The convention a raw TS character announces, or null if it is neither (§8.1). */
export function conventionOf(rawTs: number): Convention | null {
  if (rawTs === TS_RAW.direct) return 'direct';
  if (rawTs === TS_RAW.inverse) return 'inverse';
  return null;
}
