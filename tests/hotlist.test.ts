/// <reference types="node" />
/// <reference types="mocha" />
// The hotlist in flash at the board's size (issue 11, build 4): 100,000 cards on the 400-sector
// partition, every boundary of several geometries, power cuts during updates of large lists, and
// the issuer's hotlist-change command as an operator runs it. The engine-neutral scenarios
// (tests/scenarios/hotlist-scenarios.ts) run in tests/scenarios.test.ts and on XS.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimFlash } from '../hal/sim/flash.js';
import { SeededRandom } from '../hal/sim/random.js';
import { fromHex, toHex } from '../firmware/protocol/bytes.js';
import { compareIdu } from '../firmware/hotlist/card-numbers.js';
import { CHANGE_LIST_LIMITS, decodeChangeList, issuerVerifiers, verifyChangeList } from '../firmware/hotlist/change-list.js';
import { hotlistGeometry, type HotlistGeometry } from '../firmware/hotlist/layout.js';
import { HOTLIST_PROBLEM, HotlistRefusedError } from '../firmware/hotlist/refusal.js';
import { HotlistStore } from '../firmware/hotlist/store.js';
import { HotlistWriteError } from '../firmware/hotlist/bank-writer.js';
import type { Flash } from '../hal/flash.js';
import { changeListFromJson, HOTLIST_CHANGE_FORMAT } from '../issuer/hotlist.js';
import { loadIssuerPublicKey, loadTerminalConfig } from '../issuer/files.js';
import { decodeCardImage } from '../card/image.js';
import { UsageJournal } from '../firmware/journal/usage-journal.js';
import { TerminalRig } from '../hal/sim/rig.js';
import { SimCard } from '../hal/sim/sim-card.js';
import { BENCH_FLASH, BENCH_RIG } from './scenarios/world.js';
import {
  BOARD_HOTLIST, boundarySizes, card, cards, change, checkListed, checkUpdateCuts, CountingFlash, hexOf, hotlistIssuer, listBytes,
  lookupReadBound, provisionedStore,
} from './scenarios/hotlist-scenarios.js';

const { issuer, keys } = hotlistIssuer('hotlist test issuer');

function refusedWith(problem: string): (error: unknown) => boolean {
  return (error) => error instanceof HotlistRefusedError && error.problem === problem;
}

/** Steps `count` spread over 0..total-1, the first and the last few included. */
function sample(total: number, count: number): number[] {
  const steps = new Set<number>([0, 1, total - 3, total - 2, total - 1]);
  for (let i = 0; i < count; i++) steps.add(Math.floor(((i + 0.5) * total) / count));
  return [...steps].filter((step) => step >= 0 && step < total).sort((a, b) => a - b);
}

