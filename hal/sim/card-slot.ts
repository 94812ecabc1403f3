// A simulated ISO 7816 slot with a card-detect switch. It holds card devices (the card
// application on its own simulated chip) and carries APDUs between terminal and card.
import { PowerCutError } from '../flash.js';
import { CardMuteError, CardRemovedError, type CardReader } from '../reader.js';

/** A card as seen through its contacts. */
export interface CardDevice {
  readonly label: string;
  /** Cold or warm reset: returns the ATR. */
  reset(): Uint8Array;
  /** One command APDU in, one response APDU out. Throws PowerCutError if power fails mid-write. */
  process(command: Uint8Array): Uint8Array;
}

export class SimCardSlot implements CardReader {
  onInserted: (() => void) | null = null;
  onRemoved: (() => void) | null = null;
  #card: CardDevice | null = null;
  #powered = false;
  #ejected = false;
  #pullBeforeCommand: ((command: Uint8Array) => boolean) | null = null;

  get cardPresent(): boolean {
    return this.#card !== null;
  }

  get card(): CardDevice | null {
    return this.#card;
  }

  /** True once the terminal has pushed the card out and until someone takes it. */
  get ejected(): boolean {
    return this.#ejected;
  }

  insert(card: CardDevice): void {
    if (this.#card) throw new Error(`slot already holds card "${this.#card.label}"`);
    this.#card = card;
    this.#powered = false;
    this.#ejected = false;
    this.onInserted?.();
  }

  /** Takes the card out (at any moment, as a person can); returns it. */
  remove(): CardDevice {
    const card = this.#card;
    if (!card) throw new Error('no card in the slot');
    this.#card = null;
    this.#powered = false;
    this.#ejected = false;
    this.onRemoved?.();
    return card;
  }

  /** Test hook: pull the card out when the terminal sends a command the predicate picks. */
  pullBeforeCommand(predicate: ((command: Uint8Array) => boolean) | null): void {
    this.#pullBeforeCommand = predicate;
  }

  async powerOn(): Promise<Uint8Array> {
    const card = this.#requireCard();
    this.#powered = true;
    return card.reset();
  }

  async transmit(command: Uint8Array): Promise<Uint8Array> {
    const card = this.#requireCard();
    if (!this.#powered) throw new CardMuteError('card is not powered: call powerOn first');
    return this.carry(command, () => card.process(command.slice()));
  }

  /**
   * Runs one exchange with the card as the contacts would: the test hook may pull the card
   * first, and a power cut while the card writes opens the contacts, so the card is gone.
   * Readers layered over this slot (the byte line) carry their exchanges through here too.
   */
  async carry<T>(command: Uint8Array, exchange: () => T | Promise<T>): Promise<T> {
    if (this.#pullBeforeCommand?.(command)) {
      this.#pullBeforeCommand = null;
      this.remove();
      throw new CardRemovedError('card removed before the command completed');
    }
    try {
      return await exchange();
    } catch (error) {
      if (error instanceof PowerCutError) {
        if (this.#card) this.remove();
        throw new CardRemovedError('card removed while it was writing');
      }
      throw error;
    }
  }

  async powerOff(): Promise<void> {
    this.#powered = false;
  }

  async eject(): Promise<void> {
    if (this.#card) this.#ejected = true;
  }

  #requireCard(): CardDevice {
    if (!this.#card) throw new CardRemovedError('no card in the slot');
    return this.#card;
  }
}
