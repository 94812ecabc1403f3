// The issuer's operations (patent [0009], [0010], [0016], [0019]): master key pair A, card
// personalisation with SA1 and SA2, terminal certificates, the centre's key and certificate. Engine-neutral, so scenario tests
// on XS issue their own cards; the CLI in cli.ts adds files and arguments.
import { P256 } from '../firmware/crypto/p256.js';
import { sha256 } from '../firmware/crypto/hash.js';
import { suiteById } from '../firmware/crypto/suites.js';
import type { RandomBytes } from '../firmware/crypto/suite.js';
import { fromHex, toHex } from '../firmware/protocol/bytes.js';
import { checkDate, checkUtcOffset } from '../firmware/protocol/dates.js';
import { checkDigits } from '../firmware/protocol/digits.js';
import {
  CARD_NUMBER_LENGTH, SALT_LENGTH, certificateMessage, encodeCertificate, sa1Message, sa2Message,
  settingNumberCommitment, type CardData, type TerminalCertificate,
} from '../firmware/protocol/data-objects.js';
import type { CardPersonalisation } from '../card/personalisation.js';
import { DEFAULT_TARIFF, DEFAULT_UTC_OFFSET_MINUTES, type IssuerPublicKey, type Tariff, type TerminalConfig } from '../firmware/terminal/config.js';
import { centreCertificateMessage, encodeCentreCertificate } from '../firmware/upload/centre-certificate.js';

export class IssuerError extends Error {
  override name = 'IssuerError';
}

export interface IssuerKey {
  readonly suite: number;
  readonly keyId: number;
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array; // nA
}

export function createIssuerKey(suiteId: number, keyId: number, random: RandomBytes): IssuerKey {
  if (!Number.isInteger(keyId) || keyId < 0 || keyId > 255) throw new IssuerError(`key id must be 0 to 255, got ${keyId}`);
  const suite = suiteById(suiteId);
  const pair = suite.generateKeyPair(random);
  return { suite: suite.id, keyId, secretKey: pair.secretKey, publicKey: pair.publicKey };
}

export interface CardRequest {
  readonly registrationNumber: string;
  readonly settingNumber: string;
  /** 16 hex digits; random when absent. */
  readonly cardNumber?: string;
  readonly expiry: string;
  /**
   * true: the card gets the encrypted channel's static P-256 key ([0021], SCP11b), certified in
   * SA1 (its READ CARD DATA then passes 256 bytes for every suite: GET RESPONSE fetches the rest).
   * Default false, a card as issued before the channel was built.
   */
  readonly agreementKey?: boolean;
}

export interface IssuedCard {
  readonly personalisation: CardPersonalisation;
  readonly cardData: CardData;
}

/** Personalises one card: C, SA2 = Sig_A(C ‖ IDU), card key pair U, SA1 over the static data. */
export function issueCard(issuer: IssuerKey, request: CardRequest, random: RandomBytes): IssuedCard {
  const registrationNumber = checkDigits('registrationNumber', request.registrationNumber);
  const settingNumber = checkDigits('settingNumber', request.settingNumber);
  const expiry = checkDate(request.expiry);
  let cardNumber: Uint8Array;
  if (request.cardNumber === undefined) {
    cardNumber = random(CARD_NUMBER_LENGTH);
  } else {
    if (!/^[0-9a-fA-F]{16}$/.test(request.cardNumber)) throw new IssuerError(`card number (IDU) must be 16 hex digits, got "${request.cardNumber}"`);
    cardNumber = fromHex(request.cardNumber);
  }
  const suite = suiteById(issuer.suite);
  const salt = random(SALT_LENGTH);
  const commitment = settingNumberCommitment(salt, settingNumber, sha256);
  const sa2 = suite.sign(issuer.secretKey, sa2Message(commitment, cardNumber));
  const cardKey = suite.generateKeyPair(random);
  // [0021]: the encrypted channel's static key is P-256 whatever the signature suite (SCP11b).
  const agreementSecret = request.agreementKey === true ? P256.secretKeyFromSeed(random(48)) : null;
  const agreementKey = agreementSecret && P256.publicKey(agreementSecret);
  const unsigned = {
    registrationNumber, cardNumber, expiry, suite: issuer.suite, keyId: issuer.keyId,
    commitment, sa2, cardPublicKey: cardKey.publicKey, ...(agreementKey ? { cardAgreementKey: agreementKey } : {}),
  };
  const sa1 = suite.sign(issuer.secretKey, sa1Message(unsigned));
  return {
    cardData: { ...unsigned, sa1 },
    personalisation: {
      registrationNumber, settingNumber, salt, cardNumber, expiry, suite: issuer.suite, keyId: issuer.keyId,
      issuerPublicKey: issuer.publicKey, commitment, sa2, sa1,
      cardSecretKey: cardKey.secretKey, cardPublicKey: cardKey.publicKey,
      ...(agreementSecret && agreementKey ? { cardAgreementSecret: agreementSecret, cardAgreementKey: agreementKey } : {}),
    },
  };
}

