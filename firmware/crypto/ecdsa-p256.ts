// Suite 1: ECDSA over P-256 with SHA-256 (FIPS 186-5), compact r‖s signatures, compressed keys.
// The curve arithmetic comes from the platform's provider (./p256.js: @noble on hosts, the SDK's
// native ECDSA on the device).
import { P256 } from './p256.js';
import { decodedVerifier, keptSigner, type KeyPair, type RandomBytes, type SignatureSuite, type Signer, type Verifier } from './suite.js';

export const ecdsaP256: SignatureSuite = Object.freeze({
  id: 1,
  name: 'ECDSA P-256 / SHA-256',
  generateKeyPair(random: RandomBytes): KeyPair {
    const secretKey = P256.secretKeyFromSeed(random(48));
    return { secretKey, publicKey: P256.publicKey(secretKey) };
  },
  sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
    return P256.sign(secretKey, message);
  },
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    if (signature.length !== 64 || publicKey.length !== 33) return false;
    try {
      return P256.verify(publicKey, message, signature);
    } catch {
      return false;
    }
  },
  isPublicKey(publicKey: Uint8Array): boolean {
    if (publicKey.length !== 33) return false;
    try {
      return P256.isPublicKey(publicKey);
    } catch {
      return false;
    }
  },
  verifier(publicKey: Uint8Array): Verifier | null {
    return decodedVerifier(publicKey, 33, 64, P256.verifier); // the point decompressed once
  },
  signer(secretKey: Uint8Array): Signer {
    return keptSigner(secretKey, P256.sign);
  },
});
