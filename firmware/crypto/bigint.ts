// Modular arithmetic and byte conversions on BigInt for ESIGN (P1363 §5.5 conversions, §A.2.2
// inversion), written so the module can be preloaded by the Moddable SDK: no BigInt is kept in
// module state, and zero and one are literals inside the functions. In SDK 8.2.3 (XS 17) a BigInt
// a preloaded module keeps at top level (as @noble/curves' `const _0n = BigInt(0)`) is never
// `===` to the same value computed at run time, so @noble's invert() divides by zero on the
// device; tools/moddable/simulator-main.ts shows the ESIGN flow on that runtime.

/** a mod m in [0, m), for m > 0. */
export function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

/** Exponents below this go bit by bit as a Number (ESIGN's e ≤ 65535): no BigInt per bit. */
const SMALL_EXPONENT = 0x40000000;

/**
 * A modulus m > 1 prepared for Barrett reduction (HAC 14.42, base 2): k = |m| bits and
 * mu = ⌊4^k / m⌋, one division once per modulus. Prepare a key's modulus once (at key decoding)
 * and pass it to modPowPrepared.
 */
export interface BarrettModulus {
  readonly m: bigint;
  readonly mu: bigint;
  /** k − 1 and k + 1, the two shifts of the quotient estimate. */
  readonly below: bigint;
  readonly above: bigint;
}

/** m prepared for reduce(); RangeError for m ≤ 1. */
export function barrettModulus(m: bigint): BarrettModulus {
  if (m <= 1n) throw new RangeError('modPow: modulus must be > 1');
  const k = BigInt(bitLength(m));
  return Object.freeze({ m, mu: (1n << (2n * k)) / m, below: k - 1n, above: k + 1n });
}

/**
 * x mod m for 0 ≤ x < 4^k (a product of two residues): q = ⌊⌊x / 2^(k−1)⌋·mu / 2^(k+1)⌋ is at
 * most 2 below ⌊x / m⌋, so x − q·m needs at most two subtractions. Two multiplications and two
 * shifts instead of XS's long division: on the RV32 target a 2,046-bit (x·x) mod n costs 0.35 M
 * instructions with `%`, 0.18 M this way (tools/bench, 2026-12-03).
 */
export function reduce(x: bigint, modulus: BarrettModulus): bigint {
  const m = modulus.m;
  let r = x - (((x >> modulus.below) * modulus.mu) >> modulus.above) * m;
  while (r >= m) r -= m;
  return r;
}

/**
 * base^exponent mod m; m > 1, exponent ≥ 0. Barrett reduction after each product (see reduce);
 * a small exponent goes left to right from its top bit (e = 1024 is ten squarings and no
 * multiplication by 1), a large one right to left without the square after its last bit.
 */
export function modPow(base: bigint, exponent: bigint, m: bigint): bigint {
  return modPowPrepared(base, exponent, barrettModulus(m));
}

/** modPow with the modulus prepared beforehand (barrettModulus), as a key's is. */
export function modPowPrepared(base: bigint, exponent: bigint, modulus: BarrettModulus): bigint {
  if (exponent < 0n) throw new RangeError('modPow: negative exponent');
  const m = modulus.m;
  if (exponent === 0n) return 1n;
  const b = base >= 0n && base < m ? base : mod(base, m);
  if (exponent < BigInt(SMALL_EXPONENT)) {
    const e = Number(exponent);
    let bit = 1;
    while (bit * 2 <= e) bit *= 2;
    let result = b;
    for (bit >>= 1; bit !== 0; bit >>= 1) {
      result = reduce(result * result, modulus);
      if ((e & bit) !== 0) result = reduce(result * b, modulus);
    }
    return result;
  }
  let result = 1n;
  let square = b;
  for (let e = exponent; ; ) {
    if ((e & 1n) === 1n) result = reduce(result * square, modulus);
    e >>= 1n;
    if (e === 0n) return result;
    square = reduce(square * square, modulus);
  }
}

/** a⁻¹ mod m by the extended Euclidean algorithm; RangeError when gcd(a, m) ≠ 1. */
export function modInverse(a: bigint, m: bigint): bigint {
  if (m <= 1n) throw new RangeError('modInverse: modulus must be > 1');
  let r0 = m;
  let r1 = mod(a, m);
  let s0 = 0n;
  let s1 = 1n;
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  if (r0 !== 1n) throw new RangeError('modInverse: not invertible');
  return mod(s0, m);
}

