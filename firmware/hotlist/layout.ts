// Where the hotlist lives on its NOR flash partition (hal/flash.ts: erase sets a sector to 0xFF,
// a write only clears bits, power can fail at any byte). Two banks, A and B, each one header
// sector and data sectors; the list is a sorted array of 8-byte IDUs, 512 to a 4 KiB data sector:
//
//   bank b = sectors [b·bankSectors, (b+1)·bankSectors)       (an odd last sector stays unused)
//   header sector, at its start:
//      0  commit       0x00 once the bank is complete; erased (0xFF) or torn otherwise
//      1  magic "HL", format 1
//      4  generation   u32: the bank written last has the highest
//      8  version      u32: hotlist version (0 = the provisioned list)
//     12  count        u32: cards in the list
//     16  seed         u32: CRC-32 of the provisioned list the versions started from
//     20  data CRC     u32: CRC-32 of the CRC-32s of the data sectors in use, in order
//     24  header CRC   u32: CRC-32 of bytes 1..24 and the index
//     28  index        first IDU of each data sector in use, 8 bytes each
//   data sector j (j = 0, 1, ...): entries j·512 .. j·512+511 of the list, rising
//
// An update writes the bank that is not current: it erases that bank's header sector first (byte
// 0 is the first an erase clears), writes the data sectors and the header, and last clears the
// commit byte. The current bank is never written, so after a cut at any byte the terminal finds
// the old bank whole, and the new one only if its commit byte was written in full: the old list
// or the new one, never a mix. The version in the header says which.
//
// Capacity: min(bankSectors - 1, (sectorSize - 28) / 8 index entries) data sectors of
// sectorSize / 8 cards. The board's partition (manifests/partitions.csv "hotlist") is 400 sectors
// of 4 KiB: 2 banks of 1 + 199 sectors, 101,888 cards.
import type { Flash } from '../../hal/flash.js';
import { crc32 } from '../journal/crc32.js';
import { IDU_LENGTH } from './card-numbers.js';
import { readU32, writeU32 } from './words.js';

export const HOTLIST_LAYOUT = Object.freeze({
  ENTRY_SIZE: IDU_LENGTH,
  COMMIT_AT: 0,
  COMMITTED: 0x00,
  MAGIC: Object.freeze([0x48, 0x4c, 0x01]), // "HL", format 1
  GENERATION_AT: 4,
  VERSION_AT: 8,
  COUNT_AT: 12,
  SEED_AT: 16,
  DATA_CRC_AT: 20,
  HEADER_CRC_AT: 24,
  INDEX_AT: 28,
  BANKS: 2,
} as const);

/** A partition too small for a hotlist; the message gives what it has and what it needs. */
export class HotlistLayoutError extends RangeError {
  override name = 'HotlistLayoutError';
}

export interface HotlistGeometry {
  readonly sectorSize: number;
  /** Sectors of one bank: its header sector and its data sectors. */
  readonly bankSectors: number;
  /** Data sectors a list may use in one bank (the bank's, or what the header's index can name). */
  readonly dataSectors: number;
  readonly entriesPerSector: number;
  /** Cards the list can hold. */
  readonly capacity: number;
}

/** The layout on a partition of `sectorCount` sectors of `sectorSize` bytes; HotlistLayoutError when it holds no card. */
export function hotlistGeometry(flash: Pick<Flash, 'sectorSize' | 'sectorCount'>): HotlistGeometry {
  const { sectorSize, sectorCount } = flash;
  const bankSectors = Math.floor(sectorCount / HOTLIST_LAYOUT.BANKS);
  const indexEntries = Math.floor((sectorSize - HOTLIST_LAYOUT.INDEX_AT) / IDU_LENGTH);
  const dataSectors = Math.min(bankSectors - 1, indexEntries);
  const entriesPerSector = Math.floor(sectorSize / IDU_LENGTH);
  if (dataSectors < 1) {
    throw new HotlistLayoutError(`a hotlist partition needs at least ${HOTLIST_LAYOUT.BANKS * 2} sectors of ${HOTLIST_LAYOUT.INDEX_AT + IDU_LENGTH} bytes (two banks of a header and a data sector); this one has ${sectorCount} of ${sectorSize}`);
  }
  return Object.freeze({ sectorSize, bankSectors, dataSectors, entriesPerSector, capacity: dataSectors * entriesPerSector });
}

/** What a bank's header says. */
export interface BankHeader {
  readonly generation: number;
  readonly version: number;
  readonly count: number;
  readonly seed: number;
  readonly dataCrc: number;
  /** The first IDU of each data sector in use, 8 bytes each. */
  readonly index: Uint8Array;
}

/** Data sectors a list of `count` cards uses. */
export function sectorsFor(geometry: HotlistGeometry, count: number): number {
  return Math.ceil(count / geometry.entriesPerSector);
}

/** The partition sector of data sector `j` of `bank`. */
export function dataSector(geometry: HotlistGeometry, bank: number, j: number): number {
  return bank * geometry.bankSectors + 1 + j;
}

