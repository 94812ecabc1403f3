// T=1 on the card's side (ISO/IEC 7816-3 §11): blocks in, chains assembled into an APDU, the answer
// chained out in IFSD pieces, R-blocks answered by retransmission, S(IFS), S(RESYNCH), S(ABORT),
// and S(WTX) requests when the modelled processing time would pass BWT. The error recovery of
// §11.6.3.2 is the terminal's (firmware/iso7816/t1.ts) seen from the other end: the last R-block or
// S(request) again unchanged, else R(N(R)) asking for the awaited I-block; a block goes out at most
// three times for one step, then the card waits for the terminal's RESYNCH. Negotiated values
// (IFSC, IFSD) hold from the next block, in the middle of a chain too.
import {
  BLOCK, BlockError, decodeBlock, edcLength, encodeBlock, iBlock, R_ERROR, rBlock, S_KIND, sBlock, type Block, type Edc,
} from '../../firmware/iso7816/block.js';
import { T1_LIMITS } from '../../firmware/iso7816/t1.js';
import { concatBytes } from '../../firmware/protocol/bytes.js';

export interface T1CardOptions {
  readonly process: (apdu: Uint8Array) => Uint8Array;
  readonly send: (bytes: Uint8Array, delayEtu?: number) => number;
  /** The card's IFSC from its ATR (TA3), bytes: the longest I-block INF it takes. */
  readonly ifsc: number;
  readonly edc: Edc;
  readonly bwtEtu: number;
  readonly cwtEtu: number;
  /** Seconds per etu at the negotiated rate (to read character gaps against CWT). */
  readonly etuSeconds: number;
  readonly processingEtu?: number;
}

type IBlock = Extract<Block, { kind: 'I' }>;
type SBlock = Extract<Block, { kind: 'S' }>;

export class T1Card {
  readonly #options: T1CardOptions;
  #ns = 0;
  #nr = 0;
  #ifsc: number;
  #ifsd = 32; // until the terminal's S(IFS request) (§11.4.2)
  #bytes: number[] = [];
  #parity = false;
  #lastAt = -Infinity;
  #busyUntil = -Infinity;
  #chainIn: Uint8Array[] = [];
  /** The answer being sent; #lastI carries its bytes from #outAt, cut with the IFSD of its sending. */
  #out: Uint8Array | null = null;
  #outAt = 0;
  /** The card's last I-block until the terminal acknowledges it (R-block in a chain, or its next I-block). */
  #lastI: IBlock | null = null;
  /** The last block sent, whatever its kind: rules 7.2 and 7.3 send it again unchanged. */
  #last: Block | null = null;
  /** An S(request) of the card awaiting its response, and what follows the response. */
  #pending: { readonly request: SBlock; readonly then: () => void } | null = null;
  /** How often each block went out since the terminal last made progress (rule 7.4). */
  #sends = new Map<string, number>();
  #ifsRequest: number | null = null;
  #abortNextChain = false;
  /** A block whose LEN says it is complete, held until the line is quiet (idle). */
  #complete: { readonly bytes: Uint8Array; readonly parity: boolean } | null = null;
  /** Characters came after #complete: LEN was wrong or noise hit the line. */
  #trailing = false;
  /** Blocks the card found invalid (tests read it). */
  invalidBlocks = 0;
  /** Blocks the card did not send because they had gone out T1_LIMITS.retries times (tests read it). */
  withheld = 0;

  constructor(options: T1CardOptions) {
    this.#options = options;
    this.#ifsc = options.ifsc;
  }

  get ifsc(): number {
    return this.#ifsc;
  }

  get ifsd(): number {
    return this.#ifsd;
  }

  /**
   * The card asks for a new IFSC (bytes, 1..254) with S(IFS request) in place of its answer to
   * the next I-block it receives; the size holds for the terminal's blocks after the response.
   */
  requestIfs(size: number): void {
    if (!(size >= 1 && size <= BLOCK.MAX_INF)) throw new RangeError(`IFSC ${size} (1 to 254)`);
    this.#ifsRequest = size;
  }

  /** The card aborts the next chain either way with S(ABORT request) (§11.6.2.3). */
  abortNextChain(): void {
    this.#abortNextChain = true;
  }

