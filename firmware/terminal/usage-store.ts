// Where the terminal keeps usage records (patent [0015]: Nt, date D, fee V) until the centre
// has them. The journal on NOR flash implements this on the device and in the simulator.

export interface UsageEntry {
  readonly registrationNumber: string; // Nt
  readonly cardNumber: Uint8Array; // IDU
  readonly startedAt: number; // D, ms since epoch UTC
  readonly fee: number; // V
  readonly serviceCode: number;
  readonly durationSeconds: number;
  readonly dialled: string;
}

export interface UsageStore {
  /** False when the store is full of records the centre has not acknowledged yet. */
  hasSpace(): boolean;
  /** Writes the record durably; resolves with its sequence number. */
  append(entry: UsageEntry): number;
}

export const SERVICE = Object.freeze({ METERED_CALL: 1 } as const);
