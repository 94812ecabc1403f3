/// <reference types="node" />
// The issuer's files: master key pair A, its public half nA, terminal configs and the centre key, as JSON with
// hex byte fields and a format tag. The JSON <-> object functions are pure so the simulator and
// tests reuse them; the load/save functions add Node file IO (no-clobber unless forced, 0600 for
// anything holding a secret key).
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { suiteById } from '../firmware/crypto/suites.js';
import type { SignatureSuite } from '../firmware/crypto/suite.js';
import { asciiBytes, constantTimeEqual, fromHex, toHex } from '../firmware/protocol/bytes.js';
import { CARD_NUMBER_LENGTH, decodeCertificate, certificateMessage, type TerminalCertificate } from '../firmware/protocol/data-objects.js';
import { CARD_IMAGE_FORMAT } from '../card/image.js';
import { DEFAULT_UTC_OFFSET_MINUTES, type IssuerPublicKey, type Tariff, type TerminalConfig } from '../firmware/terminal/config.js';
import { parseUtcOffset } from '../firmware/protocol/dates.js';
import { modeProblem, provisioningJson, provisioningMode, type ProvisioningJson, type ProvisioningMode } from '../firmware/terminal/provisioning.js';
import { checkCentreCertificate, decodeCentreCertificate } from '../firmware/upload/centre-certificate.js';
import type { CentreKey, IssuerKey } from './issuer.js';

/** A file (or JSON value) that is not what it claims to be; the message names the field. */
export class FileFormatError extends Error {
  override name = 'FileFormatError';
}

/** Refused to replace an existing file without --force. */
export class FileExistsError extends Error {
  override name = 'FileExistsError';
}

export const FORMAT = Object.freeze({
  ISSUER_KEY: 'icc-issuer-key/1',
  ISSUER_PUBLIC_KEY: 'icc-issuer-public-key/1',
  TERMINAL_CONFIG: 'icc-terminal-config/1',
  CENTRE_KEY: 'icc-centre-key/1',
  CARD_IMAGE: CARD_IMAGE_FORMAT,
} as const);

/** The two files `create-key` writes into its directory. */
export const KEY_FILE_NAMES = Object.freeze({
  secret: 'issuer-key.json',
  public: 'issuer-public-key.json',
} as const);

/** Secret key lengths where the suite fixes one; a suite not listed is checked by a test signature only. */
const SECRET_KEY_LENGTH: Readonly<Record<number, number>> = Object.freeze({ 1: 32, 2: 32 });

// ---------------------------------------------------------------------------------------------
// JSON shapes

export interface IssuerPublicKeyJson {
  readonly format: typeof FORMAT.ISSUER_PUBLIC_KEY;
  readonly suite: number;
  readonly suiteName: string; // for people reading the file; ignored when loading
  readonly keyId: number;
  readonly publicKey: string;
}

export interface IssuerKeyJson {
  readonly format: typeof FORMAT.ISSUER_KEY;
  readonly suite: number;
  readonly suiteName: string;
  readonly keyId: number;
  readonly publicKey: string;
  readonly secretKey: string;
}

/** A terminal config file's JSON: what firmware/terminal/provisioning.ts reads on the device. */
export type TerminalConfigJson = ProvisioningJson;

// ---------------------------------------------------------------------------------------------
// Field readers: each names the field it rejects, so a hand-edited file gets a useful error.

type JsonObject = Readonly<Record<string, unknown>>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function objectOf(value: unknown, what: string): JsonObject {
  if (!isObject(value)) throw new FileFormatError(`${what} must be a JSON object`);
  return value;
}

function checkFormat(json: JsonObject, expected: string, what: string): void {
  if (json.format !== expected) {
    const found = typeof json.format === 'string' ? `"${json.format}"` : 'no format tag';
    throw new FileFormatError(`not ${what}: format must be "${expected}", found ${found}`);
  }
}

function stringField(json: JsonObject, field: string, where: string): string {
  const value = json[field];
  if (typeof value !== 'string') throw new FileFormatError(`${where}: "${field}" must be a string`);
  return value;
}

function integerField(json: JsonObject, field: string, where: string, min: number, max: number): number {
  const value = json[field];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new FileFormatError(`${where}: "${field}" must be an integer from ${min} to ${max}`);
  }
  return value;
}