  receive(byte: number, parityError: boolean, at: number): void {
    if (at < this.#busyUntil) return; // the card was sending: a collision, not a character
    const gap = at - this.#lastAt;
    this.#lastAt = at;
    if (this.#complete) {
      // More characters before the line went quiet: the block is not what LEN said (§11.6.3.2).
      this.#trailing = true;
      return;
    }
    if (this.#bytes.length > 0 && gap > this.#options.cwtEtu * this.#options.etuSeconds) {
      this.#bytes = []; // CWT passed: the partial block is dropped (§11.4.3)
      this.#parity = false;
    }
    this.#bytes.push(byte);
    this.#parity ||= parityError;
    if (this.#bytes.length < 3 || this.#bytes.length < 3 + this.#bytes[2]! + edcLength(this.#options.edc)) return;
    this.#complete = { bytes: Uint8Array.from(this.#bytes), parity: this.#parity };
    this.#bytes = [];
    this.#parity = false;
  }

  /**
   * The terminal has stopped sending. A block is acted on only now, once nothing followed it: a
   * corrupted LEN or an extra character can make a prefix of the line look like a block whose
   * EDC checks (one time in 256 with LRC), and the characters after it are what gives it away.
   * The terminal applies the same rule to the card's blocks (firmware/iso7816/t1.ts).
   */
  idle(): void {
    const complete = this.#complete;
    const trailing = this.#trailing;
    this.#complete = null;
    this.#trailing = false;
    if (!complete) return; // nothing, or a block cut short: CWT drops it when the next one starts
    if (complete.parity) return this.#invalid(R_ERROR.EDC);
    if (trailing) return this.#invalid(R_ERROR.OTHER);
    let block: Block;
    try {
      block = decodeBlock(complete.bytes, this.#options.edc).block;
    } catch (error) {
      if (error instanceof BlockError) return this.#invalid(error.code);
      throw error;
    }
    this.#handle(block);
  }

  #handle(block: Block): void {
    // RESYNCH overrides whatever the card was doing (§11.6.3.2, rule 6).
    if (block.kind === 'S' && !block.response && block.type === S_KIND.RESYNCH) return this.#resynch();
    const pending = this.#pending;
    if (pending) {
      const answered = block.kind === 'S' && block.response && block.type === pending.request.type &&
        (block.type === S_KIND.ABORT || block.inf[0] === pending.request.inf[0]);
      if (!answered) return this.#recover(R_ERROR.OTHER); // rule 7.3: the request again
      this.#pending = null;
      this.#progress();
      return pending.then();
    }
    switch (block.kind) {
      case 'I': return this.#onI(block);
      case 'R': return this.#onR(block);
      case 'S': return this.#onS(block);
    }
  }

  #onI(block: IBlock): void {
    // The terminal sends an I-block only after the card's last one ended a chain, with the next
    // N(S), and no longer than the IFSC in force (§11.4.2, §11.6.2).
    if (this.#lastI?.more || block.ns !== this.#nr) return this.#recover(R_ERROR.OTHER);
    if (block.inf.length > this.#ifsc) return this.#recover(R_ERROR.OTHER);
    this.#nr ^= 1;
    this.#lastI = null;
    this.#out = null;
    this.#progress();
    this.#chainIn.push(block.inf);
    let next: () => void;
    if (block.more) {
      if (this.#abortNextChain) {
        this.#abortNextChain = false;
        // The card stays quiet after the response: the terminal has the turn and sends next.
        return this.#request(sBlock(S_KIND.ABORT, false), () => void (this.#chainIn = []));
      }
      next = () => this.#send(rBlock(this.#nr));
    } else {
      const apdu = concatBytes(...this.#chainIn);
      this.#chainIn = [];
      next = () => this.#answer(apdu);
    }
    const size = this.#ifsRequest;
    if (size === null) return next();
    this.#ifsRequest = null;
    this.#request(sBlock(S_KIND.IFS, false, Uint8Array.of(size)), () => {
      this.#ifsc = size; // for the terminal's blocks from now on, the rest of this chain included
      next();
    });
  }

  #onR(block: Extract<Block, { kind: 'R' }>): void {
    const lastI = this.#lastI;
    if (lastI?.more && block.nr !== lastI.ns) {
      // The terminal acknowledged a chained block: the next one, cut with the IFSD now in force.
      this.#progress();
      if (this.#abortNextChain) {
        this.#abortNextChain = false;
        return this.#request(sBlock(S_KIND.ABORT, false), () => this.#dropAnswer());
      }
      return this.#sendPiece(this.#nextNs(), this.#outAt + lastI.inf.length, 0);
    }
    // R(N(R)) naming the card's last I-block asks for it again (§11.6.2.3): the same bytes, cut
    // again only if the IFSD changed since.
    if (lastI && block.nr === lastI.ns) return this.#sendPiece(lastI.ns, this.#outAt, 0);
    // Otherwise the terminal missed the card's last R-block: it goes again unchanged (rule 7.2).
    // With none, R(N(R)) tells the terminal which I-block the card expects.
    if (this.#last?.kind === 'R') return this.#send(this.#last);
    this.#send(rBlock(this.#nr));
  }

  #onS(block: SBlock): void {
    if (block.response) return this.#recover(R_ERROR.OTHER); // no request of the card awaits it
    if (block.type === S_KIND.IFS) {
      const size = block.inf[0]!;
      if (size < 1 || size > BLOCK.MAX_INF) return this.#recover(R_ERROR.OTHER);
      this.#progress();
      this.#ifsd = size; // the card's next I-block uses it, in the middle of its chain too
      return this.#send(sBlock(S_KIND.IFS, true, block.inf));
    }
    if (block.type === S_KIND.ABORT) {
      this.#progress();
      this.#chainIn = [];
      if (this.#lastI?.more) this.#dropAnswer();
      return this.#send(sBlock(S_KIND.ABORT, true));
    }
    this.#recover(R_ERROR.OTHER); // S(WTX request) is the card's to send
  }

  #resynch(): void {
    this.#ns = 0;
    this.#nr = 0;
    this.#ifsc = this.#options.ifsc;
    this.#ifsd = 32;
    this.#chainIn = [];
    this.#dropAnswer();
    this.#pending = null;
    this.#last = null;
    this.#progress();
    this.#send(sBlock(S_KIND.RESYNCH, true));
  }

  #answer(apdu: Uint8Array): void {
    const response = this.#options.process(apdu);
    const processing = this.#options.processingEtu ?? 0;
    const start = (): void => {
      this.#out = response;
      this.#sendPiece(this.#nextNs(), 0, processing);
    };
    if (processing > this.#options.bwtEtu * 0.9) {
      // Waiting time extension (§11.6.2.4): ask for enough BWTs, answer after the work is done.
      const multiplier = Math.min(255, Math.ceil(processing / this.#options.bwtEtu) + 1);
      return this.#request(sBlock(S_KIND.WTX, false, Uint8Array.of(multiplier)), start);
    }
    start();
  }

  /** Sends the I-block with N(S) `ns` carrying the answer from `at`, at most IFSD bytes. */
  #sendPiece(ns: number, at: number, delayEtu: number): void {
    const out = this.#out ?? new Uint8Array(0);
    const inf = out.subarray(at, at + this.#ifsd);
    const block = iBlock(ns, at + inf.length < out.length, inf) as IBlock;
    this.#outAt = at;
    this.#lastI = block;
    this.#send(block, delayEtu);
  }

  /** N(S) for a new I-block of the card; a block sent again keeps its own. */
  #nextNs(): number {
    const ns = this.#ns;
    this.#ns ^= 1;
    return ns;
  }

  #dropAnswer(): void {
    this.#out = null;
    this.#lastI = null;
  }

