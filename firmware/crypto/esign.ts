// Suite 3: ESIGN, IEEE P1363a IFSSA-ESIGN-EMSA5 (§10.2 with the §8.2 ESIGN primitives and §12.1
// EMSA5). n = p²q with p and q of pLen bits and |n| = 3·pLen exactly; the representative f has
// pLen − 1 bits and a signature s verifies when the top pLen bits of s^e mod n equal f.
// Verification is a handful of modular squarings (e = 1024: ten), so it fits a microcontroller.
// Signing is ESIGN-D: r comes from HMAC-SHA-256 over a secret seed, a counter and H(M) (in the
// manner of RFC 6979), so the card needs no random source and one key never reuses an r for two
// messages (which would give away pq = gcd(s1 − s2, n)).
//
// Byte encodings (all integers big-endian, unsigned):
//
//   public key  (3 + nLen bytes; 259 for |n| = 2046)
//     [0]       hash id: 2 = SHA-256 (1 = SHA-1, known-answer vectors only; suite 3 refuses it)
//     [1..2]    e, 8 ≤ e ≤ 65535 (new keys: 1024)
//     [3..]     n in exactly nLen = ⌈|n|/8⌉ bytes, no leading zero byte; |n| ≡ 0 (mod 3), n odd
//
//   secret key  (5 + 2·pBytes + 32 bytes; 209 for |n| = 2046)
//     [0]       hash id, as above
//     [1..2]    e
//     [3..4]    pLen in bits
//     [5..]     p, then q, each in pBytes = ⌈pLen/8⌉ bytes, each exactly pLen bits
//     [last 32] seed of the ESIGN-D r derivation (secret)
//
//   signature   s in exactly nLen bytes, 0 ≤ s < n (256 bytes for |n| = 2046)
//
// The exponentiations reduce by Barrett with n prepared once per key (a verifier or signer keeps
// it); the inverse mod p comes from the modular-arithmetic provider (./modular.ts on hosts, the
// SDK's native inverse on the device).
// Signing uses variable-time BigInt arithmetic: a card port must use its constant-time coprocessor.
import { barrettModulus, bigIntToBytes as numberToBytesBE, bitLength as bitLen, bitLengthOfBytes, bytesToBigInt as bytesToNumberBE, hasBitLength, mod, modPowPrepared, type BarrettModulus } from './bigint.js';
import { asciiBytes, readUint16, uint16 } from '../protocol/bytes.js';
import { HASHES } from './hash.js';
import { MODULAR } from './modular.js';
import { emsa5FromDigest, ESIGN_HASH, hashMessage, isHashId, type EsignHashId } from './esign/emsa5.js';
import { randomPrime } from './esign/primes.js';
import type { KeyPair, RandomBytes, SignatureSuite, Signer, Verifier } from './suite.js';

export { ESIGN_HASH, type EsignHashId } from './esign/emsa5.js';

export const ESIGN_PARAMS = Object.freeze({
  /** Smallest e P1363a allows for ESIGN (e = 2, 3 are broken). */
  minE: 8,
  maxE: 0xffff,
  defaultE: 1024,
  /** The primitive accepts the published 1023-bit key; suite 3 asks for suiteMinModulusBits. */
  minModulusBits: 1023,
  maxModulusBits: 3072,
  defaultModulusBits: 2046,
  suiteMinModulusBits: 1536,
  seedLength: 32,
  /** ESIGN-D gives up after this many rejected r (each try passes with probability above 1/4). */
  maxSigningTries: 256,
});

export interface EsignPublicKey {
  readonly hash: EsignHashId;
  readonly e: bigint;
  readonly n: bigint;
  /** |p| = |q| = pLen bits, |n| = 3·pLen. */
  readonly pLen: number;
}

export interface EsignSecretKey extends EsignPublicKey {
  readonly p: bigint;
  readonly q: bigint;
  readonly pq: bigint;
  readonly seed: Uint8Array;
}

const HEADER = 3;
const SECRET_HEADER = 5;
const R_LABEL = asciiBytes('ESIGN-D');

function byteLength(bits: number): number {
  return Math.ceil(bits / 8);
}

function isExponent(e: number): boolean {
  return Number.isInteger(e) && e >= ESIGN_PARAMS.minE && e <= ESIGN_PARAMS.maxE;
}

