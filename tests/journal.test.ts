// The NOR flash simulator, the usage record format and the usage journal (DESIGN.md §5).
// The engine-neutral journal scenarios also run in tests/scenarios.test.ts and on XS.
import assert from 'node:assert/strict';
import { PowerCutError } from '../hal/flash.js';
import { SimFlash } from '../hal/sim/flash.js';
import { crc32 } from '../firmware/journal/crc32.js';
import { decodeRecord, encodeRecord, readRecord, RecordFormatError } from '../firmware/journal/record.js';
import { JOURNAL_LAYOUT, JournalFullError, UsageJournal } from '../firmware/journal/usage-journal.js';
import {
  checkAcknowledgeCuts, checkAppendCuts, expectedRecord, freshFlash, GEOMETRY, journalWith, noise, openJournal, sampleEntry, sequences, TERMINAL_ID,
} from './scenarios/journal-scenarios.js';

describe('SimFlash (NOR)', function () {
  it('starts erased, writes only clear bits, and erase sets a whole sector back to 0xFF', function () {
    const flash = new SimFlash({ sectorSize: 16, sectorCount: 2 });
    assert.deepEqual(flash.read(0, 32), new Uint8Array(32).fill(0xff));
    flash.write(3, Uint8Array.of(0x0f, 0xf0));
    flash.write(3, Uint8Array.of(0xf3, 0xff)); // cannot set bits back
    assert.deepEqual(flash.read(3, 2), Uint8Array.of(0x03, 0xf0));
    flash.write(20, Uint8Array.of(0x00));
    flash.eraseSector(0);
    assert.deepEqual(flash.read(0, 16), new Uint8Array(16).fill(0xff));
    assert.equal(flash.read(20, 1)[0], 0x00, 'the other sector is untouched');
    assert.equal(flash.bytesProgrammed, 5);
    assert.equal(flash.sectorsErased, 1);
  });

  it('refuses accesses outside the partition with RangeError', function () {
    const flash = new SimFlash({ sectorSize: 16, sectorCount: 2 });
    assert.throws(() => flash.read(30, 3), /RangeError: flash access of 3 bytes at offset 30 is outside the partition/);
    assert.throws(() => flash.read(-1, 1), RangeError);
    assert.throws(() => flash.write(32, Uint8Array.of(0)), RangeError);
    assert.throws(() => flash.eraseSector(2), /RangeError: flash sector 2 does not exist \(0\.\.1\)/);
    assert.throws(() => flash.eraseSector(0.5), RangeError);
    assert.throws(() => new SimFlash({ sectorSize: 16, sectorCount: 2, image: new Uint8Array(31) }), /image is 31 bytes, expected 32/);
    assert.throws(() => new SimFlash({ sectorSize: 0, sectorCount: 2 }), RangeError);
  });

  it('read returns a copy and image round-trips through a new flash', function () {
    const flash = new SimFlash({ sectorSize: 16, sectorCount: 2 });
    flash.write(0, Uint8Array.of(1, 2, 3));
    flash.read(0, 3).fill(0);
    flash.image.fill(0);
    const again = new SimFlash({ sectorSize: 16, sectorCount: 2, image: flash.image });
    assert.deepEqual(again.read(0, 4), Uint8Array.of(1, 2, 3, 0xff));
  });

  it('a power cut tears the next byte, then refuses every access until powerOn()', function () {
    const flash = new SimFlash({ sectorSize: 16, sectorCount: 2 });
    flash.cutPowerAfter(2);
    assert.throws(() => flash.write(0, Uint8Array.of(0x00, 0x11, 0x22, 0x33)), PowerCutError);
    assert.equal(flash.powered, false);
    assert.throws(() => flash.read(0, 1), /PowerCutError: flash has no power/);
    flash.powerOn();
    assert.deepEqual(flash.read(0, 4), Uint8Array.of(0x00, 0x11, 0x2f, 0xff), 'byte 2 half programmed, byte 3 untouched');
    flash.write(3, Uint8Array.of(0x33));
    assert.equal(flash.read(3, 1)[0], 0x33, 'no cut planned after powerOn()');
  });

  it('a power cut during an erase leaves the start erased and the rest as it was', function () {
    const flash = new SimFlash({ sectorSize: 8, sectorCount: 1 });
    flash.write(0, new Uint8Array(8));
    flash.cutPowerAfter(3);
    assert.throws(() => flash.eraseSector(0), PowerCutError);
    flash.powerOn();
    assert.deepEqual(flash.read(0, 8), Uint8Array.of(0xff, 0xff, 0xff, 0xf0, 0, 0, 0, 0));
  });
});

