// Hotlist lookup and update cost on the board's partition (issue 11, "hotlist lookup in flash reads
// for 100,000 entries"): `npm run bench:hotlist`. Printed, never asserted.
//
// How: the firmware's HotlistStore (firmware/hotlist) on a simulated NOR partition of the board's
// geometry (manifests/partitions.csv "hotlist": 400 sectors of 4 KiB), provisioned with 100,000
// card numbers, wrapped in a flash that counts read() calls and bytes. Flash reads and bytes are
// what the device does (esp_partition_read per read()); the µs figures are Node on this machine
// and only say the lookup is not the insertion's cost (the card's signature checks are).
import { performance } from 'node:perf_hooks';
import { SimFlash } from '../../hal/sim/flash.js';
import { hotlistGeometry } from '../../firmware/hotlist/layout.js';
import { HotlistStore } from '../../firmware/hotlist/store.js';
import { BOARD_HOTLIST, card, cards, change, CountingFlash, hexOf, hotlistIssuer } from '../../tests/scenarios/hotlist-scenarios.js';

const CARDS = 100_000;

interface Figures {
  readonly lookups: number;
  readonly maxReads: number;
  readonly meanReads: number;
  readonly maxBytes: number;
  readonly found: number;
  readonly microseconds: number;
}

function measure(store: HotlistStore, counting: CountingFlash, probes: readonly Uint8Array[]): Figures {
  let maxReads = 0;
  let maxBytes = 0;
  let found = 0;
  const reads0 = counting.reads;
  const start = performance.now();
  for (const probe of probes) {
    const reads = counting.reads;
    const bytes = counting.bytesRead;
    if (store.contains(probe)) found++;
    maxReads = Math.max(maxReads, counting.reads - reads);
    maxBytes = Math.max(maxBytes, counting.bytesRead - bytes);
  }
  const microseconds = ((performance.now() - start) * 1000) / probes.length;
  return { lookups: probes.length, maxReads, meanReads: (counting.reads - reads0) / probes.length, maxBytes, found, microseconds };
}

function line(what: string, figures: Figures): string {
  return `${what.padEnd(34)} ${String(figures.lookups).padStart(7)} lookups, found ${String(figures.found).padStart(7)}: reads max ${figures.maxReads}, mean ${figures.meanReads.toFixed(2)}; bytes max ${figures.maxBytes}; ${figures.microseconds.toFixed(2)} µs each on Node`;
}

const geometry = hotlistGeometry(BOARD_HOTLIST);
const list = cards(0, CARDS);
const counting = new CountingFlash(new SimFlash(BOARD_HOTLIST));
HotlistStore.open(counting).provision(hexOf(list));

const readsBeforeOpen = counting.reads;
const bytesBeforeOpen = counting.bytesRead;
const store = HotlistStore.open(counting);
const openReads = counting.reads - readsBeforeOpen;
const openBytes = counting.bytesRead - bytesBeforeOpen;

process.stdout.write(`hotlist bench: ${CARDS.toLocaleString('en')} cards on ${BOARD_HOTLIST.sectorCount} sectors of ${BOARD_HOTLIST.sectorSize} B `
  + `(2 banks of 1 + ${geometry.dataSectors} sectors, ${geometry.entriesPerSector} cards a sector, capacity ${geometry.capacity.toLocaleString('en')}); `
  + `RAM index ${Math.ceil(CARDS / geometry.entriesPerSector) * 8} B\n`);
process.stdout.write(`open (boot): ${openReads} reads, ${openBytes.toLocaleString('en')} bytes (both headers, the index, the data once for its CRC)\n`);
process.stdout.write(`${line('listed cards', measure(store, counting, list))}\n`);
process.stdout.write(`${line('unlisted neighbours (card + 1)', measure(store, counting, list.map((_, n) => card(n, 1))))}\n`);
process.stdout.write(`${line('below the first / above the last', measure(store, counting, [card(-1), card(CARDS)]))}\n`);

const { issuer, keys } = hotlistIssuer('hotlist bench');
const update = change(issuer, 1, Array.from({ length: 500 }, (_, i) => card(i * 200, 1)), Array.from({ length: 500 }, (_, i) => card(i * 200 + 100)));
const flash = counting.flash as SimFlash;
const [programmed, erased, reads, bytes] = [flash.bytesProgrammed, flash.sectorsErased, counting.reads, counting.bytesRead];
const start = performance.now();
store.apply(update, keys);
const ms = performance.now() - start;
process.stdout.write(`update by a change list of 500 added + 500 removed (${update.length} bytes): ${flash.sectorsErased - erased} sectors erased, `
  + `${(flash.bytesProgrammed - programmed).toLocaleString('en')} bytes programmed, ${counting.reads - reads} reads of ${(counting.bytesRead - bytes).toLocaleString('en')} bytes; `
  + `${ms.toFixed(0)} ms on Node (signature check included)\n`);
