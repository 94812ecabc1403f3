// The terminal's hotlist in flash (patent [0019]; docs/upload-protocol.md): the card numbers IDU
// the issuer has blocked, looked up at every insertion, replaced by the issuer-signed change lists
// the centre relays. Layout and power-cut argument: layout.ts. Engine-neutral (runs on XS): the
// flash is the HAL's, RAM holds the header's index of sector first keys (8 bytes a data sector,
// 1,592 bytes for the board's 101,888 cards) and no module-level state.
//
// Lookup: the index (in RAM) names the one data sector the card can be in; a binary search over
// that sector's entries reads 8 bytes a probe: at most ceil(log2(entriesPerSector)) = 9 reads (72
// bytes) on 4 KiB sectors, none for a card below the first listed or equal to a sector's first.
import type { Flash } from '../../hal/flash.js';
import { crc32 } from '../journal/crc32.js';
import { BankWriter, type BankContent } from './bank-writer.js';
import { compareIdu, IDU_LENGTH, iduFromHex, sortedCardNumbers } from './card-numbers.js';
import type { ChangeList, IssuerKeys } from './change-list.js';
import { foldChanges, type NetChange } from './changes.js';
import { dataMatches, dataSector, hotlistGeometry, readHeader, type BankHeader, type HotlistGeometry } from './layout.js';
import { HOTLIST_PROBLEM, HotlistRefusedError } from './refusal.js';

/** What insertion asks of a hotlist (firmware/terminal/insertion.ts). */
export interface HotlistLookup {
  /** Whether the 8-byte card number IDU is listed. */
  contains(cardNumber: Uint8Array): boolean;
}

/** What applyAll() did with an answer's change lists. */
export interface HotlistOutcome {
  /** The version held now. */
  readonly version: number;
  /** Change lists applied, from the first given. */
  readonly applied: number;
  /** Why the next one was refused (it and those after it are not applied); null when none was. */
  readonly refused: NetChange['refused'];
}

/**
 * An update written one flash step at a time (HotlistStore.begin), so a terminal can spread a
 * large one over its idle time; lookups meanwhile see the old list. step() returns true once the
 * new list is committed and the store reads it.
 */
export interface HotlistUpdate {
  readonly outcome: HotlistOutcome;
  /** Flash steps left (a sector erase and write each); 0 once committed. */
  readonly stepsLeft: number;
  step(): boolean;
}

function seedOf(cards: readonly Uint8Array[]): number {
  const bytes = new Uint8Array(cards.length * IDU_LENGTH);
  for (let i = 0; i < cards.length; i++) bytes.set(cards[i]!, i * IDU_LENGTH);
  return crc32(bytes);
}

export class HotlistStore implements HotlistLookup {
  readonly #flash: Flash;
  readonly geometry: HotlistGeometry;
  /** Banks found committed but not whole (their data CRC or index does not match), for the log. */
  readonly damage: readonly string[];
  #bank: number | null;
  #header: BankHeader | null;
  #busy = false;

  private constructor(flash: Flash, geometry: HotlistGeometry, bank: number | null, header: BankHeader | null, damage: readonly string[]) {
    this.#flash = flash;
    this.geometry = geometry;
    this.#bank = bank;
    this.#header = header;
    this.damage = damage;
  }

  /**
   * The list on `flash`: the committed bank with the highest generation whose data checks (reads
   * both headers and the chosen bank's data once); an empty list at version 0 when there is none.
   * Writes nothing. Throws HotlistLayoutError for a partition too small for a hotlist, and what
   * the flash throws.
   */
  static open(flash: Flash): HotlistStore {
    const geometry = hotlistGeometry(flash);
    const candidates: { bank: number; header: BankHeader }[] = [];
    for (let bank = 0; bank < 2; bank++) {
      const header = readHeader(flash, geometry, bank);
      if (header) candidates.push({ bank, header });
    }
    candidates.sort((a, b) => b.header.generation - a.header.generation);
    const damage: string[] = [];
    for (const { bank, header } of candidates) {
      if (dataMatches(flash, geometry, bank, header)) return new HotlistStore(flash, geometry, bank, header, Object.freeze(damage));
      damage.push(`hotlist bank ${bank === 0 ? 'A' : 'B'} (version ${header.version}, generation ${header.generation}): its data does not match its header`);
    }
    return new HotlistStore(flash, geometry, null, null, Object.freeze(damage));
  }

