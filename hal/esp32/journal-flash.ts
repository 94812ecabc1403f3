// The usage journal's NOR flash (DESIGN.md §5): its own partition of the ESP32's SPI flash
// (partitions.csv, data/spiffs-type entry named "journal"), through Moddable's `flash` module.
// ESP-IDF's esp_partition_write programs bits from 1 to 0 only and esp_partition_erase_range
// sets a whole 4 KiB sector to 0xFF (ESP-IDF programming guide, SPI flash API), which is the NOR
// contract of hal/flash.ts; firmware/journal relies on nothing else. The hotlist's partition
// ("hotlist", firmware/hotlist) is opened through the same class.
import type ModdableFlash from 'flash';
import type { Flash } from '../flash.js';

/** The part of Moddable's Flash the journal uses (no map(): reads are copies). */
export type FlashPartition = Pick<ModdableFlash, 'erase' | 'read' | 'write' | 'byteLength' | 'blockSize'>;

export interface JournalFlashOptions {
  /** Moddable's Flash class (new Flash(partition)) and the partition's name (moddable.json wiring.flash.partition). */
  readonly storage: { readonly io: new (partition: string) => FlashPartition; readonly partition: string };
}

export class JournalFlash implements Flash {
  readonly sectorSize: number;
  readonly sectorCount: number;
  readonly #flash: FlashPartition;

  constructor(options: JournalFlashOptions) {
    this.#flash = new options.storage.io(options.storage.partition);
    this.sectorSize = this.#flash.blockSize;
    this.sectorCount = Math.floor(this.#flash.byteLength / this.sectorSize);
    if (this.sectorCount < 1) throw new RangeError(`flash partition "${options.storage.partition}" holds no whole sector`);
  }

  read(offset: number, length: number): Uint8Array {
    this.#check(offset, length);
    // a copy: a HostBuffer mapped onto flash would change under the reader after a write
    return new Uint8Array(this.#flash.read(offset, length)).slice();
  }

  write(offset: number, data: Uint8Array): void {
    this.#check(offset, data.length);
    if (data.length > 0) this.#flash.write(offset, data.length, data);
  }

  eraseSector(sector: number): void {
    if (!Number.isSafeInteger(sector) || sector < 0 || sector >= this.sectorCount) throw new RangeError(`flash sector ${sector} does not exist (0..${this.sectorCount - 1})`);
    this.#flash.erase(sector);
  }

  #check(offset: number, length: number): void {
    const size = this.sectorSize * this.sectorCount;
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
      throw new RangeError(`flash access of ${length} bytes at offset ${offset} is outside the partition (0..${size})`);
    }
  }
}
