// Ed25519 as RFC 8032 writes it (§5.1, with the §6 reference code's structure): plain BigInt,
// extended coordinates, double-and-add, no tables and no module-level state, so it can be
// preloaded into flash on the device, where the Moddable SDK has no native Ed25519. Hosts use
// @noble/curves (ed25519-curve.ts); tests/scenarios/crypto-provider-scenarios.ts checks this one
// against RFC 8032's vectors and against @noble, on Node and on XS.
// Variable time: fine for a terminal's verifications; its own signing key sits in the terminal.
import { mod as reduce, modPow } from './bigint.js';
import { HASHES } from './hash.js';
import type { Ed25519Primitives } from './primitives.js';

// The points kept at module level are objects, not arrays: the Moddable SDK's linker (xsl, SDK
// 8.2.3) leaves BigInts held in arrays out of its count of preloaded BigInt data and then writes
// past the table (xsl aborts, or the build holds wrong numbers).
const P = BigInt(2) ** BigInt(255) - BigInt(19);
/** The group order L (RFC 8032 §5.1: "q" in the reference code). */
const L = BigInt(2) ** BigInt(252) + BigInt('27742317777372353535851937790883648493');
const D = BigInt('37095705934669439343138083508754565189542113879843219016388785533085940283555'); // −121665/121666 mod p
const SQRT_M1 = BigInt('19681161376707505956807079304988542015446066515923890162744021073123829784752'); // 2^((p−1)/4) mod p
const BASE_Y = BigInt('46316835694926478169428394003475163141307993866256225615783033603165251855960'); // 4/5 mod p
const BASE_X = BigInt('15112221349535400772501151409588531511454012693041857206046113283949847762202');

/** Extended coordinates: x = X/Z, y = Y/Z, xy = T/Z (RFC 8032 §5.1.4). */
interface Point {
  readonly X: bigint;
  readonly Y: bigint;
  readonly Z: bigint;
  readonly T: bigint;
}
const IDENTITY: Point = Object.freeze({ X: BigInt(0), Y: BigInt(1), Z: BigInt(1), T: BigInt(0) });
const BASE: Point = Object.freeze({ X: BASE_X, Y: BASE_Y, Z: BigInt(1), T: (BASE_X * BASE_Y) % P });

/** a mod p unless another modulus is given (bigint.ts's mod, p by default). */
function mod(a: bigint, m = P): bigint {
  return reduce(a, m);
}

/** a⁻¹ mod p by Fermat (p prime). */
function inverse(a: bigint): bigint {
  return modPow(a, P - 2n, P);
}

function add(p: Point, q: Point): Point {
  const a = mod((p.Y - p.X) * (q.Y - q.X));
  const b = mod((p.Y + p.X) * (q.Y + q.X));
  const c = mod(2n * p.T * q.T * D);
  const d = mod(2n * p.Z * q.Z);
  const e = b - a;
  const f = d - c;
  const g = d + c;
  const h = b + a;
  return { X: mod(e * f), Y: mod(g * h), Z: mod(f * g), T: mod(e * h) };
}

function multiply(scalar: bigint, point: Point): Point {
  let result = IDENTITY;
  let addend = point;
  for (let s = scalar; s > 0n; s >>= 1n) {
    if (s & 1n) result = add(result, addend);
    addend = add(addend, addend);
  }
  return result;
}

function equal(p: Point, q: Point): boolean {
  return mod(p.X * q.Z - q.X * p.Z) === 0n && mod(p.Y * q.Z - q.Y * p.Z) === 0n;
}

/** x from y and its sign bit (§5.1.3 steps 2 to 4); null when there is none. */
function recoverX(y: bigint, sign: bigint): bigint | null {
  if (y >= P) return null;
  const x2 = mod((y * y - 1n) * inverse(D * y * y + 1n));
  if (x2 === 0n) return sign === 1n ? null : 0n;
  let x = modPow(x2, (P + 3n) / 8n, P);
  if (mod(x * x - x2) !== 0n) x = mod(x * SQRT_M1);
  if (mod(x * x - x2) !== 0n) return null;
  return (x & 1n) === sign ? x : P - x;
}

