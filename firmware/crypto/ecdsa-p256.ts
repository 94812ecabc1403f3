// Suite 1: ECDSA over P-256 with SHA-256 (FIPS 186-5), compact r‖s signatures, compressed keys.
// Signing is deterministic (RFC 6979), so the card needs no random source to sign.
import { p256 } from '@noble/curves/nist.js';
import type { KeyPair, RandomBytes, SignatureSuite } from './suite.js';

export const ecdsaP256: SignatureSuite = Object.freeze({
  id: 1,
  name: 'ECDSA P-256 / SHA-256',
  generateKeyPair(random: RandomBytes): KeyPair {
    const secretKey = p256.utils.randomSecretKey(random(48));
    return { secretKey, publicKey: p256.getPublicKey(secretKey, true) };
  },
  sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
    return p256.sign(message, secretKey);
  },
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    if (signature.length !== 64) return false;
    try {
      return p256.verify(signature, message, publicKey);
    } catch {
      return false;
    }
  },
  isPublicKey(publicKey: Uint8Array): boolean {
    if (publicKey.length !== 33) return false;
    try {
      p256.Point.fromBytes(publicKey).assertValidity();
      return true;
    } catch {
      return false;
    }
  },
});
