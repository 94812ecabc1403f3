// The card chip's persistent memory. EEPROM programs byte by byte, so a single byte write is
// the unit a power cut cannot split; everything larger goes through the transaction buffer.
import { PowerCutError } from '../hal/flash.js';

export interface Eeprom {
  readonly size: number;
  read(offset: number, length: number): Uint8Array;
  write(offset: number, data: Uint8Array): void;
}

/**
 * EEPROM held in RAM, for simulation and tests. `cutPowerAfter(n)` lets n more bytes be
 * programmed, then fails the next one with PowerCutError: the bytes before stay written, the
 * byte being programmed and the rest keep their old values.
 */
export class SimEeprom implements Eeprom {
  #bytes: Uint8Array;
  #budget: number | null = null;
  #programmed = 0;

  constructor(sizeOrImage: number | Uint8Array) {
    this.#bytes = typeof sizeOrImage === 'number' ? new Uint8Array(sizeOrImage) : sizeOrImage.slice();
  }

  get size(): number {
    return this.#bytes.length;
  }

  /** The whole memory, as a card image file stores it. */
  get bytes(): Uint8Array {
    return this.#bytes.slice();
  }

  /** Bytes programmed since creation: how long a command's writes are. */
  get bytesProgrammed(): number {
    return this.#programmed;
  }

  /** Arms a one-shot power cut after `count` more bytes; null disarms it. */
  cutPowerAfter(count: number | null): void {
    if (count !== null && (!Number.isInteger(count) || count < 0)) throw new RangeError(`cutPowerAfter needs a byte count >= 0, got ${count}`);
    this.#budget = count;
  }

  read(offset: number, length: number): Uint8Array {
    this.#check(offset, length);
    return this.#bytes.slice(offset, offset + length);
  }

  write(offset: number, data: Uint8Array): void {
    this.#check(offset, data.length);
    for (let i = 0; i < data.length; i++) {
      if (this.#budget !== null) {
        if (this.#budget === 0) {
          this.#budget = null;
          throw new PowerCutError(`power cut while programming EEPROM byte ${offset + i}`);
        }
        this.#budget--;
      }
      this.#bytes[offset + i] = data[i]!;
      this.#programmed++;
    }
  }

  #check(offset: number, length: number): void {
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > this.#bytes.length) {
      throw new RangeError(`EEPROM access ${offset}+${length} outside 0..${this.#bytes.length}`);
    }
  }
}
