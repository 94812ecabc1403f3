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
 * OS2IP (P1363 §5.5.3): big-endian bytes to a non-negative integer. Six bytes at a time (a
 * Number holds 48 bits exactly): each step allocates a BigInt as long as the value so far, so
 * six times fewer steps is six times less garbage; a 256-byte ESIGN value costs 0.8 M RV32
 * instructions instead of 2.7 M byte by byte (tools/bench, 2026-12-02).
 */
export function bytesToBigInt(bytes: Uint8Array): bigint {
  const head = bytes.length % 6;
  let word = 0;
  for (let i = 0; i < head; i++) word = word * 256 + bytes[i]!;
  let value = BigInt(word);
  for (let i = head; i < bytes.length; i += 6) {
    word = ((((bytes[i]! * 256 + bytes[i + 1]!) * 256 + bytes[i + 2]!) * 256 + bytes[i + 3]!) * 256 + bytes[i + 4]!) * 256 + bytes[i + 5]!;
    value = (value << 48n) | BigInt(word);
  }
  return value;
}

/**
 * I2OSP (P1363 §5.5.2): a non-negative integer to exactly `length` big-endian bytes; RangeError
 * when it does not fit. Four bytes a step, for the same reason as bytesToBigInt (0.9 M RV32
 * instructions for 256 bytes instead of 2.0 M).
 */
export function bigIntToBytes(value: bigint, length: number): Uint8Array {
  if (value < 0n || value >> BigInt(8 * length) !== 0n) throw new RangeError(`I2OSP: ${bitLength(value)} bits do not fit ${length} bytes`);
  const out = new Uint8Array(length);
  let v = value;
  let i = length;
  for (; i >= 4 && v !== 0n; v >>= 32n) {
    const word = Number(v & 0xffffffffn);
    out[--i] = word & 0xff;
    out[--i] = (word >>> 8) & 0xff;
    out[--i] = (word >>> 16) & 0xff;
    out[--i] = word >>> 24;
  }
  for (; i > 0 && v !== 0n; v >>= 8n) out[--i] = Number(v & 0xffn);
  return out;
}
