// A model of the time the card line takes (ISO/IEC 7816-3, T=0), for the bench table.
//
// Clock f = 3.57 MHz (the terminal's choice). One etu = F / (D x f). T=0 characters take 12 etu
// (start, 8 data, parity, 2 etu guard time). Per APDU: the command bytes, one procedure byte
// (INS acknowledge) and the response bytes (data and SW1 SW2) as the card line log counts them;
// GET RESPONSE and chained commands are APDUs of their own there. The ATR always goes at the
// default rate (F = 372, D = 1: 9,600 bit/s). At the best rate the card's ATR offers (TA1), a PPS
// request and its echo (4 + 4 characters, at the default rate) are added once per reset. Card
// processing time and the terminal's turnaround are not modelled.
import type { LineStats } from '../../tests/scenarios/device-flows.js';

const CLOCK_HZ = 3_570_000;
const CHARACTER_ETU = 12;
const PPS_CHARACTERS = 8;
// ISO/IEC 7816-3 Table 7 (Fi from the high nibble of TA1) and Table 8 (Di from the low nibble).
const FI: readonly (number | null)[] = [372, 372, 558, 744, 1116, 1488, 1860, null, null, 512, 768, 1024, 1536, 2048, null, null];
const DI: readonly (number | null)[] = [null, 1, 2, 4, 8, 16, 32, 64, 12, 20, null, null, null, null, null, null];
// What a card could offer: TA1 = 0x96, Fi = 512, Di = 32 (many payment cards' fastest).
const FAST_TA1 = 0x96;

export interface LineTimes {
  readonly ms9600: number;
  readonly msBest: number;
  /** How the best rate was chosen, e.g. "TA1 absent: default rate only". */
  readonly best: string;
  /** Line time if the card offered TA1 = 0x96 (Fi 512, Di 32): about 223 kbit/s. */
  readonly msFastCard: number;
}

export const LINE_ASSUMPTIONS = Object.freeze({
  clockHz: CLOCK_HZ,
  characterEtu: CHARACTER_ETU,
  summary: 'T=0 at f = 3.57 MHz, 12 etu per character, 1 procedure byte per APDU, ATR at 9,600 bit/s; "best" = the rate TA1 of the recorded ATR offers (row.line.best in the JSON), with 8 PPS characters per reset; no TA1 means 9,600 bit/s; msFastCard = TA1 0x96 (Fi 512, Di 32: 223 kbit/s)',
});

function etuSeconds(fi: number, di: number): number {
  return fi / (di * CLOCK_HZ);
}

/** TA1 of an ATR (hex), or null when the ATR has none. */
export function ta1Of(atrHex: string): number | null {
  if (atrHex.length < 4) return null;
  const t0 = parseInt(atrHex.slice(2, 4), 16);
  return t0 & 0x10 ? parseInt(atrHex.slice(4, 6), 16) : null;
}

function rateOf(ta1: number | null): { fi: number; di: number } | null {
  if (ta1 === null) return null;
  const fi = FI[ta1 >> 4];
  const di = DI[ta1 & 0x0f];
  return fi && di ? { fi, di } : null;
}

export function lineModel(stats: LineStats, atrHex: string | null): LineTimes {
  const payload = stats.bytesOut + stats.bytesIn + stats.commands; // + one procedure byte per APDU
  const defaultEtu = etuSeconds(372, 1);
  const atrSeconds = stats.atrBytes * CHARACTER_ETU * defaultEtu;
  const at = (rate: { fi: number; di: number } | null): number => {
    if (!rate || (rate.fi === 372 && rate.di === 1)) return (atrSeconds + payload * CHARACTER_ETU * defaultEtu) * 1000;
    const pps = stats.resets * PPS_CHARACTERS * CHARACTER_ETU * defaultEtu;
    return (atrSeconds + pps + payload * CHARACTER_ETU * etuSeconds(rate.fi, rate.di)) * 1000;
  };
  const ta1 = atrHex === null ? null : ta1Of(atrHex);
  const offered = rateOf(ta1);
  return {
    ms9600: at(null),
    msBest: at(offered),
    best: offered ? `TA1 ${ta1!.toString(16)}: Fi ${offered.fi}, Di ${offered.di}` : 'TA1 absent: default rate only (9,600 bit/s)',
    msFastCard: at(rateOf(FAST_TA1)),
  };
}
