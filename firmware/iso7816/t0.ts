// T=0, the character protocol (ISO/IEC 7816-3 §10), terminal side, and the transport of short
// APDUs over it (§12.2): procedure bytes ACK (INS), ~INS, NULL (60), SW1 SW2; 61xx answered with
// GET RESPONSE, 6Cxx with the same command and P3 = xx. Parity errors are repaired character by
// character by the line (error signal and repetition, §7.3); anything else out of step ends the
// exchange with an error, never with a guessed answer.
import { LINE } from '../../hal/card-line.js';
import { concatBytes } from '../protocol/bytes.js';
import { CardTimeoutError, TransmissionError } from './errors.js';
import type { CharacterPort } from './port.js';

const NULL = 0x60;
const GET_RESPONSE = Object.freeze([0x00, 0xc0, 0x00, 0x00] as const);
const MAX_GET_RESPONSE = 64;

export interface T0Options {
  /** WWT in etu: 960 × WI × Di (§10.2). */
  readonly wwtEtu: number;
  /** After SW2 the line must stay quiet this long, or the card and terminal are out of step. */
  readonly quietEtu?: number;
}

/** The data bytes of a TPDU taken so far: `length` of `bytes` (sized for all of them). */
interface Received {
  readonly bytes: Uint8Array;
  length: number;
}

interface Tpdu {
  readonly data: Uint8Array;
  readonly sw1: number;
  readonly sw2: number;
}

export type ApduCase = 1 | 2 | 3 | 4;

/** The short APDU's case (ISO/IEC 7816-3 §12.1.3); T=0 carries no extended lengths without ENVELOPE. */
export function apduCase(apdu: Uint8Array): { case: ApduCase; lc: number; le: number } {
  if (apdu.length < 4) throw new RangeError(`APDU of ${apdu.length} bytes has no header`);
  if (apdu.length === 4) return { case: 1, lc: 0, le: 0 };
  const b5 = apdu[4]!;
  if (apdu.length === 5) return { case: 2, lc: 0, le: b5 || 256 };
  if (b5 === 0) throw new TransmissionError('extended-length APDU: T=0 would need ENVELOPE, which this terminal does not send');
  if (apdu.length === 5 + b5) return { case: 3, lc: b5, le: 0 };
  if (apdu.length === 6 + b5) return { case: 4, lc: b5, le: apdu[5 + b5]! || 256 };
  throw new RangeError(`APDU of ${apdu.length} bytes does not match Lc ${b5}`);
}

export class T0Transport {
  readonly #port: CharacterPort;
  readonly #wwt: number;
  readonly #quiet: number;

  constructor(port: CharacterPort, options: T0Options) {
    this.#port = port;
    this.#wwt = options.wwtEtu;
    this.#quiet = options.quietEtu ?? 16;
  }

  async transmit(apdu: Uint8Array): Promise<Uint8Array> {
    const { case: kind, lc, le } = apduCase(apdu);
    const header = apdu.subarray(0, 4);
    let answer: Tpdu;
    if (kind === 1) return this.#finish(await this.#tpdu(header, 0, null, 0), new Uint8Array(0));
    if (kind === 2) {
      answer = await this.#tpdu(header, le & 0xff, null, le);
      if (answer.sw1 === 0x6c) answer = announced(await this.#tpdu(header, answer.sw2, null, answer.sw2 || 256), '6Cxx'); // §12.2.3
    } else {
      answer = await this.#tpdu(header, lc, apdu.subarray(5, 5 + lc), 0);
    }
    return this.#collect(answer, kind === 4 ? le : 256);
  }

  /** 61xx: GET RESPONSE until the card's last status word (§12.2.3, §12.2.4). */
  async #collect(first: Tpdu, le: number): Promise<Uint8Array> {
    const parts = [first.data];
    let answer = first;
    for (let round = 0; answer.sw1 === 0x61; round++) {
      if (round === MAX_GET_RESPONSE) throw new TransmissionError(`card still answers 61xx after ${MAX_GET_RESPONSE} GET RESPONSE`);
      const wanted = Math.min(answer.sw2 || 256, le);
      answer = await this.#tpdu(Uint8Array.from(GET_RESPONSE), wanted & 0xff, null, wanted);
      if (answer.sw1 === 0x6c) answer = await this.#tpdu(Uint8Array.from(GET_RESPONSE), answer.sw2, null, answer.sw2 || 256);
      announced(answer, '61xx');
      parts.push(answer.data);
    }
    return this.#finish(answer, concatBytes(...parts));
  }

