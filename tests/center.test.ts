/// <reference types="node" />
/// <reference types="mocha" />
// The fee management centre over real HTTP on the loopback, on SQLite and on PostgreSQL (a
// throwaway cluster: tools/postgres/cluster.ts). What it must show (issue 11): whatever the centre
// and the network do during an upload (killed before receiving, after its checks, after storing
// but before answering, mid-answer; requests and answers cut; deliveries duplicated, delayed and
// reordered), the month's bill equals the sum of the services given, to the yen, each record
// stored once. And every bad input gets its HTTP error and stores nothing.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { suiteById } from '../firmware/crypto/suites.js';
import { toHex } from '../firmware/protocol/bytes.js';
import type { UsageRecord } from '../firmware/journal/record.js';
import { decodeChangeList, issuerVerifiers, verifyChangeList } from '../firmware/hotlist/change-list.js';
import { checkCentreCertificate } from '../firmware/upload/centre-certificate.js';
import { acceptAnswer, encodeBatch, UPLOAD_LIMITS, type BatchContent } from '../firmware/upload/messages.js';
import { SERVICE } from '../firmware/terminal/usage-store.js';
import { centreKeyToJson, saveTerminalConfig } from '../issuer/files.js';
import { changeListToJson, signChangeList } from '../issuer/hotlist.js';
import { provisionTerminal } from '../issuer/issuer.js';
import { SeededRandom } from '../hal/sim/random.js';
import { startCentre, MEDIA_TYPE, type RunningCentre } from '../center/server.js';
import type { MonthlyBill } from '../center/billing.js';
import { postgresUnavailable, startCluster, type Cluster } from '../tools/postgres/cluster.js';
import { FaultProxy, type Fault } from './support/fault-proxy.js';
import type { CentreProcessConfig } from './support/centre-process.js';
import { batchContent, malformedBatches, uploadParties, uploadRecord, UPLOAD_TERMINAL_ID } from './scenarios/upload-scenarios.js';

/** The centre's clock in these tests: 5 January 2027, 12:00 in Japan; December 2026 is billed. */
const NOW = Date.UTC(2027, 0, 5, 3, 0, 0);
const MONTH = '2026-12';
const JST_MS = 9 * 3_600_000;

const parties = uploadParties('centre tests');
const { issuer, centre: centreKey, terminal, terminalSigner } = parties;
const otherTerminal = provisionTerminal(issuer, { terminalId: 'T-UP2', validFrom: '2026-01-01', validTo: '2031-12-31' }, parties.random);
const expiredTerminal = provisionTerminal(issuer, { terminalId: 'T-OLD', validFrom: '2020-01-01', validTo: '2026-12-31' }, parties.random);
const stranger = uploadParties('another issuer'); // certifies a terminal of the same id, T-UP1
const CERTIFICATES = [terminal.certificate, otherTerminal.certificate, expiredTerminal.certificate];
const { centreKey: centreVerifier } = checkCentreCertificate(centreKey.certificate, terminal.issuerKeys);
const sign = (message: Uint8Array) => terminalSigner.sign(message);

// ---------------------------------------------------------------------------------------------
// The services given, and what December's bill must then say

const NTS = Object.freeze(['12345678', '87654321', '5550001234']);

/**
 * `count` calls at T-UP1: the first starts a millisecond before December in Japan time (a November
 * record), the second at its first instant, the one before last at its last millisecond and the
 * last one in January; fees from 10 yen to over 10,000 yen.
 */
function servicesGiven(count: number): UsageRecord[] {
  const decemberStart = Date.UTC(2026, 11, 1) - JST_MS;
  const januaryStart = Date.UTC(2027, 0, 1) - JST_MS;
  return Array.from({ length: count }, (_, i) => {
    const sequence = i + 1;
    const startedAt = sequence === 1 ? decemberStart - 1 : sequence === 2 ? decemberStart : sequence === count - 1 ? januaryStart - 1 : sequence === count ? januaryStart
      : decemberStart + sequence * 7_200_000 + 123;
    const units = (sequence * 37) % 1000 + 1;
    return Object.freeze({
      terminalId: UPLOAD_TERMINAL_ID, sequence, registrationNumber: NTS[sequence % NTS.length]!,
      cardNumber: Uint8Array.of(0, 0, 0, 0, 0, 0, 0x0c, sequence), startedAt, fee: 10 + 10 * units, serviceCode: SERVICE.METERED_CALL,
      durationSeconds: 60 * units, dialled: `0312${String(sequence).padStart(6, '0')}`, cutShort: sequence % 4 === 0, continuation: false,
    });
  });
}

