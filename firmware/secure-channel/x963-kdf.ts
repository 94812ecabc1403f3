// The key derivation function of ANSI X9.63 (SEC 1 §3.6.1) with SHA-256, as GlobalPlatform
// Amendment F (SCP11) §3.1.2 uses it to turn the two ECDH secrets into session keys.
import { sha256 } from '../crypto/hash.js';
import { concatBytes, uint32 } from '../protocol/bytes.js';

const HASH_BYTES = 32;

/**
 * K = H(Z ‖ 00000001 ‖ info) ‖ H(Z ‖ 00000002 ‖ info) ‖ …, cut to `length` bytes.
 * `sharedSecret` Z and `sharedInfo` are bytes; throws RangeError for a length of 0 or more than
 * 255 hash blocks (SEC 1's limit is far above what any session needs).
 */
export function x963Kdf(sharedSecret: Uint8Array, sharedInfo: Uint8Array, length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 1 || length > 255 * HASH_BYTES) throw new RangeError(`X9.63 KDF length ${length} out of range`);
  const out = new Uint8Array(length);
  for (let counter = 1, offset = 0; offset < length; counter++, offset += HASH_BYTES) {
    const block = sha256(concatBytes(sharedSecret, uint32(counter), sharedInfo));
    out.set(block.subarray(0, Math.min(HASH_BYTES, length - offset)), offset);
  }
  return out;
}
