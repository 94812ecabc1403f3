// The upload codec (docs/upload-protocol.md; firmware/upload/): batches signed by the terminal key
// T, answers signed by the centre key C, the centre certificate CC. Round trips, signatures over
// the bytes sent, and every kind of malformed message refused with the problem the centre answers
// with. Engine-neutral: runs on Node and on XS; tests/upload-messages.test.ts and the centre's
// tests reuse the builders.
import { suiteById } from '../../firmware/crypto/suites.js';
import type { Signer, Verifier } from '../../firmware/crypto/suite.js';
import { concatBytes } from '../../firmware/protocol/bytes.js';
import { decodeCertificate, encodeCertificate, TAG } from '../../firmware/protocol/data-objects.js';
import { decodeSingle, decodeTlvs, encodeConstructed, encodeTlv, type Tlv } from '../../firmware/protocol/tlv.js';
import { encodeRecord, type UsageRecord } from '../../firmware/journal/record.js';
import { SERVICE } from '../../firmware/terminal/usage-store.js';
import {
  acceptAnswer, BATCH_PROBLEM, batchSignatureValid, decodeAnswer, decodeBatch, encodeAnswer, encodeBatch, UPLOAD_LIMITS, UPLOAD_TAG,
  type AnswerContent, type BatchContent, type BatchProblem,
} from '../../firmware/upload/messages.js';
import { checkCentreCertificate, CENTRE_CERTIFICATE_TAG, decodeCentreCertificate } from '../../firmware/upload/centre-certificate.js';
import { SeededRandom } from '../../hal/sim/random.js';
import { createIssuerKey, provisionCentre, provisionTerminal } from '../../issuer/issuer.js';
import { equal, ok, rejects, type Scenario } from './scenario.js';

export const UPLOAD_TERMINAL_ID = 'T-UP1';

/** A record of the test terminal whose fields all depend on `sequence`; fee in yen. */
export function uploadRecord(sequence: number, terminalId = UPLOAD_TERMINAL_ID): UsageRecord {
  return Object.freeze({
    terminalId, sequence,
    registrationNumber: sequence % 2 === 0 ? '12345678' : '87654321',
    cardNumber: Uint8Array.of(0, 0, 0, 0, 0, 0, 0x0a, sequence & 0xff),
    startedAt: Date.UTC(2026, 11, 1, 0, 0, 0) + sequence * 3_600_000,
    fee: 10 + 10 * (sequence % 7 + 1),
    serviceCode: SERVICE.METERED_CALL,
    durationSeconds: 60 * (sequence % 7 + 1),
    dialled: `03${String(sequence).padStart(8, '0')}`,
    cutShort: sequence % 5 === 0,
    continuation: false,
  });
}

/** An issuer (suite 1 unless told), a terminal provisioned by it and the centre's key and CC. */
export function uploadParties(seed = 'upload', suite = 1) {
  const random = new SeededRandom(seed).source;
  const issuer = createIssuerKey(suite, 1, random);
  const centre = provisionCentre(issuer, { centreId: 'CENTRE-1', validFrom: '2026-01-01', validTo: '2031-12-31' }, random);
  const terminal = provisionTerminal(issuer, { terminalId: UPLOAD_TERMINAL_ID, validFrom: '2026-01-01', validTo: '2031-12-31', centreCertificate: centre.certificate }, random);
  const terminalSigner: Signer = suiteById(terminal.suite).signer(terminal.terminalSecretKey);
  const terminalKey: Verifier = suiteById(terminal.suite).verifier(terminal.terminalPublicKey)!;
  const centreSigner: Signer = suiteById(centre.suite).signer(centre.secretKey);
  return { issuer, centre, terminal, terminalSigner, terminalKey, centreSigner, random };
}

export function batchContent(sequences: readonly number[], nonceByte = 1): BatchContent {
  return {
    terminalId: UPLOAD_TERMINAL_ID,
    nonce: new Uint8Array(UPLOAD_LIMITS.nonceBytes).fill(nonceByte),
    hotlistVersion: 3,
    terminalClock: Date.UTC(2026, 11, 2, 3, 0, 0),
    records: sequences.map((sequence) => uploadRecord(sequence)),
  };
}

