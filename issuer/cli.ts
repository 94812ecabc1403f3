/// <reference types="node" />
// The issuer's command-line tool (the card issuing machine of the patent, [0009]-[0010]):
// master key pair A, card images with SA1/SA2, terminal configs with CT. The signing itself is
// issuer.ts; this file only turns arguments and files into its requests and back.
//
// Exit codes: 0 done, 2 the person asked for something wrong (one line on stderr, no stack),
// 1 a bug (the stack is printed, since then it helps).
import { MUTUAL_AUTHENTICATION_MODES } from '../firmware/terminal/mutual-auth.js';
import { randomBytes } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { dispatch, UsageError, type CommandSpec } from '../tools/cli/command-line.js';
import type { RandomBytes } from '../firmware/crypto/suite.js';
import { suiteById, suiteByName } from '../firmware/crypto/suites.js';
import { UnknownSuiteError } from '../firmware/crypto/suite.js';
import { toHex } from '../firmware/protocol/bytes.js';
import { certificateMessage, decodeCertificate, sa1Message, sa2Message } from '../firmware/protocol/data-objects.js';
import { checkDate, dateOf, DateError, formatUtcOffset, parseUtcOffset } from '../firmware/protocol/dates.js';
import { TlvError } from '../firmware/protocol/tlv.js';
import { digitProblem, type DigitKind } from '../firmware/protocol/digits.js';
import { DEFAULT_TARIFF, DEFAULT_UTC_OFFSET_MINUTES, type IssuerPublicKey, type Tariff, type TerminalConfig } from '../firmware/terminal/config.js';
import { SeededRandom } from '../hal/sim/random.js';
import type { CardPersonalisation } from '../card/personalisation.js';
import { CardImageError, decodeCardImage, encodeCardImage, personaliseCard, readPersonalisation } from '../card/image.js';
import { CentreCertificateError, decodeCentreCertificate } from '../firmware/upload/centre-certificate.js';
import { createIssuerKey, issueCard, IssuerError, provisionCentre, provisionTerminal, type CentreKey, type IssuerKey } from './issuer.js';
import { issuerVerifiers, verifyChangeList } from '../firmware/hotlist/change-list.js';
import { HotlistRefusedError } from '../firmware/hotlist/refusal.js';
import { changeListFromJson, changeListToJson, HOTLIST_CHANGE_FORMAT, signChangeList } from './hotlist.js';
import {
  centreKeyFromJson, FileExistsError, FileFormatError, FORMAT, issuerKeyFromJson, loadCentreKey, saveCentreKey, issuerKeyPaths, issuerPublicKeyFromJson, jsonText, loadIssuerKey,
  loadIssuerPublicKey, readJsonFile, refuseExisting, saveIssuerKey, saveTerminalConfig, SECRET_FILE_MODE,
  terminalConfigFromJson, writeNewFile,
} from './files.js';


const PROGRAM = 'issuer';

const MAIN_HELP = `Usage: npm run issuer -- <command> [options]
       node build/issuer/cli.js <command> [options]

The card issuing machine: the issuer's master key pair A, cards, terminal certificates.

Commands:
  create-key          make master key pair A (secret key file and public key nA)
  issue-card          personalise a card (Nt, Ns, IDU, expiry, SA1, SA2) and write its image file
  provision-terminal  make a terminal's key pair T and certificate CT; write its config file
  provision-centre    make the fee management centre's key pair C and certificate CC; write its key file
  hotlist-change      sign hotlist version N (cards added and removed since N-1) for the centre to relay
  show FILE           print what a key, card image or terminal config file holds (secrets redacted)

"<command> --help" describes a command's options. Exit code 2 means a bad argument or file.
Nothing is ever overwritten unless --force is given.`;

const SEED_HELP = `  --seed TEXT        derive all randomness from TEXT and what is being made (same arguments,
                     same output: for demos and tests only, anyone who knows TEXT can recompute
                     the keys)`;

interface Command extends CommandSpec {
  /** Returns the exit status when it is not 0 (show: 1 for a signature that does not verify). */
  run(values: Values, positionals: readonly string[], io: Io): void | number;
}

type Values = Readonly<Record<string, string | boolean | undefined>>;

/** Where the commands write; the tests run the real process, so these are just the streams. */
interface Io {
  out(line: string): void;
  warn(line: string): void;
  readStdin(): string;
}

// ---------------------------------------------------------------------------------------------
// Argument checks: each message names the option, so a batch job's log says what to fix.

