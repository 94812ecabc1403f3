// The IC card terminal (claim 2): waits for a card, checks it offline, runs the PIN screen,
// registration (fig. 4) or service (fig. 5), and gives the card back.
import { ApduError, UnexpectedStatusError } from '../protocol/apdu.js';
import { toHex } from '../protocol/bytes.js';
import type { TerminalHal } from '../../hal/index.js';
import { CardMuteError, CardRemovedError } from '../../hal/reader.js';
import { CardLink } from './card-link.js';
import type { TerminalConfig } from './config.js';
import type { EventSink, TerminalEvent } from './events.js';
import { blockHotlistedCard } from './block-card.js';
import { checkInsertedCard } from './insertion.js';
import { InputQueue } from './inputs.js';
import { decodeTerminalKeys, type TerminalKeys } from './keys.js';
import { PromptTimeout, TerminalShutdown } from './prompt.js';
import { authenticateCard } from './mutual-auth.js';
import { openSecureChannel } from './secure-session.js';
import { SecureMessagingError } from '../secure-channel/secure-messaging.js';
import { registerPin } from './registration.js';
import { refusal, SCREENS } from './screens.js';
import { giveService, readPinOrRegister, verifyPin } from './service.js';
import { SessionStop, type AcceptedCard, type CardVisit, type EjectMessage, type SessionContext } from './session.js';
import type { UsageStore } from './usage-store.js';
import type { HotlistLookup } from '../hotlist/store.js';

export interface TerminalOptions {
  /** How long a prompt waits for a key before the card is given back. */
  readonly keypadTimeoutMs?: number;
  /** How long a message (wrong PIN, PIN registered) stays before the next prompt. */
  readonly messageMs?: number;
  readonly onEvent?: EventSink;
  /** Told whenever the terminal waits for the person or the card (the device may sleep then). */
  readonly onWaiting?: () => void;
  /** Work for the time nobody is at the terminal (the daily upload): see IdleWork. */
  readonly idleWork?: IdleWork;
  /** The hotlist in flash (firmware/hotlist); without it, insertion checks the config's list. */
  readonly hotlist?: HotlistLookup;
  /** The config's keys already decoded (decodeTerminalKeys), when the caller needs them too: decoded once at boot. */
  readonly keys?: TerminalKeys;
}

/**
 * Work the terminal does only while it is idle: no card in the slot, the idle screen shown.
 * After `intervalMs` of quiet it calls run() and waits for it; a card inserted meanwhile is
 * served once run() returns, so run() must be one bounded step (a few seconds at most). A step
 * that throws is reported as an `idle-work-failed` event and tried again after the next interval.
 */
export interface IdleWork {
  /** Quiet time before each step, ms. */
  readonly intervalMs: number;
  run(): Promise<void>;
  /**
   * The service key (REGISTER at the idle screen, no card in): the work is asked for now
   * (UploadWork: an upload at once). Without it the key does nothing at the idle screen.
   */
  demand?(): void;
}

/** The key that is the service key at the idle screen (REGISTER has no meaning there otherwise). */
export const SERVICE_KEY = 'REGISTER';

export const DEFAULT_KEYPAD_TIMEOUT_MS = 30_000;
export const DEFAULT_MESSAGE_MS = 3_000;

export class Terminal {
  #hal: TerminalHal;
  #inputs: InputQueue;
  #context: SessionContext;
  #emit: EventSink;
  #step = 'idle';
  #idleWork: IdleWork | null;
  #hotlist: HotlistLookup | null;

