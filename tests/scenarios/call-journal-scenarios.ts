// Calls in the usage journal (issue 11, DESIGN.md §5): the record of a call opened when it starts,
// one bitmap bit cleared per tariff unit, closed when it ends. A power cut at any byte of that, of
// acknowledging and reusing the call's sectors, and of the boot recovery, leaves every committed
// record there once and bills the call the units it had: never more than started, at most the
// unit in progress lost. Engine-neutral: these run on Node and on XS; tests/journal.test.ts
// reuses the helpers.
import type { UsageRecord } from '../../firmware/journal/record.js';
import { decodeRecord, encodeRecord } from '../../firmware/journal/record.js';
import { UsageJournal } from '../../firmware/journal/usage-journal.js';
import { DEFAULT_TARIFF, feeFor, feeForUnits, type TerminalConfig } from '../../firmware/terminal/config.js';
import type { CallStart } from '../../firmware/terminal/usage-store.js';
import { SimFlash } from '../../hal/sim/flash.js';
import { TerminalRig } from '../../hal/sim/rig.js';
import { freshFlash, journalWith, openJournal, sampleEntry, sequences, throwsPowerCut } from './journal-scenarios.js';
import { equal, ok, rejects, type Scenario } from './scenario.js';
import { ALICE, BENCH_FLASH, BENCH_RIG, makeWorld, registerPin } from './world.js';

/** Fees that tell connection and unit fees apart in any sum. */
export const CALL_TARIFF = Object.freeze({ currency: 'JPY', connectionFee: 30, unitFee: 7, unitSeconds: 60 } as const);
const UNIT_MS = CALL_TARIFF.unitSeconds * 1000;

/** Dialled digits that make the opening as long as a slot allows: its bitmap counts 64 units, the slot 65. */
export const FULL_OPENING_DIGITS = 49;
export const FULL_OPENING_UNITS = 65;

/** The start of call n, from the same fields as sampleEntry(n); `digits` long a dialled number. */
export function callStart(n: number, digits = 10): CallStart {
  const { registrationNumber, cardNumber, startedAt, serviceCode } = sampleEntry(n);
  const dialled = `0${String(n).padStart(digits - 1, '7')}`.slice(0, digits);
  return Object.freeze({ registrationNumber, cardNumber, startedAt, serviceCode, dialled, tariff: CALL_TARIFF });
}

/** A call duration that has started exactly `units` units: half a second into the last. */
export function callMs(units: number): number {
  return (units - 1) * UNIT_MS + 500;
}

/** Units a call's records bill in all (connection fee once, on the first). */
export function billedUnits(records: readonly UsageRecord[]): number {
  if (records.length === 0) return 0;
  const total = records.reduce((sum, record) => sum + record.fee, 0);
  return (total - CALL_TARIFF.connectionFee) / CALL_TARIFF.unitFee;
}

type Stage = 'opening' | 'metering' | 'closing' | 'acknowledging' | 'reclaiming' | 'done';

/** How far the lifecycle got when the power failed: the stage and the units the call had started. */
interface Progress {
  stage: Stage;
  units: number;
}

/** A call of `units` units from start to end, then the centre's acknowledgement and the sector reuse. */
function lifecycle(start: CallStart, units: number, progress: Progress): (journal: UsageJournal) => void {
  return (journal) => {
    progress.stage = 'opening';
    progress.units = 1;
    journal.openCall(start);
    progress.stage = 'metering';
    for (let unit = 2; unit <= units; unit++) {
      progress.units = unit;
      ok(journal.advanceCall(unit), `unit ${unit} counted`);
    }
    progress.stage = 'closing';
    const records = journal.closeCall(callMs(units));
    progress.stage = 'acknowledging';
    journal.acknowledge(records[records.length - 1]!.sequence);
    progress.stage = 'reclaiming';
    journal.reclaim();
    progress.stage = 'done';
  };
}

/** What the cuts of one lifecycle covered: cuts per stage, and cuts made inside boot recoveries. */
export interface CallCutReport {
  readonly cuts: Record<Stage, number>;
  readonly recoveries: number;
  readonly recoveryCuts: number;
}

