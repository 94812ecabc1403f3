/// <reference types="node" />
// What the project's command-line tools (issuer, center) share: a command picked by its name,
// "<command> --help", options parsed strictly (node:util parseArgs) with the parse errors
// shortened to the one thing to fix, and the count of positional arguments checked.
import { parseArgs } from 'node:util';

/** A mistake in the command line; the message is the whole story. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export type Values = Readonly<Record<string, string | boolean | string[] | undefined>>;

export interface CommandSpec {
  readonly help: string;
  readonly options: NonNullable<Parameters<typeof parseArgs>[0]>['options'];
  /** Positional arguments taken (default none); `max` absent: any number from `min`. */
  readonly positionals?: { readonly min: number; readonly max?: number; readonly names: string };
}

/** node:util's parse errors, shortened to the one thing to fix. */
export function argumentProblem(message: string): string {
  const missing = /^Option '(-[\w-]+)(?: <value>)?' argument (?:missing|is ambiguous)/.exec(message);
  if (missing) return `${missing[1]} needs a value`;
  const unknown = /^Unknown option '([^']+)'/.exec(message);
  if (unknown) return `unknown option ${unknown[1]}`;
  return message.split('\n')[0]!;
}

/** Either the exit status (help printed, or an unknown command reported) or the command to run with its arguments. */
export type Dispatch<C> =
  | { readonly status: number }
  | { readonly command: C; readonly values: Values; readonly positionals: readonly string[] };

/**
 * Picks the command `argv[0]` names and parses the rest. Prints `mainHelp` (or a command's help)
 * with `print`; reports an unknown command with `warn` (status 2). Throws UsageError for options
 * or positional arguments that do not fit the command.
 */
export function dispatch<C extends CommandSpec>(argv: readonly string[], program: string, commands: Readonly<Record<string, C>>, mainHelp: string, print: (text: string) => void, warn: (line: string) => void): Dispatch<C> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    const command = topic === undefined ? undefined : commands[topic];
    print(command ? command.help : mainHelp);
    return { status: 0 };
  }
  const command = commands[name];
  if (!command) {
    warn(`${program}: unknown command "${name}" (${Object.keys(commands).join(', ')}; --help lists them)`);
    return { status: 2 };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: [...rest], options: { ...command.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(argumentProblem((error as Error).message));
  }
  if (parsed.values.help === true) {
    print(command.help);
    return { status: 0 };
  }
  const limits = command.positionals ?? { min: 0, max: 0, names: '' };
  const max = limits.max ?? Infinity;
  if (parsed.positionals.length < limits.min) throw new UsageError(`${limits.names} is required`);
  if (parsed.positionals.length > max) throw new UsageError(`unexpected argument "${parsed.positionals[max]}"`);
  return { command, values: parsed.values as Values, positionals: parsed.positionals };
}
