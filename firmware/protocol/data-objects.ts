// The data objects the card and terminal exchange and the issuer signs (DESIGN.md §2 and §3).
// Every signed message is a constructed TLV with its own tag, so a signature over one kind of
// message can never be replayed as another.
import { asciiBytes, asciiText, concatBytes } from './bytes.js';
import { decodeDate, encodeDate } from './dates.js';
import { decodeDigits, encodeDigits } from './digits.js';
import { decodeSingle, encodeConstructed, encodeTlv, tlvMap, TlvError, type Tlv } from './tlv.js';

export const TAG = Object.freeze({
  // READ CARD DATA (patent [0011], [0019], [0020])
  CARD_DATA_TEMPLATE: 0x70,
  REGISTRATION_NUMBER: 0xc1, // Nt
  CARD_NUMBER: 0xc2, // IDU
  EXPIRY: 0xc3,
  SUITE: 0xc4,
  KEY_ID: 0xc5,
  COMMITMENT: 0xc6, // C = H(salt ‖ Ns)
  SA2: 0xc7,
  CARD_PUBLIC_KEY: 0xc8, // nU
  SA1: 0xc9,
  CARD_AGREEMENT_KEY: 0xca, // the card's static P-256 ECKA key for the secure channel (SCP11b PK.SD.ECKA)
  // REGISTER PIN and BLOCK CARD (patent [0012], [0013], [0017])
  PIN: 0xd1, // Nc
  TERMINAL_CERTIFICATE: 0xf2, // CT
  TERMINAL_ID: 0xd3,
  TERMINAL_PUBLIC_KEY: 0xd4, // nT
  VALID_FROM: 0xd5,
  VALID_TO: 0xd6,
  CERTIFICATE_SIGNATURE: 0xd7,
  TERMINAL_SIGNATURE: 0xd8, // ST
  TERMINAL_RANDOM: 0xd9, // R
  CARD_RANDOM: 0xda, // X
  // Signed message templates (never sent on their own)
  SA1_MESSAGE: 0xe1,
  SA2_MESSAGE: 0xe2,
  CERTIFICATE_MESSAGE: 0xe3,
  PIN_MESSAGE: 0xe4,
  BLOCK_MESSAGE: 0xe5,
  AUTHENTICATE_MESSAGE: 0xe6,
} as const);

export const CARD_NUMBER_LENGTH = 8;
export const SALT_LENGTH = 16;
export const COMMITMENT_LENGTH = 32;

/** What READ CARD DATA returns: the card's signed static data. */
export interface CardData {
  readonly registrationNumber: string; // Nt
  readonly cardNumber: Uint8Array; // IDU
  readonly expiry: string; // YYYY-MM-DD
  readonly suite: number;
  readonly keyId: number;
  readonly commitment: Uint8Array; // C
  readonly sa2: Uint8Array;
  readonly cardPublicKey: Uint8Array; // nU
  /** 33-byte compressed P-256 point: the card's key for the encrypted channel ([0021]); absent on older cards. */
  readonly cardAgreementKey?: Uint8Array;
  readonly sa1: Uint8Array;
}

function staticFields(data: Omit<CardData, 'sa1'>): Tlv[] {
  return [
    { tag: TAG.REGISTRATION_NUMBER, value: encodeDigits('registrationNumber', data.registrationNumber) },
    { tag: TAG.CARD_NUMBER, value: data.cardNumber },
    { tag: TAG.EXPIRY, value: encodeDate(data.expiry) },
    { tag: TAG.SUITE, value: Uint8Array.of(data.suite) },
    { tag: TAG.KEY_ID, value: Uint8Array.of(data.keyId) },
    { tag: TAG.COMMITMENT, value: data.commitment },
    { tag: TAG.SA2, value: data.sa2 },
    { tag: TAG.CARD_PUBLIC_KEY, value: data.cardPublicKey },
    ...(data.cardAgreementKey ? [{ tag: TAG.CARD_AGREEMENT_KEY, value: data.cardAgreementKey }] : []),
  ];
}

/** SA2 = Sig_A(C ‖ IDU): binds the Ns commitment to this card. */
export function sa2Message(commitment: Uint8Array, cardNumber: Uint8Array): Uint8Array {
  return encodeConstructed(TAG.SA2_MESSAGE, [
    { tag: TAG.COMMITMENT, value: commitment },
    { tag: TAG.CARD_NUMBER, value: cardNumber },
  ]);
}

/** SA1 = Sig_A(Nt, IDU, expiry, suite, keyId, C, SA2, nU[, card agreement key]): the signed static data. */
export function sa1Message(data: Omit<CardData, 'sa1'>): Uint8Array {
  return encodeConstructed(TAG.SA1_MESSAGE, staticFields(data));
}