/**
 * Cuts the power at every flash byte-step of a call of `units` units made on journalWith(count,
 * acked), of its acknowledgement and of reclaim(); after each cut re-opens the journal (which
 * closes the open call) and checks it, then cuts that recovery at every step of its own and
 * checks again. `digits`: the dialled number's length (FULL_OPENING_DIGITS for a slot of 65 units).
 */
export function checkCallCuts(count: number, acked: number, units: number, digits = 10): CallCutReport {
  const image = journalWith(count, acked).image;
  const before = openJournal(freshFlash(image)).records();
  const first = count + 1;
  const start = callStart(first, digits);
  const cuts: Record<Stage, number> = { opening: 0, metering: 0, closing: 0, acknowledging: 0, reclaiming: 0, done: 0 };
  let recoveries = 0;
  let recoveryCuts = 0;
  for (let step = 0; ; step++) {
    const flash = freshFlash(image);
    const journal = openJournal(flash);
    const progress: Progress = { stage: 'opening', units: 0 };
    flash.cutPowerAfter(step);
    if (!throwsPowerCut(() => lifecycle(start, units, progress)(journal))) {
      equal(progress.stage, 'done', 'the lifecycle ran to its end without a cut');
      break;
    }
    cuts[progress.stage]++;
    flash.powerOn();
    const cut = flash.image;
    const where = `cut at step ${step} (${progress.stage}, unit ${progress.units})`;
    const records = checkAfterCut(cut, before, acked, first, progress, where);
    if (openJournal(freshFlash(cut)).recovered.length === 0) continue;
    recoveries++;
    for (let recoveryStep = 0; ; recoveryStep++) {
      const again = freshFlash(cut);
      again.cutPowerAfter(recoveryStep);
      if (!throwsPowerCut(() => openJournal(again))) break;
      recoveryCuts++;
      again.powerOn();
      equal(openJournal(again).records(), records, `${where}, then at step ${recoveryStep} of the recovery: the same records`);
    }
  }
  return { cuts, recoveries, recoveryCuts };
}

/** Units one record bills: its fee less the connection fee (the call's first record only). */
export function recordUnits(record: UsageRecord): number {
  return (record.fee - (record.continuation ? 0 : CALL_TARIFF.connectionFee)) / CALL_TARIFF.unitFee;
}

/**
 * The checks after one cut, on the journal re-opened from `image` (the recovery runs there);
 * then once more re-opened, which must find the same records and recover nothing. Returns the records.
 */
function checkAfterCut(image: Uint8Array, before: readonly UsageRecord[], acked: number, first: number, progress: Progress, where: string): UsageRecord[] {
  const flash = freshFlash(image);
  const journal = openJournal(flash);
  const records = journal.records();
  const held = sequences(records);
  equal(new Set(held).size, held.length, `${where}: no sequence held twice`);
  const acknowledging = progress.stage === 'acknowledging' || progress.stage === 'reclaiming' || progress.stage === 'done';
  const pending = sequences(journal.pending());
  for (const earlier of before) {
    const found = records.find((record) => record.sequence === earlier.sequence);
    if (found) equal(found, earlier, `${where}: record ${earlier.sequence} intact`);
    const mayBeGone = earlier.sequence <= acked || acknowledging;
    ok(mayBeGone || pending.includes(earlier.sequence), `${where}: unacknowledged record ${earlier.sequence} still pending`);
  }
  const call = records.filter((record) => record.sequence >= first);
  call.forEach((record, i) => {
    if (!acknowledging) equal(record.sequence, first + i, `${where}: the call's records follow each other from ${first}`);
    equal(record.continuation, record.sequence !== first, `${where}: record ${record.sequence} continues the call unless it is its first`);
    ok(!record.cutShort || i === call.length - 1, `${where}: only the call's last record can be cut short`);
    if (record.cutShort) equal(record.durationSeconds, recordUnits(record) * CALL_TARIFF.unitSeconds, `${where}: a cut-short duration is its units' length`);
  });
  const billed = billedUnits(call);
  if (progress.stage === 'reclaiming') equal(pending, [], `${where}: an erase cut off brings no acknowledged record back as pending`);
  if (acknowledging) {
    ok(call.every((record) => !record.cutShort), `${where}: the ended call is not cut short`);
    if (call.length > 0 && call[0]!.sequence === first) equal(billed, progress.units, `${where}: the ended call billed exactly`);
  } else {
    ok(billed <= progress.units, `${where}: billed ${billed} units, more than the ${progress.units} started`);
    ok(billed >= progress.units - 1, `${where}: billed ${billed} units, more than one short of the ${progress.units} started`);
    for (const record of journal.recovered) equal(call.find((held) => held.sequence === record.sequence), record, `${where}: recovered records belong to the call`);
    const last = call[call.length - 1];
    if (last && journal.recovered.some((record) => record.sequence === last.sequence) && progress.stage !== 'closing') ok(last.cutShort, `${where}: the open call was cut short`);
  }
  ok(journal.nextSequence > Math.max(0, ...held), `${where}: next sequence ${journal.nextSequence} above every one held`);
  const again = openJournal(flash);
  equal(again.records(), records, `${where}: the next boot finds the same records`);
  equal(again.recovered, [], `${where}: and recovers nothing: billed once`);
  return records;
}

