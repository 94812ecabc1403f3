// The card line's own cost, measured by the device runner (tools/xs/device-runner.c) as suite 0
// probes: "0:t1-receive" and "0:t0-receive". Engine-neutral. The terminal's transport (T=1 or
// T=0 over CharacterPort over SimCardLine) receives a long answer from a card that only replays
// characters (ReplayByteCard, tests/scenarios/byte-replay.ts), so what is charged is the terminal's
// side of the line: the transport, the port and the line's receive calls (on the device: the UART
// driver's).
//
// setup (charged, then taken off by --setup-only): the line, the replaying card, the transport,
// the answers as line bytes, activation and, for T=1, S(IFS) with IFSD 254. flow: one command and
// its whole answer.
//   t1-receive: READ CARD DATA's answer with the ESIGN suite in size: 861 data bytes and SW1 SW2,
//     chained by the card in I-blocks of IFSD 254 bytes (254, 254, 254, 101: 879 bytes with the
//     prologues and LRCs), each acknowledged by the terminal with an R-block (ISO/IEC 7816-3 §11.6.2).
//   t0-receive: a case 2 APDU with Le 256: ACK, 256 data bytes, 90 00 (§10.3.3).
import { encodeBlock, iBlock, rBlock, S_KIND, sBlock, type Block } from '../../firmware/iso7816/block.js';
import { CharacterPort } from '../../firmware/iso7816/port.js';
import { T0Transport } from '../../firmware/iso7816/t0.js';
import { T1Transport } from '../../firmware/iso7816/t1.js';
import { blockWaitingTimeEtu, characterWaitingTimeEtu, DEFAULTS, waitingTimeEtu } from '../../firmware/iso7816/timing.js';
import { SimCardLine } from '../../hal/sim/card-line.js';
import { answerStep, ReplayByteCard, type ReplayStep } from './byte-replay.js';

/** The probes' sizes, bytes. */
export const LINE_PROBE = Object.freeze({
  /** READ CARD DATA's response data with the ESIGN suite. */
  t1DataBytes: 861,
  ifsd: 254,
  t0DataBytes: 256,
  /** The card starts each answer this long after the terminal's last character, etu (BGT, §11.4.3). */
  turnaroundEtu: 22,
} as const);

const READ_CARD_DATA = Object.freeze([0x80, 0xb0, 0x00, 0x00, 0x00] as const);

/** The activation: the probes' card sends no ATR (the transports start at once). */
const ACTIVATION: ReplayStep = Object.freeze({ terminal: null, acts: Object.freeze([]) });

/** What `answer` resolves with, unless the card heard something else than it expected (then its ReplayMismatch). */
async function replayed<T>(card: ReplayByteCard, answer: Promise<T>): Promise<T> {
  const got = await answer.catch((error: unknown) => {
    throw card.mismatch ?? error;
  });
  if (card.mismatch) throw card.mismatch;
  return got;
}

function pattern(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 7 + 3) & 0xff;
  return bytes;
}

export interface LineProbe {
  /** The measured part: one command and its whole answer, checked. */
  run(): Promise<void>;
}

async function t1Probe(): Promise<LineProbe> {
  const edc = 'lrc';
  const answer = new Uint8Array(LINE_PROBE.t1DataBytes + 2);
  answer.set(pattern(LINE_PROBE.t1DataBytes));
  answer[LINE_PROBE.t1DataBytes] = 0x90;
  const command = Uint8Array.from(READ_CARD_DATA);
  const ifs = sBlock(S_KIND.IFS, false, Uint8Array.of(LINE_PROBE.ifsd));
  const script: ReplayStep[] = [ACTIVATION, answerStep(encodeBlock(ifs, edc), encodeBlock(sBlock(S_KIND.IFS, true, Uint8Array.of(LINE_PROBE.ifsd)), edc), LINE_PROBE.turnaroundEtu)];
  // The terminal's I-block, then an R-block asking for each next part of the chain.
  let heard: Block = iBlock(0, false, command);
  for (let at = 0, ns = 0; at < answer.length; at += LINE_PROBE.ifsd, ns ^= 1) {
    const inf = answer.subarray(at, at + LINE_PROBE.ifsd);
    script.push(answerStep(encodeBlock(heard, edc), encodeBlock(iBlock(ns, at + inf.length < answer.length, inf), edc), LINE_PROBE.turnaroundEtu));
    heard = rBlock(ns ^ 1);
  }
  const card = new ReplayByteCard('line-probe', script);
  const line = new SimCardLine({ card });
  await line.activate();
  const t1 = new T1Transport(new CharacterPort(line), {
    ifsc: DEFAULTS.ifsc, ifsd: LINE_PROBE.ifsd, edc,
    bwtEtu: blockWaitingTimeEtu(DEFAULTS.bwi, DEFAULTS.fi, DEFAULTS.di), cwtEtu: characterWaitingTimeEtu(DEFAULTS.cwi),
  });
  await replayed(card, t1.negotiateIfsd());
  return {
    async run() {
      check(await replayed(card, t1.transmit(command)), answer, 'T=1');
    },
  };
}

async function t0Probe(): Promise<LineProbe> {
  const command = Uint8Array.of(0x80, 0xb0, 0x00, 0x00, 0x00); // Le 00: 256 bytes
  const data = pattern(LINE_PROBE.t0DataBytes);
  const reply = new Uint8Array(1 + data.length + 2);
  reply[0] = command[1]!; // ACK: all the data (§10.3.3)
  reply.set(data, 1);
  reply[reply.length - 2] = 0x90;
  const card = new ReplayByteCard('line-probe', [ACTIVATION, answerStep(command, reply, LINE_PROBE.turnaroundEtu)]);
  const line = new SimCardLine({ card });
  await line.activate();
  const t0 = new T0Transport(new CharacterPort(line), { wwtEtu: waitingTimeEtu(DEFAULTS.wi, DEFAULTS.di) });
  const expected = new Uint8Array(data.length + 2);
  expected.set(data);
  expected[data.length] = 0x90;
  return {
    async run() {
      check(await replayed(card, t0.transmit(command)), expected, 'T=0');
    },
  };
}

function check(got: Uint8Array, expected: Uint8Array, what: string): void {
  let same = got.length === expected.length;
  for (let i = 0; same && i < got.length; i++) same = got[i] === expected[i];
  if (!same) throw new Error(`${what} line probe: the answer differs from what the card sent (${got.length} of ${expected.length} bytes)`);
}

/** The probe called `name` (t1-receive, t0-receive), set up; null for another name. */
export function lineProbe(name: string): Promise<LineProbe> | null {
  if (name === 't1-receive') return t1Probe();
  if (name === 't0-receive') return t0Probe();
  return null;
}

