// A virtual clock: time moves only when the simulation says so (`wait 30` in a script), so
// timeouts and call durations are exact and tests never depend on the speed of the machine.
import type { Clock, TimerHandle } from '../clock.js';

interface Timer {
  readonly id: number;
  readonly due: number;
  readonly callback: () => void;
}

export class VirtualClock implements Clock {
  #now: number;
  #timers: Timer[] = [];
  #nextId = 1;
  #valid: boolean;

  /** `valid: false`: a clock that lost the time (as a DS3231 with OSF set) until set(). */
  constructor(startMs: number, options: { readonly valid?: boolean } = {}) {
    this.#now = startMs;
    this.#valid = options.valid ?? true;
  }

  now(): number {
    return this.#now;
  }

  get valid(): boolean {
    return this.#valid;
  }

  /** The wall time from now on is `ms` (forward or back; timers keep their due times); valid from now on. */
  set(ms: number): void {
    this.#now = ms;
    this.#valid = true;
  }

  // Kept in firing order (due, then id) by an ordered insert and a splice, without sort() or
  // filter() and their closures: on the device a timer is the SDK's native Timer, so the
  // simulated clock should cost the terminal's flows as little as it can.
  setTimer(ms: number, callback: () => void): TimerHandle {
    const timer = { id: this.#nextId++, due: this.#now + (ms > 0 ? ms : 0), callback };
    const timers = this.#timers;
    let at = timers.length;
    while (at > 0 && timers[at - 1]!.due > timer.due) at--; // ids grow: a new timer goes after those due with it
    if (at === timers.length) timers.push(timer);
    else timers.splice(at, 0, timer);
    return timer.id;
  }

  clearTimer(handle: TimerHandle): void {
    const timers = this.#timers;
    for (let i = 0; i < timers.length; i++) {
      if (timers[i]!.id === handle) {
        timers.splice(i, 1);
        return;
      }
    }
  }

  /** The time the next timer fires, or null when none is set. */
  get nextDue(): number | null {
    return this.#timers[0]?.due ?? null;
  }

  /** Fires the earliest timer due at or before `limit`, moving time to it; false when none is. */
  fireNext(limit: number): boolean {
    const next = this.#timers[0];
    if (!next || next.due > limit) return false;
    this.#timers.shift();
    this.#now = Math.max(this.#now, next.due);
    next.callback();
    return true;
  }

  /** Moves time forward (never back) without firing anything; call fireNext first. */
  moveTo(target: number): void {
    this.#now = Math.max(this.#now, target);
  }
}