  #request(request: Block, then: () => void): void {
    this.#pending = { request: request as SBlock, then };
    this.#send(request);
  }

  #invalid(error: number): void {
    this.invalidBlocks++;
    this.#recover(error);
  }

  /**
   * After an invalid block, or a valid one that fits nothing (§11.6.3.2): the last R-block or
   * S(request) again unchanged (rules 7.2, 7.3); after an I-block or an S(response), or before any
   * block (rule 7.5), R(N(R)) with the error asks for the I-block the card expects (rule 7.1).
   */
  #recover(error: number): void {
    const last = this.#last;
    if (last && (last.kind === 'R' || (last.kind === 'S' && !last.response))) return this.#send(last);
    this.#send(rBlock(this.#nr, error));
  }

  /** The terminal sent what the card waited for: the count of each block sent starts again. */
  #progress(): void {
    this.#sends.clear();
  }

  #send(block: Block, delayEtu = 0): void {
    // A block that went out T1_LIMITS.retries times without the exchange moving on is not sent a
    // fourth time: the card waits for the terminal, whose recovery ends in RESYNCH (rule 7.4).
    const key = Array.from(encodeBlock(block, 'lrc')).join(',');
    const times = (this.#sends.get(key) ?? 0) + 1;
    if (times > T1_LIMITS.retries) {
      this.withheld++;
      return;
    }
    this.#sends.set(key, times);
    this.#last = block;
    this.#busyUntil = this.#options.send(encodeBlock(block, this.#options.edc), delayEtu);
  }
}
