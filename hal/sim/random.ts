// A deterministic random source for simulation and tests: SHA-256 in counter mode over a seed.
// Same seed, same cards and keys, so a scripted session replays byte for byte.
import { sha256 } from '../../firmware/crypto/hash.js';
import { asciiBytes, concatBytes, uint32 } from '../../firmware/protocol/bytes.js';
import type { Random } from '../random.js';

export class SeededRandom implements Random {
  #seed: Uint8Array;
  #counter = 0;

  constructor(seed: Uint8Array | string) {
    this.#seed = typeof seed === 'string' ? asciiBytes(seed) : seed.slice();
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let filled = 0; filled < length; filled += 32) {
      const block = sha256(concatBytes(this.#seed, uint32(this.#counter++)));
      out.set(block.subarray(0, Math.min(32, length - filled)), filled);
    }
    return out;
  }

  /** The same source as a plain function, the shape the crypto suites take. */
  get source(): (length: number) => Uint8Array {
    return (length) => this.bytes(length);
  }
}
