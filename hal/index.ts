// Everything the terminal firmware needs from its board.
import type { Clock } from './clock.js';
import type { Display } from './display.js';
import type { Flash } from './flash.js';
import type { Keypad } from './keypad.js';
import type { Modem } from './modem.js';
import type { Random } from './random.js';
import type { CardReader } from './reader.js';

export interface TerminalHal {
  readonly reader: CardReader;
  readonly keypad: Keypad;
  readonly display: Display;
  readonly clock: Clock;
  readonly random: Random;
  /** The usage journal's partition. */
  readonly flash: Flash;
  /** The hotlist's partition (firmware/hotlist); without it the terminal checks the config's list. */
  readonly hotlistFlash?: Flash;
  readonly modem?: Modem;
}
