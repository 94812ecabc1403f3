// A simulated 20×4 character LCD: keeps the current frame and reports each new one.
import { frame, LCD_COLUMNS, LCD_ROWS, sameFrame, type Display } from '../display.js';

export class SimLcd implements Display {
  readonly columns = LCD_COLUMNS;
  readonly rows = LCD_ROWS;
  onFrame: ((lines: readonly string[]) => void) | null = null;
  #lines: string[] = frame([]);

  show(lines: readonly string[]): void {
    const next = frame(lines, this.columns, this.rows);
    if (sameFrame(next, this.#lines)) return;
    this.#lines = next;
    this.onFrame?.(next);
  }

  get lines(): readonly string[] {
    return this.#lines;
  }

  /** The screen drawn as a box, the way the console simulator shows it. */
  render(): string {
    const edge = `+${'-'.repeat(this.columns)}+`;
    return [edge, ...this.#lines.map((line) => `|${line}|`), edge].join('\n');
  }
}
