// Hash provider for hosts (Node, xsnap): @noble/hashes. The device build maps this module to
// hal/moddable/hash.ts, the SDK's native digests (firmware/crypto/primitives.ts says why).
import { hmac } from '@noble/hashes/hmac.js';
import { sha1 as nobleSha1 } from '@noble/hashes/legacy.js';
import { sha256 as nobleSha256, sha512 as nobleSha512 } from '@noble/hashes/sha2.js';
import type { HashPrimitives } from './primitives.js';

export const HASHES: HashPrimitives = Object.freeze({
  sha256: (data: Uint8Array) => nobleSha256(data),
  sha512: (data: Uint8Array) => nobleSha512(data),
  sha1: (data: Uint8Array) => nobleSha1(data),
  hmacSha256: (key: Uint8Array, data: Uint8Array) => hmac(nobleSha256, key, data),
});

/** SHA-256 (FIPS 180-4), 32 bytes. */
export function sha256(data: Uint8Array): Uint8Array {
  return HASHES.sha256(data);
}
