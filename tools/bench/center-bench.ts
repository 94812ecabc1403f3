/// <reference types="node" />
// `npm run bench:center`: the fee management centre's throughput (issue 11, "Benchmark"), printed,
// never asserted. For SQLite (a file in a temporary folder, WAL, synchronous = FULL) and for
// PostgreSQL (a throwaway cluster, fsync on: tools/postgres/cluster.ts):
//
//   ingest   records per second of batches of 64 records through the centre's own path
//            (center/ingest.ts: parse, terminal lookup, signature check with nT, one transaction
//            with the duplicate check and S, the signed answer), and over HTTP on the loopback
//            (fastify, one keep-alive connection, one batch after the other), each against a
//            plain insert loop of the same driver: the same rows into a table of the same
//            columns, one single-row prepared INSERT per record, one transaction per 64, nothing
//            else. ratio = centre rate / plain rate.
//   bill     the month's bill (center/billing.ts, day by day in the database) over 10^6 records
//            of 1,000 registration numbers spread over December (bulk-loaded first, not timed).
//
// Batches are encoded and signed before the clock starts (that is the terminal's work).
// Wall-clock time (performance.now()), one run each, on whatever else the machine is doing.
// Usage: node build/tools/bench/center-bench.js [--records N] [--bill-records N]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import pg from 'pg';
import { suiteById } from '../../firmware/crypto/suites.js';
import { encodeBatch, UPLOAD_LIMITS } from '../../firmware/upload/messages.js';
import type { UsageRecord } from '../../firmware/journal/record.js';
import { SERVICE } from '../../firmware/terminal/usage-store.js';
import { SeededRandom } from '../../hal/sim/random.js';
import { createIssuerKey, provisionCentre, provisionTerminal } from '../../issuer/issuer.js';
import { monthlyBill } from '../../center/billing.js';
import { openCentre } from '../../center/centre.js';
import { batchReceiver } from '../../center/ingest.js';
import { centreApp, MEDIA_TYPE } from '../../center/server.js';
import { postgresUnavailable, startCluster, type Cluster } from '../postgres/cluster.js';

const NOW = Date.UTC(2027, 0, 5, 3, 0, 0);
const DECEMBER_JST = Date.UTC(2026, 11, 1) - 9 * 3_600_000;
const DECEMBER_MS = 31 * 86_400_000;
const BATCH = UPLOAD_LIMITS.records;

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? fallback : Number(process.argv[at + 1]);
}

const random = new SeededRandom('center bench');
const issuer = createIssuerKey(1, 1, random.source);
const centreKey = provisionCentre(issuer, { centreId: 'BENCH', validFrom: '2026-01-01', validTo: '2031-12-31' }, random.source);
const terminal = provisionTerminal(issuer, { terminalId: 'T-BENCH', validFrom: '2026-01-01', validTo: '2031-12-31' }, random.source);
const signer = suiteById(terminal.suite).signer(terminal.terminalSecretKey);

function record(sequence: number): UsageRecord {
  return {
    terminalId: terminal.terminalId, sequence, registrationNumber: String(10_000_000 + (sequence % 1000)),
    cardNumber: Uint8Array.of(0, 0, 0, 0, (sequence >> 24) & 0xff, (sequence >> 16) & 0xff, (sequence >> 8) & 0xff, sequence & 0xff),
    startedAt: DECEMBER_JST + (sequence * 2_654_435) % DECEMBER_MS, fee: 10 + 10 * (sequence % 30), serviceCode: SERVICE.METERED_CALL,
    durationSeconds: 60 * (sequence % 30), dialled: `03${String(sequence).padStart(8, '0')}`, cutShort: false, continuation: false,
  };
}

/** `count` records as signed batches of 64, and the records. */
function batches(count: number): { bodies: Uint8Array[]; records: UsageRecord[] } {
  const records = Array.from({ length: count }, (_, i) => record(i + 1));
  const bodies: Uint8Array[] = [];
  for (let i = 0; i < count; i += BATCH) {
    bodies.push(encodeBatch({ terminalId: terminal.terminalId, nonce: random.bytes(16), hotlistVersion: 0, terminalClock: NOW, records: records.slice(i, i + BATCH) }, (m) => signer.sign(m)));
  }
  return { bodies, records };
}

