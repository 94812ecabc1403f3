// Model of a 4×4 membrane keypad for the twin board: one contact per key between its row net and
// its column net. The firmware drives the rows and reads the columns (with pull-ups); the model
// only closes and opens contacts, on the virtual clock. A press bounces: for `bounceMs` after it
// goes down (and again after it is let go) the contact chatters open and closed at irregular
// intervals of 0.3..1.5 ms from a seeded generator, so runs are repeatable.
import type { BoardSwitch, TwinBoard } from './board.js';

export interface KeypadMatrixTwinOptions {
  readonly rows: readonly number[];
  readonly columns: readonly number[];
  /** One string per row, one legend per column (moddable.json wiring.keypad.layout). */
  readonly layout: readonly string[];
  /** Seed of the bounce pattern. */
  readonly seed?: number;
}

export interface PressOptions {
  /** How long the key is held down, ms (from the first contact to the start of the release). */
  readonly holdMs: number;
  /** How long the contact chatters on press and on release, ms; 0 for a clean contact. */
  readonly bounceMs?: number;
  /** Delay before the key goes down, ms from now. */
  readonly afterMs?: number;
}

export class KeypadMatrixTwin {
  readonly #board: TwinBoard;
  readonly #switches = new Map<string, BoardSwitch>();
  #seed: number;

  constructor(board: TwinBoard, options: KeypadMatrixTwinOptions) {
    this.#board = board;
    this.#seed = options.seed ?? 0x2545f491;
    options.layout.forEach((legends, r) => {
      Array.from(legends).forEach((legend, c) => {
        this.#switches.set(legend, board.switch(options.rows[r]!, options.columns[c]!));
      });
    });
  }

  /** Whether the key's contact is closed right now. */
  closed(legend: string): boolean {
    return this.#contact(legend).closed;
  }

  /** Schedules one press of the key with the legend `legend` ("1", "E", ...). */
  press(legend: string, options: PressOptions): void {
    const contact = this.#contact(legend);
    const clock = this.#board.clock;
    const start = options.afterMs ?? 0;
    const bounce = options.bounceMs ?? 0;
    const at = (delay: number, closed: boolean) => clock.setTimer(delay, () => (contact.closed = closed));
    const chatter = (from: number, settled: boolean) => {
      let t = from;
      let closed = !settled;
      while (t < from + bounce) {
        closed = !closed;
        at(t, closed);
        t += 0.3 + this.#random() * 1.2;
      }
      at(from + bounce, settled);
    };
    chatter(start, true);
    chatter(start + options.holdMs, false);
  }

  #contact(legend: string): BoardSwitch {
    const contact = this.#switches.get(legend);
    if (!contact) throw new RangeError(`no key "${legend}" on the keypad`);
    return contact;
  }

  /** xorshift32 in [0, 1). */
  #random(): number {
    let x = this.#seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#seed = x >>> 0;
    return this.#seed / 0x1_0000_0000;
  }
}
