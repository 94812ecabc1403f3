// T=1 on the card's side (ISO/IEC 7816-3 §11): blocks in, chains assembled into an APDU, the answer
// chained out in IFSD pieces, R-blocks answered by retransmission, S(IFS), S(RESYNCH), S(ABORT),
// and S(WTX) requests when the modelled processing time would pass BWT.
import {
  BlockError, decodeBlock, edcLength, encodeBlock, iBlock, R_ERROR, rBlock, S_KIND, sBlock, type Block, type Edc,
} from '../../firmware/iso7816/block.js';
import { concatBytes } from '../../firmware/protocol/bytes.js';

export interface T1CardOptions {
  readonly process: (apdu: Uint8Array) => Uint8Array;
  readonly send: (bytes: Uint8Array, delayEtu?: number) => number;
  readonly ifsc: number;
  readonly edc: Edc;
  readonly bwtEtu: number;
  readonly cwtEtu: number;
  /** Seconds per etu at the negotiated rate (to read character gaps against CWT). */
  readonly etuSeconds: number;
  readonly processingEtu?: number;
}

export class T1Card {
  readonly #options: T1CardOptions;
  #ns = 0;
  #nr = 0;
  #ifsd = 32;
  #bytes: number[] = [];
  #parity = false;
  #lastAt = -Infinity;
  #busyUntil = -Infinity;
  #chainIn: Uint8Array[] = [];
  #chainOut: Uint8Array[] = [];
  #last: Block | null = null;
  #lastI: Extract<Block, { kind: 'I' }> | null = null;
  #afterWtx: (() => void) | null = null;
  /** A block whose LEN says it is complete, held until the line is quiet (idle). */
  #complete: { readonly bytes: Uint8Array; readonly parity: boolean } | null = null;
  /** Characters came after #complete: LEN was wrong or noise hit the line. */
  #trailing = false;
  /** Blocks the card found invalid (tests read it). */
  invalidBlocks = 0;

  constructor(options: T1CardOptions) {
    this.#options = options;
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
    switch (block.kind) {
      case 'I': {
        if (block.ns !== this.#nr || this.#chainOut.length > 0) return this.#invalid(R_ERROR.OTHER);
        this.#nr ^= 1;
        this.#lastI = null;
        this.#last = null;
        this.#chainIn.push(block.inf);
        if (block.more) return this.#send(rBlock(this.#nr));
        const apdu = concatBytes(...this.#chainIn);
        this.#chainIn = [];
        return this.#answer(apdu);
      }
      case 'R': {
        const lastI = this.#lastI;
        if (lastI && lastI.more && block.nr !== lastI.ns) return this.#sendNextPiece(0); // chain acknowledged
        if (lastI && block.nr === lastI.ns) return this.#send(lastI);
        // An R-block acknowledging the card's last I-block asks for the terminal's next one, which
        // was lost: R(N(R)) tells the terminal which I-block the card expects (§11.6.3.2), never
        // the old answer again. S-responses are not repeated either; an R-ack or S(WTX) request is.
        if (this.#last && this.#last.kind !== 'I') return this.#send(this.#last, 0, false);
        return this.#send(rBlock(this.#nr), 0, false);
      }
      case 'S': {
        if (block.response) {
          if (block.type === S_KIND.WTX && this.#afterWtx) {
            const next = this.#afterWtx;
            this.#afterWtx = null;
            return next();
          }
          return this.#invalid(R_ERROR.OTHER);
        }
        if (block.type === S_KIND.IFS) {
          this.#ifsd = block.inf[0]!;
          return this.#send(sBlock(S_KIND.IFS, true, block.inf), 0, false);
        }
        if (block.type === S_KIND.RESYNCH) {
          this.#ns = 0;
          this.#nr = 0;
          this.#ifsd = 32;
          this.#chainIn = [];
          this.#chainOut = [];
          this.#lastI = null;
          this.#afterWtx = null;
          this.#last = null;
          return this.#send(sBlock(S_KIND.RESYNCH, true), 0, false);
        }
        if (block.type === S_KIND.ABORT) {
          this.#chainIn = [];
          this.#chainOut = [];
          this.#last = null;
          return this.#send(sBlock(S_KIND.ABORT, true), 0, false);
        }
        return this.#invalid(R_ERROR.OTHER);
      }
    }
  }

  #answer(apdu: Uint8Array): void {
    const response = this.#options.process(apdu);
    this.#chainOut = [];
    for (let at = 0; at < response.length; at += this.#ifsd) this.#chainOut.push(response.subarray(at, at + this.#ifsd));
    const processing = this.#options.processingEtu ?? 0;
    if (processing > this.#options.bwtEtu * 0.9) {
      // Waiting time extension (§11.6.2.4): ask for enough BWTs, answer after the work is done.
      const multiplier = Math.min(255, Math.ceil(processing / this.#options.bwtEtu) + 1);
      this.#afterWtx = () => this.#sendNextPiece(processing);
      return this.#send(sBlock(S_KIND.WTX, false, Uint8Array.of(multiplier)));
    }
    this.#sendNextPiece(processing);
  }

  #sendNextPiece(delayEtu: number): void {
    const piece = this.#chainOut.shift();
    if (!piece) return;
    const block = iBlock(this.#ns, this.#chainOut.length > 0, piece) as Extract<Block, { kind: 'I' }>;
    this.#ns ^= 1;
    this.#lastI = block;
    this.#send(block, delayEtu);
  }

  #invalid(error: number): void {
    this.invalidBlocks++;
    this.#send(rBlock(this.#nr, error), 0, false);
  }

  #send(block: Block, delayEtu = 0, remember = true): void {
    if (remember) this.#last = block;
    this.#busyUntil = this.#options.send(encodeBlock(block, this.#options.edc), delayEtu);
  }
}