const PLAIN_TABLE = (bytes: string, int64: string) => `CREATE TABLE plain_records (
  terminal_id TEXT NOT NULL, sequence ${int64} NOT NULL, registration_number TEXT NOT NULL, card_number ${bytes} NOT NULL,
  started_at ${int64} NOT NULL, fee ${int64} NOT NULL, service_code INTEGER NOT NULL, duration_seconds ${int64} NOT NULL,
  dialled TEXT NOT NULL, cut_short INTEGER NOT NULL, continuation INTEGER NOT NULL, bytes ${bytes} NOT NULL, received_at ${int64} NOT NULL,
  PRIMARY KEY (terminal_id, sequence))`;

function rowOf(r: UsageRecord): unknown[] {
  return [r.terminalId, r.sequence, r.registrationNumber, r.cardNumber, r.startedAt, r.fee, r.serviceCode, r.durationSeconds, r.dialled, 0, 0, r.cardNumber, NOW];
}

interface Driver {
  readonly name: string;
  /** A new database's URL. */
  database(label: string): Promise<string>;
  /** Plain insert loop of `records` into a fresh database; records per second. */
  plainLoop(records: readonly UsageRecord[]): Promise<number>;
  /** Loads `count` records into the centre's table of `url` (terminal registered), untimed. */
  bulkLoad(url: string, count: number): Promise<void>;
}

function rate(records: number, ms: number): number {
  return records / (ms / 1000);
}

function sqliteDriver(dir: string): Driver {
  let n = 0;
  const path = (label: string) => join(dir, `${label}-${++n}.sqlite`);
  const open = (file: string) => {
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    return db;
  };
  return {
    name: 'SQLite',
    database: async (label) => `sqlite:${path(label)}`,
    async plainLoop(records) {
      const db = open(path('plain'));
      db.exec(PLAIN_TABLE('BLOB', 'INTEGER'));
      const insert = db.prepare(`INSERT INTO plain_records VALUES (${Array(13).fill('?').join(', ')})`);
      const started = performance.now();
      for (let i = 0; i < records.length; i += BATCH) {
        db.exec('BEGIN');
        for (const r of records.slice(i, i + BATCH)) insert.run(...rowOf(r));
        db.exec('COMMIT');
      }
      const ms = performance.now() - started;
      db.close();
      return rate(records.length, ms);
    },
    async bulkLoad(url, count) {
      const db = open(url.slice('sqlite:'.length));
      const insert = db.prepare(`INSERT INTO records VALUES (${Array(13).fill('?').join(', ')})`);
      db.transaction(() => {
        for (let sequence = 1; sequence <= count; sequence++) insert.run(...rowOf(record(sequence)));
      })();
      db.close();
    },
  };
}

function postgresDriver(cluster: Cluster): Driver {
  let n = 0;
  return {
    name: 'PostgreSQL',
    database: (label) => cluster.createDatabase(`${label}_${++n}`),
    async plainLoop(records) {
      const client = new pg.Client({ connectionString: await cluster.createDatabase(`plain_${++n}`) });
      await client.connect();
      await client.query(PLAIN_TABLE('BYTEA', 'BIGINT'));
      const text = `INSERT INTO plain_records VALUES (${Array.from({ length: 13 }, (_, i) => `$${i + 1}`).join(', ')})`;
      const started = performance.now();
      for (let i = 0; i < records.length; i += BATCH) {
        await client.query('BEGIN');
        for (const r of records.slice(i, i + BATCH)) await client.query({ name: 'plain', text, values: rowOf(r) });
        await client.query('COMMIT');
      }
      const ms = performance.now() - started;
      await client.end();
      return rate(records.length, ms);
    },
    async bulkLoad(url, count) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      // Generated in the server: the same fields record(n) gives, without a million round trips.
      await client.query(`INSERT INTO records SELECT $1, n, (10000000 + n % 1000)::text, int8send(n), $2::bigint + (n::bigint * 2654435) % $3::bigint,
        10 + 10 * (n % 30), $4, 60 * (n % 30), '03' || lpad(n::text, 8, '0'), 0, 0, int8send(n), $5::bigint FROM generate_series(1, $6::int) AS n`,
      [terminal.terminalId, DECEMBER_JST, DECEMBER_MS, SERVICE.METERED_CALL, NOW, count]);
      await client.end();
    },
  };
}

function per(value: number): string {
  return Math.round(value).toLocaleString('en-US').padStart(9);
}

