// The usage journal (DESIGN.md §5): usage records in NOR flash until the centre acknowledges them.
// Survives a power cut at any byte: a record is wholly there or not at all, a call under way at the
// cut is billed for the units it had started (at most the unit in progress is lost), and sequences
// never go back.
//
// On-flash layout (integers big-endian). Each sector:
//   header, 16 bytes:  [0] formatted flag | [1..4] "UJRN" | [5..8] base sequence | [9..12] CRC-32 of [1..8] | 0xFF…
//   then 128-byte slots, one record each; call-slot.ts has the slot's layout: four flags (closed,
//   opened, cut short, acknowledged), the call's opening, its unit bitmap and its closing.
// A flag is 0xFF while clear and is set by programming it to 0x00; any cleared bit counts as set, as a
// torn flag write only ever happens after everything it vouches for was written.
//   - a call: openCall() writes the opening (sequence, Nt, IDU, D, dialled, tariff), then sets
//     `opened`; advanceCall() clears one bitmap bit per tariff unit started; closeCall() writes the
//     closing (duration, fee V), then sets `closed`. A call with more units than its slot's bitmap
//     counts goes on in a continuation record in the next slot (no connection fee there).
//   - boot (open()): an opened slot without `closed` is the call the power cut short: if its closing
//     is whole it only lacked the flag, which is set now; otherwise `cut short` is set and the record
//     is billed connection fee + units shown × unit fee, once, under its own sequence (and that
//     closing written into the slot where its bytes allow, so a CRC covers it from then on).
//   - append (a record known whole, e.g. by tests): write opening and closing, then set `closed`.
//     A slot with any programmed byte is used for good.
//   - acknowledge: set `acknowledged` in each record the centre holds; never a call under way.
//   - new sector: erase it, write the header with base = next sequence, then set `formatted`. Done
//     right after the record that fills the active sector if another may be erased (and when a
//     blank partition is opened), so a call rarely waits for an erase; else when a record needs it.
//     The base keeps sequences rising after every old record is erased; records go only to the
//     active sector (the highest base), which is never erased, so the highest sequence is always on flash.
//   - a sector is erased only when it is not active, holds no call under way, and all its committed
//     records are acknowledged.
// Erase starts at the sector's first byte, so an interrupted erase clears the flags before the data;
// an opened slot in a sector without a valid header is such a leftover and is not recovered.
//
// In RAM the journal keeps an index, not the records: per slot the sequence of the record it holds,
// whether it is acknowledged, and its place in sequence order (7 bytes a slot, in typed arrays), so
// a full partition fits the device's heap (tests/journal-device.test.ts); records() and pending()
// read and decode slots from flash when asked. All 496 records of the board's partition decoded
// at once do not fit the ESP32's heap: read them in batches, pending(64).
import type { Flash } from '../../hal/flash.js';
import { asciiBytes, concatBytes, readUint32, uint32 } from '../protocol/bytes.js';
import { feeForUnits, unitsFor } from '../terminal/config.js';
import type { CallStart, UsageEntry, UsageStore } from '../terminal/usage-store.js';
import {
  bitmapWrite, cutShortClosing, encodeClosing, encodeOpening, erased, readSlot, SLOT_FLAG, SLOT_LAYOUT, slotRecord, unitBitmap, unitCapacity, writableOver,
  type CallClosing, type CallOpening, type SlotContent,
} from './call-slot.js';
import { crc32 } from './crc32.js';
import { RecordFormatError, type UsageRecord } from './record.js';

export const JOURNAL_LAYOUT = Object.freeze({
  HEADER_SIZE: 16,
  SLOT_SIZE: SLOT_LAYOUT.SLOT_SIZE,
  SLOT_FLAGS: SLOT_LAYOUT.FLAGS, // closed, opened, cut short, acknowledged: the opening follows them
} as const);

const { HEADER_SIZE, SLOT_SIZE } = JOURNAL_LAYOUT;
const ERASED = 0xff;
const SET = Uint8Array.of(0x00);
const LEGACY_ACKNOWLEDGED = 1; // a version 1 slot's acknowledged flag (call-slot.ts)
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

/** What the index keeps of a slot's record, besides its sequence. */
const INDEXED = Object.freeze({ ACKNOWLEDGED: 0x01, LEGACY: 0x02 } as const); // LEGACY: the flag is where version 1 had it

interface SectorState {
  base: number | null; // null: not (validly) formatted
  blank: boolean;
  used: number; // slots used from the start of the sector
}