export interface TerminalRequest {
  readonly terminalId: string;
  readonly validFrom: string;
  readonly validTo: string;
  readonly tariff?: Tariff;
  readonly hotlist?: readonly string[];
  /** The terminal's local time, minutes east of UTC (default +540, Japan). */
  readonly utcOffsetMinutes?: number;
  /** The centre certificate CC (tag F3) the terminal checks upload answers with. */
  readonly centreCertificate?: Uint8Array;
  /** Mutual authentication of cards (figs. 6 and 7); absent: off. */
  readonly mutualAuthentication?: 'off' | 'when-supported' | 'required';
  /** The encrypted card channel ([0021]); absent: off. */
  readonly secureChannel?: 'off' | 'when-supported' | 'required';
}

/** A new key pair of the issuer's suite and the unsigned certificate fields for it (CT or CC). */
function certifiedKeyPair(issuer: IssuerKey, id: string, what: string, validFromText: string, validToText: string, random: RandomBytes) {
  if (!/^[0-9A-Za-z-]{1,16}$/.test(id)) throw new IssuerError(`${what} id must be 1 to 16 letters, digits or '-', got "${id}"`);
  const validFrom = checkDate(validFromText);
  const validTo = checkDate(validToText);
  if (validTo < validFrom) throw new IssuerError(`certificate validity ends (${validTo}) before it starts (${validFrom})`);
  const suite = suiteById(issuer.suite);
  const pair = suite.generateKeyPair(random);
  const unsigned: Omit<TerminalCertificate, 'signature'> = {
    terminalId: id, terminalPublicKey: pair.publicKey, validFrom, validTo, suite: issuer.suite, keyId: issuer.keyId,
  };
  return { suite, pair, unsigned };
}

/** Provisions a terminal: key pair T and CT = Sig_A(terminal id ‖ nT ‖ validity). */
export function provisionTerminal(issuer: IssuerKey, request: TerminalRequest, random: RandomBytes): TerminalConfig {
  const { suite, pair, unsigned } = certifiedKeyPair(issuer, request.terminalId, 'terminal', request.validFrom, request.validTo, random);
  const certificate = encodeCertificate({ ...unsigned, signature: suite.sign(issuer.secretKey, certificateMessage(unsigned)) });
  return {
    terminalId: request.terminalId,
    issuerKeys: [{ suite: issuer.suite, keyId: issuer.keyId, publicKey: issuer.publicKey }],
    suite: issuer.suite,
    terminalSecretKey: pair.secretKey,
    terminalPublicKey: pair.publicKey,
    certificate,
    tariff: request.tariff ?? DEFAULT_TARIFF,
    hotlist: (request.hotlist ?? []).map((idu) => idu.toUpperCase()),
    utcOffsetMinutes: checkUtcOffset(request.utcOffsetMinutes ?? DEFAULT_UTC_OFFSET_MINUTES),
    ...(request.centreCertificate === undefined ? {} : { centreCertificate: request.centreCertificate }),
    ...(request.mutualAuthentication === undefined ? {} : { mutualAuthentication: request.mutualAuthentication }),
    ...(request.secureChannel === undefined ? {} : { secureChannel: request.secureChannel }),
  };
}

export interface CentreRequest {
  readonly centreId: string;
  readonly validFrom: string;
  readonly validTo: string;
}

/** What the fee management centre holds: key pair C, its certificate CC, and the nA it trusts. */
export interface CentreKey {
  readonly centreId: string;
  readonly suite: number; // suite of C (the issuer's)
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array; // nC
  readonly certificate: Uint8Array; // CC, encoded (tag F3)
  /** The issuer keys whose terminal certificates CT the centre accepts (nA). */
  readonly issuerKeys: readonly IssuerPublicKey[];
}

/** Provisions the centre: key pair C and CC = Sig_A(centre id ‖ nC ‖ validity) (docs/upload-protocol.md). */
export function provisionCentre(issuer: IssuerKey, request: CentreRequest, random: RandomBytes): CentreKey {
  const { suite, pair, unsigned } = certifiedKeyPair(issuer, request.centreId, 'centre', request.validFrom, request.validTo, random);
  const fields = {
    centreId: request.centreId, centrePublicKey: pair.publicKey, validFrom: unsigned.validFrom, validTo: unsigned.validTo, suite: issuer.suite, keyId: issuer.keyId,
  };
  const certificate = encodeCentreCertificate({ ...fields, signature: suite.sign(issuer.secretKey, centreCertificateMessage(fields)) });
  return {
    centreId: request.centreId,
    suite: issuer.suite,
    secretKey: pair.secretKey,
    publicKey: pair.publicKey,
    certificate,
    issuerKeys: [{ suite: issuer.suite, keyId: issuer.keyId, publicKey: issuer.publicKey }],
  };
}

export function cardNumberHex(cardNumber: Uint8Array): string {
  return toHex(cardNumber);
}
