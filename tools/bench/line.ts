// A model of the time the card line takes (ISO/IEC 7816-3, T=0), for the bench table.
//
// Clock f = 3.5712 MHz (the terminal's choice, firmware/iso7816/timing.ts DEFAULTS). One etu =
// F / (D x f). T=0 characters take 12 etu (start, 8 data, parity, 2 etu guard time). Per APDU: the command bytes, one procedure byte
// (INS acknowledge) and the response bytes (data and SW1 SW2) as the card line log counts them;
// GET RESPONSE and chained commands are APDUs of their own there. The ATR always goes at the
// default rate (F = 372, D = 1: 9,600 bit/s). At the best rate the card's ATR offers (TA1), a PPS
// request and its echo (4 + 4 characters, at the default rate) are added once per reset. Card
// processing time and the terminal's turnaround are not modelled.
import { parseAtr } from '../../firmware/iso7816/atr.js';
import { DEFAULTS, DI_TABLE, etuSeconds, FI_TABLE, guardTimeEtu } from '../../firmware/iso7816/timing.js';
import { fromHex } from '../../firmware/protocol/bytes.js';
import type { LineStats } from '../../tests/scenarios/device-flows.js';

const CLOCK_HZ = DEFAULTS.clockHz;
const CHARACTER_ETU = guardTimeEtu(DEFAULTS.n, 0);
const PPS_CHARACTERS = 8;
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

type FiDi = { fi: number; di: number };

/** Fi and Di of a TA1 (ISO/IEC 7816-3 Tables 7 and 8), or null when TA1 is absent or RFU. */
function rateOf(ta1: number | null): FiDi | null {
  if (ta1 === null) return null;
  const fi = FI_TABLE[ta1 >> 4]?.[0];
  const di = DI_TABLE[ta1 & 0x0f];
  return fi && di ? { fi, di } : null;
}

function etu({ fi, di }: FiDi): number {
  return etuSeconds({ fi, di, clockHz: CLOCK_HZ });
}

export function lineModel(stats: LineStats, atrHex: string | null): LineTimes {
  const payload = stats.bytesOut + stats.bytesIn + stats.commands; // + one procedure byte per APDU
  const defaultEtu = etu(DEFAULTS);
  const atrSeconds = stats.atrBytes * CHARACTER_ETU * defaultEtu;
  const at = (rate: FiDi | null): number => {
    if (!rate || (rate.fi === DEFAULTS.fi && rate.di === DEFAULTS.di)) return (atrSeconds + payload * CHARACTER_ETU * defaultEtu) * 1000;
    const pps = stats.resets * PPS_CHARACTERS * CHARACTER_ETU * defaultEtu;
    return (atrSeconds + pps + payload * CHARACTER_ETU * etu(rate)) * 1000;
  };
  const ta1 = atrHex === null ? null : parseAtr(fromHex(atrHex)).ta1;
  const offered = rateOf(ta1);
  return {
    ms9600: at(null),
    msBest: at(offered),
    best: offered ? `TA1 ${ta1!.toString(16)}: Fi ${offered.fi}, Di ${offered.di}` : 'TA1 absent: default rate only (9,600 bit/s)',
    msFastCard: at(rateOf(FAST_TA1)),
  };
}
