/// <reference types="node" />
/// <reference types="mocha" />
// Fuzz target: BER-TLV (firmware/protocol/tlv.ts) and the decoders built on it: card data, the
// terminal and centre certificates, hotlist change lists, upload batches and answers, usage
// records. Arbitrary or mutated bytes either decode or throw the decoder's own documented error
// (TlvError and its kin, BatchFormatError, RecordFormatError), never a TypeError or RangeError
// from inside; what decodes re-encodes to what decodes the same; generated values round-trip.
import fc from 'fast-check';
import { encodeRecord, decodeRecord, type UsageRecord } from '../../firmware/journal/record.js';
import { RecordFormatError } from '../../firmware/journal/fields.js';
import { crc32 } from '../../firmware/journal/crc32.js';
import { decodeChangeList, encodeChangeList, ChangeListError } from '../../firmware/hotlist/change-list.js';
import { concatBytes } from '../../firmware/protocol/bytes.js';
import { checkDate } from '../../firmware/protocol/dates.js';
import {
  decodeCardData, decodeCertificate, decodeCertificateValue, encodeCardData, encodeCertificate, type CardData, type TerminalCertificate,
} from '../../firmware/protocol/data-objects.js';
import { decodeSingle, decodeTlvs, encodeConstructed, encodeTlv, tlvMap, TlvError, type Tlv } from '../../firmware/protocol/tlv.js';
import { decodeCentreCertificate, encodeCentreCertificate } from '../../firmware/upload/centre-certificate.js';
import { AnswerFormatError, BatchFormatError, decodeAnswer, decodeBatch, encodeAnswer, encodeBatch } from '../../firmware/upload/messages.js';
import { batchContent, uploadParties } from '../scenarios/upload-scenarios.js';
import { fuzzTarget, hex, mutateAll, mutationArbitrary, sameBytes, type FuzzProperty, type Mutation } from './fuzz.js';

function fail(message: string): never {
  throw new Error(message);
}

/** Runs `decode`; a throw must be one of `documented`, else it is rethrown as the finding it is. */
function decodesOrRefuses<T>(what: string, bytes: Uint8Array, decode: (bytes: Uint8Array) => T, ...documented: (abstract new (...args: never[]) => Error)[]): T | null {
  try {
    return decode(bytes);
  } catch (error) {
    if (documented.some((kind) => error instanceof kind)) return null;
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    fail(`${what}(${hex(bytes).slice(0, 80)}) threw ${text}, not its documented error`);
  }
}

// ---------------------------------------------------------------------------------------------
// Generators of valid values

const byte = fc.integer({ min: 0, max: 255 });
/** Tags this encoding carries: one byte (not x11111, not 00 or FF) or two (x11111 then b8 clear). */
const tag: fc.Arbitrary<number> = fc.oneof(
  byte.filter((b) => b !== 0x00 && b !== 0xff && (b & 0x1f) !== 0x1f),
  fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 0x7f })).map(([high, second]) => (((high << 5) | 0x1f) << 8) | second),
);
const value = fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ minLength: 120, maxLength: 300 }));
const tlv: fc.Arbitrary<Tlv> = fc.record({ tag, value });
const digitText = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });
const date = fc.tuple(fc.integer({ min: 1, max: 9999 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 31 }))
  .map(([y, m, d]) => `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`)
  .filter((text) => {
    try {
      checkDate(text);
      return true;
    } catch {
      return false;
    }
  });
const bytesOf = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });

const cardData: fc.Arbitrary<CardData> = fc.record({
  registrationNumber: digitText(8, 16), cardNumber: bytesOf(8, 8), expiry: date, suite: byte, keyId: byte,
  commitment: bytesOf(32, 32), sa2: bytesOf(0, 300), cardPublicKey: bytesOf(0, 300), sa1: bytesOf(0, 300),
});
const printable = (min: number, max: number) => fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: min, maxLength: max });
const certificate: fc.Arbitrary<TerminalCertificate> = fc.record({
  terminalId: printable(0, 20), terminalPublicKey: bytesOf(0, 300), validFrom: date, validTo: date, suite: byte, keyId: byte, signature: bytesOf(0, 300),
});
const deviceId = fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-'), minLength: 1, maxLength: 16 });
const record: fc.Arbitrary<UsageRecord> = fc.record({
  terminalId: printable(0, 20), sequence: fc.integer({ min: 1, max: 2 ** 32 - 1 }), registrationNumber: printable(0, 20), cardNumber: bytesOf(0, 16),
  startedAt: fc.integer({ min: 0, max: 2 ** 48 - 1 }), fee: fc.integer({ min: 0, max: 2 ** 32 - 1 }), serviceCode: fc.integer({ min: 0, max: 0xffff }),
  durationSeconds: fc.integer({ min: 0, max: 2 ** 32 - 1 }), dialled: printable(0, 24), cutShort: fc.boolean(), continuation: fc.boolean(),
});