/** The partition sector of `bank`'s header. */
export function headerSector(geometry: HotlistGeometry, bank: number): number {
  return bank * geometry.bankSectors;
}

/** The header's bytes 1.. (all but the commit byte), to write at the header sector's offset 1. */
export function encodeHeader(header: BankHeader): Uint8Array {
  const out = new Uint8Array(HOTLIST_LAYOUT.INDEX_AT + header.index.length);
  out.set(HOTLIST_LAYOUT.MAGIC, 1);
  writeU32(out, HOTLIST_LAYOUT.GENERATION_AT, header.generation, 'hotlist generation');
  writeU32(out, HOTLIST_LAYOUT.VERSION_AT, header.version, 'hotlist version');
  writeU32(out, HOTLIST_LAYOUT.COUNT_AT, header.count, 'hotlist count');
  writeU32(out, HOTLIST_LAYOUT.SEED_AT, header.seed, 'hotlist seed');
  writeU32(out, HOTLIST_LAYOUT.DATA_CRC_AT, header.dataCrc, 'hotlist data CRC');
  out.set(header.index, HOTLIST_LAYOUT.INDEX_AT);
  writeU32(out, HOTLIST_LAYOUT.HEADER_CRC_AT, headerCrc(out), 'hotlist header CRC');
  return out.subarray(1);
}

function headerCrc(header: Uint8Array): number {
  const covered = new Uint8Array(header.length - 5);
  covered.set(header.subarray(1, HOTLIST_LAYOUT.HEADER_CRC_AT));
  covered.set(header.subarray(HOTLIST_LAYOUT.INDEX_AT), HOTLIST_LAYOUT.HEADER_CRC_AT - 1);
  return crc32(covered);
}

/**
 * `bank`'s header when the bank is committed and its header whole (magic, CRC, a count that
 * fits); null otherwise: erased, torn, or never a hotlist bank. Reads the fixed part, then the index.
 */
export function readHeader(flash: Flash, geometry: HotlistGeometry, bank: number): BankHeader | null {
  const start = headerSector(geometry, bank) * geometry.sectorSize;
  const fixed = flash.read(start, HOTLIST_LAYOUT.INDEX_AT);
  if (fixed[HOTLIST_LAYOUT.COMMIT_AT] !== HOTLIST_LAYOUT.COMMITTED) return null;
  for (let i = 0; i < HOTLIST_LAYOUT.MAGIC.length; i++) if (fixed[1 + i] !== HOTLIST_LAYOUT.MAGIC[i]) return null;
  const count = readU32(fixed, HOTLIST_LAYOUT.COUNT_AT);
  if (count > geometry.capacity) return null;
  const index = flash.read(start + HOTLIST_LAYOUT.INDEX_AT, sectorsFor(geometry, count) * IDU_LENGTH);
  const whole = new Uint8Array(HOTLIST_LAYOUT.INDEX_AT + index.length);
  whole.set(fixed);
  whole.set(index, HOTLIST_LAYOUT.INDEX_AT);
  if (headerCrc(whole) !== readU32(fixed, HOTLIST_LAYOUT.HEADER_CRC_AT)) return null;
  return Object.freeze({
    generation: readU32(fixed, HOTLIST_LAYOUT.GENERATION_AT),
    version: readU32(fixed, HOTLIST_LAYOUT.VERSION_AT),
    count,
    seed: readU32(fixed, HOTLIST_LAYOUT.SEED_AT),
    dataCrc: readU32(fixed, HOTLIST_LAYOUT.DATA_CRC_AT),
    index,
  });
}

/** Collects the CRC-32 of each data sector in turn; done() gives the data CRC of the header. */
export class DataCrc {
  readonly #crcs: Uint8Array;
  #sectors = 0;

  constructor(geometry: HotlistGeometry) {
    this.#crcs = new Uint8Array(geometry.dataSectors * 4);
  }

  add(sectorBytes: Uint8Array): void {
    writeU32(this.#crcs, this.#sectors * 4, crc32(sectorBytes), 'sector CRC');
    this.#sectors++;
  }

  done(): number {
    return crc32(this.#crcs.subarray(0, this.#sectors * 4));
  }
}

/**
 * Whether `bank`'s data sectors hold what `header` says: the data CRC, and each sector starting
 * with its index entry. Reads every data sector in use once (count × 8 bytes).
 */
export function dataMatches(flash: Flash, geometry: HotlistGeometry, bank: number, header: BankHeader): boolean {
  const crc = new DataCrc(geometry);
  const sectors = sectorsFor(geometry, header.count);
  for (let j = 0; j < sectors; j++) {
    const entries = Math.min(geometry.entriesPerSector, header.count - j * geometry.entriesPerSector);
    const bytes = flash.read(dataSector(geometry, bank, j) * geometry.sectorSize, entries * IDU_LENGTH);
    for (let i = 0; i < IDU_LENGTH; i++) if (bytes[i] !== header.index[j * IDU_LENGTH + i]) return false;
    crc.add(bytes);
  }
  return crc.done() === header.dataCrc;
}
