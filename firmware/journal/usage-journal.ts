// The usage journal (DESIGN.md §5): usage records in NOR flash until the centre acknowledges them.
// Survives a power cut at any byte: a record is wholly there or not at all, and sequences never go back.
//
// On-flash layout (integers big-endian). Each sector:
//   header, 16 bytes:  [0] formatted flag | [1..4] "UJRN" | [5..8] base sequence | [9..12] CRC-32 of [1..8] | 0xFF…
//   then SLOT_SIZE-byte slots: [0] committed flag | [1] acknowledged flag | [2..] record (record.ts) | 0xFF…
// A flag is 0xFF while clear and is set by programming it to 0x00; any cleared bit counts as set, as a
// torn flag write only ever happens after everything it vouches for was written.
//   - append: write the record, then set `committed`. A slot with any programmed byte is used for good.
//   - acknowledge: set `acknowledged` in each record the centre holds.
//   - new sector: erase it, write the header with base = next sequence, then set `formatted`. The base
//     keeps sequences rising after every old record is erased; records go only to the active sector
//     (the highest base), which is never erased, so the highest sequence is always on flash.
//   - a sector is erased only when it is not active and all its committed records are acknowledged.
// Erase starts at the sector's first byte, so an interrupted erase clears the flags before the data.
import type { Flash } from '../../hal/flash.js';
import { asciiBytes, concatBytes, readUint32, uint32 } from '../protocol/bytes.js';
import type { UsageEntry, UsageStore } from '../terminal/usage-store.js';
import { crc32 } from './crc32.js';
import { encodeRecord, readRecord, RecordFormatError, type UsageRecord } from './record.js';

export const JOURNAL_LAYOUT = Object.freeze({
  HEADER_SIZE: 16,
  SLOT_SIZE: 128,
  SLOT_FLAGS: 2, // committed, acknowledged: the record follows them
} as const);

const { HEADER_SIZE, SLOT_SIZE, SLOT_FLAGS } = JOURNAL_LAYOUT;
const ERASED = 0xff;
const SET = Uint8Array.of(0x00);
const SECTOR_MAGIC = asciiBytes('UJRN');
const BASE_AT = 5;
const CRC_AT = 9;

export class JournalFullError extends Error {
  override name = 'JournalFullError';
  readonly pending: number;

  constructor(pending: number) {
    super(`journal full: ${pending} records await upload; connect to the centre to free space`);
    this.pending = pending;
  }
}

/** What open() found unreadable; the journal works around it and never returns it as a record. */
export interface JournalDamage {
  readonly sector: number;
  readonly slot: number | null; // null: the sector header
  readonly reason: string;
}

interface Held {
  readonly record: UsageRecord;
  readonly sector: number;
  readonly slot: number;
  acknowledged: boolean;
}

interface SectorState {
  base: number | null; // null: not (validly) formatted
  blank: boolean;
  used: number; // slots used from the start of the sector
}

function erased(bytes: Uint8Array): boolean {
  return bytes.every((byte) => byte === ERASED);
}

export class UsageJournal implements UsageStore {
  readonly #flash: Flash;
  readonly #terminalId: string;
  readonly #slots: number;
  #sectors: SectorState[] = [];
  #held: Held[] = []; // in sequence order
  #active: number | null = null;
  #next = 1;
  #damage: JournalDamage[] = [];
  #failed = false;

  private constructor(flash: Flash, terminalId: string) {
    this.#flash = flash;
    this.#terminalId = terminalId;
    this.#slots = Math.floor((flash.sectorSize - HEADER_SIZE) / SLOT_SIZE);
  }

  /** Reads the whole partition and picks up where the last run stopped, power cut or not. */
  static open(flash: Flash, terminalId: string): UsageJournal {
    asciiBytes(terminalId);
    if (flash.sectorCount < 2) throw new RangeError(`the journal needs at least 2 flash sectors, the partition has ${flash.sectorCount}`);
    if (flash.sectorSize < HEADER_SIZE + SLOT_SIZE) throw new RangeError(`flash sectors of ${flash.sectorSize} bytes cannot hold a ${SLOT_SIZE}-byte journal slot`);
    const journal = new UsageJournal(flash, terminalId);
    journal.#scan();
    return journal;
  }