  #finish(answer: Tpdu, data: Uint8Array): Uint8Array {
    const out = new Uint8Array(data.length + 2);
    out.set(data);
    out[data.length] = answer.sw1;
    out[data.length + 1] = answer.sw2;
    return out;
  }

  /** One TPDU: header with P3, then procedure bytes drive the data in either direction (§10.3). */
  async #tpdu(header: Uint8Array, p3: number, out: Uint8Array | null, inLength: number): Promise<Tpdu> {
    const ins = header[1]!;
    const command = new Uint8Array(header.length + 1);
    command.set(header);
    command[header.length] = p3;
    await this.#port.send(command);
    // The data expected, of known size: filled in place, handed up without a copy.
    const received = { bytes: new Uint8Array(out ? 0 : inLength), length: 0 };
    let sent = 0;
    const remaining = (): number => (out ? out.length - sent : inLength - received.length);
    for (;;) {
      const procedure = await this.#byte('procedure byte');
      if (procedure === NULL) continue;
      if ((procedure & 0xf0) === 0x60 || (procedure & 0xf0) === 0x90) {
        const sw2 = await this.#byte('SW2');
        await this.#expectQuiet();
        if (!out && received.length !== 0 && received.length !== inLength) {
          throw new TransmissionError(`card sent ${received.length} of ${inLength} data bytes, then a status word`);
        }
        return { data: received.length === 0 ? new Uint8Array(0) : received.bytes, sw1: procedure, sw2 };
      }
      const all = procedure === ins;
      if (!all && procedure !== (ins ^ 0xff)) throw new TransmissionError(`procedure byte ${hex(procedure)} is neither ACK, NULL nor SW1 (INS ${hex(ins)})`);
      const count = all ? remaining() : 1;
      if (count === 0) throw new TransmissionError(`card acknowledged with ${hex(procedure)} but no data is left to move`);
      if (out) {
        await this.#port.send(out.subarray(sent, sent + count));
        sent += count;
      } else if (count === 1) {
        received.bytes[received.length++] = await this.#byte('data byte');
      } else {
        await this.#data(count, received);
      }
    }
  }

  async #byte(what: string): Promise<number> {
    const byte = await this.#port.receive(this.#wwt);
    if (byte === LINE.TIMEOUT) throw new CardTimeoutError(`T=0: no ${what} within WWT (${this.#wwt} etu)`);
    if (byte & LINE.PARITY_ERROR) throw new TransmissionError(`T=0: parity error on the ${what} the line did not repair`);
    return byte;
  }

  /**
   * The `count` data bytes an ACK announced (§10.3.3), as one run (CardLine.receiveRun): each
   * within WWT of the one before (§10.2), as reading them one by one, without a promise per byte.
   */
  async #data(count: number, received: Received): Promise<void> {
    const run = await this.#port.receiveRun(count, this.#wwt, this.#wwt);
    if (run.parityErrors.length > 0) throw new TransmissionError('T=0: parity error on the data byte the line did not repair');
    received.bytes.set(run.chars, received.length);
    received.length += run.chars.length;
    if (run.timedOut) throw new CardTimeoutError(`T=0: no data byte within WWT (${this.#wwt} etu)`);
  }

  async #expectQuiet(): Promise<void> {
    const extra = await this.#port.receive(this.#quiet);
    if (extra !== LINE.TIMEOUT) throw new TransmissionError(`T=0: character ${hex(extra & 0xff)} after the status word: card and terminal are out of step`);
  }
}

/**
 * After 61xx or 6Cxx the card has announced data (§12.2.3, §12.2.4): an answer without any is not
 * the command's, but a card out of step (a GET RESPONSE or resend it read as something else), and
 * handing its status word up would report the command's outcome wrongly.
 */
function announced(answer: Tpdu, after: string): Tpdu {
  if (answer.data.length === 0 && answer.sw1 !== 0x61) {
    throw new TransmissionError(`T=0: card announced data with ${after}, then answered ${hex(answer.sw1)}${hex(answer.sw2)} without any`);
  }
  return answer;
}

function hex(value: number): string {
  return value.toString(16).toUpperCase().padStart(2, '0');
}
