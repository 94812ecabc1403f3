// Card reader HAL: the ISO 7816 contact slot. This interface carries whole APDUs; the byte-level
// protocol (ATR, PPS, T=0, T=1) sits between it and the UART on real hardware.

export class CardRemovedError extends Error {
  override name = 'CardRemovedError';
  constructor(message = 'card removed') {
    super(message);
  }
}

export class CardMuteError extends Error {
  override name = 'CardMuteError';
}

export interface CardReader {
  /** True while a card sits in the slot (card-detect switch). */
  readonly cardPresent: boolean;
  /** Called when the card-detect switch closes. Set by the terminal. */
  onInserted: (() => void) | null;
  /** Called when the card-detect switch opens, at any moment, even mid-command. */
  onRemoved: (() => void) | null;
  /** Activates the contacts and resets the card; resolves with the ATR. */
  powerOn(): Promise<Uint8Array>;
  /** Sends one command APDU, resolves with the response APDU (data ‖ SW1 SW2). */
  transmit(command: Uint8Array): Promise<Uint8Array>;
  /** Deactivates the contacts (ISO 7816-3 §6.4). */
  powerOff(): Promise<void>;
  /** Pushes the card out (motorised slot) or releases the latch; the person then takes it. */
  eject(): Promise<void>;
}
