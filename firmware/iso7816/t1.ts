// T=1, the block protocol (ISO/IEC 7816-3 §11), interface-device side: I-blocks chained both ways
// in IFSC / IFSD pieces, R-blocks to acknowledge and to ask again, S-blocks for IFS, WTX, RESYNCH
// and ABORT, and the error recovery of §11.6.3: an invalid or missing block is asked again, a block
// that has gone out three times without a fitting answer leads to RESYNCH (itself tried three
// times), and then the command is reported lost. Negotiated values (IFSC, IFSD, the WTX multiplier)
// hold from the next block sent, in the middle of a chain too. A response is handed up only when
// every block of it was valid and in sequence.
import { LINE } from '../../hal/card-line.js';
import { concatBytes } from '../protocol/bytes.js';
import { BLOCK, BlockError, decodeBlock, describeBlock, edcLength, encodeBlock, iBlock, R_ERROR, rBlock, S_KIND, sBlock, type Block, type Edc } from './block.js';
import { ProtocolAbortError, TransmissionError } from './errors.js';
import type { CharacterPort } from './port.js';

const BGT_ETU = 22;
/**
 * How long the line must stay quiet after a block before it counts as ended, etu: at least BGT
 * (§11.4.3); CWT where that is short, never more than this, so a card with a long CWT does not
 * hold up each answer by a whole CWT.
 */
const QUIET_ETU = 24;
/**
 * The longest CWT for which a block and its quiet are read in one run, etu (CWI ≤ 5: 43 etu). The
 * run then waits CWT after the block instead of QUIET_ETU: at most 40 etu more, 4 ms at 9,600
 * bit/s and 0.2 ms at 223,200 (the driver's timers round up to whole ms anyway), for one promise
 * per block instead of three. A longer CWT (CWI 13 without TB3: 8,203 etu) is read in parts.
 */
const ONE_RUN_CWT_ETU = 64;

/**
 * Times one block (the same bytes) may go out while one step of an exchange waits for its answer,
 * and RESYNCH attempts before giving up (§11.6.3.2, rule 7.4).
 */
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
type IBlock = Extract<Block, { kind: 'I' }>;
/**
 * What an answer means for the block just sent: the one awaited ('done'), a request for our last
 * I-block again ('resend-i', an R-block whose N(R) is its N(S), §11.6.2.3), or a valid block that
 * fits nothing ('unexpected', handled as an invalid one, §11.6.3.2).
 */
type Verdict = 'done' | 'resend-i' | 'unexpected';