describe('hotlist: geometry and boundaries', function () {
  this.timeout(600_000);

  it('the board partition holds 101,888 cards: 2 banks of a header and 199 sectors of 512', function () {
    const geometry = hotlistGeometry(BOARD_HOTLIST);
    assert.deepEqual({ ...geometry }, { sectorSize: 4096, bankSectors: 200, dataSectors: 199, entriesPerSector: 512, capacity: 101_888 });
    assert.equal(lookupReadBound(geometry), 9);
    const partitions = readFileSync('manifests/partitions.csv', 'utf8');
    const hotlist = /^hotlist,\s*data,\s*0x41,\s*(0x[0-9A-Fa-f]+),\s*(0x[0-9A-Fa-f]+),/m.exec(partitions);
    assert.ok(hotlist, 'manifests/partitions.csv has the hotlist partition');
    assert.equal(Number(hotlist[2]) / 4096, BOARD_HOTLIST.sectorCount, 'the partition is the geometry tested here');
  });

  it('finds exactly the listed cards at every size around every boundary of several geometries', function () {
    const geometries = [
      { sectorSize: 36, sectorCount: 4 }, // the smallest: one index entry, 4 cards
      { sectorSize: 64, sectorCount: 8 }, // bank-limited: 3 data sectors, the index could name 4
      { sectorSize: 64, sectorCount: 10 }, // both limits at once: 4 data sectors, 4 index entries
      { sectorSize: 64, sectorCount: 13 }, // index-limited, odd sector count (the last unused)
      { sectorSize: 128, sectorCount: 12 }, // 16 cards a sector, 5 data sectors
      { sectorSize: 100, sectorCount: 10 }, // a sector size not a multiple of 8: 12 cards, 4 bytes spare
    ];
    for (const partition of geometries) {
      const geometry: HotlistGeometry = hotlistGeometry(partition);
      for (const size of boundarySizes(geometry)) {
        const counting = new CountingFlash(new SimFlash(partition));
        HotlistStore.open(counting).provision(hexOf(cards(0, size)));
        const reopened = new CountingFlash(counting.flash);
        checkListed(HotlistStore.open(reopened), cards(0, size), `${size} cards on ${partition.sectorCount} x ${partition.sectorSize}`, reopened);
      }
      assert.throws(() => provisionedStore(partition, cards(0, geometry.capacity + 1)), refusedWith(HOTLIST_PROBLEM.OVER_CAPACITY), `capacity + 1 on ${JSON.stringify(partition)}`);
    }
  });

  it('finds every one of 100,000 cards on the board partition in at most 9 reads of 8 bytes, and none of their neighbours', function () {
    const list = cards(0, 100_000);
    const counting = new CountingFlash(new SimFlash(BOARD_HOTLIST));
    HotlistStore.open(counting).provision(hexOf(list));
    const reopened = new CountingFlash(counting.flash);
    const store = HotlistStore.open(reopened);
    assert.equal(reopened.bytesRead, 2 * 28 + 196 * 8 + 100_000 * 8, 'open reads both headers, the index and the data once (CRC)');
    checkListed(store, list, '100,000 cards', reopened);
  });

  it('random card numbers: lookups agree with a set at 511, 512, 513, capacity - 1 and capacity on the board partition', function () {
    const geometry = hotlistGeometry(BOARD_HOTLIST);
    const random = new SeededRandom('hotlist random cards');
    const pool = random.bytes((geometry.capacity + 2_000) * 8);
    const all = Array.from({ length: geometry.capacity + 2_000 }, (_, i) => pool.subarray(i * 8, i * 8 + 8));
    for (const size of [511, 512, 513, geometry.capacity - 1, geometry.capacity]) {
      const listed = all.slice(0, size);
      const { store } = provisionedStore(BOARD_HOTLIST, listed);
      assert.equal(store.count, new Set(listed.map(toHex)).size, `${size}: count`);
      const sorted = [...listed].sort((a, b) => compareIdu(a, 0, b, 0));
      assert.equal(toHex(store.readList()), toHex(listBytes(sorted)), `${size}: the list in flash`);
      for (const idu of listed) assert.ok(store.contains(idu), `${size}: ${toHex(idu)} listed`);
      for (const idu of all.slice(geometry.capacity, geometry.capacity + 2_000)) assert.equal(store.contains(idu), false, `${size}: ${toHex(idu)} not listed`);
    }
  });

  it('at capacity a change list adding a card is refused and the old list kept; one that also removes a card applies', function () {
    const geometry = hotlistGeometry(BOARD_HOTLIST);
    const { flash, store } = provisionedStore(BOARD_HOTLIST, cards(0, geometry.capacity - 1));
    store.apply(change(issuer, 1, [card(geometry.capacity - 1)]), keys);
    assert.equal(store.count, geometry.capacity, 'capacity - 1 + 1 = capacity');
    const image = flash.image;
    const erased = flash.sectorsErased;
    assert.throws(() => store.apply(change(issuer, 2, [card(geometry.capacity)]), keys), (error: unknown) => refusedWith(HOTLIST_PROBLEM.OVER_CAPACITY)(error)
      && /would list 101889 cards, the flash holds 101888: the list stays at version 1/.test((error as Error).message));
    assert.equal(flash.sectorsErased, erased, 'nothing erased');
    assert.deepEqual(flash.image, image, 'nothing written');
    // adding one already listed and removing one not listed changes nothing: still within capacity
    store.apply(change(issuer, 2, [card(5)], [card(geometry.capacity + 5)]), keys);
    assert.equal([store.version, store.count].join(), `2,${geometry.capacity}`);
    store.apply(change(issuer, 3, [card(geometry.capacity)], [card(0)]), keys);
    const reopened = HotlistStore.open(flash);
    assert.equal([reopened.version, reopened.count].join(), `3,${geometry.capacity}`);
    assert.ok(reopened.contains(card(geometry.capacity)) && !reopened.contains(card(0)), 'the swap applied');
  });
});