function hexField(json: JsonObject, field: string, where: string): Uint8Array {
  const text = stringField(json, field, where);
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(text)) throw new FileFormatError(`${where}: "${field}" must be hex bytes (an even number of hex digits)`);
  return fromHex(text);
}

function suiteField(json: JsonObject, field: string, where: string): SignatureSuite {
  const id = integerField(json, field, where, 0, 255);
  try {
    return suiteById(id);
  } catch (error) {
    throw new FileFormatError(`${where}: ${(error as Error).message}`);
  }
}

function checkPublicKey(suite: SignatureSuite, key: Uint8Array, field: string, where: string): void {
  if (!suite.isPublicKey(key)) {
    throw new FileFormatError(`${where}: "${field}" is not a ${suite.name} public key (${key.length} bytes)`);
  }
}

/** Checks the length, then that the secret key signs what the public key verifies. */
function checkKeyPair(suite: SignatureSuite, secretKey: Uint8Array, publicKey: Uint8Array, field: string, where: string): void {
  const length = SECRET_KEY_LENGTH[suite.id];
  if (length !== undefined && secretKey.length !== length) {
    throw new FileFormatError(`${where}: "${field}" must be ${length} bytes for ${suite.name}, got ${secretKey.length}`);
  }
  const probe = asciiBytes('probe');
  let matches = false;
  try {
    matches = suite.verify(publicKey, probe, suite.sign(secretKey, probe));
  } catch {
    matches = false;
  }
  if (!matches) throw new FileFormatError(`${where}: "${field}" does not belong to the public key in the same file`);
}

// ---------------------------------------------------------------------------------------------
// Issuer keys

export function issuerPublicKeyToJson(key: IssuerPublicKey): IssuerPublicKeyJson {
  return {
    format: FORMAT.ISSUER_PUBLIC_KEY,
    suite: key.suite,
    suiteName: suiteById(key.suite).name,
    keyId: key.keyId,
    publicKey: toHex(key.publicKey),
  };
}

export function issuerKeyToJson(key: IssuerKey): IssuerKeyJson {
  return { ...issuerPublicKeyToJson(key), format: FORMAT.ISSUER_KEY, secretKey: toHex(key.secretKey) };
}

function publicKeyFields(json: JsonObject, where: string): IssuerPublicKey {
  const suite = suiteField(json, 'suite', where);
  const keyId = integerField(json, 'keyId', where, 0, 255);
  const publicKey = hexField(json, 'publicKey', where);
  checkPublicKey(suite, publicKey, 'publicKey', where);
  return { suite: suite.id, keyId, publicKey };
}

export function issuerPublicKeyFromJson(value: unknown): IssuerPublicKey {
  const where = 'issuer public key';
  const json = objectOf(value, where);
  checkFormat(json, FORMAT.ISSUER_PUBLIC_KEY, 'an issuer public key');
  return publicKeyFields(json, where);
}

export function issuerKeyFromJson(value: unknown): IssuerKey {
  const where = 'issuer key';
  const json = objectOf(value, where);
  if (json.format === FORMAT.ISSUER_PUBLIC_KEY) {
    throw new FileFormatError(`this is the issuer's public key only; signing needs the secret key file (${KEY_FILE_NAMES.secret})`);
  }
  checkFormat(json, FORMAT.ISSUER_KEY, 'an issuer key');
  const publicKey = publicKeyFields(json, where);
  const secretKey = hexField(json, 'secretKey', where);
  checkKeyPair(suiteById(publicKey.suite), secretKey, publicKey.publicKey, 'secretKey', where);
  return { ...publicKey, secretKey };
}

// ---------------------------------------------------------------------------------------------
// Terminal configs

export function terminalConfigToJson(config: TerminalConfig): TerminalConfigJson {
  return provisioningJson(config);
}

/** "+09:00" → 540; a config without the field is a Japanese terminal from before the field existed. */
function utcOffsetFromJson(value: unknown): number {
  if (value === undefined) return DEFAULT_UTC_OFFSET_MINUTES;
  if (typeof value !== 'string') throw new FileFormatError('terminal config: "utcOffset" must be a string such as "+09:00"');
  try {
    return parseUtcOffset(value);
  } catch (error) {
    throw new FileFormatError(`terminal config: "utcOffset": ${(error as Error).message}`);
  }
}