describe('usage record format', function () {
  it('round-trips every field', function () {
    const record = expectedRecord(77);
    const bytes = encodeRecord(record);
    assert.deepEqual(decodeRecord(bytes), record);
    const padded = new Uint8Array(bytes.length + 10).fill(0xff);
    padded.set(bytes);
    assert.deepEqual(readRecord(padded), { record, length: bytes.length });
    assert.throws(() => decodeRecord(padded), /RecordFormatError: 10 bytes follow the record/);
  });

  it('refuses any single flipped bit or truncation, never decoding a wrong record', function () {
    const bytes = encodeRecord(expectedRecord(5));
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      const corrupted = bytes.slice();
      corrupted[bit >> 3]! ^= 0x80 >> (bit & 7);
      assert.throws(() => decodeRecord(corrupted), RecordFormatError, `bit ${bit}`);
    }
    for (let length = 0; length < bytes.length; length++) assert.throws(() => decodeRecord(bytes.subarray(0, length)), RecordFormatError);
    assert.throws(() => decodeRecord(Uint8Array.of(0x55, 0x52, 1, 0, 0, 0, 0, 0, 0)), /RecordFormatError: record CRC-32/);
  });

  it('refuses fields it cannot hold', function () {
    assert.throws(() => encodeRecord({ ...expectedRecord(1), sequence: 0 }), /sequence starts at 1/);
    assert.throws(() => encodeRecord({ ...expectedRecord(1), fee: -1 }), /fee must be an integer/);
    assert.throws(() => encodeRecord({ ...expectedRecord(1), startedAt: 2 ** 48 }), /startedAt/);
    assert.throws(() => encodeRecord({ ...expectedRecord(1), dialled: '12\n3' }), /not printable ASCII/);
  });

  it('uses the standard CRC-32', function () {
    assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  });
});