/** The batch's E7 fields as encodeBatch writes them, to be rearranged by the malformed cases. */
function batchFields(content: BatchContent): Tlv[] {
  const batch = decodeTlvs(decodeSingle(encodeBatch(content, () => Uint8Array.of(1)), UPLOAD_TAG.BATCH));
  return decodeTlvs(batch[0]!.value);
}

/** A batch of any fields, signed as a terminal would sign it, so only the structure is wrong. */
export function rawBatch(fields: readonly Tlv[], sign: (message: Uint8Array) => Uint8Array): Uint8Array {
  const message = encodeConstructed(UPLOAD_TAG.BATCH_MESSAGE, fields);
  return encodeTlv(UPLOAD_TAG.BATCH, concatBytes(message, encodeTlv(UPLOAD_TAG.BATCH_SIGNATURE, sign(message))));
}

/** A change list as the issuer would send one (DF02 holding EC and D7); the codec only carries it. */
export function opaqueChangeList(version: number): Uint8Array {
  return encodeTlv(UPLOAD_TAG.CHANGE_LIST, concatBytes(
    encodeConstructed(0xec, [{ tag: 0xdc, value: Uint8Array.of(0, 0, 0, version) }]),
    encodeTlv(0xd7, Uint8Array.of(version, 0xaa)),
  ));
}

function answerContent(overrides: Partial<AnswerContent> = {}): AnswerContent {
  return {
    terminalId: UPLOAD_TERMINAL_ID, nonce: new Uint8Array(UPLOAD_LIMITS.nonceBytes).fill(7), acknowledged: 41,
    centreTime: Date.UTC(2026, 11, 2, 3, 0, 1), hotlistVersion: 5, changeLists: [opaqueChangeList(4), opaqueChangeList(5)], ...overrides,
  };
}

function problemOf(action: () => unknown): BatchProblem | 'accepted' {
  try {
    action();
  } catch (error) {
    const problem = (error as { problem?: BatchProblem }).problem;
    if ((error as Error).name === 'BatchFormatError' && problem) return problem;
    throw error;
  }
  return 'accepted';
}

const parties = (() => {
  let made: ReturnType<typeof uploadParties> | null = null;
  return () => (made ??= uploadParties());
})();

