// Card insertion (figs. 4 and 5, [0011], [0019], [0020]): read the card's signed data and check
// it offline with nA before the person is asked for anything.
import { suiteById } from '../crypto/suites.js';
import { toHex } from '../protocol/bytes.js';
import { COMMANDS, REFERENCE } from '../protocol/commands.js';
import { decodeCardData, sa1Message, sa2Message, type CardData } from '../protocol/data-objects.js';
import { dateOf, isExpired } from '../protocol/dates.js';
import { describeStatus, SW, triesLeftFrom } from '../protocol/status-words.js';
import type { CardLink } from './card-link.js';
import type { TerminalConfig } from './config.js';
import type { TerminalKeys } from './keys.js';
import type { RejectReason } from './events.js';
import type { HotlistLookup } from '../hotlist/store.js';

/** The PIN as the card reports it: not registered yet, registered, or blocked by wrong tries. */
export type PinState = 'none' | 'set' | 'blocked';

/**
 * A refusal names its reason; a hotlisted card also comes with its verified data, since the
 * terminal goes on to block it ([0013], [0019]) before it gives it back.
 */
export type InsertionResult =
  | { readonly ok: true; readonly card: CardData; readonly pin: PinState }
  | { readonly ok: false; readonly reason: 'hotlisted'; readonly detail: string; readonly card: CardData }
  | { readonly ok: false; readonly reason: Exclude<RejectReason, 'hotlisted'>; readonly detail: string };

function reject(reason: Exclude<RejectReason, 'hotlisted'>, detail: string): InsertionResult {
  return { ok: false, reason, detail };
}

/** Checks SA1 and SA2 with nA (claim 2), decoded once at start-up (`keys`); returns the problem or null. */
export function verifyCardData(card: CardData, keys: TerminalKeys): { reason: 'unknown-issuer' | 'bad-signature'; detail: string } | null {
  const issuerKey = keys.issuerKey(card.suite, card.keyId);
  if (!issuerKey) return { reason: 'unknown-issuer', detail: `no issuer key for suite ${card.suite}, key id ${card.keyId}` };
  suiteById(card.suite); // a suite this firmware does not know is an error, as it always was
  const verifier = issuerKey.verifier;
  const { sa1, ...unsigned } = card;
  if (!verifier || !verifier.verify(sa1Message(unsigned), sa1)) return { reason: 'bad-signature', detail: 'SA1 does not verify with nA' };
  if (!verifier.verify(sa2Message(card.commitment, card.cardNumber), card.sa2)) {
    return { reason: 'bad-signature', detail: 'SA2 does not verify with nA' };
  }
  return null;
}

/**
 * Fig. 4 and 5 up to the PIN screen: power-up, SELECT, READ CARD DATA, SA1 and SA2 with the
 * issuer keys in `keys`, expiry on the local calendar at `nowMs` (ms since epoch UTC), hotlist
 * (`hotlist` in flash when the terminal has one, else the config's), PIN state. A refusal comes
 * back as { ok: false, reason }; line errors are thrown as the link throws them.
 */
export async function checkInsertedCard(link: CardLink, config: TerminalConfig, keys: TerminalKeys, nowMs: number, hotlist: HotlistLookup | null = null): Promise<InsertionResult> {
  await link.powerOn();
  const selected = await link.send(COMMANDS.select());
  // 6283: the card was blocked (by a terminal or by itself) and says so before anything else.
  if (selected.sw === SW.SELECTED_FILE_DEACTIVATED) return reject('blocked', `SELECT: ${describeStatus(selected.sw)}`);
  if (selected.sw !== SW.OK) return reject('not-our-card', `SELECT: ${describeStatus(selected.sw)}`);

  const read = await link.send(COMMANDS.readCardData());
  if (read.sw !== SW.OK) return reject('unreadable', `READ CARD DATA: ${describeStatus(read.sw)}`);
  let card: CardData;
  try {
    card = decodeCardData(read.data);
  } catch (error) {
    return reject('unreadable', `card data: ${(error as Error).message}`);
  }

  const problem = verifyCardData(card, keys);
  if (problem) return reject(problem.reason, problem.detail);
  const today = dateOf(nowMs, config.utcOffsetMinutes); // the card's expiry day ends at local midnight
  if (isExpired(card.expiry, today)) return reject('expired', `expired ${card.expiry}, today is ${today}`);
  const cardNumber = toHex(card.cardNumber);
  if (hotlist ? hotlist.contains(card.cardNumber) : config.hotlist.includes(cardNumber)) {
    return { ok: false, reason: 'hotlisted', detail: `card ${cardNumber} is on the hotlist`, card };
  }

  // VERIFY without data asks the PIN state without spending a try (ISO 7816-4 §11.5.6).
  const state = await link.send(COMMANDS.triesLeft(REFERENCE.PIN));
  if (state.sw === SW.REFERENCE_DATA_NOT_USABLE) return { ok: true, card, pin: 'none' };
  if (state.sw === SW.OK || triesLeftFrom(state.sw) !== null) return { ok: true, card, pin: 'set' };
  if (state.sw !== SW.AUTHENTICATION_METHOD_BLOCKED) return reject('unreadable', `PIN state: ${describeStatus(state.sw)}`);
  // 6983 for the PIN: the PIN alone is blocked, or the whole card (a card that answered SELECT
  // with 9000 all the same). The setting number tells them apart: a blocked card answers 6983 to
  // it too, a PIN-blocked one its tries left ([0012]).
  const settingNumber = await link.send(COMMANDS.triesLeft(REFERENCE.SETTING_NUMBER));
  if (settingNumber.sw === SW.OK || (triesLeftFrom(settingNumber.sw) ?? 0) > 0) return { ok: true, card, pin: 'blocked' };
  return reject('blocked', 'the card reports itself blocked');
}
