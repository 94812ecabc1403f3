// The terminal's side of the card line at APDU level: one command out, one response back.
import { encodeCommand, parseResponse, type CommandApdu, type ResponseApdu } from '../protocol/apdu.js';
import type { CardReader } from '../../hal/reader.js';

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