/** The slot of the call under way (one record of it: a long call has several). */
interface Segment {
  readonly sector: number;
  readonly slot: number;
  readonly opening: CallOpening;
  readonly openingBytes: Uint8Array;
  /** Units the slot counts: its opening's one and a bit each. */
  readonly capacity: number;
  /** The call's unit that this slot's opening stands for (1 for the call's first record). */
  readonly firstUnit: number;
  shownBits: number;
}

interface OpenCall {
  readonly startedAt: number;
  segment: Segment;
  /** The call's records closed so far (continued slots), oldest first. */
  readonly records: UsageRecord[];
}

/** An opened slot found by the scan, for recovery. */
interface Unclosed {
  readonly sector: number;
  readonly slot: number;
  readonly content: Extract<SlotContent, { kind: 'open' }>;
}

function nonNegative(value: number, what: string): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${what} must be a non-negative number, got ${value}`);
  return value;
}

export class UsageJournal implements UsageStore {
  readonly #flash: Flash;
  readonly #terminalId: string;
  readonly #slots: number;
  #sectors: SectorState[] = [];
  /** Per slot (sector × slots per sector + slot): the sequence of the record it holds, 0 for none. */
  readonly #sequences: Uint32Array;
  /** Per slot: INDEXED bits. */
  readonly #marks: Uint8Array;
  /** The slots that hold records, in sequence order: the first #held entries. */
  readonly #order: Uint16Array;
  #held = 0;
  /** Per sector: how many of its records await acknowledgement (0: it may be erased). */
  readonly #pendingIn: Uint16Array;
  #active: number | null = null;
  #next = 1;
  #damage: JournalDamage[] = [];
  #recovered: UsageRecord[] = [];
  #call: OpenCall | null = null;
  #failed = false;

  private constructor(flash: Flash, terminalId: string) {
    this.#flash = flash;
    this.#terminalId = terminalId;
    this.#slots = Math.floor((flash.sectorSize - HEADER_SIZE) / SLOT_SIZE);
    const total = this.#slots * flash.sectorCount;
    this.#sequences = new Uint32Array(total);
    this.#marks = new Uint8Array(total);
    this.#order = new Uint16Array(total);
    this.#pendingIn = new Uint16Array(flash.sectorCount);
  }

  /**
   * Reads the whole partition and picks up where the last run stopped, power cut or not: a call
   * the cut left open is closed with the units it shows (see `recovered`), which writes to the
   * flash. Throws RangeError for a partition the journal cannot use, and what the flash throws
   * (PowerCutError): open again once the power is back, recovery repeats.
   */
  static open(flash: Flash, terminalId: string): UsageJournal {
    asciiBytes(terminalId);
    if (flash.sectorCount < 2) throw new RangeError(`the journal needs at least 2 flash sectors, the partition has ${flash.sectorCount}`);
    if (flash.sectorSize < HEADER_SIZE + SLOT_SIZE) throw new RangeError(`flash sectors of ${flash.sectorSize} bytes cannot hold a ${SLOT_SIZE}-byte journal slot`);
    if (Math.floor((flash.sectorSize - HEADER_SIZE) / SLOT_SIZE) * flash.sectorCount > 0x10000) throw new RangeError(`a partition of ${flash.sectorCount} sectors of ${flash.sectorSize} bytes has more than 65,536 journal slots`);
    const journal = new UsageJournal(flash, terminalId);
    journal.#recover(journal.#scan());
    if (journal.#active === null) journal.#prepare(); // a blank partition: formatted now, not at the first call
    return journal;
  }

  /** Unreadable headers and records found by open(). */
  get damage(): readonly JournalDamage[] {
    return this.#damage;
  }

  /** Records of calls the last run left open, closed by open(): cut short, or only their flag missing. */
  get recovered(): readonly UsageRecord[] {
    return this.#recovered;
  }

  /** The sequence the next record will get. */
  get nextSequence(): number {
    return this.#next;
  }

  /** Records the journal holds in all, when every slot is used. */
  get capacity(): number {
    return this.#slots * this.#flash.sectorCount;
  }

  /** The sequence of the record the call under way writes now; null when no call is open. */
  get openCallSequence(): number | null {
    return this.#call?.segment.opening.sequence ?? null;
  }

  hasSpace(): boolean {
    return this.#freeSlot() !== null || this.#reclaimTarget() !== null;
  }

  /**
   * Writes a record known whole (fee and duration given), atomically: there after the last byte,
   * absent before. Returns its sequence. Throws JournalFullError, RangeError for a field out of
   * range (using no sequence), Error while a call is open.
   */
  append(entry: UsageEntry): number {
    this.#checkUsable();
    this.#checkNoCall();
    const opening: CallOpening = Object.freeze({
      sequence: this.#next, registrationNumber: entry.registrationNumber, cardNumber: entry.cardNumber.slice(), startedAt: entry.startedAt,
      serviceCode: entry.serviceCode, dialled: entry.dialled, connectionFee: 0, unitFee: 0, unitSeconds: 0, continuation: false,
    });
    const closing: CallClosing = { durationSeconds: entry.durationSeconds, fee: entry.fee };
    const openingBytes = encodeOpening(opening);
    const closingBytes = encodeClosing(closing, openingBytes);
    const { sector, slot, at } = this.#claimSlot(openingBytes);
    this.#mutate(() => {
      this.#flash.write(at + SLOT_SIZE - SLOT_LAYOUT.CLOSING_SIZE, closingBytes);
      this.#flash.write(at + SLOT_FLAG.CLOSED, SET); // commit last: before this the slot holds no record
    });
    this.#hold(opening.sequence, sector, slot);
    this.#prepare();
    return opening.sequence;
  }

  /**
   * A call starts (patent [0015]): its record is opened in the next slot with what is known now
   * (Nt, IDU, D, the dialled number, the tariff), before the call connects. The record stands for
   * one tariff unit from here on. Returns its sequence. Throws JournalFullError, RangeError for a
   * field out of range (using no sequence), Error when a call is open already.
   */
  openCall(start: CallStart): number {
    this.#checkUsable();
    this.#checkNoCall();
    const { tariff } = start;
    if (!Number.isSafeInteger(tariff.unitSeconds) || tariff.unitSeconds < 1) throw new RangeError(`tariff unit must be a whole number of seconds ≥ 1, got ${tariff.unitSeconds}`);
    const opening: CallOpening = Object.freeze({
      sequence: this.#next, registrationNumber: start.registrationNumber, cardNumber: start.cardNumber.slice(), startedAt: start.startedAt,
      serviceCode: start.serviceCode, dialled: start.dialled, connectionFee: tariff.connectionFee, unitFee: tariff.unitFee, unitSeconds: tariff.unitSeconds,
      continuation: false,
    });
    const segment = this.#openSegment(opening, 1);
    this.#call = { startedAt: start.startedAt, segment, records: [] };
    return opening.sequence;
  }

  /**
   * The call under way has started `units` tariff units in all (unitsFor(tariff, elapsed ms)): the
   * flash shows them from now on, one cleared bit each, so a power cut loses at most the unit in
   * progress. Fewer units than shown already change nothing. A call past its slot's bitmap goes on
   * in a continuation record. Returns false when that record has no room: the call must end, and
   * closeCall() still records it whole. Throws Error when no call is open, RangeError for a bad count.
   */
  advanceCall(units: number): boolean {
    this.#checkUsable();
    const call = this.#openCall();
    if (!Number.isSafeInteger(units) || units < 1) throw new RangeError(`a call has a whole number of units ≥ 1, got ${units}`);
    for (;;) {
      const segment = call.segment;
      const slotUnits = units - segment.firstUnit + 1;
      if (slotUnits <= segment.capacity) {
        this.#showBits(segment, slotUnits - 1);
        return true;
      }
      if (!this.hasSpace()) return false;
      this.#showBits(segment, segment.capacity - 1); // what a cut in the closing below leaves billed
      const { opening, capacity } = segment;
      const closing = { durationSeconds: capacity * opening.unitSeconds, fee: feeForUnits(opening, capacity) };
      call.records.push(this.#closeSegment(segment, closing));
      const next: CallOpening = Object.freeze({
        ...opening, sequence: this.#next, startedAt: opening.startedAt + capacity * opening.unitSeconds * 1000, connectionFee: 0, continuation: true,
      });
      call.segment = this.#openSegment(next, segment.firstUnit + capacity);
    }
  }

  /**
   * The call under way ended after `durationMs`: its record gets the duration (whole seconds,
   * rounded up) and the fee (config.ts feeFor: connection fee + every started unit) and is final.
   * Returns the call's records (one, or more for a continued call; their fees add up to the
   * call's). Throws Error when no call is open, RangeError for a duration shorter than the units
   * its earlier records hold.
   */
  closeCall(durationMs: number): readonly UsageRecord[] {
    this.#checkUsable();
    const call = this.#openCall();
    nonNegative(durationMs, 'call duration (ms)');
    const segment = call.segment;
    const { opening } = segment;
    const slotUnits = unitsFor(opening, durationMs) - segment.firstUnit + 1;
    const slotMs = durationMs - (opening.startedAt - call.startedAt);
    if (slotUnits < 1 || slotMs < 0) throw new RangeError(`a call of ${durationMs} ms is shorter than the ${segment.firstUnit - 1} units its earlier records hold`);
    call.records.push(this.#closeSegment(segment, { durationSeconds: Math.ceil(slotMs / 1000), fee: feeForUnits(opening, slotUnits) }));
    this.#call = null;
    this.#prepare();
    return Object.freeze(call.records.slice());
  }

  /** Every record held, in sequence order, read from flash. */
  records(): UsageRecord[] {
    return this.#collect(false, Infinity);
  }

  /** The records the centre has not acknowledged, oldest first, at most `limit` of them, read from flash. */
  pending(limit = Infinity): UsageRecord[] {
    return this.#collect(true, limit);
  }

  /** How many records await the centre's acknowledgement. */
  get pendingCount(): number {
    let count = 0;
    for (const pending of this.#pendingIn) count += pending;
    return count;
  }

  /**
   * The centre holds every record up to `upToSequence`: they may be erased from now on. Throws
   * RangeError for a sequence never issued or that of the call under way.
   */
  acknowledge(upToSequence: number): void {
    this.#checkUsable();
    if (!Number.isSafeInteger(upToSequence) || upToSequence < 0) throw new RangeError(`acknowledged sequence must be a non-negative integer, got ${upToSequence}`);
    if (upToSequence >= this.#next) {
      throw new RangeError(`the centre acknowledged sequence ${upToSequence}, but this journal has issued only up to ${this.#next - 1}`);
    }
    const open = this.openCallSequence;
    if (open !== null && upToSequence >= open) throw new RangeError(`the centre acknowledged sequence ${upToSequence}, but ${open} is the call under way`);
    for (let i = 0; i < this.#held; i++) {
      const index = this.#order[i]!;
      if (this.#sequences[index]! > upToSequence) break;
      const marks = this.#marks[index]!;
      if ((marks & INDEXED.ACKNOWLEDGED) !== 0) continue;
      const flag = (marks & INDEXED.LEGACY) !== 0 ? LEGACY_ACKNOWLEDGED : SLOT_FLAG.ACKNOWLEDGED;
      this.#mutate(() => this.#flash.write(this.#indexOffset(index) + flag, SET));
      this.#marks[index] = marks | INDEXED.ACKNOWLEDGED;
      this.#pendingIn[Math.floor(index / this.#slots)]!--;
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

  /** Reads every sector into the index; returns the opened slots that need recovery. */
  #scan(): Unclosed[] {
    const unclosed: Unclosed[] = [];
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
        const content = this.#readSlot(sector, slot, slotBytes, state.base !== null);
        if (content.kind === 'empty' || content.kind === 'unused') continue;
        // An opened slot outside a formatted sector is what an interrupted erase left: no call.
        if (content.kind === 'open') {
          if (state.base !== null) unclosed.push({ sector, slot, content });
          continue;
        }
        const marks = (content.acknowledged ? INDEXED.ACKNOWLEDGED : 0) | (content.ackFlag === SLOT_FLAG.ACKNOWLEDGED ? 0 : INDEXED.LEGACY);
        this.#index(sector, slot, content.record.sequence, marks);
      }
    }
    this.#sortIndex();
    for (let sector = 0; sector < this.#sectors.length; sector++) {
      const { base, used } = this.#sectors[sector]!;
      if (base === null) continue;
      this.#next = Math.max(this.#next, base);
      const current = this.#active === null ? null : this.#sectors[this.#active]!;
      // Equal bases happen when a sector filled with cut-off appends only: prefer the one with room.
      if (!current || base > current.base! || (base === current.base && used < current.used)) this.#active = sector;
    }
    return unclosed.filter(({ sector, slot, content }) => {
      const sequence = content.opening.sequence;
      this.#next = Math.max(this.#next, sequence + 1);
      if (!this.#holds(sequence)) return true;
      this.#damage.push({ sector, slot, reason: `sequence ${sequence} is already held elsewhere` });
      return false;
    });
  }

  /** Sorts the index by sequence; of slots claiming the same sequence the first keeps it (damage). */
  #sortIndex(): void {
    const sequences = this.#sequences;
    this.#order.subarray(0, this.#held).sort((a, b) => sequences[a]! - sequences[b]! || a - b);
    let kept = 0;
    for (let i = 0; i < this.#held; i++) {
      const index = this.#order[i]!;
      if (kept > 0 && sequences[this.#order[kept - 1]!] === sequences[index]) {
        const sector = Math.floor(index / this.#slots);
        this.#damage.push({ sector, slot: index % this.#slots, reason: `sequence ${sequences[index]} is already held elsewhere` });
        if ((this.#marks[index]! & INDEXED.ACKNOWLEDGED) === 0) this.#pendingIn[sector]!--;
        sequences[index] = 0;
        this.#marks[index] = 0;
        continue;
      }
      this.#order[kept++] = index;
    }
    this.#held = kept;
    if (kept > 0) this.#next = Math.max(this.#next, sequences[this.#order[kept - 1]!]! + 1);
  }

  /** True when a slot holds a record of this sequence (binary search of the index). */
  #holds(sequence: number): boolean {
    let low = 0;
    let high = this.#held;
    while (low < high) {
      const middle = (low + high) >> 1;
      const found = this.#sequences[this.#order[middle]!]!;
      if (found === sequence) return true;
      if (found < sequence) low = middle + 1;
      else high = middle;
    }
    return false;
  }

  /**
   * Closes the calls a power cut left open, each once: a whole closing gets its flag; otherwise
   * `cut short` is set, then the closing of the units shown is written where the bytes allow.
   */
  #recover(unclosed: readonly Unclosed[]): void {
    for (const { sector, slot, content } of unclosed) {
      const at = this.#slotOffset(sector, slot);
      const { opening, closing } = content;
      let record: UsageRecord;
      if (closing) {
        this.#flash.write(at + SLOT_FLAG.CLOSED, SET);
        record = slotRecord(this.#terminalId, opening, closing, false);
      } else {
        this.#flash.write(at + SLOT_FLAG.CUT_SHORT, SET); // final from here: the bitmap bills it
        const cut = cutShortClosing(opening, 1 + content.shownBits);
        const bytes = encodeClosing(cut, content.openingBytes);
        if (writableOver(content.closingBytes, bytes)) this.#flash.write(at + SLOT_SIZE - SLOT_LAYOUT.CLOSING_SIZE, bytes);
        record = slotRecord(this.#terminalId, opening, cut, true);
      }
      this.#recovered.push(record);
      this.#hold(record.sequence, sector, slot);
    }
    this.#sortIndex(); // recovered calls need not be the newest records
  }

  #readHeader(sector: number, bytes: Uint8Array): number | null {
    if (bytes[0] === ERASED) return null; // formatting or erasing was cut off: nothing to report
    const base = readUint32(bytes, BASE_AT);
    const magicOk = SECTOR_MAGIC.every((byte, i) => bytes[1 + i] === byte);
    if (magicOk && base > 0 && crc32(bytes.subarray(1, CRC_AT)) === readUint32(bytes, CRC_AT)) return base;
    this.#damage.push({ sector, slot: null, reason: 'sector header unreadable' });
    return null;
  }

  #readSlot(sector: number, slot: number, bytes: Uint8Array, formatted: boolean): SlotContent {
    try {
      return readSlot(bytes, this.#terminalId);
    } catch (error) {
      if (!(error instanceof RecordFormatError)) throw error;
      // In a sector without a valid header, leftovers of an interrupted erase are expected.
      if (formatted) this.#damage.push({ sector, slot, reason: error.message });
      return { kind: 'unused' };
    }
  }

  /** Takes the next slot and writes `opening` into it; the sequence is used from here on. */
  #claimSlot(opening: Uint8Array): { sector: number; slot: number; at: number } {
    const { sector, slot } = this.#slotForAppend();
    const at = this.#slotOffset(sector, slot);
    this.#mutate(() => this.#flash.write(at + SLOT_LAYOUT.FLAGS, opening));
    const state = this.#sectors[sector]!;
    state.used = slot + 1;
    state.blank = false;
    this.#next++;
    return { sector, slot, at };
  }

  #openSegment(opening: CallOpening, firstUnit: number): Segment {
    const openingBytes = encodeOpening(opening);
    const { sector, slot, at } = this.#claimSlot(openingBytes);
    this.#mutate(() => this.#flash.write(at + SLOT_FLAG.OPENED, SET)); // from here a power cut bills the call
    return { sector, slot, opening, openingBytes, capacity: unitCapacity(openingBytes.length), firstUnit, shownBits: 0 };
  }

  /** Clears bitmap bits up to `bits` (none if it shows that many already). */
  #showBits(segment: Segment, bits: number): void {
    if (bits <= segment.shownBits) return;
    const { offset, bytes } = bitmapWrite(segment.shownBits, bits);
    const at = this.#slotOffset(segment.sector, segment.slot) + unitBitmap(segment.openingBytes.length).start + offset;
    this.#mutate(() => this.#flash.write(at, bytes));
    segment.shownBits = bits;
  }

  #closeSegment(segment: Segment, closing: CallClosing): UsageRecord {
    const at = this.#slotOffset(segment.sector, segment.slot);
    const closingBytes = encodeClosing(closing, segment.openingBytes);
    this.#mutate(() => {
      this.#flash.write(at + SLOT_SIZE - SLOT_LAYOUT.CLOSING_SIZE, closingBytes);
      this.#flash.write(at + SLOT_FLAG.CLOSED, SET);
    });
    this.#hold(segment.opening.sequence, segment.sector, segment.slot);
    return slotRecord(this.#terminalId, segment.opening, closing, false);
  }

  /** Indexes a record as pending, last in sequence order (a record just written has the highest sequence). */
  #hold(sequence: number, sector: number, slot: number): void {
    this.#index(sector, slot, sequence, 0);
  }

  #index(sector: number, slot: number, sequence: number, marks: number): void {
    const index = sector * this.#slots + slot;
    this.#sequences[index] = sequence;
    this.#marks[index] = marks;
    this.#order[this.#held++] = index;
    if ((marks & INDEXED.ACKNOWLEDGED) === 0) this.#pendingIn[sector]!++;
  }

  #collect(pendingOnly: boolean, limit: number): UsageRecord[] {
    const out: UsageRecord[] = [];
    for (let i = 0; i < this.#held && out.length < limit; i++) {
      const index = this.#order[i]!;
      if (pendingOnly && (this.#marks[index]! & INDEXED.ACKNOWLEDGED) !== 0) continue;
      const content = readSlot(this.#flash.read(this.#indexOffset(index), SLOT_SIZE), this.#terminalId);
      if (content.kind !== 'record') throw new Error(`journal slot ${index} no longer holds record ${this.#sequences[index]}: open the journal again`);
      out.push(content.record);
    }
    return out;
  }

  #openCall(): OpenCall {
    if (!this.#call) throw new Error('no call is open in the journal');
    return this.#call;
  }

  #checkNoCall(): void {
    if (this.#call) throw new Error(`the call of record ${this.#call.segment.opening.sequence} is still open: close it first`);
  }

  #freeSlot(): { sector: number; slot: number } | null {
    if (this.#active === null) return null;
    const used = this.#sectors[this.#active]!.used;
    return used < this.#slots ? { sector: this.#active, slot: used } : null;
  }

  /**
   * Readies the next slot when the active sector is full and another may be erased: the erase and
   * format happen after a record, not at the start of the next call.
   */
  #prepare(): void {
    if (this.#freeSlot() === null && this.#reclaimTarget() !== null) this.#slotForAppend();
  }

  #slotForAppend(): { sector: number; slot: number } {
    const free = this.#freeSlot();
    if (free) return free;
    const sector = this.#reclaimTarget();
    if (sector === null) throw new JournalFullError(this.pendingCount);
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
    return sector !== this.#active && sector !== this.#call?.segment.sector && this.#pendingIn[sector] === 0;
  }

  #erase(sector: number): void {
    this.#mutate(() => this.#flash.eraseSector(sector));
    const first = sector * this.#slots;
    let kept = 0;
    for (let i = 0; i < this.#held; i++) {
      const index = this.#order[i]!;
      if (index >= first && index < first + this.#slots) continue;
      this.#order[kept++] = index;
    }
    this.#held = kept;
    this.#sequences.fill(0, first, first + this.#slots);
    this.#marks.fill(0, first, first + this.#slots);
    this.#pendingIn[sector] = 0; // only an acknowledged sector is erased
    this.#sectors[sector] = { base: null, blank: true, used: 0 };
  }

  #slotOffset(sector: number, slot: number): number {
    return sector * this.#flash.sectorSize + HEADER_SIZE + slot * SLOT_SIZE;
  }

  #indexOffset(index: number): number {
    return this.#slotOffset(Math.floor(index / this.#slots), index % this.#slots);
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
