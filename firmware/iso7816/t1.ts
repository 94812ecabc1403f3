// T=1, the block protocol (ISO/IEC 7816-3 §11), interface-device side: I-blocks chained both ways
// in IFSC / IFSD pieces, R-blocks to acknowledge and to ask again, S-blocks for IFS, WTX, RESYNCH
// and ABORT, and the error recovery of §11.6.3: an invalid or missing block is asked again, three
// failures in a row lead to RESYNCH (itself tried three times), and then the command is reported
// lost. A response is handed up only when every block of it was valid and in sequence.
import { LINE } from '../../hal/card-line.js';
import { concatBytes } from '../protocol/bytes.js';
import { BlockError, decodeBlock, describeBlock, edcLength, encodeBlock, iBlock, R_ERROR, rBlock, S_KIND, sBlock, type Block, type Edc } from './block.js';
import { ProtocolAbortError, TransmissionError } from './errors.js';
import type { CharacterPort } from './port.js';

const BGT_ETU = 22;

/** Attempts at one step before RESYNCH, and RESYNCH attempts before giving up (§11.6.3.2). */
export const T1_LIMITS = Object.freeze({ retries: 3, resynch: 3 } as const);

export interface T1Options {
  readonly ifsc: number;
  readonly ifsd: number;
  readonly edc: Edc;
  /** BWT and CWT in etu of the current rate (timing.ts). */
  readonly bwtEtu: number;
  readonly cwtEtu: number;
  readonly trace?: (line: string) => void;
}

type Received = { readonly block: Block } | { readonly error: number; readonly reason: string };
type Verdict = 'done' | 'retransmit' | 'invalid';

export class T1Transport {
  readonly #port: CharacterPort;
  readonly #options: T1Options;
  #ns = 0;
  #nr = 0;
  #ifsc: number;
  #ifsd: number;
  #wtx = 1;
  #dead = false;
  /** Counters for tests and benchmarks. */
  readonly counters = { blocksSent: 0, blocksReceived: 0, invalidBlocks: 0, retransmissions: 0, resynchs: 0, wtx: 0 };

  constructor(port: CharacterPort, options: T1Options) {
    this.#port = port;
    this.#options = options;
    this.#ifsc = options.ifsc;
    this.#ifsd = 32; // until S(IFS) says otherwise (§11.4.2)
  }

  get ifsc(): number {
    return this.#ifsc;
  }

  get ifsd(): number {
    return this.#ifsd;
  }

  /** True once RESYNCH failed: only a new activation helps. */
  get dead(): boolean {
    return this.#dead;
  }

  /** S(IFS request) with the terminal's IFSD (§11.4.2). */
  async negotiateIfsd(): Promise<void> {
    const wanted = this.#options.ifsd;
    const request = sBlock(S_KIND.IFS, false, Uint8Array.of(wanted));
    await this.#step(request, (b) => (b.kind === 'S' && b.type === S_KIND.IFS && b.response && b.inf[0] === wanted ? 'done' : 'invalid'));
    this.#ifsd = wanted;
  }

