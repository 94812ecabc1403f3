// The hotlist in flash (firmware/hotlist, patent [0019], issue 11 item 4): issuer-signed change
// lists, a list of any size up to the partition's capacity found exactly, a power cut at any byte
// of an update leaving the old list or the new one, and the terminal refusing a listed card.
// Engine-neutral: these run on Node and on XS; tests/hotlist.test.ts reuses the helpers for the
// board's partition and 100,000 cards.
import type { Flash } from '../../hal/flash.js';
import { SimFlash } from '../../hal/sim/flash.js';
import { SeededRandom } from '../../hal/sim/random.js';
import { TerminalRig } from '../../hal/sim/rig.js';
import { UsageJournal } from '../../firmware/journal/usage-journal.js';
import { toHex } from '../../firmware/protocol/bytes.js';
import { IDU_LENGTH } from '../../firmware/hotlist/card-numbers.js';
import {
  CHANGE_LIST_LIMITS, ChangeListError, decodeChangeList, encodeChangeList, issuerVerifiers, type ChangeList, type IssuerKeys,
} from '../../firmware/hotlist/change-list.js';
import { hotlistGeometry, type HotlistGeometry } from '../../firmware/hotlist/layout.js';
import { HOTLIST_PROBLEM } from '../../firmware/hotlist/refusal.js';
import { HotlistStore } from '../../firmware/hotlist/store.js';
import type { Verifier } from '../../firmware/crypto/suite.js';
import { createIssuerKey, issueCard, provisionTerminal, type IssuerKey } from '../../issuer/issuer.js';
import { signChangeList } from '../../issuer/hotlist.js';
import { SimCard } from '../../hal/sim/sim-card.js';
import { SimCardSlot } from '../../hal/sim/card-slot.js';
import { VirtualClock } from '../../hal/sim/clock.js';
import { SimKeypad } from '../../hal/sim/keypad.js';
import { SimLcd } from '../../hal/sim/lcd.js';
import { startFirmware } from '../../firmware/main.js';
import type { TerminalConfig } from '../../firmware/terminal/config.js';
import type { TerminalEvent } from '../../firmware/terminal/events.js';
import { throwsPowerCut } from './journal-scenarios.js';
import { ALICE, BENCH_FLASH, BENCH_RIG, START } from './world.js';
import { equal, ok, rejects, type Scenario } from './scenario.js';

/** 64-byte sectors: 8 cards each; the header's index names 4 sectors, so banks of 6 sectors hold 4 × 8 = 32 cards. */
export const INDEX_LIMITED = Object.freeze({ sectorSize: 64, sectorCount: 12 });
/** Banks of 3 sectors (a header, 2 data sectors): 16 cards, the bank being the limit. */
export const BANK_LIMITED = Object.freeze({ sectorSize: 64, sectorCount: 6 });
/** The board's "hotlist" partition (manifests/partitions.csv): 400 sectors of 4 KiB. */
export const BOARD_HOTLIST = Object.freeze({ sectorSize: 4096, sectorCount: 400 });

const FIRST_CARD = 0x3530_0000_0000_0000n;
/** Cards n = 0, 1, ... differ in every byte from the next, and card ± 1 is never one of them. */
const CARD_STRIDE = 0x0102_0304_0507n;

function bytesOf(value: bigint): Uint8Array {
  const out = new Uint8Array(IDU_LENGTH);
  for (let i = IDU_LENGTH - 1, rest = value; i >= 0; i--, rest >>= 8n) out[i] = Number(rest & 0xffn);
  return out;
}

/** Card number n of the test lists (rising with n), or its neighbour `offset` away (not listed for offset ±1). */
export function card(n: number, offset = 0): Uint8Array {
  return bytesOf(FIRST_CARD + BigInt(n) * CARD_STRIDE + BigInt(offset));
}

/** Cards from..to-1. */
export function cards(from: number, to: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let n = from; n < to; n++) out.push(card(n));
  return out;
}

/** A list as HotlistStore.readList() gives it: the cards in rising order, 8 bytes each. */
export function listBytes(list: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(list.length * IDU_LENGTH);
  list.forEach((entry, i) => out.set(entry, i * IDU_LENGTH));
  return out;
}

export function hexOf(list: readonly Uint8Array[]): string[] {
  return list.map(toHex);
}

