// The issuer's provision-terminal file (issuer/files.ts, format icc-terminal-config/1) as the
// device reads it: the build (npm run build:esp32 -- --terminal FILE) checks the file in full on
// the build machine (keys, certificate CT against nA) and compiles it into the firmware image;
// here it only becomes a TerminalConfig again. Engine-neutral: runs on the device.
import { fromHex, toHex } from '../protocol/bytes.js';
import { formatUtcOffset, parseUtcOffset } from '../protocol/dates.js';
import { DEFAULT_UTC_OFFSET_MINUTES, type IssuerPublicKey, type Tariff, type TerminalConfig } from './config.js';

export const PROVISIONING_FORMAT = 'icc-terminal-config/1' as const;

/** The provisioning file's JSON (format icc-terminal-config/1): byte fields as hex. */
export interface ProvisioningJson {
  readonly format: typeof PROVISIONING_FORMAT;
  readonly terminalId: string;
  readonly suite: number;
  readonly issuerKeys: readonly { readonly suite: number; readonly keyId: number; readonly publicKey: string }[];
  readonly terminalPublicKey: string;
  readonly terminalSecretKey: string;
  readonly certificate: string;
  readonly tariff: Tariff;
  readonly hotlist: readonly string[];
  /** The terminal's local time as "+09:00"; absent in files written before it was provisioned. */
  readonly utcOffset?: string;
  /** The centre certificate CC (hex); absent in files written before the upload existed. */
  readonly centreCertificate?: string;
  /** Figs. 6 and 7 (TerminalConfig.mutualAuthentication); absent: off. */
  readonly mutualAuthentication?: 'off' | 'when-supported' | 'required';
  /** [0021] (TerminalConfig.secureChannel); absent: off. */
  readonly secureChannel?: 'off' | 'when-supported' | 'required';
}

/** The JSON of a TerminalConfig, as the issuer's provision-terminal writes it and the device reads it. */
export function provisioningJson(config: TerminalConfig): ProvisioningJson {
  return {
    format: PROVISIONING_FORMAT,
    terminalId: config.terminalId,
    suite: config.suite,
    issuerKeys: config.issuerKeys.map((key) => ({ suite: key.suite, keyId: key.keyId, publicKey: toHex(key.publicKey) })),
    terminalPublicKey: toHex(config.terminalPublicKey),
    terminalSecretKey: toHex(config.terminalSecretKey),
    certificate: toHex(config.certificate),
    tariff: { currency: config.tariff.currency, connectionFee: config.tariff.connectionFee, unitFee: config.tariff.unitFee, unitSeconds: config.tariff.unitSeconds },
    hotlist: config.hotlist.map((idu) => idu.toUpperCase()),
    utcOffset: formatUtcOffset(config.utcOffsetMinutes),
    ...(config.centreCertificate === undefined ? {} : { centreCertificate: toHex(config.centreCertificate) }),
    ...(config.mutualAuthentication === undefined ? {} : { mutualAuthentication: config.mutualAuthentication }),
    ...(config.secureChannel === undefined ? {} : { secureChannel: config.secureChannel }),
  };
}

/** A provisioning file the device cannot use; the message names the field. */
export class ProvisioningError extends Error {
  override name = 'ProvisioningError';
}

type Json = Readonly<Record<string, unknown>>;

function field<T>(json: Json, name: string, check: (value: unknown) => value is T, what: string): T {
  const value = json[name];
  if (!check(value)) throw new ProvisioningError(`terminal provisioning: "${name}" must be ${what}`);
  return value;
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value);
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const isArray = (value: unknown): value is readonly unknown[] => Array.isArray(value);

function bytes(json: Json, name: string): Uint8Array {
  const text = field(json, name, isString, 'hex bytes');
  try {
    return fromHex(text);
  } catch {
    throw new ProvisioningError(`terminal provisioning: "${name}" must be hex bytes`);
  }
}

/**
 * The TerminalConfig of a provisioning file's JSON (what `npm run issuer -- provision-terminal`
 * writes). Throws ProvisioningError naming the first field that is missing or of the wrong type.
 */
export function configFromProvisioning(value: unknown): TerminalConfig {
  if (!isObject(value)) throw new ProvisioningError('terminal provisioning: not a JSON object');
  if (value.format !== PROVISIONING_FORMAT) throw new ProvisioningError(`terminal provisioning: format must be "${PROVISIONING_FORMAT}"`);
  const issuerKeys: IssuerPublicKey[] = field(value, 'issuerKeys', isArray, 'a list of issuer keys').map((entry, index) => {
    if (!isObject(entry)) throw new ProvisioningError(`terminal provisioning: issuerKeys[${index}] must be an object`);
    return { suite: field(entry, 'suite', isNumber, 'a suite id'), keyId: field(entry, 'keyId', isNumber, 'a key id'), publicKey: bytes(entry, 'publicKey') };
  });
  const tariffJson = field(value, 'tariff', isObject, 'an object');
  const tariff: Tariff = {
    currency: field(tariffJson, 'currency', isString, 'a currency code'),
    connectionFee: field(tariffJson, 'connectionFee', isNumber, 'a whole amount'),
    unitFee: field(tariffJson, 'unitFee', isNumber, 'a whole amount'),
    unitSeconds: field(tariffJson, 'unitSeconds', isNumber, 'whole seconds'),
  };
  const offset = value.utcOffset;
  let utcOffsetMinutes = DEFAULT_UTC_OFFSET_MINUTES;
  if (offset !== undefined) {
    try {
      utcOffsetMinutes = parseUtcOffset(String(offset));
    } catch (error) {
      throw new ProvisioningError(`terminal provisioning: "utcOffset": ${(error as Error).message}`);
    }
  }
  return {
    terminalId: field(value, 'terminalId', isString, 'the terminal id'),
    issuerKeys,
    suite: field(value, 'suite', isNumber, 'a suite id'),
    terminalSecretKey: bytes(value, 'terminalSecretKey'),
    terminalPublicKey: bytes(value, 'terminalPublicKey'),
    certificate: bytes(value, 'certificate'),
    tariff,
    hotlist: field(value, 'hotlist', isArray, 'a list of card numbers').map((entry) => String(entry).toUpperCase()),
    utcOffsetMinutes,
    ...(value.centreCertificate === undefined ? {} : { centreCertificate: bytes(value, 'centreCertificate') }),
    ...(value.mutualAuthentication === undefined ? {} : { mutualAuthentication: modeOf('mutualAuthentication', value.mutualAuthentication) }),
    ...(value.secureChannel === undefined ? {} : { secureChannel: modeOf('secureChannel', value.secureChannel) }),
  };
}

/** The modes of mutualAuthentication and secureChannel, as the file spells them. */
export const PROVISIONING_MODES = Object.freeze(['off', 'when-supported', 'required'] as const);
export type ProvisioningMode = (typeof PROVISIONING_MODES)[number];

/** `value` as a mode, or null when it is none (modeProblem words the refusal). */
export function provisioningMode(value: unknown): ProvisioningMode | null {
  return PROVISIONING_MODES.find((m) => m === value) ?? null;
}

/** `"field" must be off, when-supported, required, got …`: the one wording for both readers of the file. */
export function modeProblem(field: string, value: unknown): string {
  return `"${field}" must be ${PROVISIONING_MODES.join(', ')}, got ${JSON.stringify(value)}`;
}

function modeOf(field: string, mode: unknown): ProvisioningMode {
  const found = provisioningMode(mode);
  if (!found) throw new ProvisioningError(`terminal provisioning: ${modeProblem(field, mode)}`);
  return found;
}
