// Ed25519 as RFC 8032 writes it (§5.1, with the §6 reference code's structure): plain BigInt,
// extended coordinates, no tables and no module-level state, so it can be preloaded into flash
// on the device, where the Moddable SDK has no native Ed25519. Hosts use @noble/curves
// (ed25519-curve.ts); tests/scenarios/crypto-provider-scenarios.ts checks this one against RFC
// 8032's vectors and against @noble, on Node and on XS.
// Variable time: fine for a terminal's verifications; its own signing key sits in the terminal.
// Cost on XS is BigInt operations (each allocates), so field elements are kept as any
// representative in (−p, p) — one `%` per product, sums and differences unreduced — and made
// canonical only where they are encoded or compared.
import { HASHES } from './hash.js';
import type { Ed25519Primitives } from './primitives.js';

// The points kept at module level are objects, not arrays: the Moddable SDK's linker (xsl, SDK
// 8.2.3) leaves BigInts held in arrays out of its count of preloaded BigInt data and then writes
// past the table (xsl aborts, or the build holds wrong numbers).
const P = BigInt(2) ** BigInt(255) - BigInt(19);
/** The group order L (RFC 8032 §5.1: "q" in the reference code). */
const L = BigInt(2) ** BigInt(252) + BigInt('27742317777372353535851937790883648493');
const D = BigInt('37095705934669439343138083508754565189542113879843219016388785533085940283555'); // −121665/121666 mod p
const D2 = (D + D) % P; // 2d, the addition's constant (§5.1.4)
const SQRT_M1 = BigInt('19681161376707505956807079304988542015446066515923890162744021073123829784752'); // 2^((p−1)/4) mod p
const BASE_Y = BigInt('46316835694926478169428394003475163141307993866256225615783033603165251855960'); // 4/5 mod p
const BASE_X = BigInt('15112221349535400772501151409588531511454012693041857206046113283949847762202');

/** Extended coordinates: x = X/Z, y = Y/Z, xy = T/Z (RFC 8032 §5.1.4); each in (−p, p). */
interface Point {
  readonly X: bigint;
  readonly Y: bigint;
  readonly Z: bigint;
  readonly T: bigint;
}

/**
 * A point as an addend: the parts of §5.1.4's addition that depend on it alone, made once for the
 * hundreds of additions of a scalar multiplication. Z2 is 2·Z, or null for Z = 1 (saves a product).
 */
interface Addend {
  readonly yPlusX: bigint;
  readonly yMinusX: bigint;
  readonly t2d: bigint;
  readonly z2: bigint | null;
}

const IDENTITY: Point = Object.freeze({ X: BigInt(0), Y: BigInt(1), Z: BigInt(1), T: BigInt(0) });
const BASE: Point = Object.freeze({ X: BASE_X, Y: BASE_Y, Z: BigInt(1), T: (BASE_X * BASE_Y) % P });
const BASE_ADDEND: Addend = Object.freeze({
  yPlusX: BASE_Y + BASE_X, yMinusX: BASE_Y - BASE_X, t2d: (BASE.T * D2) % P, z2: null,
});

/** The canonical representative in [0, p) of a value in (−p, p) or any product's remainder. */
function canonical(a: bigint): bigint {
  const r = a % P;
  return r < 0n ? r + P : r;
}

/** a^(2^n) mod p: n squarings. */
function squarings(a: bigint, n: number): bigint {
  let r = a;
  for (let i = 0; i < n; i++) r = (r * r) % P;
  return r;
}

/**
 * a^((p−5)/8) = a^(2^252 − 3) by the addition chain of the reference implementations (ref10's
 * pow22523): 250 squarings and 11 products, where square-and-multiply takes about 500 products
 * and a BigInt shift and test per bit.
 */