describe('hotlist: power cuts during updates of large lists', function () {
  this.timeout(600_000);

  it('a cut at the start and in the middle of every flash operation of an update of 10,000 cards leaves the old list or the new', function () {
    const geometry = BOARD_HOTLIST;
    const old = cards(0, 10_000);
    const { flash, store } = provisionedStore(geometry, old);
    const removed = cards(0, 10_000).filter((_, i) => i % 20 === 0);
    const added = Array.from({ length: 500 }, (_, i) => card(i * 20 + 7, 1));
    const update = change(issuer, 1, added, removed);
    const after = [...old.filter((_, i) => i % 20 !== 0), ...added].sort((a, b) => compareIdu(a, 0, b, 0));
    // operations: erase the header (4096 steps), per data sector an erase (4096) and a write (4096), the header write, the commit byte
    const sectors = Math.ceil(after.length / 512);
    const starts: number[] = [0, 2048];
    for (let j = 0; j < sectors; j++) {
      const at = 4096 + j * 8192;
      const written = Math.min(512, after.length - j * 512) * 8;
      starts.push(at, at + 2048, at + 4096, at + 4096 + (written >> 1));
    }
    const headerAt = 4096 + (sectors - 1) * 8192 + 4096 + (after.length - (sectors - 1) * 512) * 8;
    const headerBytes = 27 + sectors * 8;
    starts.push(headerAt, headerAt + (headerBytes >> 1), headerAt + headerBytes - 1, headerAt + headerBytes);
    const result = checkUpdateCuts(geometry, flash.image, (held) => held.apply(update, keys), { version: 0, list: old }, { version: 1, list: after }, starts);
    assert.equal(result.steps, headerAt + headerBytes + 1, 'the update takes the steps counted here');
    assert.equal(result.cutsAfterCommit, 0);
  });

  it('a cut at a sample of the steps of a 1,000-card change to 100,000 cards leaves the old list or the new', function () {
    const old = cards(0, 100_000);
    const base = provisionedStore(BOARD_HOTLIST, old);
    base.store.apply(change(issuer, 1, [card(100_000)]), keys);
    const before = [...old, card(100_000)];
    const added = Array.from({ length: 500 }, (_, i) => card(i * 200, 1));
    const removed = Array.from({ length: 500 }, (_, i) => card(i * 200 + 100));
    const update = change(issuer, 2, added, removed);
    const removedSet = new Set(hexOf(removed));
    const after = [...before.filter((idu) => !removedSet.has(toHex(idu))), ...added].sort((a, b) => compareIdu(a, 0, b, 0));
    const image = base.flash.image;
    const probe = new SimFlash({ ...BOARD_HOTLIST, image });
    HotlistStore.open(probe).apply(update, keys);
    const total = probe.bytesProgrammed + probe.sectorsErased * 4096;
    const result = checkUpdateCuts(BOARD_HOTLIST, image, (held) => held.apply(update, keys), { version: 1, list: before }, { version: 2, list: after }, sample(total, 24));
    assert.equal(result.steps, total);
  });

  it('an update cut again and again at different places still ends with the new list', function () {
    const old = cards(0, 3_000);
    const { flash } = provisionedStore(BOARD_HOTLIST, old);
    const update = change(issuer, 1, [card(1, 1), card(2_999, 1)], [card(1_500)]);
    let store = HotlistStore.open(flash);
    for (const step of [5, 40_000, 4_100, 30_000, 12_345]) {
      flash.cutPowerAfter(step);
      assert.throws(() => store.apply(update, keys), /PowerCutError/);
      flash.powerOn();
      store = HotlistStore.open(flash);
      assert.equal(store.version, 0, `after the cut at ${step}: the old list`);
      assert.equal(toHex(store.readList()), toHex(listBytes(old)));
    }
    store.apply(update, keys);
    const expected = [...old.filter((idu) => toHex(idu) !== toHex(card(1_500))), card(1, 1), card(2_999, 1)].sort((a, b) => compareIdu(a, 0, b, 0));
    assert.equal(toHex(HotlistStore.open(flash).readList()), toHex(listBytes(expected)));
  });

  it('a bank that does not read back as written is not committed: the old list stays', function () {
    const { flash } = provisionedStore(BOARD_HOTLIST, cards(0, 1_000));
    let writes = 0;
    const faulty: Flash = {
      sectorSize: flash.sectorSize,
      sectorCount: flash.sectorCount,
      read: (offset, length) => flash.read(offset, length),
      eraseSector: (sector) => flash.eraseSector(sector),
      write(offset, data) { // the second data sector's write keeps one bit at 1, as a worn cell would
        const kept = ++writes === 2 ? Uint8Array.from(data, (byte, i) => (i === 100 ? byte | 0x04 : byte)) : data;
        flash.write(offset, kept);
      },
    };
    const store = HotlistStore.open(faulty);
    const update = change(issuer, 1, [card(0, 1)], []);
    assert.throws(() => store.apply(update, keys), (error: unknown) => error instanceof HotlistWriteError && /bank B does not read back as written/.test((error as Error).message));
    const reopened = HotlistStore.open(flash);
    assert.equal(reopened.version, 0, 'the old list');
    assert.equal(toHex(reopened.readList()), toHex(listBytes(cards(0, 1_000))));
    reopened.apply(update, keys);
    assert.equal(HotlistStore.open(flash).version, 1, 'the update goes through on a sound flash');
  });

  it('begin() spreads an update over steps: lookups see the old list until the last step, and a second update is refused meanwhile', function () {
    const { flash, store } = provisionedStore(BOARD_HOTLIST, cards(0, 2_000));
    const update = store.begin([change(issuer, 1, [card(5, 1)], [card(6)])], keys);
    assert.equal(update.stepsLeft, 1 + 4 + 1, 'the header erase, 4 data sectors, the commit');
    assert.throws(() => store.begin([change(issuer, 1, [card(7, 1)])], keys), refusedWith(HOTLIST_PROBLEM.BUSY));
    while (update.stepsLeft > 1) {
      assert.equal(update.step(), false);
      assert.ok(store.contains(card(6)) && !store.contains(card(5, 1)), 'the old list meanwhile');
      assert.equal(HotlistStore.open(new SimFlash({ ...BOARD_HOTLIST, image: flash.image })).version, 0, 'a restart now finds the old list');
    }
    assert.equal(update.step(), true);
    assert.ok(!store.contains(card(6)) && store.contains(card(5, 1)), 'the new list after the commit');
    assert.equal(store.version, 1);
    assert.equal(update.stepsLeft, 0);
  });
});