  /** Cards the partition holds at most. */
  get capacity(): number {
    return this.geometry.capacity;
  }

  /** The hotlist version held: 0 for the provisioned list, or when nothing was ever written. */
  get version(): number {
    return this.#header?.version ?? 0;
  }

  /** Cards listed. */
  get count(): number {
    return this.#header?.count ?? 0;
  }

  /** Whether a list was ever committed to this partition (else the store is empty, version 0). */
  get stored(): boolean {
    return this.#header !== null;
  }

  /**
   * Whether `cardNumber` (8 bytes) is listed: no read when the card sorts below the first listed
   * or is a sector's first key, else at most ceil(log2(entriesPerSector)) reads of 8 bytes.
   * RangeError for a card number that is not 8 bytes.
   */
  contains(cardNumber: Uint8Array): boolean {
    if (cardNumber.length !== IDU_LENGTH) throw new RangeError(`a card number (IDU) is ${IDU_LENGTH} bytes, got ${cardNumber.length}`);
    const header = this.#header;
    if (!header || header.count === 0) return false;
    const index = header.index;
    if (compareIdu(cardNumber, 0, index, 0) < 0) return false;
    let low = 0;
    let high = index.length / IDU_LENGTH - 1;
    while (low < high) { // the last sector whose first key is <= the card
      const middle = (low + high + 1) >> 1;
      if (compareIdu(index, middle * IDU_LENGTH, cardNumber, 0) <= 0) low = middle;
      else high = middle - 1;
    }
    if (compareIdu(index, low * IDU_LENGTH, cardNumber, 0) === 0) return true;
    const { entriesPerSector, sectorSize } = this.geometry;
    const base = dataSector(this.geometry, this.#bank!, low) * sectorSize;
    let first = 1;
    let last = Math.min(entriesPerSector, header.count - low * entriesPerSector) - 1;
    while (first <= last) {
      const middle = (first + last) >> 1;
      const order = compareIdu(this.#flash.read(base + middle * IDU_LENGTH, IDU_LENGTH), 0, cardNumber, 0);
      if (order === 0) return true;
      if (order < 0) first = middle + 1;
      else last = middle - 1;
    }
    return false;
  }

  /** Every listed card in rising order, 8 bytes each (count × 8 bytes; for tests and diagnostics). */
  readList(): Uint8Array {
    const out = new Uint8Array(this.count * IDU_LENGTH);
    const { entriesPerSector, sectorSize } = this.geometry;
    for (let j = 0, at = 0; at < out.length; j++) {
      const bytes = this.#flash.read(dataSector(this.geometry, this.#bank!, j) * sectorSize, Math.min(entriesPerSector * IDU_LENGTH, out.length - at));
      out.set(bytes, at);
      at += bytes.length;
    }
    return out;
  }

  /**
   * Makes the provisioned card numbers (hex, as TerminalConfig.hotlist holds them) the list at
   * version 0, unless the flash already holds this provisioning's list (at any version: the
   * changes since are kept). A terminal provisioned again with other cards starts again from
   * them at version 0, and the centre sends the changes since. Returns whether it wrote.
   * Throws RangeError for an entry that is not 16 hex digits, HotlistRefusedError OVER_CAPACITY
   * for more cards than the partition holds, and what the flash throws.
   */
  provision(cardNumbers: readonly string[]): boolean {
    const cards = sortedCardNumbers(cardNumbers.map((hex, i) => iduFromHex(hex, `hotlist[${i}]`)), 'hotlist');
    const seed = seedOf(cards);
    if (this.#header && this.#header.seed === seed) return false;
    if (cards.length > this.capacity) {
      throw new HotlistRefusedError(HOTLIST_PROBLEM.OVER_CAPACITY, `the provisioned hotlist has ${cards.length} cards, the flash holds ${this.capacity}`);
    }
    this.#run(this.#writer({ version: 0, seed, count: cards.length, added: cards, removed: [] }, false));
    return true;
  }

  /**
   * Applies one change list (DF02 bytes or decoded): the next version, signed by an issuer key
   * `keys` holds. Throws ChangeListError for bytes that are not a change list, HotlistRefusedError
   * (UNKNOWN_KEY, BAD_SIGNATURE, WRONG_VERSION, OVER_CAPACITY, BUSY) for one that is refused,
   * HotlistWriteError (bank-writer.ts) when the new bank does not read back as written, and what
   * the flash throws; after any of them the flash holds the old list.
   */
  apply(changeList: Uint8Array | ChangeList, keys: IssuerKeys): void {
    const update = this.begin([changeList], keys);
    if (update.outcome.refused) throw update.outcome.refused;
    while (!update.step());
  }

  /**
   * Applies the change lists of an upload answer in order, stopping at the first refused, with
   * one bank write for all of them (old list or the last version applied, never one between).
   * Refusals come back in the outcome; throws only what the flash throws, HotlistWriteError and BUSY.
   */
  applyAll(changeLists: readonly (Uint8Array | ChangeList)[], keys: IssuerKeys): HotlistOutcome {
    const update = this.begin(changeLists, keys);
    while (!update.step());
    return update.outcome;
  }

  /**
   * applyAll() in steps: checks the change lists now (decoding, versions, signatures, capacity:
   * flash reads only), then writes one step per step() call. Until the last step commits, lookups
   * see the old list, and begin() on this store throws HotlistRefusedError BUSY. When nothing
   * applies, the first step() returns true and nothing is written.
   */
  begin(changeLists: readonly (Uint8Array | ChangeList)[], keys: IssuerKeys): HotlistUpdate {
    if (this.#busy) throw new HotlistRefusedError(HOTLIST_PROBLEM.BUSY, 'a hotlist update is under way: finish it before the next');
    const net = foldChanges(this, changeLists, keys);
    const outcome: HotlistOutcome = Object.freeze({ version: net.version, applied: net.applied, refused: net.refused });
    if (net.applied === 0) return Object.freeze({ outcome, stepsLeft: 0, step: () => true });
    const writer = this.#writer({ version: net.version, seed: this.#header?.seed ?? seedOf([]), count: net.count, added: net.added, removed: net.removed }, true);
    this.#busy = true;
    return {
      outcome,
      get stepsLeft() {
        return writer.stepsLeft;
      },
      step: () => this.#step(writer),
    };
  }

  #writer(content: BankContent, merge: boolean): BankWriter {
    const target = this.#bank === null ? 0 : 1 - this.#bank;
    const generation = (this.#header?.generation ?? 0) + 1;
    return new BankWriter(this.#flash, this.geometry, target, generation, content, merge ? this.#bank : null, merge ? this.#header : null);
  }

  #step(writer: BankWriter): boolean {
    if (writer.committed) return true;
    let header: BankHeader | null;
    try {
      header = writer.step();
    } catch (error) {
      this.#busy = false; // the current bank is whole: a later update starts over
      throw error;
    }
    if (!header) return false;
    this.#bank = this.#bank === null ? 0 : 1 - this.#bank;
    this.#header = header;
    this.#busy = false;
    return true;
  }

  #run(writer: BankWriter): void {
    if (this.#busy) throw new HotlistRefusedError(HOTLIST_PROBLEM.BUSY, 'a hotlist update is under way: finish it before the next');
    this.#busy = true;
    while (!this.#step(writer));
  }
}
