// The usage journal's own cost on the device runner (tools/xs/device-runner.c), measured by
// `npm run bench:journal` (tools/bench/journal-bench.ts). Engine-neutral. The partition is the
// board's (16 sectors of 4 KiB, manifests/partitions.csv) on the runner's native NOR chip, driven
// through hal/esp32/journal-flash.ts as on the device, and the journal is full: every slot but the
// last holds a pending record.
//
// device.setup(arg) (charged, then taken off by --setup-only): the records written, the journal
// opened, and for some probes a call opened in the last slot. device.flow(arg), arg "journal:PROBE",
// does one operation and checks it did what it says:
//   open-call   openCall() in the last slot: the call's opening and its flag
//   unit        advanceCall() of a call at unit 5: one more unit, one bitmap byte
//   close-call  closeCall() of a call at unit 5: the closing and its flag
//   append      append() of a record known whole
//   boot        UsageJournal.open() of the full journal, nothing to recover: the scan
//   recovery    UsageJournal.open() of the full journal whose last slot holds a call the power cut
//   none        nothing: what the runner charges for a flow at all
import type { Flash } from '../../hal/flash.js';
import { JournalFlash } from '../../hal/esp32/journal-flash.js';
import { UsageJournal } from '../../firmware/journal/usage-journal.js';
import { DEFAULT_TARIFF } from '../../firmware/terminal/config.js';
import { SERVICE, type CallStart } from '../../firmware/terminal/usage-store.js';
import { RunnerFlash } from '../../tools/xs/native/flash.js';
import { sampleEntry } from './journal-scenarios.js';

export const JOURNAL_PROBES = Object.freeze(['open-call', 'unit', 'close-call', 'append', 'boot', 'recovery', 'none'] as const);
export type JournalProbe = (typeof JOURNAL_PROBES)[number];

/** The board's journal partition (manifests/partitions.csv): 16 sectors of 4 KiB, 496 slots. */
export const BOARD_JOURNAL = Object.freeze({ sectorSize: 4096, sectorCount: 16 } as const);

const TERMINAL_ID = 'T0001';
const CALL_UNITS = 5;

/** A call as the terminal opens one: Nt of 8 digits, a 10-digit number, the default tariff. */
function probeCall(n: number): CallStart {
  const { cardNumber, startedAt } = sampleEntry(n);
  return Object.freeze({ registrationNumber: '12345678', cardNumber, startedAt, serviceCode: SERVICE.METERED_CALL, dialled: '0312345678', tariff: DEFAULT_TARIFF });
}

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`journal probe: ${what}`);
}

/** Fills `flash` with capacity − 1 records; returns the journal, its last slot still free. */
function fullJournal(flash: Flash): UsageJournal {
  const journal = UsageJournal.open(flash, TERMINAL_ID);
  for (let n = 1; n < journal.capacity; n++) journal.append(sampleEntry(n));
  return journal;
}

export function installJournalProbes(partitionGeometry: { readonly sectorSize: number; readonly sectorCount: number } = BOARD_JOURNAL): void {
  const partition = class extends RunnerFlash {
    constructor(name: string) {
      super(name, partitionGeometry);
    }
  };
  let flash: Flash | null = null;
  let journal: UsageJournal | null = null;
  let capacity = 0;

  function probeOf(arg: string): JournalProbe {
    const [kind, name] = arg.split(':');
    const probe = JOURNAL_PROBES.find((p) => p === name);
    if (kind !== 'journal' || !probe) throw new RangeError(`device arg "${arg}" is not journal:PROBE (${JOURNAL_PROBES.join(', ')})`);
    return probe;
  }

  (globalThis as unknown as { device: unknown }).device = {
    setup(arg: string): void {
      const probe = probeOf(arg);
      flash = new JournalFlash({ storage: { io: partition, partition: 'journal' } });
      const full = fullJournal(flash);
      capacity = full.capacity;
      if (probe === 'unit' || probe === 'close-call' || probe === 'recovery') {
        full.openCall(probeCall(capacity));
        full.advanceCall(CALL_UNITS);
      }
      journal = probe === 'boot' || probe === 'recovery' ? null : full; // those open their own
    },
    flow(arg: string): void {
      const probe = probeOf(arg);
      if (!flash) throw new Error('flow() before setup()');
      const sequence = capacity;
      if (probe === 'open-call') check(journal!.openCall(probeCall(sequence)) === sequence, 'the call takes the last slot');
      else if (probe === 'unit') check(journal!.advanceCall(CALL_UNITS + 1), 'unit counted');
      else if (probe === 'close-call') check(journal!.closeCall(CALL_UNITS * 60_000 - 500)[0]!.sequence === sequence, 'the call closed');
      else if (probe === 'append') check(journal!.append(sampleEntry(sequence)) === sequence, 'the record takes the last slot');
      else if (probe === 'boot') check(UsageJournal.open(flash, TERMINAL_ID).pendingCount === capacity - 1, 'every record found');
      else if (probe === 'recovery') {
        const booted = UsageJournal.open(flash, TERMINAL_ID);
        check(booted.recovered.length === 1 && booted.recovered[0]!.cutShort && booted.pendingCount === capacity, 'the call recovered, cut short');
      }
    },
  };
}
