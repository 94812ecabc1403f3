/// <reference path="./natives.d.ts" />
// P-256 provider for the device runner's model of the device (tools/bench/device.ts bundles it in
// place of firmware/crypto/p256.ts): ECDSA (FIPS 186-5, SEC 1 §4.1) in the runner's native C, as
// the device's is the Moddable SDK's native `ecdsa`; SHA-256 of the message through the hash
// provider (native too). Same exports and checks as firmware/crypto/p256.ts and
// hal/moddable/p256.ts: 33-byte compressed keys, 64-byte r ‖ s, low S only.
import { bigIntToBytes, bytesToBigInt } from '../../../firmware/crypto/bigint.js';
import { sha256 } from '../../../firmware/crypto/hash.js';
import type { P256Primitives } from '../../../firmware/crypto/primitives.js';

/** FIPS 186-5 D.1.2.3: the group order n. */
const ORDER = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');

/** The bytes as an ArrayBuffer of their own (the natives take ArrayBuffers). */
function bufferOf(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer as ArrayBuffer;
}

export const P256: P256Primitives = Object.freeze({
  secretKeyFromSeed: (seed: Uint8Array) => bigIntToBytes((bytesToBigInt(seed) % (ORDER - 1n)) + 1n, 32),
  publicKey: (secretKey: Uint8Array) => new Uint8Array(nativeP256PublicKey(bufferOf(secretKey))),
  sign: (secretKey: Uint8Array, message: Uint8Array) => new Uint8Array(nativeP256Sign(bufferOf(secretKey), bufferOf(sha256(message)))),
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    if (publicKey.length !== 33 || signature.length !== 64) return false;
    return nativeP256Verify(bufferOf(publicKey), bufferOf(sha256(message)), bufferOf(signature));
  },
  verifier(publicKey: Uint8Array): (message: Uint8Array, signature: Uint8Array) => boolean {
    const key = bufferOf(publicKey);
    if (publicKey.length !== 33 || !nativeP256IsPublicKey(key)) throw new RangeError('P-256 public key: not a compressed point on the curve');
    return (message, signature) => signature.length === 64 && nativeP256Verify(key, bufferOf(sha256(message)), bufferOf(signature));
  },
  isPublicKey(publicKey: Uint8Array): boolean {
    if (!nativeP256IsPublicKey(bufferOf(publicKey))) throw new RangeError('P-256 public key: not a point on the curve');
    return true;
  },
  sharedSecret: (secretKey: Uint8Array, publicKey: Uint8Array) => new Uint8Array(nativeP256SharedSecret(bufferOf(secretKey), bufferOf(publicKey))),
});
