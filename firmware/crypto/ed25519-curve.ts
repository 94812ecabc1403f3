// Ed25519 provider for hosts (Node, xsnap): @noble/curves. The device build maps this module to
// firmware/crypto/ed25519-reference.ts: the SDK has no native Ed25519, and @noble's keeps
// mutable module-level caches that cannot live in a preloaded (flash) module.
import { ed25519 } from '@noble/curves/ed25519.js';
import type { Ed25519Primitives } from './primitives.js';

export const ED25519: Ed25519Primitives = Object.freeze({
  publicKey: (secretKey: Uint8Array) => ed25519.getPublicKey(secretKey),
  sign: (secretKey: Uint8Array, message: Uint8Array) => ed25519.sign(message, secretKey),
  verify: (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => ed25519.verify(signature, message, publicKey),
  isPublicKey(publicKey: Uint8Array): boolean {
    ed25519.Point.fromBytes(publicKey).assertValidity();
    return true;
  },
});
