// The card line's characters and their time on the wire, from a byte-line recording
// (tests/scenarios/byte-replay.ts), for the bench table.
//
// Every character counts at the rate in force when it went: the card's UART settings are in the
// recording (its configure acts: Fi, Di, guard time), so the ATR and the PPS exchange go at the
// default Fi 372 / Di 1 and what follows at the negotiated rate. A character takes its guard time
// (12 + N etu, start bit to start bit: §8.3, §11.2) of etu = Fi / (Di × f), f = 3.5712 MHz. A
// message of the terminal counts at the settings the card answers it with (the terminal's UART
// switches rate together with the card's: after the PPS answer, or before its first character
// when there is no PPS). Not counted: the gaps (TS delay, block guard time BGT, the card's
// turnaround and processing), so this is the least time the line takes.
import { DEFAULT_LINE_SETTINGS, type LineSettings } from '../../hal/card-line.js';
import { DEFAULTS, etuSeconds } from '../../firmware/iso7816/timing.js';
import type { ByteLineStep } from '../../tests/scenarios/byte-replay.js';
import type { LineSessionSummary } from '../../tests/scenarios/device-flows.js';

const PPSS = 'ff';

/** Characters on the wire each way over a stretch of the line, and their time. */
export interface ByteLineTimes {
  /** Characters the terminal sent: PPS request, T=1 blocks (prologue, INF, EDC) or T=0 headers and data. */
  readonly toCard: number;
  /** Characters the card sent: ATR, PPS answer, T=1 blocks or T=0 procedure bytes, data and SW1 SW2. */
  readonly toTerminal: number;
  /** Of those, the ATR's and the PPS exchange's (both ways). */
  readonly atr: number;
  readonly pps: number;
  /** Their time on the wire, ms, each at the rate in force (gaps not counted). */
  readonly ms: number;
  /** The rate the flow ran at, e.g. "T=1, Fi 512 / Di 32: 223,200 bit/s, PPS accepted". */
  readonly rate: string;
}

export const LINE_ASSUMPTIONS = Object.freeze({
  clockHz: DEFAULTS.clockHz,
  summary: 'characters really on the wire from the byte-line recording (ATR, PPS, T=1 prologue/INF/EDC or T=0 procedure bytes), each at the rate in force (ATR and PPS at Fi 372 / Di 1), guard time 12 etu, f = 3.5712 MHz; gaps (BGT, turnaround, card processing) not counted',
});

function characterSeconds(settings: LineSettings, clockHz: number): number {
  return settings.guardEtu * etuSeconds({ fi: settings.fi, di: settings.di, clockHz });
}

/**
 * Characters and time of `steps` from index `from` on (the flow's part of a recording; the steps
 * before set the rate in force), `session` naming the rate the line ran at.
 */
export function byteLineTimes(steps: readonly ByteLineStep[], from: number, session: LineSessionSummary, clockHz: number = DEFAULTS.clockHz): ByteLineTimes {
  let settings: LineSettings = DEFAULT_LINE_SETTINGS;
  let toCard = 0;
  let toTerminal = 0;
  let atr = 0;
  let pps = 0;
  let seconds = 0;
  steps.forEach((step, index) => {
    const counted = index >= from;
    const terminalChars = step.terminal === null ? 0 : step.terminal.length / 2;
    const isPps = step.terminal !== null && step.terminal.startsWith(PPSS) && steps[index - 1]?.terminal === null;
    let terminalAt: LineSettings | null = null;
    let sent = 0;
    for (const act of step.acts) {
      if ('configure' in act) {
        settings = act.configure;
        continue;
      }
      terminalAt ??= settings;
      const chars = act.send.length / 2;
      sent += chars;
      if (counted) seconds += chars * characterSeconds(settings, clockHz);
    }
    if (!counted) return;
    seconds += terminalChars * characterSeconds(terminalAt ?? settings, clockHz);
    toCard += terminalChars;
    toTerminal += sent;
    if (step.terminal === null) atr += sent;
    if (isPps) pps += terminalChars + sent;
  });
  const bitsPerSecond = Math.round((clockHz * session.di) / session.fi);
  const rate = `T=${session.protocol}, Fi ${session.fi} / Di ${session.di}: ${bitsPerSecond.toLocaleString('en-US')} bit/s, PPS ${session.pps}`;
  return { toCard, toTerminal, atr, pps, ms: seconds * 1000, rate };
}
