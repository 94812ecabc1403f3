// The NOR flash simulator, the usage record format and the usage journal (DESIGN.md §5).
// The engine-neutral journal scenarios also run in tests/scenarios.test.ts and on XS.
import assert from 'node:assert/strict';
import { PowerCutError } from '../hal/flash.js';
import { SimFlash } from '../hal/sim/flash.js';
import { crc32 } from '../firmware/journal/crc32.js';
import { SLOT_FLAG, SLOT_LAYOUT } from '../firmware/journal/call-slot.js';
import { decodeRecord, encodeRecord, readRecord, RecordFormatError, type UsageRecord } from '../firmware/journal/record.js';
import { JOURNAL_LAYOUT, JournalFullError, UsageJournal } from '../firmware/journal/usage-journal.js';
import { concatBytes, uint16, uint32 } from '../firmware/protocol/bytes.js';
import { feeFor, feeForUnits } from '../firmware/terminal/config.js';
import {
  billedUnits, CALL_TARIFF, callMs, callStart, checkCallCuts, FULL_OPENING_DIGITS, FULL_OPENING_UNITS,
} from './scenarios/call-journal-scenarios.js';
import {
  checkAcknowledgeCuts, checkAppendCuts, expectedRecord, freshFlash, GEOMETRY, journalWith, noise, openJournal, sampleEntry, sequences, TERMINAL_ID,
} from './scenarios/journal-scenarios.js';

/** The record as version 1 encoded it: no flags byte (record.ts before calls were journalled as they ran). */
function legacyRecordBytes(record: UsageRecord): Uint8Array {
  const current = encodeRecord(record);
  const flagsAt = 5 + 20; // head, then sequence, startedAt, fee, serviceCode, durationSeconds
  const body = concatBytes(current.subarray(5, flagsAt), current.subarray(flagsAt + 1, current.length - 4));
  const head = concatBytes(Uint8Array.of(0x55, 0x52, 1), uint16(body.length), body);
  return concatBytes(head, uint32(crc32(head)));
}

const SLOT = JOURNAL_LAYOUT.HEADER_SIZE; // the first slot of sector 0