/** December's bill lines as the records say (in the zone `offsetMs` east of UTC), computed here without the centre: Nt, records, fee. */
function expectedDecember(records: readonly UsageRecord[], offsetMs = JST_MS): { registrationNumber: string; records: number; fee: number }[] {
  const totals = new Map<string, { records: number; fee: number }>();
  for (const record of records) {
    const local = new Date(record.startedAt + offsetMs);
    if (local.getUTCFullYear() !== 2026 || local.getUTCMonth() !== 11) continue;
    const sum = totals.get(record.registrationNumber) ?? { records: 0, fee: 0 };
    sum.records++;
    sum.fee += record.fee;
    totals.set(record.registrationNumber, sum);
  }
  return [...totals].sort(([a], [b]) => (a < b ? -1 : 1)).map(([registrationNumber, sum]) => ({ registrationNumber, ...sum }));
}

// ---------------------------------------------------------------------------------------------
// HTTP

interface Response {
  readonly status: number;
  readonly type: string;
  readonly body: Uint8Array;
}

async function post(url: string, path: string, type: string | null, body: Uint8Array | string): Promise<Response> {
  const response = await fetch(`${url}${path}`, { method: 'POST', headers: type === null ? {} : { 'content-type': type }, body });
  return { status: response.status, type: response.headers.get('content-type') ?? '', body: new Uint8Array(await response.arrayBuffer()) };
}

async function getJson<T>(url: string, path: string): Promise<T> {
  const response = await fetch(`${url}${path}`);
  assert.equal(response.status, 200, `GET ${path}: ${response.status}`);
  return (await response.json()) as T;
}

function json(response: Response): { error?: string; message?: string } & Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(response.body)) as Record<string, unknown>;
}

const postBatch = (url: string, bytes: Uint8Array) => post(url, '/v1/batches', MEDIA_TYPE.BATCH, bytes);

function answerTo(response: Response, content: Pick<BatchContent, 'terminalId' | 'nonce'>) {
  assert.equal(response.status, 200, `batch refused: ${response.status} ${new TextDecoder().decode(response.body)}`);
  assert.equal(response.type, MEDIA_TYPE.ANSWER);
  return acceptAnswer(response.body, { terminalId: content.terminalId, nonce: content.nonce, centreKey: centreVerifier });
}

/** Posts a batch of `sequences` (uploadRecord's) and returns the checked answer. */
async function upload(url: string, sequences: readonly number[], hotlistVersion = 0) {
  const content = { ...batchContent(sequences, sequences[0]! & 0xff), hotlistVersion };
  return answerTo(await postBatch(url, encodeBatch(content, sign)), content);
}

/** What the centre shows: December's bill, the reconciliation, the hotlist. A refusal must leave it as it was. */
async function snapshot(url: string): Promise<unknown> {
  return {
    bill: await getJson(url, `/v1/bills/${MONTH}`),
    reconciliation: await getJson(url, '/v1/reconciliation'),
    hotlist: await getJson(url, '/v1/hotlist'),
  };
}

// ---------------------------------------------------------------------------------------------
// Drivers

interface Driver {
  readonly name: string;
  /** A new, empty database. */
  database(label: string): Promise<string>;
}

/** Databases made so far: each gets a name of its own. */
let databases = 0;

function sqliteDriver(): Driver & { cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'centre-sqlite-'));
  return {
    name: 'SQLite',
    database: async (label) => `sqlite:${join(dir, `${label}-${++databases}.sqlite`)}`,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

function postgresDriver(cluster: () => Cluster): Driver {
  return { name: 'PostgreSQL', database: (label) => cluster().createDatabase(`${label.replace(/[^a-z0-9]/g, '_')}_${++databases}`) };
}

async function centreOn(driver: Driver, label: string, extra: Parameters<typeof startCentre>[0] = {}): Promise<RunningCentre> {
  return startCentre({ database: await driver.database(label), port: 0, centreKey, terminals: CERTIFICATES, now: () => NOW, ...extra });
}

// ---------------------------------------------------------------------------------------------
// The centre as a process that can be killed, and a terminal that uploads until all is acknowledged

const CHILD = 'build/tests/support/centre-process.js';

class CentreProcess {
  readonly port: number;
  readonly #child: ChildProcess;
  readonly exited: Promise<void>;

  private constructor(child: ChildProcess, port: number, exited: Promise<void>) {
    this.#child = child;
    this.port = port;
    this.exited = exited;
  }

  static async start(config: CentreProcessConfig): Promise<CentreProcess> {
    const child = spawn(process.execPath, [CHILD], { env: { ...process.env, CENTRE_PROCESS: JSON.stringify(config) }, stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', resolve);
      child.once('exit', (code, signal) => reject(new Error(`the centre process ended (${code ?? signal}) before listening`)));
    });
    const { url } = JSON.parse(line) as { url: string };
    return new CentreProcess(child, Number(new URL(url).port), exited);
  }

  get alive(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** SIGKILL: no shutdown, like a crash or a power cut. */
  async kill(): Promise<void> {
    if (this.alive) this.#child.kill('SIGKILL');
    await this.exited;
  }

  async stop(): Promise<void> {
    if (this.alive) this.#child.kill('SIGTERM');
    await this.exited;
  }
}

/** POSTs the batch through the proxy, one connection, Connection: close; resolves with the answer's bytes on 200. */
function send(port: number, body: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({
      host: '127.0.0.1', port, path: '/v1/batches', method: 'POST', agent: false, timeout: timeoutMs,
      headers: { 'content-type': MEDIA_TYPE.BATCH, 'content-length': body.length, connection: 'close' },
    }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('aborted', () => reject(new Error('answer cut')));
      response.on('end', () => {
        const bytes = new Uint8Array(Buffer.concat(chunks));
        if (response.statusCode === 200) resolve(bytes);
        else reject(new Error(`HTTP ${response.statusCode}: ${new TextDecoder().decode(bytes)}`));
      });
    });
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', reject);
    request.end(body);
  });
}

