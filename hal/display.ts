// Display HAL: a character LCD (patent fig. 2, display 14), 20 columns by 4 rows.

export const LCD_COLUMNS = 20;
export const LCD_ROWS = 4;

export interface Display {
  readonly columns: number;
  readonly rows: number;
  /** Replaces the whole screen; lines longer than `columns` are cut, missing lines are blank. */
  show(lines: readonly string[]): void;
}

/** Pads or cuts to exactly rows × columns, so every display shows the same frame. */
export function frame(lines: readonly string[], columns = LCD_COLUMNS, rows = LCD_ROWS): string[] {
  const out: string[] = [];
  for (let row = 0; row < rows; row++) out.push((lines[row] ?? '').slice(0, columns).padEnd(columns, ' '));
  return out;
}