/** Equality of decoded values by their JSON (bytes as hex). */
function same(a: unknown, b: unknown): boolean {
  const show = (v: unknown) => JSON.stringify(v, (_k, inner: unknown) => (inner instanceof Uint8Array ? hex(inner) : inner));
  return show(a) === show(b);
}

// ---------------------------------------------------------------------------------------------
// Genuine encodings to mutate: what the terminal and card really exchange

const parties = uploadParties('fuzz tlv');
const sign = (message: Uint8Array) => parties.terminalSigner.sign(message);
const GENUINE = Object.freeze({
  cardData: () => encodeCardData({
    registrationNumber: '12345678', cardNumber: new Uint8Array(8).fill(3), expiry: '2030-12-31', suite: 1, keyId: 1,
    commitment: new Uint8Array(32).fill(9), sa2: new Uint8Array(64).fill(2), cardPublicKey: new Uint8Array(65).fill(4), sa1: new Uint8Array(64).fill(1),
  }),
  certificate: () => parties.terminal.certificate,
  centreCertificate: () => parties.centre.certificate,
  batch: () => encodeBatch(batchContent([1, 2, 3]), sign),
  answer: () => encodeAnswer({ terminalId: 'T-UP1', nonce: new Uint8Array(16).fill(1), acknowledged: 3, centreTime: Date.UTC(2027, 0, 5), hotlistVersion: 1, changeLists: [] }, sign),
  changeList: () => encodeChangeList({ version: 2, suite: 1, keyId: 1, added: [new Uint8Array(8).fill(1), new Uint8Array(8).fill(2)], removed: [new Uint8Array(8).fill(3)] }, new Uint8Array(64).fill(7)),
  record: () => encodeRecord({
    terminalId: 'T-UP1', sequence: 7, registrationNumber: '12345678', cardNumber: new Uint8Array(8).fill(5), startedAt: Date.UTC(2026, 11, 1),
    fee: 120, serviceCode: 1, durationSeconds: 600, dialled: '0312345678', cutShort: false, continuation: false,
  }),
});
type Decoder = keyof typeof GENUINE;

/** Each decoder with its documented error(s). */
const DECODERS: Readonly<Record<Decoder, (bytes: Uint8Array) => void>> = Object.freeze({
  cardData: (bytes) => void decodesOrRefuses('decodeCardData', bytes, decodeCardData, TlvError),
  certificate: (bytes) => {
    decodesOrRefuses('decodeCertificate', bytes, decodeCertificate, TlvError);
    decodesOrRefuses('decodeCertificateValue', bytes, decodeCertificateValue, TlvError);
  },
  centreCertificate: (bytes) => void decodesOrRefuses('decodeCentreCertificate', bytes, decodeCentreCertificate, TlvError),
  batch: (bytes) => void decodesOrRefuses('decodeBatch', bytes, decodeBatch, BatchFormatError),
  answer: (bytes) => void decodesOrRefuses('decodeAnswer', bytes, decodeAnswer, AnswerFormatError),
  changeList: (bytes) => void decodesOrRefuses('decodeChangeList', bytes, decodeChangeList, ChangeListError),
  record: (bytes) => void decodesOrRefuses('decodeRecord', bytes, decodeRecord, RecordFormatError),
});
const decoder = fc.constantFrom(...(Object.keys(DECODERS) as Decoder[]));

/** A record frame ("UR", version, length, body, CRC-32) around an arbitrary body: past the CRC into the field reader. */
function recordFrame(version: number, body: Uint8Array): Uint8Array {
  const head = concatBytes(Uint8Array.of(0x55, 0x52, version, body.length >> 8, body.length & 0xff), body);
  const crc = crc32(head);
  return concatBytes(head, Uint8Array.of(crc >>> 24, (crc >>> 16) & 0xff, (crc >>> 8) & 0xff, crc & 0xff));
}

