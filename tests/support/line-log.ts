// Reading the simulator's line log (npm start -- --line-log FILE, tools/simulator/line-log.ts) in
// tests: the characters each card session put on the contacts, both ways, as hex text.
import { readFileSync } from 'node:fs';

/** One card session of a line log: from a power on to the next, each run of characters as "00 A4 ...". */
export interface LoggedSession {
  readonly toCard: readonly string[];
  readonly toTerminal: readonly string[];
}

/** The sessions of the log at `path`, in order. Throws on a line that is none of the logged kinds. */
export function readLineLog(path: string): LoggedSession[] {
  const sessions: Array<{ toCard: string[]; toTerminal: string[] }> = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^\S+Z +\d+\.\d{6}  (power on \(reset\)|power off|T>C  ([0-9A-F ]+)|C>T  ([0-9A-F ]+))$/.exec(line);
    if (!match) throw new Error(`not a line-log line: ${line}`);
    if (match[1] === 'power on (reset)') sessions.push({ toCard: [], toTerminal: [] });
    else if (match[2] !== undefined) sessions[sessions.length - 1]!.toCard.push(match[2]);
    else if (match[3] !== undefined) sessions[sessions.length - 1]!.toTerminal.push(match[3]);
  }
  return sessions;
}

/** Text as the hex its ASCII bytes show in the log: "9753" → "39 37 35 33". */
export function asciiHex(text: string): string {
  return Array.from(text, (char) => char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')).join(' ');
}

/** Whether any run of characters in `runs` holds `hex` (runs are whole T=1 blocks or T=0 pieces). */
export function logHolds(runs: readonly string[], hex: string): boolean {
  return runs.some((run) => run.includes(hex));
}
