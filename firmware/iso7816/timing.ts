// Transmission parameters and waiting times (ISO/IEC 7816-3 §7.1, §8.3, §10.2, §11.4.3). Time on
// the line is counted in etu of the current rate; these helpers turn the ATR integers into etu.
import type { LineSettings } from '../../hal/card-line.js';
import type { Convention } from './convention.js';

/** Table 7: Fi and fmax (MHz) by the high nibble of TA1; null where RFU. */
export const FI_TABLE: readonly (readonly [number, number] | null)[] = Object.freeze([
  [372, 4], [372, 5], [558, 6], [744, 8], [1116, 12], [1488, 16], [1860, 20], null,
  null, [512, 5], [768, 7.5], [1024, 10], [1536, 15], [2048, 20], null, null,
].map((entry) => (entry ? Object.freeze(entry as [number, number]) : null)));

/** Table 8: Di by the low nibble of TA1; null where RFU. */
export const DI_TABLE: readonly (number | null)[] = Object.freeze([null, 1, 2, 4, 8, 16, 32, 64, 12, 20, null, null, null, null, null, null]);

export const DEFAULTS = Object.freeze({
  /** Fi = 372, Di = 1 until PPS says otherwise (§7.1). */
  ta1: 0x11,
  fi: 372,
  di: 1,
  /** Default clock the terminal drives: 3.5712 MHz, so that 372 clocks are 9,600 bit/s. */
  clockHz: 3_571_200,
  wi: 10,
  ifsc: 32,
  ifsd: 254,
  bwi: 4,
  cwi: 13,
  /** Extra guard time N (TC1). */
  n: 0,
  /** TS comes between 400 and 40,000 clock cycles after RST goes high (§8.1). */
  atrFirstCycles: 40_000,
  /** Between ATR characters at most 9,600 etu (§8.1). */
  atrCharacterEtu: 9_600,
} as const);

/** Rate of a line: Fi/Di clock cycles per etu at clockHz. */
export interface Rate {
  readonly fi: number;
  readonly di: number;
  readonly clockHz: number;
}

export function etuSeconds(rate: Rate): number {
  return rate.fi / (rate.di * rate.clockHz);
}

/** Fi and Di of a TA1 (or PPS1) value whose nibbles are not RFU (Tables 7 and 8). */
export function rateOf(ta1: number): { readonly fi: number; readonly di: number } {
  return { fi: FI_TABLE[ta1 >> 4]![0], di: DI_TABLE[ta1 & 0x0f]! };
}

/** WT for T=0: WI × 960 × Fi / f seconds = WI × 960 × Di etu (§10.2). */
export function waitingTimeEtu(wi: number, di: number): number {
  return wi * 960 * di;
}

/** CWT = (11 + 2^CWI) etu (§11.4.3). */
export function characterWaitingTimeEtu(cwi: number): number {
  return 11 + 2 ** cwi;
}

/** BWT = 11 etu + 2^BWI × 960 × 372 / f seconds, in etu of the current rate (§11.4.3). */
export function blockWaitingTimeEtu(bwi: number, fi: number, di: number): number {
  return 11 + Math.ceil((2 ** bwi * 960 * 372 * di) / fi);
}

/**
 * Character guard time in etu (§8.3): 12 + N, except N = 255, which means 12 etu in T=0 and
 * 11 etu in T=1. Returns the distance from one start bit to the next.
 */
export function guardTimeEtu(n: number, protocol: number): number {
  if (n === 255) return protocol === 1 ? 11 : 12;
  return 12 + n;
}

/**
 * The UART settings once a protocol runs, the same on both sides of the contacts: parity sense
 * from the convention (§8.1), guard time from N (§8.3), error signal in T=0 only (§7.3, §11.2).
 */
export function protocolLineSettings(convention: Convention | null, n: number, fi: number, di: number, protocol: number): LineSettings {
  return { fi, di, parity: convention === 'inverse' ? 'odd' : 'even', guardEtu: guardTimeEtu(n, protocol), errorSignal: protocol === 0 };
}