/**
 * Bits of a non-negative integer (0 for 0), by shifts: n.toString(2) costs XS one division per
 * binary digit (about 110 M x86 instructions for a 2046-bit modulus), a shift search a few dozen
 * shifts.
 */
export function bitLength(n: bigint): number {
  if (n < 0n) throw new RangeError('bitLength: negative number');
  if (n === 0n) return 0;
  let high = 1;
  while (n >> BigInt(high) !== 0n) high *= 2; // n < 2^high
  let low = high / 2; // n ≥ 2^low, or low = 0 when high = 1
  if (high === 1) return 1;
  while (high - low > 1) {
    const middle = (low + high) >>> 1;
    if (n >> BigInt(middle) !== 0n) low = middle;
    else high = middle;
  }
  return high;
}

/**
 * Bits of the unsigned big-endian integer written in `bytes` (0 when every byte is zero), from
 * the bytes alone: a key or signature's length is known before (or without) any BigInt work.
 */
export function bitLengthOfBytes(bytes: Uint8Array): number {
  let first = 0;
  while (first < bytes.length && bytes[first] === 0) first++;
  if (first === bytes.length) return 0;
  let bits = 0;
  for (let top = bytes[first]!; top !== 0; top >>= 1) bits++;
  return 8 * (bytes.length - first - 1) + bits;
}

/** Whether n ≥ 0 has exactly `bits` bits (2^(bits−1) ≤ n < 2^bits): one shift, for bits ≥ 1. */
export function hasBitLength(n: bigint, bits: number): boolean {
  return bits >= 1 && n >> BigInt(bits - 1) === 1n;
}

/** 2^bits − 1. */
export function bitMask(bits: number): bigint {
  return (1n << BigInt(bits)) - 1n;
}

/**
 * OS2IP (P1363 §5.5.3): big-endian bytes to a non-negative integer. Whole 64-bit words come from
 * DataView's getBigUint64 (big-endian, made by the engine), the 0..7 leading bytes from a Number
 * (exact up to six): each step allocates a BigInt as long as the value so far, so fewer steps are
 * less garbage. A 256-byte ESIGN value costs 0.12 M RV32 instructions this way, 0.36 M six bytes a
 * step and 2.7 M byte by byte (device runner probes, 2026-12-03).
 */
export function bytesToBigInt(bytes: Uint8Array): bigint {
  const length = bytes.length;
  const head = length % 8;
  let value: bigint;
  if (head < 7) {
    let word = 0;
    for (let i = 0; i < head; i++) word = word * 256 + bytes[i]!;
    value = BigInt(word);
  } else {
    let word = 0;
    for (let i = 1; i < 7; i++) word = word * 256 + bytes[i]!;
    value = (BigInt(bytes[0]!) << 48n) | BigInt(word);
  }
  if (head === length) return value;
  const view = new DataView(bytes.buffer, bytes.byteOffset + head, length - head);
  for (let at = 0; at < length - head; at += 8) value = (value << 64n) | view.getBigUint64(at);
  return value;
}

const WORD64 = 0xffff_ffff_ffff_ffffn;

/**
 * I2OSP (P1363 §5.5.2): a non-negative integer to exactly `length` big-endian bytes; RangeError
 * when it does not fit. Eight bytes a step through DataView's setBigUint64, for the same reason as
 * bytesToBigInt (256 bytes: 2.0 M RV32 instructions byte by byte, 0.9 M four bytes a step).
 */
export function bigIntToBytes(value: bigint, length: number): Uint8Array {
  if (value < 0n || value >> BigInt(8 * length) !== 0n) throw new RangeError(`I2OSP: ${bitLength(value)} bits do not fit ${length} bytes`);
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  let v = value;
  let i = length;
  for (; i >= 8 && v !== 0n; v >>= 64n) {
    i -= 8;
    view.setBigUint64(i, v & WORD64);
  }
  for (; i > 0 && v !== 0n; v >>= 8n) out[--i] = Number(v & 0xffn);
  return out;
}
