// The terminal's keypad (patent fig. 2, operation input 13): a 4×4 membrane matrix on eight GPIOs.
// Rows are open-drain outputs (ESP32 GPIO "OD" mode), columns inputs with the internal pull-ups
// (ESP32 datasheet §4.1.1, ~45 kΩ). A closed key joins its row to its column, so a column reads 0
// while its key is down and its row is driven low. Open drain matters: two keys down in one
// column would short a high row to a low one through the keys with push-pull rows.
//
// Idle: all rows low, columns watched for a falling edge, no timer running. A key wakes the
// scanner, which walks the rows every `scanMs` until every key has been seen up for `debounceMs`,
// then goes back to idle. Each key is debounced on its own (a change counts only after it has
// been seen unchanged for `debounceMs`), so a bouncing contact gives one press, a held key one
// press (no auto-repeat), and a second key pressed while the first is still down is still seen.
// Ghosting: with three keys down on the corners of a rectangle the fourth corner reads as down
// too (no diodes on a membrane keypad); such a key press is reported like any other.
import type Digital from 'embedded:io/digital';
import type { Clock } from '../clock.js';
import type { Key, Keypad } from '../keypad.js';

/** Legend letters of the board's layout (moddable.json wiring.keypad.layout) to HAL keys; '*' and '#' have none. */
const LEGEND: Readonly<Record<string, Key | null>> = Object.freeze({
  '0': '0', '1': '1', '2': '2', '3': '3', '4': '4', '5': '5', '6': '6', '7': '7', '8': '8', '9': '9',
  R: 'REGISTER',
  C: 'CLEAR',
  E: 'ENTER',
  N: 'END',
  '*': null,
  '#': null,
});

/** Default timing, ms: membrane keys bounce for up to ~5 ms; 20 ms stable is a common debounce. */
const Timing = Object.freeze({ SCAN: 5, DEBOUNCE: 20 } as const);

export interface KeypadMatrixOptions {
  /** ECMA-419 Digital class and the row and column pins, in layout order. */
  readonly keypad: {
    readonly io: typeof Digital;
    readonly rows: readonly number[];
    readonly columns: readonly number[];
  };
  /** One string per row, one legend letter per column: "123R", "456C", "789E", "*0#N". */
  readonly layout: readonly string[];
  readonly clock: Clock;
  /** Scan period while a key is down, ms. */
  readonly scanMs?: number;
  /** How long a key must stay down (or up) before the change counts, ms. */
  readonly debounceMs?: number;
}

interface KeyState {
  readonly key: Key | null;
  /** The debounced state. */
  down: boolean;
  /** Consecutive scans that saw the key differ from `down`. */
  differing: number;
}

export class KeypadMatrix implements Keypad {
  onKey: ((key: Key) => void) | null = null;
  readonly #rows: Digital[];
  readonly #columns: Digital[];
  readonly #keys: KeyState[][];
  readonly #clock: Clock;
  readonly #scanMs: number;
  readonly #scansToSettle: number;
  #scanning = false;
  #closed = false;

  constructor(options: KeypadMatrixOptions) {
    const { io: DigitalClass, rows, columns } = options.keypad;
    if (options.layout.length !== rows.length || options.layout.some((legend) => legend.length !== columns.length)) {
      throw new RangeError(`keypad layout must be ${rows.length} rows of ${columns.length} legends`);
    }
    this.#keys = options.layout.map((legend) => Array.from(legend, (letter) => {
      if (!(letter in LEGEND)) throw new RangeError(`keypad legend "${letter}" is not a known key`);
      return { key: LEGEND[letter] ?? null, down: false, differing: 0 };
    }));
    this.#clock = options.clock;
    this.#scanMs = options.scanMs ?? Timing.SCAN;
    this.#scansToSettle = Math.max(1, Math.ceil((options.debounceMs ?? Timing.DEBOUNCE) / this.#scanMs));
    this.#rows = rows.map((pin) => new DigitalClass({ pin, mode: DigitalClass.OutputOpenDrain }));
    this.#columns = columns.map((pin) => new DigitalClass({
      pin,
      mode: DigitalClass.InputPullUp,
      edge: DigitalClass.Falling,
      onReadable: () => this.#wake(),
    }));
    this.#idle();
  }

  close(): void {
    this.#closed = true;
    for (const io of [...this.#rows, ...this.#columns]) io.close();
  }

  /** All rows low: any key pulls its column down and wakes the scanner. */
  #idle(): void {
    for (const row of this.#rows) row.write(0);
    // a key that went down between the last scan and now made no edge we could see
    if (this.#columns.some((column) => column.read() === 0)) this.#wake();
  }

  #wake(): void {
    if (this.#scanning || this.#closed) return;
    this.#scanning = true;
    this.#clock.setTimer(this.#scanMs, () => this.#scan());
  }

  #scan(): void {
    if (this.#closed) return;
    const pressed: Key[] = [];
    let busy = false;
    this.#rows.forEach((row, r) => {
      for (const other of this.#rows) other.write(other === row ? 0 : 1);
      this.#columns.forEach((column, c) => {
        const state = this.#keys[r]![c]!;
        const down = column.read() === 0;
        if (down === state.down) {
          state.differing = 0;
        } else if (++state.differing >= this.#scansToSettle) {
          state.down = down;
          state.differing = 0;
          if (down && state.key) pressed.push(state.key);
        }
        if (state.down || state.differing > 0) busy = true;
      });
    });
    for (const row of this.#rows) row.write(1);
    if (busy) {
      this.#clock.setTimer(this.#scanMs, () => this.#scan());
    } else {
      this.#scanning = false;
      this.#idle();
    }
    for (const key of pressed) this.onKey?.(key);
  }
}