async function ingestRow(driver: Driver, ingestRecords: number): Promise<void> {
  const { bodies, records } = batches(ingestRecords);
  const plain = await driver.plainLoop(records);

  const direct = await openCentre({ database: await driver.database('ingest'), centreKey, terminals: [terminal.certificate], now: () => NOW });
  const receive = batchReceiver({ store: direct.store, centreSigner: direct.signer, signatureBytes: direct.signatureBytes, utcOffsetMinutes: 540, now: () => NOW });
  let started = performance.now();
  for (const body of bodies) await receive(body);
  const path = rate(records.length, performance.now() - started);
  await direct.close();

  const served = await openCentre({ database: await driver.database('http'), centreKey, terminals: [terminal.certificate], now: () => NOW });
  const app = centreApp(served);
  const url = (await app.listen({ host: '127.0.0.1', port: 0 })).replace(/\/$/, '');
  started = performance.now();
  for (const body of bodies) {
    const response = await fetch(`${url}/v1/batches`, { method: 'POST', headers: { 'content-type': MEDIA_TYPE.BATCH }, body });
    if (response.status !== 200) throw new Error(`batch refused: ${response.status} ${await response.text()}`);
    await response.arrayBuffer();
  }
  const http = rate(records.length, performance.now() - started);
  await app.close();
  await served.close();

  console.log(`| ${driver.name.padEnd(10)} | ${per(plain)} | ${per(path)} | ${(path / plain).toFixed(2).padStart(5)} | ${per(http)} | ${(http / plain).toFixed(2).padStart(5)} |`);
}

async function billRow(driver: Driver, billRecords: number): Promise<void> {
  const url = await driver.database('bill');
  const centre = await openCentre({ database: url, centreKey, terminals: [terminal.certificate], now: () => NOW });
  const loadStarted = performance.now();
  await driver.bulkLoad(url, billRecords);
  const loadMs = performance.now() - loadStarted;
  const started = performance.now();
  const bill = await monthlyBill(centre.store, '2026-12', centre.billing);
  const ms = performance.now() - started;
  await centre.close();
  if (bill.records !== billRecords) throw new Error(`the bill counted ${bill.records} records of ${billRecords}`);
  console.log(`| ${driver.name.padEnd(10)} | ${billRecords.toLocaleString('en-US').padStart(9)} | ${bill.registrations.length.toLocaleString('en-US').padStart(5)} | ${(ms / 1000).toFixed(2).padStart(6)} | ${per(rate(billRecords, ms))} | ${(loadMs / 1000).toFixed(1).padStart(6)} |`);
}

async function main(): Promise<void> {
  const ingestRecords = option('records', 64 * 300);
  const billRecords = option('bill-records', 1_000_000);
  const dir = mkdtempSync(join(tmpdir(), 'center-bench-'));
  const unavailable = postgresUnavailable();
  const cluster = unavailable ? null : await startCluster({ durable: true });
  const drivers = [sqliteDriver(dir), ...(cluster ? [postgresDriver(cluster)] : [])];
  try {
    console.log(`centre ingest: ${ingestRecords.toLocaleString('en-US')} records in batches of ${BATCH}, signed beforehand (ECDSA P-256); records per second, wall clock, one run`);
    console.log('  plain = single-row prepared INSERTs, one transaction per 64; centre = center/ingest.ts (parse, nT check, transaction, signed answer); http = the same through fastify on the loopback');
    console.log('| driver     |     plain |    centre | ratio |      http | ratio |');
    console.log('|:-----------|----------:|----------:|------:|----------:|------:|');
    for (const driver of drivers) await ingestRow(driver, ingestRecords);
    console.log();
    console.log(`bill run: December 2026 (Japan time) over ${billRecords.toLocaleString('en-US')} records of 1,000 registration numbers, summed a day at a time in the database (center/billing.ts)`);
    console.log('| driver     |   records |   Nts |      s | records/s | load s |');
    console.log('|:-----------|----------:|------:|-------:|----------:|-------:|');
    for (const driver of drivers) await billRow(driver, billRecords);
    if (unavailable) console.log(`\nPostgreSQL not measured: ${unavailable}`);
    console.log(`\nSQLite: WAL, synchronous = FULL, in ${tmpdir()}; PostgreSQL: a throwaway cluster with fsync on, over TCP on the loopback. Node ${process.version}.`);
  } finally {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
