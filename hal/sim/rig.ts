// A terminal on the bench: the real firmware with simulated slot, keypad, LCD, clock and
// random source. Each action waits until the terminal is idle again, so a test or a script
// reads like a person at the terminal, and runs the same on Node and on XS.
import type { TerminalConfig } from '../../firmware/terminal/config.js';
import type { TerminalEvent } from '../../firmware/terminal/events.js';
import { Terminal, type TerminalOptions } from '../../firmware/terminal/terminal.js';
import type { UsageStore } from '../../firmware/terminal/usage-store.js';
import type { Flash } from '../flash.js';
import { isDecimalDigits } from '../../firmware/protocol/digits.js';
import { isKey, type Key } from '../keypad.js';
import type { CardReader } from '../reader.js';
import type { CardDevice } from './card-slot.js';
import { SimCardSlot } from './card-slot.js';
import { VirtualClock } from './clock.js';
import { SimKeypad } from './keypad.js';
import { SimLcd } from './lcd.js';
import { SeededRandom } from './random.js';

export type RigOutput =
  | { readonly kind: 'lcd'; readonly at: number; readonly lines: readonly string[] }
  | { readonly kind: 'event'; readonly at: number; readonly event: TerminalEvent };

export interface RigOptions {
  readonly config: TerminalConfig;
  readonly usage: UsageStore;
  readonly flash: Flash;
  /** Wall-clock start, ms since epoch UTC (after a power cut: where the clock had got to). */
  readonly startTime: number;
  /** false: the clock lost the time (a DS3231 with OSF set) until something sets it. Default true. */
  readonly clockValid?: boolean;
  readonly seed?: string;
  readonly terminal?: Omit<TerminalOptions, 'onEvent' | 'onWaiting'>;
  readonly onOutput?: (output: RigOutput) => void;
  /** A real reader (e.g. PC/SC) instead of the simulated slot; cards then come and go through it. */
  readonly reader?: CardReader;
  /** Or a reader built over the rig's own slot (e.g. SimLineReader: the slot's cards over a byte line). */
  readonly readerOverSlot?: (slot: SimCardSlot) => CardReader;
}

export class TerminalRig {
  readonly slot = new SimCardSlot();
  readonly keypad = new SimKeypad();
  readonly lcd = new SimLcd();
  readonly clock: VirtualClock;
  readonly random: SeededRandom;
  readonly events: TerminalEvent[] = [];
  readonly terminal: Terminal;
  #idle = false;
  #wake: (() => void) | null = null;
  #failure: unknown = null;
  #started = false;
  #running: Promise<void> | null = null;
  #onOutput: ((output: RigOutput) => void) | null;

  constructor(options: RigOptions) {
    this.clock = new VirtualClock(options.startTime, { valid: options.clockValid ?? true });
    this.random = new SeededRandom(options.seed ?? 'terminal-rig');
    this.#onOutput = options.onOutput ?? null;
    this.lcd.onFrame = (lines) => this.#onOutput?.({ kind: 'lcd', at: this.clock.now(), lines });
    this.terminal = new Terminal(
      { reader: options.reader ?? options.readerOverSlot?.(this.slot) ?? this.slot, keypad: this.keypad, display: this.lcd, clock: this.clock, random: this.random, flash: options.flash },
      options.config,
      options.usage,
      {
        ...options.terminal,
        onEvent: (event) => this.report(event),
        onWaiting: () => {
          this.#idle = true;
          this.#release();
        },
      },
    );
  }

  /** Starts the firmware's main loop and waits for the idle screen. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.#running = this.terminal.run().catch((error: unknown) => {
      this.#failure = error;
      this.#release();
    });
    await this.#untilIdle();
  }

  /**
   * Switches the terminal off as a power-down would ask it to (Terminal.shutdown): a call under
   * way is billed and recorded, the card is powered off; resolves when the firmware has stopped.
   */
  async shutdown(): Promise<void> {
    if (!this.#running) return;
    this.terminal.shutdown();
    await this.#running;
    if (this.#failure) throw this.#failure;
  }

  async insert(card: CardDevice): Promise<void> {
    await this.#act(() => this.slot.insert(card));
  }

  async remove(): Promise<CardDevice> {
    let card: CardDevice | null = null;
    await this.#act(() => {
      card = this.slot.remove();
    });
    return card!;
  }

  /** Waits for something outside the rig (a real reader's card-detect), then for the terminal to be idle. */
  async settle(happening: Promise<void>): Promise<void> {
    if (!this.#started) throw new Error('start() the rig first');
    this.#idle = false;
    await happening;
    await this.#untilIdle();
  }

  /** Presses keys in order; "1234" presses four digit keys, "ENTER" one function key. */
  async press(...tokens: string[]): Promise<void> {
    // An index loop and one promise per key (the terminal's next wait): the device bench charges
    // what the rig does here to the terminal, and a person pressing keys costs the device nothing.
    const keys = keysOf(tokens);
    const keypad = this.keypad;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      await this.#act(() => keypad.press(key));
    }
  }

  /** Lets `seconds` pass, firing the terminal's timers on the way. */
  async wait(seconds: number): Promise<void> {
    const target = this.clock.now() + Math.round(seconds * 1000);
    for (;;) {
      this.#idle = false;
      if (!this.clock.fireNext(target)) {
        this.#idle = true;
        break;
      }
      await this.#untilIdle();
    }
    this.clock.moveTo(target);
  }

  /** Reports an event of work the terminal hands out (the upload's idle work) as the terminal's own. */
  report(event: TerminalEvent): void {
    this.events.push(event);
    this.#onOutput?.({ kind: 'event', at: this.clock.now(), event });
  }

  /** Events of one kind so far, newest last. */
  eventsOf<K extends TerminalEvent['event']>(kind: K): Extract<TerminalEvent, { event: K }>[] {
    return this.events.filter((event): event is Extract<TerminalEvent, { event: K }> => event.event === kind);
  }

  get screen(): string {
    return this.lcd.lines.join('\n');
  }

  #act(action: () => void): Promise<void> {
    if (!this.#started) return Promise.reject(new Error('start() the rig first'));
    this.#idle = false;
    action();
    return this.#untilIdle();
  }

  #release(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  #untilIdle(): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#idle) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#wake = () => (this.#failure ? reject(this.#failure) : resolve());
    });
  }
}

/** Splits "1234 ENTER" style tokens into keys; throws on anything that is not a key. */
export function keysOf(tokens: readonly string[]): Key[] {
  // Index loops and charAt, no string iterator: the device flows press keys through here.
  const keys: Key[] = [];
  for (let t = 0; t < tokens.length; t++) {
    const token = tokens[t]!;
    const length = token.length;
    if (length !== 0 && isDecimalDigits(token)) {
      for (let i = 0; i < length; i++) keys.push(token.charAt(i) as Key);
      continue;
    }
    const upper = token.toUpperCase();
    if (isKey(upper)) keys.push(upper);
    else throw new RangeError(`"${token}" is not a key (digits, ENTER, CLEAR, REGISTER, END)`);
  }
  return keys;
}
