// The terminal's side of the card line at APDU level: one command out, one response back.
// Commands longer than a short APDU go as a chain; answers longer than Le are fetched with
// GET RESPONSE (ISO/IEC 7816-4 §5.4.1, §5.1.3), so flows always see whole commands and answers.
import { ApduError, encodeCommand, parseResponse, type CommandApdu, type ResponseApdu } from '../protocol/apdu.js';
import { concatBytes } from '../protocol/bytes.js';
import { CLA_CHAINING, COMMANDS, INS, MAX_SHORT_DATA, RESPONSE_PART } from '../protocol/commands.js';
import type { TerminalSecureMessaging } from '../secure-channel/secure-messaging.js';
import { SW } from '../protocol/status-words.js';
import type { CardReader } from '../../hal/reader.js';

/** A card that keeps answering 61xx past this many parts is faulty, not long-winded. */
const MAX_RESPONSE_PARTS = 32;

/** A card that breaks the APDU exchange itself: an ApduError, so the session ends as a card error. */
export class CardLinkError extends ApduError {
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
  /** [0021]: the session's secure channel once agreed; chaining and GET RESPONSE stay beneath it. */
  #channel: TerminalSecureMessaging | null = null;

  constructor(reader: CardReader) {
    this.#reader = reader;
  }

  /** Powers the card on; any channel of the card before is gone with its session. */
  powerOn(): Promise<Uint8Array> {
    this.#channel = null;
    return this.#reader.powerOn();
  }

  /** From the next command on, every command but SELECT is wrapped and every answer unwrapped (firmware/secure-channel). */
  beginSecureMessaging(channel: TerminalSecureMessaging): void {
    this.#channel = channel;
  }

  /** Whether commands now go through the secure channel. */
  get secured(): boolean {
    return this.#channel !== null;
  }

  /**
   * Sends one command; a card removed meanwhile surfaces as the reader's CardRemovedError, an answer
   * that fails the secure channel's checks as SecureMessagingError. One
   * async frame per command: XS saves an async function's whole frame to the heap when it first
   * awaits, so helpers that only forward the reader's promise would each cost a frame.
   */
  async send(plain: CommandApdu): Promise<ResponseApdu> {
    // SELECT ends the card's session, and the channel with it (card-application.ts).
    if (plain.ins === INS.SELECT) this.#channel = null;
    const channel = this.#channel;
    const apdu = channel ? channel.wrap(plain) : plain;
    let offset = 0;
    for (; apdu.data.length - offset > MAX_SHORT_DATA; offset += MAX_SHORT_DATA) {
      const link = encodeCommand({ ...apdu, cla: apdu.cla | CLA_CHAINING, data: apdu.data.subarray(offset, offset + MAX_SHORT_DATA), le: null });
      const response = this.#received(link, await this.#reader.transmit(link));
      if (response.sw !== SW.OK) return channel ? channel.unwrap(response) : response; // the card refused the chain
    }
    const last = encodeCommand(offset === 0 ? apdu : { ...apdu, data: apdu.data.subarray(offset) });
    let response = this.#received(last, await this.#reader.transmit(last));
    if (response.sw >> 8 !== 0x61) return channel ? channel.unwrap(response) : response;
    // 61xx: GET RESPONSE until the card gives its final status word, a part of RESPONSE_PART at most
    const parts = [response.data];
    for (let count = 0; response.sw >> 8 === 0x61; count++) {
      if (count === MAX_RESPONSE_PARTS) throw new CardLinkError(`card still answers 61xx after ${MAX_RESPONSE_PARTS} GET RESPONSE commands`);
      const getResponse = encodeCommand(COMMANDS.getResponse(Math.min((response.sw & 0xff) || 256, RESPONSE_PART)));
      response = this.#received(getResponse, await this.#reader.transmit(getResponse));
      parts.push(response.data);
    }
    const whole = { data: concatBytes(...parts), sw: response.sw };
    return channel ? channel.unwrap(whole) : whole;
  }

  /** Counts one exchange (`command` and its answer, encoded bytes) and parses the answer. */
  #received(command: Uint8Array, response: Uint8Array): ResponseApdu {
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