describe('UsageJournal', function () {
  it('appends from sequence 1 and finds every record again after re-open', function () {
    const flash = freshFlash();
    const journal = openJournal(flash);
    assert.equal(journal.capacity, 9);
    assert.deepEqual([1, 2, 3, 4].map((n) => journal.append(sampleEntry(n))), [1, 2, 3, 4]);
    const again = openJournal(flash);
    assert.deepEqual(again.records(), [1, 2, 3, 4].map((n) => expectedRecord(n)));
    assert.deepEqual(again.pending(), again.records());
    again.acknowledge(3);
    assert.deepEqual(sequences(openJournal(flash).pending()), [4]);
    assert.equal(openJournal(flash).nextSequence, 5);
  });

  it('marks records with bit-clearing writes only: acknowledged is one byte 0xFF → 0x00', function () {
    const flash = journalWith(2);
    const slot = JOURNAL_LAYOUT.HEADER_SIZE;
    assert.deepEqual(flash.read(slot, 2), Uint8Array.of(0x00, 0xff));
    const before = flash.bytesProgrammed;
    openJournal(flash).acknowledge(1);
    assert.equal(flash.bytesProgrammed - before, 1);
    assert.deepEqual(flash.read(slot, 2), Uint8Array.of(0x00, 0x00));
  });

  it('survives a power cut at every byte of an append, with and without rotating into a reclaimed sector', function () {
    checkAppendCuts(0, 0); // formats the first sector
    checkAppendCuts(4, 1);
    checkAppendCuts(3, 3); // formats a blank sector
    assert.ok(checkAppendCuts(9, 4) > GEOMETRY.sectorSize, 'the rotation erased a sector');
  });

  it('survives a power cut at every step of acknowledge and reclaim', function () {
    checkAcknowledgeCuts();
  });

  it('survives power cuts over and over in the same place', function () {
    // Cut-off appends use up slots: the journal must still rotate and keep counting.
    const flash = freshFlash();
    let sequence = 0;
    for (let round = 0; round < 20; round++) {
      const journal = openJournal(flash);
      journal.acknowledge(sequence);
      flash.cutPowerAfter(30);
      assert.throws(() => journal.append(sampleEntry(sequence + 1)), PowerCutError);
      flash.powerOn();
      sequence = openJournal(flash).append(sampleEntry(sequence + 1));
      assert.equal(sequence, round + 1);
    }
    assert.deepEqual(openJournal(flash).records().at(-1), expectedRecord(20));
  });

  it('throws JournalFullError when full, and hasSpace() tells ahead', function () {
    const journal = openJournal(journalWith(8));
    assert.equal(journal.hasSpace(), true);
    journal.append(sampleEntry(9));
    assert.equal(journal.hasSpace(), false);
    assert.throws(() => journal.append(sampleEntry(10)), (error: unknown) => {
      assert.ok(error instanceof JournalFullError);
      assert.equal(error.pending, 9);
      assert.match(error.message, /^journal full: 9 records await upload/);
      return true;
    });
    journal.acknowledge(9);
    assert.equal(journal.hasSpace(), true);
    for (let n = 10; n <= 15; n++) assert.equal(journal.append(sampleEntry(n)), n);
    assert.deepEqual(sequences(journal.pending()), [10, 11, 12, 13, 14, 15]);
  });

  it('never reuses a sequence across acknowledge, reclaim and re-open, many times round the ring', function () {
    const flash = freshFlash();
    let expected = 1;
    for (let round = 0; round < 10; round++) {
      const journal = openJournal(flash);
      for (let i = 0; i < 4; i++) assert.equal(journal.append(sampleEntry(expected)), expected++);
      journal.acknowledge(expected - 1);
      journal.reclaim();
      assert.ok(sequences(journal.records()).every((sequence) => sequence < expected));
    }
    assert.equal(openJournal(flash).nextSequence, expected);
    assert.ok(flash.sectorsErased >= 10, 'sectors were reused');
  });

  it('tolerates a sector of garbage and a garbage slot, reporting them', function () {
    for (let seed = 1; seed <= 20; seed++) {
      const image = journalWith(3).image;
      image.set(noise(GEOMETRY.sectorSize, seed), GEOMETRY.sectorSize * (1 + (seed % 2)));
      const journal = UsageJournal.open(freshFlash(image), TERMINAL_ID);
      assert.ok(journal.damage.length > 0, `seed ${seed}: damage reported`);
      assert.deepEqual(journal.records(), [1, 2, 3].map((n) => expectedRecord(n)), `seed ${seed}`);
      for (let n = 4; n <= 6; n++) assert.equal(journal.append(sampleEntry(n)), n);
    }
    const image = journalWith(3).image;
    image.set(noise(GEOMETRY.sectorSize * GEOMETRY.sectorCount, 99));
    const journal = UsageJournal.open(freshFlash(image), TERMINAL_ID);
    assert.deepEqual(journal.records(), []);
    assert.equal(journal.append(sampleEntry(1)), 1, 'an all-garbage partition is erased and used');
  });

  it('refuses a partition too small to rotate and acknowledgements beyond what it wrote', function () {
    assert.throws(() => UsageJournal.open(new SimFlash({ sectorSize: 512, sectorCount: 1 }), TERMINAL_ID), /at least 2 flash sectors/);
    assert.throws(() => UsageJournal.open(new SimFlash({ sectorSize: 64, sectorCount: 4 }), TERMINAL_ID), /cannot hold/);
    const journal = openJournal(journalWith(2));
    assert.throws(() => journal.acknowledge(3), /centre acknowledged sequence 3, but this journal has issued only up to 2/);
    assert.throws(() => journal.append({ ...sampleEntry(3), dialled: '9'.repeat(100) }), /usage record is \d+ bytes, a journal slot holds 126/);
    assert.equal(journal.append(sampleEntry(3)), 3, 'a refused record uses no sequence');
  });

  it('must be re-opened after a flash failure', function () {
    const flash = journalWith(1);
    const journal = openJournal(flash);
    flash.cutPowerAfter(5);
    assert.throws(() => journal.append(sampleEntry(2)), PowerCutError);
    flash.powerOn();
    assert.throws(() => journal.append(sampleEntry(2)), /open the journal again/);
    assert.equal(openJournal(flash).append(sampleEntry(2)), 2);
  });
});