function isModulusBits(bits: number): boolean {
  return bits % 3 === 0 && bits >= ESIGN_PARAMS.minModulusBits && bits <= ESIGN_PARAMS.maxModulusBits;
}

/** Parses a public key; null when it is not one (any length, hash id, e or n out of shape). */
export function decodePublicKey(bytes: Uint8Array): EsignPublicKey | null {
  if (!(bytes instanceof Uint8Array) || bytes.length < HEADER + byteLength(ESIGN_PARAMS.minModulusBits)) return null;
  if (bytes.length > HEADER + byteLength(ESIGN_PARAMS.maxModulusBits) || bytes[HEADER] === 0) return null;
  const hash = bytes[0]!;
  const e = readUint16(bytes, 1);
  if (!isHashId(hash) || !isExponent(e)) return null;
  const modulus = bytes.subarray(HEADER);
  const bits = bitLengthOfBytes(modulus); // from the bytes: no BigInt shifts
  if (!isModulusBits(bits) || (modulus[modulus.length - 1]! & 1) === 0) return null;
  return Object.freeze({ hash, e: BigInt(e), n: bytesToNumberBE(modulus), pLen: bits / 3 });
}

export function encodePublicKey(key: EsignPublicKey): Uint8Array {
  const out = new Uint8Array(HEADER + byteLength(3 * key.pLen));
  out[0] = key.hash;
  out.set(uint16(Number(key.e)), 1);
  out.set(numberToBytesBE(key.n, out.length - HEADER), HEADER);
  return out;
}

interface SecretKeyParts {
  readonly p: bigint;
  readonly q: bigint;
  readonly e: number;
  readonly hash: EsignHashId;
  readonly seed: Uint8Array;
}

/**
 * Builds a checked secret key from its parts: p ≠ q odd of pLen bits, |p²q| = 3·pLen. Throws
 * RangeError naming what is wrong.
 */
export function esignSecretKey(parts: SecretKeyParts): EsignSecretKey {
  return checkedSecretKey(parts, bitLen(parts.p));
}

/** esignSecretKey for a pLen already known (from the encoding): each length check is one shift. */
function checkedSecretKey(parts: SecretKeyParts, pLen: number): EsignSecretKey {
  const { p, q, e, hash, seed } = parts;
  const n = p * p * q;
  if (!isHashId(hash) || !isExponent(e)) throw new RangeError('ESIGN secret key: bad hash id or exponent');
  if (!hasBitLength(p, pLen) || !hasBitLength(q, pLen) || p === q || (p & q & 1n) !== 1n || !hasBitLength(n, 3 * pLen) || !isModulusBits(3 * pLen)) {
    throw new RangeError('ESIGN secret key: p and q must be distinct odd numbers of pLen bits with |p²q| = 3·pLen');
  }
  if (seed.length !== ESIGN_PARAMS.seedLength) throw new RangeError(`ESIGN secret key: the seed must be ${ESIGN_PARAMS.seedLength} bytes`);
  return Object.freeze({ hash, e: BigInt(e), n, pLen, p, q, pq: p * q, seed: seed.slice() });
}

export function decodeSecretKey(bytes: Uint8Array): EsignSecretKey {
  if (!(bytes instanceof Uint8Array) || bytes.length < SECRET_HEADER) throw new RangeError('ESIGN secret key: too short');
  const pLen = readUint16(bytes, 3);
  const pBytes = byteLength(pLen);
  if (bytes.length !== SECRET_HEADER + 2 * pBytes + ESIGN_PARAMS.seedLength) throw new RangeError('ESIGN secret key: wrong length');
  const hash = bytes[0]!;
  if (!isHashId(hash)) throw new RangeError('ESIGN secret key: unknown hash id');
  const pEncoded = bytes.subarray(SECRET_HEADER, SECRET_HEADER + pBytes);
  if (bitLengthOfBytes(pEncoded) !== pLen) throw new RangeError('ESIGN secret key: p does not have pLen bits');
  const p = bytesToNumberBE(pEncoded);
  const q = bytesToNumberBE(bytes.subarray(SECRET_HEADER + pBytes, SECRET_HEADER + 2 * pBytes));
  return checkedSecretKey({ p, q, e: readUint16(bytes, 1), hash, seed: bytes.subarray(SECRET_HEADER + 2 * pBytes) }, pLen);
}

