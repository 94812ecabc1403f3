// Writes a new list into the bank that is not current (layout.ts), one sector a step: the new list
// is the current bank's list with the net changes merged in, read and written sector by sector so
// that RAM holds two sectors at most (8 KiB on the board), never the list. Until the last step
// clears the commit byte the current bank is untouched and is what the terminal reads.
import type { Flash } from '../../hal/flash.js';
import { compareIdu, IDU_LENGTH } from './card-numbers.js';
import type { ChangeMessage } from './change-list.js';
import { DataCrc, dataMatches, dataSector, encodeHeader, headerSector, HOTLIST_LAYOUT, type BankHeader, type HotlistGeometry } from './layout.js';

/** The flash did not keep what was written (read back before the commit); nothing was committed. */
export class HotlistWriteError extends Error {
  override name = 'HotlistWriteError';
}

/**
 * The list a bank write produces: the old bank's list (or none) less `removed`, plus `added`, both
 * net changes in rising order (no added card is in the old list; a removed one may not be).
 */
export interface BankContent extends Pick<ChangeMessage, 'version' | 'added' | 'removed'> {
  readonly seed: number;
  /** Cards in the new list: checked against what the merge gives. */
  readonly count: number;
}

/** The old list, read one data sector at a time: the next card is bytes[at..at+8). */
class BankReader {
  readonly #flash: Flash;
  readonly #geometry: HotlistGeometry;
  readonly #bank: number;
  #left: number; // cards not yet loaded
  #sector = 0;
  bytes: Uint8Array = new Uint8Array(0);
  at = 0;

  constructor(flash: Flash, geometry: HotlistGeometry, bank: number, count: number) {
    this.#flash = flash;
    this.#geometry = geometry;
    this.#bank = bank;
    this.#left = count;
  }

  /** Whether a card is left, loading the next sector when this one is used up. */
  more(): boolean {
    if (this.at < this.bytes.length) return true;
    if (this.#left === 0) return false;
    const entries = Math.min(this.#left, this.#geometry.entriesPerSector);
    this.bytes = this.#flash.read(dataSector(this.#geometry, this.#bank, this.#sector) * this.#geometry.sectorSize, entries * IDU_LENGTH);
    this.#sector++;
    this.#left -= entries;
    this.at = 0;
    return true;
  }
}

export class BankWriter {
  readonly #flash: Flash;
  readonly #geometry: HotlistGeometry;
  readonly #bank: number;
  readonly #generation: number;
  readonly #content: BankContent;
  readonly #old: BankReader | null;
  readonly #sectors: number;
  readonly #index: Uint8Array;
  readonly #crc: DataCrc;
  #added = 0;
  #removed = 0;
  #written = 0; // cards written so far
  #sector = -1; // -1: the header sector is still to be erased
  #committed = false;

  /**
   * Prepares writing `content` into `bank` under `generation`, merging it with the list of
   * `oldBank` (its header `old`), or with no list when null. Writes nothing yet.
   */
  constructor(flash: Flash, geometry: HotlistGeometry, bank: number, generation: number, content: BankContent, oldBank: number | null, old: BankHeader | null) {
    this.#flash = flash;
    this.#geometry = geometry;
    this.#bank = bank;
    this.#generation = generation;
    this.#content = content;
    this.#old = oldBank === null || !old ? null : new BankReader(flash, geometry, oldBank, old.count);
    this.#sectors = Math.ceil(content.count / geometry.entriesPerSector);
    this.#index = new Uint8Array(this.#sectors * IDU_LENGTH);
    this.#crc = new DataCrc(geometry);
  }

  get committed(): boolean {
    return this.#committed;
  }

  /** Flash steps left: the header erase, one per data sector, the commit. */
  get stepsLeft(): number {
    return this.#committed ? 0 : this.#sectors - this.#sector + 1;
  }

  /**
   * One step: erase the bank's header sector, or fill, erase and write one data sector, or (last)
   * read the data back, write the header and then clear its commit byte. Returns the header once
   * committed, else null. Throws HotlistWriteError when the data does not read back as written, and
   * what the flash throws (PowerCutError); either way the current bank is still whole.
   */
  step(): BankHeader | null {
    if (this.#committed) throw new Error('this hotlist update is already committed');
    const geometry = this.#geometry;
    if (this.#sector < 0) {
      this.#flash.eraseSector(headerSector(geometry, this.#bank));
    } else if (this.#sector < this.#sectors) {
      const entries = Math.min(geometry.entriesPerSector, this.#content.count - this.#written);
      const out = new Uint8Array(entries * IDU_LENGTH);
      for (let i = 0; i < entries; i++) {
        if (!this.#copyNext(out, i * IDU_LENGTH)) throw new Error(`hotlist merge ends before the ${this.#content.count} cards planned`);
      }
      this.#index.set(out.subarray(0, IDU_LENGTH), this.#sector * IDU_LENGTH);
      this.#crc.add(out);
      const sector = dataSector(geometry, this.#bank, this.#sector);
      this.#flash.eraseSector(sector);
      this.#flash.write(sector * geometry.sectorSize, out);
      this.#written += entries;
    } else {
      return this.#commit();
    }
    this.#sector++;
    return null;
  }

  #commit(): BankHeader {
    if (this.#copyNext(new Uint8Array(IDU_LENGTH), 0)) throw new Error(`hotlist merge gives more than the ${this.#content.count} cards planned`);
    const header: BankHeader = Object.freeze({
      generation: this.#generation, version: this.#content.version, count: this.#content.count, seed: this.#content.seed,
      dataCrc: this.#crc.done(), index: this.#index,
    });
    // Read back before committing: a sector the flash did not program as told is never committed.
    if (!dataMatches(this.#flash, this.#geometry, this.#bank, header)) throw new HotlistWriteError(`hotlist bank ${this.#bank === 0 ? 'A' : 'B'} does not read back as written: a flash fault; the old list stays`);
    const start = headerSector(this.#geometry, this.#bank) * this.#geometry.sectorSize;
    this.#flash.write(start + 1, encodeHeader(header));
    this.#flash.write(start + HOTLIST_LAYOUT.COMMIT_AT, Uint8Array.of(HOTLIST_LAYOUT.COMMITTED));
    this.#committed = true;
    return header;
  }

  /**
   * Copies the next card of (old less removed) merged with added to `out[to..to+8)`; false at the
   * end. No allocation per card: the device merges 100,000 of them.
   */
  #copyNext(out: Uint8Array, to: number): boolean {
    const { added, removed } = this.#content;
    const old = this.#old;
    for (;;) {
      const hasOld = old !== null && old.more();
      const add = this.#added < added.length ? added[this.#added]! : null;
      if (!hasOld && add === null) return false;
      if (!hasOld || (add !== null && compareIdu(add, 0, old!.bytes, old!.at) < 0)) {
        out.set(add!, to);
        this.#added++;
        return true;
      }
      const { bytes, at } = old!;
      while (this.#removed < removed.length && compareIdu(removed[this.#removed]!, 0, bytes, at) < 0) this.#removed++;
      old!.at += IDU_LENGTH;
      if (this.#removed < removed.length && compareIdu(removed[this.#removed]!, 0, bytes, at) === 0) continue;
      for (let i = 0; i < IDU_LENGTH; i++) out[to + i] = bytes[at + i]!;
      return true;
    }
  }
}
