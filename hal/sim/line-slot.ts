// The sim slot's card-detect switch and cards, with the contacts behind a byte line: the terminal
// reads the ATR, negotiates PPS and runs T=1 or T=0 exactly as through an ESP32's UART and card
// interface chip: ProtocolReader → SimCardLine → SimByteCard → the card in the slot.
import { ProtocolReader, type LineSession, type ProtocolReaderOptions } from '../../firmware/iso7816/protocol-reader.js';
import { SimByteCard, type ByteCardOptions } from '../../card/iso7816/byte-card.js';
import type { ByteCard } from '../../card/iso7816/contacts.js';
import type { CardReader } from '../reader.js';
import type { CardDevice, SimCardSlot } from './card-slot.js';
import { SimCardLine, type SimCardLineOptions } from './card-line.js';

export interface SimLineOptions {
  readonly card?: ByteCardOptions;
  readonly line?: Omit<SimCardLineOptions, 'card'>;
  readonly reader?: ProtocolReaderOptions;
  /**
   * The byte-level card that meets the line for a card device in the slot, made once per device;
   * by default a SimByteCard over it with `card`'s options. (The device bench records or replays
   * the card side here: tests/scenarios/byte-replay.ts.)
   */
  readonly byteCard?: (device: CardDevice) => ByteCard;
}

export class SimLineReader implements CardReader {
  onInserted: (() => void) | null = null;
  onRemoved: (() => void) | null = null;
  readonly line: SimCardLine;
  readonly reader: ProtocolReader;
  readonly #slot: SimCardSlot;
  readonly #byteCards = new WeakMap<CardDevice, ByteCard>();
  #lastSession: LineSession | null = null;

  constructor(slot: SimCardSlot, options: SimLineOptions = {}) {
    this.#slot = slot;
    const make = options.byteCard ?? ((device: CardDevice) => new SimByteCard(device, options.card));
    this.line = new SimCardLine({ ...options.line, card: () => (slot.card ? this.#byteCard(slot.card, make) : null) });
    this.reader = new ProtocolReader(this.line, options.reader);
    slot.onInserted = () => this.onInserted?.();
    slot.onRemoved = () => this.onRemoved?.();
  }

  get cardPresent(): boolean {
    return this.#slot.cardPresent;
  }

  /** The protocol, rate and PPS outcome of the last activation, kept after the card left. */
  get lastSession(): LineSession | null {
    return this.#lastSession;
  }

  async powerOn(): Promise<Uint8Array> {
    const atr = await this.reader.powerOn();
    this.#lastSession = this.reader.session;
    return atr;
  }

  transmit(command: Uint8Array): Promise<Uint8Array> {
    return this.#slot.carry(command, () => this.reader.transmit(command));
  }

  powerOff(): Promise<void> {
    return this.reader.powerOff();
  }

  eject(): Promise<void> {
    return this.#slot.eject();
  }

  /** One byte-level card per card device, so its T=1 state lasts while it sits in the slot. */
  #byteCard(device: CardDevice, make: (device: CardDevice) => ByteCard): ByteCard {
    let card = this.#byteCards.get(device);
    if (!card) {
      card = make(device);
      this.#byteCards.set(device, card);
    }
    return card;
  }
}