/** A Flash that counts reads and bytes read: what a lookup costs. */
export class CountingFlash implements Flash {
  readonly flash: Flash;
  reads = 0;
  bytesRead = 0;

  constructor(flash: Flash) {
    this.flash = flash;
  }

  get sectorSize(): number {
    return this.flash.sectorSize;
  }

  get sectorCount(): number {
    return this.flash.sectorCount;
  }

  read(offset: number, length: number): Uint8Array {
    this.reads++;
    this.bytesRead += length;
    return this.flash.read(offset, length);
  }

  write(offset: number, data: Uint8Array): void {
    this.flash.write(offset, data);
  }

  eraseSector(sector: number): void {
    this.flash.eraseSector(sector);
  }
}

/** Reads a lookup may take: none in RAM, a binary search over a sector's entries but its first. */
export function lookupReadBound(geometry: HotlistGeometry): number {
  return Math.ceil(Math.log2(geometry.entriesPerSector));
}

/**
 * Checks `store` lists exactly `list` (rising): readList() equals it, every card is found,
 * each one's neighbours ±1 and the cards outside the list's ends are not, and no lookup takes
 * more than lookupReadBound reads of 8 bytes. `counting` is the store's flash, when counted.
 */
export function checkListed(store: HotlistStore, list: readonly Uint8Array[], what: string, counting?: CountingFlash): void {
  equal(store.count, list.length, `${what}: count`);
  equal(toHex(store.readList()), toHex(listBytes(list)), `${what}: the list in flash`);
  const bound = lookupReadBound(store.geometry);
  const lookup = (idu: Uint8Array): boolean => {
    const before = counting ? [counting.reads, counting.bytesRead] : [0, 0];
    const found = store.contains(idu);
    if (counting) {
      const reads = counting.reads - before[0]!;
      ok(reads <= bound && counting.bytesRead - before[1]! === reads * IDU_LENGTH, `${what}: looking up ${toHex(idu)} took ${reads} reads of ${counting.bytesRead - before[1]!} bytes, at most ${bound} of 8 expected`);
    }
    return found;
  };
  for (const listed of list) {
    ok(lookup(listed), `${what}: listed card ${toHex(listed)} found`);
    for (const offset of [-1, 1]) {
      const neighbour = listed.slice();
      let at = IDU_LENGTH - 1; // ±1 with carry: ...00 - 1 borrows, ...FF + 1 carries
      while (at >= 0 && neighbour[at] === (offset > 0 ? 0xff : 0x00)) neighbour[at--] = offset > 0 ? 0x00 : 0xff;
      if (at >= 0) neighbour[at]! += offset;
      ok(!lookup(neighbour), `${what}: neighbour ${toHex(neighbour)} of ${toHex(listed)} not found`);
    }
  }
  ok(!lookup(new Uint8Array(IDU_LENGTH)), `${what}: 0000000000000000 not found`);
  ok(!lookup(new Uint8Array(IDU_LENGTH).fill(0xff)), `${what}: FFFFFFFFFFFFFFFF not found`);
}

/**
 * Issuer keys with each signature checked once for real: the same bytes again get the answer the
 * real verifier gave, so a loop cutting the power at every byte of one update does not pay a
 * signature check per cut on XS.
 */
export function onceVerified(keys: IssuerKeys): IssuerKeys {
  const seen = new Map<string, boolean>();
  return {
    issuerKey(suite, keyId) {
      const key = keys.issuerKey(suite, keyId);
      if (!key || !key.verifier) return key;
      const real: Verifier = key.verifier;
      return {
        ...key,
        verifier: {
          verify(message: Uint8Array, signature: Uint8Array): boolean {
            const id = `${suite}/${keyId}/${toHex(message)}/${toHex(signature)}`;
            let result = seen.get(id);
            if (result === undefined) seen.set(id, (result = real.verify(message, signature)));
            return result;
          },
        },
      };
    },
  };
}

/** The issuer of these scenarios (Ed25519, key id 1) and the verifiers a terminal holds for it. */
export function hotlistIssuer(seed = 'hotlist-issuer'): { issuer: IssuerKey; keys: IssuerKeys } {
  const issuer = createIssuerKey(2, 1, new SeededRandom(seed).source);
  return { issuer, keys: onceVerified(issuerVerifiers([issuer])) };
}

