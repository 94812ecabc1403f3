// P-256 provider for hosts (Node, xsnap): @noble/curves. Signing is deterministic (RFC 6979).
// The device build maps this module to hal/moddable/p256.ts, the SDK's native ECDSA.
import { p256 } from '@noble/curves/nist.js';
import type { P256Primitives } from './primitives.js';

export const P256: P256Primitives = Object.freeze({
  secretKeyFromSeed: (seed: Uint8Array) => p256.utils.randomSecretKey(seed),
  publicKey: (secretKey: Uint8Array) => p256.getPublicKey(secretKey, true),
  sign: (secretKey: Uint8Array, message: Uint8Array) => p256.sign(message, secretKey),
  verify: (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => p256.verify(signature, message, publicKey),
  isPublicKey(publicKey: Uint8Array): boolean {
    p256.Point.fromBytes(publicKey).assertValidity();
    return true;
  },
});