export function encodeSecretKey(key: EsignSecretKey): Uint8Array {
  const pBytes = byteLength(key.pLen);
  const out = new Uint8Array(SECRET_HEADER + 2 * pBytes + ESIGN_PARAMS.seedLength);
  out.set(encodePublicKey(key).subarray(0, HEADER));
  out.set(uint16(key.pLen), 3);
  out.set(numberToBytesBE(key.p, pBytes), SECRET_HEADER);
  out.set(numberToBytesBE(key.q, pBytes), SECRET_HEADER + pBytes);
  out.set(key.seed, SECRET_HEADER + 2 * pBytes);
  return out;
}

export function publicKeyOf(key: EsignSecretKey): EsignPublicKey {
  return Object.freeze({ hash: key.hash, e: key.e, n: key.n, pLen: key.pLen });
}

/** IFVP-ESIGN (P1363a §8.2): the top pLen bits of s^e mod n, n prepared (barrettModulus(key.n)). */
function esignVerifyPrimitive(key: EsignPublicKey, n: BarrettModulus, s: bigint): bigint {
  return modPowPrepared(s, key.e, n) >> BigInt(2 * key.pLen);
}

/** IFSSA verification with EMSA5 (P1363a §10.2): false for anything malformed, never throws. */
export function esignVerify(key: EsignPublicKey, message: Uint8Array, signature: Uint8Array): boolean {
  return verifyPrepared(key, barrettModulus(key.n), message, signature);
}

function verifyPrepared(key: EsignPublicKey, n: BarrettModulus, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (!(signature instanceof Uint8Array) || signature.length !== byteLength(3 * key.pLen)) return false;
    const s = bytesToNumberBE(signature);
    if (s >= key.n) return false;
    const f = emsa5FromDigest(key.hash, hashMessage(key.hash, message), key.pLen - 1);
    return esignVerifyPrimitive(key, n, s) === f;
  } catch {
    return false;
  }
}

/**
 * IFSP-ESIGN (P1363a §8.2) for a given r: z = f·2^(2pLen), α = (z − r^e) mod n,
 * w0 = ⌈α/pq⌉, w1 = w0·pq − α; refuses r (null) when r ∉ [1, pq), p | r or w1 ≥ 2^(2pLen−1);
 * else t = w0 / (e·r^(e−1)) mod p and s = r + t·pq, so s^e mod n = z + w1.
 */
export function esignSignWithR(key: EsignSecretKey, f: bigint, r: bigint): bigint | null {
  return signWithR(key, barrettModulus(key.n), f, r);
}

function signWithR(key: EsignSecretKey, prepared: BarrettModulus, f: bigint, r: bigint): bigint | null {
  const { p, pq, n, e } = key;
  if (r <= 0n || r >= pq || r % p === 0n) return null;
  const shift = BigInt(2 * key.pLen);
  const re = modPowPrepared(r, e, prepared);
  const alpha = mod((f << shift) - re, n);
  let w0 = alpha / pq;
  let w1 = alpha - w0 * pq;
  if (w1 !== 0n) {
    w0 += 1n;
    w1 = pq - w1;
  }
  if (w1 >> (shift - 1n) !== 0n) return null;
  // w0 / (e·r^(e−1)) = w0·r / (e·r^e) mod p, reusing r^e
  const t = mod(w0 * r * MODULAR.modInverse(mod(e * re, p), p), p);
  return r + t * pq;
}

/** ESIGN-D's r number `counter` for a message digest: the leftmost 2·pLen bits of HMAC blocks. */
function esignDeriveR(key: EsignSecretKey, digest: Uint8Array, counter: number): bigint {
  const bits = 2 * key.pLen;
  const length = byteLength(bits);
  const out = new Uint8Array(Math.ceil(length / 32) * 32);
  const input = new Uint8Array(R_LABEL.length + 8 + digest.length);
  const view = new DataView(input.buffer);
  input.set(R_LABEL);
  input.set(digest, R_LABEL.length + 8);
  view.setUint32(R_LABEL.length, counter);
  for (let block = 0; block * 32 < length; block++) {
    view.setUint32(R_LABEL.length + 4, block);
    out.set(HASHES.hmacSha256(key.seed, input), block * 32);
  }
  return bytesToNumberBE(out.subarray(0, length)) >> BigInt(8 * length - bits);
}