  async transmit(apdu: Uint8Array): Promise<Uint8Array> {
    if (this.#dead) throw new TransmissionError('T=1 line is out of step: reactivate the card');
    const pieces: Uint8Array[] = [];
    for (let at = 0; at < apdu.length || pieces.length === 0; at += this.#ifsc) pieces.push(apdu.subarray(at, at + this.#ifsc));
    let reply: Block | null = null;
    for (let i = 0; i < pieces.length; i++) {
      const last = i === pieces.length - 1;
      const ns = this.#ns;
      const block = iBlock(ns, !last, pieces[i]!);
      if (!last) {
        // Chaining: the card acknowledges with R(N(R) = our next N(S)) (§11.6.2.3).
        await this.#step(block, (b) => (b.kind !== 'R' ? 'invalid' : b.nr !== ns ? 'done' : 'retransmit'));
        this.#ns ^= 1;
      } else {
        reply = await this.#step(block, (b) => (b.kind === 'I' && b.ns === this.#nr ? 'done' : b.kind === 'R' && b.nr === ns ? 'retransmit' : 'invalid'));
        this.#ns ^= 1;
      }
    }
    // The card's answer, possibly chained: acknowledge each part with R(N(R) = its next N(S)).
    const parts: Uint8Array[] = [];
    let current = reply as Extract<Block, { kind: 'I' }>;
    for (;;) {
      parts.push(current.inf);
      this.#nr ^= 1;
      if (!current.more) break;
      const next = await this.#step(rBlock(this.#nr), (b) => (b.kind === 'I' && b.ns === this.#nr ? 'done' : b.kind === 'R' ? 'retransmit' : 'invalid'));
      current = next as Extract<Block, { kind: 'I' }>;
    }
    return concatBytes(...parts);
  }

  /**
   * Sends `block` and returns the first valid answer `accept` calls done. S-requests from the card
   * (WTX, IFS, ABORT) are answered on the way; failures are recovered as §11.6.3 says.
   */
  async #step(block: Block, accept: (answer: Block) => Verdict): Promise<Block> {
    let failures = 0;
    await this.#send(block);
    for (;;) {
      const received = await this.#receive();
      let problem: { error: number; reason: string } | null = null;
      if ('block' in received) {
        const answer = received.block;
        if (answer.kind === 'S' && !answer.response) {
          if (answer.type === S_KIND.WTX) {
            this.#wtx = Math.max(1, answer.inf[0] ?? 1);
            this.counters.wtx++;
            await this.#send(sBlock(S_KIND.WTX, true, answer.inf));
            continue;
          }
          if (answer.type === S_KIND.IFS) {
            const size = answer.inf[0] ?? 0;
            if (size >= 1 && size <= 254) {
              this.#ifsc = size;
              await this.#send(sBlock(S_KIND.IFS, true, answer.inf));
              continue;
            }
          }
          if (answer.type === S_KIND.ABORT) {
            await this.#send(sBlock(S_KIND.ABORT, true));
            throw new ProtocolAbortError('the card aborted the chain (S(ABORT))');
          }
        }
        const verdict = accept(answer);
        if (verdict === 'done') return answer;
        if (verdict === 'retransmit') {
          if (++failures >= T1_LIMITS.retries) return this.#resynchronise(`card kept asking for ${describeBlock(block)} again`);
          this.counters.retransmissions++;
          await this.#send(block);
          continue;
        }
        problem = { error: R_ERROR.OTHER, reason: `unexpected ${describeBlock(answer)} after ${describeBlock(block)}` };
      } else {
        problem = received;
      }
      this.counters.invalidBlocks++;
      if (++failures >= T1_LIMITS.retries) return this.#resynchronise(problem.reason);
      // An S-request is repeated; otherwise R(N(R)) asks for the block we are waiting for (§11.6.3.2).
      this.counters.retransmissions++;
      await this.#send(block.kind === 'S' && !block.response ? block : rBlock(this.#nr, problem.error));
    }
  }

  async #resynchronise(reason: string): Promise<never> {
    this.#options.trace?.(`T=1: ${reason}; RESYNCH`);
    for (let attempt = 0; attempt < T1_LIMITS.resynch; attempt++) {
      this.counters.resynchs++;
      await this.#send(sBlock(S_KIND.RESYNCH, false));
      const received = await this.#receive();
      if ('block' in received && received.block.kind === 'S' && received.block.type === S_KIND.RESYNCH && received.block.response) {
        this.#ns = 0;
        this.#nr = 0;
        this.#ifsc = this.#options.ifsc;
        this.#ifsd = 32;
        throw new TransmissionError(`T=1: ${reason}; line resynchronised, the command is lost (it may or may not have run)`);
      }
    }
    this.#dead = true;
    throw new TransmissionError(`T=1: ${reason}; RESYNCH failed ${T1_LIMITS.resynch} times`);
  }

  async #send(block: Block): Promise<void> {
    // Block guard time (§11.4.3): the line stays quiet 22 etu before a block in the other
    // direction; whatever arrives meanwhile belongs to no block we wait for.
    while ((await this.#port.receive(BGT_ETU)) !== LINE.TIMEOUT);
    this.counters.blocksSent++;
    this.#options.trace?.(`T=1 > ${describeBlock(block)}`);
    await this.#port.send(encodeBlock(block, this.#options.edc));
  }

  async #receive(): Promise<Received> {
    const { bwtEtu, cwtEtu, edc } = this.#options;
    const wait = bwtEtu * this.#wtx;
    this.#wtx = 1;
    const first = await this.#port.receive(wait);
    if (first === LINE.TIMEOUT) return { error: R_ERROR.OTHER, reason: `no block within BWT (${wait} etu)` };
    const bytes = [first & 0xff];
    let parity = (first & LINE.PARITY_ERROR) !== 0;
    for (let need = 3; bytes.length < need;) {
      const next = await this.#port.receive(cwtEtu);
      if (next === LINE.TIMEOUT) {
        this.#options.trace?.(`T=1 < cut short after ${bytes.length} bytes`);
        return { error: R_ERROR.OTHER, reason: `block cut short after ${bytes.length} bytes (CWT)` };
      }
      parity ||= (next & LINE.PARITY_ERROR) !== 0;
      bytes.push(next & 0xff);
      if (bytes.length === 3) need = 3 + bytes[2]! + edcLength(edc);
    }
    // A card sends nothing right after its block: characters there mean LEN was wrong or noise
    // hit the line, and the block is not to be trusted (it is asked for again).
    const trailing = await this.#port.drain(Math.min(cwtEtu, 24));
    if (parity) return { error: R_ERROR.EDC, reason: 'parity error in a block' };
    if (trailing > 0) return { error: R_ERROR.OTHER, reason: `${trailing} character(s) right after a block` };
    try {
      const { block } = decodeBlock(Uint8Array.from(bytes), edc);
      this.counters.blocksReceived++;
      this.#options.trace?.(`T=1 < ${describeBlock(block)}`);
      return { block };
    } catch (error) {
      if (error instanceof BlockError) return { error: error.code, reason: error.message };
      throw error;
    }
  }
}

