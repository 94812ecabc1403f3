// Clock HAL: wall-clock time (battery-backed RTC on the board) and one-shot timers.

export type TimerHandle = unknown;

export interface Clock {
  /** Whole milliseconds since the Unix epoch, UTC (records store it as an integer). */
  now(): number;
  /** Calls back once after `ms` milliseconds. */
  setTimer(ms: number, callback: () => void): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}
