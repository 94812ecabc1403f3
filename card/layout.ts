// Where the card application keeps its state in EEPROM. The fields that change in use sit at
// fixed offsets, each small enough for one byte write or one transaction; what the issuer
// writes once (patent [0009]: signed data, keys) follows as length-prefixed blobs.
import { asciiBytes, asciiText, concatBytes, readUint16, uint16 } from '../firmware/protocol/bytes.js';
import { encodeCardData, decodeCardData, type CardData } from '../firmware/protocol/data-objects.js';
import { DIGIT_RULES } from '../firmware/protocol/digits.js';
import type { Eeprom } from './eeprom.js';
import type { CardPersonalisation } from './personalisation.js';

export const EEPROM_SIZE = 8192;

export const LAYOUT = Object.freeze({
  MAGIC: 0, // "ICC1"
  LIFE_CYCLE: 4,
  PIN_TRIES: 5,
  SETTING_NUMBER_TRIES: 6,
  PIN_LENGTH: 7, // 0: no PIN registered yet (6984)
  PIN: 8, // DIGIT_RULES.pin.max bytes, ASCII digits, zero padded
  TRANSACTION: 16,
  TRANSACTION_SIZE: 80,
  BLOBS: 96,
} as const);

export const LIFE_CYCLE = Object.freeze({
  ACTIVE: 0x01,
  BLOCKED: 0x0b, // by BLOCK CARD or after the last wrong setting number: for good
} as const);

export const TRY_LIMIT = 3;
const MAGIC = 'ICC1';
const BLOB_COUNT = 5; // card data, salt, Ns, nA, card secret key; then the agreement secret (older cards: none)

export class CardMemoryError extends Error {
  override name = 'CardMemoryError';
}

/** What the issuer wrote, read back at reset. */
export interface StaticData {
  readonly cardData: CardData;
  readonly encodedCardData: Uint8Array; // the READ CARD DATA answer, as signed
  readonly salt: Uint8Array;
  readonly settingNumber: string; // Ns, kept for the issuer's records; the card compares against C
  readonly issuerPublicKey: Uint8Array; // nA
  readonly cardSecretKey: Uint8Array;
  /** SK.SD.ECKA for the secure channel, when the card data carries its key. */
  readonly cardAgreementSecret?: Uint8Array;
}

/** The EEPROM contents of a freshly personalised card (no PIN, full try counters). */
export function personaliseImage(p: CardPersonalisation, size = EEPROM_SIZE): Uint8Array {
  const cardData: CardData = {
    registrationNumber: p.registrationNumber, cardNumber: p.cardNumber, expiry: p.expiry, suite: p.suite,
    keyId: p.keyId, commitment: p.commitment, sa2: p.sa2, cardPublicKey: p.cardPublicKey,
    ...(p.cardAgreementKey ? { cardAgreementKey: p.cardAgreementKey } : {}), sa1: p.sa1,
  };
  const blobs = [encodeCardData(cardData), p.salt, asciiBytes(p.settingNumber), p.issuerPublicKey, p.cardSecretKey, ...(p.cardAgreementSecret ? [p.cardAgreementSecret] : [])];
  const image = new Uint8Array(size);
  image.set(asciiBytes(MAGIC), LAYOUT.MAGIC);
  image[LAYOUT.LIFE_CYCLE] = LIFE_CYCLE.ACTIVE;
  image[LAYOUT.PIN_TRIES] = TRY_LIMIT;
  image[LAYOUT.SETTING_NUMBER_TRIES] = TRY_LIMIT;
  const packed = concatBytes(...blobs.flatMap((blob) => [uint16(blob.length), blob]));
  if (LAYOUT.BLOBS + packed.length > size) throw new CardMemoryError(`personalisation needs ${LAYOUT.BLOBS + packed.length} bytes, the card has ${size}`);
  image.set(packed, LAYOUT.BLOBS);
  return image;
}

export function readStaticData(eeprom: Eeprom): StaticData {
  const magic = eeprom.read(LAYOUT.MAGIC, 4);
  if (!magic.every((b, i) => b === MAGIC.charCodeAt(i))) throw new CardMemoryError('card is not personalised');
  const blobs: Uint8Array[] = [];
  let at: number = LAYOUT.BLOBS;
  for (let i = 0; i < BLOB_COUNT; i++) {
    if (at + 2 > eeprom.size) throw new CardMemoryError('personalisation data truncated');
    const length = readUint16(eeprom.read(at, 2));
    if (at + 2 + length > eeprom.size) throw new CardMemoryError('personalisation data truncated');
    blobs.push(eeprom.read(at + 2, length));
    at += 2 + length;
  }
  const [encodedCardData, salt, settingNumber, issuerPublicKey, cardSecretKey] = blobs as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  const cardData = decodeCardData(encodedCardData);
  // The sixth blob exists only on cards whose data carry an agreement key (older images end at five).
  let cardAgreementSecret: Uint8Array | undefined;
  if (cardData.cardAgreementKey) {
    if (at + 2 > eeprom.size) throw new CardMemoryError('personalisation data truncated');
    const length = readUint16(eeprom.read(at, 2));
    if (length !== 32 || at + 2 + length > eeprom.size) throw new CardMemoryError('the card data carry an agreement key, but its secret is missing');
    cardAgreementSecret = eeprom.read(at + 2, length);
  }
  return { cardData, encodedCardData, salt, settingNumber: asciiText(settingNumber), issuerPublicKey, cardSecretKey, ...(cardAgreementSecret ? { cardAgreementSecret } : {}) };
}

/** The PIN field as stored: digits, zero padded to the longest PIN, so compares take one time. */
export function pinField(pin: Uint8Array): Uint8Array {
  const field = new Uint8Array(DIGIT_RULES.pin.max);
  field.set(pin.subarray(0, field.length));
  return field;
}