function pow2523(a: bigint): bigint {
  const a3 = (((a * a) % P) * a) % P; // 2^2 − 1
  const b4 = (squarings(a3, 2) * a3) % P; // 2^4 − 1
  const b5 = (((b4 * b4) % P) * a) % P; // 2^5 − 1
  const b10 = (squarings(b5, 5) * b5) % P;
  const b20 = (squarings(b10, 10) * b10) % P;
  const b40 = (squarings(b20, 20) * b20) % P;
  const b80 = (squarings(b40, 40) * b40) % P;
  const b160 = (squarings(b80, 80) * b80) % P;
  const b240 = (squarings(b160, 80) * b80) % P;
  const b250 = (squarings(b240, 10) * b10) % P;
  return (squarings(b250, 2) * a) % P; // 2^252 − 4 + 1
}

/** a⁻¹ = a^(p−2) mod p (Fermat): a^(2^252 − 3) · 2^3 · a^3 = a^(2^255 − 21). */
function inverse(a: bigint): bigint {
  return (squarings(pow2523(a), 3) * ((((a * a) % P) * a) % P)) % P;
}

/** A point as an addend (see Addend). */
function addendOf(p: Point): Addend {
  return { yPlusX: p.Y + p.X, yMinusX: p.Y - p.X, t2d: (p.T * D2) % P, z2: p.Z + p.Z };
}

/** p + q, §5.1.4 "addition" (add-2008-hwcd-3), with q's own factors made beforehand. */
function add(p: Point, q: Addend): Point {
  const a = ((p.Y - p.X) * q.yMinusX) % P;
  const b = ((p.Y + p.X) * q.yPlusX) % P;
  const c = (p.T * q.t2d) % P;
  const d = q.z2 === null ? p.Z + p.Z : (p.Z * q.z2) % P;
  const e = b - a;
  const f = d - c;
  const g = d + c;
  const h = b + a;
  return { X: (e * f) % P, Y: (g * h) % P, Z: (f * g) % P, T: (e * h) % P };
}

/** 2p, §5.1.4 "doubling" (dbl-2008-hwcd): 4 squarings and 4 products where add(p, p) takes 9. */
function double(p: Point): Point {
  const a = (p.X * p.X) % P;
  const b = (p.Y * p.Y) % P;
  const zz = (p.Z * p.Z) % P;
  const h = a + b;
  const xy = p.X + p.Y;
  const e = h - (xy * xy) % P;
  const g = a - b;
  const f = zz + zz + g;
  return { X: (e * f) % P, Y: (g * h) % P, Z: (f * g) % P, T: (e * h) % P };
}

/** Bit i of a little-endian scalar. */
function bit(scalar: Uint8Array, i: number): number {
  return (scalar[i >> 3]! >> (i & 7)) & 1;
}

/**
 * [s]B' + [k]A' by Straus–Shamir: one chain of doublings from the top bit, adding B', A' or
 * B' + A' for each bit pair, where two multiplications would double twice as often. The scalars
 * are 32 little-endian bytes; without k (and a, ab) it is the single multiplication [s]B'.
 */
function multiply(s: Uint8Array, b: Addend, k: Uint8Array | null = null, a: Addend | null = null, ab: Addend | null = null): Point {
  let result = IDENTITY;
  let started = false; // doublings of the identity skipped
  for (let i = 255; i >= 0; i--) {
    if (started) result = double(result);
    const bitS = bit(s, i);
    const bitK = k === null ? 0 : bit(k, i);
    if (bitS === 0 && bitK === 0) continue;
    result = add(result, bitK === 0 ? b : bitS === 0 ? a! : ab!);
    started = true;
  }
  return result;
}

/** A little-endian integer, six bytes a step (one BigInt shift per 48 bits, not per 8). */
function littleEndian(bytes: Uint8Array): bigint {
  let value = 0n;
  for (let end = bytes.length; end > 0;) {
    const n = end % 6 || 6; // the top bytes first, then whole steps
    let chunk = 0;
    for (let i = end - 1; i >= end - n; i--) chunk = chunk * 256 + bytes[i]!;
    value = (value << (n === 6 ? 48n : BigInt(8 * n))) | BigInt(chunk);
    end -= n;
  }
  return value;
}