function tariffFromJson(value: unknown): Tariff {
  const where = 'terminal config tariff';
  const json = objectOf(value, where);
  const currency = stringField(json, 'currency', where);
  if (!/^[A-Z]{3}$/.test(currency)) throw new FileFormatError(`${where}: "currency" must be a 3-letter ISO 4217 code such as JPY`);
  return {
    currency,
    connectionFee: integerField(json, 'connectionFee', where, 0, 1_000_000),
    unitFee: integerField(json, 'unitFee', where, 0, 1_000_000),
    unitSeconds: integerField(json, 'unitSeconds', where, 1, 86_400),
  };
}

function hotlistFromJson(value: unknown): string[] {
  if (!Array.isArray(value)) throw new FileFormatError('terminal config: "hotlist" must be an array of card numbers');
  return value.map((idu: unknown, index) => {
    if (typeof idu !== 'string' || !new RegExp(`^[0-9a-fA-F]{${CARD_NUMBER_LENGTH * 2}}$`).test(idu)) {
      throw new FileFormatError(`terminal config: hotlist[${index}] must be a card number of ${CARD_NUMBER_LENGTH * 2} hex digits`);
    }
    return idu.toUpperCase();
  });
}

/**
 * Checks CT against the config it sits in: same terminal id and nT, issued under one of the
 * issuer keys the terminal trusts, and the signature verifies. A terminal with a bad CT could
 * never register a PIN, so this is refused at load time rather than at the first customer.
 */
function checkCertificate(certificate: Uint8Array, config: Omit<TerminalConfig, 'certificate'>, where: string): TerminalCertificate {
  let cert: TerminalCertificate;
  try {
    cert = decodeCertificate(certificate);
  } catch (error) {
    throw new FileFormatError(`${where}: "certificate" is not a terminal certificate: ${(error as Error).message}`);
  }
  if (cert.terminalId !== config.terminalId) {
    throw new FileFormatError(`${where}: certificate is for terminal "${cert.terminalId}", not "${config.terminalId}"`);
  }
  if (!constantTimeEqual(cert.terminalPublicKey, config.terminalPublicKey)) {
    throw new FileFormatError(`${where}: certificate is for a different terminal public key`);
  }
  const issuer = config.issuerKeys.find((key) => key.suite === cert.suite && key.keyId === cert.keyId);
  if (!issuer) throw new FileFormatError(`${where}: certificate is signed by issuer key ${cert.keyId} (suite ${cert.suite}), which is not in "issuerKeys"`);
  const { signature, ...unsigned } = cert;
  if (!suiteById(cert.suite).verify(issuer.publicKey, certificateMessage(unsigned), signature)) {
    throw new FileFormatError(`${where}: certificate signature does not verify with issuer key ${cert.keyId}`);
  }
  return cert;
}

export function terminalConfigFromJson(value: unknown): TerminalConfig {
  const where = 'terminal config';
  const json = objectOf(value, where);
  checkFormat(json, FORMAT.TERMINAL_CONFIG, 'a terminal config');
  const terminalId = stringField(json, 'terminalId', where);
  if (!/^[0-9A-Za-z-]{1,16}$/.test(terminalId)) throw new FileFormatError(`${where}: "terminalId" must be 1 to 16 letters, digits or '-'`);
  const suite = suiteField(json, 'suite', where);
  if (!Array.isArray(json.issuerKeys) || json.issuerKeys.length === 0) {
    throw new FileFormatError(`${where}: "issuerKeys" must be a non-empty array`);
  }
  const issuerKeys = json.issuerKeys.map((entry: unknown, index) => publicKeyFields(objectOf(entry, `${where} issuerKeys[${index}]`), `${where} issuerKeys[${index}]`));
  const terminalPublicKey = hexField(json, 'terminalPublicKey', where);
  checkPublicKey(suite, terminalPublicKey, 'terminalPublicKey', where);
  const terminalSecretKey = hexField(json, 'terminalSecretKey', where);
  checkKeyPair(suite, terminalSecretKey, terminalPublicKey, 'terminalSecretKey', where);
  const certificate = hexField(json, 'certificate', where);
  const rest = {
    terminalId, issuerKeys, suite: suite.id, terminalSecretKey, terminalPublicKey,
    tariff: tariffFromJson(json.tariff), hotlist: hotlistFromJson(json.hotlist), utcOffsetMinutes: utcOffsetFromJson(json.utcOffset),
  };
  checkCertificate(certificate, rest, where);
  return {
    ...rest,
    certificate,
    ...(json.centreCertificate === undefined ? {} : { centreCertificate: centreCertificateField(json, 'centreCertificate', issuerKeys, where) }),
    ...(json.mutualAuthentication === undefined ? {} : { mutualAuthentication: modeField(json, 'mutualAuthentication', where) }),
    ...(json.secureChannel === undefined ? {} : { secureChannel: modeField(json, 'secureChannel', where) }),
  };
}

