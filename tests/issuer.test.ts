/// <reference types="node" />
/// <reference types="mocha" />
// The issuer's CLI as an operator runs it: a real process in a temporary directory. The files it
// writes are then checked the way a terminal would: SA1, SA2 and CT must verify with nA.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suiteById } from '../firmware/crypto/suites.js';
import { toHex } from '../firmware/protocol/bytes.js';
import { certificateMessage, decodeCertificate, sa1Message, sa2Message, type CardData } from '../firmware/protocol/data-objects.js';
import { decodeCardImage, readPersonalisation } from '../card/image.js';
import { configFromProvisioning } from '../firmware/terminal/provisioning.js';
import {
  FileFormatError, issuerKeyFromJson, issuerKeyToJson, issuerPublicKeyFromJson, issuerPublicKeyToJson, loadIssuerKey,
  loadIssuerPublicKey, loadTerminalConfig, terminalConfigFromJson, terminalConfigToJson,
} from '../issuer/files.js';
import { createIssuerKey, provisionCentre, provisionTerminal } from '../issuer/issuer.js';
import type { TerminalConfig } from '../firmware/terminal/config.js';
import { SeededRandom } from '../hal/sim/random.js';

const CLI = 'build/issuer/cli.js';

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function issuer(args: readonly string[], input?: string): Run {
  const run = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', ...(input === undefined ? {} : { input }) });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

function ok(args: readonly string[], input?: string): Run {
  const run = issuer(args, input);
  assert.equal(run.status, 0, `issuer ${args.join(' ')} failed: ${run.stderr}`);
  return run;
}

/** A user error: exit 2, one line on stderr naming the problem, no stack trace. */
function refused(args: readonly string[], problem: RegExp): Run {
  const run = issuer(args);
  assert.equal(run.status, 2, `expected exit 2 for ${args.join(' ')}; stderr: ${run.stderr}`);
  assert.match(run.stderr, problem);
  assert.equal(run.stderr.trimEnd().split('\n').length, 1, `one line expected, got:\n${run.stderr}`);
  assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
  return run;
}

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

/** The card's static data from its image file, as READ CARD DATA would give it. */
function cardDataOf(path: string): CardData {
  const card = readPersonalisation(decodeCardImage(readJson(path)).eeprom);
  return {
    registrationNumber: card.registrationNumber, cardNumber: card.cardNumber, expiry: card.expiry, suite: card.suite,
    keyId: card.keyId, commitment: card.commitment, sa2: card.sa2, cardPublicKey: card.cardPublicKey,
    ...(card.cardAgreementKey ? { cardAgreementKey: card.cardAgreementKey } : {}), sa1: card.sa1,
  };
}

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

describe('issuer CLI', function () {
  let dir: string;
  let keyDir: string;
  const card = (name: string) => join(dir, `${name}.card.json`);
  const cardArgs = (out: string, extra: string[] = []) => [
    'issue-card', '--key', keyDir, '--nt', '12345678', '--ns', '1357', '--expiry', '2030-12-31', '--label', 'alice', '--out', out, ...extra,
  ];
  const terminalArgs = (out: string, extra: string[] = []) => [
    'provision-terminal', '--key', keyDir, '--terminal-id', 'T0001', '--valid-from', '2026-01-01', '--valid-to', '2031-12-31', '--out', out, ...extra,
  ];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'issuer-'));
    keyDir = join(dir, 'key');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe('help', () => {
    it('lists the commands with no arguments and with --help', () => {
      for (const args of [[], ['--help']]) {
        const run = ok(args);
        for (const command of ['create-key', 'issue-card', 'provision-terminal', 'show']) assert.match(run.stdout, new RegExp(command));
      }
    });

    it('describes each command\'s options', () => {
      assert.match(ok(['create-key', '--help']).stdout, /--suite[\s\S]*--key-id[\s\S]*--out[\s\S]*--force/);
      assert.match(ok(['issue-card', '--help']).stdout, /--nt[\s\S]*--ns[\s\S]*--expiry[\s\S]*--idu[\s\S]*--label[\s\S]*--print-ns/);
      assert.match(ok(['provision-terminal', '--help']).stdout, /--terminal-id[\s\S]*--valid-from[\s\S]*--tariff-unit-seconds[\s\S]*--hotlist/);
      assert.match(ok(['show', '--help']).stdout, /never printed/);
    });

    it('an unknown command or option is exit 2', () => {
      refused(['mint-money'], /unknown command "mint-money"/);
      refused(['create-key', '--colour', 'red'], /--colour/);
    });
  });

  describe('create-key', () => {
    for (const [name, id] of [['p256', 1], ['ed25519', 2], ['esign', 3]] as const) {
      it(`writes the ${name} key pair: secret key 0600, public key nA`, () => {
        const run = ok(['create-key', '--suite', name, '--key-id', '7', '--out', keyDir]);
        const secret = readJson(join(keyDir, 'issuer-key.json'));
        const pub = readJson(join(keyDir, 'issuer-public-key.json'));
        assert.equal(secret.format, 'icc-issuer-key/1');
        assert.equal(pub.format, 'icc-issuer-public-key/1');
        assert.equal(secret.suite, id);
        assert.equal(pub.keyId, 7);
        assert.equal(secret.publicKey, pub.publicKey);
        assert.equal(pub.secretKey, undefined, 'the public file holds no secret');
        assert.equal(mode(join(keyDir, 'issuer-key.json')), 0o600);
        assert.ok(run.stdout.includes(pub.publicKey as string), 'prints nA');
        assert.ok(!run.stdout.includes(secret.secretKey as string), 'never prints the secret key');
        const key = loadIssuerKey(keyDir);
        assert.equal(key.suite, id);
        assert.ok(suiteById(id).isPublicKey(key.publicKey));
      });
    }

    it('never overwrites a key without --force, and says so', () => {
      ok(['create-key', '--suite', 'p256', '--key-id', '1', '--out', keyDir]);
      const before = readFileSync(join(keyDir, 'issuer-key.json'), 'utf8');
      refused(['create-key', '--suite', 'p256', '--key-id', '1', '--out', keyDir], /issuer-key\.json already exists; use --force/);
      assert.equal(readFileSync(join(keyDir, 'issuer-key.json'), 'utf8'), before);
      ok(['create-key', '--suite', 'p256', '--key-id', '1', '--out', keyDir, '--force']);
      assert.notEqual(readFileSync(join(keyDir, 'issuer-key.json'), 'utf8'), before);
      assert.equal(mode(join(keyDir, 'issuer-key.json')), 0o600, 'still 0600 after --force');
    });

    it('--seed gives the same key twice and warns that it is for demos', () => {
      const first = ok(['create-key', '--suite', 'ed25519', '--key-id', '1', '--out', join(dir, 'a'), '--seed', 'demo']);
      ok(['create-key', '--suite', 'ed25519', '--key-id', '1', '--out', join(dir, 'b'), '--seed', 'demo']);
      assert.match(first.stderr, /--seed.*demos and tests only/);
      assert.equal(readFileSync(join(dir, 'a', 'issuer-key.json'), 'utf8'), readFileSync(join(dir, 'b', 'issuer-key.json'), 'utf8'));
    });

    it('refuses an unknown suite and a bad key id', () => {
      refused(['create-key', '--suite', 'rsa', '--key-id', '1', '--out', keyDir], /--suite: unknown signature suite "rsa"/);
      refused(['create-key', '--suite', 'p256', '--key-id', '256', '--out', keyDir], /--key-id must be a whole number from 0 to 255/);
      refused(['create-key', '--suite', 'p256', '--out', keyDir], /--key-id is required/);
    });
  });

  describe('issue-card', () => {
    beforeEach(() => {
      ok(['create-key', '--suite', 'p256', '--key-id', '3', '--out', keyDir, '--seed', 'issuer-test']);
    });

    it('writes a card image whose SA1 and SA2 verify with nA; prints Nt, IDU, expiry and not Ns', () => {
      const run = ok(cardArgs(card('alice'), ['--idu', '0123456789abcdef']));
      assert.match(run.stdout, /registration number \(Nt\): 12345678/);
      assert.match(run.stdout, /card number \(IDU\): 0123456789ABCDEF/);
      assert.match(run.stdout, /expiry: 2030-12-31/);
      assert.doesNotMatch(run.stdout, /1357|setting number/, 'Ns is not printed unless asked');
      const image = readJson(card('alice'));
      assert.equal(image.format, 'icc-card-image/1');
      assert.equal(image.label, 'alice');
      assert.equal(mode(card('alice')), 0o600, 'the image holds Ns and the card secret key');

      const nA = loadIssuerPublicKey(join(keyDir, 'issuer-public-key.json'));
      const data = cardDataOf(card('alice'));
      assert.equal(data.registrationNumber, '12345678');
      assert.equal(toHex(data.cardNumber), '0123456789ABCDEF');
      assert.equal(data.expiry, '2030-12-31');
      assert.equal(data.keyId, 3);
      const suite = suiteById(data.suite);
      const { sa1, ...unsigned } = data;
      assert.ok(suite.verify(nA.publicKey, sa1Message(unsigned), sa1), 'SA1 verifies with nA');
      assert.ok(suite.verify(nA.publicKey, sa2Message(data.commitment, data.cardNumber), data.sa2), 'SA2 verifies with nA');
      const forged = { ...unsigned, registrationNumber: '87654321' };
      assert.ok(!suite.verify(nA.publicKey, sa1Message(forged), sa1), 'and only over this card\'s data');
    });

    it('--secure-channel gives the card the encrypted channel\'s P-256 key, certified in SA1; `show` checks and prints it', () => {
      ok(cardArgs(card('sc'), ['--secure-channel']));
      ok(cardArgs(card('plain')));
      const nA = loadIssuerPublicKey(join(keyDir, 'issuer-public-key.json'));
      const data = cardDataOf(card('sc'));
      assert.equal(data.cardAgreementKey?.length, 33, 'a compressed P-256 point');
      assert.equal(cardDataOf(card('plain')).cardAgreementKey, undefined, 'without the option: none');
      const { sa1, ...unsigned } = data;
      assert.ok(suiteById(data.suite).verify(nA.publicKey, sa1Message(unsigned), sa1), 'SA1 covers the key');
      const { cardAgreementKey: _dropped, ...withoutKey } = unsigned;
      assert.ok(!suiteById(data.suite).verify(nA.publicKey, sa1Message(withoutKey), sa1), 'and is not valid without it');
      const shown = ok(['show', card('sc'), '--issuer', keyDir]);
      assert.match(shown.stdout, /encrypted channel key \(PK\.SD\.ECKA\): 0[23][0-9A-F]{64}/);
      assert.match(shown.stdout, /SA1: valid, SA2: valid \(with issuer key 3\)/);
    });

    it('draws a random IDU when none is given, and prints it', () => {
      const run = ok(cardArgs(card('a')));
      const idu = /card number \(IDU\): ([0-9A-F]{16})/.exec(run.stdout)?.[1];
      assert.ok(idu);
      assert.equal(toHex(cardDataOf(card('a')).cardNumber), idu);
    });

    it('--print-ns prints Ns once on the PIN-mailer line; --ns - reads it from standard input', () => {
      const shown = ok(cardArgs(card('a'), ['--print-ns']));
      assert.equal(shown.stdout.match(/1357/g)?.length, 1);
      assert.match(shown.stdout, /setting number \(give to the user only\): 1357/);
      const piped = ok(['issue-card', '--key', keyDir, '--nt', '12345678', '--ns', '-', '--expiry', '2030-12-31', '--label', 'b', '--out', card('b'), '--print-ns'], '24680\n');
      assert.match(piped.stdout, /\): 24680$/m);
      assert.equal(readPersonalisation(decodeCardImage(readJson(card('b'))).eeprom).settingNumber, '24680');
    });

    it('never overwrites a card image without --force', () => {
      ok(cardArgs(card('a')));
      const before = readFileSync(card('a'), 'utf8');
      refused(cardArgs(card('a')), /already exists; use --force/);
      assert.equal(readFileSync(card('a'), 'utf8'), before);
      ok(cardArgs(card('a'), ['--force']));
    });

    it('refuses bad Nt, Ns, dates, IDU and labels with exit 2, naming the problem', () => {
      const out = card('bad');
      const cases: [string[], RegExp][] = [
        [['--nt', '1234abcd'], /--nt: registration number \(Nt\) must be decimal digits only/],
        [['--nt', '1234567'], /--nt: registration number \(Nt\) must be 8 to 16 digits, got 7/],
        [['--nt', '12345678901234567'], /--nt: registration number \(Nt\) must be 8 to 16 digits, got 17/],
        [['--ns', '135'], /--ns: setting number \(Ns\) must be 4 to 12 digits, got 3/],
        [['--ns', '13x7'], /--ns: setting number \(Ns\) must be decimal digits only/],
        [['--expiry', '2026-02-30'], /--expiry: no such date: 2026-02-30/],
        [['--expiry', '31/12/2030'], /--expiry: date must be YYYY-MM-DD/],
        [['--idu', '0123456789ABCDEG'], /--idu: card number \(IDU\) must be 16 hex digits/],
        [['--idu', '0123456789ABCDE'], /--idu: card number \(IDU\) must be 16 hex digits/],
        [['--label', 'two words'], /--label must be/],
      ];
      for (const [change, problem] of cases) {
        const args = cardArgs(out);
        const at = args.indexOf(change[0]!);
        if (at >= 0) args.splice(at, 2, ...change);
        else args.push(...change);
        refused(args, problem);
      }
      refused(['issue-card', '--key', keyDir, '--nt', '12345678', '--ns', '1357', '--label', 'a', '--out', out], /--expiry is required/);
      refused(['issue-card', '--key', keyDir, '--nt', '--ns', '1357'], /--nt needs a value/);
    });

    it('refuses a missing or ill-formed key file with exit 2', () => {
      const base = (key: string) => ['issue-card', '--key', key, '--nt', '12345678', '--ns', '1357', '--expiry', '2030-12-31', '--label', 'a', '--out', card('a')];
      refused(base(join(dir, 'nowhere')), /nowhere: no such file/);
      const file = join(dir, 'broken.json');
      writeFileSync(file, '{ not json');
      refused(base(file), /broken\.json: not valid JSON/);
      const good = readJson(join(keyDir, 'issuer-key.json'));
      writeFileSync(file, JSON.stringify({ ...good, format: 'icc-issuer-key/9' }));
      refused(base(file), /format must be "icc-issuer-key\/1", found "icc-issuer-key\/9"/);
      writeFileSync(file, JSON.stringify({ ...good, secretKey: 'XYZ' }));
      refused(base(file), /"secretKey" must be hex bytes/);
      writeFileSync(file, JSON.stringify({ ...good, secretKey: (good.secretKey as string).slice(2) }));
      refused(base(file), /"secretKey" must be 32 bytes for ECDSA P-256/);
      writeFileSync(file, JSON.stringify({ ...good, suite: 9 }));
      refused(base(file), /signature suite 9 is not supported/);
      refused(base(join(keyDir, 'issuer-public-key.json')), /public key only; signing needs the secret key file/);
    });
  });

  describe('provision-terminal', () => {
    beforeEach(() => {
      ok(['create-key', '--suite', 'ed25519', '--key-id', '2', '--out', keyDir, '--seed', 'issuer-test']);
    });

    it('writes the terminal config; its certificate CT verifies with nA', () => {
      const out = join(dir, 'terminal.json');
      const run = ok(terminalArgs(out, [
        '--tariff-connection', '20', '--tariff-unit-fee', '5', '--tariff-unit-seconds', '30', '--currency', 'jpy',
        '--hotlist', '0123456789abcdef, FEDCBA9876543210',
      ]));
      assert.match(run.stdout, /terminal T0001/);
      const json = readJson(out);
      assert.equal(json.format, 'icc-terminal-config/1');
      assert.equal(mode(out), 0o600, 'the config holds the terminal secret key');
      for (const field of ['terminalPublicKey', 'terminalSecretKey', 'certificate']) assert.match(json[field] as string, /^[0-9A-F]+$/);
      assert.deepEqual(json.tariff, { currency: 'JPY', connectionFee: 20, unitFee: 5, unitSeconds: 30 });
      assert.deepEqual(json.hotlist, ['0123456789ABCDEF', 'FEDCBA9876543210']);

      const nA = loadIssuerPublicKey(keyDir);
      const config = loadTerminalConfig(out);
      assert.deepEqual(config.issuerKeys, [{ suite: 2, keyId: 2, publicKey: nA.publicKey }]);
      const cert = decodeCertificate(config.certificate);
      assert.equal(cert.terminalId, 'T0001');
      assert.equal(cert.validFrom, '2026-01-01');
      assert.equal(cert.validTo, '2031-12-31');
      assert.deepEqual(cert.terminalPublicKey, config.terminalPublicKey);
      const { signature, ...unsigned } = cert;
      assert.ok(suiteById(cert.suite).verify(nA.publicKey, certificateMessage(unsigned), signature), 'CT verifies with nA');
    });

    it('uses the default tariff and an empty hotlist when none is given', () => {
      const out = join(dir, 'terminal.json');
      ok(terminalArgs(out));
      const config = loadTerminalConfig(out);
      assert.deepEqual(config.tariff, { currency: 'JPY', connectionFee: 10, unitFee: 10, unitSeconds: 60 });
      assert.deepEqual(config.hotlist, []);
    });

    it('never overwrites a config without --force', () => {
      const out = join(dir, 'terminal.json');
      ok(terminalArgs(out));
      refused(terminalArgs(out), /terminal\.json already exists; use --force/);
      ok(terminalArgs(out, ['--force']));
    });

    it('refuses bad ids, dates, tariffs and hotlist entries with exit 2', () => {
      const out = join(dir, 'terminal.json');
      refused(['provision-terminal', '--key', keyDir, '--terminal-id', 'T 1', '--valid-from', '2026-01-01', '--valid-to', '2031-12-31', '--out', out], /--terminal-id must be/);
      refused(['provision-terminal', '--key', keyDir, '--terminal-id', 'T1', '--valid-from', '2026-02-30', '--valid-to', '2031-12-31', '--out', out], /--valid-from: no such date: 2026-02-30/);
      refused(['provision-terminal', '--key', keyDir, '--terminal-id', 'T1', '--valid-from', '2026-01-01', '--valid-to', '2025-12-31', '--out', out], /--valid-to \(2025-12-31\) is before --valid-from/);
      refused(terminalArgs(out, ['--tariff-unit-seconds', '0']), /--tariff-unit-seconds must be a whole number from 1/);
      refused(terminalArgs(out, ['--tariff-connection', '-5']), /--tariff-connection/);
      refused(terminalArgs(out, ['--currency', 'YEN1']), /--currency must be a 3-letter ISO 4217 code/);
      refused(terminalArgs(out, ['--hotlist', '0123456789ABCDEF,nonsense']), /--hotlist: card number \(IDU\) must be 16 hex digits \(8 bytes\), got "nonsense"/);
      refused(terminalArgs(out, ['--utc-offset', 'Asia/Tokyo']), /--utc-offset: UTC offset must be \+hh:mm or -hh:mm/);
      refused(terminalArgs(out, ['--utc-offset', '+15:00']), /--utc-offset: UTC offset must be whole minutes from -12:00 to \+14:00/);
    });

    it('provisions the terminal\'s local time: +09:00 by default, --utc-offset otherwise', () => {
      const out = join(dir, 'terminal.json');
      ok(terminalArgs(out));
      assert.equal(loadTerminalConfig(out).utcOffsetMinutes, 540);
      ok(terminalArgs(out, ['--force', '--utc-offset', '+05:30']));
      assert.equal(loadTerminalConfig(out).utcOffsetMinutes, 330);
      assert.equal(JSON.parse(readFileSync(out, 'utf8')).utcOffset, '+05:30');
      ok(terminalArgs(out, ['--force', '--utc-offset=-03:00'])); // a leading minus needs the = form
      assert.equal(loadTerminalConfig(out).utcOffsetMinutes, -180);
    });
  });

  describe('show', () => {
    it('prints each kind of file decoded, with every secret redacted', () => {
      ok(['create-key', '--suite', 'p256', '--key-id', '1', '--out', keyDir]);
      ok(cardArgs(card('alice'), ['--idu', '0011223344556677']));
      const terminal = join(dir, 'terminal.json');
      ok(terminalArgs(terminal));
      const secret = readJson(join(keyDir, 'issuer-key.json'));
      const config = readJson(terminal);
      const cardSecret = readPersonalisation(decodeCardImage(readJson(card('alice'))).eeprom).cardSecretKey;

      const key = ok(['show', join(keyDir, 'issuer-key.json')]).stdout;
      assert.match(key, /issuer key pair A/);
      assert.ok(key.includes(secret.publicKey as string));
      assert.ok(!key.includes(secret.secretKey as string));
      assert.match(key, /secret key: \(redacted, 32 bytes\)/);
      assert.match(ok(['show', join(keyDir, 'issuer-public-key.json')]).stdout, /issuer public key nA/);

      const shown = ok(['show', card('alice'), '--issuer', keyDir]).stdout;
      assert.match(shown, /card image "alice"/);
      assert.match(shown, /Nt\): 12345678/);
      assert.match(shown, /IDU\): 0011223344556677/);
      assert.match(shown, /SA1: valid, SA2: valid \(with issuer key 1\)/);
      assert.doesNotMatch(shown, /1357/, 'Ns is never shown');
      assert.ok(!shown.includes(toHex(cardSecret)));

      const term = ok(['show', terminal, '--issuer', join(keyDir, 'issuer-public-key.json')]).stdout;
      assert.match(term, /terminal config "T0001"/);
      assert.match(term, /valid 2026-01-01 to 2031-12-31/);
      assert.match(term, /certificate CT: valid with issuer key 1/);
      assert.ok(!term.includes(config.terminalSecretKey as string));
    });

    it('issues an ESIGN (suite 3) card and terminal whose signatures verify', () => {
      ok(['create-key', '--suite', 'esign', '--key-id', '1', '--out', keyDir, '--seed', 'esign-test']);
      ok(cardArgs(card('alice')));
      ok(terminalArgs(join(dir, 't.json')));
      const shown = ok(['show', card('alice'), '--issuer', keyDir]).stdout;
      assert.match(shown, /SA1: valid, SA2: valid \(with issuer key 1\)/);
      assert.match(shown, /ESIGN/);
    });

    it('reports a card signed by another issuer as INVALID under --issuer', () => {
      ok(['create-key', '--suite', 'p256', '--key-id', '1', '--out', keyDir]);
      ok(['create-key', '--suite', 'p256', '--key-id', '1', '--out', join(dir, 'other')]);
      ok(cardArgs(card('alice')));
      const shown = issuer(['show', card('alice'), '--issuer', join(dir, 'other')]);
      assert.match(shown.stdout, /SA1: INVALID, SA2: INVALID \(with issuer key 1\)/);
      assert.equal(shown.status, 1, 'a signature that does not verify is exit status 1, so scripts can rely on it');
      const terminal = join(dir, 'terminal.json');
      ok(terminalArgs(terminal));
      const ct = issuer(['show', terminal, '--issuer', join(dir, 'other')]);
      assert.match(ct.stdout, /certificate CT: INVALID with issuer key 1 from --issuer/);
      assert.equal(ct.status, 1, 'an INVALID CT too');
    });

    it('refuses a missing file, a file of unknown format, and no file at all', () => {
      refused(['show', join(dir, 'nothing.json')], /nothing\.json: no such file/);
      const odd = join(dir, 'odd.json');
      writeFileSync(odd, JSON.stringify({ format: 'something-else/1' }));
      refused(['show', odd], /not an issuer file \(format "something-else\/1"/);
      refused(['show'], /FILE is required/);
    });
  });
});

