// PIN registration and change (fig. 4, [0011]-[0013]): Nt checked by the terminal, Ns by the
// card, the new PIN entered twice, signed by the terminal (ST) and sent with its certificate CT.
import { UnexpectedStatusError } from '../protocol/apdu.js';
import { COMMANDS } from '../protocol/commands.js';
import { encodeRegisterPin, pinMessage } from '../protocol/data-objects.js';
import { DIGIT_RULES } from '../protocol/digits.js';
import { SW, triesLeftFrom } from '../protocol/status-words.js';
import { blockCard } from './block-card.js';
import { pause, readEntry } from './prompt.js';
import { BLOCKED, SCREENS } from './screens.js';
import { authenticateCard } from './mutual-auth.js';
import { SessionStop, TRY_LIMIT, type CardVisit, type SessionContext } from './session.js';

export type RegistrationOutcome = 'registered' | 'cancelled';

/**
 * Fig. 4 step 1: Nt typed by the person, compared with the card's Nt in the terminal. Misses
 * count over the whole insertion (`visit`), not per REGISTER press; a right number does not
 * reset them, since the card keeps no count of its own.
 */
async function confirmRegistrationNumber(context: SessionContext, visit: CardVisit): Promise<boolean> {
  const rule = DIGIT_RULES.registrationNumber;
  const card = visit.card;
  while (visit.wrongRegistrationNumbers < TRY_LIMIT) {
    const entry = await readEntry(context, { screen: SCREENS.registrationNumber, minDigits: rule.min, maxDigits: rule.max, masked: false });
    if (entry.kind !== 'digits') return false;
    if (entry.digits === card.data.registrationNumber) return true; // Nt is not secret: the card sent it
    const triesLeft = TRY_LIMIT - ++visit.wrongRegistrationNumbers;
    context.emit({ event: 'wrong-entry', step: 'registration-number', triesLeft });
    if (triesLeft > 0) await pause(context, SCREENS.wrong('number', triesLeft), context.messageMs);
  }
  // [0013]: three wrong numbers mean misuse; the card is marked unusable.
  await blockCard(context, card.data.cardNumber);
  context.emit({ event: 'card-blocked', by: 'terminal', step: 'registration-number' });
  throw new SessionStop(BLOCKED['registration-number'], 'blocked after three wrong registration numbers');
}

/** Fig. 4 step 2: Ns' sent to the card, which compares it with Ns ([0012]). */
async function verifySettingNumber(context: SessionContext): Promise<boolean> {
  const rule = DIGIT_RULES.settingNumber;
  for (;;) {
    const entry = await readEntry(context, { screen: SCREENS.settingNumber, minDigits: rule.min, maxDigits: rule.max, masked: true });
    if (entry.kind !== 'digits') return false;
    const answer = await context.link.send(COMMANDS.verifySettingNumber(entry.digits));
    if (answer.sw === SW.OK) return true; // first authentication notice
    if (answer.sw === SW.AUTHENTICATION_METHOD_BLOCKED) {
      context.emit({ event: 'card-blocked', by: 'card', step: 'setting-number' });
      throw new SessionStop(BLOCKED['setting-number'], 'the card blocked itself after wrong setting numbers');
    }
    const triesLeft = triesLeftFrom(answer.sw);
    if (triesLeft === null) throw new UnexpectedStatusError('VERIFY setting number', answer.sw);
    context.emit({ event: 'wrong-entry', step: 'setting-number', triesLeft });
    if (triesLeft === 0) {
      context.emit({ event: 'card-blocked', by: 'card', step: 'setting-number' });
      throw new SessionStop(BLOCKED['setting-number'], 'the card blocked itself after wrong setting numbers');
    }
    await pause(context, SCREENS.wrong('setting no.', triesLeft), context.messageMs);
  }
}

/** Fig. 4 step 3: the new PIN, twice, so a slip of the finger does not lock the person out. */
async function chooseNewPin(context: SessionContext): Promise<string | null> {
  const rule = DIGIT_RULES.pin;
  for (;;) {
    const first = await readEntry(context, { screen: SCREENS.newPin, minDigits: rule.min, maxDigits: rule.max, masked: true });
    if (first.kind !== 'digits') return null;
    const second = await readEntry(context, { screen: SCREENS.repeatPin, minDigits: rule.min, maxDigits: rule.max, masked: true });
    if (second.kind !== 'digits') return null;
    if (first.digits === second.digits) return first.digits;
    await pause(context, SCREENS.pinsDiffer, context.messageMs);
  }
}

/**
 * Fig. 4 from the REGISTER key to the card's answer. `visit.pin` says whether this sets a first
 * PIN, changes one, or replaces a blocked one (the card restores the PIN's tries); it becomes
 * 'set' on success. Returns 'cancelled' on END; throws SessionStop when the card is blocked or
 * refuses the new PIN, CardRemovedError / PromptTimeout / TerminalShutdown as readEntry does.
 */
export async function registerPin(context: SessionContext, visit: CardVisit): Promise<RegistrationOutcome> {
  const card = visit.card;
  const change = visit.pin !== 'none';
  if (!(await confirmRegistrationNumber(context, visit))) return 'cancelled';
  if (!(await verifySettingNumber(context))) return 'cancelled';
  const pin = await chooseNewPin(context);
  if (pin === null) return 'cancelled';

  context.display.show(SCREENS.wait);
  // Fig. 6, [0016]-[0017]: with mutual authentication, R and X (SU checked) go inside ST(R ‖ X ‖ Nc).
  const authentication = await authenticateCard(context, card, 'registration');
  // [0012]: ST(Nc) made with the terminal key pT, qT; sent with nT inside the certificate CT.
  const signature = context.keys.sign(pinMessage(card.data.cardNumber, pin, authentication ?? undefined));
  const answer = await context.link.send(COMMANDS.registerPin(encodeRegisterPin({ pin, certificate: context.config.certificate, signature, ...(authentication ?? {}) })));
  if (answer.sw !== SW.OK) {
    throw new SessionStop(['PIN not registered', answer.sw === SW.WRONG_DATA ? 'Terminal not trusted' : 'Card refused'], `REGISTER PIN answered ${answer.sw.toString(16)}`);
  }
  context.emit({ event: 'pin-registered', change });
  visit.pin = 'set';
  await pause(context, SCREENS.registered(change), context.messageMs);
  return 'registered';
}
