// Where the terminal keeps usage records (patent [0015]: Nt, date D, fee V) until the centre
// has them. The journal on NOR flash implements this on the device and in the simulator.
import type { UsageRecord } from '../journal/record.js';
import type { Tariff } from './config.js';

export interface UsageEntry {
  readonly registrationNumber: string; // Nt
  readonly cardNumber: Uint8Array; // IDU
  readonly startedAt: number; // D, ms since epoch UTC
  readonly fee: number; // V
  readonly serviceCode: number;
  readonly durationSeconds: number;
  readonly dialled: string;
}

/** What is known when a call starts: the record's fields but its duration and fee. */
export interface CallStart {
  readonly registrationNumber: string; // Nt
  readonly cardNumber: Uint8Array; // IDU
  readonly startedAt: number; // D, ms since epoch UTC
  readonly serviceCode: number;
  readonly dialled: string;
  /** Kept with the record, so a call the power cuts short is billed as feeFor would have. */
  readonly tariff: Pick<Tariff, 'connectionFee' | 'unitFee' | 'unitSeconds'>;
}

/**
 * A call's record lives from the call's start: opened before it connects, advanced as tariff
 * units start, closed when it ends. Whatever ends the call (a hang-up, the card pulled, the
 * power), it is billed once.
 */
export interface UsageStore {
  /** False when the store is full of records the centre has not acknowledged yet. */
  hasSpace(): boolean;
  /** Writes the record of a call that starts now, durably; returns its sequence number. */
  openCall(start: CallStart): number;
  /**
   * The open call has started `units` tariff units in all: kept durably from now on. False when
   * the store has no room to count more: the call must end (closeCall still records it whole).
   */
  advanceCall(units: number): boolean;
  /** The open call ended after `durationMs`: returns its records, final, with duration and fee V. */
  closeCall(durationMs: number): readonly UsageRecord[];
}

export const SERVICE = Object.freeze({ METERED_CALL: 1 } as const);
