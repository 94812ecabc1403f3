// The usage journal on simulated NOR flash (DESIGN.md §5): a power cut at any byte leaves every
// record whole or absent, sequences are never reused, space comes back only after acknowledgement.
// Engine-neutral: these run on Node and on XS; tests/journal.test.ts reuses the helpers.
import { PowerCutError } from '../../hal/flash.js';
import { SimFlash } from '../../hal/sim/flash.js';
import { SeededRandom } from '../../hal/sim/random.js';
import type { UsageRecord } from '../../firmware/journal/record.js';
import { JournalFullError, UsageJournal } from '../../firmware/journal/usage-journal.js';
import { SERVICE, type UsageEntry } from '../../firmware/terminal/usage-store.js';
import { equal, ok, rejects, type Scenario } from './scenario.js';

export const TERMINAL_ID = 'T-0001';
/** 512-byte sectors hold 3 slots each: 3 sectors make a journal of 9 records. */
export const GEOMETRY = Object.freeze({ sectorSize: 512, sectorCount: 3 } as const);

/** A usage entry whose every field depends on n, so a record from the wrong slot shows. */
export function sampleEntry(n: number): UsageEntry {
  return Object.freeze({
    registrationNumber: `0312345${String(n).padStart(4, '0')}`,
    cardNumber: Uint8Array.of(0x49, 0x44, 0x55, n & 0xff, (n * 7) & 0xff, 0x00, 0xff, 0x80),
    startedAt: 1_700_000_000_000 + n * 61_000,
    fee: 10 * n + 3,
    serviceCode: SERVICE.METERED_CALL,
    durationSeconds: 30 + n,
    dialled: `0120${String(n).padStart(6, '0')}`,
  });
}

export function expectedRecord(sequence: number, entryNumber = sequence): UsageRecord {
  return { terminalId: TERMINAL_ID, sequence, ...sampleEntry(entryNumber), cutShort: false, continuation: false };
}

export function freshFlash(image?: Uint8Array): SimFlash {
  return new SimFlash(image ? { ...GEOMETRY, image } : GEOMETRY);
}

export function openJournal(flash: SimFlash): UsageJournal {
  return UsageJournal.open(flash, TERMINAL_ID);
}

/** A journal holding records 1..count (entry n under sequence n), acknowledged up to `acked`. */
export function journalWith(count: number, acked = 0): SimFlash {
  const flash = freshFlash();
  const journal = openJournal(flash);
  for (let n = 1; n <= count; n++) journal.append(sampleEntry(n));
  if (acked > 0) journal.acknowledge(acked);
  return flash;
}

export function sequences(records: readonly UsageRecord[]): number[] {
  return records.map((record) => record.sequence);
}

/**
 * Runs `action` on a journal opened from `image`, with the power cut after k flash byte-steps, for
 * k = 0, 1, ... until the action completes; after each cut, `check` gets the journal re-opened
 * from what the flash holds. Returns how many cuts were made.
 */
export function cutAtEveryStep(image: Uint8Array, action: (journal: UsageJournal) => void, check: (journal: UsageJournal, step: number) => void): number {
  for (let step = 0; ; step++) {
    const flash = freshFlash(image);
    const journal = openJournal(flash);
    flash.cutPowerAfter(step);
    if (!throwsPowerCut(() => action(journal))) return step;
    flash.powerOn();
    check(openJournal(flash), step);
  }
}

export function throwsPowerCut(action: () => void): boolean {
  try {
    action();
  } catch (error) {
    if (error instanceof PowerCutError) return true;
    throw error;
  }
  return false;
}

/** Power cut at every byte of appending entry `count + 1` to a journal of `count` records. */
export function checkAppendCuts(count: number, acked: number): number {
  const image = journalWith(count, acked).image;
  const before = openJournal(freshFlash(image)).records();
  const sequence = count + 1;
  const cuts = cutAtEveryStep(image, (journal) => journal.append(sampleEntry(sequence)), (journal, step) => {
    const after = journal.records();
    const kept = after.filter((record) => record.sequence !== sequence);
    equal(kept, before.filter((record) => after.some((held) => held.sequence === record.sequence)), `cut at step ${step}: earlier records intact`);
    equal(sequences(journal.pending()), sequences(before.filter((record) => record.sequence > acked)).concat(after.length > kept.length ? [sequence] : []), `cut at step ${step}: nothing acknowledged is pending, nothing pending is lost`);
    if (after.length > kept.length) equal(after[after.length - 1], expectedRecord(sequence), `cut at step ${step}: the new record is whole`);
    const next = journal.append(sampleEntry(sequence + 1));
    ok(next > Math.max(acked, ...sequences(after)), `cut at step ${step}: the next append got ${next}, not above every sequence seen`);
  });
  ok(cuts > 50, `the append took only ${cuts} flash steps`);
  return cuts;
}

