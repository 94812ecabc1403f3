// The terminal's card reader over a byte line: the APDU-level CardReader (hal/reader.ts) the
// terminal firmware already uses, built from activation, ATR, PPS and T=1 (or T=0) on a CardLine.
//
// powerOn: cold reset, read the ATR (§8; one more cold reset if it is unreadable), pick T=1 when
// offered (else the card's first protocol), propose the card's TA1 by PPS (§9) and fall back to a
// fresh reset at the default rate and first protocol when the card refuses or stays mute, then
// S(IFS) for IFSD in T=1. transmit: the APDU as opaque bytes through T=1 or T=0.
import { DEFAULT_LINE_SETTINGS, LINE, type CardLine } from '../../hal/card-line.js';
import { CardMuteError, type CardReader } from '../../hal/reader.js';
import { atrLengthSoFar, parseAtr, requireValidAtr, type Atr } from './atr.js';
import { conventionOf, invertByte, TS } from './convention.js';
import { AtrError, CardTimeoutError, TransmissionError } from './errors.js';
import { CharacterPort } from './port.js';
import { exchangePps } from './pps.js';
import { T0Transport } from './t0.js';
import { T1Transport } from './t1.js';
import { blockWaitingTimeEtu, characterWaitingTimeEtu, DEFAULTS, protocolLineSettings, rateOf, waitingTimeEtu } from './timing.js';

/** An ATR has at most 33 bytes, TS included (§8.2.1). */
const ATR_MAX_BYTES = 33;

export type PpsOutcome = 'not-needed' | 'accepted' | 'default-rate' | 'failed-fallback' | 'specific-mode' | 'off';

export interface LineSession {
  readonly atr: Atr;
  readonly protocol: 0 | 1;
  readonly fi: number;
  readonly di: number;
  readonly pps: PpsOutcome;
  readonly ppsFailure: string | null;
  readonly ifsc: number | null;
  readonly ifsd: number | null;
}

export interface ProtocolReaderOptions {
  /** Use T=1 when the card offers it (default true). */
  readonly preferT1?: boolean;
  /** Propose the card's TA1 by PPS (default true). */
  readonly pps?: boolean;
  /** IFSD offered by S(IFS request) in T=1 (default 254). */
  readonly ifsd?: number;
  /** Cold resets tried when the ATR is unreadable (default 2). */
  readonly atrAttempts?: number;
  readonly trace?: (line: string) => void;
}

type Transport = T0Transport | T1Transport;

export class ProtocolReader implements CardReader {
  onInserted: (() => void) | null = null;
  onRemoved: (() => void) | null = null;
  readonly line: CardLine;
  readonly #port: CharacterPort;
  readonly #options: ProtocolReaderOptions;
  #session: LineSession | null = null;
  #transport: Transport | null = null;
  #broken: string | null = null;

  constructor(line: CardLine, options: ProtocolReaderOptions = {}) {
    this.line = line;
    this.#port = new CharacterPort(line);
    this.#options = options;
    line.onInserted = () => this.onInserted?.();
    line.onRemoved = () => {
      this.#drop();
      this.onRemoved?.();
    };
  }

  get cardPresent(): boolean {
    return this.line.cardPresent;
  }

  /** What the last activation settled: ATR, protocol, rate, PPS outcome, IFSC/IFSD. */
  get session(): LineSession | null {
    return this.#session;
  }

  /** The T=1 transport's counters (retransmissions, RESYNCH, WTX), when T=1 runs. */
  get t1(): T1Transport | null {
    return this.#transport instanceof T1Transport ? this.#transport : null;
  }