export function encodeCardData(data: CardData): Uint8Array {
  return encodeConstructed(TAG.CARD_DATA_TEMPLATE, [...staticFields(data), { tag: TAG.SA1, value: data.sa1 }]);
}

function singleByte(value: Uint8Array, what: string): number {
  if (value.length !== 1) throw new TlvError(`${what} must be one byte`);
  return value[0]!;
}

/** Parses READ CARD DATA; throws TlvError naming the first thing wrong. */
export function decodeCardData(bytes: Uint8Array): CardData {
  const required = [
    TAG.REGISTRATION_NUMBER, TAG.CARD_NUMBER, TAG.EXPIRY, TAG.SUITE, TAG.KEY_ID,
    TAG.COMMITMENT, TAG.SA2, TAG.CARD_PUBLIC_KEY, TAG.SA1,
  ];
  const fields = tlvMap(decodeSingle(bytes, TAG.CARD_DATA_TEMPLATE), [...required.slice(0, 8), TAG.CARD_AGREEMENT_KEY, TAG.SA1], required);
  const agreementKey = fields.get(TAG.CARD_AGREEMENT_KEY);
  if (agreementKey && agreementKey.length !== 33) throw new TlvError('card agreement key must be a 33-byte compressed P-256 point');
  const registrationNumber = decodeDigits('registrationNumber', fields.get(TAG.REGISTRATION_NUMBER)!);
  if (registrationNumber === null) throw new TlvError('registration number is not 8 to 16 digits');
  const cardNumber = fields.get(TAG.CARD_NUMBER)!;
  if (cardNumber.length !== CARD_NUMBER_LENGTH) throw new TlvError(`card number must be ${CARD_NUMBER_LENGTH} bytes`);
  let expiry: string;
  try {
    expiry = decodeDate(fields.get(TAG.EXPIRY)!);
  } catch (error) {
    throw new TlvError(`expiry: ${(error as Error).message}`);
  }
  const commitment = fields.get(TAG.COMMITMENT)!;
  if (commitment.length !== COMMITMENT_LENGTH) throw new TlvError(`commitment C must be ${COMMITMENT_LENGTH} bytes`);
  return {
    registrationNumber,
    cardNumber: cardNumber.slice(),
    expiry,
    suite: singleByte(fields.get(TAG.SUITE)!, 'suite'),
    keyId: singleByte(fields.get(TAG.KEY_ID)!, 'key id'),
    commitment: commitment.slice(),
    sa2: fields.get(TAG.SA2)!.slice(),
    cardPublicKey: fields.get(TAG.CARD_PUBLIC_KEY)!.slice(),
    ...(agreementKey ? { cardAgreementKey: agreementKey.slice() } : {}),
    sa1: fields.get(TAG.SA1)!.slice(),
  };
}

/** Terminal certificate CT = Sig_A(terminal id ‖ nT ‖ validity) (DESIGN.md §2). */
export interface TerminalCertificate {
  readonly terminalId: string; // printable ASCII, e.g. "T0000001"
  readonly terminalPublicKey: Uint8Array; // nT
  readonly validFrom: string;
  readonly validTo: string;
  readonly suite: number;
  readonly keyId: number;
  readonly signature: Uint8Array;
}

function certificateFields(cert: Omit<TerminalCertificate, 'signature'>): Tlv[] {
  return [
    { tag: TAG.TERMINAL_ID, value: asciiBytes(cert.terminalId) },
    { tag: TAG.TERMINAL_PUBLIC_KEY, value: cert.terminalPublicKey },
    { tag: TAG.VALID_FROM, value: encodeDate(cert.validFrom) },
    { tag: TAG.VALID_TO, value: encodeDate(cert.validTo) },
    { tag: TAG.SUITE, value: Uint8Array.of(cert.suite) },
    { tag: TAG.KEY_ID, value: Uint8Array.of(cert.keyId) },
  ];
}

export function certificateMessage(cert: Omit<TerminalCertificate, 'signature'>): Uint8Array {
  return encodeConstructed(TAG.CERTIFICATE_MESSAGE, certificateFields(cert));
}

export function encodeCertificate(cert: TerminalCertificate): Uint8Array {
  return encodeConstructed(TAG.TERMINAL_CERTIFICATE, [
    ...certificateFields(cert),
    { tag: TAG.CERTIFICATE_SIGNATURE, value: cert.signature },
  ]);
}

export function decodeCertificate(bytes: Uint8Array): TerminalCertificate {
  return decodeCertificateValue(decodeSingle(bytes, TAG.TERMINAL_CERTIFICATE));
}

