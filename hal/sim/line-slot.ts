// Puts the byte line under a sim slot: the slot keeps the card-detect switch and the cards, while
// powerOn/transmit/powerOff go through ProtocolReader → SimCardLine → SimByteCard → the card.
// The terminal rig (hal/sim/rig.ts) builds its own SimCardSlot; this lets the whole terminal flow
// run over ATR, PPS and T=1/T=0 without changing the rig.
import { ProtocolReader, type LineSession, type ProtocolReaderOptions } from '../../firmware/iso7816/protocol-reader.js';
import type { CardReader } from '../reader.js';
import { SimByteCard, type ByteCardOptions } from '../../card/iso7816/byte-card.js';
import type { CardDevice, SimCardSlot } from './card-slot.js';
import { SimCardLine, type SimCardLineOptions } from './card-line.js';

export interface LineSlot {
  readonly line: SimCardLine;
  readonly reader: ProtocolReader;
  /** The byte-level card for the device in the slot (made once per device). */
  byteCard(device: CardDevice): SimByteCard;
}

export function routeSlotThroughLine(
  slot: SimCardSlot,
  options: { readonly card?: ByteCardOptions; readonly line?: Omit<SimCardLineOptions, 'card'>; readonly reader?: ProtocolReaderOptions } = {},
): LineSlot {
  const cards = new WeakMap<CardDevice, SimByteCard>();
  const byteCard = (device: CardDevice): SimByteCard => {
    let card = cards.get(device);
    if (!card) {
      card = new SimByteCard(device, options.card);
      cards.set(device, card);
    }
    return card;
  };
  const line = new SimCardLine({ ...options.line, card: () => (slot.card ? byteCard(slot.card) : null) });
  const reader = new ProtocolReader(line, options.reader);
  slot.powerOn = () => reader.powerOn();
  slot.transmit = (command) => reader.transmit(command);
  slot.powerOff = () => reader.powerOff();
  return { line, reader, byteCard };
}

/**
 * The sim slot's card-detect switch and cards, with the contacts behind a byte line: what the
 * terminal sees is ATR, PPS and T=1/T=0 exactly as through an ESP32's UART and interface chip.
 */
export class SimLineReader implements CardReader {
  onInserted: (() => void) | null = null;
  onRemoved: (() => void) | null = null;
  readonly #slot: SimCardSlot;
  readonly #route: LineSlot;
  #lastSession: LineSession | null = null;

  constructor(slot: SimCardSlot, options: Parameters<typeof routeSlotThroughLine>[1] = {}) {
    this.#slot = slot;
    this.#route = routeSlotThroughLine(slot, options);
    slot.onInserted = () => this.onInserted?.();
    slot.onRemoved = () => this.onRemoved?.();
  }

  get line(): SimCardLine {
    return this.#route.line;
  }

  get reader(): ProtocolReader {
    return this.#route.reader;
  }

  get cardPresent(): boolean {
    return this.#slot.cardPresent;
  }

  async powerOn(): Promise<Uint8Array> {
    const atr = await this.#route.reader.powerOn();
    this.#lastSession = this.#route.reader.session;
    return atr;
  }

  /** The protocol, rate and PPS outcome of the last activation, kept after the card left. */
  get lastSession(): LineSession | null {
    return this.#lastSession;
  }

  transmit(command: Uint8Array): Promise<Uint8Array> {
    return this.#route.reader.transmit(command);
  }

  powerOff(): Promise<void> {
    return this.#route.reader.powerOff();
  }

  eject(): Promise<void> {
    return this.#slot.eject();
  }
}
