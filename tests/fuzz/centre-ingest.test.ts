/// <reference types="node" />
/// <reference types="mocha" />
// Fuzz target: the centre's batch ingest (center/server.ts POST /v1/batches, center/ingest.ts) on
// SQLite in a temporary folder, through fastify's own request handling (inject: the route, its
// content-type parsers and body limit, without a socket). Arbitrary and mutated bodies get a 4xx
// JSON refusal and store nothing; batches the registered terminal really signed, whatever their
// records say, are stored (200, a signed answer) or refused the same way; never a 500.
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { UsageRecord } from '../../firmware/journal/record.js';
import { checkCentreCertificate } from '../../firmware/upload/centre-certificate.js';
import { acceptAnswer, encodeBatch, type BatchContent } from '../../firmware/upload/messages.js';
import { openCentre, type Centre } from '../../center/centre.js';
import { centreApp, MEDIA_TYPE } from '../../center/server.js';
import { batchContent, uploadParties, UPLOAD_TERMINAL_ID } from '../scenarios/upload-scenarios.js';
import { fuzzTarget, hex, mutateAll, mutationArbitrary, sameBytes, type FuzzProperty, type Mutation } from './fuzz.js';

/** The centre's clock: 5 January 2027 (the test terminal's certificate is valid then). */
const NOW = Date.UTC(2027, 0, 5, 3, 0, 0);

const parties = uploadParties('fuzz centre');
const sign = (message: Uint8Array) => parties.terminalSigner.sign(message);
const { centreKey: centreVerifier } = checkCentreCertificate(parties.centre.certificate, parties.terminal.issuerKeys);
/** The batch the fuzzer mutates; it is never posted itself, so nothing of it may ever be stored. */
const GENUINE = encodeBatch(batchContent([1, 2, 3], 0x42), sign);

function fail(message: string): never {
  throw new Error(message);
}

interface Bench {
  readonly dir: string;
  readonly centre: Centre;
  readonly app: FastifyInstance;
}

let bench: Bench;
/** How the signed batches fared, printed after the target: both outcomes must be reached for the property to say much. */
const outcomes = new Map<string, number>();

async function makeBench(): Promise<Bench> {
  const dir = mkdtempSync(join(tmpdir(), 'fuzz-centre-'));
  const centre = await openCentre({ database: `sqlite:${join(dir, 'centre.sqlite')}`, centreKey: parties.centre, terminals: [parties.terminal.certificate], now: () => NOW });
  const app = centreApp(centre);
  await app.ready();
  return { dir, centre, app };
}

/** What a refusal must leave as it was: every terminal's counts (records, fees, batches, S, last upload). */
async function storeState(): Promise<string> {
  const summaries = await bench.centre.store.terminalSummaries();
  const all = await bench.centre.store.countRecords(0, 2 ** 48);
  return JSON.stringify({ summaries, all });
}

interface Posted {
  readonly status: number;
  readonly type: string;
  readonly body: Uint8Array;
}

async function post(body: Uint8Array, type: string | null = MEDIA_TYPE.BATCH): Promise<Posted> {
  const response = await bench.app.inject({
    method: 'POST', url: '/v1/batches', payload: Buffer.from(body), headers: type === null ? {} : { 'content-type': type },
  });
  return { status: response.statusCode, type: String(response.headers['content-type'] ?? ''), body: new Uint8Array(response.rawPayload) };
}

/** A refusal: 4xx, JSON {error, message}, and the store as it was. */
async function refusedAndNothingStored(what: string, response: Posted, before: string): Promise<void> {
  const text = new TextDecoder().decode(response.body);
  if (response.status >= 500) fail(`${what}: ${response.status} ${text}`);
  if (response.status < 400) fail(`${what}: accepted (${response.status})`);
  if (!response.type.startsWith('application/json')) fail(`${what}: a ${response.status} of type ${response.type}`);
  let json: { error?: unknown; message?: unknown };
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    fail(`${what}: a ${response.status} whose body is not JSON: ${text.slice(0, 80)}`);
  }
  if (typeof json.error !== 'string' || typeof json.message !== 'string') fail(`${what}: refusal without error and message: ${text.slice(0, 120)}`);
  if ((await storeState()) !== before) fail(`${what}: refused with ${response.status} ${json.error}, but the store changed`);
}

// ---------------------------------------------------------------------------------------------
// Inputs

const contentType = fc.constantFrom<string | null>(MEDIA_TYPE.BATCH, MEDIA_TYPE.BATCH, MEDIA_TYPE.BATCH, `${MEDIA_TYPE.BATCH}; charset=binary`, 'application/json', 'text/plain', 'application/octet-stream', null);
const printable = (min: number, max: number) => fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: min, maxLength: max });

/** A record with any value each field of the record format carries; small sequences, so batches overlap. */
const record: fc.Arbitrary<Omit<UsageRecord, 'terminalId'>> = fc.record({
  sequence: fc.oneof(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 2 ** 32 - 1 })),
  registrationNumber: fc.oneof(fc.constant('12345678'), printable(0, 20)),
  cardNumber: fc.uint8Array({ maxLength: 16 }),
  startedAt: fc.oneof(fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2027, 0, 5) }), fc.integer({ min: 0, max: 2 ** 48 - 1 })),
  fee: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  serviceCode: fc.integer({ min: 0, max: 0xffff }),
  durationSeconds: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  dialled: printable(0, 24),
  cutShort: fc.boolean(),
  continuation: fc.boolean(),
});