  async powerOn(): Promise<Uint8Array> {
    this.#drop();
    const atr = await this.#activate();
    const offered = atr.protocols;
    let protocol = (this.#options.preferT1 ?? true) && offered.includes(1) ? 1 : offered[0]!;
    let ta1 = atr.ta1 !== null && atr.fi !== null && atr.di !== null && this.line.clockHz <= (atr.fmaxMHz ?? 0) * 1e6 ? atr.ta1 : null;
    let pps: PpsOutcome = 'not-needed';
    let ppsFailure: string | null = null;
    let session = atr;
    if (atr.specificMode) {
      // TA2 (§8.3): the card runs one protocol already; no PPS.
      protocol = atr.specificMode.protocol;
      if (atr.specificMode.implicitParameters) ta1 = null;
      pps = 'specific-mode';
    } else if (this.#options.pps === false) {
      protocol = offered[0]!;
      ta1 = null;
      pps = 'off';
    } else if (protocol !== offered[0] || (ta1 !== null && ta1 !== DEFAULTS.ta1)) {
      const result = await exchangePps(this.#port, protocol, ta1 === DEFAULTS.ta1 ? null : ta1, waitingTimeEtu(atr.wi, 1));
      if (result.ok) {
        pps = result.ta1 === null ? 'default-rate' : 'accepted';
        ta1 = result.ta1;
      } else {
        // §9.3: a failed PPS exchange ends in deactivation; start again without PPS.
        ppsFailure = result.reason;
        this.#options.trace?.(`PPS failed (${result.reason}): reset, default rate, first protocol`);
        await this.line.deactivate();
        session = await this.#activate();
        protocol = session.protocols[0]!;
        ta1 = null;
        pps = 'failed-fallback';
      }
    } else {
      ta1 = null;
    }
    if (protocol !== 0 && protocol !== 1) throw new TransmissionError(`card offers only T=${protocol}, which this terminal does not run`);
    const { fi, di } = ta1 === null ? DEFAULTS : rateOf(ta1);
    this.line.configure(protocolLineSettings(session.convention, session.n, fi, di, protocol));
    let transport: Transport;
    if (protocol === 1) {
      // Specific mode T=1 (TA2) from an ATR whose TDs announce no T=1 group: the defaults of §11.4.
      const t1 = session.t1 ?? { ifsc: DEFAULTS.ifsc, bwi: DEFAULTS.bwi, cwi: DEFAULTS.cwi, edc: 'lrc' as const };
      const t1Transport = new T1Transport(this.#port, {
        ifsc: t1.ifsc, ifsd: this.#options.ifsd ?? DEFAULTS.ifsd, edc: t1.edc,
        bwtEtu: blockWaitingTimeEtu(t1.bwi, fi, di), cwtEtu: characterWaitingTimeEtu(t1.cwi),
        ...(this.#options.trace ? { trace: this.#options.trace } : {}),
      });
      await t1Transport.negotiateIfsd();
      transport = t1Transport;
    } else {
      transport = new T0Transport(this.#port, { wwtEtu: waitingTimeEtu(session.wi, di) });
    }
    this.#transport = transport;
    this.#session = Object.freeze({
      atr: session, protocol, fi, di, pps, ppsFailure,
      ifsc: transport instanceof T1Transport ? transport.ifsc : null,
      ifsd: transport instanceof T1Transport ? transport.ifsd : null,
    });
    return session.bytes.slice();
  }

  async transmit(command: Uint8Array): Promise<Uint8Array> {
    const transport = this.#transport;
    if (!transport) throw new CardMuteError('card is not powered: call powerOn first');
    if (this.#broken) throw new TransmissionError(`line out of step since an earlier error (${this.#broken}): power the card off and on`);
    try {
      return await transport.transmit(command.slice());
    } catch (error) {
      // T=0 has no way back into step but a reset; T=1 only when RESYNCH failed.
      if (error instanceof CardMuteError && (transport instanceof T0Transport || transport.dead)) this.#broken = error.message;
      throw error;
    }
  }

  async powerOff(): Promise<void> {
    this.#drop();
    await this.line.deactivate();
  }

  async eject(): Promise<void> {
    this.#drop();
    await this.line.eject();
  }

  #drop(): void {
    this.#transport = null;
    this.#session = null;
    this.#broken = null;
    this.#port.convention = 'direct';
  }

  /** Cold reset and ATR, with one more cold reset if the ATR is unreadable. */
  async #activate(): Promise<Atr> {
    const attempts = this.#options.atrAttempts ?? 2;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.line.activate();
        this.#port.convention = 'direct';
        return requireValidAtr(parseAtr(await this.#readAtr()));
      } catch (error) {
        if (!(error instanceof AtrError || error instanceof CardTimeoutError) || attempt >= attempts) throw error;
        this.#options.trace?.(`ATR unreadable (${(error as Error).message}): cold reset again`);
        await this.line.deactivate();
      }
    }
  }

  async #readAtr(): Promise<Uint8Array> {
    const first = await this.line.receive(Math.ceil(DEFAULTS.atrFirstCycles / DEFAULTS.fi) + 1);
    if (first === LINE.TIMEOUT) throw new CardTimeoutError('no answer to reset within 40,000 clock cycles');
    const convention = conventionOf(first & 0xff); // TS is read whatever its parity (§8.1)
    if (!convention) throw new AtrError(`TS ${(first & 0xff).toString(16)} is neither direct (3B) nor inverse (3F)`);
    this.#port.convention = convention;
    this.line.configure({ ...DEFAULT_LINE_SETTINGS, parity: convention === 'direct' ? 'even' : 'odd' });
    // The rest in runs, each as long as the bytes so far say the ATR is at least (T0, then each
    // TDi): a promise per run, not per character.
    const bytes = new Uint8Array(ATR_MAX_BYTES);
    bytes[0] = convention === 'direct' ? TS.direct : invertByte(first & 0xff);
    let length = 1;
    for (;;) {
      const known = atrLengthSoFar(bytes.subarray(0, length));
      if (known.final && length >= known.length) break;
      if (known.length > ATR_MAX_BYTES) throw new AtrError('ATR longer than 33 bytes');
      const run = await this.#port.receiveRun(known.length - length, DEFAULTS.atrCharacterEtu, DEFAULTS.atrCharacterEtu);
      if (run.parityErrors.length > 0) throw new AtrError(`parity error in ATR byte ${length + run.parityErrors[0]!}`);
      bytes.set(run.chars, length);
      length += run.chars.length;
      if (run.timedOut) throw new AtrError(`ATR stops after ${length} bytes`);
    }
    return bytes.slice(0, length);
  }
}
