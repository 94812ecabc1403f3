/// <reference types="node" />
/// <reference types="mocha" />
// The upload codec beyond the engine-neutral scenarios (tests/scenarios/upload-scenarios.ts, which
// run on XS too): every truncation and every changed byte of a batch and of an answer is refused or
// fails its signature, never read as other content; and the issuer side of the centre: the
// provision-centre command, the centre key file, the centre certificate CC in terminal configs
// (old configs without it still load).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suiteById } from '../firmware/crypto/suites.js';
import type { Verifier } from '../firmware/crypto/suite.js';
import { fromHex, toHex } from '../firmware/protocol/bytes.js';
import { configFromProvisioning } from '../firmware/terminal/provisioning.js';
import { checkCentreCertificate, decodeCentreCertificate } from '../firmware/upload/centre-certificate.js';
import {
  AnswerFormatError, BatchFormatError, decodeAnswer, decodeBatch, encodeAnswer, encodeBatch, UPLOAD_LIMITS,
} from '../firmware/upload/messages.js';
import { centreKeyFromJson, centreKeyToJson, loadCentreKey, loadTerminalConfig, terminalConfigFromJson, terminalConfigToJson } from '../issuer/files.js';
import { batchContent, opaqueChangeList, uploadParties, UPLOAD_TERMINAL_ID } from './scenarios/upload-scenarios.js';

const CLI = 'build/issuer/cli.js';

