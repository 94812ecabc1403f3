// Base-point tables of @noble/curves. By default the first signature or key made on P-256 or
// Ed25519 builds a window-6 table of the base point (about 0.5 MB of chunks and 12,000 slots on
// XS): more than the whole JavaScript heap of an ESP32 without PSRAM (78,848 B, 4,928 slots).
// `npm run bench` measured the flows with window 1 (no table): every flow of suites 1 and 2 then
// fits the ESP32 default profile, at 1.5 to 2.3 times the computation. ESIGN needs no table.
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';

export const BASE_WINDOW = Object.freeze({
  /** What @noble/curves uses unless told otherwise: fastest, for hosts and PSRAM boards. */
  LIBRARY_DEFAULT: 6,
  /** No table: for the ESP32 default heap. */
  SMALL_HEAP: 1,
} as const);

/** Called once at start by firmware that runs in a small heap, before any signature. */
export function useSmallHeapCurveTables(): void {
  p256.Point.BASE.precompute(BASE_WINDOW.SMALL_HEAP, true);
  ed25519.Point.BASE.precompute(BASE_WINDOW.SMALL_HEAP, true);
}
