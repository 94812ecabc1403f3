// Long commands and long answers in short APDUs (ISO/IEC 7816-4 §5.4.1 command chaining, §5.1.3
// `61xx` with GET RESPONSE). With ESIGN, card data, certificates and signatures pass 255 bytes.
import { statusOnly, type CommandApdu, type ResponseApdu } from '../firmware/protocol/apdu.js';
import { concatBytes } from '../firmware/protocol/bytes.js';
import { CLA_CHAINING } from '../firmware/protocol/commands.js';
import { moreDataStatus, SW } from '../firmware/protocol/status-words.js';

/** The longest command a chain may build: REGISTER PIN with ESIGN is about 820 bytes. */
export const MAX_CHAIN_DATA = 2048;

export type ChainStep =
  | { readonly kind: 'complete'; readonly apdu: CommandApdu }
  | { readonly kind: 'more' }
  | { readonly kind: 'refused'; readonly sw: number };

export class CommandChain {
  #head: CommandApdu | null = null;
  #parts: Uint8Array[] = [];
  #length = 0;

  /** Takes one command; gives the whole command once the last link of a chain arrives. */
  add(apdu: CommandApdu): ChainStep {
    const chained = (apdu.cla & CLA_CHAINING) !== 0;
    const plain = { ...apdu, cla: apdu.cla & ~CLA_CHAINING };
    const head = this.#head;
    if (head && (head.cla !== plain.cla || head.ins !== plain.ins || head.p1 !== plain.p1 || head.p2 !== plain.p2)) {
      this.clear();
      return { kind: 'refused', sw: SW.LAST_COMMAND_OF_CHAIN_EXPECTED };
    }
    if (!chained && !head) return { kind: 'complete', apdu };
    this.#length += apdu.data.length;
    if (this.#length > MAX_CHAIN_DATA) {
      this.clear();
      return { kind: 'refused', sw: SW.WRONG_LENGTH };
    }
    this.#parts.push(apdu.data);
    if (chained) {
      this.#head = head ?? plain;
      return { kind: 'more' };
    }
    const data = concatBytes(...this.#parts);
    this.clear();
    return { kind: 'complete', apdu: { ...plain, data } };
  }

  clear(): void {
    this.#head = null;
    this.#parts = [];
    this.#length = 0;
  }
}

/** Holds the rest of an answer longer than Le until GET RESPONSE fetches it. */
export class ResponseBuffer {
  #rest: Uint8Array | null = null;
  #finalStatus: number = SW.OK;

  /** The part of the answer that fits Le (256 when absent), `61xx` when more waits. */
  send(response: ResponseApdu, le: number | null): ResponseApdu {
    this.clear();
    const limit = le ?? 256;
    if (response.data.length <= limit) return response;
    this.#rest = response.data.slice(limit);
    this.#finalStatus = response.sw;
    return { data: response.data.slice(0, limit), sw: moreDataStatus(this.#rest.length) };
  }

  /** GET RESPONSE: the next part, with the answer's own status word after the last one. */
  next(le: number | null): ResponseApdu {
    const rest = this.#rest;
    if (!rest) return statusOnly(SW.CONDITIONS_NOT_SATISFIED);
    if (le === null) return statusOnly(SW.WRONG_LENGTH);
    const part = rest.slice(0, le);
    this.#rest = rest.length > le ? rest.slice(le) : null;
    return { data: part, sw: this.#rest ? moreDataStatus(this.#rest.length) : this.#finalStatus };
  }

  clear(): void {
    this.#rest = null;
    this.#finalStatus = SW.OK;
  }
}
