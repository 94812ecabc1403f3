// Service use (fig. 5, [0014]-[0015]): the PIN goes to the card, which answers with the second
// authentication notice; the terminal then gives a metered call and records (Nt, D, V).
import { UnexpectedStatusError } from '../protocol/apdu.js';
import { COMMANDS } from '../protocol/commands.js';
import { DIGIT_RULES } from '../protocol/digits.js';
import { SW, triesLeftFrom } from '../protocol/status-words.js';
import { CardRemovedError } from '../../hal/reader.js';
import { feeFor } from './config.js';
import { pause, readEntry, type Entry } from './prompt.js';
import { elapsedText, SCREENS } from './screens.js';
import { SessionStop, type AcceptedCard, type SessionContext } from './session.js';
import { SERVICE } from './usage-store.js';

export type PinOutcome = 'verified' | 'wrong' | 'not-registered';

/** Fig. 5: Nc' to the card; the card compares it with Nc and counts the tries ([0014]). */
export async function verifyPin(context: SessionContext, pin: string): Promise<PinOutcome> {
  const answer = await context.link.send(COMMANDS.verifyPin(pin));
  if (answer.sw === SW.OK) {
    context.emit({ event: 'pin-verified' });
    return 'verified';
  }
  if (answer.sw === SW.REFERENCE_DATA_NOT_USABLE) {
    context.emit({ event: 'pin-not-registered' });
    await pause(context, SCREENS.noPin, context.messageMs);
    return 'not-registered';
  }
  const triesLeft = triesLeftFrom(answer.sw);
  if (answer.sw === SW.AUTHENTICATION_METHOD_BLOCKED || triesLeft === 0) {
    context.emit({ event: 'card-blocked', by: 'card', step: 'pin' });
    throw new SessionStop(['Card blocked', 'Too many wrong PINs'], 'PIN blocked on the card');
  }
  if (triesLeft === null) throw new UnexpectedStatusError('VERIFY PIN', answer.sw);
  context.emit({ event: 'wrong-entry', step: 'pin', triesLeft });
  await pause(context, SCREENS.wrong('PIN', triesLeft), context.messageMs);
  return 'wrong';
}

const NUMBER_RULE = Object.freeze({ min: 3, max: 16 });

/** [0015]: "the number can be dialled", the call, then (Nt, D, V) into the terminal's memory. */
export async function giveService(context: SessionContext, card: AcceptedCard): Promise<readonly [string, string]> {
  if (!context.usage.hasSpace()) {
    // Records the centre has not collected yet must never be overwritten.
    context.emit({ event: 'service-refused', reason: 'usage journal full: upload to the centre pending' });
    throw new SessionStop(['Out of service', 'Records not uploaded'], 'usage journal full');
  }
  const dialled = await readEntry(context, { screen: SCREENS.dial, minDigits: NUMBER_RULE.min, maxDigits: NUMBER_RULE.max, masked: false });
  if (dialled.kind !== 'digits') return ['Thank you', ''];
  const number = dialled.digits;

  const tariff = context.config.tariff;
  const startedAt = context.clock.now();
  context.emit({ event: 'service-started', number });
  let cardRemoved = false;
  // The screen shows the running fee, refreshed once per tariff unit.
  for (;;) {
    const elapsedMs = context.clock.now() - startedAt;
    const seconds = Math.floor(elapsedMs / 1000);
    context.display.show(SCREENS.inCall(number, elapsedText(seconds), `${feeFor(tariff, elapsedMs)} ${tariff.currency}`));
    const unitMs = tariff.unitSeconds * 1000;
    const input = await context.inputs.next(unitMs - (elapsedMs % unitMs));
    if (input.kind === 'removed') {
      cardRemoved = true; // the call ends with the card; it is still charged
      break;
    }
    if (input.kind === 'key' && input.key === 'END') break;
  }
  const durationMs = context.clock.now() - startedAt;
  const durationSeconds = Math.ceil(durationMs / 1000);
  const fee = feeFor(tariff, durationMs);
  context.emit({ event: 'service-ended', durationSeconds, fee, currency: tariff.currency });
  const sequence = context.usage.append({
    registrationNumber: card.data.registrationNumber,
    cardNumber: card.data.cardNumber,
    startedAt,
    fee,
    serviceCode: SERVICE.METERED_CALL,
    durationSeconds,
    dialled: number,
  });
  context.emit({ event: 'record-written', sequence, registrationNumber: card.data.registrationNumber, fee });
  if (cardRemoved) throw new CardRemovedError('card removed during the call');
  return [`Fee ${fee} ${tariff.currency}`, 'Thank you'];
}

/** The PIN screen: a PIN for the service, or REGISTER to set or change the PIN ([0011]). */
export async function readPinOrRegister(context: SessionContext): Promise<Entry> {
  const rule = DIGIT_RULES.pin;
  return readEntry(context, { screen: SCREENS.enterPin, minDigits: rule.min, maxDigits: rule.max, masked: true, allowRegister: true });
}