/** The malformed batches of docs/upload-protocol.md's error table, each with the problem it must get. */
export function malformedBatches(sign: (message: Uint8Array) => Uint8Array): readonly { readonly name: string; readonly bytes: Uint8Array; readonly problem: BatchProblem }[] {
  const fields = batchFields(batchContent([1, 2]));
  const withField = (index: number, value: Uint8Array) => fields.map((field, i) => (i === index ? { tag: field.tag, value } : field));
  const good = rawBatch(fields, sign);
  const foreign = fields.map((field, i) => (i === 5 ? { tag: field.tag, value: encodeRecord(uploadRecord(1, 'T-OTHER')) } : field));
  const badCrc = encodeRecord(uploadRecord(1));
  badCrc[badCrc.length - 1]! ^= 0x01;
  const sixtyFive = batchFields(batchContent(Array.from({ length: 64 }, (_, i) => i + 1)));
  sixtyFive.push({ tag: UPLOAD_TAG.RECORD, value: encodeRecord(uploadRecord(65)) });
  const message = encodeConstructed(UPLOAD_TAG.BATCH_MESSAGE, fields);
  const longForm = concatBytes(Uint8Array.of(UPLOAD_TAG.BATCH, 0x82, 0x00, 0x00), message, encodeTlv(UPLOAD_TAG.BATCH_SIGNATURE, sign(message)));
  longForm[2] = (longForm.length - 4) >> 8;
  longForm[3] = (longForm.length - 4) & 0xff;
  const cases = [
    { name: 'not a TLV', bytes: Uint8Array.of(0xf4, 0x05, 0x01), problem: BATCH_PROBLEM.MALFORMED },
    { name: 'an answer tag', bytes: encodeTlv(UPLOAD_TAG.ANSWER, decodeSingle(good, UPLOAD_TAG.BATCH)), problem: BATCH_PROBLEM.MALFORMED },
    { name: 'bytes after the batch', bytes: concatBytes(good, Uint8Array.of(0)), problem: BATCH_PROBLEM.MALFORMED },
    { name: 'no signature', bytes: encodeTlv(UPLOAD_TAG.BATCH, message), problem: BATCH_PROBLEM.MALFORMED },
    { name: 'empty signature', bytes: encodeTlv(UPLOAD_TAG.BATCH, concatBytes(message, encodeTlv(UPLOAD_TAG.BATCH_SIGNATURE, new Uint8Array(0)))), problem: BATCH_PROBLEM.MALFORMED },
    { name: 'fields out of order', bytes: rawBatch([fields[1]!, fields[0]!, ...fields.slice(2)], sign), problem: BATCH_PROBLEM.MALFORMED },
    { name: 'terminal id missing', bytes: rawBatch(fields.slice(1), sign), problem: BATCH_PROBLEM.MALFORMED },
    { name: 'terminal id empty', bytes: rawBatch(withField(0, new Uint8Array(0)), sign), problem: BATCH_PROBLEM.MALFORMED },
    { name: 'terminal id not printable', bytes: rawBatch(withField(0, Uint8Array.of(0x54, 0x00)), sign), problem: BATCH_PROBLEM.MALFORMED },
    { name: 'nonce of 15 bytes', bytes: rawBatch(withField(1, new Uint8Array(15)), sign), problem: BATCH_PROBLEM.MALFORMED },
    { name: 'hotlist version of 3 bytes', bytes: rawBatch(withField(2, new Uint8Array(3)), sign), problem: BATCH_PROBLEM.MALFORMED },
    { name: 'clock of 8 bytes', bytes: rawBatch(withField(3, new Uint8Array(8)), sign), problem: BATCH_PROBLEM.MALFORMED },
    { name: 'count 0 for 2 records', bytes: rawBatch(withField(4, Uint8Array.of(0, 0)), sign), problem: BATCH_PROBLEM.MALFORMED },
    { name: 'count 3 for 2 records', bytes: rawBatch(withField(4, Uint8Array.of(0, 3)), sign), problem: BATCH_PROBLEM.MALFORMED },
    { name: 'count 65', bytes: rawBatch(withField(4, Uint8Array.of(0, 65)), sign), problem: BATCH_PROBLEM.TOO_LARGE },
    { name: '65 records', bytes: rawBatch(sixtyFive, sign), problem: BATCH_PROBLEM.TOO_LARGE },
    { name: 'an unknown tag among the records', bytes: rawBatch([...fields.slice(0, 6), { tag: 0xdf09, value: fields[6]!.value }], sign), problem: BATCH_PROBLEM.MALFORMED },
    { name: "a record's CRC", bytes: rawBatch(withField(5, badCrc), sign), problem: BATCH_PROBLEM.MALFORMED },
    { name: 'a byte after a record', bytes: rawBatch(withField(5, concatBytes(fields[5]!.value, Uint8Array.of(0))), sign), problem: BATCH_PROBLEM.MALFORMED },
    { name: 'records not rising', bytes: rawBatch([...fields.slice(0, 5), fields[6]!, fields[5]!], sign), problem: BATCH_PROBLEM.MALFORMED },
    { name: 'a record twice', bytes: rawBatch([...fields.slice(0, 5), fields[5]!, fields[5]!], sign), problem: BATCH_PROBLEM.MALFORMED },
    { name: "another terminal's record", bytes: rawBatch(foreign, sign), problem: BATCH_PROBLEM.FOREIGN_RECORD },
    { name: 'a long length form', bytes: longForm, problem: BATCH_PROBLEM.MALFORMED },
    { name: 'over 16,384 bytes', bytes: concatBytes(good, new Uint8Array(UPLOAD_LIMITS.batchBytes + 1 - good.length)), problem: BATCH_PROBLEM.TOO_LARGE },
  ];
  return cases;
}