/** A mode of mutual authentication or of the encrypted channel, read as the device reads it. */
function modeField(json: JsonObject, field: string, where: string): ProvisioningMode {
  const mode = provisioningMode(json[field]);
  if (!mode) throw new FileFormatError(`${where}: ${modeProblem(field, json[field])}`);
  return mode;
}

/** CC from `json[field]`, checked with the issuer keys the file trusts. */
function centreCertificateField(json: JsonObject, field: string, issuerKeys: readonly IssuerPublicKey[], where: string): Uint8Array {
  const certificate = hexField(json, field, where);
  try {
    checkCentreCertificate(certificate, issuerKeys);
  } catch (error) {
    throw new FileFormatError(`${where}: "${field}": ${(error as Error).message}`);
  }
  return certificate;
}

// ---------------------------------------------------------------------------------------------
// The centre's key (npm run issuer -- provision-centre): key pair C, CC and the nA it trusts.

export interface CentreKeyJson {
  readonly format: typeof FORMAT.CENTRE_KEY;
  readonly centreId: string;
  readonly suite: number;
  readonly issuerKeys: readonly IssuerPublicKeyJson[];
  readonly publicKey: string;
  readonly secretKey: string;
  readonly certificate: string;
}

export function centreKeyToJson(key: CentreKey): CentreKeyJson {
  return {
    format: FORMAT.CENTRE_KEY,
    centreId: key.centreId,
    suite: key.suite,
    issuerKeys: key.issuerKeys.map(issuerPublicKeyToJson),
    publicKey: toHex(key.publicKey),
    secretKey: toHex(key.secretKey),
    certificate: toHex(key.certificate),
  };
}

/** Checks the file in full: C is a key pair, CC verifies with one of the issuer keys and certifies nC. */
export function centreKeyFromJson(value: unknown): CentreKey {
  const where = 'centre key';
  const json = objectOf(value, where);
  checkFormat(json, FORMAT.CENTRE_KEY, 'a centre key');
  const suite = suiteField(json, 'suite', where);
  if (!Array.isArray(json.issuerKeys) || json.issuerKeys.length === 0) throw new FileFormatError(`${where}: "issuerKeys" must be a non-empty array`);
  const issuerKeys = json.issuerKeys.map((entry: unknown, index) => publicKeyFields(objectOf(entry, `${where} issuerKeys[${index}]`), `${where} issuerKeys[${index}]`));
  const publicKey = hexField(json, 'publicKey', where);
  checkPublicKey(suite, publicKey, 'publicKey', where);
  const secretKey = hexField(json, 'secretKey', where);
  checkKeyPair(suite, secretKey, publicKey, 'secretKey', where);
  const certificate = centreCertificateField(json, 'certificate', issuerKeys, where);
  const cert = decodeCentreCertificate(certificate);
  const centreId = stringField(json, 'centreId', where);
  if (cert.centreId !== centreId) throw new FileFormatError(`${where}: certificate is for centre "${cert.centreId}", not "${centreId}"`);
  if (!constantTimeEqual(cert.centrePublicKey, publicKey)) throw new FileFormatError(`${where}: certificate is for a different centre public key`);
  return { centreId, suite: suite.id, secretKey, publicKey, certificate, issuerKeys };
}

/** The centre key holds C's secret key: written 0600. */
export function saveCentreKey(path: string, key: CentreKey, options: { readonly force?: boolean } = {}): void {
  writeNewFile(path, jsonText(centreKeyToJson(key)), { force: options.force, mode: SECRET_FILE_MODE });
}

export function loadCentreKey(path: string): CentreKey {
  return fromFile(path, centreKeyFromJson);
}

// ---------------------------------------------------------------------------------------------
// File IO

export interface WriteOptions {
  /** Replace an existing file. Without it an existing file is an error. */
  readonly force?: boolean;
  /** File mode; 0o600 for anything holding a secret key. */
  readonly mode?: number;
}

export const SECRET_FILE_MODE = 0o600;
export const PUBLIC_FILE_MODE = 0o644;

