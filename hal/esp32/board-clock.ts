// The Clock HAL on the board: wall time from the DS3231 (read once at start, then carried on by
// the CPU's millisecond ticks, so now() costs no bus transfer) and one-shot timers from
// Moddable's `timer` module. Moddable's `time` module gives the ticks (Time.ticks, ms, monotonic).
import type { Clock, TimerHandle } from '../clock.js';

/** The part of Moddable's `timer` module the clock uses (Timer.set / Timer.clear). */
export interface TimerService<T> {
  set(callback: () => void, interval: number): T;
  clear(timer: T): void;
}

/** What the clock needs of the RTC: the time in ms since the epoch, settable, and whether it is kept. */
export interface RealTimeClock {
  time: number;
  readonly valid: boolean;
}

export interface BoardClockOptions<T> {
  readonly rtc: RealTimeClock;
  readonly timer: TimerService<T>;
  /** Monotonic milliseconds (Moddable: () => Time.ticks). */
  readonly ticks: () => number;
  /** Where time starts when the RTC lost it (OSF set): ms since the epoch, e.g. the firmware's build date. */
  readonly fallbackMs: number;
}

export class BoardClock<T> implements Clock {
  readonly #rtc: RealTimeClock;
  readonly #timer: TimerService<T>;
  readonly #ticks: () => number;
  #base: number;
  #baseTicks: number;
  #valid: boolean;

  constructor(options: BoardClockOptions<T>) {
    this.#rtc = options.rtc;
    this.#timer = options.timer;
    this.#ticks = options.ticks;
    this.#valid = this.#rtc.valid;
    this.#base = this.#valid ? this.#rtc.time : options.fallbackMs;
    this.#baseTicks = this.#ticks();
  }

  /** False until set() when the RTC had lost the time: expiry checks should not trust now(). */
  get valid(): boolean {
    return this.#valid;
  }

  /** Whole ms: a tick source may count fractions (the HAL promises integers). */
  now(): number {
    return Math.floor(this.#base + (this.#ticks() - this.#baseTicks));
  }

  /** Sets the wall time (from the centre's signed answer) in the RTC and here. */
  set(ms: number): void {
    this.#rtc.time = ms;
    this.#base = ms;
    this.#baseTicks = this.#ticks();
    this.#valid = true;
  }

  setTimer(ms: number, callback: () => void): TimerHandle {
    return this.#timer.set(callback, Math.max(0, ms));
  }

  clearTimer(handle: TimerHandle): void {
    this.#timer.clear(handle as T);
  }
}
