// Digit entry on the keypad: digits, CLEAR to start over, ENTER to accept, END to cancel,
// REGISTER where the screen offers it. A PIN or setting number is shown as asterisks.
import type { Display } from '../../hal/display.js';
import { CardRemovedError } from '../../hal/reader.js';
import type { EventSink } from './events.js';
import type { InputQueue } from './inputs.js';
import { SCREENS } from './screens.js';

export class PromptTimeout extends Error {
  override name = 'PromptTimeout';
}

/** The terminal is being switched off (InputQueue.shutdown): the session ends where it is. */
export class TerminalShutdown extends Error {
  override name = 'TerminalShutdown';
  constructor() {
    super('the terminal is shutting down');
  }
}

/** How long "too short" stays on the LCD before the empty entry comes back, ms. */
export const TOO_SHORT_MESSAGE_MS = 2_000;

export type Entry =
  | { readonly kind: 'digits'; readonly digits: string }
  | { readonly kind: 'register' }
  | { readonly kind: 'end' };

export interface PromptOptions {
  readonly screen: (entry: string) => readonly string[];
  readonly maxDigits: number;
  readonly minDigits: number;
  readonly masked: boolean;
  readonly allowRegister?: boolean;
}

export interface PromptContext {
  readonly inputs: InputQueue;
  readonly display: Display;
  readonly keypadTimeoutMs: number;
  readonly emit?: EventSink;
}

/**
 * Reads one entry of `minDigits`..`maxDigits` digits. ENTER on a shorter entry shows "too short"
 * for TOO_SHORT_MESSAGE_MS and starts the entry again from nothing: a short entry never reaches
 * the card, so it costs no try, and its digits never prefix the next attempt. Digits past
 * `maxDigits` are ignored. Throws CardRemovedError when the card leaves, PromptTimeout when nobody
 * types for `keypadTimeoutMs`, TerminalShutdown when the terminal is switched off.
 */
export async function readEntry(context: PromptContext, options: PromptOptions): Promise<Entry> {
  let digits = '';
  for (;;) {
    context.display.show(options.screen(options.masked ? '*'.repeat(digits.length) : digits));
    const input = await context.inputs.next(context.keypadTimeoutMs);
    if (input.kind === 'removed') throw new CardRemovedError();
    if (input.kind === 'timeout') throw new PromptTimeout('no key pressed');
    if (input.kind === 'shutdown') throw new TerminalShutdown();
    if (input.kind !== 'key') continue;
    const key = input.key;
    if (key === 'END') return { kind: 'end' };
    if (key === 'REGISTER' && options.allowRegister) return { kind: 'register' };
    if (key === 'CLEAR') digits = '';
    else if (key === 'ENTER') {
      if (digits.length >= options.minDigits) return { kind: 'digits', digits };
      context.emit?.({ event: 'entry-too-short', digits: digits.length, minDigits: options.minDigits });
      digits = '';
      await pause(context, SCREENS.tooShort(options.minDigits), TOO_SHORT_MESSAGE_MS);
    } else if (key.length === 1 && digits.length < options.maxDigits) digits += key;
  }
}

/**
 * Shows a message for a few seconds. A key pressed meanwhile ends the message early and is kept
 * for the next prompt; the card leaving ends it too.
 */
export async function pause(context: PromptContext, lines: readonly string[], ms: number): Promise<void> {
  context.display.show(lines);
  const input = await context.inputs.next(ms);
  if (input.kind === 'removed') throw new CardRemovedError();
  if (input.kind === 'shutdown') throw new TerminalShutdown();
  if (input.kind === 'key') context.inputs.putBack(input);
}