function issuer(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

function succeeds(args: readonly string[]): string {
  const run = issuer(args);
  assert.equal(run.status, 0, `issuer ${args.join(' ')}: ${run.stderr}`);
  return run.stdout;
}

function refused(args: readonly string[], problem: RegExp): void {
  const run = issuer(args);
  assert.equal(run.status, 2, `expected exit 2 for ${args.join(' ')}; stderr: ${run.stderr}`);
  assert.match(run.stderr, problem);
  assert.equal(run.stderr.trimEnd().split('\n').length, 1, `one line expected, got:\n${run.stderr}`);
}

/** Each way of spoiling `bytes` once: every truncation, and every byte with its lowest bit flipped. */
function* spoiled(bytes: Uint8Array): Generator<{ readonly what: string; readonly bytes: Uint8Array }> {
  for (let length = 0; length < bytes.length; length++) yield { what: `cut to ${length} bytes`, bytes: bytes.slice(0, length) };
  for (let i = 0; i < bytes.length; i++) {
    const changed = bytes.slice();
    changed[i]! ^= 0x01;
    yield { what: `byte ${i} changed`, bytes: changed };
  }
}

/**
 * Every spoilt form of `bytes` is refused by `decode` with an error `refusal` accepts, or decodes
 * to a message whose signature does not check; returns how many took each path.
 */
function spoiltRefused<T extends { signedMessage: Uint8Array; signature: Uint8Array }>(
  bytes: Uint8Array, decode: (bytes: Uint8Array) => T, refusal: (error: unknown) => boolean, key: Verifier,
): { readonly refused: number; readonly badSignature: number } {
  let refused = 0;
  let badSignature = 0;
  for (const { what, bytes: spoilt } of spoiled(bytes)) {
    let message: T;
    try {
      message = decode(spoilt);
    } catch (error) {
      assert.ok(refusal(error), `${what}: ${(error as Error).name}: ${(error as Error).message}`);
      refused++;
      continue;
    }
    assert.equal(key.verify(message.signedMessage, message.signature), false, `${what}: decoded and still signed`);
    badSignature++;
  }
  const message = decode(bytes);
  assert.ok(key.verify(message.signedMessage, message.signature), 'the unspoilt message checks');
  return { refused, badSignature };
}

describe('upload codec: spoiled messages', function () {
  const parties = uploadParties();

  it('every truncation and every changed byte of a batch is refused as malformed or fails the nT signature', () => {
    const bytes = encodeBatch(batchContent([5, 6]), (m) => parties.terminalSigner.sign(m));
    const counts = spoiltRefused(bytes, decodeBatch, (error) => error instanceof BatchFormatError, parties.terminalKey);
    // Both paths are taken: CRCs and structure catch most, the signature the rest (nonce, clock, ...).
    assert.ok(counts.refused > 0 && counts.badSignature > 0, JSON.stringify(counts));
  });

  it('every truncation and every changed byte of an answer is refused as malformed or fails the nC signature', () => {
    const content = {
      terminalId: UPLOAD_TERMINAL_ID, nonce: new Uint8Array(UPLOAD_LIMITS.nonceBytes).fill(3), acknowledged: 9, centreTime: Date.UTC(2026, 11, 2),
      hotlistVersion: 2, changeLists: [opaqueChangeList(2)],
    };
    const bytes = encodeAnswer(content, (m) => parties.centreSigner.sign(m));
    const { centreKey } = checkCentreCertificate(parties.centre.certificate, parties.terminal.issuerKeys);
    const counts = spoiltRefused(bytes, decodeAnswer, (error) => error instanceof AnswerFormatError, centreKey);
    assert.ok(counts.refused > 0 && counts.badSignature > 0, JSON.stringify(counts));
  });
});

describe('issuer: the centre key and certificate CC', function () {
  let dir: string;
  let keyDir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'centre-key-'));
    keyDir = join(dir, 'keys');
    succeeds(['create-key', '--suite', 'p256', '--key-id', '1', '--out', keyDir, '--seed', 'centre test']);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const centreArgs = (out: string, extra: readonly string[] = []) => [
    'provision-centre', '--key', keyDir, '--centre-id', 'C1', '--valid-from', '2026-01-01', '--valid-to', '2031-12-31', '--out', out, ...extra,
  ];

  it('provision-centre writes key pair C, CC and nA (mode 0600); provision-terminal --centre puts CC into the config', () => {
    const centreFile = join(dir, 'centre.json');
    const stdout = succeeds(centreArgs(centreFile));
    assert.match(stdout, /centre C1 key written to .*centre\.json \(mode 0600\)/);
    assert.equal(statSync(centreFile).mode & 0o777, 0o600);
    const centre = loadCentreKey(centreFile);
    const issuerPublic = JSON.parse(readFileSync(join(keyDir, 'issuer-public-key.json'), 'utf8')) as { publicKey: string };
    assert.equal(toHex(centre.issuerKeys[0]!.publicKey), issuerPublic.publicKey, 'the centre trusts nA');
    const cc = checkCentreCertificate(centre.certificate, centre.issuerKeys).certificate;
    assert.deepEqual([cc.centreId, cc.validFrom, cc.validTo], ['C1', '2026-01-01', '2031-12-31']);
    assert.deepEqual(cc.centrePublicKey, centre.publicKey);
    const probe = Uint8Array.of(1, 2, 3);
    assert.ok(suiteById(centre.suite).verify(centre.publicKey, probe, suiteById(centre.suite).sign(centre.secretKey, probe)), 'C is a key pair');
    assert.match(succeeds(['show', centreFile]), /centre key "C1".*\n.*nC: [0-9A-F]+\n.*certificate CC: valid 2026-01-01 to 2031-12-31, issuer key 1, suite 1/);

    const terminalFile = join(dir, 'terminal.json');
    const terminalOut = succeeds(['provision-terminal', '--key', keyDir, '--terminal-id', 'T9', '--valid-from', '2026-01-01', '--valid-to', '2031-12-31', '--centre', centreFile, '--out', terminalFile]);
    assert.match(terminalOut, /centre certificate CC: centre C1/);
    const config = loadTerminalConfig(terminalFile);
    assert.deepEqual(config.centreCertificate, centre.certificate);
    assert.deepEqual(configFromProvisioning(JSON.parse(readFileSync(terminalFile, 'utf8'))).centreCertificate, centre.certificate, 'the device reads CC too');
    assert.match(succeeds(['show', terminalFile]), /centre certificate CC: centre C1/);
  });

  it('refuses bad arguments and files with exit 2', () => {
    const out = join(dir, 'centre.json');
    refused(centreArgs(out, ['--centre-id', 'C 1']), /--centre-id must be 1 to 16 letters/);
    refused(['provision-centre', '--key', keyDir, '--centre-id', 'C1', '--valid-from', '2026-01-01', '--valid-to', '2025-01-01', '--out', out], /--valid-to \(2025-01-01\) is before --valid-from/);
    succeeds(centreArgs(out));
    refused(centreArgs(out), /centre\.json already exists; use --force/);
    const terminal = join(dir, 'terminal.json');
    refused(['provision-terminal', '--key', keyDir, '--terminal-id', 'T9', '--valid-from', '2026-01-01', '--valid-to', '2031-12-31', '--centre', join(keyDir, 'issuer-key.json'), '--out', terminal],
      /not a centre key: format must be "icc-centre-key\/1"/);
  });

  it('a centre key or terminal config whose CC does not check is refused; configs without CC load as before', () => {
    const { centre, terminal } = uploadParties('centre files');
    assert.deepEqual(centreKeyFromJson(JSON.parse(JSON.stringify(centreKeyToJson(centre)))), centre, 'round trip');
    const other = uploadParties('other centre files');
    const json = JSON.parse(JSON.stringify(centreKeyToJson(centre))) as Record<string, unknown>;
    assert.throws(() => centreKeyFromJson({ ...json, certificate: toHex(other.centre.certificate) }), /centre key: "certificate": centre certificate signature does not verify/);
    assert.throws(() => centreKeyFromJson({ ...json, centreId: 'C2' }), /certificate is for centre "CENTRE-1", not "C2"/);
    assert.throws(() => centreKeyFromJson({ ...json, secretKey: toHex(other.centre.secretKey) }), /"secretKey" does not belong to the public key/);

    const configJson = JSON.parse(JSON.stringify(terminalConfigToJson(terminal))) as Record<string, unknown>;
    assert.deepEqual(terminalConfigFromJson(configJson).centreCertificate, centre.certificate);
    const spoilt = fromHex(configJson.centreCertificate as string);
    spoilt[spoilt.length - 1]! ^= 1;
    assert.throws(() => terminalConfigFromJson({ ...configJson, centreCertificate: toHex(spoilt) }), /"centreCertificate": centre certificate signature does not verify/);
    assert.throws(() => terminalConfigFromJson({ ...configJson, centreCertificate: toHex(other.centre.certificate) }), /"centreCertificate": centre certificate signature does not verify/);
    const { centreCertificate: _none, ...older } = configJson;
    const path = join(dir, 'older.json');
    writeFileSync(path, JSON.stringify(older));
    assert.equal(loadTerminalConfig(path).centreCertificate, undefined, 'an older config loads without CC');
    assert.equal(configFromProvisioning(older).centreCertificate, undefined, 'and so does the device');
    assert.equal(decodeCentreCertificate(centre.certificate).centreId, 'CENTRE-1');
  });
});