/** Change list `version`, signed by `issuer`. */
export function change(issuer: IssuerKey, version: number, added: readonly Uint8Array[], removed: readonly Uint8Array[] = []): Uint8Array {
  return signChangeList(issuer, { version, added: hexOf(added), removed: hexOf(removed) });
}

/** A store on a new flash of `geometry`, provisioned with `list`. */
export function provisionedStore(geometry: { sectorSize: number; sectorCount: number }, list: readonly Uint8Array[]): { flash: SimFlash; store: HotlistStore } {
  const flash = new SimFlash(geometry);
  const store = HotlistStore.open(flash);
  store.provision(hexOf(list));
  return { flash, store };
}

export interface ListState {
  readonly version: number;
  readonly list: readonly Uint8Array[];
}

function sameState(store: HotlistStore, state: ListState): boolean {
  return store.version === state.version && toHex(store.readList()) === toHex(listBytes(state.list));
}

/**
 * Runs `action` on a store opened from `image`, the power cut after `step` flash byte-steps, for
 * each step of `steps` (every step when null, until the action completes). After each cut the
 * store opened again must hold `before` or `after` exactly, and running `action` again on it must
 * reach `after`. Returns the steps the whole action takes and how many cuts left the new list.
 */
export function checkUpdateCuts(
  geometry: { sectorSize: number; sectorCount: number }, image: Uint8Array, action: (store: HotlistStore) => void,
  before: ListState, after: ListState, steps: readonly number[] | null = null,
): { steps: number; cutsAfterCommit: number } {
  const whole = new SimFlash({ ...geometry, image });
  const start = whole.bytesProgrammed + whole.sectorsErased * geometry.sectorSize;
  action(HotlistStore.open(whole));
  const total = whole.bytesProgrammed + whole.sectorsErased * geometry.sectorSize - start;
  ok(sameState(HotlistStore.open(whole), after), 'the update without a cut reaches the new list');
  let cutsAfterCommit = 0;
  const plan = steps ?? Array.from({ length: total }, (_, i) => i);
  for (const step of plan) {
    const flash = new SimFlash({ ...geometry, image });
    const store = HotlistStore.open(flash);
    flash.cutPowerAfter(step);
    ok(throwsPowerCut(() => action(store)), `a cut after ${step} of ${total} steps stops the update`);
    flash.powerOn();
    const reopened = HotlistStore.open(flash);
    const isNew = sameState(reopened, after);
    ok(isNew || sameState(reopened, before), `cut after step ${step} of ${total}: version ${reopened.version} with ${reopened.count} cards is neither the old list (version ${before.version}, ${before.list.length}) nor the new (version ${after.version}, ${after.list.length})`);
    if (isNew) cutsAfterCommit++;
    else action(reopened);
    ok(sameState(HotlistStore.open(flash), after), `cut after step ${step}: the update done again reaches the new list`);
  }
  return { steps: total, cutsAfterCommit };
}

/** Sizes at and around every boundary of `geometry`: 0, 1, each multiple of a sector's entries ± 1, capacity - 1 and capacity. */
export function boundarySizes(geometry: HotlistGeometry): number[] {
  const sizes = new Set<number>([0, 1, geometry.capacity - 1, geometry.capacity]);
  for (let sectors = 1; sectors <= geometry.dataSectors; sectors++) {
    for (const delta of [-1, 0, 1]) sizes.add(sectors * geometry.entriesPerSector + delta);
  }
  return [...sizes].filter((size) => size >= 0 && size <= geometry.capacity).sort((a, b) => a - b);
}

/**
 * The firmware started as a platform starts it (startFirmware) on simulated parts with these two
 * partitions; visit() inserts a card and gives what insertion decided, then takes it out.
 */
