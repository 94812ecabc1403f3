// The terminal's line to the centre (patent fig. 2, communication unit 17): a SIMCom SIM800-series
// GSM/GPRS modem on a UART, driven with AT commands (SIM800 Series AT Command Manual V1.09:
// §2.1 V.25TER, §3.2 AT+CPIN, §3.2 AT+CREG, §7.2 AT+CGATT, §9.2 AT+SAPBR, §15.2 AT+HTTP*), and
// switched on and off with its PWRKEY line (SIM800 Hardware Design V1.08 §4.2: PWRKEY low for
// at least 1 s toggles the power; the UART answers about 3 s after power-on).
//
// The PWRKEY pin of the modem is pulled low through an NPN transistor, so the ESP32 pin is active
// high: write(1) presses the power key.
//
// One command at a time: every public method waits for the one before it. A command that gets
// no final result code in time is a hang: the method power-cycles the modem and tries once more;
// an ERROR answer is not a hang and is thrown as ModemError at once.
import type Digital from 'embedded:io/digital';
import type Serial from 'embedded:io/serial';
import { asciiBytes } from '../../firmware/protocol/bytes.js';
import type { Clock } from '../clock.js';
import { ModemError, ModemTimeoutError, type HttpAnswer, type Modem } from '../modem.js';

/** Maximum response times, ms (AT Command Manual, per command; COMMAND is for the short ones). */
const Timeout = Object.freeze({
  COMMAND: 1_000,
  PROBE: 500,
  SIM: 5_000, // AT+CPIN?
  REGISTRATION: 60_000, // how long to wait for AT+CREG? to say registered
  ATTACH: 10_000, // AT+CGATT=1
  BEARER: 85_000, // AT+SAPBR=1,1
  HTTP_DATA: 10_000, // the time AT+HTTPDATA gives us to send the body
  HTTP_ACTION: 120_000, // the +HTTPACTION result after AT+HTTPACTION=1
} as const);

/** PWRKEY and polling times, ms. */
const Timing = Object.freeze({
  POWER_KEY_PULSE: 1_200, // > 1 s
  BOOT: 4_000, // power-on to a UART that answers (> 3 s)
  REGISTRATION_POLL: 2_000,
  PROBES: 3,
} as const);

/** AT+CREG? <stat> values (§3.2.32). */
const Registration = Object.freeze({ HOME: 1, SEARCHING: 2, DENIED: 3, ROAMING: 5 } as const);

/** AT+HTTPACTION <Method> for POST, and the first status code the modem uses for its own errors (§15.2.3). */
const Http = Object.freeze({ POST: 1, MODEM_ERRORS: 600 } as const);

/** Lines the modem sends on its own after power-on, never an answer to a command. */
const BOOT_MESSAGES = Object.freeze(['RDY', 'Call Ready', 'SMS Ready', '+CFUN: 1', 'NORMAL POWER DOWN']);

const CR = 0x0d;
const LF = 0x0a;

export interface Sim800Options {
  /** The modem's UART: ECMA-419 Serial class and its options (port, pins, baud). */
  readonly serial: {
    readonly io: typeof Serial;
    readonly port: number;
    readonly transmit: number;
    readonly receive: number;
    readonly baud: number;
  };
  /** The pin that presses PWRKEY (active high); without it the modem cannot be power-cycled. */
  readonly powerKey?: { readonly io: typeof Digital; readonly pin: number };
  readonly clock: Clock;
  /** The access point name of the SIM's packet data service. */
  readonly apn: string;
}

/** A quoted AT string parameter: printable ASCII without the quote itself. */
function quoted(text: string): string {
  if (text.includes('"')) throw new RangeError(`AT string parameter may not hold a quote: ${text}`);
  asciiBytes(text);
  return `"${text}"`;
}

export class Sim800Modem implements Modem {
  readonly #serial: Serial;
  readonly #powerKey: Digital | null;
  readonly #clock: Clock;
  readonly #apn: string;
  /** Bytes received and not yet taken as lines or body. */
  #input: number[] = [];
  #wake: (() => void) | null = null;
  #queue: Promise<unknown> = Promise.resolve();
  #attached = false;

