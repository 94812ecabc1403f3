// Service use (fig. 5, [0014]-[0015]): the PIN goes to the card, which answers with the second
// authentication notice; the terminal then gives a metered call and records (Nt, D, V).
import { UnexpectedStatusError } from '../protocol/apdu.js';
import { COMMANDS } from '../protocol/commands.js';
import { DIGIT_RULES } from '../protocol/digits.js';
import { SW, triesLeftFrom } from '../protocol/status-words.js';
import { CardRemovedError } from '../../hal/reader.js';
import { feeFor, unitsFor } from './config.js';
import { pause, readEntry, TerminalShutdown, type Entry } from './prompt.js';
import { elapsedText, SCREENS } from './screens.js';
import { localTimeText } from '../protocol/dates.js';
import type { PinState } from './insertion.js';
import { SessionStop, type AcceptedCard, type EjectMessage, type SessionContext } from './session.js';
import { SERVICE } from './usage-store.js';

export type PinOutcome = 'verified' | 'wrong' | 'not-registered' | 'blocked';

/**
 * Fig. 5: Nc' to the card; the card compares it with Nc and counts the tries ([0014]). The
 * third wrong PIN blocks the PIN, not the card: 'blocked' sends the person to the PIN-blocked
 * screen, where the setting number can still set a new one. Throws UnexpectedStatusError for an
 * answer that is none of 9000, 63Cx, 6983, 6984.
 */
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
    context.emit({ event: 'pin-blocked' });
    await pause(context, SCREENS.wrongPinBlocked, context.messageMs);
    return 'blocked';
  }
  if (triesLeft === null) throw new UnexpectedStatusError('VERIFY PIN', answer.sw);
  context.emit({ event: 'wrong-entry', step: 'pin', triesLeft });
  await pause(context, SCREENS.wrong('PIN', triesLeft), context.messageMs);
  return 'wrong';
}

const NUMBER_RULE = Object.freeze({ min: 3, max: 16 });

/**
 * The in-call screen's next refresh, ms after the start: the next whole second, or the next
 * tariff unit boundary if that comes first (a unit need not be whole seconds).
 */
function nextRefreshMs(elapsedMs: number, unitMs: number): number {
  const nextSecond = (Math.floor(elapsedMs / 1000) + 1) * 1000;
  const nextUnit = (Math.floor(elapsedMs / unitMs) + 1) * unitMs;
  return Math.min(nextSecond, nextUnit);
}

/**
 * [0015]: "the number can be dialled", the call, then (Nt, D, V) into the terminal's memory. The
 * record is opened in the journal before the call connects and advanced at every tariff unit, so
 * a power cut bills the units the call had (at most the unit in progress is lost). The screen
 * shows the elapsed time (m:ss), refreshed every second, and the fee hanging up now would bill:
 * the fee of a call one millisecond longer than the elapsed time, which is constant until the
 * next refresh because refreshes fall on every unit boundary. Ends with END, the card leaving
 * (still billed, then CardRemovedError), a shutdown (billed, then TerminalShutdown) or a journal
 * with no room to count further units (billed, "Call limit reached"): every call that started is
 * recorded.
 */
export async function giveService(context: SessionContext, card: AcceptedCard): Promise<EjectMessage> {
  if (!context.usage.hasSpace()) {
    // Records the centre has not collected yet must never be overwritten.
    context.emit({ event: 'service-refused', reason: 'usage journal full: upload to the centre pending' });
    throw new SessionStop(['Out of service', 'Records not uploaded'], 'usage journal full');
  }
  const dialled = await readEntry(context, { screen: SCREENS.dial, minDigits: NUMBER_RULE.min, maxDigits: NUMBER_RULE.max, masked: false });
  if (dialled.kind !== 'digits') return ['Thank you', ''];
  const number = dialled.digits;

  const tariff = context.config.tariff;
  const unitMs = tariff.unitSeconds * 1000;
  const { registrationNumber, cardNumber } = card.data;
  const startedAt = context.clock.now();
  context.usage.openCall({ registrationNumber, cardNumber, startedAt, serviceCode: SERVICE.METERED_CALL, dialled: number, tariff });
  context.emit({ event: 'service-started', number });
  let endedBy: 'end' | 'card-removed' | 'shutdown' | 'journal-full' = 'end';
  let fee = -1;
  let feeText = '';
  for (;;) {
    const elapsedMs = context.clock.now() - startedAt;
    if (!context.usage.advanceCall(unitsFor(tariff, elapsedMs))) {
      endedBy = 'journal-full';
      break;
    }
    const feeNow = feeFor(tariff, elapsedMs + 1);
    if (feeNow !== fee) { // once per tariff unit, not every second
      fee = feeNow;
      feeText = `${fee} ${tariff.currency}`;
    }
    context.display.show(SCREENS.inCall(number, elapsedText(Math.floor(elapsedMs / 1000)), feeText));
    const input = await context.inputs.next(nextRefreshMs(elapsedMs, unitMs) - elapsedMs);
    if (input.kind === 'removed') {
      endedBy = 'card-removed'; // the call ends with the card; it is still charged
      break;
    }
    if (input.kind === 'shutdown') {
      endedBy = 'shutdown';
      break;
    }
    if (input.kind === 'key' && input.key === 'END') break;
  }
  const durationMs = context.clock.now() - startedAt;
  const records = context.usage.closeCall(durationMs);
  fee = records.reduce((sum, record) => sum + record.fee, 0);
  context.emit({ event: 'service-ended', durationSeconds: Math.ceil(durationMs / 1000), fee, currency: tariff.currency, endedBy });
  for (const record of records) {
    context.emit({ event: 'record-written', sequence: record.sequence, registrationNumber, fee: record.fee, localTime: localTimeText(record.startedAt, context.config.utcOffsetMinutes) });
  }
  if (endedBy === 'card-removed') throw new CardRemovedError('card removed during the call');
  if (endedBy === 'shutdown') throw new TerminalShutdown();
  return [`Fee ${fee} ${tariff.currency}`, endedBy === 'journal-full' ? 'Call limit reached' : 'Thank you'];
}

/**
 * The PIN screen: a PIN for the service, or REGISTER to set or change the PIN ([0011]). A card
 * whose PIN is blocked offers REGISTER and END only: the setting number can still set a new PIN.
 */
export async function readPinOrRegister(context: SessionContext, pin: PinState): Promise<Entry> {
  const rule = DIGIT_RULES.pin;
  if (pin === 'blocked') {
    for (;;) {
      const entry = await readEntry(context, { screen: () => SCREENS.pinBlocked, minDigits: 0, maxDigits: 0, masked: true, allowRegister: true });
      if (entry.kind !== 'digits') return entry;
    }
  }
  return readEntry(context, { screen: (entry) => SCREENS.enterPin(entry, pin === 'set'), minDigits: rule.min, maxDigits: rule.max, masked: true, allowRegister: true });
}