/** value (≥ 0, < 2^(8·length)) in `length` little-endian bytes, four bytes a step. */
function littleEndianBytes(value: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let v = value;
  for (let i = 0; i < length; i += 4, v >>= 32n) {
    let word = Number(v & 0xffffffffn);
    for (let j = i; j < i + 4 && j < length; j++, word >>>= 8) out[j] = word & 0xff;
  }
  return out;
}

/** §5.1.2: y with the sign of x in the top bit. */
function compress(point: Point): Uint8Array {
  const zInverse = inverse(point.Z);
  const x = canonical(point.X * zInverse);
  const out = littleEndianBytes(canonical(point.Y * zInverse), 32);
  if ((x & 1n) === 1n) out[31] = out[31]! | 0x80;
  return out;
}

/**
 * §5.1.3: a 32-byte encoding to a point (Z = 1), or null (y ≥ p, no square root, x = 0 with
 * sign 1). Steps 2 and 3 as written there: x = u·v³·(u·v⁷)^((p−5)/8), one exponentiation
 * where an inverse and a square root would take two.
 */
function decompress(bytes: Uint8Array): Point | null {
  if (bytes.length !== 32) return null;
  const sign = bytes[31]! >> 7;
  const yBytes = bytes.slice();
  yBytes[31] = yBytes[31]! & 0x7f;
  const y = littleEndian(yBytes);
  if (y >= P) return null;
  const yy = (y * y) % P;
  const u = yy - 1n;
  const v = (D * yy + 1n) % P;
  const v3 = (((v * v) % P) * v) % P;
  const v7 = (((v3 * v3) % P) * v) % P;
  let x = (((u * v3) % P) * pow2523((u * v7) % P)) % P;
  const vxx = (v * ((x * x) % P)) % P;
  if ((vxx - u) % P !== 0n) {
    if ((vxx + u) % P !== 0n) return null; // u/v is no square
    x = (x * SQRT_M1) % P;
  }
  x = canonical(x);
  if (x === 0n && sign === 1) return null;
  if (Number(x & 1n) !== sign) x = P - x;
  return { X: x, Y: y, Z: 1n, T: (x * y) % P };
}

/** −p: (−x, y) (§5.1: the curve is symmetric in x). */
function negate(p: Point): Point {
  return { X: -p.X, Y: p.Y, Z: p.Z, T: -p.T };
}

