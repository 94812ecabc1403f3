// Suite 2: Ed25519 (RFC 8032), 32-byte keys and 64-byte signatures.
import { ed25519 as curve } from '@noble/curves/ed25519.js';
import type { KeyPair, RandomBytes, SignatureSuite } from './suite.js';

export const ed25519: SignatureSuite = Object.freeze({
  id: 2,
  name: 'Ed25519',
  generateKeyPair(random: RandomBytes): KeyPair {
    const secretKey = random(32);
    return { secretKey, publicKey: curve.getPublicKey(secretKey) };
  },
  sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
    return curve.sign(message, secretKey);
  },
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    if (signature.length !== 64 || publicKey.length !== 32) return false;
    try {
      return curve.verify(signature, message, publicKey);
    } catch {
      return false;
    }
  },
  isPublicKey(publicKey: Uint8Array): boolean {
    if (publicKey.length !== 32) return false;
    try {
      curve.Point.fromBytes(publicKey).assertValidity();
      return true;
    } catch {
      return false;
    }
  },
});