/** Power cut at every step of acknowledging up to 6 of 9 records and reclaiming the space. */
export function checkAcknowledgeCuts(): number {
  const image = journalWith(9).image;
  return cutAtEveryStep(image, (journal) => {
    journal.acknowledge(6);
    journal.reclaim();
  }, (journal, step) => {
    const pending = sequences(journal.pending());
    ok([7, 8, 9].every((sequence) => pending.includes(sequence)), `cut at step ${step}: records 7..9 still pending, got ${pending.join(',')}`);
    for (const record of journal.records()) equal(record, expectedRecord(record.sequence), `cut at step ${step}: record ${record.sequence} intact`);
    equal(journal.nextSequence, 10, `cut at step ${step}: next sequence`);
    journal.acknowledge(6);
    journal.reclaim();
    equal(sequences(journal.pending()), [7, 8, 9], `cut at step ${step}: acknowledging again completes the job`);
    equal(journal.append(sampleEntry(10)), 10, `cut at step ${step}: the next append`);
  });
}

/** Deterministic noise, so a garbage sector is the same on every engine. */
export function noise(length: number, seed: number): Uint8Array {
  return new SeededRandom(`noise ${seed}`).bytes(length);
}

export const journalScenarios: Scenario[] = [
  {
    name: 'journal: records survive re-opening, in sequence order, with every field',
    run() {
      const flash = journalWith(5, 2);
      const journal = openJournal(flash);
      equal(journal.records(), [1, 2, 3, 4, 5].map((n) => expectedRecord(n)), 'records after re-open');
      equal(sequences(journal.pending()), [3, 4, 5], 'pending after re-open');
      equal(journal.damage, [], 'no damage');
    },
  },
  {
    name: 'journal: a power cut at any byte of an append leaves the record whole or absent',
    run() {
      checkAppendCuts(4, 1); // into the active sector
      checkAppendCuts(9, 4); // rotating: erase sector 0, format it, then write
    },
  },
  {
    name: 'journal: a power cut at any step of acknowledge and reclaim loses nothing pending',
    run() {
      ok(checkAcknowledgeCuts() > GEOMETRY.sectorSize, 'reclaim erased at least one sector');
    },
  },
  {
    name: 'journal: sequence numbers are never reused, even after every old record is erased',
    run() {
      const flash = journalWith(9, 9);
      let journal = openJournal(flash);
      equal(journal.reclaim(), 2, 'two sectors erased, the active one kept');
      journal = openJournal(flash);
      equal(journal.append(sampleEntry(10)), 10, 'first append after reclaim and re-open');
      journal.acknowledge(10);
      equal(journal.reclaim(), 1, 'the sector that held 7..9 erased');
      equal(journal.records(), [expectedRecord(10)], 'only record 10 left');
      journal = openJournal(flash);
      for (let n = 11; n <= 12; n++) journal.append(sampleEntry(n));
      journal.acknowledge(12);
      flash.cutPowerAfter(20); // the next sector is formatted, then the power fails inside record 13
      ok(throwsPowerCut(() => journal.append(sampleEntry(13))), 'append 13 cut off');
      flash.powerOn();
      journal = openJournal(flash);
      equal(journal.reclaim(), 1, 'the sector of records 10..12 erased');
      equal(journal.records(), [], 'every record erased: only the sector header keeps the count');
      journal = openJournal(flash);
      equal(journal.nextSequence, 13, 'next sequence after re-open');
      equal(journal.append(sampleEntry(13)), 13, 'append after re-open');
    },
  },
  {
    name: 'journal: a full journal refuses appends until the centre acknowledges',
    async run() {
      const journal = openJournal(journalWith(9));
      ok(!journal.hasSpace(), 'hasSpace() is false when full');
      await rejects(() => journal.append(sampleEntry(10)), /^JournalFullError: journal full: 9 records await upload/, 'append to a full journal');
      journal.acknowledge(2);
      ok(!journal.hasSpace(), 'a sector with one pending record is not reused');
      journal.acknowledge(3);
      ok(journal.hasSpace(), 'hasSpace() once a sector is wholly acknowledged');
      equal(journal.append(sampleEntry(10)), 10, 'the append after acknowledgement');
      equal(sequences(journal.records()), [4, 5, 6, 7, 8, 9, 10], 'records 1..3 gave their sector up');
      await rejects(() => journal.acknowledge(11), /RangeError: .*issued only up to 10/, 'acknowledging what was never written');
      ok(new JournalFullError(3).message.includes('3 records await upload'), 'the operator message');
    },
  },
  {
    name: 'journal: a sector of garbage is reported and worked around, valid records kept',
    run() {
      const image = journalWith(6, 0).image;
      image.set(noise(GEOMETRY.sectorSize, 42), 2 * GEOMETRY.sectorSize);
      image.set(noise(40, 7), GEOMETRY.sectorSize + 16 + 128 + 20); // inside record 5
      const flash = freshFlash(image);
      const journal = openJournal(flash);
      ok(journal.damage.some((damage) => damage.sector === 2 && damage.slot === null), 'garbage sector header reported');
      ok(journal.damage.some((damage) => damage.sector === 1 && damage.slot === 1), 'torn record 5 reported');
      equal(sequences(journal.records()), [1, 2, 3, 4, 6], 'valid records kept, the damaged one never returned');
      equal(journal.append(sampleEntry(7)), 7, 'the garbage sector is erased and reused');
      equal(openJournal(flash).records().at(-1), expectedRecord(7), 'record 7 after re-open');
      equal(openJournal(flash).damage.filter((damage) => damage.sector === 2), [], 'garbage gone');
    },
  },
];
