// Keypad HAL: a telephone keypad with function keys (patent fig. 2, operation input 13).

export const KEYS = Object.freeze(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'ENTER', 'CLEAR', 'REGISTER', 'END'] as const);

export type Key = (typeof KEYS)[number];

export function isKey(name: string): name is Key {
  return (KEYS as readonly string[]).includes(name);
}

export interface Keypad {
  /** Called once per key press. Set by the terminal. */
  onKey: ((key: Key) => void) | null;
}
