// BLOCK CARD ([0013], [0019]): after three wrong registration numbers the terminal marks the
// card unusable, signing the card's fresh challenge with its certified key.
import { COMMANDS } from '../protocol/commands.js';
import { blockMessage, encodeBlockCard } from '../protocol/data-objects.js';
import { SW } from '../protocol/status-words.js';
import { UnexpectedStatusError } from '../protocol/apdu.js';
import type { SessionContext } from './session.js';

export async function blockCard(context: SessionContext, cardNumber: Uint8Array): Promise<void> {
  const challenge = await context.link.send(COMMANDS.getChallenge());
  if (challenge.sw !== SW.OK) throw new UnexpectedStatusError('GET CHALLENGE', challenge.sw);
  const signature = context.keys.sign(blockMessage(challenge.data, cardNumber));
  const blocked = await context.link.send(COMMANDS.blockCard(encodeBlockCard(context.config.certificate, signature)));
  if (blocked.sw !== SW.OK) throw new UnexpectedStatusError('BLOCK CARD', blocked.sw);
}