/** The certificate from the value of its F2 TLV (as found inside REGISTER PIN data). */
export function decodeCertificateValue(value: Uint8Array): TerminalCertificate {
  const fields = tlvMap(value, [
    TAG.TERMINAL_ID, TAG.TERMINAL_PUBLIC_KEY, TAG.VALID_FROM, TAG.VALID_TO, TAG.SUITE, TAG.KEY_ID, TAG.CERTIFICATE_SIGNATURE,
  ]);
  let terminalId: string;
  let validFrom: string;
  let validTo: string;
  try {
    terminalId = asciiText(fields.get(TAG.TERMINAL_ID)!);
    validFrom = decodeDate(fields.get(TAG.VALID_FROM)!);
    validTo = decodeDate(fields.get(TAG.VALID_TO)!);
  } catch (error) {
    throw new TlvError(`terminal certificate: ${(error as Error).message}`);
  }
  return {
    terminalId,
    terminalPublicKey: fields.get(TAG.TERMINAL_PUBLIC_KEY)!.slice(),
    validFrom,
    validTo,
    suite: singleByte(fields.get(TAG.SUITE)!, 'suite'),
    keyId: singleByte(fields.get(TAG.KEY_ID)!, 'key id'),
    signature: fields.get(TAG.CERTIFICATE_SIGNATURE)!.slice(),
  };
}

/**
 * ST: the terminal's signature over the new PIN for this card: over IDU ‖ Nc (fig. 4, [0012]),
 * or IDU ‖ R ‖ X ‖ Nc once the card answered INTERNAL AUTHENTICATE (fig. 6, [0017]).
 */
export function pinMessage(cardNumber: Uint8Array, pin: string, challenge?: { terminalRandom: Uint8Array; cardRandom: Uint8Array }): Uint8Array {
  const fields: Tlv[] = [{ tag: TAG.CARD_NUMBER, value: cardNumber }];
  if (challenge) {
    fields.push({ tag: TAG.TERMINAL_RANDOM, value: challenge.terminalRandom });
    fields.push({ tag: TAG.CARD_RANDOM, value: challenge.cardRandom });
  }
  fields.push({ tag: TAG.PIN, value: encodeDigits('pin', pin) });
  return encodeConstructed(TAG.PIN_MESSAGE, fields);
}

/** REGISTER PIN command data: TLV(Nc, CT, ST[, R, X]). */
export interface RegisterPinData {
  readonly pin: string;
  readonly certificate: Uint8Array; // encoded CT (tag F2)
  readonly signature: Uint8Array; // ST
  readonly terminalRandom?: Uint8Array;
  readonly cardRandom?: Uint8Array;
}

export function encodeRegisterPin(data: RegisterPinData): Uint8Array {
  const parts = [
    encodeTlv(TAG.PIN, encodeDigits('pin', data.pin)),
    data.certificate,
    encodeTlv(TAG.TERMINAL_SIGNATURE, data.signature),
  ];
  if (data.terminalRandom && data.cardRandom) {
    parts.push(encodeTlv(TAG.TERMINAL_RANDOM, data.terminalRandom), encodeTlv(TAG.CARD_RANDOM, data.cardRandom));
  }
  return concatBytes(...parts);
}

/** BLOCK CARD: Sig_T(challenge ‖ IDU) under a certified terminal key ([0013], [0019]). */
export function blockMessage(challenge: Uint8Array, cardNumber: Uint8Array): Uint8Array {
  return encodeConstructed(TAG.BLOCK_MESSAGE, [
    { tag: TAG.CARD_RANDOM, value: challenge },
    { tag: TAG.CARD_NUMBER, value: cardNumber },
  ]);
}

/** INTERNAL AUTHENTICATE: the card answers X ‖ SU(R ‖ X) with its key U ([0016], [0018]). */
export function authenticateMessage(terminalRandom: Uint8Array, cardRandom: Uint8Array): Uint8Array {
  return encodeConstructed(TAG.AUTHENTICATE_MESSAGE, [
    { tag: TAG.TERMINAL_RANDOM, value: terminalRandom },
    { tag: TAG.CARD_RANDOM, value: cardRandom },
  ]);
}

export function encodeBlockCard(certificate: Uint8Array, signature: Uint8Array): Uint8Array {
  return concatBytes(certificate, encodeTlv(TAG.TERMINAL_SIGNATURE, signature));
}

/** C = H(salt ‖ Ns): the card shows only this salted commitment, never Ns (DESIGN.md §2). */
export function settingNumberCommitment(salt: Uint8Array, settingNumber: string, hash: (data: Uint8Array) => Uint8Array): Uint8Array {
  return hash(concatBytes(salt, encodeDigits('settingNumber', settingNumber)));
}