function bootFirmware(config: TerminalConfig, journalFlash: SimFlash, hotlistFlash: SimFlash) {
  const slot = new SimCardSlot();
  let waiting: { kinds: readonly string[]; resolve: (event: TerminalEvent) => void } | null = null;
  const until = (...kinds: string[]) => new Promise<TerminalEvent>((resolve) => (waiting = { kinds, resolve }));
  const firmware = startFirmware({
    hal: { reader: slot, keypad: new SimKeypad(), display: new SimLcd(), clock: new VirtualClock(START), random: new SeededRandom('firmware'), flash: journalFlash, hotlistFlash },
    config,
    onEvent: (event) => {
      if (waiting && waiting.kinds.includes(event.event)) {
        const { resolve } = waiting;
        waiting = null;
        resolve(event);
      }
    },
  });
  return {
    firmware,
    async visit(device: SimCard): Promise<string> {
      const decided = until('card-rejected', 'card-accepted');
      slot.insert(device);
      const event = await decided;
      const gone = until(event.event === 'card-rejected' ? 'eject' : 'card-removed');
      if (event.event === 'card-rejected') await gone;
      slot.remove();
      if (event.event === 'card-accepted') await gone;
      return event.event === 'card-rejected' ? event.reason : 'accepted';
    },
    async stop(): Promise<void> {
      firmware.terminal.shutdown();
      await firmware.stopped;
    },
  };
}

function refusedFor(action: () => unknown, problem: string, what: string): void {
  try {
    action();
  } catch (error) {
    equal((error as { problem?: string }).problem, problem, `${what}: refusal`);
    return;
  }
  ok(false, `${what}: not refused`);
}