/**
 * A terminal on its own flash (so a test can take the power away), in a call: alice registered
 * her PIN, dialled, and the call runs. `tariff` replaces the world's.
 */
async function terminalInCall(sectorCount: number, tariff = DEFAULT_TARIFF, fill = 0) {
  const world = await makeWorld();
  const config: TerminalConfig = { ...world.config, tariff };
  const flash = new SimFlash({ ...BENCH_FLASH, sectorCount });
  const usage = UsageJournal.open(flash, config.terminalId);
  for (let n = 1; n <= fill; n++) usage.append(sampleEntry(n));
  const rig = new TerminalRig({ config, usage, flash, ...BENCH_RIG });
  await rig.start();
  await rig.insert(world.card({ label: 'alice' }));
  await registerPin(rig, '2468');
  await rig.press('2468', 'ENTER', '0312345678', 'ENTER');
  return { config, flash, usage, rig };
}

export const callJournalScenarios: Scenario[] = [
  {
    name: 'terminal: a call the power cuts off is billed at the next start for the units it had started, once',
    async run() {
      const { config, flash, rig } = await terminalInCall(BENCH_FLASH.sectorCount);
      const startedAt = rig.clock.now();
      await rig.wait(150); // the third minute has started
      equal(rig.eventsOf('record-written'), [], 'no record written while the call runs');
      // The power fails: the firmware never runs again; the flash keeps what was written.
      const booted = UsageJournal.open(new SimFlash({ ...BENCH_FLASH, image: flash.image }), config.terminalId);
      equal(booted.recovered.length, 1, 'the open call found at boot');
      const record = booted.recovered[0]!;
      equal([record.sequence, record.registrationNumber, record.startedAt, record.dialled], [1, ALICE.registrationNumber, startedAt, '0312345678'], 'Nt, D and the number from the call');
      equal([record.fee, record.durationSeconds, record.cutShort], [feeForUnits(DEFAULT_TARIFF, 3), 180, true], 'three units billed, cut short');
      equal(booted.pending(), [record], 'to upload');
    },
  },
  {
    name: 'terminal: a call longer than the journal has room to count ends with "Call limit reached", billed whole',
    async run() {
      // Two sectors (62 slots) of which 61 are pending: the call's slot is the last one, and
      // with one-second units it counts 401 of them.
      const tariff = { currency: 'JPY', connectionFee: 10, unitFee: 1, unitSeconds: 1 };
      const { usage, rig } = await terminalInCall(2, tariff, 61);
      await rig.wait(500);
      const ended = rig.eventsOf('service-ended')[0];
      equal(ended?.endedBy, 'journal-full', 'the call ended for want of room');
      ok(ended!.durationSeconds > 400 && ended!.durationSeconds < 403, `at the slot's last unit: ${ended!.durationSeconds} s`);
      const record = usage.records().at(-1)!;
      equal([record.sequence, record.cutShort, record.continuation], [62, false, false], 'one record, whole');
      equal(record.fee, ended!.fee, 'the fee shown is the fee recorded');
      equal(record.fee, tariff.connectionFee + record.durationSeconds * tariff.unitFee, 'every second billed');
      equal(rig.lcd.lines[0]!.trim(), `Fee ${record.fee} JPY`, 'the fee');
      equal(rig.lcd.lines[1]!.trim(), 'Call limit reached', 'and why the call ended');
    },
  },
  {
    name: 'journal: a call opens at its start, counts units on flash and closes with the fee feeFor bills',
    run() {
      const flash = journalWith(2);
      const journal = openJournal(flash);
      equal(journal.openCall(callStart(3)), 3, 'the call takes the next sequence');
      equal(journal.openCallSequence, 3, 'the open call');
      equal(journal.records().length, 2, 'an open call is no record yet');
      equal(sequences(journal.pending()), [1, 2], 'nor is it pending upload');
      const programmed = flash.bytesProgrammed;
      for (let unit = 1; unit <= 4; unit++) ok(journal.advanceCall(unit), `unit ${unit}`);
      equal(flash.bytesProgrammed - programmed, 3, 'one byte written per unit after the first');
      ok(journal.advanceCall(2), 'fewer units than shown change nothing');
      equal(flash.bytesProgrammed - programmed, 3, 'nothing written for them');
      const records = journal.closeCall(callMs(4));
      equal(records.length, 1, 'one record');
      const record = records[0]!;
      equal(record.fee, feeFor(CALL_TARIFF, callMs(4)), 'fee V as feeFor bills it');
      equal(record.fee, CALL_TARIFF.connectionFee + 4 * CALL_TARIFF.unitFee, 'connection fee and four units');
      equal(record.durationSeconds, Math.ceil(callMs(4) / 1000), 'duration in whole seconds, rounded up');
      equal([record.cutShort, record.continuation], [false, false], 'neither cut short nor continued');
      equal(journal.openCallSequence, null, 'no call open');
      equal(openJournal(flash).records().at(-1), record, 'the record after re-open');
      equal(openJournal(flash).recovered, [], 'nothing to recover');
      equal(decodeRecord(encodeRecord(record)), record, 'the record as the centre receives it');
    },
  },
  {
    name: 'journal: a call the power cuts is closed at the next open with the units it shows, cut short, billed once',
    run() {
      const flash = journalWith(1);
      const journal = openJournal(flash);
      journal.openCall(callStart(2));
      for (let unit = 2; unit <= 5; unit++) journal.advanceCall(unit);
      flash.cutPowerAfter(0); // unit 6 starts as the power fails: its bit is torn
      ok(throwsPowerCut(() => journal.advanceCall(6)), 'the cut');
      flash.powerOn();
      const booted = openJournal(flash);
      const record = booted.records().at(-1)!;
      equal(booted.recovered, [record], 'the call is recovered');
      equal([record.sequence, record.cutShort, record.continuation], [2, true, false], 'its own sequence, cut short');
      ok(record.fee === feeForUnits(CALL_TARIFF, 5) || record.fee === feeForUnits(CALL_TARIFF, 6), `5 or 6 units billed, got ${record.fee}`);
      equal(record.durationSeconds, billedUnits([record]) * CALL_TARIFF.unitSeconds, 'duration: the units billed');
      equal(sequences(booted.pending()), [1, 2], 'pending upload');
      const again = openJournal(flash);
      equal(again.records(), booted.records(), 'the next boot finds the same records');
      equal(again.recovered, [], 'and recovers nothing again: billed once');
      equal(again.append(sampleEntry(3)), 3, 'the next sequence');
      equal(decodeRecord(encodeRecord(record)).cutShort, true, 'the centre sees the flag');
    },
  },
  {
    name: 'journal: a call longer than its slot goes on in a continuation record; the fees add up to feeFor',
    run() {
      const flash = journalWith(0);
      const journal = openJournal(flash);
      journal.openCall(callStart(1, FULL_OPENING_DIGITS));
      for (let unit = 1; unit <= FULL_OPENING_UNITS; unit++) journal.advanceCall(unit);
      equal(journal.records(), [], 'the slot counts 65 units');
      ok(journal.advanceCall(FULL_OPENING_UNITS + 1), 'unit 66');
      equal(sequences(journal.records()), [1], 'the first record closed with its 65 units');
      equal(journal.openCallSequence, 2, 'the call goes on as record 2');
      ok(journal.advanceCall(3 * FULL_OPENING_UNITS + 2), 'jumping two slots ahead');
      equal(journal.openCallSequence, 4, 'records 2 and 3 full');
      const durationMs = callMs(3 * FULL_OPENING_UNITS + 2);
      const records = journal.closeCall(durationMs);
      equal(sequences(records), [1, 2, 3, 4], 'the call in four records');
      equal(records.map((record) => record.continuation), [false, true, true, true], 'continuations');
      equal(records.reduce((sum, record) => sum + record.fee, 0), feeFor(CALL_TARIFF, durationMs), 'the fees add up to the call’s');
      equal(records[1]!.fee, FULL_OPENING_UNITS * CALL_TARIFF.unitFee, 'a continuation charges no connection');
      equal(records[1]!.startedAt - records[0]!.startedAt, FULL_OPENING_UNITS * UNIT_MS, 'each continues where the last ended');
      equal(openJournal(flash).records(), records, 'all four after re-open');
    },
  },
  {
    name: 'journal: acknowledging never covers the call under way, and its sector is never erased',
    async run() {
      const flash = journalWith(5);
      let journal = openJournal(flash);
      journal.acknowledge(5);
      journal.openCall(callStart(6));
      journal.advanceCall(3);
      await rejects(() => journal.acknowledge(6), /RangeError: the centre acknowledged sequence 6, but 6 is the call under way/, 'acknowledging the open call');
      await rejects(() => journal.append(sampleEntry(7)), /^Error: the call of record 6 is still open/, 'an append during a call');
      await rejects(() => journal.openCall(callStart(7)), /^Error: the call of record 6 is still open/, 'a second call');
      equal(journal.reclaim(), 1, 'sector 0 erased, not the call’s');
      flash.cutPowerAfter(0);
      ok(throwsPowerCut(() => journal.advanceCall(4)), 'power cut in unit 4');
      flash.powerOn();
      journal = openJournal(flash);
      equal(sequences(journal.pending()), [6], 'the call survived the reclaim');
      equal(journal.records().at(-1)!.cutShort, true, 'cut short');
      journal.acknowledge(6);
      equal(journal.pending(), [], 'acknowledged after recovery');
      await rejects(() => journal.closeCall(1000), /^Error: no call is open/, 'closing with no call');
    },
  },
  {
    name: 'journal: a power cut at any byte of a call, its acknowledgement, sector reuse and recovery bills it once',
    run() {
      const report = checkCallCuts(9, 3, 3); // the opening erases and formats sector 0 first
      for (const stage of ['opening', 'metering', 'closing', 'acknowledging', 'reclaiming'] as const) ok(report.cuts[stage] > 0, `cuts while ${stage}: ${JSON.stringify(report)}`);
      ok(report.recoveries > 0 && report.recoveryCuts > 0, `recoveries cut too: ${JSON.stringify(report)}`);
    },
  },
  {
    name: 'journal: a power cut at any byte of a call that continues into a reused sector bills it once',
    run() {
      // 8 records, 3 acknowledged: the call opens in the last free slot; unit 66 closes it and
      // continues in sector 0, erased and formatted in the middle of the call.
      const report = checkCallCuts(8, 3, FULL_OPENING_UNITS + 4, FULL_OPENING_DIGITS);
      ok(report.cuts.metering > 600, `cuts while metering, the sector reuse among them: ${JSON.stringify(report)}`);
    },
  },
];