  constructor(hal: TerminalHal, config: TerminalConfig, usage: UsageStore, options: TerminalOptions = {}) {
    this.#hal = hal;
    this.#inputs = new InputQueue(hal.reader, hal.keypad, hal.clock, options.onWaiting ?? null);
    this.#idleWork = options.idleWork ?? null;
    this.#hotlist = options.hotlist ?? null;
    const sink = options.onEvent ?? (() => {});
    this.#emit = (event: TerminalEvent) => sink(event);
    this.#context = {
      link: new CardLink(hal.reader),
      inputs: this.#inputs,
      display: hal.display, // Display.show() pads and cuts to its frame itself: no second copy per redraw
      clock: hal.clock,
      random: hal.random,
      config,
      keys: options.keys ?? decodeTerminalKeys(config), // once at start-up, not per card
      usage,
      emit: this.#emit,
      keypadTimeoutMs: options.keypadTimeoutMs ?? DEFAULT_KEYPAD_TIMEOUT_MS,
      messageMs: options.messageMs ?? DEFAULT_MESSAGE_MS,
    };
  }

  /** APDUs and bytes exchanged with cards since start-up. */
  get lineLog() {
    return this.#context.link.log;
  }

  /**
   * One card session after another, until shutdown(): then the session under way ends (a call
   * is hung up and recorded first), the card is powered off, and run() resolves.
   */
  async run(): Promise<void> {
    while (!this.#inputs.shuttingDown) {
      this.#step = 'idle';
      this.#context.display.show(this.#idleScreen());
      while (!this.#hal.reader.cardPresent) {
        const input = await this.#inputs.next(this.#idleWork?.intervalMs ?? null);
        if (input.kind === 'inserted' || input.kind === 'shutdown') break;
        if (input.kind === 'timeout') await this.#runIdleWork();
        if (input.kind === 'key' && input.key === SERVICE_KEY && this.#idleWork?.demand) await this.#serviceKey();
      }
      if (this.#inputs.shuttingDown) break;
      if (!this.#hal.reader.cardPresent) continue;
      const cardStillIn = await this.#session();
      if (cardStillIn) await this.#waitForRemoval();
    }
    this.#emit({ event: 'shutdown' });
  }

  /**
   * Asks the terminal to stop (power going down, the simulator quitting). What is under way ends
   * as safely as it can: a call is billed and recorded, a prompt is cancelled, the card is
   * powered off. run() resolves once that is done.
   */
  shutdown(): void {
    this.#inputs.shutdown();
  }

  /** One card from insertion to ejection; false when the card was pulled out on the way. */
  async #session(): Promise<boolean> {
    this.#emit({ event: 'card-inserted' });
    let message: EjectMessage;
    try {
      message = await this.#checkAndServe();
    } catch (error) {
      if (error instanceof CardRemovedError) {
        this.#emit({ event: 'card-removed', during: this.#step });
        return false;
      }
      if (error instanceof PromptTimeout) {
        this.#emit({ event: 'timeout', during: this.#step });
        message = ['Timed out', ''];
      } else if (error instanceof TerminalShutdown) {
        message = ['Out of service', ''];
      } else if (error instanceof SessionStop) {
        message = error.lines;
      } else if (error instanceof ApduError || error instanceof CardMuteError || error instanceof UnexpectedStatusError || error instanceof SecureMessagingError) {
        this.#emit({ event: 'card-error', during: this.#step, detail: (error as Error).message });
        message = ['Card error', 'Please try again'];
      } else {
        throw error;
      }
    }
    try {
      await this.#hal.reader.powerOff();
      await this.#hal.reader.eject();
    } catch (error) {
      if (!(error instanceof CardRemovedError)) throw error;
    }
    this.#emit({ event: 'eject', reason: message.join(' ').trim() });
    this.#context.display.show(SCREENS.takeCard(message[0], message[1], message[2]));
    return this.#hal.reader.cardPresent;
  }

  async #checkAndServe(): Promise<EjectMessage> {
    this.#step = 'insertion';
    if (this.#hal.clock.valid === false) {
      this.#emit({ event: 'card-rejected', reason: 'clock-not-set', detail: 'the terminal clock lost the time: no expiry date can be checked until an upload sets it' });
      return refusal('clock-not-set');
    }
    this.#context.display.show(SCREENS.reading);
    const result = await checkInsertedCard(this.#context.link, this.#context.config, this.#context.keys, this.#hal.clock.now(), this.#hotlist);
    if (!result.ok) {
      this.#emit({ event: 'card-rejected', reason: result.reason, detail: result.detail });
      if (result.reason === 'hotlisted') {
        this.#step = 'block';
        return blockHotlistedCard(this.#context, result.card);
      }
      return refusal(result.reason);
    }
    const card: AcceptedCard = { data: result.card, cardNumberHex: toHex(result.card.cardNumber) };
    // [0021]: the encrypted channel before anything secret (Ns, PIN, R, X) crosses the contacts.
    await openSecureChannel(this.#context, card);
    const visit: CardVisit = { card, pin: result.pin, wrongRegistrationNumbers: 0 };
    this.#emit({
      event: 'card-accepted', registrationNumber: card.data.registrationNumber, cardNumber: card.cardNumberHex, expiry: card.data.expiry,
      pinRegistered: result.pin !== 'none', pinBlocked: result.pin === 'blocked',
    });
    for (;;) {
      this.#step = 'pin';
      const entry = await readPinOrRegister(this.#context, visit.pin);
      if (entry.kind === 'end') return ['Thank you', ''];
      if (entry.kind === 'register') {
        this.#step = 'registration';
        await registerPin(this.#context, visit);
        continue;
      }
      const outcome = await verifyPin(this.#context, entry.digits);
      if (outcome === 'blocked') visit.pin = 'blocked';
      if (outcome === 'not-registered') visit.pin = 'none';
      if (outcome !== 'verified') continue;
      // Fig. 7, [0018]: the card proves it holds its card key before any service is given.
      await authenticateCard(this.#context, card, 'service');
      this.#step = 'service';
      return giveService(this.#context, card);
    }
  }

  /** The service key: the idle work asked for and run at once, its screen shown meanwhile. */
  async #serviceKey(): Promise<void> {
    this.#emit({ event: 'service-key' });
    this.#idleWork!.demand!();
    this.#context.display.show(SCREENS.uploading);
    await this.#runIdleWork();
    this.#context.display.show(this.#idleScreen());
  }

  #idleScreen(): readonly string[] {
    return this.#hal.clock.valid === false ? SCREENS.idleClockNotSet : SCREENS.idle;
  }

  async #runIdleWork(): Promise<void> {
    this.#step = 'idle-work';
    try {
      await this.#idleWork!.run();
    } catch (error) {
      this.#emit({ event: 'idle-work-failed', detail: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
    }
    this.#step = 'idle';
  }

  async #waitForRemoval(): Promise<void> {
    this.#step = 'eject';
    while (this.#hal.reader.cardPresent) {
      const input = await this.#inputs.next(null);
      if (input.kind === 'removed' || input.kind === 'shutdown') break;
    }
  }
}
