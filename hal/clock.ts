// Clock HAL: wall-clock time (battery-backed RTC on the board) and one-shot timers.

export type TimerHandle = unknown;

export interface Clock {
  /** Whole milliseconds since the Unix epoch, UTC (records store it as an integer). */
  now(): number;
  /** Calls back once after `ms` milliseconds. */
  setTimer(ms: number, callback: () => void): TimerHandle;
  clearTimer(handle: TimerHandle): void;
  /**
   * False while the wall time is not known (an RTC that lost it, a board never set): the terminal
   * then serves no one, since it cannot check an expiry date ([0020]). Absent: always known.
   */
  readonly valid?: boolean;
  /** Sets the wall time (the centre's signed time, upload answers); makes `valid` true. */
  set?(ms: number): void;
}