/** Throws FileExistsError if any of the paths exists and `force` is not set. */
export function refuseExisting(paths: readonly string[], force = false): void {
  if (force) return;
  for (const path of paths) {
    if (existsSync(path)) throw new FileExistsError(`${path} already exists; use --force to replace it`);
  }
}

/**
 * Writes the whole file or nothing: a temporary file with the final mode, then a rename (force)
 * or a hard link, which fails if the name was taken meanwhile, so nothing is ever clobbered.
 */
export function writeNewFile(path: string, data: string | Uint8Array, options: WriteOptions = {}): void {
  const mode = options.mode ?? PUBLIC_FILE_MODE;
  refuseExisting([path], options.force);
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, data, { mode, flag: 'w' });
  chmodSync(temporary, mode); // the umask may have narrowed it; never widened past `mode`
  try {
    if (options.force) {
      renameSync(temporary, path);
    } else {
      try {
        linkSync(temporary, path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new FileExistsError(`${path} already exists; use --force to replace it`);
        throw error;
      }
    }
  } finally {
    if (existsSync(temporary)) unlinkSync(temporary);
  }
}

export function jsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** Reads and parses a JSON file; a missing or unreadable file or bad JSON is a FileFormatError. */
export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new FileFormatError(`${path}: no such file`);
    if (code === 'EISDIR') throw new FileFormatError(`${path} is a directory, not a file`);
    throw new FileFormatError(`${path}: cannot read (${code ?? (error as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new FileFormatError(`${path}: not valid JSON (${(error as Error).message})`);
  }
}

/** Runs a JSON decoder and puts the file name in front of its error. */
function fromFile<T>(path: string, decode: (json: unknown) => T): T {
  const json = readJsonFile(path);
  try {
    return decode(json);
  } catch (error) {
    if (error instanceof FileFormatError) throw new FileFormatError(`${path}: ${error.message}`);
    throw error;
  }
}

export interface IssuerKeyPaths {
  readonly secret: string;
  readonly public: string;
}

export function issuerKeyPaths(directory: string): IssuerKeyPaths {
  return { secret: join(directory, KEY_FILE_NAMES.secret), public: join(directory, KEY_FILE_NAMES.public) };
}

/** Writes issuer-key.json (0600) and issuer-public-key.json into `directory`; checks both first. */
export function saveIssuerKey(directory: string, key: IssuerKey, options: { readonly force?: boolean } = {}): IssuerKeyPaths {
  const paths = issuerKeyPaths(directory);
  if (existsSync(directory) && !statSync(directory).isDirectory()) throw new FileFormatError(`${directory} is a file, not a directory`);
  refuseExisting([paths.secret, paths.public], options.force);
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  writeNewFile(paths.secret, jsonText(issuerKeyToJson(key)), { force: options.force, mode: SECRET_FILE_MODE });
  writeNewFile(paths.public, jsonText(issuerPublicKeyToJson(key)), { force: options.force, mode: PUBLIC_FILE_MODE });
  return paths;
}

/** The key directory's file `which`, or the path itself when it is not a directory. */
function keyFile(directoryOrFile: string, which: keyof IssuerKeyPaths): string {
  return existsSync(directoryOrFile) && statSync(directoryOrFile).isDirectory() ? issuerKeyPaths(directoryOrFile)[which] : directoryOrFile;
}

/** Loads the issuer's secret key from its directory or from the key file itself. */
export function loadIssuerKey(directoryOrFile: string): IssuerKey {
  return fromFile(keyFile(directoryOrFile, 'secret'), issuerKeyFromJson);
}

/** Loads nA from the public key file, the key directory, or the secret key file (public half only). */
export function loadIssuerPublicKey(directoryOrFile: string): IssuerPublicKey {
  return fromFile(keyFile(directoryOrFile, 'public'), (json) => {
    if (isObject(json) && json.format === FORMAT.ISSUER_KEY) {
      const { suite, keyId, publicKey } = issuerKeyFromJson(json);
      return { suite, keyId, publicKey };
    }
    return issuerPublicKeyFromJson(json);
  });
}

/** Terminal configs hold the terminal's secret key, so they are written 0600. */
export function saveTerminalConfig(path: string, config: TerminalConfig, options: { readonly force?: boolean } = {}): void {
  writeNewFile(path, jsonText(terminalConfigToJson(config)), { force: options.force, mode: SECRET_FILE_MODE });
}

export function loadTerminalConfig(path: string): TerminalConfig {
  return fromFile(path, terminalConfigFromJson);
}
