// The terminal's side of the card line at APDU level: one command out, one response back.
// Commands longer than a short APDU go as a chain; answers longer than Le are fetched with
// GET RESPONSE (ISO/IEC 7816-4 §5.4.1, §5.1.3), so flows always see whole commands and answers.
import { encodeCommand, parseResponse, type CommandApdu, type ResponseApdu } from '../protocol/apdu.js';
import { concatBytes } from '../protocol/bytes.js';
import { CLA_CHAINING, COMMANDS, MAX_SHORT_DATA } from '../protocol/commands.js';
import { SW } from '../protocol/status-words.js';
import type { CardReader } from '../../hal/reader.js';

/** A card that keeps answering 61xx past this many parts is faulty, not long-winded. */
const MAX_RESPONSE_PARTS = 32;

export class CardLinkError extends Error {
  override name = 'CardLinkError';
}

export interface ExchangeLog {
  readonly commands: number;
  readonly bytesOut: number;
  readonly bytesIn: number;
}

export class CardLink {
  #reader: CardReader;
  #commands = 0;
  #bytesOut = 0;
  #bytesIn = 0;

  constructor(reader: CardReader) {
    this.#reader = reader;
  }

  powerOn(): Promise<Uint8Array> {
    return this.#reader.powerOn();
  }

  /** Sends one command; a card removed meanwhile surfaces as the reader's CardRemovedError. */
  async send(apdu: CommandApdu): Promise<ResponseApdu> {
    let offset = 0;
    for (; apdu.data.length - offset > MAX_SHORT_DATA; offset += MAX_SHORT_DATA) {
      const link = { ...apdu, cla: apdu.cla | CLA_CHAINING, data: apdu.data.subarray(offset, offset + MAX_SHORT_DATA), le: null };
      const response = await this.#exchange(link);
      if (response.sw !== SW.OK) return response; // the card refused the chain
    }
    return this.#collect(await this.#exchange({ ...apdu, data: apdu.data.subarray(offset) }));
  }

  /** Follows 61xx with GET RESPONSE until the card gives its final status word. */
  async #collect(first: ResponseApdu): Promise<ResponseApdu> {
    let response = first;
    const parts = [first.data];
    for (let count = 0; response.sw >> 8 === 0x61; count++) {
      if (count === MAX_RESPONSE_PARTS) throw new CardLinkError(`card still answers 61xx after ${MAX_RESPONSE_PARTS} GET RESPONSE commands`);
      response = await this.#exchange(COMMANDS.getResponse((response.sw & 0xff) || 256));
      parts.push(response.data);
    }
    return parts.length === 1 ? response : { data: concatBytes(...parts), sw: response.sw };
  }

  async #exchange(apdu: CommandApdu): Promise<ResponseApdu> {
    const command = encodeCommand(apdu);
    const response = await this.#reader.transmit(command);
    this.#commands++;
    this.#bytesOut += command.length;
    this.#bytesIn += response.length;
    return parseResponse(response);
  }

  /** APDU count and bytes on the line so far (benchmarks read this). */
  get log(): ExchangeLog {
    return { commands: this.#commands, bytesOut: this.#bytesOut, bytesIn: this.#bytesIn };
  }
}
