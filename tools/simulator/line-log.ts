/// <reference types="node" />
// The simulator's line log (`npm start -- --line-log FILE`): what a protocol analyser on the card's
// I/O contact would show, one line per run of characters, so a person can read the ATR, PPS and
// T=1 blocks of a session and see for themselves what crosses the contacts in clear.
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Direction, LineWiretap } from '../../hal/sim/card-line.js';

/** What each direction is called in the log: T the terminal, C the card. */
const ARROW: Readonly<Record<Direction, string>> = Object.freeze({ 'to-card': 'T>C', 'to-terminal': 'C>T' });

const HEADER = [
  '# Line log of the simulated card contacts (ISO 7816-3), written by the terminal simulator.',
  '# Each line: the terminal clock (UTC), the line clock (s since the line was made), who sent',
  '# (T>C terminal to card, C>T card to terminal) and the characters as sent, in hex.',
].join('\n');

export interface LineLog extends LineWiretap {
  close(): void;
}

/**
 * Opens `path` (truncated) and returns the wiretap that writes to it. Each line is written at once
 * (a simulator killed mid-session leaves the log up to its last character). `now` gives the
 * terminal clock in ms since the epoch. Throws the file system's error when `path` cannot be opened.
 */
export function openLineLog(path: string, now: () => number): LineLog {
  const fd = openSync(path, 'w', 0o600);
  const write = (text: string) => writeSync(fd, `${text}\n`);
  const stamp = (atSeconds: number) => `${new Date(now()).toISOString()}  ${atSeconds.toFixed(6).padStart(12)}`;
  write(HEADER);
  return {
    characters(direction, bytes, atSeconds) {
      const hex = Array.from(bytes, (byte) => byte.toString(16).toUpperCase().padStart(2, '0')).join(' ');
      write(`${stamp(atSeconds)}  ${ARROW[direction]}  ${hex}`);
    },
    power(on, atSeconds) {
      write(`${stamp(atSeconds)}  ${on ? 'power on (reset)' : 'power off'}`);
    },
    close() {
      closeSync(fd);
    },
  };
}
