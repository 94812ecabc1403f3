/// <reference path="./crypt-ec.d.ts" />
// P-256 provider for the device: the Moddable SDK's native elliptic-curve arithmetic (`ec`,
// `ecdsa`, `curve`: modules/crypt). The manifest maps the module name firmware/crypto/p256 here.
// Same exports as firmware/crypto/p256.ts (interface in firmware/crypto/primitives.ts); what the
// SDK lacks is done here: SEC 1 point compression (§2.3.3, §2.3.4), range checks of r and s,
// and low S (the host verifier, @noble, accepts only s ≤ n/2). Signing draws k from the SDK's
// RNG instead of RFC 6979: both verify the same.
import Curve from 'curve';
import ECDSA from 'ecdsa';
import ECPoint from 'ecp';
import Modular from 'modular';
import { bigIntToBytes as numberToBytesBE, bytesToBigInt as bytesToNumberBE } from '../../firmware/crypto/bigint.js';
import { sha256 } from '../../firmware/crypto/hash.js';
import type { P256Primitives } from '../../firmware/crypto/primitives.js';

/**
 * FIPS 186-5 D.1.2.3: p, b (a = −3). Made with BigInt(), not as literals: the SDK's linker (xsl,
 * SDK 8.2.3) miscounts literal BigInts kept by preloaded modules (firmware/crypto/ed25519-reference.ts).
 */
const FIELD = BigInt(2) ** BigInt(256) - BigInt(2) ** BigInt(224) + BigInt(2) ** BigInt(192) + BigInt(2) ** BigInt(96) - BigInt(1);
const B = BigInt('0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b');
const SCALAR_BYTES = 32;

function curve(): Curve {
  return new Curve('secp256r1');
}

/** SEC 1 §2.3.4: 02/03 ‖ x to the point; throws RangeError when it is none. */
function decompress(publicKey: Uint8Array): ECPoint {
  if (publicKey.length !== 1 + SCALAR_BYTES || (publicKey[0] !== 2 && publicKey[0] !== 3)) throw new RangeError('P-256 public key must be 33 bytes, 02 or 03 then x');
  const x: bigint = bytesToNumberBE(publicKey.subarray(1));
  if (x >= FIELD) throw new RangeError('P-256 public key: x is not a field element');
  const field = new Modular(FIELD);
  const rhs = (((x * x) % FIELD) * x - 3n * x + B) % FIELD;
  const square = (rhs + FIELD) % FIELD;
  const y = field.exp(square, (FIELD + 1n) / 4n); // p ≡ 3 (mod 4)
  if ((y * y) % FIELD !== square) throw new RangeError('P-256 public key: x is not on the curve');
  const odd = publicKey[0] === 3;
  return new ECPoint(x, (y & 1n) === (odd ? 1n : 0n) ? y : FIELD - y);
}

function compress(point: ECPoint): Uint8Array {
  const out = new Uint8Array(1 + SCALAR_BYTES);
  out[0] = (point.Y & 1n) === 1n ? 3 : 2;
  out.set(numberToBytesBE(point.X, SCALAR_BYTES), 1);
  return out;
}

function secretScalar(secretKey: Uint8Array, n: bigint): bigint {
  const d = bytesToNumberBE(secretKey);
  if (secretKey.length !== SCALAR_BYTES || d <= 0n || d >= n) throw new RangeError('P-256 secret key must be 32 bytes, 0 < d < n');
  return d;
}

function digestOf(message: Uint8Array): ArrayBuffer {
  return sha256(message).slice().buffer as ArrayBuffer;
}

/** ECDSA verification against a decompressed point Q, with the range and low-S checks the SDK lacks. */
function verifyWithPoint(point: ECPoint, message: Uint8Array, signature: Uint8Array): boolean {
  const c = curve();
  if (signature.length !== 2 * SCALAR_BYTES) return false;
  const r = bytesToNumberBE(signature.subarray(0, SCALAR_BYTES));
  const s = bytesToNumberBE(signature.subarray(SCALAR_BYTES));
  if (r <= 0n || r >= c.n || s <= 0n || s > c.n >> 1n) return false;
  return new ECDSA(point, c, false).verify(digestOf(message), signature.slice().buffer as ArrayBuffer);
}

export const P256: P256Primitives = Object.freeze({
  secretKeyFromSeed(seed: Uint8Array): Uint8Array {
    const n = curve().n;
    return numberToBytesBE((bytesToNumberBE(seed) % (n - 1n)) + 1n, SCALAR_BYTES);
  },
  publicKey(secretKey: Uint8Array): Uint8Array {
    const c = curve();
    return compress(c.ec.mul(c.G, secretScalar(secretKey, c.n)));
  },
  sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
    const c = curve();
    const signature = new Uint8Array(new ECDSA(secretScalar(secretKey, c.n), c, true).sign(digestOf(message)));
    const s = bytesToNumberBE(signature.subarray(SCALAR_BYTES));
    if (s > c.n >> 1n) signature.set(numberToBytesBE(c.n - s, SCALAR_BYTES), SCALAR_BYTES);
    return signature;
  },
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    return verifyWithPoint(decompress(publicKey), message, signature);
  },
  verifier(publicKey: Uint8Array): (message: Uint8Array, signature: Uint8Array) => boolean {
    const point = decompress(publicKey); // a modular square root: once per key, not per signature
    return (message, signature) => verifyWithPoint(point, message, signature);
  },
  isPublicKey(publicKey: Uint8Array): boolean {
    decompress(publicKey);
    return true;
  },
  sharedSecret(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
    const c = curve();
    // The group has prime order, so d·Q of a valid Q and 0 < d < n is never the identity.
    return numberToBytesBE(c.ec.mul(decompress(publicKey), secretScalar(secretKey, c.n)).X, SCALAR_BYTES);
  },
});
