// What every flow of one card session needs: the card line, the person, the terminal's keys.
import type { Clock } from '../../hal/clock.js';
import type { Display } from '../../hal/display.js';
import type { Random } from '../../hal/random.js';
import type { CardData } from '../protocol/data-objects.js';
import type { CardLink } from './card-link.js';
import type { TerminalConfig } from './config.js';
import type { EventSink } from './events.js';
import type { TerminalKeys } from './keys.js';
import type { PinState } from './insertion.js';
import type { InputQueue } from './inputs.js';
import type { UsageStore } from './usage-store.js';

export interface SessionContext {
  readonly link: CardLink;
  readonly inputs: InputQueue;
  readonly display: Display;
  readonly clock: Clock;
  readonly random: Random;
  readonly config: TerminalConfig;
  /** The config's keys, decoded once when the terminal started. */
  readonly keys: TerminalKeys;
  readonly usage: UsageStore;
  readonly emit: EventSink;
  readonly keypadTimeoutMs: number;
  readonly messageMs: number;
}

/** The card as accepted at insertion: its verified static data. */
export interface AcceptedCard {
  readonly data: CardData;
  readonly cardNumberHex: string;
}

/** What the terminal learns about the card while it stays inserted (one insertion). */
export interface CardVisit {
  readonly card: AcceptedCard;
  pin: PinState;
  /**
   * Wrong registration numbers typed so far, over every REGISTER press of this insertion: the
   * third blocks the card ([0013]), however the attempts were spread.
   */
  wrongRegistrationNumbers: number;
}

/**
 * What the LCD says above "Please take card" as the card comes out: what happened, and when the
 * person must act, why and what to do (a third line).
 */
export type EjectMessage = readonly [string, string] | readonly [string, string, string];

/** How a session ended, which decides what the terminal says while the card comes out. */
export type SessionEnd =
  | { readonly kind: 'done'; readonly message: EjectMessage }
  | { readonly kind: 'cancelled' };

/** Thrown inside a flow to end the session with a message (card blocked, refused, ...). */
export class SessionStop extends Error {
  override name = 'SessionStop';
  constructor(readonly lines: EjectMessage, readonly reason: string) {
    super(reason);
  }
}

export const TRY_LIMIT = 3;