  /** Unreadable headers and records found by open(). */
  get damage(): readonly JournalDamage[] {
    return this.#damage;
  }

  /** The sequence the next append will get. */
  get nextSequence(): number {
    return this.#next;
  }

  /** Records the journal holds in all, when every slot is used. */
  get capacity(): number {
    return this.#slots * this.#flash.sectorCount;
  }

  hasSpace(): boolean {
    return this.#freeSlot() !== null || this.#reclaimTarget() !== null;
  }

  append(entry: UsageEntry): number {
    this.#checkUsable();
    const record: UsageRecord = Object.freeze({
      terminalId: this.#terminalId,
      sequence: this.#next,
      registrationNumber: entry.registrationNumber,
      cardNumber: entry.cardNumber.slice(),
      startedAt: entry.startedAt,
      fee: entry.fee,
      serviceCode: entry.serviceCode,
      durationSeconds: entry.durationSeconds,
      dialled: entry.dialled,
    });
    const bytes = encodeRecord(record);
    if (bytes.length > SLOT_SIZE - SLOT_FLAGS) throw new RangeError(`usage record is ${bytes.length} bytes, a journal slot holds ${SLOT_SIZE - SLOT_FLAGS}`);
    const { sector, slot } = this.#slotForAppend();
    const at = this.#slotOffset(sector, slot);
    this.#mutate(() => {
      this.#flash.write(at + SLOT_FLAGS, bytes);
      this.#flash.write(at, SET); // commit last: before this the slot holds no record
    });
    const state = this.#sectors[sector]!;
    state.used = slot + 1;
    state.blank = false;
    this.#held.push({ record, sector, slot, acknowledged: false });
    this.#next++;
    return record.sequence;
  }

  records(): UsageRecord[] {
    return this.#held.map((held) => held.record);
  }

  pending(): UsageRecord[] {
    return this.#held.filter((held) => !held.acknowledged).map((held) => held.record);
  }

  /** The centre holds every record up to `upToSequence`: they may be erased from now on. */
  acknowledge(upToSequence: number): void {
    this.#checkUsable();
    if (!Number.isSafeInteger(upToSequence) || upToSequence < 0) throw new RangeError(`acknowledged sequence must be a non-negative integer, got ${upToSequence}`);
    if (upToSequence >= this.#next) {
      throw new RangeError(`the centre acknowledged sequence ${upToSequence}, but this journal has issued only up to ${this.#next - 1}`);
    }
    for (const held of this.#held) {
      if (held.record.sequence > upToSequence) break;
      if (held.acknowledged) continue;
      this.#mutate(() => this.#flash.write(this.#slotOffset(held.sector, held.slot) + 1, SET));
      held.acknowledged = true;
    }
  }

  /** Erases now every sector append could reuse (e.g. while idle after an upload); returns how many. */
  reclaim(): number {
    this.#checkUsable();
    let count = 0;
    for (let sector = 0; sector < this.#sectors.length; sector++) {
      if (this.#sectors[sector]!.blank || !this.#reclaimable(sector)) continue;
      this.#erase(sector);
      count++;
    }
    return count;
  }

  #scan(): void {
    const seen = new Set<number>();
    for (let sector = 0; sector < this.#flash.sectorCount; sector++) {
      const bytes = this.#flash.read(sector * this.#flash.sectorSize, this.#flash.sectorSize);
      const state: SectorState = { base: null, blank: erased(bytes), used: 0 };
      this.#sectors.push(state);
      if (state.blank) continue;
      state.base = this.#readHeader(sector, bytes);
      for (let slot = 0; slot < this.#slots; slot++) {
        const at = HEADER_SIZE + slot * SLOT_SIZE;
        const slotBytes = bytes.subarray(at, at + SLOT_SIZE);
        if (erased(slotBytes)) continue;
        state.used = slot + 1;
        if (slotBytes[0] === ERASED) continue; // append cut before its commit: there is no record
        const record = this.#readSlot(sector, slot, slotBytes, state.base !== null);
        if (!record) continue;
        if (seen.has(record.sequence)) {
          this.#damage.push({ sector, slot, reason: `sequence ${record.sequence} is already held elsewhere` });
          continue;
        }
        seen.add(record.sequence);
        this.#held.push({ record, sector, slot, acknowledged: slotBytes[1] !== ERASED });
        this.#next = Math.max(this.#next, record.sequence + 1);
      }
    }
    this.#held.sort((a, b) => a.record.sequence - b.record.sequence);
    for (let sector = 0; sector < this.#sectors.length; sector++) {
      const { base, used } = this.#sectors[sector]!;
      if (base === null) continue;
      this.#next = Math.max(this.#next, base);
      const current = this.#active === null ? null : this.#sectors[this.#active]!;
      // Equal bases happen when a sector filled with cut-off appends only: prefer the one with room.
      if (!current || base > current.base! || (base === current.base && used < current.used)) this.#active = sector;
    }
  }

  #readHeader(sector: number, bytes: Uint8Array): number | null {
    if (bytes[0] === ERASED) return null; // formatting or erasing was cut off: nothing to report
    const base = readUint32(bytes, BASE_AT);
    const magicOk = SECTOR_MAGIC.every((byte, i) => bytes[1 + i] === byte);
    if (magicOk && base > 0 && crc32(bytes.subarray(1, CRC_AT)) === readUint32(bytes, CRC_AT)) return base;
    this.#damage.push({ sector, slot: null, reason: 'sector header unreadable' });
    return null;
  }

  #readSlot(sector: number, slot: number, bytes: Uint8Array, formatted: boolean): UsageRecord | null {
    try {
      return readRecord(bytes.subarray(SLOT_FLAGS)).record;
    } catch (error) {
      if (!(error instanceof RecordFormatError)) throw error;
      // In a sector without a valid header, leftovers of an interrupted erase are expected.
      if (formatted) this.#damage.push({ sector, slot, reason: error.message });
      return null;
    }
  }

  #freeSlot(): { sector: number; slot: number } | null {
    if (this.#active === null) return null;
    const used = this.#sectors[this.#active]!.used;
    return used < this.#slots ? { sector: this.#active, slot: used } : null;
  }

  #slotForAppend(): { sector: number; slot: number } {
    const free = this.#freeSlot();
    if (free) return free;
    const sector = this.#reclaimTarget();
    if (sector === null) throw new JournalFullError(this.pending().length);
    if (!this.#sectors[sector]!.blank) this.#erase(sector);
    const start = sector * this.#flash.sectorSize;
    const header = concatBytes(SECTOR_MAGIC, uint32(this.#next));
    this.#mutate(() => {
      this.#flash.write(start + 1, concatBytes(header, uint32(crc32(header))));
      this.#flash.write(start, SET); // formatted last: a cut before leaves a sector to erase again
    });
    this.#sectors[sector] = { base: this.#next, blank: false, used: 0 };
    this.#active = sector;
    return { sector, slot: 0 };
  }

  /** The next sector after the active one, round the ring, that may be erased: spreads the wear. */
  #reclaimTarget(): number | null {
    const count = this.#sectors.length;
    const from = this.#active ?? count - 1;
    for (let step = 1; step <= count; step++) {
      const sector = (from + step) % count;
      if (this.#reclaimable(sector)) return sector;
    }
    return null;
  }

  #reclaimable(sector: number): boolean {
    return sector !== this.#active && !this.#held.some((held) => held.sector === sector && !held.acknowledged);
  }

  #erase(sector: number): void {
    this.#mutate(() => this.#flash.eraseSector(sector));
    this.#held = this.#held.filter((held) => held.sector !== sector);
    this.#sectors[sector] = { base: null, blank: true, used: 0 };
  }

  #slotOffset(sector: number, slot: number): number {
    return sector * this.#flash.sectorSize + HEADER_SIZE + slot * SLOT_SIZE;
  }

  /** A flash operation that fails leaves this view of the flash unknown: only open() may continue. */
  #mutate(operation: () => void): void {
    try {
      operation();
    } catch (error) {
      this.#failed = true;
      throw error;
    }
  }

  #checkUsable(): void {
    if (this.#failed) throw new Error('journal flash operation failed: open the journal again to recover');
  }
}
