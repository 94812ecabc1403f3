// The terminal's character port: a CardLine seen in logical bytes. It applies the convention the
// ATR announced (§8.1) so T=0, T=1 and PPS code never see inverse-convention characters.
import { LINE, type CardLine, type LineRun } from '../../hal/card-line.js';
import { encodeFor, invertByte, type Convention } from './convention.js';

export class CharacterPort {
  readonly line: CardLine;
  convention: Convention = 'direct';

  constructor(line: CardLine) {
    this.line = line;
  }

  send(bytes: Uint8Array): Promise<void> {
    return this.line.send(encodeFor(this.convention, bytes));
  }

  // Not async: in direct convention the line's own promise is handed on, so each wait resumes
  // one frame fewer (an async frame is saved to the heap at every await in XS).

  /** A logical byte (| LINE.PARITY_ERROR when flagged), or LINE.TIMEOUT. */
  receive(timeoutEtu: number): Promise<number> {
    const raw = this.line.receive(timeoutEtu);
    if (this.convention === 'direct') return raw;
    return raw.then((character) => (character === LINE.TIMEOUT ? character : invertByte(character & 0xff) | (character & LINE.PARITY_ERROR)));
  }

  /**
   * Up to `count` logical bytes as one run (CardLine.receiveRun): the first within
   * `firstTimeoutEtu` etu, each next within `gapTimeoutEtu` etu of the one before; `parityErrors`
   * the indices of the flagged ones, `timedOut` when the run stopped short.
   */
  receiveRun(count: number, firstTimeoutEtu: number, gapTimeoutEtu: number): Promise<LineRun> {
    const run = this.line.receiveRun(count, firstTimeoutEtu, gapTimeoutEtu);
    if (this.convention === 'direct') return run;
    return run.then(invertRun);
  }

  /** Characters from the card arrived and not yet taken (CardLine.available). */
  available(): number {
    return this.line.available();
  }

  /** Reads and discards until the line has been quiet for `quietEtu`; returns how many were dropped. */
  async drain(quietEtu: number): Promise<number> {
    let dropped = 0;
    while ((await this.line.receive(quietEtu)) !== LINE.TIMEOUT) dropped++;
    return dropped;
  }
}

/** A run read in inverse convention, converted in place (its bytes are the caller's own copy). */
function invertRun(run: LineRun): LineRun {
  const chars = run.chars;
  for (let i = 0; i < chars.length; i++) chars[i] = invertByte(chars[i]!);
  return run;
}
