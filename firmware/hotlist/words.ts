// Unsigned 32-bit big-endian words inside byte arrays: the hotlist's version, counts and CRCs, in
// the change list (DC) and in the flash header. Engine-neutral.

/** The largest u32. */
export const U32_MAX = 0xffffffff;

/** Writes `value` at `out[at..at+4)`; RangeError naming `what` unless it is an integer 0..2^32-1. */
export function writeU32(out: Uint8Array, at: number, value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > U32_MAX) throw new RangeError(`${what} must be an integer 0..${U32_MAX}, got ${value}`);
  out[at] = value >>> 24;
  out[at + 1] = (value >>> 16) & 0xff;
  out[at + 2] = (value >>> 8) & 0xff;
  out[at + 3] = value & 0xff;
}

/** The u32 at `bytes[at..at+4)`. */
export function readU32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

/** `value` as four bytes. */
export function u32Bytes(value: number, what: string): Uint8Array {
  const out = new Uint8Array(4);
  writeU32(out, 0, value, what);
  return out;
}