/**
 * The terminal's side of the upload, as docs/upload-protocol.md has it: the records after the
 * acknowledged S, `batchSize` at a time, each attempt with a new nonce, sent again until an answer
 * that checks acknowledges them. `recover` runs after each failed attempt (restarts a dead centre).
 */
async function uploadAll(records: readonly UsageRecord[], port: number, recover: () => Promise<void>, options: { batchSize: number; timeoutMs: number }): Promise<{ attempts: number; failures: number }> {
  let acknowledged = 0;
  let attempts = 0;
  let failures = 0;
  while (acknowledged < records.length) {
    assert.ok(++attempts < 200, `no progress after ${attempts} attempts (S = ${acknowledged})`);
    const content: BatchContent = {
      terminalId: UPLOAD_TERMINAL_ID, nonce: new Uint8Array(randomBytes(UPLOAD_LIMITS.nonceBytes)), hotlistVersion: 0, terminalClock: NOW,
      records: records.filter((record) => record.sequence > acknowledged).slice(0, options.batchSize),
    };
    try {
      const answer = acceptAnswer(await send(port, encodeBatch(content, sign), options.timeoutMs), { terminalId: content.terminalId, nonce: content.nonce, centreKey: centreVerifier });
      acknowledged = Math.max(acknowledged, answer.acknowledged);
    } catch (error) {
      if ((error as Error).name === 'AssertionError') throw error;
      failures++;
      await recover();
    }
  }
  return { attempts, failures };
}

/** The month's bill, S, and each record once: what every fault run must end with. */
async function assertBilledOnce(url: string, records: readonly UsageRecord[]): Promise<void> {
  const bill = await getJson<MonthlyBill>(url, `/v1/bills/${MONTH}`);
  const expected = expectedDecember(records);
  assert.deepEqual(bill.registrations, expected, 'December per Nt, to the yen');
  assert.equal(bill.fee, expected.reduce((sum, line) => sum + line.fee, 0));
  const [line] = (await getJson<{ terminals: { records: number; fees: number; acknowledged: number; missing: number }[] }>(url, `/v1/reconciliation/${UPLOAD_TERMINAL_ID}`)).terminals;
  assert.equal(line!.records, records.length, 'each record stored once');
  assert.equal(line!.fees, records.reduce((sum, record) => sum + record.fee, 0), 'all fees held');
  assert.equal(line!.acknowledged, records.length);
  assert.equal(line!.missing, 0);
}

/** Where an upload is interrupted, and how. */
interface Step {
  readonly name: string;
  /** The centre process kills itself at this step of the batch. */
  readonly crash?: 'received' | 'stored';
  /** What the network does to the batch's first attempt; `kill` kills the centre process. */
  readonly fault?: (kill: () => Promise<void>) => Fault;
  /** Whether the centre dies at this step (and is started again). */
  readonly kills: boolean;
}

const STEPS: readonly Step[] = [
  { name: 'the centre is killed before the batch reaches it', fault: (kill) => ({ before: kill }), kills: true },
  { name: 'the connection drops halfway through the request', fault: () => ({ cutRequestAt: 120 }), kills: false },
  { name: 'the centre is killed after its checks, before storing', crash: 'received', kills: true },
  { name: 'the centre is killed after storing, before answering', crash: 'stored', kills: true },
  { name: 'the centre is killed mid-answer', fault: (kill) => ({ cutAnswerAt: (total) => total - 60, onCut: kill }), kills: true },
  { name: 'the connection drops mid-answer', fault: () => ({ cutAnswerAt: (total) => Math.floor(total / 2) }), kills: false },
];

const RECORDS = servicesGiven(10);
const BATCH_SIZE = 4; // three batches: 1-4, 5-8, 9-10

