// Card line HAL: the ISO/IEC 7816-3 contacts as the interface chip and UART see them. It moves
// characters and drives the line events; ATR parsing, PPS, T=0 and T=1 live above it
// (firmware/iso7816), so an ESP32 driver (UART in smart-card mode, or a TDA8035-style interface
// chip) only moves bytes, like Moddable's ECMA-419 serial IO.
//
// Characters are raw: as a UART in direct convention reads and writes them (LSB first). The
// protocol layer converts for inverse convention (firmware/iso7816/convention.ts) and tells the
// line which parity sense to check.

/** What receive() resolves with besides a character. */
export const LINE = Object.freeze({
  /** No character within the timeout. */
  TIMEOUT: -1,
  /** Or-ed onto a character whose parity check failed (only when errorSignal is off, as in T=1). */
  PARITY_ERROR: 0x100,
} as const);

/**
 * What receiveRun() resolves with: the characters of a run, raw (0..255, as the UART read them),
 * the indices in `chars` of those whose parity check failed (the ones receive() would give
 * | LINE.PARITY_ERROR; ascending, usually none), and whether it stopped early because the next
 * character did not come within its timeout. Bytes, not numbers with a flag: the protocol takes
 * a block or data run as it is, and a driver hands over a run with one copy.
 */
export interface LineRun {
  readonly chars: Uint8Array;
  readonly parityErrors: readonly number[];
  readonly timedOut: boolean;
}

/** The parityErrors of a run without any (shared, frozen). */
export const NO_PARITY_ERRORS: readonly number[] = Object.freeze([]);

/**
 * A LineRun from characters as receive() gives them (0..255, each | LINE.PARITY_ERROR when
 * flagged): for drivers and wrappers that collect a run character by character.
 */
export function lineRunOf(characters: readonly number[], timedOut: boolean): LineRun {
  const chars = new Uint8Array(characters.length);
  let parityErrors: number[] | null = null;
  for (let i = 0; i < characters.length; i++) {
    const character = characters[i]!;
    chars[i] = character & 0xff;
    if (character & LINE.PARITY_ERROR) (parityErrors ??= []).push(i);
  }
  return { chars, parityErrors: parityErrors ?? NO_PARITY_ERRORS, timedOut };
}

/** The characters of `run` as receive() gives them: each | LINE.PARITY_ERROR when flagged. */
export function flaggedCharacters(run: LineRun): number[] {
  const characters = Array.from(run.chars);
  for (const i of run.parityErrors) characters[i] = characters[i]! | LINE.PARITY_ERROR;
  return characters;
}

export interface LineSettings {
  /** Clock rate conversion integer and baud rate adjustment integer (§7.1). */
  readonly fi: number;
  readonly di: number;
  /** 'even' in direct convention; 'odd' for inverse convention read by a direct UART (§8.1). */
  readonly parity: 'even' | 'odd';
  /** Start-to-start distance of the characters the terminal sends, in etu: 12 + N (§8.3). */
  readonly guardEtu: number;
  /** T=0 error signal and character repetition (§7.3); off for T=1 (§11.2). */
  readonly errorSignal: boolean;
}

export interface CardLine {
  readonly cardPresent: boolean;
  /** Card-detect switch closes / opens (set by the reader above the line). */
  onInserted: (() => void) | null;
  onRemoved: (() => void) | null;
  /** The clock the terminal drives on CLK, in Hz. */
  readonly clockHz: number;
  /** Cold reset (§6.2.2): VCC, CLK, I/O in reception, RST high; settings back to the defaults. */
  activate(): Promise<void>;
  /** Warm reset (§6.2.3): RST low then high with power kept; settings back to the defaults. */
  warmReset(): Promise<void>;
  /** After the ATR (convention) and PPS (Fi, Di) or when the protocol starts (error signal). */
  configure(settings: LineSettings): void;
  /** Sends raw characters; rejects with LineParityError when the card kept signalling errors. */
  send(raw: Uint8Array): Promise<void>;
  /** The next raw character (0..255, | LINE.PARITY_ERROR when flagged), or LINE.TIMEOUT. */
  receive(timeoutEtu: number): Promise<number>;
  /**
   * Up to `count` raw characters as one run, in one promise: the first within `firstTimeoutEtu`
   * etu, each next within `gapTimeoutEtu` etu of the one before (the character waiting times of
   * ISO/IEC 7816-3 §10.2 WWT and §11.4.3 BWT/CWT). Stops early, with `timedOut`, on the first
   * timeout; `count` 0 resolves at once with nothing. On the wire the same as `count` calls of
   * receive() with those timeouts, without a promise per character. `chars` is the caller's
   * own copy (it may convert it in place).
   */
  receiveRun(count: number, firstTimeoutEtu: number, gapTimeoutEtu: number): Promise<LineRun>;
  /**
   * How many characters from the card have arrived and not yet been taken by receive() or
   * receiveRun(), now, without waiting: a driver first takes in what its UART holds. The T=1 layer
   * asks it before a new exchange, to know whether the line stayed quiet since its last block.
   */
  available(): number;
  /** Deactivation (§6.4): RST, CLK, I/O, VCC low. */
  deactivate(): Promise<void>;
  eject(): Promise<void>;
}

/** The settings every activation starts from: Fi 372, Di 1, direct convention, N 0, no error signal. */
export const DEFAULT_LINE_SETTINGS: LineSettings = Object.freeze({ fi: 372, di: 1, parity: 'even', guardEtu: 12, errorSignal: false });
