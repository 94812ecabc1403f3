// Suite 2: Ed25519 (RFC 8032), 32-byte keys and 64-byte signatures. The curve arithmetic comes
// from the platform's provider (./ed25519-curve.js: @noble on hosts, ed25519-reference.ts on the
// device).
import { ED25519 } from './ed25519-curve.js';
import { decodedVerifier, keptSigner, type KeyPair, type RandomBytes, type SignatureSuite, type Signer, type Verifier } from './suite.js';

export const ed25519: SignatureSuite = Object.freeze({
  id: 2,
  name: 'Ed25519',
  generateKeyPair(random: RandomBytes): KeyPair {
    const secretKey = random(32);
    return { secretKey, publicKey: ED25519.publicKey(secretKey) };
  },
  sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
    return ED25519.sign(secretKey, message);
  },
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    if (signature.length !== 64 || publicKey.length !== 32) return false;
    try {
      return ED25519.verify(publicKey, message, signature);
    } catch {
      return false;
    }
  },
  isPublicKey(publicKey: Uint8Array): boolean {
    if (publicKey.length !== 32) return false;
    try {
      return ED25519.isPublicKey(publicKey);
    } catch {
      return false;
    }
  },
  verifier(publicKey: Uint8Array): Verifier | null {
    return decodedVerifier(publicKey, 32, 64, ED25519.verifier); // the point decompressed once
  },
  signer(secretKey: Uint8Array): Signer {
    return keptSigner(secretKey, ED25519.sign);
  },
});
