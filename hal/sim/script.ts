// Scripted sessions: one event a line, replayed on a TerminalRig, so tests and people can
// replay a session and diff its output.
//   insert NAME        put the card called NAME in the slot
//   remove             take the card out
//   keys 1234 ENTER    press keys (digits, ENTER, CLEAR, REGISTER, END)
//   wait 30            let 30 seconds pass
//   records, cards     list the usage journal or the cards (answered by the simulator, not the rig)
//   upload             the service key's upload to the centre, batch after batch (the simulator's)
//   bill [YYYY-MM]     the centre's monthly bill (default: this month at the terminal's clock)
//   power-cut          the power fails at once and comes back: nothing is shut down, the journal is
//                      reopened from flash (an open call is closed as cut short), the card is out
//   # text             a comment
import type { CardDevice } from './card-slot.js';
import { keysOf, type TerminalRig } from './rig.js';

export class ScriptError extends Error {
  override name = 'ScriptError';
  /** What is wrong, without the line number (for a person typing one command at a time). */
  readonly reason: string;
  constructor(readonly line: number, reason: string) {
    super(`script line ${line}: ${reason}`);
    this.reason = reason;
  }
}

/** The verbs a script line may start with. */
export const SCRIPT_VERBS = Object.freeze(['insert', 'remove', 'keys', 'wait', 'records', 'cards', 'upload', 'bill', 'power-cut'] as const);

/** Steps that only look at the simulation, leaving the terminal alone. */
export type ReportKind = 'records' | 'cards';

/** Steps the simulator carries out around the terminal (its centre, its power supply). */
export type SimulatorKind = 'upload' | 'power-cut';

/** A bill month as YYYY-MM. */
const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

export type ScriptStep =
  | { readonly line: number; readonly text: string; readonly kind: 'insert'; readonly card: string }
  | { readonly line: number; readonly text: string; readonly kind: 'remove' }
  | { readonly line: number; readonly text: string; readonly kind: 'keys'; readonly keys: readonly string[] }
  | { readonly line: number; readonly text: string; readonly kind: 'wait'; readonly seconds: number }
  | { readonly line: number; readonly text: string; readonly kind: ReportKind }
  | { readonly line: number; readonly text: string; readonly kind: SimulatorKind }
  /** month null: the month of the terminal's clock. */
  | { readonly line: number; readonly text: string; readonly kind: 'bill'; readonly month: string | null };

/** Parses the whole script first, so a typo on line 40 is reported before line 1 runs. */
export function parseScript(source: string): ScriptStep[] {
  const steps: ScriptStep[] = [];
  source.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const text = raw.trim();
    if (text === '' || text.startsWith('#')) return;
    const [command, ...args] = text.split(/\s+/);
    switch (command!.toLowerCase()) {
      case 'insert':
        if (args.length !== 1) throw new ScriptError(line, 'insert takes one card name');
        steps.push({ line, text, kind: 'insert', card: args[0]! });
        break;
      case 'remove':
        if (args.length !== 0) throw new ScriptError(line, 'remove takes no arguments');
        steps.push({ line, text, kind: 'remove' });
        break;
      case 'keys':
        if (args.length === 0) throw new ScriptError(line, 'keys needs at least one key');
        try {
          keysOf(args);
        } catch (error) {
          throw new ScriptError(line, (error as Error).message);
        }
        steps.push({ line, text, kind: 'keys', keys: args });
        break;
      case 'wait': {
        const seconds = Number(args[0]);
        if (args.length !== 1 || !Number.isFinite(seconds) || seconds < 0) throw new ScriptError(line, 'wait takes a number of seconds');
        steps.push({ line, text, kind: 'wait', seconds });
        break;
      }
      case 'records':
      case 'cards': {
        const kind = command!.toLowerCase() as ReportKind;
        if (args.length !== 0) throw new ScriptError(line, `${kind} takes no arguments`);
        steps.push({ line, text, kind });
        break;
      }
      case 'upload':
      case 'power-cut': {
        const kind = command!.toLowerCase() as SimulatorKind;
        if (args.length !== 0) throw new ScriptError(line, `${kind} takes no arguments`);
        steps.push({ line, text, kind });
        break;
      }
      case 'bill':
        if (args.length > 1 || (args.length === 1 && !MONTH.test(args[0]!))) throw new ScriptError(line, 'bill takes a month as YYYY-MM, or nothing for this month');
        steps.push({ line, text, kind: 'bill', month: args[0] ?? null });
        break;
      default:
        throw new ScriptError(line, `unknown command "${command}" (${SCRIPT_VERBS.join(', ')})`);
    }
  });
  return steps;
}

/**
 * Checks that every `insert` names one of `cards`, so a script with a wrong name stops before its
 * first line runs rather than halfway through a session.
 */
export function checkCardNames(steps: readonly ScriptStep[], cards: readonly string[]): void {
  for (const step of steps) {
    if (step.kind === 'insert' && !cards.includes(step.card)) {
      throw new ScriptError(step.line, `no card called "${step.card}" (${cards.length === 0 ? 'there are no cards' : `cards: ${cards.join(', ')}`})`);
    }
  }
}

/**
 * Runs the steps; `cards` finds a card by the name the script uses. `records` and `cards` steps
 * are the simulator's to answer (the rig has no card list), so they are refused here.
 */
export async function runScript(
  rig: TerminalRig,
  steps: readonly ScriptStep[],
  cards: (name: string) => CardDevice | undefined,
  onStep: (step: ScriptStep) => void = () => {},
): Promise<void> {
  for (const step of steps) {
    onStep(step);
    switch (step.kind) {
      case 'insert': {
        const card = cards(step.card);
        if (!card) throw new ScriptError(step.line, `no card called "${step.card}"`);
        if (rig.slot.cardPresent) throw new ScriptError(step.line, `the slot already holds "${rig.slot.card!.label}": remove it first`);
        await rig.insert(card);
        break;
      }
      case 'remove':
        if (!rig.slot.cardPresent) throw new ScriptError(step.line, 'there is no card to remove');
        await rig.remove();
        break;
      case 'keys':
        await rig.press(...step.keys);
        break;
      case 'wait':
        await rig.wait(step.seconds);
        break;
      case 'records':
      case 'cards':
      case 'upload':
      case 'bill':
      case 'power-cut':
        throw new ScriptError(step.line, `${step.kind} needs the simulator (npm start -- --script FILE)`);
    }
  }
}
