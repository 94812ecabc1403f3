// A card at the byte level: an APDU-level card (the card application, hal/sim SimCard) behind the
// ATR, PPS (ISO/IEC 7816-3 §9) and T=0 or T=1. The simulated line drives it character by character.
import { parseAtr, type Atr } from '../../firmware/iso7816/atr.js';
import { encodeFor, type Convention } from '../../firmware/iso7816/convention.js';
import { ppsLength, ppsMessage } from '../../firmware/iso7816/pps.js';
import {
  blockWaitingTimeEtu, characterWaitingTimeEtu, DEFAULTS, DI_TABLE, etuSeconds, FI_TABLE, protocolLineSettings, rateOf, waitingTimeEtu,
} from '../../firmware/iso7816/timing.js';
import { DEFAULT_LINE_SETTINGS } from '../../hal/card-line.js';
import type { ApduCard, ByteCard, CardContacts } from './contacts.js';
import { T0Card } from './t0-card.js';
import { T1Card } from './t1-card.js';

export interface ByteCardOptions {
  /** An ATR to send instead of the card's own (logical bytes, TS first). */
  readonly atr?: Uint8Array;
  /** How the card answers a PPS request: take TA1 (or less), keep the default rate, or stay mute. */
  readonly pps?: 'accept' | 'refuse' | 'mute';
  /** Modelled processing time per command, in etu (a slow card sends NULL or WTX). */
  readonly processingEtu?: number;
  /** T=0: move data one byte per ~INS procedure byte. */
  readonly ackEachByte?: boolean;
}

type State = 'off' | 'after-atr' | 'pps' | 'running' | 'mute';

export class SimByteCard implements ByteCard {
  readonly label: string;
  readonly #device: ApduCard;
  readonly #options: ByteCardOptions;
  #contacts: CardContacts | null = null;
  #atr: Atr | null = null;
  #state: State = 'off';
  #pps: number[] = [];
  #protocol: T0Card | T1Card | null = null;
  /** Commands the card application processed (tests read it). */
  commands = 0;

  constructor(device: ApduCard, options: ByteCardOptions = {}) {
    this.label = device.label;
    this.#device = device;
    this.#options = options;
  }

  get protocol(): 0 | 1 | null {
    return this.#protocol instanceof T1Card ? 1 : this.#protocol ? 0 : null;
  }

  get t1(): T1Card | null {
    return this.#protocol instanceof T1Card ? this.#protocol : null;
  }

  reset(contacts: CardContacts, _cold: boolean): void {
    const own = this.#device.reset();
    const atr = parseAtr(this.#options.atr ?? own);
    this.#contacts = contacts;
    this.#atr = atr;
    this.#protocol = null;
    this.#pps = [];
    this.#state = 'after-atr';
    contacts.configure({ ...DEFAULT_LINE_SETTINGS, parity: this.#convention() === 'direct' ? 'even' : 'odd' });
    this.#send(atr.bytes);
  }

  powerOff(): void {
    this.#state = 'off';
    this.#contacts = null;
    this.#protocol = null;
  }

  sendFailed(): void {
    this.#state = 'mute'; // §7.3: the card gave up on a character; it says nothing more until reset
  }

  receive(raw: number, parityError: boolean, at: number): void {
    if (this.#state === 'off' || this.#state === 'mute') return;
    const byte = encodeFor(this.#convention(), Uint8Array.of(raw))[0]!;
    if (this.#state === 'after-atr') {
      if (byte === 0xff && !parityError) {
        this.#state = 'pps';
      } else {
        // No PPS: the first offered protocol at the default rate (§9.1).
        this.#start(this.#atr!.protocols[0]!, DEFAULTS.fi, DEFAULTS.di);
      }
    }
    if (this.#state === 'pps') return this.#collectPps(byte, parityError);
    const protocol = this.#protocol;
    if (protocol instanceof T1Card) protocol.receive(byte, parityError, at);
    else protocol?.receive(byte);
  }

  idle(): void {
    if (this.#state === 'running' && this.#protocol instanceof T1Card) this.#protocol.idle();
  }

  #collectPps(byte: number, parityError: boolean): void {
    if (parityError) return void (this.#state = 'mute');
    this.#pps.push(byte);
    if (this.#pps.length < 2 || this.#pps.length < ppsLength(this.#pps[1]!)) return;
    const request = this.#pps;
    this.#pps = [];
    const atr = this.#atr!;
    const protocol = request[1]! & 0x0f;
    const valid = request.reduce((x, b) => x ^ b, 0) === 0 && atr.protocols.includes(protocol);
    if (!valid || this.#options.pps === 'mute') return void (this.#state = 'mute');
    const asked = request[1]! & 0x10 ? request[2]! : null;
    const own = atr.ta1 ?? DEFAULTS.ta1;
    const acceptable = asked !== null && this.#options.pps !== 'refuse' && supports(own, asked);
    this.#send(ppsMessage(protocol, acceptable ? asked : null));
    const { fi, di } = rateOf(acceptable ? asked : DEFAULTS.ta1);
    this.#start(protocol, fi, di);
  }

  #start(protocol: number, fi: number, di: number): void {
    const atr = this.#atr!;
    const contacts = this.#contacts!;
    this.#state = 'running';
    contacts.configure(protocolLineSettings(this.#convention(), atr.n, fi, di, protocol));
    const process = (apdu: Uint8Array): Uint8Array => {
      this.commands++;
      return this.#device.process(apdu);
    };
    const processingEtu = this.#options.processingEtu ?? 0;
    if (protocol === 1 && atr.t1) {
      this.#protocol = new T1Card({
        process,
        send: (bytes, delayEtu) => this.#send(bytes, delayEtu),
        ifsc: atr.t1.ifsc, edc: atr.t1.edc,
        bwtEtu: blockWaitingTimeEtu(atr.t1.bwi, fi, di), cwtEtu: characterWaitingTimeEtu(atr.t1.cwi),
        etuSeconds: etuSeconds({ fi, di, clockHz: contacts.clockHz }),
        processingEtu,
      });
    } else {
      this.#protocol = new T0Card({
        process,
        send: (bytes, delayEtu) => void this.#send(bytes, delayEtu),
        wwtEtu: waitingTimeEtu(atr.wi, di),
        processingEtu,
        ...(this.#options.ackEachByte ? { ackEachByte: true } : {}),
      });
    }
  }

  #convention(): Convention {
    return this.#atr?.convention ?? 'direct';
  }

  #send(bytes: Uint8Array, delayEtu = 0): number {
    return this.#contacts ? this.#contacts.send(encodeFor(this.#convention(), bytes), delayEtu) : 0;
  }
}

/** The card takes any Fi/Di up to what its TA1 offers: same or smaller Fi index, same or smaller Di. */
function supports(own: number, asked: number): boolean {
  const fi = FI_TABLE[asked >> 4];
  const di = DI_TABLE[asked & 0x0f];
  if (!fi || !di) return false;
  return asked === own || asked === DEFAULTS.ta1 || ((asked >> 4) === (own >> 4) && di <= (DI_TABLE[own & 0x0f] ?? 1));
}
