// A simulated keypad: the simulator's keyboard or a script presses its keys.
import type { Key, Keypad } from '../keypad.js';

export class SimKeypad implements Keypad {
  onKey: ((key: Key) => void) | null = null;

  press(key: Key): void {
    this.onKey?.(key);
  }
}