describe('issuer files (JSON round trips and validation)', () => {
  const random = new SeededRandom('issuer-files');
  const key = createIssuerKey(1, 4, random.source);
  const config = provisionTerminal(key, {
    terminalId: 'T-42', validFrom: '2026-01-01', validTo: '2027-01-01', hotlist: ['00112233445566aa'],
    tariff: { currency: 'EUR', connectionFee: 0, unitFee: 3, unitSeconds: 10 },
  }, random.source);

  it('the device reads the provisioning file back to the same config (firmware/terminal/provisioning.ts), and names a wrong field', () => {
    const json = JSON.parse(JSON.stringify(terminalConfigToJson(config))) as Record<string, unknown>;
    assert.deepEqual(configFromProvisioning(json), config);
    assert.throws(() => configFromProvisioning({ ...json, certificate: 'zz' }), /"certificate" must be hex bytes/);
    assert.throws(() => configFromProvisioning({ ...json, tariff: { ...(json.tariff as object), unitFee: '10' } }), /"unitFee" must be a whole amount/);
    assert.throws(() => configFromProvisioning({ ...json, format: 'icc-card-image/1' }), /format must be "icc-terminal-config\/1"/);
    assert.throws(() => configFromProvisioning({ ...json, utcOffset: '+9' }), /"utcOffset": UTC offset must be/);
    const { utcOffset: _omitted, ...older } = json;
    assert.equal(configFromProvisioning(older).utcOffsetMinutes, 540);
  });

  it('issuer keys and public keys round-trip through JSON', () => {
    const json = JSON.parse(JSON.stringify(issuerKeyToJson(key))) as unknown;
    assert.deepEqual(issuerKeyFromJson(json), key);
    const pub = JSON.parse(JSON.stringify(issuerPublicKeyToJson(key))) as unknown;
    assert.deepEqual(issuerPublicKeyFromJson(pub), { suite: key.suite, keyId: key.keyId, publicKey: key.publicKey });
  });

  it('terminal configs round-trip through JSON, byte fields as hex', () => {
    const json = terminalConfigToJson(config);
    assert.equal(json.certificate, toHex(config.certificate));
    assert.deepEqual(json.hotlist, ['00112233445566AA']);
    assert.deepEqual(terminalConfigFromJson(JSON.parse(JSON.stringify(json)) as unknown), config);
  });

  it('every field of a terminal config survives the file, read by the issuer\'s tools and by the device alike', () => {
    // Required<>: a field added to TerminalConfig does not compile here until this test sets it.
    const centre = provisionCentre(key, { centreId: 'C-1', validFrom: '2026-01-01', validTo: '2030-12-31' }, random.source);
    for (const [mutualAuthentication, secureChannel] of [['required', 'when-supported'], ['off', 'required'], ['when-supported', 'off']] as const) {
      const full: Required<TerminalConfig> = {
        ...provisionTerminal(key, { terminalId: 'T-43', validFrom: '2026-01-01', validTo: '2027-01-01', hotlist: ['00112233445566aa'], utcOffsetMinutes: -300, mutualAuthentication, secureChannel }, random.source),
        centreCertificate: centre.certificate, mutualAuthentication, secureChannel,
      };
      const json = JSON.parse(JSON.stringify(terminalConfigToJson(full))) as unknown;
      assert.deepEqual(terminalConfigFromJson(json), full, 'issuer/files.ts');
      assert.deepEqual(configFromProvisioning(json), full, 'firmware/terminal/provisioning.ts');
    }
    const json = terminalConfigToJson(config);
    assert.throws(() => terminalConfigFromJson({ ...json, secureChannel: 'always' }), /"secureChannel" must be off, when-supported, required, got "always"/);
    assert.throws(() => terminalConfigFromJson({ ...json, mutualAuthentication: true }), /"mutualAuthentication" must be off, when-supported, required, got true/);
  });

  it('refuses wrong format tags, bad hex, wrong lengths and a mismatched or forged certificate', () => {
    const json = terminalConfigToJson(config);
    const refuses = (value: unknown, problem: RegExp) => assert.throws(() => terminalConfigFromJson(value), (error: unknown) => {
      assert.ok(error instanceof FileFormatError, String(error));
      assert.match(error.message, problem);
      return true;
    });
    refuses([], /must be a JSON object/);
    refuses({ ...json, format: 'icc-card-image/1' }, /format must be "icc-terminal-config\/1", found "icc-card-image\/1"/);
    refuses({ ...json, terminalPublicKey: 'zz' }, /"terminalPublicKey" must be hex bytes/);
    refuses({ ...json, terminalPublicKey: json.terminalPublicKey.slice(2) }, /"terminalPublicKey" is not a ECDSA P-256/);
    refuses({ ...json, terminalSecretKey: `${json.terminalSecretKey}00` }, /"terminalSecretKey" must be 32 bytes/);
    const other = provisionTerminal(key, { terminalId: 'T-42', validFrom: '2026-01-01', validTo: '2027-01-01' }, random.source);
    refuses({ ...json, terminalSecretKey: toHex(other.terminalSecretKey) }, /"terminalSecretKey" does not belong to the public key/);
    refuses({ ...json, terminalId: 'T-43' }, /certificate is for terminal "T-42", not "T-43"/);
    refuses({ ...json, certificate: toHex(other.certificate) }, /certificate is for a different terminal public key/);
    const forged = json.certificate.slice(0, -2) + (json.certificate.endsWith('00') ? '01' : '00');
    refuses({ ...json, certificate: forged }, /certificate signature does not verify/);
    refuses({ ...json, certificate: '0102' }, /"certificate" is not a terminal certificate/);
    refuses({ ...json, hotlist: ['123'] }, /hotlist\[0\] must be a card number of 16 hex digits/);
    refuses({ ...json, tariff: { ...json.tariff, unitSeconds: 0 } }, /"unitSeconds" must be an integer from 1/);
    refuses({ ...json, issuerKeys: [] }, /"issuerKeys" must be a non-empty array/);
    refuses({ ...json, utcOffset: '+9' }, /"utcOffset": UTC offset must be \+hh:mm/);
    refuses({ ...json, utcOffset: 540 }, /"utcOffset" must be a string such as "\+09:00"/);
    const { utcOffset: _omitted, ...older } = json;
    assert.equal(terminalConfigFromJson(older).utcOffsetMinutes, 540, 'a config from before the field is a Japanese terminal');
    assert.throws(() => issuerKeyFromJson({ ...issuerKeyToJson(key), publicKey: toHex(other.terminalPublicKey) }), /"secretKey" does not belong/);
  });
});
