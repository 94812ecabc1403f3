// The card chip's side of the contacts: what its UART sees and does. The simulated line
// (hal/sim/card-line.ts) drives a ByteCard through these interfaces; times are in seconds of the
// line's modelled clock.
import type { LineSettings } from '../../hal/card-line.js';

export interface CardContacts {
  /** The clock the terminal drives on CLK, in Hz: the card's etu follow from it. */
  readonly clockHz: number;
  /**
   * Queues raw characters towards the terminal, starting `delayEtu` after the later of the last
   * character received and the last one sent; returns when (seconds) the last one ends.
   */
  send(raw: Uint8Array, delayEtu?: number): number;
  /** The card's UART settings (after PPS; error signal on in T=0). */
  configure(settings: LineSettings): void;
}

export interface ByteCard {
  readonly label: string;
  /** Cold (power-on) or warm reset: the card answers with its ATR through the contacts. */
  reset(contacts: CardContacts, cold: boolean): void;
  powerOff(): void;
  /** One character from the terminal, with its parity verdict and arrival time. */
  receive(raw: number, parityError: boolean, at: number): void;
  /**
   * The terminal stopped sending (its last character has ended) and stays quiet at least BGT
   * (22 etu, §11.4.3) before it sends again: the moment a card's UART timer would tell it that
   * the characters it holds are all there is.
   */
  idle?(): void;
  /** The terminal kept signalling parity errors on a character the card sent (§7.3): it gives up. */
  sendFailed(): void;
}

/** An APDU-level card (hal/sim/card-slot.ts CardDevice has this shape). */
export interface ApduCard {
  readonly label: string;
  reset(): Uint8Array;
  process(command: Uint8Array): Uint8Array;
}