/** A fresh journal with call 1 open and `units` units counted. */
function callUnderWay(units: number): { flash: SimFlash; journal: UsageJournal } {
  const flash = journalWith(0);
  const journal = openJournal(flash);
  journal.openCall(callStart(1));
  journal.advanceCall(units);
  return { flash, journal };
}
const CLOSING_AT = SLOT_LAYOUT.SLOT_SIZE - SLOT_LAYOUT.CLOSING_SIZE;

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

  it('carries the cut-short and continuation flags (version 2) and refuses bits it does not define', function () {
    for (const [cutShort, continuation] of [[true, false], [false, true], [true, true]] as const) {
      const record = { ...expectedRecord(9), cutShort, continuation };
      assert.deepEqual(decodeRecord(encodeRecord(record)), record);
    }
    const bytes = encodeRecord(expectedRecord(9));
    assert.equal(bytes[2], 2, 'version 2');
    const flagsAt = 5 + 20;
    const head = bytes.slice(0, bytes.length - 4);
    head[flagsAt] = 0x04;
    assert.throws(() => decodeRecord(concatBytes(head, uint32(crc32(head)))), /RecordFormatError: record flags 0x4 have bits no version 2 defines/);
    head[2] = 3;
    head[flagsAt] = 0;
    assert.throws(() => decodeRecord(concatBytes(head, uint32(crc32(head)))), /RecordFormatError: record version 3 is none of 2, 1/);
  });

  it('still decodes version 1 (no flags byte): neither cut short nor continued', function () {
    const record = expectedRecord(4);
    const legacy = legacyRecordBytes(record);
    assert.equal(legacy[2], 1);
    assert.equal(legacy.length, encodeRecord(record).length - 1);
    assert.deepEqual(decodeRecord(legacy), record);
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
    assert.deepEqual(flash.read(SLOT, 4), Uint8Array.of(0x00, 0xff, 0xff, 0xff), 'closed; not opened as a call, not cut short, not acknowledged');
    const before = flash.bytesProgrammed;
    openJournal(flash).acknowledge(1);
    assert.equal(flash.bytesProgrammed - before, 1);
    assert.deepEqual(flash.read(SLOT, 4), Uint8Array.of(0x00, 0xff, 0xff, 0x00));
  });

  it('survives a power cut at every byte of an append, with and without rotating into a reclaimed sector', function () {
    checkAppendCuts(0, 0); // into the sector open() formatted
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
    assert.throws(() => journal.append({ ...sampleEntry(3), dialled: '9'.repeat(100) }), /usage record is \d+ bytes, a journal slot holds 104/);
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

describe('UsageJournal: calls', function () {
  it('survives a power cut at every byte of calls of every length, into an empty, a half-full and a rotating journal', function () {
    // [8, 3, 3]: the call fills the last slot and its close readies sector 0 (erased, formatted).
    for (const [count, acked, units] of [[0, 0, 1], [0, 0, 2], [4, 1, 5], [5, 5, 3], [8, 3, 3], [9, 9, 2], [2, 0, 7]] as const) {
      const report = checkCallCuts(count, acked, units);
      assert.ok(report.recoveries > 0, `${count} records, ${units} units: recoveries ${JSON.stringify(report)}`);
    }
    // A call that continues in the sector it has just filled, and one that continues twice.
    checkCallCuts(7, 3, FULL_OPENING_UNITS + 1, FULL_OPENING_DIGITS);
    checkCallCuts(2, 0, 2 * FULL_OPENING_UNITS + 2, FULL_OPENING_DIGITS);
  });

  it('a call whose closing is whole but whose flag was never written is closed as it ended, not cut short', function () {
    const { flash, journal } = callUnderWay(3);
    const [ended] = journal.closeCall(callMs(3));
    const image = flash.image;
    assert.equal(image[SLOT + SLOT_FLAG.CLOSED], 0x00);
    image[SLOT + SLOT_FLAG.CLOSED] = 0xff; // as if the power failed between the closing and its flag
    const booted = openJournal(freshFlash(image));
    assert.deepEqual(booted.recovered, [ended]);
    assert.equal(booted.recovered[0]!.cutShort, false);
    assert.equal(booted.recovered[0]!.fee, feeFor(CALL_TARIFF, callMs(3)));
  });

  it('recovery writes the cut-short closing, so a bitmap bit flipped afterwards changes nothing', function () {
    const { flash, journal } = callUnderWay(4);
    const [record] = openJournal(flash).recovered;
    assert.equal(billedUnits([record!]), 4);
    const closing = flash.read(SLOT + CLOSING_AT, SLOT_LAYOUT.CLOSING_SIZE);
    assert.ok(closing.some((byte) => byte !== 0xff), 'the closing was written');
    const image = flash.image;
    image[SLOT + SLOT_LAYOUT.FLAGS + 70] = 0x00; // bitmap bits beyond the units shown, cleared by a fault
    assert.deepEqual(openJournal(freshFlash(image)).records(), [record]);
  });

  it('a cut-short call whose closing bytes were torn by its own close is billed from the bitmap', function () {
    const { flash, journal } = callUnderWay(5);
    flash.cutPowerAfter(6); // half the closing of a 4 min 30 s call written
    assert.throws(() => journal.closeCall(callMs(5)), PowerCutError);
    flash.powerOn();
    const torn = flash.read(SLOT + CLOSING_AT, SLOT_LAYOUT.CLOSING_SIZE);
    const [record] = openJournal(flash).recovered;
    assert.equal(record!.cutShort, true);
    assert.equal(record!.fee, feeForUnits(CALL_TARIFF, 5), 'the five units the bitmap shows');
    assert.equal(record!.durationSeconds, 5 * CALL_TARIFF.unitSeconds, 'their length, not the 241 s of the torn closing');
    assert.deepEqual(flash.read(SLOT + CLOSING_AT, SLOT_LAYOUT.CLOSING_SIZE), torn, 'the torn closing cannot take another: left alone');
    assert.deepEqual(openJournal(flash).records(), [record]);
  });

  it('counts a bitmap up to its first set bit: bits cleared after a gap are a fault, not units', function () {
    const { flash, journal } = callUnderWay(9); // 8 bits: the first bitmap byte 0x00
    const image = flash.image;
    const bitmapAt = SLOT + SLOT_LAYOUT.FLAGS + flash.read(SLOT + SLOT_LAYOUT.FLAGS + 3, 1)[0]! + 8;
    assert.equal(image[bitmapAt], 0x00);
    image[bitmapAt + 1] = 0x3f; // a gap: two more bits...
    image[bitmapAt + 3] = 0x00; // ...then eight after a set bit
    const [record] = openJournal(freshFlash(image)).recovered;
    assert.equal(billedUnits([record!]), 1 + 8 + 2);
  });

  it('refuses an opening or closing with any bit flipped: never a different record', function () {
    const { flash, journal } = callUnderWay(2);
    const [record] = journal.closeCall(callMs(2));
    const image = flash.image;
    const openingEnd = SLOT + SLOT_LAYOUT.FLAGS + 8 + image[SLOT + SLOT_LAYOUT.FLAGS + 3]!;
    const regions = [[SLOT + SLOT_LAYOUT.FLAGS, openingEnd], [SLOT + CLOSING_AT, SLOT + SLOT_LAYOUT.SLOT_SIZE]] as const;
    for (const [from, to] of regions) {
      for (let bit = from * 8; bit < to * 8; bit++) {
        const flipped = image.slice();
        flipped[bit >> 3]! ^= 0x80 >> (bit & 7);
        const reopened = UsageJournal.open(freshFlash(flipped), TERMINAL_ID);
        assert.deepEqual(reopened.records(), [], `bit ${bit}: no record`);
        assert.equal(reopened.damage.length, 1, `bit ${bit}: damage reported`);
        assert.equal(reopened.nextSequence, 1, `bit ${bit}`);
      }
    }
    assert.deepEqual(openJournal(freshFlash(image)).records(), [record]);
  });

  it('reads, acknowledges and reclaims slots written in the version 1 layout, and goes on after them', function () {
    const flash = freshFlash();
    const header = concatBytes(new TextEncoder().encode('UJRN'), uint32(1));
    flash.write(1, concatBytes(header, uint32(crc32(header))));
    flash.write(0, Uint8Array.of(0));
    for (let n = 1; n <= 2; n++) {
      const at = SLOT + (n - 1) * SLOT_LAYOUT.SLOT_SIZE;
      flash.write(at + 2, legacyRecordBytes(expectedRecord(n)));
      flash.write(at, Uint8Array.of(0)); // committed
    }
    let journal = openJournal(flash);
    assert.deepEqual(journal.records(), [expectedRecord(1), expectedRecord(2)]);
    assert.deepEqual(journal.damage, []);
    journal.acknowledge(1);
    assert.equal(flash.read(SLOT + 1, 1)[0], 0x00, 'the legacy acknowledged flag, at byte 1');
    journal = openJournal(flash);
    assert.deepEqual(sequences(journal.pending()), [2]);
    journal.openCall(callStart(3));
    const [call] = journal.closeCall(callMs(1));
    assert.equal(call!.sequence, 3);
    journal = openJournal(flash);
    assert.deepEqual(sequences(journal.records()), [1, 2, 3]);
    journal.acknowledge(3);
    for (let n = 4; n <= 6; n++) journal.append(sampleEntry(n));
    assert.equal(journal.reclaim(), 1, 'the legacy sector erased once acknowledged');
    assert.deepEqual(sequences(openJournal(flash).records()), [4, 5, 6]);
  });

  it('refuses calls out of turn and counts that make no sense, using no sequence', function () {
    const journal = openJournal(journalWith(1));
    assert.throws(() => journal.advanceCall(2), /^Error: no call is open in the journal$/);
    assert.throws(() => journal.openCall({ ...callStart(2), tariff: { ...CALL_TARIFF, unitSeconds: 0 } }), /RangeError: tariff unit must be a whole number of seconds ≥ 1, got 0/);
    assert.throws(() => journal.openCall({ ...callStart(2), dialled: '9'.repeat(60) }), /RangeError: usage record is \d+ bytes, a journal slot holds 104/);
    assert.equal(journal.openCall(callStart(2)), 2, 'refused calls used no sequence');
    assert.throws(() => journal.advanceCall(0), /RangeError: a call has a whole number of units ≥ 1, got 0/);
    assert.throws(() => journal.advanceCall(2.5), RangeError);
    journal.advanceCall(3);
    assert.throws(() => journal.closeCall(-1), /RangeError: call duration \(ms\) must be a non-negative number, got -1/);
    assert.equal(journal.closeCall(callMs(3))[0]!.fee, feeForUnits(CALL_TARIFF, 3));
  });

  it('a journal with no room for a continuation says so and still records the call whole', function () {
    const journal = openJournal(journalWith(8));
    journal.openCall(callStart(9, FULL_OPENING_DIGITS));
    assert.equal(journal.advanceCall(FULL_OPENING_UNITS), true);
    assert.equal(journal.advanceCall(FULL_OPENING_UNITS + 1), false, 'no slot for the continuation');
    assert.equal(journal.openCallSequence, 9, 'the call stays open');
    const [record] = journal.closeCall(callMs(FULL_OPENING_UNITS + 1));
    assert.equal(record!.fee, feeForUnits(CALL_TARIFF, FULL_OPENING_UNITS + 1), 'billed every unit, beyond its bitmap too');
    assert.throws(() => journal.openCall(callStart(10)), JournalFullError);
  });
});