  constructor(options: Sim800Options) {
    const { io: SerialClass, ...port } = options.serial;
    this.#serial = new SerialClass({
      ...port,
      format: 'buffer',
      onReadable: (count: number) => this.#receive(count),
    });
    const key = options.powerKey;
    this.#powerKey = key ? new key.io({ pin: key.pin, mode: key.io.Output }) : null;
    this.#powerKey?.write(0);
    this.#clock = options.clock;
    this.#apn = quoted(options.apn);
  }

  attach(): Promise<void> {
    return this.#exclusive(() => this.#recovering(() => this.#attach()));
  }

  post(url: string, body: Uint8Array, contentType: string): Promise<HttpAnswer> {
    const urlParameter = quoted(url);
    const typeParameter = quoted(contentType);
    return this.#exclusive(() => this.#recovering(() => this.#post(urlParameter, body, typeParameter)));
  }

  powerCycle(): Promise<void> {
    return this.#exclusive(() => this.#powerCycle());
  }

  close(): void {
    this.#serial.close();
    this.#powerKey?.close();
  }

  #exclusive<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(operation, operation);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Runs `operation`; when the modem hangs, power-cycles it and runs it once more. */
  async #recovering<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (!(error instanceof ModemTimeoutError) || !this.#powerKey) throw error;
      await this.#powerCycle();
      return await operation();
    }
  }

  async #attach(): Promise<void> {
    this.#attached = false;
    if (!(await this.#probe())) throw new ModemTimeoutError('modem does not answer AT');
    await this.#command('ATE0');
    const pin = await this.#command('AT+CPIN?', Timeout.SIM);
    if (!pin.includes('+CPIN: READY')) throw new ModemError(`SIM not ready: ${pin.join(' ') || 'no +CPIN answer'}`);
    await this.#registered();
    const attached = await this.#command('AT+CGATT?');
    if (!attached.includes('+CGATT: 1')) await this.#command('AT+CGATT=1', Timeout.ATTACH);
    const bearer = await this.#command('AT+SAPBR=2,1');
    if (!bearer.some((line) => line.startsWith('+SAPBR: 1,1,'))) {
      await this.#command('AT+SAPBR=3,1,"Contype","GPRS"');
      await this.#command(`AT+SAPBR=3,1,"APN",${this.#apn}`);
      await this.#command('AT+SAPBR=1,1', Timeout.BEARER);
    }
    this.#attached = true;
  }

  /** Polls AT+CREG? until the modem is registered (home or roaming). */
  async #registered(): Promise<void> {
    const deadline = this.#clock.now() + Timeout.REGISTRATION;
    for (;;) {
      const answer = (await this.#command('AT+CREG?')).find((line) => line.startsWith('+CREG: '));
      const stat = Number(answer?.split(',')[1]);
      if (stat === Registration.HOME || stat === Registration.ROAMING) return;
      if (stat === Registration.DENIED) throw new ModemError('network registration denied');
      if (this.#clock.now() + Timing.REGISTRATION_POLL > deadline) throw new ModemError(`not registered after ${Timeout.REGISTRATION} ms (${answer ?? 'no +CREG answer'})`);
      await this.#sleep(Timing.REGISTRATION_POLL);
    }
  }

  async #post(url: string, body: Uint8Array, contentType: string): Promise<HttpAnswer> {
    if (!this.#attached) await this.#attach();
    try {
      await this.#command('AT+HTTPINIT');
    } catch (error) {
      // a session left open by an earlier failure: close it and start again
      if (!(error instanceof ModemError)) throw error;
      await this.#command('AT+HTTPTERM');
      await this.#command('AT+HTTPINIT');
    }
    await this.#command('AT+HTTPPARA="CID",1');
    await this.#command(`AT+HTTPPARA="URL",${url}`);
    await this.#command(`AT+HTTPPARA="CONTENT",${contentType}`);
    await this.#command(`AT+HTTPDATA=${body.length},${Timeout.HTTP_DATA}`, Timeout.COMMAND, 'DOWNLOAD');
    this.#serial.write(body);
    await this.#command(null, Timeout.HTTP_DATA);
    await this.#command(`AT+HTTPACTION=${Http.POST}`);
    const result = await this.#line(this.#clock.now() + Timeout.HTTP_ACTION, (line) => line.startsWith('+HTTPACTION: '));
    const [method, status, length] = result.slice('+HTTPACTION: '.length).split(',').map(Number);
    if (method !== Http.POST || !Number.isInteger(status) || !Number.isInteger(length)) throw new ModemError(`unexpected ${result}`);
    if (status! >= Http.MODEM_ERRORS) {
      await this.#command('AT+HTTPTERM');
      throw new ModemError(`HTTP POST failed in the modem: status ${status}`);
    }
    let answer: Uint8Array = new Uint8Array(0);
    if (length! > 0) {
      const deadline = this.#clock.now() + Timeout.COMMAND;
      this.#send('AT+HTTPREAD');
      const header = await this.#line(deadline, (line) => line.startsWith('+HTTPREAD: ') || this.#isError(line));
      if (this.#isError(header)) throw new ModemError(`AT+HTTPREAD: ${header}`);
      answer = await this.#bytes(Number(header.slice('+HTTPREAD: '.length)), deadline);
      await this.#command(null);
    }
    await this.#command('AT+HTTPTERM');
    return { status: status!, body: answer };
  }

  async #powerCycle(): Promise<void> {
    const key = this.#powerKey;
    if (!key) throw new ModemError('no power key wired: the modem cannot be power-cycled');
    this.#attached = false;
    // Without a STATUS line the modem's state is unknown: a hung modem is on, so the first pulse
    // switches it off and the second on; a modem that was off comes up after the first.
    for (let pulse = 0; pulse < 2; pulse++) {
      key.write(1);
      await this.#sleep(Timing.POWER_KEY_PULSE);
      key.write(0);
      await this.#sleep(Timing.BOOT);
      if (await this.#probe()) return;
    }
    throw new ModemTimeoutError('modem does not answer after power cycling');
  }

  /** True when the modem answers AT (it also learns the baud rate from it). */
  async #probe(): Promise<boolean> {
    for (let i = 0; i < Timing.PROBES; i++) {
      try {
        await this.#command('AT', Timeout.PROBE);
        return true;
      } catch (error) {
        if (!(error instanceof ModemTimeoutError)) return true;
      }
    }
    return false;
  }

  #isError(line: string): boolean {
    return line === 'ERROR' || line.startsWith('+CME ERROR') || line.startsWith('+CMS ERROR');
  }

  /**
   * Sends `text` (null: nothing, only wait) and collects the answer lines up to OK, or up to
   * `until` when given (the DOWNLOAD prompt); throws ModemError on ERROR, ModemTimeoutError when
   * no final result comes within `timeoutMs`.
   */
  async #command(text: string | null, timeoutMs: number = Timeout.COMMAND, until?: string): Promise<string[]> {
    const deadline = this.#clock.now() + timeoutMs;
    if (text !== null) {
      this.#input = []; // whatever came before belongs to no command
      this.#send(text);
    }
    const lines: string[] = [];
    for (;;) {
      const line = await this.#line(deadline, () => true, text);
      if (line === 'OK' || line === until) return lines;
      if (this.#isError(line)) throw new ModemError(`${text ?? 'modem'}: ${line}`);
      if (line !== text) lines.push(line); // the echo, until ATE0
    }
  }

  #send(text: string): void {
    const bytes = asciiBytes(text);
    const line = new Uint8Array(bytes.length + 1);
    line.set(bytes);
    line[bytes.length] = CR;
    this.#serial.write(line);
  }

  /** The next non-empty line that `wanted` accepts (others are dropped), boot messages skipped. */
  async #line(deadline: number, wanted: (line: string) => boolean, command: string | null = null): Promise<string> {
    for (;;) {
      const end = this.#input.indexOf(LF);
      if (end >= 0) {
        const line = String.fromCharCode(...this.#input.splice(0, end + 1).filter((byte) => byte !== CR && byte !== LF));
        if (line !== '' && !BOOT_MESSAGES.includes(line) && wanted(line)) return line;
        continue;
      }
      await this.#arrival(deadline, command);
    }
  }

  async #bytes(length: number, deadline: number): Promise<Uint8Array> {
    while (this.#input.length < length) await this.#arrival(deadline, 'AT+HTTPREAD');
    return Uint8Array.from(this.#input.splice(0, length));
  }

  /** Resolves when more bytes arrive; rejects with ModemTimeoutError at `deadline`. */
  #arrival(deadline: number, command: string | null): Promise<void> {
    return new Promise((resolve, reject) => {
      const remaining = deadline - this.#clock.now();
      const timeout = () => {
        this.#wake = null;
        reject(new ModemTimeoutError(`no answer to ${command ?? 'the modem'} within the time allowed`));
      };
      if (remaining <= 0) {
        timeout();
        return;
      }
      const timer = this.#clock.setTimer(remaining, timeout);
      this.#wake = () => {
        this.#clock.clearTimer(timer);
        this.#wake = null;
        resolve();
      };
    });
  }

  #receive(count: number): void {
    const data = this.#serial.read(count);
    if (data === undefined) return;
    for (const byte of new Uint8Array(data)) this.#input.push(byte);
    this.#wake?.();
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.#clock.setTimer(ms, resolve));
  }
}