// ---------------------------------------------------------------------------------------------

function centreSuite(driver: () => Driver): void {
  describe('uploads', function () {
    let running: RunningCentre;
    beforeEach(async () => {
      running = await centreOn(driver(), 'uploads');
    });
    afterEach(() => running.close());

    it('stores a batch and answers signed with S, the centre time and the hotlist version; a replay gets the same answer and stores nothing', async () => {
      const content = batchContent([1, 2, 3]);
      const bytes = encodeBatch(content, sign);
      const first = await postBatch(running.url, bytes);
      const answer = answerTo(first, content);
      assert.deepEqual([answer.acknowledged, answer.centreTime, answer.hotlistVersion, answer.changeLists.length], [3, NOW, 0, 0]);
      const before = await snapshot(running.url) as { bill: unknown };
      const again = await postBatch(running.url, bytes);
      assert.deepEqual(again.body, first.body, 'the replay is answered byte for byte the same');
      const after = await snapshot(running.url) as { bill: unknown; reconciliation: { terminals: { terminalId: string; records: number; recordsReceived: number }[] } };
      assert.deepEqual(after.bill, before.bill, 'the bill is unchanged');
      const line = after.reconciliation.terminals.find((t) => t.terminalId === UPLOAD_TERMINAL_ID)!;
      assert.deepEqual([line.records, line.recordsReceived], [3, 6], 'the replay is received, not stored');
    });

    it('a gap is stored and keeps S below it until it fills; duplicates within a batch are not stored again', async () => {
      assert.equal((await upload(running.url, [1, 2])).acknowledged, 2);
      assert.equal((await upload(running.url, [5, 6, 7])).acknowledged, 2, 'S stays below the gap 3-4');
      const [held] = (await getJson<{ terminals: { records: number; gaps: unknown; missing: number }[] }>(running.url, `/v1/reconciliation/${UPLOAD_TERMINAL_ID}`)).terminals;
      assert.deepEqual([held!.records, held!.missing, held!.gaps], [5, 2, [{ from: 3, to: 4 }]]);
      assert.equal((await upload(running.url, [3])).acknowledged, 3);
      assert.equal((await upload(running.url, [2, 4, 6, 8])).acknowledged, 8, 'the gap filled, duplicates ignored');
      const bill = await getJson<MonthlyBill>(running.url, `/v1/bills/${MONTH}`);
      assert.equal(bill.records, 8);
      assert.equal(bill.fee, [1, 2, 3, 4, 5, 6, 7, 8].reduce((sum, n) => sum + uploadRecord(n).fee, 0));
    });

    it('every bad input gets its HTTP error, JSON saying what to do, and stores nothing', async () => {
      await upload(running.url, [1, 2, 3]);
      const before = await snapshot(running.url);
      const good = encodeBatch(batchContent([4]), sign);
      const unknown: BatchContent = { ...batchContent([1]), terminalId: 'T-NONE', records: [uploadRecord(1, 'T-NONE')] };
      const expired: BatchContent = { ...batchContent([1]), terminalId: 'T-OLD', records: [uploadRecord(1, 'T-OLD')] };
      const changed = { ...uploadRecord(3), fee: uploadRecord(3).fee + 1 };
      const cases: [string, Promise<Response>, number, string, RegExp][] = [
        ['no content type', post(running.url, '/v1/batches', null, good), 415, 'content-type', /application\/vnd\.icct\.batch/],
        ['octet-stream', post(running.url, '/v1/batches', 'application/octet-stream', good), 415, 'content-type', /application\/vnd\.icct\.batch/],
        ['JSON', post(running.url, '/v1/batches', 'application/json', '{"records": []}'), 415, 'content-type', /application\/vnd\.icct\.batch/],
        ['over 16,384 bytes', post(running.url, '/v1/batches', MEDIA_TYPE.BATCH, new Uint8Array(UPLOAD_LIMITS.batchBytes + 1)), 413, 'too-large', /16384/],
        ['empty', post(running.url, '/v1/batches', MEDIA_TYPE.BATCH, new Uint8Array(0)), 400, 'malformed', /not a batch/],
        ['unknown terminal', postBatch(running.url, encodeBatch(unknown, sign)), 403, 'unknown-terminal', /T-NONE is not in the registry: import its certificate/],
        ['expired certificate', postBatch(running.url, encodeBatch(expired, (m) => suiteById(expiredTerminal.suite).sign(expiredTerminal.terminalSecretKey, m))), 403, 'unknown-terminal', /expired on 2026-12-31/],
        ['signed by another issuer\'s T-UP1', postBatch(running.url, encodeBatch(batchContent([4]), (m) => stranger.terminalSigner.sign(m))), 403, 'bad-signature', /does not check with terminal T-UP1's registered key/],
        ['signed by another terminal', postBatch(running.url, encodeBatch(batchContent([4]), (m) => suiteById(otherTerminal.suite).sign(otherTerminal.terminalSecretKey, m))), 403, 'bad-signature', /registered key nT/],
        ['a held record with other bytes', postBatch(running.url, encodeBatch({ ...batchContent([3, 4]), records: [changed, uploadRecord(4)] }, sign)), 409, 'conflicting-record', /record 3 .* other bytes; nothing of this batch was stored/],
        ['a month that is none', fetch(`${running.url}/v1/bills/2026-13`).then(async (r) => ({ status: r.status, type: '', body: new Uint8Array(await r.arrayBuffer()) })), 400, 'bad-request', /YYYY-MM/],
      ];
      const refusals = { malformed: [400, 'malformed'], 'too-large': [413, 'too-large'], 'foreign-record': [409, 'foreign-record'] } as const;
      for (const { name, bytes, problem } of malformedBatches(sign)) cases.push([name, postBatch(running.url, bytes), refusals[problem][0], refusals[problem][1], /./]);
      for (const [name, pending, status, code, message] of cases) {
        const response = await pending;
        assert.equal(response.status, status, `${name}: ${new TextDecoder().decode(response.body)}`);
        const body = json(response);
        assert.equal(body.error, code, name);
        assert.match(String(body.message), message, name);
      }
      assert.deepEqual(await snapshot(running.url), before, 'nothing of a refused batch is stored');
      assert.equal((await upload(running.url, [4])).acknowledged, 4, 'record 4, refused with the conflicting batch, is new afterwards');
    });
  });

  describe('registry and hotlist', function () {
    let running: RunningCentre;
    beforeEach(async () => {
      running = await centreOn(driver(), 'registry');
    });
    afterEach(() => running.close());

    it('registers a terminal only by a CT the issuer signed', async () => {
      const newcomer = provisionTerminal(issuer, { terminalId: 'T-NEW', validFrom: '2026-01-01', validTo: '2031-12-31' }, parties.random);
      const added = await post(running.url, '/v1/terminals', MEDIA_TYPE.CERTIFICATE, newcomer.certificate);
      assert.deepEqual([added.status, json(added)], [201, { terminalId: 'T-NEW', outcome: 'added' }]);
      const again = await post(running.url, '/v1/terminals', 'application/json', JSON.stringify({ certificate: toHex(newcomer.certificate), terminalSecretKey: 'never read' }));
      assert.deepEqual([again.status, json(again).outcome], [200, 'unchanged']);
      const foreign = await post(running.url, '/v1/terminals', MEDIA_TYPE.CERTIFICATE, stranger.terminal.certificate);
      assert.deepEqual([foreign.status, json(foreign).error], [422, 'bad-certificate']);
      assert.match(String(json(foreign).message), /signature does not verify with issuer key 1/);
      const garbage = await post(running.url, '/v1/terminals', 'text/plain', 'F2 03 01 02');
      assert.deepEqual([garbage.status, json(garbage).error], [422, 'bad-certificate']);
      const listed = await getJson<{ terminals: { terminalId: string }[] }>(running.url, '/v1/terminals');
      assert.deepEqual(listed.terminals.map((t) => t.terminalId), ['T-NEW', 'T-OLD', 'T-UP1', 'T-UP2']);
    });

    it('keeps the issuer\'s change lists in version order and relays those after the terminal\'s version, at most 32', async () => {
      const signed = new Map<number, Uint8Array>();
      const version = (n: number) => {
        if (!signed.has(n)) signed.set(n, signChangeList(issuer, { version: n, added: [`00000000000${String(n).padStart(5, '0')}`], removed: [] }));
        return signed.get(n)!;
      };
      const first = await post(running.url, '/v1/hotlist', MEDIA_TYPE.CHANGE_LIST, version(1));
      assert.deepEqual([first.status, json(first)], [201, { version: 1, outcome: 'added' }]);
      const skipped = await post(running.url, '/v1/hotlist', MEDIA_TYPE.CHANGE_LIST, version(3));
      assert.deepEqual([skipped.status, json(skipped).error], [409, 'hotlist-version']);
      assert.match(String(json(skipped).message), /import version 2 first/);
      const forged = signChangeList(stranger.issuer, { version: 2, added: ['0000000000000A11'], removed: [] });
      const refused = await post(running.url, '/v1/hotlist', MEDIA_TYPE.CHANGE_LIST, forged);
      assert.deepEqual([refused.status, json(refused).error], [422, 'bad-change-list']);
      for (let n = 2; n <= 35; n++) {
        const file = JSON.stringify(changeListToJson(version(n)));
        assert.equal((await post(running.url, '/v1/hotlist', 'application/json', file)).status, 201, `version ${n}`);
      }
      const other = signChangeList(issuer, { version: 5, added: ['FFFFFFFFFFFFFFFF'], removed: [] });
      assert.equal(json(await post(running.url, '/v1/hotlist', MEDIA_TYPE.CHANGE_LIST, other)).error, 'hotlist-version', 'two different version 5s');
      assert.equal((await post(running.url, '/v1/hotlist', MEDIA_TYPE.CHANGE_LIST, version(5))).status, 200, 'the same version 5 again');

      const fresh = await upload(running.url, [1], 0);
      assert.equal(fresh.hotlistVersion, 35);
      assert.equal(fresh.changeLists.length, 32, 'at most 32; the rest next time');
      const keys = issuerVerifiers(terminal.issuerKeys);
      fresh.changeLists.forEach((bytes, i) => {
        const list = decodeChangeList(bytes);
        assert.equal(list.version, i + 1);
        verifyChangeList(list, keys); // relayed intact: the issuer's signature still checks
        assert.deepEqual(bytes, version(i + 1));
      });
      const behind = await upload(running.url, [2], 33);
      assert.deepEqual(behind.changeLists.map((bytes) => decodeChangeList(bytes).version), [34, 35]);
      assert.deepEqual((await upload(running.url, [3], 35)).changeLists, []);
    });
  });

  describe('bills and reconciliation', function () {
    let running: RunningCentre;
    let database: string;
    let dir: string;
    before(async () => {
      database = await driver().database('bills');
      running = await startCentre({ database, port: 0, centreKey, terminals: CERTIFICATES, now: () => NOW });
      dir = mkdtempSync(join(tmpdir(), 'centre-cli-'));
      const records = RECORDS.filter((record) => record.sequence !== 6);
      for (let i = 0; i < records.length; i += BATCH_SIZE) {
        const content: BatchContent = { ...batchContent([1]), nonce: new Uint8Array(16).fill(i), records: records.slice(i, i + BATCH_SIZE) };
        answerTo(await postBatch(running.url, encodeBatch(content, sign)), content);
      }
    });
    after(async () => {
      await running.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('bills per Nt the calls that started in the month in Japan time, as JSON and CSV', async () => {
      const held = RECORDS.filter((record) => record.sequence !== 6);
      const bill = await getJson<MonthlyBill>(running.url, `/v1/bills/${MONTH}`);
      assert.deepEqual(bill.registrations, expectedDecember(held));
      assert.deepEqual([bill.utcOffset, bill.currency, bill.from, bill.to], ['+09:00', 'JPY', '2026-11-30T15:00:00.000Z', '2026-12-31T15:00:00.000Z']);
      assert.equal(bill.records, held.length - 2, 'the November and January calls are not in December');
      const csv = await (await fetch(`${running.url}/v1/bills/${MONTH}`, { headers: { accept: 'text/csv' } })).text();
      assert.deepEqual(csv.trimEnd().split('\r\n'), ['month,registration_number,records,fee,currency', ...bill.registrations.map((l) => `${MONTH},${l.registrationNumber},${l.records},${l.fee},JPY`)]);
      const november = await getJson<MonthlyBill>(running.url, '/v1/bills/2026-11');
      assert.deepEqual([november.records, november.fee], [1, RECORDS[0]!.fee]);
    });

    it('the CLI bills the same from the database, and in another time zone when told', async () => {
      const keyFile = join(dir, 'centre-key.json');
      writeFileSync(keyFile, JSON.stringify(centreKeyToJson(centreKey)), { mode: 0o600 });
      const cli = (...args: string[]) => spawnSync(process.execPath, ['build/center/cli.js', ...args, '--database', database, '--centre-key', keyFile], { encoding: 'utf8' });
      const csv = cli('bill', '--month', MONTH);
      assert.equal(csv.status, 0, csv.stderr);
      assert.equal(csv.stdout, await (await fetch(`${running.url}/v1/bills/${MONTH}?format=csv`)).text());
      const utc = cli('bill', '--month', MONTH, '--format', 'json', '--utc-offset', '+00:00');
      assert.equal(utc.status, 0, utc.stderr);
      const inUtc = JSON.parse(utc.stdout) as MonthlyBill;
      const held = RECORDS.filter((record) => record.sequence !== 6);
      assert.deepEqual(inUtc.registrations, expectedDecember(held, 0), 'in UTC the calls of 30 November 15:00 UTC and on are December\'s, up to the last one');
      assert.notDeepEqual(inUtc.registrations, expectedDecember(held), 'which is another bill than in Japan time');
      const wrong = cli('bill', '--month', 'December');
      assert.equal(wrong.status, 2);
      assert.match(wrong.stderr, /^center bill: month must be YYYY-MM \(e\.g\. 2026-12\), got "December"\n$/);
    });

    it('reconciles each terminal: records, fees and the gap against its own counts', async () => {
      const held = RECORDS.filter((record) => record.sequence !== 6);
      const fees = held.reduce((sum, record) => sum + record.fee, 0);
      const ownFees = RECORDS.reduce((sum, record) => sum + record.fee, 0);
      const result = await getJson<{ terminals: Record<string, unknown>[] }>(running.url, `/v1/reconciliation/${UPLOAD_TERMINAL_ID}?records=${RECORDS.length}&fees=${ownFees}`);
      const line = result.terminals[0]!;
      assert.deepEqual(
        [line.records, line.fees, line.highestSequence, line.acknowledged, line.missing, line.gaps, line.cutShort],
        [held.length, fees, RECORDS.length, 5, 1, [{ from: 6, to: 6 }], held.filter((r) => r.cutShort).length],
      );
      assert.deepEqual(line.statement, { records: RECORDS.length, fees: ownFees, recordsLacking: 1, feesLacking: RECORDS[5]!.fee });
      const keyFile = join(dir, 'centre-key.json');
      writeFileSync(keyFile, JSON.stringify(centreKeyToJson(centreKey)), { mode: 0o600 });
      const text = spawnSync(process.execPath, ['build/center/cli.js', 'reconcile', '--terminal', UPLOAD_TERMINAL_ID, '--records', String(RECORDS.length), '--fees', String(ownFees), '--database', database, '--centre-key', keyFile], { encoding: 'utf8' });
      assert.equal(text.status, 0, text.stderr);
      assert.match(text.stdout, /terminal T-UP1 .*\n {2}records held: 9 \(sequences 1\.\.10 sent\)/);
      assert.match(text.stdout, /missing below 10: 1 \(6\)/);
      assert.match(text.stdout, new RegExp(`terminal's own count: 10 records, ${ownFees} JPY: centre lacks 1 records, ${RECORDS[5]!.fee} JPY`));
    });

    it('the CLI imports terminal certificates and change lists from the issuer\'s files', async () => {
      const keyFile = join(dir, 'centre-key.json');
      writeFileSync(keyFile, JSON.stringify(centreKeyToJson(centreKey)), { mode: 0o600 });
      const cli = (...args: string[]) => spawnSync(process.execPath, ['build/center/cli.js', ...args, '--database', database, '--centre-key', keyFile], { encoding: 'utf8' });
      const config = join(dir, 't-cli.json');
      saveTerminalConfig(config, provisionTerminal(issuer, { terminalId: 'T-CLI', validFrom: '2026-01-01', validTo: '2031-12-31' }, new SeededRandom('cli').source));
      const foreign = join(dir, 'foreign.json');
      saveTerminalConfig(foreign, stranger.terminal);
      const imported = cli('import-terminal', config, foreign);
      assert.equal(imported.status, 2, 'one of the two was refused');
      assert.match(imported.stdout, /t-cli\.json: terminal T-CLI added/);
      assert.match(imported.stderr, /foreign\.json: terminal T-UP1's certificate signature does not verify with issuer key 1/);
      assert.match(cli('import-terminal', config).stdout, /terminal T-CLI unchanged/);
      const hotlistFile = join(dir, 'v1.json');
      writeFileSync(hotlistFile, JSON.stringify(changeListToJson(signChangeList(issuer, { version: 1, added: ['0000000000000B0B'], removed: [] }))));
      const hotlist = cli('import-hotlist', hotlistFile);
      assert.equal(hotlist.status, 0, hotlist.stderr);
      assert.match(hotlist.stdout, /hotlist version 1 added/);
      assert.equal((await getJson<{ version: number }>(running.url, '/v1/hotlist')).version, 1);
    });
  });

  describe('every service billed once, whatever the centre and the network do (must show)', function () {
    for (const step of STEPS) {
      it(`${step.name}, at each batch of an upload`, async () => {
        for (let batch = 1; batch <= Math.ceil(RECORDS.length / BATCH_SIZE); batch++) {
          const config: CentreProcessConfig = {
            database: await driver().database(`crash_${batch}`), centreKey: centreKeyToJson(centreKey), terminals: CERTIFICATES.map(toHex), now: NOW,
            ...(step.crash ? { crash: { step: step.crash, batch } } : {}),
          };
          let centre = await CentreProcess.start(config);
          let restarts = 0;
          const { crash: _none, ...clean } = config;
          const kill = () => centre.kill();
          const proxy = new FaultProxy(() => (centre.alive ? centre.port : null), (connection) => (connection === batch && step.fault ? step.fault(kill) : {}));
          const port = await proxy.listen();
          try {
            const outcome = await uploadAll(RECORDS, port, async () => {
              await Promise.race([centre.exited, new Promise((resolve) => setTimeout(resolve, 200))]); // the terminal's back-off
              if (!centre.alive) {
                restarts++;
                centre = await CentreProcess.start(clean);
              }
            }, { batchSize: BATCH_SIZE, timeoutMs: 10_000 });
            assert.equal(outcome.failures, 1, `batch ${batch}: the one interrupted attempt failed, the next succeeded`);
            assert.equal(restarts, step.kills ? 1 : 0, `batch ${batch}: the centre was ${step.kills ? 'killed once' : 'not killed'}`);
            await proxy.settle();
            await assertBilledOnce(`http://127.0.0.1:${centre.port}`, RECORDS);
          } finally {
            await proxy.close();
            await centre.stop();
          }
        }
      });
    }

    it('requests and answers cut at many bytes, deliveries duplicated, delayed past the terminal\'s timeout and so reordered', async () => {
      const running = await centreOn(driver(), 'network');
      const random = new SeededRandom('network faults');
      const plans: Fault[] = [];
      const plan = (connection: number): Fault => {
        const roll = random.bytes(2);
        const fault: Fault = [
          {}, { cutRequestAt: roll[1]! * 2 }, { cutAnswerAt: (total: number) => Math.floor((total * roll[1]!) / 256) },
          { duplicate: true }, { delayMs: 500 }, { delayMs: 500, duplicate: true }, { duplicate: true, cutAnswerAt: () => 0 }, {},
        ][roll[0]! % 8]!;
        plans[connection] = fault;
        return connection > 60 ? {} : fault;
      };
      const proxy = new FaultProxy(() => Number(new URL(running.url).port), plan);
      const port = await proxy.listen();
      const records = servicesGiven(30);
      try {
        const outcome = await uploadAll(records, port, async () => undefined, { batchSize: 3, timeoutMs: 300 });
        await proxy.settle(); // the late deliveries arrive after the terminal moved on
        assert.ok(outcome.failures >= 5, `faults happened (${outcome.failures} failed attempts of ${outcome.attempts})`);
        assert.ok(plans.some((fault) => fault?.delayMs) && plans.some((fault) => fault?.duplicate), 'delays and duplicates were among them');
        await assertBilledOnce(running.url, records);
      } finally {
        await proxy.close();
        await running.close();
      }
    });

    it('batches delivered in any order, several times and at once', async () => {
      const running = await centreOn(driver(), 'order');
      const records = servicesGiven(40);
      const random = new SeededRandom('delivery order');
      const batches: Uint8Array[] = [];
      for (let start = 0; start < records.length; start += 5) {
        const slice = records.slice(start, start + 7); // overlapping: each record in one or two batches
        for (let copy = 0; copy < 1 + (random.bytes(1)[0]! % 3); copy++) {
          batches.push(encodeBatch({ ...batchContent([1]), nonce: random.bytes(16), records: slice }, sign));
        }
      }
      const order = batches.map((bytes) => ({ bytes, key: random.bytes(4) })).sort((a, b) => Buffer.compare(a.key, b.key)).map((entry) => entry.bytes);
      try {
        for (let i = 0; i < order.length; i += 6) {
          const responses = await Promise.all(order.slice(i, i + 6).map((bytes) => postBatch(running.url, bytes)));
          for (const response of responses) assert.equal(response.status, 200, new TextDecoder().decode(response.body));
        }
        await assertBilledOnce(running.url, records);
      } finally {
        await running.close();
      }
    });
  });
}

describe('centre on SQLite', function () {
  const sqlite = sqliteDriver();
  after(() => sqlite.cleanup());
  centreSuite(() => sqlite);

  it('serves with no configuration: a centre key made in the data folder, certified by the demo issuer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'centre-default-'));
    try {
      const running = await startCentre({ dataDir: dir, port: 0 });
      const health = await getJson<{ store: string; schema: number[] }>(running.url, '/v1/health');
      assert.deepEqual([health.store, health.schema], ['sqlite', [1]]);
      const key = running.centre.key;
      await running.close();
      const again = await startCentre({ dataDir: dir, port: 0 });
      assert.deepEqual(again.centreCertificate, key.certificate, 'the key made on first start is kept');
      await again.close();
      const { demoIssuerKey } = await import('../center/centre-key.js');
      checkCentreCertificate(key.certificate, [demoIssuerKey()]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('centre on PostgreSQL', function () {
  let cluster: Cluster | null = null;
  before(async function () {
    const reason = postgresUnavailable();
    if (reason) {
      if (process.env.CI) throw new Error(`CI must run the PostgreSQL tests, but ${reason}`);
      console.log(`      (skipped: ${reason})`);
      this.skip();
    }
    cluster = await startCluster();
  });
  after(async () => {
    await cluster?.stop();
  });
  centreSuite(() => postgresDriver(() => cluster!));
});
