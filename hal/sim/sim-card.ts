// A simulated card: the card application on its own chip with EEPROM, as the sim slot and the
// simulator hold it. Power cuts in the EEPROM reach the slot, which treats them as removal.
import { CardApplication } from '../../card/card-application.js';
import { SimEeprom } from '../../card/eeprom.js';
import { personaliseImage } from '../../card/layout.js';
import { CARD_IMAGE_FORMAT } from '../../card/image.js';
import type { CardImage, CardPersonalisation } from '../../card/personalisation.js';
import type { RandomBytes } from '../../firmware/crypto/suite.js';
import type { CardDevice } from './card-slot.js';

export class SimCard implements CardDevice {
  readonly label: string;
  readonly eeprom: SimEeprom;
  readonly #random: RandomBytes;
  readonly #application: CardApplication;

  constructor(label: string, eeprom: SimEeprom, random: RandomBytes) {
    this.label = label;
    this.eeprom = eeprom;
    this.#random = random;
    this.#application = new CardApplication(eeprom, random);
  }

  /** A new card as the issuing machine leaves it. */
  static personalise(personalisation: CardPersonalisation, label: string, random: RandomBytes): SimCard {
    return new SimCard(label, new SimEeprom(personaliseImage(personalisation)), random);
  }

  static fromImage(image: CardImage, random: RandomBytes): SimCard {
    return new SimCard(image.label, new SimEeprom(image.eeprom), random);
  }

  /** Another card with the same chip contents (for trying power cuts from one starting state). */
  cloneFrom(eeprom: Uint8Array): SimCard {
    return new SimCard(this.label, new SimEeprom(eeprom), this.#random);
  }

  get image(): CardImage {
    return { format: CARD_IMAGE_FORMAT, label: this.label, eeprom: this.eeprom.bytes };
  }

  reset(): Uint8Array {
    return this.#application.reset();
  }

  process(command: Uint8Array): Uint8Array {
    return this.#application.process(command);
  }
}