/** Records in rising sequence order, as encodeBatch needs; now and then of a terminal the registry does not hold, signed with the test terminal's key. */
const signedContent: fc.Arbitrary<BatchContent> = fc.record({
  terminalId: fc.constantFrom(UPLOAD_TERMINAL_ID, UPLOAD_TERMINAL_ID, UPLOAD_TERMINAL_ID, UPLOAD_TERMINAL_ID, 'T-UP2'),
  records: fc.array(record, { minLength: 1, maxLength: 6 }),
  nonce: fc.uint8Array({ minLength: 16, maxLength: 16 }),
  hotlistVersion: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 ** 32 - 1 })),
  terminalClock: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
}).map(({ terminalId, records, nonce, hotlistVersion, terminalClock }) => {
  const sorted = [...records].sort((a, b) => a.sequence - b.sequence).filter((r, i, all) => i === 0 || r.sequence !== all[i - 1]!.sequence);
  return { terminalId, nonce, hotlistVersion, terminalClock, records: sorted.map((r) => ({ ...r, terminalId })) };
});

const properties: FuzzProperty<any>[] = [
  {
    name: 'arbitrary bodies under any content type: a 4xx JSON refusal, nothing stored',
    runs: 1000,
    input: fc.record({
      body: fc.oneof(fc.uint8Array({ maxLength: 600 }), fc.uint8Array({ maxLength: 200 }).map((rest) => Uint8Array.from([0xf4, 0x81, rest.length & 0xff, ...rest]))),
      type: contentType,
    }),
    async check({ body, type }: { body: Uint8Array; type: string | null }) {
      const before = await storeState();
      await refusedAndNothingStored(`body ${hex(body).slice(0, 40)} as ${type}`, await post(body, type), before);
    },
  } satisfies FuzzProperty<{ body: Uint8Array; type: string | null }>,
  {
    name: 'mutated signed batches: a 4xx JSON refusal, nothing stored',
    runs: 1500,
    input: fc.array(mutationArbitrary, { minLength: 1, maxLength: 4 }),
    async check(mutations: Mutation[]) {
      const body = mutateAll(GENUINE, mutations);
      if (sameBytes(body, GENUINE)) return; // mutations that cancel out: the genuine batch, not a mutated one
      const before = await storeState();
      await refusedAndNothingStored(`mutated batch ${hex(body).slice(0, 40)}…`, await post(body), before);
    },
  } satisfies FuzzProperty<Mutation[]>,
  {
    name: 'batches the terminal signed, with any records: stored with a signed answer (once, when sent again), or a 4xx refusal that stores nothing; never a 500',
    runs: 400,
    input: signedContent,
    async check(content: BatchContent) {
      let body: Uint8Array;
      try {
        body = encodeBatch(content, sign);
      } catch (error) {
        if (error instanceof RangeError) return; // content the terminal could not send
        throw error;
      }
      const before = await storeState();
      const response = await post(body);
      const code = response.status === 200 ? 'stored' : `${response.status} ${/"error":"([^"]*)"/.exec(new TextDecoder().decode(response.body))?.[1] ?? '?'}`;
      outcomes.set(code, (outcomes.get(code) ?? 0) + 1);
      if (response.status !== 200) return refusedAndNothingStored(`signed batch of ${content.records.length} records`, response, before);
      if (response.type !== MEDIA_TYPE.ANSWER) fail(`a 200 of type ${response.type}`);
      const answer = acceptAnswer(response.body, { terminalId: content.terminalId, nonce: content.nonce, centreKey: centreVerifier });
      const held = await bench.centre.store.terminalSummaries(UPLOAD_TERMINAL_ID);
      if (held[0] === undefined || held[0].acknowledged !== answer.acknowledged) fail(`answer says S ${answer.acknowledged}, the store ${held[0]?.acknowledged}`);
      // The same batch again (the terminal never saw the answer): acknowledged again, its records stored once.
      const recordsHeld = held[0].records;
      const again = await post(body);
      if (again.status !== 200) fail(`the stored batch sent again: ${again.status} ${new TextDecoder().decode(again.body).slice(0, 120)}`);
      const resent = acceptAnswer(again.body, { terminalId: content.terminalId, nonce: content.nonce, centreKey: centreVerifier });
      const after = (await bench.centre.store.terminalSummaries(UPLOAD_TERMINAL_ID))[0]!;
      if (resent.acknowledged !== answer.acknowledged || after.records !== recordsHeld) {
        fail(`sent again: S ${resent.acknowledged} (was ${answer.acknowledged}), ${after.records} records held (was ${recordsHeld})`);
      }
    },
  } satisfies FuzzProperty<BatchContent>,
];

describe('fuzz: the centre\'s batch ingest (center/, SQLite)', function () {
  before(async () => {
    bench = await makeBench();
  });
  after(async () => {
    console.log(`      signed batches: ${[...outcomes].map(([code, n]) => `${n} ${code}`).join(', ')}`);
    if (!bench) return;
    await bench.app.close();
    await bench.centre.close();
    rmSync(bench.dir, { recursive: true, force: true });
  });
  fuzzTarget('centre ingest', 'centre-ingest', properties);
});