const properties: FuzzProperty<any>[] = [
  {
    name: 'decodeTlvs, decodeSingle, tlvMap on arbitrary bytes: items or TlvError; the items re-encode and decode the same',
    runs: 6000,
    input: fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.array(tlv, { maxLength: 4 }).chain((items) => fc.array(mutationArbitrary, { maxLength: 3 })
      .map((mutations) => mutateAll(concatBytes(...items.map((t) => encodeTlv(t.tag, t.value))), mutations)))),
    check(bytes: Uint8Array) {
      const items = decodesOrRefuses('decodeTlvs', bytes, decodeTlvs, TlvError);
      decodesOrRefuses('decodeSingle', bytes, (b) => decodeSingle(b, 0x70), TlvError);
      decodesOrRefuses('tlvMap', bytes, (b) => tlvMap(b, [0x70, 0xc1, 0xdf01], [0xc1]), TlvError);
      if (!items) return;
      const again = concatBytes(...items.map((t) => encodeTlv(t.tag, t.value)));
      if (!same(decodeTlvs(again), items)) fail(`re-encoded ${hex(again)} decodes differently`);
      if (again.length > bytes.length) fail('the minimal re-encoding is longer than the input');
    },
  } satisfies FuzzProperty<Uint8Array>,
  {
    name: 'generated TLV lists and constructed TLVs: decode(encode(x)) is x, and encode(decode(bytes)) is bytes',
    runs: 3000,
    input: fc.record({ items: fc.array(tlv, { maxLength: 6 }), outer: fc.constantFrom(0x70, 0xe7, 0xf4, 0x3f20) }),
    check({ items, outer }: { items: Tlv[]; outer: number }) {
      const flat = concatBytes(...items.map((t) => encodeTlv(t.tag, t.value)));
      if (!same(decodeTlvs(flat), items)) fail('a TLV list does not round-trip');
      const constructed = encodeConstructed(outer, items);
      if (!same(decodeTlvs(decodeSingle(constructed, outer)), items)) fail('a constructed TLV does not round-trip');
      if (!sameBytes(encodeTlv(outer, decodeSingle(constructed, outer)), constructed)) fail('encodeConstructed and encodeTlv differ for the same content');
    },
  } satisfies FuzzProperty<{ items: Tlv[]; outer: number }>,
  {
    name: 'card data, CT, CC, usage records: generated values round-trip through encode and decode',
    runs: 2000,
    input: fc.record({ card: cardData, certificate, centreId: deviceId, record }),
    check({ card, certificate: ct, centreId, record: r }: { card: CardData; certificate: TerminalCertificate; centreId: string; record: UsageRecord }) {
      const encodedCard = encodeCardData(card);
      if (!same(decodeCardData(encodedCard), card) || !sameBytes(encodeCardData(decodeCardData(encodedCard)), encodedCard)) fail('card data does not round-trip');
      const encodedCt = encodeCertificate(ct);
      if (!same(decodeCertificate(encodedCt), ct) || !sameBytes(encodeCertificate(decodeCertificate(encodedCt)), encodedCt)) fail('CT does not round-trip');
      const cc = { centreId, centrePublicKey: ct.terminalPublicKey, validFrom: ct.validFrom, validTo: ct.validTo, suite: ct.suite, keyId: ct.keyId, signature: ct.signature };
      if (!same(decodeCentreCertificate(encodeCentreCertificate(cc)), cc)) fail('CC does not round-trip');
      const encodedRecord = encodeRecord(r);
      if (!same(decodeRecord(encodedRecord), r) || !sameBytes(encodeRecord(decodeRecord(encodedRecord)), encodedRecord)) fail('a usage record does not round-trip');
    },
  } satisfies FuzzProperty<{ card: CardData; certificate: TerminalCertificate; centreId: string; record: UsageRecord }>,
  {
    name: 'every decoder on arbitrary bytes: a value or its own error',
    runs: 4000,
    input: fc.record({ decoder, bytes: fc.uint8Array({ maxLength: 400 }) }),
    check({ decoder: which, bytes }: { decoder: Decoder; bytes: Uint8Array }) {
      DECODERS[which](bytes);
    },
  } satisfies FuzzProperty<{ decoder: Decoder; bytes: Uint8Array }>,
  {
    name: 'every decoder on mutated genuine encodings: a value or its own error',
    runs: 6000,
    input: fc.record({ decoder, mutations: fc.array(mutationArbitrary, { minLength: 1, maxLength: 4 }) }),
    check({ decoder: which, mutations }: { decoder: Decoder; mutations: Mutation[] }) {
      DECODERS[which](mutateAll(GENUINE[which](), mutations));
    },
  } satisfies FuzzProperty<{ decoder: Decoder; mutations: Mutation[] }>,
  {
    name: 'usage records with a right CRC around an arbitrary body: a record or RecordFormatError',
    runs: 3000,
    input: fc.record({ version: fc.constantFrom(1, 2, 3), body: fc.oneof(fc.uint8Array({ maxLength: 80 }), fc.array(mutationArbitrary, { minLength: 1, maxLength: 3 })
      .map((mutations) => mutateAll(GENUINE.record().subarray(5, -4), mutations))) }),
    check({ version, body }: { version: number; body: Uint8Array }) {
      DECODERS.record(recordFrame(version, body));
    },
  } satisfies FuzzProperty<{ version: number; body: Uint8Array }>,
];

describe('fuzz: TLV and the data object decoders (firmware/protocol/tlv.ts and users)', function () {
  fuzzTarget('TLV decoding', 'tlv', properties);
});
