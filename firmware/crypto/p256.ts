// P-256 provider for hosts (Node, xsnap): @noble/curves. Signing is deterministic (RFC 6979).
// The device build maps this module to hal/moddable/p256.ts, the SDK's native ECDSA.
import { p256 } from '@noble/curves/nist.js';
import { bytesToNumberBE } from '@noble/curves/utils.js';
import { sha256 } from './hash.js';
import type { P256Primitives } from './primitives.js';

/**
 * @noble's verify(signature, message, publicKey) with the point Q decoded beforehand (its own
 * steps: compact r ‖ s in [1, n), low S, h = SHA-256(message) mod n, R = u1·G + u2·Q, R.x ≡ r).
 */
function verifyWithPoint(point: InstanceType<typeof p256.Point>, message: Uint8Array, signature: Uint8Array): boolean {
  const Fn = p256.Point.Fn;
  const sig = p256.Signature.fromBytes(signature, 'compact');
  if (sig.hasHighS()) return false;
  const h = Fn.create(bytesToNumberBE(sha256(message)));
  const sInverse = Fn.inv(sig.s);
  const R = p256.Point.BASE.mulAddUnsafe(Fn.create(h * sInverse), point, Fn.create(sig.r * sInverse));
  return !R.is0() && Fn.create(R.toAffine().x) === sig.r;
}

export const P256: P256Primitives = Object.freeze({
  secretKeyFromSeed: (seed: Uint8Array) => p256.utils.randomSecretKey(seed),
  publicKey: (secretKey: Uint8Array) => p256.getPublicKey(secretKey, true),
  sign: (secretKey: Uint8Array, message: Uint8Array) => p256.sign(message, secretKey),
  verify: (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => p256.verify(signature, message, publicKey),
  verifier(publicKey: Uint8Array): (message: Uint8Array, signature: Uint8Array) => boolean {
    const point = p256.Point.fromBytes(publicKey);
    point.assertValidity();
    if (point.is0()) throw new RangeError('P-256 public key is the identity');
    return (message, signature) => verifyWithPoint(point, message, signature);
  },
  isPublicKey(publicKey: Uint8Array): boolean {
    p256.Point.fromBytes(publicKey).assertValidity();
    return true;
  },
  sharedSecret: (secretKey: Uint8Array, publicKey: Uint8Array) => p256.getSharedSecret(secretKey, publicKey, true).subarray(1),
});
