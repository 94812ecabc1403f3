// T=0 on the card's side (ISO/IEC 7816-3 §10, §12.2): header, procedure bytes, data, SW1 SW2.
// Whether P3 counts data in or out the card knows from INS; a case 4 command arrives as case 3
// and its answer waits behind 61xx for GET RESPONSE; a case 2 Le that does not fit gets 6Cxx.
import { readUint16 } from '../../firmware/protocol/bytes.js';
import { exactLengthStatus, moreDataStatus } from '../../firmware/protocol/status-words.js';

const NULL = 0x60;
const GET_RESPONSE = 0xc0;

/** INS codes whose P3 is Le (data from the card); every other INS takes P3 as Lc. */
export const OUTGOING_INS: ReadonlySet<number> = new Set([0xb0, 0xb2, 0xc0, 0xca, 0xcb, 0x84, 0xc4]);

export interface T0CardOptions {
  readonly process: (apdu: Uint8Array) => Uint8Array;
  readonly send: (bytes: Uint8Array, delayEtu?: number) => void;
  /** Answer data with ~INS, one byte at a time (§10.3.3), instead of one ACK. */
  readonly ackEachByte?: boolean;
  /** Modelled time the card needs per command; NULL bytes keep WWT from running out (§10.3.1). */
  readonly processingEtu?: number;
  readonly wwtEtu: number;
}

interface Held {
  readonly header: readonly number[];
  readonly data: Uint8Array;
  readonly sw: number;
}

export class T0Card {
  readonly #options: T0CardOptions;
  #header: number[] = [];
  #incoming: number[] = [];
  #expecting = 0;
  /** Answer of a case 4 command waiting for GET RESPONSE. */
  #pending: { data: Uint8Array; sw: number } | null = null;
  /** Answer of a case 2 command that got 6Cxx, waiting for the same command with P3 = xx. */
  #resend: Held | null = null;

  constructor(options: T0CardOptions) {
    this.#options = options;
  }

  receive(byte: number): void {
    if (this.#expecting > 0) {
      this.#incoming.push(byte);
      this.#expecting--;
      if (this.#expecting > 0) {
        if (this.#options.ackEachByte) this.#options.send(Uint8Array.of(this.#header[1]! ^ 0xff));
        return;
      }
      this.#run(Uint8Array.from([...this.#header, ...this.#incoming]));
      return;
    }
    this.#header.push(byte);
    if (this.#header.length < 5) return;
    const [, ins, , , p3] = this.#header as [number, number, number, number, number];
    if ((ins & 0xf0) === 0x60 || (ins & 0xf0) === 0x90) return this.#status(0x6d00);
    if (OUTGOING_INS.has(ins)) return this.#outgoing(p3 || 256);
    if (p3 === 0) return this.#run(Uint8Array.from(this.#header.slice(0, 4)));
    this.#incoming = [];
    this.#expecting = p3;
    this.#options.send(Uint8Array.of(this.#options.ackEachByte ? ins ^ 0xff : ins));
  }

  #outgoing(le: number): void {
    const header = this.#header;
    const ins = header[1]!;
    const held = this.#resend;
    this.#resend = null;
    if (held && held.header.every((b, i) => b === header[i]) && held.data.length === le) return this.#answer(held.data, held.sw);
    if (ins === GET_RESPONSE && header[0] === 0x00 && this.#pending) {
      const pending = this.#pending;
      if (le > pending.data.length) return this.#status(exactLengthStatus(pending.data.length));
      this.#pending = le < pending.data.length ? { data: pending.data.subarray(le), sw: pending.sw } : null;
      const rest = pending.data.length - le;
      return this.#answer(pending.data.subarray(0, le), rest > 0 ? moreDataStatus(rest) : pending.sw);
    }
    this.#pending = null;
    const { data, sw } = split(this.#options.process(Uint8Array.from(header)));
    if (data.length === 0) return this.#status(sw);
    if (data.length !== le) {
      this.#resend = { header: header.slice(0, 4), data, sw };
      return this.#status(exactLengthStatus(data.length));
    }
    this.#answer(data, sw);
  }

  #run(command: Uint8Array): void {
    this.#pending = null;
    this.#resend = null;
    const { data, sw } = split(this.#options.process(command));
    if (data.length > 0) {
      // Case 4 over T=0: the data waits for GET RESPONSE (§12.2.4).
      this.#pending = { data: data.slice(), sw };
      return this.#status(moreDataStatus(data.length));
    }
    this.#status(sw);
  }

  #answer(data: Uint8Array, sw: number): void {
    const ins = this.#header[1]!;
    this.#header = [];
    const delay = this.#delay();
    if (this.#options.ackEachByte) {
      for (let i = 0; i < data.length; i++) this.#options.send(Uint8Array.of(ins ^ 0xff, data[i]!), i === 0 ? delay : 0);
      this.#options.send(Uint8Array.of(sw >> 8, sw & 0xff));
      return;
    }
    this.#options.send(Uint8Array.of(ins, ...data, sw >> 8, sw & 0xff), delay);
  }

  #status(sw: number): void {
    this.#header = [];
    this.#options.send(Uint8Array.of(sw >> 8, sw & 0xff), this.#delay());
  }

  /** Sends NULL bytes while the modelled processing time exceeds half of WWT; returns the rest. */
  #delay(): number {
    let left = this.#options.processingEtu ?? 0;
    const step = Math.floor(this.#options.wwtEtu / 2);
    while (left > step) {
      this.#options.send(Uint8Array.of(NULL), step);
      left -= step;
    }
    return left;
  }
}

/** A response APDU as data and status word. */
function split(response: Uint8Array): { data: Uint8Array; sw: number } {
  return { data: response.subarray(0, response.length - 2), sw: readUint16(response, response.length - 2) };
}