/** Whether `a` and `b` are the same block on the line: to count how often one block went out. */
function sameBlock(a: Block, b: Block): boolean {
  if (a.kind === 'R') return b.kind === 'R' && a.nr === b.nr && a.error === b.error;
  if (a.kind === 'I' ? b.kind !== 'I' || a.ns !== b.ns || a.more !== b.more : b.kind !== 'S' || a.type !== b.type || a.response !== b.response) return false;
  const x = a.inf;
  const y = (b as { readonly inf: Uint8Array }).inf;
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** A block sent in one step of an exchange, and how many times it went out. */
interface Sent {
  readonly block: Block;
  times: number;
}

export class T1Transport {
  readonly #port: CharacterPort;
  readonly #options: T1Options;
  #ns = 0;
  #nr = 0;
  #ifsc: number;
  #ifsd: number;
  #wtx = 1;
  #dead = false;
  /**
   * Whether the line has been quiet for at least BGT since the card's last character: true after
   * a block was received and drained, false once we send, and false at the start of an exchange
   * when anything came meanwhile (it is then read away by the BGT wait). Then the next block
   * needs no wait: the drain already lasted BGT (§11.4.3), and time since only adds to it.
   */
  #quiet = false;
  /** The I-block as last sent (its INF is cut when it is sent, with the IFSC of that moment). */
  #lastI: IBlock | null = null;
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

  /** S(IFS request) with the terminal's IFSD (§11.4.2); the card's next I-block may use it. */
  async negotiateIfsd(): Promise<void> {
    this.#stillQuiet();
    const wanted = this.#options.ifsd;
    const request = sBlock(S_KIND.IFS, false, Uint8Array.of(wanted));
    await this.#step(() => request, (b) => (b.kind === 'S' && b.type === S_KIND.IFS && b.response && b.inf[0] === wanted ? 'done' : 'unexpected'));
    this.#ifsd = wanted;
  }

  async transmit(apdu: Uint8Array): Promise<Uint8Array> {
    if (this.#dead) throw new TransmissionError('T=1 line is out of step: reactivate the card');
    this.#stillQuiet();
    // The command goes out in pieces cut as each block is sent: an S(IFS request) from the card
    // in the middle of the chain changes the size of every block after it (§11.4.2).
    let at = 0;
    let reply: IBlock;
    for (;;) {
      const ns = this.#ns;
      const build = (): Block => {
        const inf = apdu.subarray(at, at + this.#ifsc);
        return iBlock(ns, at + inf.length < apdu.length, inf);
      };
      const answer = await this.#step(build, (b) => this.#answerToI(b));
      const sent = this.#lastI!;
      this.#ns ^= 1;
      at += sent.inf.length;
      if (!sent.more) {
        reply = answer as IBlock;
        break;
      }
    }
    // The card's answer, possibly chained: acknowledge each part with R(N(R) = its next N(S)).
    const parts: Uint8Array[] = [];
    for (let current = reply; ;) {
      parts.push(current.inf);
      this.#nr ^= 1;
      if (!current.more) break;
      current = await this.#step(() => rBlock(this.#nr), (b) => (b.kind === 'I' && b.ns === this.#nr ? 'done' : 'unexpected')) as IBlock;
    }
    return concatBytes(...parts);
  }

  /**
   * Between exchanges the terminal works and the line may carry noise: a character that arrived
   * since the last drain means the BGT wait is needed again, and reads it away.
   */
  #stillQuiet(): void {
    if (this.#quiet && this.#port.available() > 0) this.#quiet = false;
  }

  /** The card's answer to our last I-block (§11.6.2): R(next N(S)) inside a chain, its I-block after the last one. */
  #answerToI(answer: Block): Verdict {
    const sent = this.#lastI!;
    if (answer.kind === 'R' && answer.nr === sent.ns) return 'resend-i';
    if (sent.more) return answer.kind === 'R' ? 'done' : 'unexpected';
    return answer.kind === 'I' && answer.ns === this.#nr ? 'done' : 'unexpected';
  }

  /**
   * Sends the block `build` makes and returns the first valid answer `accept` calls done. S-requests
   * from the card (WTX, IFS, ABORT) are answered on the way. Recovery follows §11.6.3.2: after an
   * invalid block, or a valid one that fits nothing, the last R-block or S(request) goes out again
   * unchanged (rules 7.2, 7.3), after an I-block or an S(response) an R-block asks for the awaited
   * I-block (rule 7.1); an R-block naming our last I-block gets that I-block again. Each distinct
   * block goes out at most T1_LIMITS.retries times in one step; one more is RESYNCH (rule 7.4).
   */
  async #step(build: () => Block, accept: (answer: Block) => Verdict): Promise<Block> {
    // A step sends one block, or a few after errors: a list compared block by block, no keys.
    const sends: Sent[] = [];
    let next = build();
    let reason = '';
    for (;;) {
      let sent: Sent | undefined;
      for (let i = 0; !sent && i < sends.length; i++) if (sameBlock(sends[i]!.block, next)) sent = sends[i];
      const times = (sent ? sent.times : 0) + 1;
      if (times > T1_LIMITS.retries) return this.#resynchronise(`${describeBlock(next)} sent ${T1_LIMITS.retries} times (${reason})`);
      if (sent) sent.times = times;
      else sends.push({ block: next, times });
      if (times > 1) this.counters.retransmissions++;
      await this.#send(next);
      let last = next;
      for (;;) {
        const received = await this.#receive();
        if (!('block' in received)) {
          this.counters.invalidBlocks++;
          reason = received.reason;
          next = this.#recovery(last, received.error);
          break;
        }
        const answer = received.block;
        if (answer.kind === 'S' && !answer.response) {
          const response = await this.#answerRequest(answer);
          if (response) {
            last = response;
            continue;
          }
        }
        const verdict = accept(answer);
        if (verdict === 'done') return answer;
        reason = `${describeBlock(answer)} after ${describeBlock(last)}`;
        next = verdict === 'resend-i' ? build() : this.#recovery(last, R_ERROR.OTHER);
        break;
      }
    }
  }

  /** The block to send after an invalid or unfitting one, when `last` was the last block sent (§11.6.3.2). */
  #recovery(last: Block, error: number): Block {
    if (last.kind === 'R' || (last.kind === 'S' && !last.response)) return last;
    return rBlock(this.#nr, error);
  }

  /**
   * Answers an S-request from the card and returns the response sent; null when the request is
   * not acceptable (an IFS of 0 or 255, a RESYNCH, which only the terminal sends): it is then
   * handled as a block that fits nothing. S(ABORT) ends the command here.
   */
  async #answerRequest(request: Extract<Block, { kind: 'S' }>): Promise<Block | null> {
    if (request.type === S_KIND.WTX) {
      // BWT × the multiplier, for the next block only (§11.6.2.4); counted from our response.
      this.#wtx = Math.max(1, request.inf[0]!);
      this.counters.wtx++;
      const response = sBlock(S_KIND.WTX, true, request.inf);
      await this.#send(response);
      return response;
    }
    if (request.type === S_KIND.IFS) {
      const size = request.inf[0]!;
      if (size < 1 || size > BLOCK.MAX_INF) return null;
      // The new IFSC holds from our next I-block, in the middle of a chain too (§11.4.2).
      this.#ifsc = size;
      const response = sBlock(S_KIND.IFS, true, request.inf);
      await this.#send(response);
      return response;
    }
    if (request.type === S_KIND.ABORT) {
      // The card answered our last I-block with the request: it counted that block, so its N(S)
      // is used up even though the chain ends (§11.6.2.3).
      if (this.#lastI && this.#lastI.ns === this.#ns) this.#ns ^= 1;
      await this.#send(sBlock(S_KIND.ABORT, true));
      throw new ProtocolAbortError('the card aborted the chain (S(ABORT))');
    }
    return null;
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
        this.#wtx = 1;
        this.#lastI = null;
        throw new TransmissionError(`T=1: ${reason}; line resynchronised, the command is lost (it may or may not have run)`);
      }
    }
    this.#dead = true;
    throw new TransmissionError(`T=1: ${reason}; RESYNCH failed ${T1_LIMITS.resynch} times`);
  }

  async #send(block: Block): Promise<void> {
    // Block guard time (§11.4.3): the line stays quiet 22 etu before a block in the other
    // direction; whatever arrives meanwhile belongs to no block we wait for.
    if (!this.#quiet) while ((await this.#port.receive(BGT_ETU)) !== LINE.TIMEOUT);
    this.#quiet = false;
    this.counters.blocksSent++;
    if (block.kind === 'I') this.#lastI = block;
    this.#options.trace?.(`T=1 > ${describeBlock(block)}`);
    await this.#port.send(encodeBlock(block, this.#options.edc));
  }

  /**
   * One block off the line, not a promise per character: its first character within BWT (× the
   * WTX multiplier), every next one within CWT of the one before (§11.4.3), then the quiet after
   * it, at least BGT: characters right after the block make it untrusted. On the wire the same
   * waits as reading the characters one by one.
   */
  #receive(): Promise<Received> {
    // Not async: the chosen reader's promise is handed on, one frame fewer to resume per block.
    const { bwtEtu, cwtEtu } = this.#options;
    const wait = bwtEtu * this.#wtx;
    this.#wtx = 1;
    return cwtEtu <= ONE_RUN_CWT_ETU ? this.#receiveInOneRun(wait, cwtEtu) : this.#receiveInParts(wait, cwtEtu);
  }

  /**
   * A short CWT (ONE_RUN_CWT_ETU): block and quiet in one run of up to one character more than the
   * longest block, which ends when CWT passes with nothing more after the block.
   */
  async #receiveInOneRun(wait: number, cwtEtu: number): Promise<Received> {
    const tail = edcLength(this.#options.edc);
    const longest = 3 + BLOCK.MAX_INF + tail;
    const run = await this.#port.receiveRun(longest + 1, wait, cwtEtu);
    const bytes = run.chars;
    if (bytes.length === 0) return { error: R_ERROR.OTHER, reason: `no block within BWT (${wait} etu)` };
    // LEN (the third character) says how long the block is; fewer means CWT ran out inside it.
    const length = bytes.length < 3 ? longest + 1 : 3 + bytes[2]! + tail;
    if (bytes.length < length) return this.#cutShort(bytes.length);
    // CWT after the last character is the quiet when CWT ≥ BGT; a shorter one, or a run that
    // filled up, is completed here.
    let trailing = bytes.length - length;
    if (!run.timedOut) trailing += await this.#port.drain(QUIET_ETU);
    else if (cwtEtu < BGT_ETU) trailing += await this.#port.drain(BGT_ETU - cwtEtu);
    const parity = run.parityErrors.length > 0 && run.parityErrors[0]! < length;
    return this.#block(length === bytes.length ? bytes : bytes.subarray(0, length), parity, trailing);
  }

  /**
   * A long CWT (up to 32,779 etu at CWI 15): the prologue (NAD, PCB, LEN) in one run, INF and EDC
   * in another, then a drain of QUIET_ETU, so the terminal does not wait a whole CWT after each
   * block before it answers.
   */
  async #receiveInParts(wait: number, cwtEtu: number): Promise<Received> {
    const prologue = await this.#port.receiveRun(3, wait, cwtEtu);
    const head = prologue.chars;
    if (head.length === 0) return { error: R_ERROR.OTHER, reason: `no block within BWT (${wait} etu)` };
    if (prologue.timedOut) return this.#cutShort(head.length);
    const rest = await this.#port.receiveRun(head[2]! + edcLength(this.#options.edc), cwtEtu, cwtEtu);
    if (rest.timedOut) return this.#cutShort(head.length + rest.chars.length);
    const bytes = new Uint8Array(head.length + rest.chars.length);
    bytes.set(head);
    bytes.set(rest.chars, head.length);
    const trailing = await this.#port.drain(QUIET_ETU);
    return this.#block(bytes, prologue.parityErrors.length > 0 || rest.parityErrors.length > 0, trailing);
  }

  /** A whole block read, with whether a character of it failed parity and how many came right after it. */
  #block(bytes: Uint8Array, parity: boolean, trailing: number): Received {
    this.#quiet = trailing === 0;
    if (parity) return { error: R_ERROR.EDC, reason: 'parity error in a block' };
    // A card sends nothing right after its block: characters there mean LEN was wrong or noise
    // hit the line, and the block is not to be trusted (it is asked for again).
    if (trailing > 0) return { error: R_ERROR.OTHER, reason: `${trailing} character(s) right after a block` };
    try {
      const { block } = decodeBlock(bytes, this.#options.edc);
      // An I-block longer than the IFSD we announced breaks §11.4.2: not to be trusted.
      if (block.kind === 'I' && block.inf.length > this.#ifsd) return { error: R_ERROR.OTHER, reason: `I-block of ${block.inf.length} bytes, IFSD is ${this.#ifsd}` };
      this.counters.blocksReceived++;
      this.#options.trace?.(`T=1 < ${describeBlock(block)}`);
      return { block };
    } catch (error) {
      if (error instanceof BlockError) return { error: error.code, reason: error.message };
      throw error;
    }
  }

  /** A block whose next character did not come within CWT (§11.4.3): asked for again. */
  #cutShort(length: number): Received {
    this.#options.trace?.(`T=1 < cut short after ${length} bytes`);
    return { error: R_ERROR.OTHER, reason: `block cut short after ${length} bytes (CWT)` };
  }
}

