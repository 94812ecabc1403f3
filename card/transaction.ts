// Atomic updates of several EEPROM fields (DESIGN.md §3): a redo log, as Java Card's
// transaction buffer. The new values go to the log first; one byte then marks the log
// committed; the values are copied home; the mark is cleared. A power cut before the mark
// leaves the old state, after it the next reset finishes the copy: old or new, never a mix.
import { readUint16, uint16 } from '../firmware/protocol/bytes.js';
import type { Eeprom } from './eeprom.js';

const COMMITTED = 0xa5;
const EMPTY = 0x00;
const HEADER = 3; // mark, entries length (u16)
const ENTRY_HEADER = 3; // offset (u16), length (u8)

export class TransactionError extends Error {
  override name = 'TransactionError';
}

export interface PendingWrite {
  readonly offset: number;
  readonly data: Uint8Array;
}

export class TransactionBuffer {
  #eeprom: Eeprom;
  #at: number;
  #size: number;

  /** The log lives at `at`, `size` bytes long, outside every field it protects. */
  constructor(eeprom: Eeprom, at: number, size: number) {
    this.#eeprom = eeprom;
    this.#at = at;
    this.#size = size;
  }

  /** Writes all or nothing. */
  commit(writes: readonly PendingWrite[]): void {
    const body: number[] = [];
    for (const { offset, data } of writes) {
      if (data.length > 0xff) throw new TransactionError(`a transaction entry holds at most 255 bytes, got ${data.length}`);
      body.push(...uint16(offset), data.length, ...data);
    }
    if (HEADER + body.length > this.#size) throw new TransactionError(`transaction of ${body.length} bytes exceeds the ${this.#size - HEADER}-byte buffer`);
    this.#eeprom.write(this.#at + 1, Uint8Array.from([...uint16(body.length), ...body]));
    this.#eeprom.write(this.#at, Uint8Array.of(COMMITTED));
    this.#apply();
  }

  /** At reset: finishes a transaction whose mark was written before the power went. */
  recover(): boolean {
    if (this.#eeprom.read(this.#at, 1)[0] !== COMMITTED) return false;
    this.#apply();
    return true;
  }

  #apply(): void {
    const length = readUint16(this.#eeprom.read(this.#at + 1, 2));
    if (HEADER + length > this.#size) throw new TransactionError('transaction log is corrupt: length past the buffer');
    const body = this.#eeprom.read(this.#at + HEADER, length);
    for (let offset = 0; offset < body.length;) {
      if (offset + ENTRY_HEADER > body.length) throw new TransactionError('transaction log is corrupt: truncated entry');
      const home = readUint16(body, offset);
      const size = body[offset + 2]!;
      const data = body.subarray(offset + ENTRY_HEADER, offset + ENTRY_HEADER + size);
      if (data.length !== size) throw new TransactionError('transaction log is corrupt: truncated data');
      this.#eeprom.write(home, data);
      offset += ENTRY_HEADER + size;
    }
    this.#eeprom.write(this.#at, Uint8Array.of(EMPTY));
  }
}
