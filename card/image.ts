// A card as a file (format icc-card-image/1): its label and EEPROM contents in hex. The issuer
// writes these, the simulator keeps its demo cards this way, so a PIN registered today is there
// tomorrow, and the PC/SC virtual card loads them.
import { fromHex, toHex } from '../firmware/protocol/bytes.js';
import { readStaticData } from './layout.js';
import { SimEeprom } from './eeprom.js';
import type { CardImage, CardPersonalisation } from './personalisation.js';

export const CARD_IMAGE_FORMAT = 'icc-card-image/1';

/** A RangeError, so tools report it as a bad file rather than a bug. */
export class CardImageError extends RangeError {
  override name = 'CardImageError';
}

export interface CardImageJson {
  readonly format: typeof CARD_IMAGE_FORMAT;
  readonly label: string;
  readonly eeprom: string;
}

export function encodeCardImage(image: CardImage): CardImageJson {
  return { format: CARD_IMAGE_FORMAT, label: image.label, eeprom: toHex(image.eeprom) };
}

export function decodeCardImage(json: unknown): CardImage {
  const { format, label, eeprom } = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  if (format !== CARD_IMAGE_FORMAT) throw new CardImageError(`card image format must be "${CARD_IMAGE_FORMAT}", found ${JSON.stringify(format)}`);
  if (typeof label !== 'string' || label === '') throw new CardImageError('card image needs a non-empty "label"');
  if (typeof eeprom !== 'string' || !/^([0-9a-fA-F]{2})+$/.test(eeprom)) throw new CardImageError(`card image "${label}": "eeprom" must be hex bytes`);
  return { format: CARD_IMAGE_FORMAT, label, eeprom: fromHex(eeprom) };
}

/** The EEPROM of a new card, as the issuing machine leaves it. */
export { personaliseImage as personaliseCard } from './layout.js';

/** What the issuer wrote into an EEPROM image, read back (for `issuer show` and tests). */
export function readPersonalisation(eeprom: Uint8Array): CardPersonalisation {
  try {
    const data = readStaticData(new SimEeprom(eeprom));
    const { cardData } = data;
    return {
      registrationNumber: cardData.registrationNumber, settingNumber: data.settingNumber, salt: data.salt,
      cardNumber: cardData.cardNumber, expiry: cardData.expiry, suite: cardData.suite, keyId: cardData.keyId,
      issuerPublicKey: data.issuerPublicKey, commitment: cardData.commitment, sa2: cardData.sa2, sa1: cardData.sa1,
      cardSecretKey: data.cardSecretKey, cardPublicKey: cardData.cardPublicKey,
      ...(data.cardAgreementSecret && cardData.cardAgreementKey ? { cardAgreementSecret: data.cardAgreementSecret, cardAgreementKey: cardData.cardAgreementKey } : {}),
    };
  } catch (error) {
    throw new CardImageError(`card EEPROM unreadable: ${(error as Error).message}`);
  }
}
