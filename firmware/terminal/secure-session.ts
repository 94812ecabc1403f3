// The encrypted card channel, patent [0021]: once the card's static data check (SA1 certifies the
// card's agreement key), the terminal agrees session keys with the card (GlobalPlatform SCP11b,
// firmware/secure-channel/scp11.ts) and every later command and answer is wrapped (SCP03 secure
// messaging): the setting number, the PIN and R, X never cross the contacts in clear. No terminal
// holds a secret that opens another's sessions: each session's keys come from a fresh ephemeral
// key and the card's certified static key, whose secret only the card holds.
import { CLA_PROPRIETARY, INS } from '../protocol/commands.js';
import { SW } from '../protocol/status-words.js';
import { requestKeyAgreement, SCP11B } from '../secure-channel/scp11.js';
import { SecureMessagingError } from '../secure-channel/secure-messaging.js';
import type { MutualAuthenticationMode } from './mutual-auth.js';
import { SessionStop, type AcceptedCard, type SessionContext } from './session.js';

/** TerminalConfig.secureChannel: the same three choices as mutual authentication. */
export type SecureChannelMode = MutualAuthenticationMode;

/**
 * Opens the channel on the card link when the config asks for it and the card can: true when
 * opened. 'when-supported' goes on in clear with a card whose data carry no agreement key (or
 * that answers the key agreement with 6D00); 'required' refuses such a card ("Card not
 * supported"). Throws SessionStop ("Card not genuine") when the card's receipt does not check: it
 * does not hold the secret of the key SA1 certifies.
 */
export async function openSecureChannel(context: SessionContext, card: AcceptedCard): Promise<boolean> {
  const mode = context.config.secureChannel ?? 'off';
  if (mode === 'off') return false;
  const cardKey = card.data.cardAgreementKey;
  const unsupported = (why: string): false => {
    if (mode === 'when-supported') return false;
    context.emit({ event: 'card-not-genuine', step: 'secure-channel', detail: `${why}, and this terminal requires the encrypted channel` });
    throw new SessionStop(['Card refused', 'Card not supported'], 'secure channel required');
  };
  if (!cardKey) return unsupported('the card data carry no agreement key');
  const request = requestKeyAgreement((length) => context.random.bytes(length));
  const answer = await context.link.send({ cla: CLA_PROPRIETARY, ins: INS.INTERNAL_AUTHENTICATE, p1: 0x00, p2: SCP11B.P2_KEY_IDENTIFIER, data: request.data, le: 256 });
  if (answer.sw === SW.INS_NOT_SUPPORTED) return unsupported('the card cannot agree keys (6D00)');
  try {
    if (answer.sw !== SW.OK) throw new SecureMessagingError(`the key agreement answered ${answer.sw.toString(16)}`);
    context.link.beginSecureMessaging(request.open(answer.data, cardKey));
  } catch (error) {
    if (!(error instanceof SecureMessagingError)) throw error;
    context.emit({ event: 'card-not-genuine', step: 'secure-channel', detail: error.message });
    throw new SessionStop(['Card refused', 'Card not genuine'], 'secure channel failed');
  }
  context.emit({ event: 'secure-channel-opened' });
  return true;
}
