// The cryptographic primitives the signature suites are built on, as one interface per provider
// module. Each platform brings its own implementation under the same module name: on hosts
// (Node, xsnap) @noble (firmware/crypto/hash.ts, p256.ts, ed25519-curve.ts) and JavaScript BigInt
// (modular.ts); on the device the
// Moddable SDK's native `crypt` (hal/moddable/*), chosen by the manifest (manifests/terminal.json),
// so the suites and everything above them are the same code on every platform.

/** Message digests and HMAC (FIPS 180-4, RFC 2104). Inputs and outputs are bytes. */
export interface HashPrimitives {
  /** 32 bytes. */
  sha256(data: Uint8Array): Uint8Array;
  /** 64 bytes. */
  sha512(data: Uint8Array): Uint8Array;
  /** 20 bytes; only the published ESIGN vectors use it. */
  sha1(data: Uint8Array): Uint8Array;
  /** HMAC-SHA-256, 32 bytes. */
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array;
}

/**
 * ECDSA over P-256 with SHA-256 (FIPS 186-5). Secret keys are 32 bytes, public keys 33 bytes
 * (SEC 1 compressed), signatures 64 bytes r ‖ s with s ≤ n/2 (low S). Every function may throw
 * on malformed input; the suite (ecdsa-p256.ts) turns that into `false`.
 */
export interface P256Primitives {
  /** A secret key from 48 random bytes (reduced mod n − 1, plus 1: FIPS 186-5 A.2.1). */
  secretKeyFromSeed(seed: Uint8Array): Uint8Array;
  publicKey(secretKey: Uint8Array): Uint8Array;
  /** Hashes `message` with SHA-256 and signs the digest. */
  sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array;
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
  /** verify() with the key decompressed once: throws on a malformed key; the function answers as verify(publicKey, ...) would. */
  verifier(publicKey: Uint8Array): (message: Uint8Array, signature: Uint8Array) => boolean;
  /** A point on the curve, not the identity. */
  isPublicKey(publicKey: Uint8Array): boolean;
  /**
   * ECDH (SEC 1 §3.3.1, as ECKA-DH in BSI TR-03111): the x coordinate of d·Q, 32 bytes. Throws
   * RangeError on a malformed key or a point not on the curve.
   */
  sharedSecret(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array;
}

/**
 * AES (FIPS 197) with 128-bit keys, in the modes secure messaging needs: CBC without padding
 * (SP 800-38A; data a multiple of 16 bytes, the caller pads), one ECB block, and CMAC
 * (SP 800-38B, RFC 4493; 16-byte tag). Throws RangeError on a wrong key, IV or data length.
 */
export interface AesPrimitives {
  cbcEncrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array;
  cbcDecrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array;
  encryptBlock(key: Uint8Array, block: Uint8Array): Uint8Array;
  cmac(key: Uint8Array, data: Uint8Array): Uint8Array;
}

/**
 * Ed25519 (RFC 8032 §5.1): 32-byte secret seeds and public keys, 64-byte signatures. Verification
 * is the cofactorless equation [S]B = R + [k]A with S < L and canonical encodings.
 */
export interface Ed25519Primitives {
  publicKey(secretKey: Uint8Array): Uint8Array;
  sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array;
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
  /** verify() with the key decoded once: throws when verify() would refuse every signature for this key. */
  verifier(publicKey: Uint8Array): (message: Uint8Array, signature: Uint8Array) => boolean;
  isPublicKey(publicKey: Uint8Array): boolean;
}

/**
 * Modular arithmetic on BigInt for ESIGN (P1363 §A.2.2) that the device has in C and that pays
 * there: the inverse (signing's 1/(e·r^e) mod p; 8.5 M RV32 instructions in JavaScript, 0.85 M in
 * the SDK's C). Exponentiation stays JavaScript with Barrett reduction (bigint.ts modPowPrepared):
 * the SDK's native Montgomery exponentiation measured slower on the RV32 target.
 */
export interface ModularPrimitives {
  /** a⁻¹ mod m in [0, m); m > 1, any a. RangeError when gcd(a, m) ≠ 1 or m ≤ 1. */
  modInverse(a: bigint, m: bigint): bigint;
}
