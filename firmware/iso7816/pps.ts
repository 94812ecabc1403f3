// Protocol and parameters selection (ISO/IEC 7816-3 §9): PPSS FF, PPS0 (which of PPS1..3 follow,
// and T), PPS1 (Fi and Di as in TA1), PCK so that the XOR of all is zero.
import type { CharacterPort } from './port.js';

export const PPSS = 0xff;
const PPS1_PRESENT = 0x10;

/** A PPS request, or the card's answer, which has the same form: PPSS, PPS0, PPS1 if any, PCK. */
export function ppsMessage(protocol: number, ta1: number | null): Uint8Array {
  const body = ta1 === null ? [PPSS, protocol & 0x0f] : [PPSS, PPS1_PRESENT | (protocol & 0x0f), ta1];
  return Uint8Array.from([...body, body.reduce((x, b) => x ^ b, 0)]);
}

/** How many bytes a PPS message has, from its PPS0 (§9.2). */
export function ppsLength(pps0: number): number {
  return 3 + ((pps0 >> 4) & 1) + ((pps0 >> 5) & 1) + ((pps0 >> 6) & 1);
}

export type PpsResult =
  | { readonly ok: true; readonly protocol: number; /** PPS1 echoed: null means the card keeps Fi/Di at the default. */ readonly ta1: number | null }
  | { readonly ok: false; readonly reason: string };

/** Checks the card's answer against the request (§9.3). */
export function checkPpsResponse(request: Uint8Array, response: Uint8Array): PpsResult {
  if (response.length < 3) return { ok: false, reason: `PPS response of ${response.length} bytes` };
  if (response[0] !== PPSS) return { ok: false, reason: 'PPSS is not FF' };
  if (response.reduce((x, b) => x ^ b, 0) !== 0) return { ok: false, reason: 'PCK wrong' };
  const pps0 = response[1]!;
  if (response.length !== ppsLength(pps0)) return { ok: false, reason: 'PPS response length does not match its PPS0' };
  if ((pps0 & 0x0f) !== (request[1]! & 0x0f)) return { ok: false, reason: `card answered T=${pps0 & 0x0f}, asked T=${request[1]! & 0x0f}` };
  if (pps0 & PPS1_PRESENT) {
    if (!(request[1]! & PPS1_PRESENT) || response[2] !== request[2]) return { ok: false, reason: 'PPS1 not echoed' };
    return { ok: true, protocol: pps0 & 0x0f, ta1: response[2]! };
  }
  return { ok: true, protocol: pps0 & 0x0f, ta1: null };
}

/**
 * Sends the request and reads the answer within the initial waiting time: PPSS and PPS0 as one
 * run, then the rest that PPS0 announces as another (a promise per run, not per character).
 */
export async function exchangePps(port: CharacterPort, protocol: number, ta1: number | null, waitEtu: number): Promise<PpsResult> {
  const request = ppsMessage(protocol, ta1);
  await port.send(request);
  const head = await port.receiveRun(2, waitEtu, waitEtu);
  if (head.chars.length === 0) return { ok: false, reason: 'no PPS response' };
  if (head.parityErrors.length > 0) return { ok: false, reason: 'parity error in the PPS response' };
  if (head.timedOut) return { ok: false, reason: 'PPS response cut short' };
  const rest = await port.receiveRun(ppsLength(head.chars[1]!) - 2, waitEtu, waitEtu);
  if (rest.parityErrors.length > 0) return { ok: false, reason: 'parity error in the PPS response' };
  if (rest.timedOut) return { ok: false, reason: 'PPS response cut short' };
  const response = new Uint8Array(2 + rest.chars.length);
  response.set(head.chars);
  response.set(rest.chars, 2);
  return checkPpsResponse(request, response);
}