describe('issuer hotlist-change (the CLI)', function () {
  this.timeout(120_000);
  const CLI = 'build/issuer/cli.js';
  let dir: string;
  let keyDir: string;
  const run = (args: readonly string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  const ok = (args: readonly string[]) => {
    const result = run(args);
    assert.equal(result.status, 0, `issuer ${args.join(' ')}: ${result.stderr}`);
    return result;
  };
  const refused = (args: readonly string[], problem: RegExp, status = 2) => {
    const result = run(args);
    assert.equal(result.status, status, `expected exit ${status} for ${args.join(' ')}; stderr: ${result.stderr}`);
    assert.match(result.stderr, problem);
    assert.equal(result.stderr.trimEnd().split('\n').length, 1, `one line expected, got:\n${result.stderr}`);
    return result;
  };
  const change = (extra: readonly string[]) => ['hotlist-change', '--key', keyDir, ...extra];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hotlist-'));
    keyDir = join(dir, 'key');
    ok(['create-key', '--suite', 'ed25519', '--key-id', '3', '--out', keyDir]);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a change list file that terminals holding nA verify and apply', function () {
    const out = join(dir, 'v1.json');
    const result = ok(change(['--version', '1', '--add', '0123456789abcdef, 00000000000000FF', '--remove', 'FEDCBA9876543210', '--out', out]));
    assert.match(result.stdout, /^hotlist version 1 written to .*v1\.json \(\d+ bytes signed\)$/m);
    assert.match(result.stdout, /added \(2\): 00000000000000FF, 0123456789ABCDEF/);
    assert.match(result.stdout, /removed \(1\): FEDCBA9876543210/);
    assert.match(result.stdout, /signed with issuer key 3, suite 2 \(Ed25519\)/);
    assert.equal(statSync(out).mode & 0o777, 0o644, 'no secret in it');
    const json = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
    assert.equal(json.format, HOTLIST_CHANGE_FORMAT);
    assert.deepEqual([json.version, json.suite, json.keyId, json.added, json.removed], [1, 2, 3, ['00000000000000FF', '0123456789ABCDEF'], ['FEDCBA9876543210']]);
    const changeList = changeListFromJson(json);
    const nA = loadIssuerPublicKey(keyDir);
    verifyChangeList(changeList, issuerVerifiers([nA])); // throws unless it verifies with nA
    const flash = new SimFlash({ sectorSize: 64, sectorCount: 8 });
    const store = HotlistStore.open(flash);
    store.provision(['FEDCBA9876543210']);
    store.apply(changeList.encoded, issuerVerifiers([nA]));
    assert.equal(toHex(store.readList()), '00000000000000FF0123456789ABCDEF');
    assert.equal(store.version, 1);
  });

  it('adds a card with --add and takes it off with --remove: the terminal blocks the card while listed, and accepts its number once removed', async function () {
    const idu = '00112233445566AA';
    const cardFile = join(dir, 'lost.card.json');
    const terminalFile = join(dir, 't1.json');
    ok(['issue-card', '--key', keyDir, '--nt', '12345678', '--ns', '1357', '--expiry', '2030-12-31', '--idu', idu.toLowerCase(), '--label', 'lost', '--out', cardFile, '--seed', 'round trip']);
    ok(['provision-terminal', '--key', keyDir, '--terminal-id', 'T0001', '--valid-from', '2026-01-01', '--valid-to', '2031-12-31', '--out', terminalFile, '--seed', 'round trip']);
    const added = ok(change(['--version', '1', '--add', idu.toLowerCase(), '--out', join(dir, 'v1.json')]));
    assert.match(added.stdout, new RegExp(`added \\(1\\): ${idu}`));
    const removed = ok(change(['--version', '2', '--remove', idu, '--out', join(dir, 'v2.json')]));
    assert.match(removed.stdout, new RegExp(`removed \\(1\\): ${idu}`));
    const config = loadTerminalConfig(terminalFile);
    const verifiers = issuerVerifiers(config.issuerKeys);
    const store = HotlistStore.open(new SimFlash({ sectorSize: 64, sectorCount: 8 }));
    store.provision(config.hotlist);
    const cardFromFile = () => SimCard.fromImage(decodeCardImage(JSON.parse(readFileSync(cardFile, 'utf8'))), new SeededRandom('round trip card').source);
    const apply = (file: string) => store.apply(changeListFromJson(JSON.parse(readFileSync(join(dir, file), 'utf8'))).encoded, verifiers);
    const flash = new SimFlash(BENCH_FLASH);
    const rig = new TerminalRig({ config, usage: UsageJournal.open(flash, config.terminalId), flash, ...BENCH_RIG, terminal: { ...BENCH_RIG.terminal, hotlist: store } });
    await rig.start();
    const visit = async (card: SimCard) => {
      rig.events.length = 0;
      await rig.insert(card);
      const outcome = rig.eventsOf('card-rejected')[0]?.reason ?? (rig.eventsOf('card-accepted').length === 1 ? 'accepted' : 'nothing');
      const blocked = rig.eventsOf('card-blocked').map((e) => e.step);
      await rig.remove();
      return { outcome, blocked };
    };
    const lost = cardFromFile();
    assert.deepEqual(await visit(lost), { outcome: 'accepted', blocked: [] }, 'version 0: not listed');
    apply('v1.json');
    assert.deepEqual([store.version, store.contains(fromHex(idu))], [1, true], 'version 1 lists it');
    assert.deepEqual(await visit(lost), { outcome: 'hotlisted', blocked: ['hotlist'] }, 'listed: refused and blocked at insertion');
    apply('v2.json');
    assert.deepEqual([store.version, store.contains(fromHex(idu))], [2, false], 'version 2 takes it off');
    assert.deepEqual(await visit(lost), { outcome: 'blocked', blocked: [] }, 'the card blocked while listed stays blocked: the block is in the card');
    assert.deepEqual(await visit(cardFromFile()), { outcome: 'accepted', blocked: [] }, 'its number is accepted again (a card found before any terminal saw it)');
    await rig.shutdown();
  });

  it('show prints a change list and checks its signature with --issuer: valid, or INVALID with exit 1', function () {
    const out = join(dir, 'v7.json');
    ok(change(['--version', '7', '--add', '0123456789ABCDEF', '--out', out]));
    const shown = ok(['show', out, '--issuer', keyDir]);
    assert.match(shown.stdout, /hotlist change list, version 7 .*issuer key 3, suite 2 \(Ed25519\)/);
    assert.match(shown.stdout, /signature: valid with issuer key 3 from --issuer/);
    assert.doesNotMatch(ok(['show', out]).stdout, /signature/, 'no key, no verdict');
    const otherDir = join(dir, 'other');
    ok(['create-key', '--suite', 'ed25519', '--key-id', '3', '--out', otherDir]);
    const invalid = run(['show', out, '--issuer', otherDir]);
    assert.equal(invalid.status, 1, invalid.stderr);
    assert.match(invalid.stdout, /signature: INVALID with issuer key 3 from --issuer \(hotlist version 7: the issuer signature does not verify/);
    const json = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
    writeFileSync(out, JSON.stringify({ ...json, added: ['0123456789ABCDEE'] }));
    refused(['show', out], /"added" says \["0123456789ABCDEE"\], the signed bytes say \["0123456789ABCDEF"\]/);
    writeFileSync(out, JSON.stringify({ ...json, changeList: String(json.changeList).slice(0, -2) }));
    refused(['show', out], /hotlist change list: /);
  });

  it('refuses a bad version, card number, a card both added and removed, too many cards and an existing file, with exit 2', function () {
    const out = join(dir, 'v.json');
    refused(change(['--add', '0123456789ABCDEF', '--out', out]), /--version is required/);
    refused(change(['--version', '0', '--out', out]), /--version must be a whole number from 1 to 4294967295, got "0"/);
    refused(change(['--version', '4294967296', '--out', out]), /--version must be a whole number from 1 to 4294967295/);
    refused(change(['--version', 'two', '--out', out]), /--version must be a whole number/);
    refused(change(['--version', '1', '--add', '0123', '--out', out]), /--add: card number \(IDU\) must be 16 hex digits \(8 bytes\), got "0123"/);
    refused(change(['--version', '1', '--remove', '0123456789ABCDEG', '--out', out]), /--remove: card number/);
    refused(change(['--version', '1', '--add', '0123456789ABCDEF', '--remove', '0123456789abcdef', '--out', out]), /card 0123456789ABCDEF is in both --add and --remove/);
    const many = hexOf(cards(0, CHANGE_LIST_LIMITS.changes + 1)).join(',');
    refused(change(['--version', '1', '--add', many, '--out', out]), /at most 1000 cards added and removed, got 1001: split it into more versions/);
    ok(change(['--version', '1', '--add', hexOf(cards(0, CHANGE_LIST_LIMITS.changes)).join(','), '--out', out]));
    assert.equal(decodeChangeList(changeListFromJson(JSON.parse(readFileSync(out, 'utf8'))).encoded).added.length, 1000, 'the limit itself is signed');
    refused(change(['--version', '2', '--add', '0123456789ABCDEF', '--out', out]), /already exists; use --force to replace it/);
    ok(change(['--version', '2', '--add', '0123456789ABCDEF', '--out', out, '--force']));
    refused(change(['--version', '1', '--out', join(dir, 'none.json'), '--key', join(dir, 'nowhere')]), /nowhere/);
    assert.match(ok(['hotlist-change', '--help']).stdout, /--version N[\s\S]*--add IDU[\s\S]*--remove IDU/);
    assert.match(ok(['--help']).stdout, /hotlist-change/);
  });
});
