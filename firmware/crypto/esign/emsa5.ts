// EMSA5 (IEEE P1363a §12.1): the message representative is MGF1 of the message hash, cut to the
// representative's bit length. The hash is part of the key (see ../esign.ts for the encodings).
import { bitMask, bytesToBigInt as bytesToNumberBE } from '../bigint.js';
import { HASHES as DIGESTS } from '../hash.js';

/** Hash ids as they appear in ESIGN key encodings. SHA-1 exists only for the published vectors. */
export const ESIGN_HASH = Object.freeze({ SHA1: 1, SHA256: 2 } as const);
export type EsignHashId = (typeof ESIGN_HASH)[keyof typeof ESIGN_HASH];

const HASHES: Readonly<Record<EsignHashId, (message: Uint8Array) => Uint8Array>> = Object.freeze({
  [ESIGN_HASH.SHA1]: (message: Uint8Array) => DIGESTS.sha1(message),
  [ESIGN_HASH.SHA256]: (message: Uint8Array) => DIGESTS.sha256(message),
});

export function isHashId(id: number): id is EsignHashId {
  return id === ESIGN_HASH.SHA1 || id === ESIGN_HASH.SHA256;
}

export function hashMessage(hash: EsignHashId, message: Uint8Array): Uint8Array {
  return HASHES[hash](message);
}

/** MGF1 (P1363 §14.2.1, as PKCS #1 B.2.1): Hash(seed ‖ I2OSP(counter, 4)) blocks, `length` bytes. */
export function mgf1(hash: EsignHashId, seed: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  // One input, seed ‖ counter, its last four bytes rewritten for each block.
  const input = new Uint8Array(seed.length + 4);
  input.set(seed);
  const at = seed.length;
  for (let counter = 0, filled = 0; filled < length; counter++) {
    input[at] = counter >>> 24;
    input[at + 1] = (counter >>> 16) & 0xff;
    input[at + 2] = (counter >>> 8) & 0xff;
    input[at + 3] = counter & 0xff;
    const digest = HASHES[hash](input);
    out.set(digest.subarray(0, Math.min(digest.length, length - filled)), filled);
    filled += digest.length;
  }
  return out;
}

/** EMSA5 encoding of an already hashed message: f = MGF1(H(M)) as an integer of `bits` bits. */
export function emsa5FromDigest(hash: EsignHashId, digest: Uint8Array, bits: number): bigint {
  const bytes = mgf1(hash, digest, Math.ceil(bits / 8));
  return bytesToNumberBE(bytes) & bitMask(bits);
}

export function emsa5(hash: EsignHashId, message: Uint8Array, bits: number): bigint {
  return emsa5FromDigest(hash, hashMessage(hash, message), bits);
}