function littleEndian(bytes: Uint8Array): bigint {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]!);
  return value;
}

function littleEndianBytes(value: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let v = value;
  for (let i = 0; i < length; i++, v >>= 8n) out[i] = Number(v & 0xffn);
  return out;
}

function compress(point: Point): Uint8Array {
  const zInverse = inverse(point.Z);
  const x = mod(point.X * zInverse);
  const y = mod(point.Y * zInverse);
  return littleEndianBytes(y | ((x & 1n) << 255n), 32);
}

/** §5.1.3: a 32-byte encoding to a point, or null (y ≥ p, no square root, x = 0 with sign 1). */
function decompress(bytes: Uint8Array): Point | null {
  if (bytes.length !== 32) return null;
  const encoded = littleEndian(bytes);
  const y = encoded & ((1n << 255n) - 1n);
  const x = recoverX(y, encoded >> 255n);
  return x === null ? null : { X: x, Y: y, Z: 1n, T: mod(x * y) };
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
  return mod(littleEndian(HASHES.sha512(concat(...parts))), L);
}

/** §5.1.5: the secret scalar s (clamped) and the prefix from SHA-512 of the 32-byte secret. */
function expandSecret(secretKey: Uint8Array): { scalar: bigint; prefix: Uint8Array } {
  if (secretKey.length !== 32) throw new RangeError(`Ed25519 secret key must be 32 bytes, got ${secretKey.length}`);
  const h = HASHES.sha512(secretKey);
  const scalar = (littleEndian(h.subarray(0, 32)) & ((1n << 254n) - 8n)) | (1n << 254n);
  return { scalar, prefix: h.subarray(32, 64) };
}

/** §5.1.7 for a public key already decoded to A (`publicKey` its 32 bytes, hashed into k). */
function verifyWithPoint(a: Point, publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  const encodedR = signature.subarray(0, 32);
  const r = decompress(encodedR);
  if (!r) return false;
  const s = littleEndian(signature.subarray(32, 64));
  if (s >= L) return false;
  const k = hashModL(encodedR, publicKey, message);
  return equal(multiply(s, BASE), add(r, multiply(k, a)));
}

/** Same export as ed25519-curve.ts, so the device build can put this module in its place. */
export const ED25519: Ed25519Primitives = Object.freeze({
  publicKey(secretKey: Uint8Array): Uint8Array {
    return compress(multiply(expandSecret(secretKey).scalar, BASE));
  },
  /** §5.1.6. */
  sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
    const { scalar, prefix } = expandSecret(secretKey);
    const publicKey = compress(multiply(scalar, BASE));
    const r = hashModL(prefix, message);
    const encodedR = compress(multiply(r, BASE));
    const s = mod(r + hashModL(encodedR, publicKey, message) * scalar, L);
    return concat(encodedR, littleEndianBytes(s, 32));
  },
  /** §5.1.7 with the cofactorless equation [S]B = R + [k]A; false for anything malformed. */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    if (publicKey.length !== 32) return false;
    const a = decompress(publicKey);
    return a !== null && verifyWithPoint(a, publicKey, message, signature);
  },
  verifier(publicKey: Uint8Array): (message: Uint8Array, signature: Uint8Array) => boolean {
    const key = publicKey.slice();
    const a = decompress(key); // two exponentiations mod p: once per key, not per signature
    if (!a) throw new RangeError('Ed25519 public key: not a point (§5.1.3)');
    return (message, signature) => verifyWithPoint(a, key, message, signature);
  },
  isPublicKey(publicKey: Uint8Array): boolean {
    return decompress(publicKey) !== null;
  },
});
