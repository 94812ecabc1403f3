// BLOCK CARD ([0013], [0019]): the terminal marks the card unusable for good, signing the card's
// fresh challenge with its certified key T. It does so after three wrong registration numbers
// and when insertion finds the card on the hotlist, before the card is given back, so a lost
// card stays refused at every terminal, also at one whose hotlist does not list it yet.
//
//   GET CHALLENGE  00 84 00 00 08                         -> challenge (8 bytes) 9000
//   BLOCK CARD     80 1E 00 00 Lc F2(CT) D8(Sig_T(E5(DA challenge, C2 IDU)))  -> 9000
//
// The card checks CT with its nA and the signature with the nT inside CT, over the challenge it
// gave this session (used once); anything else is 6A80 (6985 with no challenge) and the card
// stays as it was. A blocked card answers SELECT with 6283 and all but READ CARD DATA with 6983.
import { ApduError, UnexpectedStatusError } from '../protocol/apdu.js';
import { COMMANDS } from '../protocol/commands.js';
import { blockMessage, encodeBlockCard, type CardData } from '../protocol/data-objects.js';
import { SW } from '../protocol/status-words.js';
import { CardMuteError } from '../../hal/reader.js';
import { BLOCKED, refusal, SCREENS } from './screens.js';
import type { EjectMessage, SessionContext } from './session.js';

/** GET CHALLENGE then BLOCK CARD; throws UnexpectedStatusError when the card refuses either. */
export async function blockCard(context: SessionContext, cardNumber: Uint8Array): Promise<void> {
  const challenge = await context.link.send(COMMANDS.getChallenge());
  if (challenge.sw !== SW.OK) throw new UnexpectedStatusError('GET CHALLENGE', challenge.sw);
  const signature = context.keys.sign(blockMessage(challenge.data, cardNumber));
  const blocked = await context.link.send(COMMANDS.blockCard(encodeBlockCard(context.config.certificate, signature)));
  if (blocked.sw !== SW.OK) throw new UnexpectedStatusError('BLOCK CARD', blocked.sw);
}

/**
 * [0019]: a card insertion found on the hotlist (its SA1 and SA2 verified) is blocked before it
 * comes out; returns what the LCD says. A card that refuses the block (say one of an issuer key
 * this terminal's CT is not under) is still refused: a `card-error` event names the failure and
 * the LCD gives the hotlist reason. CardRemovedError passes through as from any flow.
 */
export async function blockHotlistedCard(context: SessionContext, card: CardData): Promise<EjectMessage> {
  context.display.show(SCREENS.wait);
  try {
    await blockCard(context, card.cardNumber);
  } catch (error) {
    if (!(error instanceof UnexpectedStatusError || error instanceof ApduError || error instanceof CardMuteError)) throw error;
    context.emit({ event: 'card-error', during: 'block', detail: error.message });
    return refusal('hotlisted');
  }
  context.emit({ event: 'card-blocked', by: 'terminal', step: 'hotlist' });
  return BLOCKED.hotlist;
}
