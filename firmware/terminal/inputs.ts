// One queue for everything the terminal waits on: keys, card insertion and removal, timeouts,
// and the request to shut down. The flows await `next()`, so a card pulled out while a prompt is
// shown ends the prompt at once.
import type { Clock, TimerHandle } from '../../hal/clock.js';
import type { Key, Keypad } from '../../hal/keypad.js';
import type { CardReader } from '../../hal/reader.js';

export type Input =
  | { readonly kind: 'key'; readonly key: Key }
  | { readonly kind: 'inserted' }
  | { readonly kind: 'removed' }
  | { readonly kind: 'timeout' }
  /** The terminal is being switched off: every wait ends with this from now on. */
  | { readonly kind: 'shutdown' };

const TIMEOUT: Input = Object.freeze({ kind: 'timeout' });
const SHUTDOWN: Input = Object.freeze({ kind: 'shutdown' });

export class InputQueue {
  #queue: Input[] = [];
  /** The pending next()'s resolve and its timeout's timer: one wait at a time, no closures per wait. */
  #waiter: ((input: Input) => void) | null = null;
  #timer: TimerHandle | null = null;
  readonly #onTimeout = (): void => {
    this.#timer = null;
    this.#take()?.(TIMEOUT);
  };
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
    const waiter = this.#take();
    if (waiter) waiter(input);
    else this.#queue.push(input);
  }

  /** The pending wait's resolve, its timer stopped; null when nothing waits. */
  #take(): ((input: Input) => void) | null {
    const waiter = this.#waiter;
    this.#waiter = null;
    if (this.#timer !== null) {
      this.#clock.clearTimer(this.#timer);
      this.#timer = null;
    }
    return waiter;
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
    this.#take()?.(SHUTDOWN);
  }

  /** The next input, or a timeout after `timeoutMs` (null: wait for ever); `shutdown` once asked. */
  next(timeoutMs: number | null): Promise<Input> {
    if (this.#shuttingDown) return Promise.resolve(SHUTDOWN);
    const queued = this.#queue.shift();
    if (queued) return Promise.resolve(queued);
    this.#take(); // a wait still pending is superseded (the flows wait for one input at a time)
    return new Promise<Input>((resolve) => {
      this.#timer = timeoutMs === null ? null : this.#clock.setTimer(timeoutMs, this.#onTimeout);
      this.#waiter = resolve;
      this.#onWaiting?.();
    });
  }

  /** Puts an input back at the head of the queue, for a screen that only peeks at the next key. */
  putBack(input: Input): void {
    if (input.kind === 'shutdown') return; // sticky: next() answers it anyway
    this.#queue.unshift(input);
  }
}
