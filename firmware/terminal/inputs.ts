// One queue for everything the terminal waits on: keys, card insertion and removal, timeouts,
// and the request to shut down. The flows await `next()`, so a card pulled out while a prompt is
// shown ends the prompt at once.
import type { Clock } from '../../hal/clock.js';
import type { Key, Keypad } from '../../hal/keypad.js';
import type { CardReader } from '../../hal/reader.js';

export type Input =
  | { readonly kind: 'key'; readonly key: Key }
  | { readonly kind: 'inserted' }
  | { readonly kind: 'removed' }
  | { readonly kind: 'timeout' }
  /** The terminal is being switched off: every wait ends with this from now on. */
  | { readonly kind: 'shutdown' };

export class InputQueue {
  #queue: Input[] = [];
  #waiter: ((input: Input) => void) | null = null;
  #clock: Clock;
  #onWaiting: (() => void) | null;
  #shuttingDown = false;

  /** `onWaiting` is told each time the terminal has nothing to do (the device may sleep then). */
  constructor(reader: CardReader, keypad: Keypad, clock: Clock, onWaiting: (() => void) | null = null) {
    this.#clock = clock;
    this.#onWaiting = onWaiting;
    keypad.onKey = (key) => this.#push({ kind: 'key', key });
    reader.onInserted = () => this.#push({ kind: 'inserted' });
    reader.onRemoved = () => this.#push({ kind: 'removed' });
  }

  #push(input: Input): void {
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = null;
      waiter(input);
    } else {
      this.#queue.push(input);
    }
  }

  /** True once shutdown() was called. */
  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /**
   * Asks the flows to finish: the wait in progress and every later one answer `shutdown` at
   * once, so a call in progress is hung up and recorded and a prompt is cancelled.
   */
  shutdown(): void {
    if (this.#shuttingDown) return;
    this.#shuttingDown = true;
    const waiter = this.#waiter;
    this.#waiter = null;
    waiter?.({ kind: 'shutdown' });
  }

  /** The next input, or a timeout after `timeoutMs` (null: wait for ever); `shutdown` once asked. */
  next(timeoutMs: number | null): Promise<Input> {
    if (this.#shuttingDown) return Promise.resolve({ kind: 'shutdown' });
    const queued = this.#queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise<Input>((resolve) => {
      const timer = timeoutMs === null ? null : this.#clock.setTimer(timeoutMs, () => {
        this.#waiter = null;
        resolve({ kind: 'timeout' });
      });
      this.#waiter = (input) => {
        if (timer !== null) this.#clock.clearTimer(timer);
        resolve(input);
      };
      this.#onWaiting?.();
    });
  }

  /** Puts an input back at the head of the queue, for a screen that only peeks at the next key. */
  putBack(input: Input): void {
    if (input.kind === 'shutdown') return; // sticky: next() answers it anyway
    this.#queue.unshift(input);
  }
}
