// Ed25519 provider for hosts (Node, xsnap): @noble/curves. The device build maps this module to
// firmware/crypto/ed25519-reference.ts: the SDK has no native Ed25519, and @noble's keeps
// mutable module-level caches that cannot live in a preloaded (flash) module.
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToNumberLE, concatBytes } from '@noble/curves/utils.js';
import { HASHES } from './hash.js';
import type { Ed25519Primitives } from './primitives.js';

type Point = InstanceType<typeof ed25519.Point>;

/**
 * @noble's ed25519.verify with A decoded beforehand, step for step (its defaults: ZIP-215 decoding,
 * S < L, k = SHA-512(R ‖ A ‖ M) mod L, the cofactored equation [8]([S]B − R − [k]A) = 0).
 */
function verifyWithPoint(a: Point, publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  const encodedR = signature.subarray(0, 32);
  let r: Point;
  let sb: Point;
  try {
    r = ed25519.Point.fromBytes(encodedR, true);
    sb = ed25519.Point.BASE.multiplyUnsafe(bytesToNumberLE(signature.subarray(32, 64))); // refuses S ≥ L
  } catch {
    return false;
  }
  const k = ed25519.Point.Fn.create(bytesToNumberLE(HASHES.sha512(concatBytes(encodedR, publicKey, message))));
  return r.add(a.multiplyUnsafe(k)).subtract(sb).clearCofactor().is0();
}

export const ED25519: Ed25519Primitives = Object.freeze({
  publicKey: (secretKey: Uint8Array) => ed25519.getPublicKey(secretKey),
  sign: (secretKey: Uint8Array, message: Uint8Array) => ed25519.sign(message, secretKey),
  verify: (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => ed25519.verify(signature, message, publicKey),
  verifier(publicKey: Uint8Array): (message: Uint8Array, signature: Uint8Array) => boolean {
    if (publicKey.length !== 32) throw new RangeError('Ed25519 public key must be 32 bytes');
    const key = publicKey.slice();
    const a = ed25519.Point.fromBytes(key, true); // as verify() decodes it
    return (message, signature) => verifyWithPoint(a, key, message, signature);
  },
  isPublicKey(publicKey: Uint8Array): boolean {
    ed25519.Point.fromBytes(publicKey).assertValidity();
    return true;
  },
});
