// Mutual authentication, patent figs. 6 (registration) and 7 (service), [0016]–[0018]: the
// terminal sends its random R, the card answers its random X and SU = Sig_U(R ‖ X) with its card
// key pU, qU, and the terminal checks SU with nU, which SA1 certifies (checked at insertion), so
// a card carrying copied card data but not the card's key is caught. The card's half is in
// card/card-application.ts (INTERNAL AUTHENTICATE); REGISTER PIN then carries R and X inside ST.
import { suiteById } from '../crypto/suites.js';
import { CHALLENGE_LENGTH, COMMANDS } from '../protocol/commands.js';
import { authenticateMessage } from '../protocol/data-objects.js';
import { SW } from '../protocol/status-words.js';
import type { TerminalConfig } from './config.js';
import { SessionStop, type AcceptedCard, type SessionContext } from './session.js';

/** Bytes of the terminal's random R (the card takes 8 to 32). */
export const TERMINAL_RANDOM_BYTES = 16;

/**
 * Whether the terminal authenticates cards before registration and service
 * (TerminalConfig.mutualAuthentication): 'required' refuses a card that cannot answer (a card
 * application without a card key); 'when-supported' keeps the basic flows for such a card;
 * 'off' (configs made before it existed) never asks.
 */
export type MutualAuthenticationMode = 'off' | 'when-supported' | 'required';

export const MUTUAL_AUTHENTICATION_MODES: readonly MutualAuthenticationMode[] = Object.freeze(['off', 'when-supported', 'required']);

/** R and X of one authentication: REGISTER PIN must carry these, once (fig. 6). */
export interface CardAuthentication {
  readonly terminalRandom: Uint8Array;
  readonly cardRandom: Uint8Array;
}

/** The config's mode, 'off' when absent. */
export function mutualAuthenticationMode(config: TerminalConfig): MutualAuthenticationMode {
  return config.mutualAuthentication ?? 'off';
}

/**
 * Authenticates the card before `step` (fig. 6: registration, fig. 7: service). Returns R and X,
 * or null when the mode is off, or 'when-supported' and the card has no card key (it answers
 * INTERNAL AUTHENTICATE with 6D00). Emits 'card-authenticated' on success. Throws SessionStop
 * ("Card not genuine") when SU does not check with nU or the answer is not X ‖ SU, and ("Card
 * not supported") when the mode is 'required' and the card cannot answer.
 */
export async function authenticateCard(context: SessionContext, card: AcceptedCard, step: 'registration' | 'service'): Promise<CardAuthentication | null> {
  const mode = mutualAuthenticationMode(context.config);
  if (mode === 'off') return null;
  const terminalRandom = context.random.bytes(TERMINAL_RANDOM_BYTES);
  const answer = await context.link.send(COMMANDS.internalAuthenticate(terminalRandom));
  if (answer.sw === SW.INS_NOT_SUPPORTED) {
    if (mode === 'when-supported') return null;
    context.emit({ event: 'card-not-genuine', step, detail: 'the card cannot authenticate itself (INTERNAL AUTHENTICATE: 6D00) and this terminal requires it' });
    throw new SessionStop(['Card refused', 'Card not supported'], 'mutual authentication required');
  }
  const data = answer.data;
  const genuine = answer.sw === SW.OK && data.length > CHALLENGE_LENGTH
    && suiteById(card.data.suite).verify(card.data.cardPublicKey, authenticateMessage(terminalRandom, data.subarray(0, CHALLENGE_LENGTH)), data.subarray(CHALLENGE_LENGTH));
  if (!genuine) {
    context.emit({ event: 'card-not-genuine', step, detail: answer.sw === SW.OK ? 'SU does not check with the card key nU that SA1 certifies' : `INTERNAL AUTHENTICATE answered ${answer.sw.toString(16)}` });
    throw new SessionStop(['Card refused', 'Card not genuine'], 'mutual authentication failed');
  }
  context.emit({ event: 'card-authenticated', step });
  return { terminalRandom, cardRandom: data.slice(0, CHALLENGE_LENGTH) };
}