/** Whether p is the affine point q (Z = 1), compared projectively: X = x·Z and Y = y·Z. */
function equalsAffine(p: Point, q: Point): boolean {
  return (p.X - q.X * p.Z) % P === 0n && (p.Y - q.Y * p.Z) % P === 0n;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function hashModL(...parts: Uint8Array[]): bigint {
  return littleEndian(HASHES.sha512(concat(...parts))) % L;
}

/** §5.1.5: the secret scalar s (clamped: little-endian bytes and integer) and the prefix. */
function expandSecret(secretKey: Uint8Array): { scalar: bigint; scalarBytes: Uint8Array; prefix: Uint8Array } {
  if (secretKey.length !== 32) throw new RangeError(`Ed25519 secret key must be 32 bytes, got ${secretKey.length}`);
  const h = HASHES.sha512(secretKey);
  const scalarBytes = h.slice(0, 32);
  scalarBytes[0] = scalarBytes[0]! & 0xf8;
  scalarBytes[31] = (scalarBytes[31]! & 0x7f) | 0x40;
  return { scalar: littleEndian(scalarBytes), scalarBytes, prefix: h.subarray(32, 64) };
}

/** A public key decoded for verification: −A and B − A as addends (§5.1.7 rearranged, below). */
interface DecodedKey {
  readonly bytes: Uint8Array;
  readonly minusA: Addend;
  readonly baseMinusA: Addend;
}

function decodeKey(publicKey: Uint8Array): DecodedKey | null {
  const a = decompress(publicKey);
  if (a === null) return null;
  const minusA = negate(a);
  return { bytes: publicKey, minusA: addendOf(minusA), baseMinusA: addendOf(add(minusA, BASE_ADDEND)) };
}

/**
 * §5.1.7 with the cofactorless equation [S]B = R + [k]A, checked as [S]B + [k](−A) = R: one
 * double-scalar multiplication and a projective comparison with the decoded R, no encoding.
 */
function verifyWithKey(key: DecodedKey, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  const encodedR = signature.subarray(0, 32);
  const r = decompress(encodedR);
  if (!r) return false;
  const s = signature.subarray(32, 64);
  if (littleEndian(s) >= L) return false;
  const k = littleEndianBytes(hashModL(encodedR, key.bytes, message), 32);
  return equalsAffine(multiply(s, BASE_ADDEND, k, key.minusA, key.baseMinusA), r);
}

/** Same export as ed25519-curve.ts, so the device build can put this module in its place. */
export const ED25519: Ed25519Primitives & { readonly arithmetic: typeof ARITHMETIC } = Object.freeze({
  /** The point arithmetic on encoded points, for the scenarios (the module exports what the host provider does). */
  get arithmetic(): typeof ARITHMETIC {
    return ARITHMETIC;
  },
  publicKey(secretKey: Uint8Array): Uint8Array {
    return compress(multiply(expandSecret(secretKey).scalarBytes, BASE_ADDEND));
  },
  /**
   * §5.1.6. The interface takes the secret seed on every call, so A = [s]B is made again for
   * each signature (one of its two base multiplications).
   */
  sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
    const { scalar, scalarBytes, prefix } = expandSecret(secretKey);
    const publicKey = compress(multiply(scalarBytes, BASE_ADDEND));
    const r = hashModL(prefix, message);
    const encodedR = compress(multiply(littleEndianBytes(r, 32), BASE_ADDEND));
    const s = (r + hashModL(encodedR, publicKey, message) * scalar) % L;
    return concat(encodedR, littleEndianBytes(s, 32));
  },
  /** §5.1.7 with the cofactorless equation [S]B = R + [k]A; false for anything malformed. */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    const key = decodeKey(publicKey);
    return key !== null && verifyWithKey(key, message, signature);
  },
  verifier(publicKey: Uint8Array): (message: Uint8Array, signature: Uint8Array) => boolean {
    const key = decodeKey(publicKey.slice()); // an exponentiation and B − A: once per key, not per signature
    if (!key) throw new RangeError('Ed25519 public key: not a point (§5.1.3)');
    return (message, signature) => verifyWithKey(key, message, signature);
  },
  isPublicKey(publicKey: Uint8Array): boolean {
    return decompress(publicKey) !== null;
  },
});

/**
 * The group arithmetic on encoded points, for the scenarios (doubling against addition, the
 * double-scalar multiplication against two single ones); scalars are 32 little-endian bytes.
 * Every function throws on an encoding that is no point.
 */
const ARITHMETIC = Object.freeze({
  add(p: Uint8Array, q: Uint8Array): Uint8Array {
    return compress(add(point(p), addendOf(point(q))));
  },
  double(p: Uint8Array): Uint8Array {
    return compress(double(point(p)));
  },
  /** [s]P, or [s]B without P. */
  multiply(s: Uint8Array, p?: Uint8Array): Uint8Array {
    return compress(multiply(s, p === undefined ? BASE_ADDEND : addendOf(point(p))));
  },
  /** [s]B + [k]A in one chain of doublings. */
  multiplyTwo(s: Uint8Array, k: Uint8Array, a: Uint8Array): Uint8Array {
    const aPoint = point(a);
    return compress(multiply(s, BASE_ADDEND, k, addendOf(aPoint), addendOf(add(aPoint, BASE_ADDEND))));
  },
});

function point(bytes: Uint8Array): Point {
  const p = decompress(bytes);
  if (!p) throw new RangeError('Ed25519: not a point (§5.1.3)');
  return p;
}