function required(values: Values, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

function optional(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

function digits(option: string, kind: DigitKind, value: string): string {
  const problem = digitProblem(kind, value);
  if (problem) throw new UsageError(`--${option}: ${problem}, got "${value}"`);
  return value;
}

function date(option: string, value: string): string {
  try {
    return checkDate(value);
  } catch (error) {
    throw new UsageError(`--${option}: ${(error as Error).message}`);
  }
}

function integer(option: string, value: string, min: number, max: number): number {
  if (!/^[0-9]+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new UsageError(`--${option} must be a whole number from ${min} to ${max}, got "${value}"`);
  }
  return Number(value);
}

const CARD_NUMBER = /^[0-9a-fA-F]{16}$/;

function cardNumber(option: string, value: string): string {
  if (!CARD_NUMBER.test(value)) throw new UsageError(`--${option}: card number (IDU) must be 16 hex digits (8 bytes), got "${value}"`);
  return value.toUpperCase();
}

/** A comma-separated list of card numbers, each once, in the order given; [] when absent or empty. */
function cardList(values: Values, option: string): string[] {
  const text = optional(values, option);
  return text === undefined || text.trim() === '' ? [] : [...new Set(text.split(',').map((idu) => cardNumber(option, idu.trim())))];
}

function suiteOption(value: string): number {
  try {
    return suiteByName(value).id;
  } catch (error) {
    throw new UsageError(`--suite: ${(error as Error).message}`);
  }
}

/**
 * node:crypto for real keys; a seeded stream when the person asked for reproducible output.
 * The seed is mixed with what is being made (`purpose`), so one demo seed used for the key and
 * for each card never hands out the same bytes twice (an IDU equal to part of the issuer's
 * secret key, say).
 */
function randomSource(values: Values, io: Io, purpose: string): RandomBytes {
  const seed = optional(values, 'seed');
  if (seed === undefined) return (length) => new Uint8Array(randomBytes(length));
  if (seed === '' || !/^[\x20-\x7e]+$/.test(seed)) throw new UsageError('--seed must be printable ASCII text');
  io.warn(`${PROGRAM}: warning: --seed makes every key and number predictable; use it for demos and tests only`);
  return new SeededRandom(`${purpose} | ${seed}`).source;
}

function suiteLabel(id: number): string {
  return `suite ${id} (${suiteById(id).name})`;
}

// ---------------------------------------------------------------------------------------------
// create-key

const createKey: Command = {
  help: `Usage: ${PROGRAM} create-key --suite p256|ed25519|esign --key-id N --out DIR [--force] [--seed TEXT]

Makes the issuer's master key pair A and writes, in DIR:
  issuer-key.json         the secret key (mode 0600; keep it offline, it signs every card)
  issuer-public-key.json  the public key nA, for terminals and anyone checking cards

Options:
  --suite NAME       signature suite: p256 (ECDSA P-256 / SHA-256, suite 1), ed25519 (suite 2)
                     or esign (ESIGN-2046, e = 1024, SHA-256, suite 3)
  --key-id N         which issuer key this is, 0 to 255 (cards and certificates name it)
  --out DIR          directory to write into (created if missing)
  --force            replace existing key files (the old key is lost)
${SEED_HELP}`,
  options: {
    suite: { type: 'string' },
    'key-id': { type: 'string' },
    out: { type: 'string' },
    force: { type: 'boolean' },
    seed: { type: 'string' },
  },
  run(values, _positionals, io) {
    const suite = suiteOption(required(values, 'suite'));
    // No default: a second key given the first one's number would be indistinguishable to terminals.
    if (optional(values, 'key-id') === undefined) throw new UsageError("--key-id is required: the number cards and certificates know this key by, 0 to 255 (1 for an issuer's first key)");
    const keyId = integer('key-id', required(values, 'key-id'), 0, 255);
    const out = required(values, 'out');
    const force = values.force === true;
    refuseExisting(Object.values(issuerKeyPaths(out)), force); // before generating: a mistaken run costs nothing
    const key = createIssuerKey(suite, keyId, randomSource(values, io, `issuer key ${suite}/${keyId}`));
    const paths = saveIssuerKey(out, key, { force });
    io.out(`issuer key ${keyId}, ${suiteLabel(suite)}`);
    io.out(`nA: ${toHex(key.publicKey)}`);
    io.out(`secret key: ${paths.secret} (mode 0600)`);
    io.out(`public key: ${paths.public}`);
  },
};

// ---------------------------------------------------------------------------------------------
// issue-card

const LABEL = /^[A-Za-z0-9._-]{1,32}$/;

const issueCardCommand: Command = {
  help: `Usage: ${PROGRAM} issue-card --key DIR --nt DIGITS --ns DIGITS --expiry YYYY-MM-DD --label NAME --out FILE
                          [--idu 16HEX] [--secure-channel] [--print-ns] [--force] [--seed TEXT]

Personalises one card under issuer key A and writes its image file (the card's EEPROM, as JSON
"${FORMAT.CARD_IMAGE}"): C = H(salt || Ns), SA2 = Sig_A(C || IDU), card key pair U, SA1 over the
static data. Prints Nt, IDU and expiry.

The setting number Ns is the user's secret: it is not printed unless --print-ns is given, and
then only once, on a line meant for the PIN mailer. The card image file itself holds Ns, the
salt and the card's secret key, so it is written with mode 0600.

Options:
  --key DIR          the issuer key directory (or its issuer-key.json)
  --nt DIGITS        registration number Nt, 8 to 16 digits (identifies the user)
  --ns DIGITS        setting number Ns, 4 to 12 digits; "-" reads it from standard input, which
                     keeps it out of shell history and the process list
  --expiry DATE      last day the card is valid, YYYY-MM-DD
  --idu HEX          card number IDU, 16 hex digits (default: random)
  --label NAME       the card's name in the simulator (letters, digits, '.', '_', '-'; up to 32)
  --out FILE         card image file to write
  --secure-channel   give the card the encrypted channel's P-256 key ([0021], SCP11b), certified
                     in SA1, for terminals provisioned with --secure-channel
  --print-ns         print "setting number (give to the user only): ..." once
  --force            replace an existing card image file
${SEED_HELP}`,
  options: {
    key: { type: 'string' },
    nt: { type: 'string' },
    ns: { type: 'string' },
    expiry: { type: 'string' },
    idu: { type: 'string' },
    label: { type: 'string' },
    out: { type: 'string' },
    'print-ns': { type: 'boolean' },
    'secure-channel': { type: 'boolean' },
    force: { type: 'boolean' },
    seed: { type: 'string' },
  },
  run(values, _positionals, io) {
    const keyPath = required(values, 'key');
    const registrationNumber = digits('nt', 'registrationNumber', required(values, 'nt'));
    const nsText = required(values, 'ns');
    const settingNumber = digits('ns', 'settingNumber', nsText === '-' ? firstLine(io.readStdin()) : nsText);
    const expiry = date('expiry', required(values, 'expiry'));
    const idu = optional(values, 'idu');
    const cardNumberHex = idu === undefined ? undefined : cardNumber('idu', idu);
    const label = required(values, 'label');
    if (!LABEL.test(label)) throw new UsageError(`--label must be 1 to 32 letters, digits, '.', '_' or '-', got "${label}"`);
    const out = required(values, 'out');
    const force = values.force === true;
    refuseExisting([out], force);
    const issuer = loadIssuerKey(keyPath);
    const today = dateOf(Date.now());
    if (expiry < today) io.warn(`${PROGRAM}: warning: expiry ${expiry} is already past; terminals will refuse this card`);

    const issued = issueCard(issuer, {
      registrationNumber, settingNumber, expiry,
      ...(cardNumberHex === undefined ? {} : { cardNumber: cardNumberHex }),
      ...(values['secure-channel'] === true ? { agreementKey: true } : {}),
    }, randomSource(values, io, `card ${label} ${registrationNumber}`));
    const image = { format: FORMAT.CARD_IMAGE, label, eeprom: personaliseCard(issued.personalisation) };
    writeNewFile(out, jsonText(encodeCardImage(image)), { force, mode: SECRET_FILE_MODE });

    io.out(`card "${label}" written to ${out}`);
    io.out(`registration number (Nt): ${registrationNumber}`);
    io.out(`card number (IDU): ${toHex(issued.cardData.cardNumber)}`);
    io.out(`expiry: ${expiry}`);
    io.out(`issuer key ${issuer.keyId}, ${suiteLabel(issuer.suite)}`);
    if (values['print-ns'] === true) io.out(`setting number (give to the user only): ${settingNumber}`);
  },
};

function firstLine(text: string): string {
  return (text.split(/\r?\n/)[0] ?? '').trim();
}

// ---------------------------------------------------------------------------------------------
// provision-terminal

const TERMINAL_ID = /^[0-9A-Za-z-]{1,16}$/;

/** The id (terminal or centre) and the certificate validity a provision command is given. */
function certifiedId(values: Values, idOption: string): { readonly id: string; readonly validFrom: string; readonly validTo: string } {
  const id = required(values, idOption);
  if (!TERMINAL_ID.test(id)) throw new UsageError(`--${idOption} must be 1 to 16 letters, digits or '-', got "${id}"`);
  const validFrom = date('valid-from', required(values, 'valid-from'));
  const validTo = date('valid-to', required(values, 'valid-to'));
  if (validTo < validFrom) throw new UsageError(`--valid-to (${validTo}) is before --valid-from (${validFrom})`);
  return { id, validFrom, validTo };
}

const provisionTerminalCommand: Command = {
  help: `Usage: ${PROGRAM} provision-terminal --key DIR --terminal-id ID --valid-from DATE --valid-to DATE --out FILE
                                  [--tariff-connection N] [--tariff-unit-fee N] [--tariff-unit-seconds N]
                                  [--currency CODE] [--hotlist IDU,IDU,...] [--centre FILE] [--force] [--seed TEXT]

Makes a terminal's key pair T and its certificate CT = Sig_A(terminal id || nT || validity), and
writes the terminal config file (JSON "${FORMAT.TERMINAL_CONFIG}", byte fields in hex, mode 0600
because it holds the terminal's secret key): nA, T, CT, tariff and hotlist.

Options:
  --key DIR                  the issuer key directory (or its issuer-key.json)
  --terminal-id ID           1 to 16 letters, digits or '-'
  --valid-from DATE          first day the certificate is valid, YYYY-MM-DD
  --valid-to DATE            last day the certificate is valid, YYYY-MM-DD
  --tariff-connection N      fee charged once a call connects (default ${DEFAULT_TARIFF.connectionFee})
  --tariff-unit-fee N        fee for every started unit (default ${DEFAULT_TARIFF.unitFee})
  --tariff-unit-seconds N    length of a unit in seconds (default ${DEFAULT_TARIFF.unitSeconds})
  --currency CODE            ISO 4217 code, e.g. JPY (default ${DEFAULT_TARIFF.currency})
  --hotlist IDU,...          card numbers (16 hex digits each) the terminal must refuse
  --utc-offset +hh:mm        the terminal's local time, for expiry dates and receipts (default +09:00;
                             west of UTC write --utc-offset=-05:00)
  --centre FILE              the centre key file of provision-centre: its certificate CC goes into the
                             config, so the terminal can check the centre's upload answers
  --mutual-auth MODE         figs. 6 and 7: the terminal authenticates each card (R, X, SU checked
                             with nU) before registration and service: required, when-supported
                             (cards without a card key keep the basic flows) or off (default)
  --secure-channel MODE      [0021]: after the insertion checks, session keys with the card (SCP11b)
                             and every later APDU encrypted and MACed: required, when-supported
                             (cards issued before it go on in clear) or off (default)
  --out FILE                 terminal config file to write
  --force                    replace an existing config file
${SEED_HELP}`,
  options: {
    key: { type: 'string' },
    centre: { type: 'string' },
    'mutual-auth': { type: 'string' },
    'secure-channel': { type: 'string' },
    'terminal-id': { type: 'string' },
    'valid-from': { type: 'string' },
    'valid-to': { type: 'string' },
    'tariff-connection': { type: 'string' },
    'tariff-unit-fee': { type: 'string' },
    'tariff-unit-seconds': { type: 'string' },
    currency: { type: 'string' },
    hotlist: { type: 'string' },
    'utc-offset': { type: 'string' },
    out: { type: 'string' },
    force: { type: 'boolean' },
    seed: { type: 'string' },
  },
  run(values, _positionals, io) {
    const keyPath = required(values, 'key');
    const { id: terminalId, validFrom, validTo } = certifiedId(values, 'terminal-id');
    const tariff = tariffOptions(values);
    const hotlist = cardList(values, 'hotlist');
    const offsetText = optional(values, 'utc-offset');
    let utcOffsetMinutes = DEFAULT_UTC_OFFSET_MINUTES;
    if (offsetText !== undefined) {
      try {
        utcOffsetMinutes = parseUtcOffset(offsetText);
      } catch (error) {
        throw new UsageError(`--utc-offset: ${(error as Error).message}`);
      }
    }
    const out = required(values, 'out');
    const force = values.force === true;
    refuseExisting([out], force);
    const issuer = loadIssuerKey(keyPath);
    const centrePath = optional(values, 'centre');
    const centreCertificate = centrePath === undefined ? undefined : loadCentreKey(centrePath).certificate;
    const modeText = optional(values, 'mutual-auth');
    const mutualAuthentication = MUTUAL_AUTHENTICATION_MODES.find((mode) => mode === modeText);
    if (modeText !== undefined && !mutualAuthentication) throw new UsageError(`--mutual-auth must be ${MUTUAL_AUTHENTICATION_MODES.join(', ')}, got "${modeText}"`);
    const channelText = optional(values, 'secure-channel');
    const secureChannel = MUTUAL_AUTHENTICATION_MODES.find((mode) => mode === channelText);
    if (channelText !== undefined && !secureChannel) throw new UsageError(`--secure-channel must be ${MUTUAL_AUTHENTICATION_MODES.join(', ')}, got "${channelText}"`);

    const config = provisionTerminal(issuer, {
      terminalId, validFrom, validTo, tariff, hotlist, utcOffsetMinutes, ...(centreCertificate === undefined ? {} : { centreCertificate }),
      ...(mutualAuthentication === undefined ? {} : { mutualAuthentication }),
      ...(secureChannel === undefined ? {} : { secureChannel }),
    }, randomSource(values, io, `terminal ${terminalId}`));
    saveTerminalConfig(out, config, { force });

    io.out(`terminal ${terminalId} config written to ${out}`);
    io.out(`nT: ${toHex(config.terminalPublicKey)}`);
    io.out(`certificate CT: valid ${validFrom} to ${validTo}, issuer key ${issuer.keyId}, ${suiteLabel(issuer.suite)}`);
    io.out(`tariff: ${describeTariff(config.tariff)}`);
    io.out(`hotlist: ${config.hotlist.length === 0 ? '(empty)' : config.hotlist.join(', ')}`);
    io.out(`local time: UTC${formatUtcOffset(config.utcOffsetMinutes)}`);
    io.out(`centre certificate CC: ${config.centreCertificate === undefined ? '(none: --centre FILE adds it)' : `centre ${decodeCentreCertificate(config.centreCertificate).centreId}`}`);
  },
};

// ---------------------------------------------------------------------------------------------
// provision-centre

const provisionCentreCommand: Command = {
  help: `Usage: ${PROGRAM} provision-centre --key DIR --centre-id ID --valid-from DATE --valid-to DATE --out FILE
                                [--force] [--seed TEXT]

Makes the fee management centre's key pair C and its certificate CC = Sig_A(centre id || nC ||
validity), and writes the centre key file (JSON "${FORMAT.CENTRE_KEY}", mode 0600 because it holds
the centre's secret key): C, CC and the issuer's public key nA, with which the centre checks the
terminal certificates it registers. The centre signs its upload answers with C; terminals check
them with CC (provision-terminal --centre FILE).

Options:
  --key DIR                  the issuer key directory (or its issuer-key.json)
  --centre-id ID             1 to 16 letters, digits or '-'
  --valid-from DATE          first day the certificate is valid, YYYY-MM-DD
  --valid-to DATE            last day the certificate is valid, YYYY-MM-DD
  --out FILE                 centre key file to write
  --force                    replace an existing key file
${SEED_HELP}`,
  options: {
    key: { type: 'string' },
    'centre-id': { type: 'string' },
    'valid-from': { type: 'string' },
    'valid-to': { type: 'string' },
    out: { type: 'string' },
    force: { type: 'boolean' },
    seed: { type: 'string' },
  },
  run(values, _positionals, io) {
    const keyPath = required(values, 'key');
    const { id: centreId, validFrom, validTo } = certifiedId(values, 'centre-id');
    const out = required(values, 'out');
    const force = values.force === true;
    refuseExisting([out], force);
    const issuer = loadIssuerKey(keyPath);
    const centre = provisionCentre(issuer, { centreId, validFrom, validTo }, randomSource(values, io, `centre ${centreId}`));
    saveCentreKey(out, centre, { force });
    io.out(`centre ${centreId} key written to ${out} (mode 0600)`);
    showCentre(centre, io);
  },
};

function showCentre(centre: CentreKey, io: Io): void {
  const cert = decodeCentreCertificate(centre.certificate);
  io.out(`nC: ${toHex(centre.publicKey)}`);
  io.out(`certificate CC: valid ${cert.validFrom} to ${cert.validTo}, issuer key ${cert.keyId}, ${suiteLabel(cert.suite)}`);
}

function tariffOptions(values: Values): Tariff {
  const pick = (option: string, fallback: number, min: number, max: number) => {
    const text = optional(values, option);
    return text === undefined ? fallback : integer(option, text, min, max);
  };
  const currencyText = optional(values, 'currency');
  const currency = currencyText === undefined ? DEFAULT_TARIFF.currency : currencyText.toUpperCase();
  if (!/^[A-Z]{3}$/.test(currency)) throw new UsageError(`--currency must be a 3-letter ISO 4217 code such as JPY, got "${currencyText}"`);
  return {
    currency,
    connectionFee: pick('tariff-connection', DEFAULT_TARIFF.connectionFee, 0, 1_000_000),
    unitFee: pick('tariff-unit-fee', DEFAULT_TARIFF.unitFee, 0, 1_000_000),
    unitSeconds: pick('tariff-unit-seconds', DEFAULT_TARIFF.unitSeconds, 1, 86_400),
  };
}

function describeTariff(tariff: Tariff): string {
  return `${tariff.currency} ${tariff.connectionFee} per connection + ${tariff.unitFee} per started ${tariff.unitSeconds} s`;
}

// ---------------------------------------------------------------------------------------------
// hotlist-change

const hotlistChangeCommand: Command = {
  help: `Usage: ${PROGRAM} hotlist-change --key DIR --version N [--add IDU,...] [--remove IDU,...] --out FILE [--force]

Signs hotlist version N with issuer key A: the list of version N-1 with these cards added and
removed (patent [0019]). Writes the change list file (JSON "${HOTLIST_CHANGE_FORMAT}": the signed DF02
bytes in hex, and the same fields for people to read). The centre stores and relays it; terminals
apply it only when it is the version after theirs and its signature checks with nA. Version 0 is
the list each terminal was provisioned with (provision-terminal --hotlist).

Options:
  --key DIR          the issuer key directory (or its issuer-key.json)
  --version N        the version this change makes, 1 to 4294967295: the last one signed + 1
  --add IDU,...      card numbers (16 hex digits each) to block
  --remove IDU,...   card numbers to accept again
  --out FILE         change list file to write
  --force            replace an existing file`,
  options: {
    key: { type: 'string' },
    version: { type: 'string' },
    add: { type: 'string' },
    remove: { type: 'string' },
    out: { type: 'string' },
    force: { type: 'boolean' },
  },
  run(values, _positionals, io) {
    const keyPath = required(values, 'key');
    const version = integer('version', required(values, 'version'), 1, 0xffffffff);
    const added = cardList(values, 'add');
    const removed = cardList(values, 'remove');
    const both = added.find((idu) => removed.includes(idu));
    if (both) throw new UsageError(`card ${both} is in both --add and --remove`);
    const out = required(values, 'out');
    const force = values.force === true;
    refuseExisting([out], force);
    const issuer = loadIssuerKey(keyPath);
    const json = changeListToJson(signChangeList(issuer, { version, added, removed }));
    writeNewFile(out, jsonText(json), { force });
    io.out(`hotlist version ${version} written to ${out} (${json.changeList.length / 2} bytes signed)`);
    showChangeList(json, io);
    io.out(`signed with issuer key ${issuer.keyId}, ${suiteLabel(issuer.suite)}`);
  },
};

function showChangeList(json: ReturnType<typeof changeListToJson>, io: Io): void {
  io.out(`  added (${json.added.length}): ${json.added.length === 0 ? '(none)' : json.added.join(', ')}`);
  io.out(`  removed (${json.removed.length}): ${json.removed.length === 0 ? '(none)' : json.removed.join(', ')}`);
}

// ---------------------------------------------------------------------------------------------
// show

const showCommand: Command = {
  help: `Usage: ${PROGRAM} show FILE [--issuer PATH]

Prints what an issuer key, issuer public key, card image, terminal config or hotlist change file
holds, decoded. Secret keys, the salt and the setting number Ns are never printed.

Options:
  --issuer PATH      also check the card's SA1/SA2, the terminal's CT or the change list's
                     signature with this issuer public key (issuer-public-key.json, or the key
                     directory)

Exit status 1 when a signature it checked does not verify (INVALID), 2 for a bad file or usage.`,
  options: { issuer: { type: 'string' } },
  positionals: { min: 1, max: 1, names: 'FILE' },
  run(values, positionals, io) {
    const path = positionals[0]!;
    const issuerPath = optional(values, 'issuer');
    const trusted = issuerPath === undefined ? undefined : loadIssuerPublicKey(issuerPath);
    const json = readJsonFile(path);
    const format = typeof json === 'object' && json !== null && 'format' in json ? (json as { format: unknown }).format : undefined;
    const within = <T>(decode: () => T): T => {
      try {
        return decode();
      } catch (error) {
        if (error instanceof FileFormatError || error instanceof RangeError || error instanceof TypeError) {
          throw new FileFormatError(`${path}: ${error.message}`);
        }
        throw error;
      }
    };
    switch (format) {
      case FORMAT.ISSUER_KEY:
        showIssuerKey(within(() => issuerKeyFromJson(json)), true, path, io);
        return;
      case FORMAT.ISSUER_PUBLIC_KEY:
        showIssuerKey(within(() => issuerPublicKeyFromJson(json)), false, path, io);
        return;
      case FORMAT.CENTRE_KEY: {
        const centre = within(() => centreKeyFromJson(json));
        io.out(`centre key "${centre.centreId}" (${path}): CC valid with the nA in the file`);
        showCentre(centre, io);
        io.out('  secret key: (redacted)');
        return;
      }
      case FORMAT.TERMINAL_CONFIG:
        return showTerminalConfig(within(() => terminalConfigFromJson(json)), trusted, path, io) ? 0 : 1;
      case HOTLIST_CHANGE_FORMAT: {
        const changeList = within(() => changeListFromJson(json));
        io.out(`hotlist change list, version ${changeList.version} (${path}): issuer key ${changeList.keyId}, ${suiteLabel(changeList.suite)}`);
        showChangeList(changeListToJson(changeList.encoded), io);
        if (!trusted) return;
        let problem: string | null = null;
        try {
          verifyChangeList(changeList, issuerVerifiers([trusted]));
        } catch (error) {
          if (!(error instanceof HotlistRefusedError)) throw error;
          problem = error.message;
        }
        io.out(`  signature: ${verdict(problem === null)} with issuer key ${trusted.keyId} from --issuer${problem === null ? '' : ` (${problem})`}`);
        return problem === null ? 0 : 1;
      }
      case FORMAT.CARD_IMAGE: {
        const image = within(() => decodeCardImage(json));
        return showCard(image.label, within(() => readPersonalisation(image.eeprom)), image.eeprom.length, trusted, path, io) ? 0 : 1;
      }
      default:
        throw new FileFormatError(`${path}: not an issuer file (format ${typeof format === 'string' ? `"${format}"` : 'tag missing'}; `
          + `expected ${[...Object.values(FORMAT), HOTLIST_CHANGE_FORMAT].map((tag) => `"${tag}"`).join(', ')})`);
    }
  },
};

function showIssuerKey(key: IssuerPublicKey & { secretKey?: Uint8Array }, secret: boolean, path: string, io: Io): void {
  io.out(`${secret ? 'issuer key pair A' : 'issuer public key nA'} (${path})`);
  io.out(`  key id: ${key.keyId}`);
  io.out(`  ${suiteLabel(key.suite)}`);
  io.out(`  nA: ${toHex(key.publicKey)}`);
  if (secret) io.out(`  secret key: (redacted, ${key.secretKey?.length ?? 0} bytes)`);
}

function verdict(valid: boolean): string {
  return valid ? 'valid' : 'INVALID';
}

/** Prints the card; false when a signature it checked does not verify. */
function showCard(label: string, card: CardPersonalisation, eepromLength: number, trusted: IssuerPublicKey | undefined, path: string, io: Io): boolean {
  const suite = suiteById(card.suite);
  const unsigned = {
    registrationNumber: card.registrationNumber, cardNumber: card.cardNumber, expiry: card.expiry, suite: card.suite,
    keyId: card.keyId, commitment: card.commitment, sa2: card.sa2, cardPublicKey: card.cardPublicKey,
    ...(card.cardAgreementKey ? { cardAgreementKey: card.cardAgreementKey } : {}),
  };
  const check = (publicKey: Uint8Array) => ({
    sa1: suite.verify(publicKey, sa1Message(unsigned), card.sa1),
    sa2: suite.verify(publicKey, sa2Message(card.commitment, card.cardNumber), card.sa2),
  });
  io.out(`card image "${label}" (${path}, EEPROM ${eepromLength} bytes)`);
  io.out(`  registration number (Nt): ${card.registrationNumber}`);
  io.out(`  card number (IDU): ${toHex(card.cardNumber)}`);
  io.out(`  expiry: ${card.expiry}`);
  io.out(`  issuer key ${card.keyId}, ${suiteLabel(card.suite)}`);
  io.out(`  nA on card: ${toHex(card.issuerPublicKey)}`);
  io.out(`  nU: ${toHex(card.cardPublicKey)}`);
  if (card.cardAgreementKey) io.out(`  encrypted channel key (PK.SD.ECKA): ${toHex(card.cardAgreementKey)}`);
  io.out(`  C: ${toHex(card.commitment)}`);
  const own = check(card.issuerPublicKey);
  io.out(`  SA1: ${verdict(own.sa1)}, SA2: ${verdict(own.sa2)} (with the nA on the card)`);
  let valid = own.sa1 && own.sa2;
  if (trusted) {
    const matches = trusted.suite === card.suite && trusted.keyId === card.keyId;
    const result = matches ? check(trusted.publicKey) : { sa1: false, sa2: false };
    io.out(`  SA1: ${verdict(result.sa1)}, SA2: ${verdict(result.sa2)} (with issuer key ${trusted.keyId}${matches ? '' : ', not the key this card names'})`);
    valid &&= result.sa1 && result.sa2;
  }
  io.out(`  setting number Ns, salt, card secret key: (redacted)`);
  return valid;
}

/** Prints the config; false when CT does not verify with --issuer's key. */
function showTerminalConfig(config: TerminalConfig, trusted: IssuerPublicKey | undefined, path: string, io: Io): boolean {
  const cert = decodeCertificate(config.certificate);
  const { signature, ...unsigned } = cert;
  let ok = true;
  io.out(`terminal config "${config.terminalId}" (${path})`);
  io.out(`  terminal key T: ${suiteLabel(config.suite)}`);
  io.out(`  nT: ${toHex(config.terminalPublicKey)}`);
  io.out(`  secret key: (redacted, ${config.terminalSecretKey.length} bytes)`);
  io.out(`  certificate CT: terminal ${cert.terminalId}, valid ${cert.validFrom} to ${cert.validTo}, issuer key ${cert.keyId}, suite ${cert.suite}: valid with the nA in the file`);
  if (trusted) {
    const valid = trusted.suite === cert.suite && trusted.keyId === cert.keyId
      && suiteById(cert.suite).verify(trusted.publicKey, certificateMessage(unsigned), signature);
    io.out(`  certificate CT: ${verdict(valid)} with issuer key ${trusted.keyId} from --issuer`);
    if (!valid) ok = false;
  }
  for (const key of config.issuerKeys) io.out(`  trusted issuer key ${key.keyId}, ${suiteLabel(key.suite)}: ${toHex(key.publicKey)}`);
  io.out(`  tariff: ${describeTariff(config.tariff)}`);
  io.out(`  hotlist: ${config.hotlist.length === 0 ? '(empty)' : config.hotlist.join(', ')}`);
  io.out(`  local time: UTC${formatUtcOffset(config.utcOffsetMinutes)}`);
  if (config.centreCertificate !== undefined) io.out(`  centre certificate CC: centre ${decodeCentreCertificate(config.centreCertificate).centreId}, valid with the nA in the file`);
  return ok;
}

// ---------------------------------------------------------------------------------------------
// Dispatch

const COMMANDS: Readonly<Record<string, Command>> = Object.freeze({
  'create-key': createKey,
  'issue-card': issueCardCommand,
  'provision-terminal': provisionTerminalCommand,
  'provision-centre': provisionCentreCommand,
  'hotlist-change': hotlistChangeCommand,
  show: showCommand,
});

/** Errors a person can fix by changing the command or the file; everything else is a bug. */
function isUserError(error: unknown): error is Error {
  return error instanceof UsageError || error instanceof FileFormatError || error instanceof FileExistsError
    || error instanceof IssuerError || error instanceof UnknownSuiteError || error instanceof DateError || error instanceof TlvError
    || error instanceof CardImageError || error instanceof CentreCertificateError;
}

/** File system refusals (permissions, a full disk) are the operator's to fix too. */
function fileSystemMessage(error: unknown): string | null {
  const failure = error as NodeJS.ErrnoException;
  if (!(error instanceof Error) || typeof failure.code !== 'string' || typeof failure.syscall !== 'string') return null;
  return `cannot ${failure.syscall}${failure.path ? ` ${failure.path}` : ''}: ${failure.code}`;
}

export function run(argv: readonly string[], io: Io): number {
  const name = argv[0];
  try {
    const picked = dispatch(argv, PROGRAM, COMMANDS, MAIN_HELP, io.out, io.warn);
    if ('status' in picked) return picked.status;
    return picked.command.run(picked.values as Values, picked.positionals, io) ?? 0;
  } catch (error) {
    if (isUserError(error)) {
      const hint = error instanceof UsageError ? ` (see ${PROGRAM} ${name} --help)` : '';
      io.warn(`${PROGRAM} ${name}: ${error.message}${hint}`);
      return 2;
    }
    const fileSystem = fileSystemMessage(error);
    if (fileSystem) {
      io.warn(`${PROGRAM} ${name}: ${fileSystem}`);
      return 2;
    }
    io.warn(`${PROGRAM} ${name}: internal error, please report: ${(error as Error).stack ?? String(error)}`);
    return 1;
  }
}

const processIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  warn: (line) => process.stderr.write(`${line}\n`),
  readStdin: () => readFileSync(0, 'utf8'),
};

// Runs only as the program itself, so tests and tools may import `run`.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  process.exitCode = run(process.argv.slice(2), processIo);
}