export const hotlistScenarios: Scenario[] = [
  {
    name: 'hotlist: a change list round-trips, verifies with nA, and nothing else verifies',
    run() {
      const { issuer, keys } = hotlistIssuer();
      const bytes = change(issuer, 7, [card(3), card(1)], [card(2)]);
      const decoded: ChangeList = decodeChangeList(bytes);
      equal([decoded.version, decoded.suite, decoded.keyId], [7, 2, 1], 'version, suite, key id');
      equal(hexOf(decoded.added), hexOf([card(1), card(3)]), 'added cards in rising order');
      equal(hexOf(decoded.removed), hexOf([card(2)]), 'removed cards');
      equal(decoded.encoded, bytes, 'the relayed bytes');
      const store = HotlistStore.open(new SimFlash(INDEX_LIMITED));
      refusedFor(() => store.apply(bytes, keys), HOTLIST_PROBLEM.WRONG_VERSION, 'version 7 onto version 0');
      const other = hotlistIssuer('another issuer').issuer;
      refusedFor(() => store.apply(change(other, 1, [card(1)]), keys), HOTLIST_PROBLEM.BAD_SIGNATURE, 'same key id, another key');
      refusedFor(() => store.apply(change(createIssuerKey(2, 9, new SeededRandom('k9').source), 1, [card(1)]), keys), HOTLIST_PROBLEM.UNKNOWN_KEY, 'a key the terminal does not hold');
      const forged = encodeChangeList({ ...decodeChangeList(change(issuer, 1, [card(1)])), removed: [card(4)] }, decodeChangeList(change(issuer, 1, [card(1)])).signature);
      refusedFor(() => store.apply(forged, keys), HOTLIST_PROBLEM.BAD_SIGNATURE, 'a card slipped into a signed list');
      equal([store.stored, store.version, store.count], [false, 0, 0], 'nothing written by any refusal');
      store.apply(change(issuer, 1, [card(5)]), keys);
      equal([store.version, hexOf([card(5)])], [1, hexOf(decodeChangeList(change(issuer, 1, [card(5)])).added)], 'version 1 applied');
    },
  },
  {
    name: 'hotlist: malformed change lists are refused with a ChangeListError, never partly applied',
    async run() {
      const { issuer } = hotlistIssuer();
      const good = change(issuer, 1, [card(1), card(2)], [card(3)]);
      for (let length = 0; length < good.length; length++) {
        await rejects(() => decodeChangeList(good.subarray(0, length)), /^ChangeListError: hotlist change list: /, `truncated to ${length} bytes`);
      }
      const longer = new Uint8Array(good.length + 1);
      longer.set(good);
      await rejects(() => decodeChangeList(longer), /^ChangeListError/, 'a byte after the change list');
      // hand-built: the signature D7 is two bytes of nothing, decoding does not check it
      const wrap = (ec: number[]) => Uint8Array.of(0xdf, 0x02, ec.length + 4, ...ec, 0xd7, 0x02, 0xaa, 0xbb);
      const fields = (...parts: number[][]) => { const inner = parts.flat(); return [0xec, inner.length, ...inner]; };
      const version = (v: number) => [0xdc, 4, v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
      const suite = [0xc4, 1, 2];
      const key = [0xc5, 1, 1];
      const idu = (tag: number, n: number) => [tag, 8, ...card(n)];
      equal(decodeChangeList(wrap(fields(version(1), suite, key, idu(0xc2, 1), idu(0xca, 2)))).version, 1, 'the hand-built form decodes');
      const bad: [string, number[], RegExp][] = [
        ['version 0', fields(version(0), suite, key), /version 0 is the provisioned list/],
        ['a 3-byte version', fields([0xdc, 3, 0, 0, 1], suite, key), /version must be 4 bytes/],
        ['suite missing', fields(version(1), key), /suite \(tag C4\) expected, found tag C5/],
        ['key id of 2 bytes', fields(version(1), suite, [0xc5, 2, 0, 1]), /key id must be 1 byte/],
        ['removed before added', fields(version(1), suite, key, idu(0xca, 2), idu(0xc2, 1)), /unexpected tag C2 after the cards/],
        ['cards not rising', fields(version(1), suite, key, idu(0xc2, 2), idu(0xc2, 1)), /added cards must rise without repeats/],
        ['a card twice', fields(version(1), suite, key, idu(0xca, 2), idu(0xca, 2)), /removed cards must rise without repeats/],
        ['added and removed', fields(version(1), suite, key, idu(0xc2, 2), idu(0xca, 2)), /is both added and removed/],
        ['a 7-byte card', fields(version(1), suite, key, [0xc2, 7, 1, 2, 3, 4, 5, 6, 7]), /added card 1 must be 8 bytes/],
        ['an unknown tag', fields(version(1), suite, key, [0xc6, 1, 0]), /unexpected tag C6/],
      ];
      for (const [what, ec, pattern] of bad) await rejects(() => decodeChangeList(wrap(ec)), pattern, what);
      const nonMinimal = wrap(fields(version(1), suite, key));
      const stretched = Uint8Array.of(nonMinimal[0]!, nonMinimal[1]!, 0x81, ...nonMinimal.subarray(2));
      await rejects(() => decodeChangeList(stretched), /not in the minimal encoding/, 'a length of 0x81 nn under 128');
      await rejects(() => decodeChangeList(Uint8Array.of(0xdf, 0x02, 0x02, 0xd7, 0x00)), /must hold the change message EC and then the signature D7/, 'no message');
      const limit = CHANGE_LIST_LIMITS.changes;
      await rejects(() => change(issuer, 1, cards(0, limit + 1)), /at most 1000 cards added and removed, got 1001/, 'one card too many');
      equal(decodeChangeList(change(issuer, 1, cards(0, limit - 1), [card(limit)])).added.length, limit - 1, 'exactly at the limit');
      await rejects(() => change(issuer, 0, [card(1)]), /version must be 1 to 4294967295 \(0 is the provisioned list\), got 0/, 'signing version 0');
      await rejects(() => change(issuer, 1, [card(1)], [card(1)]), /is both added and removed/, 'signing a card added and removed');
      ok(ChangeListError.name === 'ChangeListError', 'error class name');
    },
  },
  {
    name: 'hotlist: every size at and around each sector, index and capacity boundary is found exactly',
    run() {
      for (const partition of [INDEX_LIMITED, BANK_LIMITED]) {
        const geometry = hotlistGeometry(partition);
        for (const size of boundarySizes(geometry)) {
          const list = cards(0, size);
          const counting = new CountingFlash(new SimFlash(partition));
          const store = HotlistStore.open(counting);
          store.provision(hexOf(list));
          checkListed(store, list, `${size} of ${geometry.capacity} cards, provisioned`, counting);
          const reopened = new CountingFlash(counting.flash);
          checkListed(HotlistStore.open(reopened), list, `${size} cards, after re-open`, reopened);
        }
        const full = provisionedStore(partition, []).store;
        refusedFor(() => full.provision(hexOf(cards(0, geometry.capacity + 1))), HOTLIST_PROBLEM.OVER_CAPACITY, `provisioning capacity + 1 = ${geometry.capacity + 1}`);
      }
    },
  },
  {
    name: 'hotlist: change lists grow the list across every boundary up to capacity, and capacity + 1 is refused keeping the old list',
    run() {
      const { issuer, keys } = hotlistIssuer();
      const geometry = hotlistGeometry(INDEX_LIMITED);
      const flash = new SimFlash(INDEX_LIMITED);
      let store = HotlistStore.open(flash);
      for (let size = 1; size <= geometry.capacity; size++) {
        // each version adds the card just below the others and removes nothing that is listed
        store.apply(change(issuer, size, [card(geometry.capacity - size)], [card(geometry.capacity + size)]), keys);
        store = HotlistStore.open(flash);
        checkListed(store, cards(geometry.capacity - size, geometry.capacity), `version ${size}`);
      }
      const image = flash.image;
      refusedFor(() => store.apply(change(issuer, geometry.capacity + 1, [card(geometry.capacity)]), keys), HOTLIST_PROBLEM.OVER_CAPACITY, 'capacity + 1');
      equal(flash.image, image, 'the refused change wrote nothing');
      equal([HotlistStore.open(flash).version, HotlistStore.open(flash).count], [geometry.capacity, geometry.capacity], 'old list kept');
      store.apply(change(issuer, geometry.capacity + 1, [card(geometry.capacity)], [card(0)]), keys);
      checkListed(HotlistStore.open(flash), cards(1, geometry.capacity + 1), 'a change that adds one and removes one at capacity');
      for (let size = geometry.capacity - 1, version = geometry.capacity + 2; size >= 0; size--, version++) {
        HotlistStore.open(flash).apply(change(issuer, version, [], [card(geometry.capacity - size)]), keys);
        checkListed(HotlistStore.open(flash), cards(geometry.capacity - size + 1, geometry.capacity + 1), `shrunk to ${size}`);
      }
    },
  },
  {
    name: 'hotlist: a power cut at every byte of an update leaves the old list or the new one, and the update done again completes',
    run() {
      const { issuer, keys } = hotlistIssuer();
      const old = cards(0, 12);
      const { flash, store } = provisionedStore(INDEX_LIMITED, old);
      store.apply(change(issuer, 1, [card(20)]), keys);
      const before = { version: 1, list: [...old, card(20)] };
      const update = change(issuer, 2, [card(3, 1), card(25)], [card(0), card(7)]);
      const after = { version: 2, list: [...cards(1, 3), card(3), card(3, 1), ...cards(4, 7), ...cards(8, 12), card(20), card(25)] };
      const result = checkUpdateCuts(INDEX_LIMITED, flash.image, (held) => held.apply(update, keys), before, after);
      ok(result.steps > 3 * INDEX_LIMITED.sectorSize, `the update took ${result.steps} steps`);
      equal(result.cutsAfterCommit, 0, 'only the last byte, the commit, makes the new list: no cut before it does');
      const provisioning = checkUpdateCuts(INDEX_LIMITED, new SimFlash(INDEX_LIMITED).image, (held) => held.provision(hexOf(old)), { version: 0, list: [] }, { version: 0, list: old });
      ok(provisioning.steps > 2 * INDEX_LIMITED.sectorSize, 'provisioning cut at every step too');
    },
  },
  {
    name: 'hotlist: an answer\'s change lists apply in one write, stopping at the first refused',
    run() {
      const { issuer, keys } = hotlistIssuer();
      const { flash, store } = provisionedStore(INDEX_LIMITED, cards(0, 4));
      const erasedBefore = flash.sectorsErased;
      const outcome = store.applyAll([
        change(issuer, 1, [card(10), card(11)], [card(0)]),
        change(issuer, 2, [card(0)], [card(10), card(12)]),
        change(issuer, 3, [card(13)]),
        change(hotlistIssuer('forger').issuer, 4, [card(14)]),
        change(issuer, 5, [card(15)]),
      ], keys);
      equal([outcome.version, outcome.applied, outcome.refused?.name, (outcome.refused as { problem?: string } | null)?.problem], [3, 3, 'HotlistRefusedError', 'bad-signature'], 'three applied, the forged fourth refused');
      checkListed(HotlistStore.open(flash), [...cards(0, 4), card(11), card(13)], 'versions 1-3 folded: each card\'s last change wins');
      equal(flash.sectorsErased - erasedBefore, 2, 'one bank written: its header and one data sector erased');
      const none = store.applyAll([change(issuer, 3, [card(20)]), change(issuer, 4, [card(21)])], keys);
      equal([none.version, none.applied, (none.refused as { problem?: string } | null)?.problem], [3, 0, 'wrong-version'], 'a version already held is refused');
      const malformed = store.applyAll([Uint8Array.of(0xdf, 0x02, 0x00)], keys);
      equal(malformed.refused?.name, 'ChangeListError', 'malformed bytes are refused in the outcome');
      equal(flash.sectorsErased - erasedBefore, 2, 'refusals wrote nothing');
    },
  },
  {
    name: 'hotlist: provisioning writes version 0 once; a new provisioning list starts again; a damaged bank falls back to the other',
    run() {
      const { issuer, keys } = hotlistIssuer();
      const { flash, store } = provisionedStore(INDEX_LIMITED, cards(0, 3));
      equal([store.stored, store.version, store.count], [true, 0, 3], 'provisioned as version 0');
      store.apply(change(issuer, 1, [card(9)]), keys);
      const written = flash.bytesProgrammed;
      equal(HotlistStore.open(flash).provision(hexOf([card(2), card(0), card(1)])), false, 'the same provisioning (any order) again writes nothing');
      equal(flash.bytesProgrammed, written, 'not a byte');
      equal(HotlistStore.open(flash).version, 1, 'the change since provisioning kept');
      const again = HotlistStore.open(flash);
      equal(again.provision(hexOf([card(5)])), true, 'another provisioning list');
      checkListed(HotlistStore.open(flash), [card(5)], 'the new provisioning at version 0');
      equal(HotlistStore.open(flash).version, 0, 'version 0 again');
      HotlistStore.open(flash).apply(change(issuer, 1, [card(6)]), keys);
      // Writes went to banks A, B, A, B (each into the bank not current): B holds version 1, A version 0.
      const damaged = flash.image;
      damaged[(hotlistGeometry(INDEX_LIMITED).bankSectors + 1) * INDEX_LIMITED.sectorSize + 3]! ^= 0x01; // a bit of B's first data sector
      const fallback = new SimFlash({ ...INDEX_LIMITED, image: damaged });
      const reopened = HotlistStore.open(fallback);
      equal(reopened.version, 0, 'bank A\'s older version is used');
      checkListed(reopened, [card(5)], 'the older list, whole');
      ok(reopened.damage.length === 1 && /bank B \(version 1, generation 4\): its data does not match its header/.test(reopened.damage[0]!), `damage reported: ${reopened.damage.join('; ')}`);
      reopened.apply(change(issuer, 1, [card(6)]), keys);
      const repaired = HotlistStore.open(fallback);
      checkListed(repaired, [card(5), card(6)], 'version 1 applied again, over the damaged bank');
      equal([repaired.version, repaired.damage], [1, []], 'no damage left');
    },
  },
  {
    name: 'hotlist: a partition too small for a hotlist is refused by name',
    async run() {
      await rejects(() => HotlistStore.open(new SimFlash({ sectorSize: 64, sectorCount: 3 })), /HotlistLayoutError: a hotlist partition needs at least 4 sectors of 36 bytes .* this one has 3 of 64/, 'three sectors');
      await rejects(() => HotlistStore.open(new SimFlash({ sectorSize: 32, sectorCount: 8 })), /HotlistLayoutError/, 'sectors too small for an index entry');
      equal(hotlistGeometry({ sectorSize: 36, sectorCount: 4 }).capacity, 4, 'the smallest: 4 cards');
      equal(hotlistGeometry(BOARD_HOTLIST).capacity, 101_888, 'the board: 199 data sectors of 512 cards');
      const store = HotlistStore.open(new SimFlash({ sectorSize: 36, sectorCount: 4 }));
      await rejects(() => store.contains(Uint8Array.of(1, 2, 3)), /RangeError: a card number \(IDU\) is 8 bytes, got 3/, 'a short card number');
      await rejects(() => store.provision(['0123']), /hotlist\[0\] must be a card number \(IDU\) of 16 hex digits, got "0123"/, 'a bad provisioned entry');
    },
  },
  {
    name: 'hotlist: the terminal refuses a card on the flash hotlist and accepts its number once a change list removes it ([0019])',
    async run() {
      const { issuer, keys } = hotlistIssuer('terminal issuer');
      const random = new SeededRandom('hotlist-terminal');
      const config = provisionTerminal(issuer, { terminalId: 'T0001', validFrom: '2026-01-01', validTo: '2031-12-31', hotlist: ['00112233445566AA'] }, random.source);
      const hotlistFlash = new SimFlash(INDEX_LIMITED);
      const hotlist = HotlistStore.open(hotlistFlash);
      hotlist.provision(config.hotlist);
      const flash = new SimFlash(BENCH_FLASH);
      const rig = new TerminalRig({ config, usage: UsageJournal.open(flash, config.terminalId), flash, ...BENCH_RIG, terminal: { ...BENCH_RIG.terminal, hotlist } });
      await rig.start();
      const cardOf = (label: string, cardNumber: string) => SimCard.personalise(issueCard(issuer, { ...ALICE, cardNumber }, random.source).personalisation, label, random.source);
      const stolen = cardOf('stolen', '00112233445566aa');
      const other = cardOf('other', '00112233445566ab');
      const visit = async (device: SimCard): Promise<string> => {
        rig.events.length = 0;
        await rig.insert(device);
        const outcome = rig.eventsOf('card-rejected')[0]?.reason ?? (rig.eventsOf('card-accepted').length === 1 ? 'accepted' : 'nothing');
        await rig.remove();
        return outcome;
      };
      equal(await visit(stolen), 'hotlisted', 'the provisioned card, from flash');
      equal(await visit(other), 'accepted', 'its neighbour');
      hotlist.apply(signChangeList(issuer, { version: 1, added: ['00112233445566AB'], removed: ['00112233445566AA'] }), keys);
      // The card the terminal saw while it was listed was blocked then, and stays so (the block is in the card).
      equal(await visit(stolen), 'blocked', 'the card blocked while listed');
      equal(await visit(cardOf('found', '00112233445566aa')), 'accepted', 'removed by version 1: its number, on a card no terminal blocked');
      equal(await visit(other), 'hotlisted', 'added by version 1');
      equal(HotlistStore.open(hotlistFlash).version, 1, 'version 1 in flash');
      await rig.shutdown();
    },
  },
  {
    name: 'hotlist: startFirmware keeps the hotlist on hal.hotlistFlash: the provisioned list as version 0 once, the changes after it across a restart',
    async run() {
      const { issuer, keys } = hotlistIssuer('firmware issuer');
      const random = new SeededRandom('hotlist-firmware');
      const config = provisionTerminal(issuer, { terminalId: 'T0001', validFrom: '2026-01-01', validTo: '2031-12-31', hotlist: ['00112233445566AA'] }, random.source);
      const cardOf = (label: string, cardNumber: string) => SimCard.personalise(issueCard(issuer, { ...ALICE, cardNumber }, random.source).personalisation, label, random.source);
      const stolen = cardOf('stolen', '00112233445566AA');
      const other = cardOf('other', '00112233445566AB');
      const journalFlash = new SimFlash(BENCH_FLASH);
      const hotlistFlash = new SimFlash(INDEX_LIMITED);
      const first = bootFirmware(config, journalFlash, hotlistFlash);
      equal([first.firmware.hotlist?.version, first.firmware.hotlist?.count], [0, 1], 'the provisioned list written as version 0');
      equal(await first.visit(stolen), 'hotlisted', 'the provisioned card');
      equal(await first.visit(other), 'accepted', 'another card');
      first.firmware.hotlist!.apply(signChangeList(issuer, { version: 1, added: ['00112233445566AB'], removed: ['00112233445566AA'] }), keys);
      equal(await first.visit(other), 'hotlisted', 'added by version 1, at once');
      await first.stop();
      const written = hotlistFlash.bytesProgrammed;
      const second = bootFirmware(config, journalFlash, hotlistFlash);
      equal(second.firmware.hotlist?.version, 1, 'version 1 after the restart: the provisioning is not written again');
      equal(hotlistFlash.bytesProgrammed, written, 'the restart wrote nothing to the hotlist');
      // Cards are blocked once seen on the list: fresh cards with the same numbers show the list itself.
      equal(await second.visit(cardOf('found', '00112233445566AA')), 'accepted', 'removed by version 1');
      equal(await second.visit(cardOf('other again', '00112233445566AB')), 'hotlisted', 'still listed');
      await second.stop();
    },
  },
];
