// Puts the byte line under a sim slot: the slot keeps the card-detect switch and the cards, while
// powerOn/transmit/powerOff go through ProtocolReader → SimCardLine → SimByteCard → the card.
// The terminal rig (hal/sim/rig.ts) builds its own SimCardSlot; this lets the whole terminal flow
// run over ATR, PPS and T=1/T=0 without changing the rig.
import { ProtocolReader, type ProtocolReaderOptions } from '../../firmware/iso7816/protocol-reader.js';
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
