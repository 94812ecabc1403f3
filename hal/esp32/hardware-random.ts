// The Random HAL on the board: the ESP32's hardware RNG (ESP32 Technical Reference Manual §25,
// Random Number Generator; ESP-IDF esp_fill_random). Its output is true random only while the RF
// subsystem (Wi-Fi or Bluetooth) runs or after bootloader_random_enable() (ESP-IDF random
// number generation guide); this terminal has no radio on, so the native side of `fill` must
// enable that source before the first draw.
//
// A continuous test guards against a stuck source (FIPS 140-2 §4.9.2, continuous random number
// generator test): every 8-byte block drawn is compared with the block before it, and a repeat
// throws instead of handing the same "random" challenge or key to the caller twice.
import type { Random } from '../random.js';

const BLOCK = 8; // bytes compared by the continuous test

export class RandomSourceError extends Error {
  override name = 'RandomSourceError';
}

export interface HardwareRandomOptions {
  /** Fills the array with bytes from the hardware RNG (a native binding of esp_fill_random). */
  readonly fill: (target: Uint8Array) => void;
}

export class HardwareRandom implements Random {
  readonly #fill: (target: Uint8Array) => void;
  #previous: Uint8Array | null = null;

  constructor(options: HardwareRandomOptions) {
    this.#fill = options.fill;
  }

  bytes(length: number): Uint8Array {
    if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`random length must be a non-negative integer, got ${length}`);
    const blocks = new Uint8Array(Math.ceil(length / BLOCK) * BLOCK || BLOCK);
    this.#fill(blocks);
    for (let offset = 0; offset < blocks.length; offset += BLOCK) {
      const block = blocks.subarray(offset, offset + BLOCK);
      if (this.#previous && block.every((byte, i) => byte === this.#previous![i])) {
        throw new RandomSourceError('hardware RNG repeated a block: the source is stuck');
      }
      this.#previous = block.slice();
    }
    return blocks.slice(0, length);
  }
}