export const uploadScenarios: readonly Scenario[] = [
  {
    name: 'upload: a batch round-trips, signed by T over the E7 bytes it carries',
    run() {
      const { terminalSigner, terminalKey } = parties();
      const content = batchContent([3, 4, 7]);
      let signed: Uint8Array | null = null;
      const bytes = encodeBatch(content, (message) => {
        signed = message;
        return terminalSigner.sign(message);
      });
      const batch = decodeBatch(bytes);
      equal(batch.terminalId, content.terminalId, 'terminal id');
      equal(batch.nonce, content.nonce, 'nonce');
      equal(batch.hotlistVersion, 3, 'hotlist version');
      equal(batch.terminalClock, content.terminalClock, 'terminal clock');
      equal(batch.records.map((r) => r.record), content.records, 'records decoded');
      equal(batch.records.map((r) => r.bytes), content.records.map(encodeRecord), 'record bytes as the journal encodes them');
      ok(signed !== null, 'sign was called');
      const e7 = decodeTlvs(decodeSingle(bytes, UPLOAD_TAG.BATCH))[0]!;
      equal(signed, encodeTlv(e7.tag, e7.value), 'sign got the encoded E7 TLV');
      equal(batch.signedMessage, signed, 'the decoded batch names the signed bytes');
      ok(batchSignatureValid(batch, terminalKey), 'the signature checks with nT');
      const other = uploadParties('another terminal');
      ok(!batchSignatureValid(batch, other.terminalKey), 'another terminal key does not check it');
      equal(encodeBatch(content, (m) => terminalSigner.sign(m)).length, bytes.length, 'same content, same length');
    },
  },
  {
    name: 'upload: a batch with one changed byte in its message fails its signature',
    run() {
      const { terminalSigner, terminalKey } = parties();
      const bytes = encodeBatch(batchContent([1], 0x5a), (m) => terminalSigner.sign(m));
      const nonceAt = bytes.findIndex((_, i) => bytes.subarray(i, i + UPLOAD_LIMITS.nonceBytes).every((byte) => byte === 0x5a));
      ok(nonceAt > 0, 'the nonce is in the batch');
      const changed = bytes.slice();
      changed[nonceAt + UPLOAD_LIMITS.nonceBytes - 1]! ^= 0x01; // a field the decoder takes any value of
      const batch = decodeBatch(changed);
      equal(batch.nonce[UPLOAD_LIMITS.nonceBytes - 1], 0x5b, 'the changed byte is the nonce');
      ok(!batchSignatureValid(batch, terminalKey), 'the signature no longer checks');
    },
  },
  {
    name: 'upload: encodeBatch refuses what the protocol cannot carry',
    async run() {
      const sign = () => Uint8Array.of(1);
      await rejects(() => encodeBatch(batchContent(Array.from({ length: 65 }, (_, i) => i + 1)), sign), /RangeError: a batch holds 0 to 64 records, got 65/, '65 records');
      await rejects(() => encodeBatch(batchContent([2, 1]), sign), /RangeError: record 1 follows 2/, 'order');
      await rejects(() => encodeBatch({ ...batchContent([1]), nonce: new Uint8Array(8) }, sign), /RangeError: nonce must be 16 bytes/, 'nonce');
      await rejects(() => encodeBatch({ ...batchContent([1]), records: [uploadRecord(1, 'T-OTHER')] }, sign), /RangeError: record 1 is of terminal "T-OTHER"/, 'foreign');
      await rejects(() => encodeBatch({ ...batchContent([1]), hotlistVersion: 2 ** 32 }, sign), /RangeError: hotlist version must be an integer/, 'version');
      await rejects(() => encodeBatch({ ...batchContent([1]), terminalClock: -1 }, sign), /RangeError: terminal clock must be an integer/, 'clock');
      await rejects(() => encodeBatch(batchContent([1]), () => new Uint8Array(UPLOAD_LIMITS.batchBytes)), /RangeError: batch is \d+ bytes, at most 16384/, 'oversized');
      equal(decodeBatch(encodeBatch(batchContent(Array.from({ length: 64 }, (_, i) => i + 1)), sign)).records.length, 64, '64 records fit');
    },
  },
  {
    name: 'upload: every malformed batch is refused with its problem',
    run() {
      const { terminalSigner } = parties();
      for (const { name, bytes, problem } of malformedBatches((m) => terminalSigner.sign(m))) {
        equal(problemOf(() => decodeBatch(bytes)), problem, name);
      }
    },
  },
  {
    name: 'upload: an answer round-trips, signed by C; acceptAnswer checks signature, terminal and nonce',
    async run() {
      const { centre, centreSigner, terminal } = parties();
      const content = answerContent();
      let signed: Uint8Array | null = null;
      const bytes = encodeAnswer(content, (message) => {
        signed = message;
        return centreSigner.sign(message);
      });
      const answer = decodeAnswer(bytes);
      equal(answer.acknowledged, 41, 'acknowledged');
      equal(answer.centreTime, content.centreTime, 'centre time');
      equal(answer.hotlistVersion, 5, 'hotlist version');
      equal(answer.changeLists, content.changeLists, 'change lists carried as sent');
      equal(answer.signedMessage, signed, 'signed bytes are the E8 TLV');
      const { centreKey } = checkCentreCertificate(terminal.centreCertificate!, terminal.issuerKeys);
      const expected = { terminalId: UPLOAD_TERMINAL_ID, nonce: content.nonce, centreKey };
      equal(acceptAnswer(bytes, expected).acknowledged, 41, 'accepted');
      await rejects(() => acceptAnswer(bytes, { ...expected, nonce: new Uint8Array(16) }), /AnswerRefusedError: the answer echoes another nonce/, 'nonce');
      await rejects(() => acceptAnswer(bytes, { ...expected, terminalId: 'T-OTHER' }), /AnswerRefusedError: the answer is for terminal "T-UP1"/, 'terminal');
      const forged = encodeAnswer(content, (m) => parties().terminalSigner.sign(m));
      await rejects(() => acceptAnswer(forged, expected), /AnswerRefusedError: the answer signature does not check/, 'signed by another key');
      equal(decodeCentreCertificate(centre.certificate).centreId, 'CENTRE-1', 'CC names the centre');
      equal(decodeAnswer(encodeAnswer(answerContent({ changeLists: [], acknowledged: 0 }), (m) => centreSigner.sign(m))).changeLists.length, 0, 'no change lists');
    },
  },
  {
    name: 'upload: malformed answers are refused',
    async run() {
      const sign = () => Uint8Array.of(9);
      const good = encodeAnswer(answerContent(), sign);
      const fields = decodeTlvs(decodeTlvs(decodeSingle(good, UPLOAD_TAG.ANSWER))[0]!.value);
      const answerOf = (list: readonly Tlv[]) => {
        const message = encodeConstructed(UPLOAD_TAG.ANSWER_MESSAGE, list);
        return encodeTlv(UPLOAD_TAG.ANSWER, concatBytes(message, encodeTlv(UPLOAD_TAG.ANSWER_SIGNATURE, sign())));
      };
      const withField = (index: number, value: Uint8Array) => answerOf(fields.map((field, i) => (i === index ? { tag: field.tag, value } : field)));
      const cases: [string, Uint8Array, RegExp][] = [
        ['a batch tag', encodeTlv(UPLOAD_TAG.BATCH, decodeSingle(good, UPLOAD_TAG.ANSWER)), /expected one TLV with tag f5/],
        ['a field missing', answerOf(fields.slice(0, 5)), /answer message has 5 fields/],
        ['fields swapped', answerOf([fields[0]!, fields[1]!, fields[3]!, fields[2]!, fields[4]!, fields[5]!]), /acknowledged sequence \(tag df03\) expected as field 3/],
        ['S of 2 bytes', withField(2, Uint8Array.of(0, 1)), /acknowledged sequence must be 4 bytes/],
        ['time of 4 bytes', withField(3, new Uint8Array(4)), /centre time must be 6 bytes/],
        ['nonce of 17 bytes', withField(1, new Uint8Array(17)), /nonce must be 16 bytes/],
        ['a change list under another tag', withField(5, encodeTlv(0xdf05, Uint8Array.of(1))), /change list 1 has tag df05/],
        ['33 change lists', withField(5, concatBytes(...Array.from({ length: 33 }, (_, i) => opaqueChangeList(i + 1)))), /33 change lists, at most 32/],
        ['a TLV after it', concatBytes(good, Uint8Array.of(0xd7, 0x00)), /expected one TLV with tag f5/],
      ];
      for (const [name, bytes, pattern] of cases) await rejects(() => decodeAnswer(bytes), new RegExp(`AnswerFormatError: not an answer: .*${pattern.source}`), name);
      await rejects(() => encodeAnswer(answerContent({ changeLists: Array.from({ length: 33 }, (_, i) => opaqueChangeList(i + 1)) }), sign), /RangeError: an answer carries at most 32 change lists/, 'encode: 33 lists');
      await rejects(() => encodeAnswer(answerContent({ changeLists: [Uint8Array.of(0xdf, 0x02, 0x05)] }), sign), /RangeError: change list 1 is not one DF02 TLV/, 'encode: broken list');
      await rejects(() => encodeAnswer(answerContent({ changeLists: [encodeTlv(0xdf02, new Uint8Array(UPLOAD_LIMITS.answerBytes))] }), sign), /RangeError: answer is \d+ bytes, at most 16384/, 'encode: too large');
    },
  },
  {
    name: 'upload: the centre certificate CC checks with nA, and a terminal certificate cannot pass for it',
    async run() {
      const { centre, terminal, issuer } = parties();
      const { certificate } = checkCentreCertificate(centre.certificate, terminal.issuerKeys);
      equal(certificate.centrePublicKey, centre.publicKey, 'nC');
      equal(certificate.keyId, issuer.keyId, 'issuer key id');
      // CT's fields re-tagged as a CC: its signature is over E3, CC's over ED.
      const asCentre = encodeTlv(CENTRE_CERTIFICATE_TAG.CERTIFICATE, decodeSingle(terminal.certificate, TAG.TERMINAL_CERTIFICATE));
      await rejects(() => checkCentreCertificate(asCentre, terminal.issuerKeys), /CentreCertificateError: centre certificate signature does not verify/, 'CT as CC');
      await rejects(() => checkCentreCertificate(terminal.certificate, terminal.issuerKeys), /CentreCertificateError: not a centre certificate/, 'CT where CC is expected');
      const stranger = uploadParties('another issuer');
      await rejects(() => checkCentreCertificate(centre.certificate, stranger.terminal.issuerKeys.map((key) => ({ ...key, keyId: issuer.keyId }))),
        /CentreCertificateError: centre certificate signature does not verify/, 'another issuer');
      await rejects(() => checkCentreCertificate(centre.certificate, []), /CentreCertificateError: .*issuer key 1 \(suite 1\), which this terminal does not hold/, 'no issuer key');
      // CC's value decodes as CT's fields (the terminal id field holding the centre id).
      const cert = decodeCertificate(encodeTlv(TAG.TERMINAL_CERTIFICATE, decodeSingle(centre.certificate, CENTRE_CERTIFICATE_TAG.CERTIFICATE)));
      equal(cert.terminalId, 'CENTRE-1', 'centre id in the terminal id field');
      equal(encodeCertificate(cert).length, centre.certificate.length, 'same fields and lengths as CT');
    },
  },
  {
    name: 'upload: Ed25519 terminal and centre keys sign and check batches and answers',
    run() {
      const ed = uploadParties('upload ed25519', 2);
      const batch = decodeBatch(encodeBatch(batchContent([9]), (m) => ed.terminalSigner.sign(m)));
      ok(batchSignatureValid(batch, ed.terminalKey), 'batch under Ed25519');
      const { centreKey } = checkCentreCertificate(ed.terminal.centreCertificate!, ed.terminal.issuerKeys);
      const content = answerContent();
      const answer = acceptAnswer(encodeAnswer(content, (m) => ed.centreSigner.sign(m)), { terminalId: UPLOAD_TERMINAL_ID, nonce: content.nonce, centreKey });
      equal(answer.hotlistVersion, 5, 'answer under Ed25519');
    },
  },
];