/** Signs the message under the key's own hash (ESIGN-D); checks its own result before release. */
export function esignSign(key: EsignSecretKey, message: Uint8Array): Uint8Array {
  return signPrepared(key, barrettModulus(key.n), message);
}

function signPrepared(key: EsignSecretKey, n: BarrettModulus, message: Uint8Array): Uint8Array {
  const digest = hashMessage(key.hash, message);
  const f = emsa5FromDigest(key.hash, digest, key.pLen - 1);
  for (let counter = 0; counter < ESIGN_PARAMS.maxSigningTries; counter++) {
    const s = signWithR(key, n, f, esignDeriveR(key, digest, counter));
    if (s === null) continue;
    // a fault in the computation would leak the key through a wrong s: check before release
    if (esignVerifyPrimitive(key, n, s) !== f) throw new Error('ESIGN: computational error while signing');
    return numberToBytesBE(s, byteLength(3 * key.pLen));
  }
  throw new Error('ESIGN: no acceptable r (is the key well formed?)');
}

export interface EsignKeyOptions {
  /** |n| in bits, a multiple of 3 (default 2046). */
  readonly modulusBits?: number;
  /** Public exponent (default 1024). */
  readonly e?: number;
}

/** A new SHA-256 key: two random primes of pLen = |n|/3 bits with their top three bits set. */
export function generateEsignKey(random: RandomBytes, options: EsignKeyOptions = {}): EsignSecretKey {
  const bits = options.modulusBits ?? ESIGN_PARAMS.defaultModulusBits;
  const e = options.e ?? ESIGN_PARAMS.defaultE;
  if (!isModulusBits(bits)) throw new RangeError(`ESIGN: |n| = ${bits} must be a multiple of 3 in [${ESIGN_PARAMS.minModulusBits}, ${ESIGN_PARAMS.maxModulusBits}]`);
  if (!isExponent(e)) throw new RangeError(`ESIGN: e = ${e} must be in [${ESIGN_PARAMS.minE}, ${ESIGN_PARAMS.maxE}]`);
  const p = randomPrime(bits / 3, random);
  let q = randomPrime(bits / 3, random);
  while (q === p) q = randomPrime(bits / 3, random);
  return esignSecretKey({ p, q, e, hash: ESIGN_HASH.SHA256, seed: random(ESIGN_PARAMS.seedLength) });
}

/** The keys suite 3 accepts: SHA-256 and |n| of at least suiteMinModulusBits. */
function isSuiteKey(key: EsignPublicKey): boolean {
  return key.hash === ESIGN_HASH.SHA256 && 3 * key.pLen >= ESIGN_PARAMS.suiteMinModulusBits;
}

function suitePublicKey(bytes: Uint8Array): EsignPublicKey | null {
  const key = decodePublicKey(bytes);
  return key && isSuiteKey(key) ? key : null;
}

function suiteSecretKey(bytes: Uint8Array): EsignSecretKey {
  const key = decodeSecretKey(bytes);
  if (!isSuiteKey(key)) throw new RangeError('ESIGN: suite 3 signs only with SHA-256 keys of at least 1536 bits');
  return key;
}

export const esign: SignatureSuite = Object.freeze({
  id: 3,
  name: 'ESIGN',
  generateKeyPair(random: RandomBytes): KeyPair {
    const key = generateEsignKey(random);
    return { secretKey: encodeSecretKey(key), publicKey: encodePublicKey(key) };
  },
  sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
    return esignSign(suiteSecretKey(secretKey), message);
  },
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    const key = suitePublicKey(publicKey);
    return key !== null && esignVerify(key, message, signature);
  },
  isPublicKey(publicKey: Uint8Array): boolean {
    return suitePublicKey(publicKey) !== null;
  },
  verifier(publicKey: Uint8Array): Verifier | null {
    const key = suitePublicKey(publicKey);
    if (!key) return null;
    const n = barrettModulus(key.n); // once per key, as the modulus is parsed once
    return Object.freeze({ verify: (message: Uint8Array, signature: Uint8Array) => verifyPrepared(key, n, message, signature) });
  },
  signer(secretKey: Uint8Array): Signer {
    const key = suiteSecretKey(secretKey);
    const n = barrettModulus(key.n);
    return Object.freeze({ sign: (message: Uint8Array) => signPrepared(key, n, message) });
  },
});
