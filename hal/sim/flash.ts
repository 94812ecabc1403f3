// A NOR flash partition in memory, for the simulator and the journal tests. Engine-neutral (no
// Node API) so the journal scenarios can use it inside XS too; the simulator persists `image`.
//
// NOR rules: erased state is 0xFF, a write can only clear bits (new = old AND data), only a whole
// sector erase sets them again.
//
// Power cuts: cutPowerAfter(n) lets n more byte-steps complete, then tears the next one and throws
// PowerCutError. A write is one step per byte; an erase is sectorSize steps, erasing from the start
// of the sector. The torn step is left half done, as a real cell would be:
//   - a torn write byte gets only the bits of its high nibble cleared: old AND (data OR 0x0F);
//   - a torn erase leaves bytes [0, n) at 0xFF, byte n half erased (old OR 0xF0), the rest as before.
// After a cut the flash refuses every access (PowerCutError) until powerOn(), as the firmware would
// only see it again after a reboot.
import { PowerCutError, type Flash } from '../flash.js';

export interface SimFlashOptions {
  readonly sectorSize: number;
  readonly sectorCount: number;
  /** Contents to start from (a saved `image`); erased flash when absent. */
  readonly image?: Uint8Array;
}

const ERASED = 0xff;
const TORN_WRITE_KEEPS = 0x0f; // bits a torn write byte leaves set
const TORN_ERASE_SETS = 0xf0; // bits a torn erase byte has set

function positiveInteger(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`flash ${what} must be a positive integer, got ${value}`);
  return value;
}

export class SimFlash implements Flash {
  readonly sectorSize: number;
  readonly sectorCount: number;
  #bytes: Uint8Array;
  #budget: number | null = null; // byte-steps left before the cut, null: no cut planned
  #powered = true;
  #programmed = 0;
  #erased = 0;

  constructor(options: SimFlashOptions) {
    this.sectorSize = positiveInteger(options.sectorSize, 'sector size');
    this.sectorCount = positiveInteger(options.sectorCount, 'sector count');
    const size = this.sectorSize * this.sectorCount;
    if (options.image && options.image.length !== size) {
      throw new RangeError(`flash image is ${options.image.length} bytes, expected ${size} (${this.sectorCount} sectors of ${this.sectorSize})`);
    }
    this.#bytes = options.image ? options.image.slice() : new Uint8Array(size).fill(ERASED);
  }

  /** A copy of every byte, to save and later pass back as `image`. */
  get image(): Uint8Array {
    return this.#bytes.slice();
  }

  /** Bytes written since creation (torn bytes included), for tests that count flash wear. */
  get bytesProgrammed(): number {
    return this.#programmed;
  }

  /** Sector erases begun since creation (torn ones included). */
  get sectorsErased(): number {
    return this.#erased;
  }

  get powered(): boolean {
    return this.#powered;
  }

  /** Plans a power cut after `steps` more byte-steps; null cancels a planned cut. */
  cutPowerAfter(steps: number | null): void {
    if (steps !== null && (!Number.isSafeInteger(steps) || steps < 0)) throw new RangeError(`power cut step must be a non-negative integer, got ${steps}`);
    this.#budget = steps;
  }

  /** Power comes back: the flash answers again, with whatever the cut left in it. */
  powerOn(): void {
    this.#powered = true;
    this.#budget = null;
  }

  read(offset: number, length: number): Uint8Array {
    this.#checkPower();
    this.#checkRange(offset, length);
    return this.#bytes.slice(offset, offset + length);
  }

  write(offset: number, data: Uint8Array): void {
    this.#checkPower();
    this.#checkRange(offset, data.length);
    for (let i = 0; i < data.length; i++) {
      const torn = this.#step();
      this.#programmed++;
      this.#bytes[offset + i]! &= torn ? data[i]! | TORN_WRITE_KEEPS : data[i]!;
      if (torn) this.#cut();
    }
  }

  eraseSector(sector: number): void {
    this.#checkPower();
    if (!Number.isSafeInteger(sector) || sector < 0 || sector >= this.sectorCount) {
      throw new RangeError(`flash sector ${sector} does not exist (0..${this.sectorCount - 1})`);
    }
    this.#erased++;
    const start = sector * this.sectorSize;
    for (let i = 0; i < this.sectorSize; i++) {
      if (this.#step()) {
        this.#bytes[start + i]! |= TORN_ERASE_SETS;
        this.#cut();
      }
      this.#bytes[start + i] = ERASED;
    }
  }

  /** Spends one byte-step; true when this is the step the power fails on. */
  #step(): boolean {
    if (this.#budget === null) return false;
    if (this.#budget === 0) return true;
    this.#budget--;
    return false;
  }

  #cut(): never {
    this.#powered = false;
    this.#budget = null;
    throw new PowerCutError('power cut while the flash was busy');
  }

  #checkPower(): void {
    if (!this.#powered) throw new PowerCutError('flash has no power: call powerOn() first');
  }

  #checkRange(offset: number, length: number): void {
    const size = this.#bytes.length;
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
      throw new RangeError(`flash access of ${length} bytes at offset ${offset} is outside the partition (0..${size})`);
    }
  }
}
