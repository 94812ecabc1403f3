// Display HAL: a character LCD (patent fig. 2, display 14), 20 columns by 4 rows.

export const LCD_COLUMNS = 20;
export const LCD_ROWS = 4;

export interface Display {
  readonly columns: number;
  readonly rows: number;
  /** Replaces the whole screen; lines longer than `columns` are cut, missing lines are blank. */
  show(lines: readonly string[]): void;
}

/** A blank LCD line, to pad from: one slice instead of padEnd's work. */
const BLANK = ' '.repeat(LCD_COLUMNS);

/**
 * Pads or cuts to exactly rows × columns, so every display shows the same frame. A line that
 * already fits is kept as it is: XS boxes a string primitive for each method called on it, so
 * each redraw (one per key press) should call as few as it can.
 */
export function frame(lines: readonly string[], columns = LCD_COLUMNS, rows = LCD_ROWS): string[] {
  const out = new Array<string>(rows);
  for (let row = 0; row < rows; row++) {
    const line = lines[row] ?? '';
    const length = line.length;
    if (length === columns) out[row] = line;
    else if (length > columns) out[row] = line.slice(0, columns);
    else if (columns <= LCD_COLUMNS) out[row] = line + BLANK.slice(0, columns - length);
    else out[row] = line.padEnd(columns, ' ');
  }
  return out;
}

/** Whether two frames of the same size show the same text. */
export function sameFrame(a: readonly string[], b: readonly string[]): boolean {
  for (let row = 0; row < a.length; row++) if (a[row] !== b[row]) return false;
  return true;
}
