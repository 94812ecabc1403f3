// Model of a SIMCom SIM800-style modem for the twin board: an AT command interpreter on a twin
// UART port and a PWRKEY input on a pin. It answers after `replyMs` (bytes then take their line
// time at the port's baud), echoes commands until ATE0, and knows:
//   AT, ATE0/ATE1, AT+CPIN?, AT+CREG?, AT+CGATT?, AT+CGATT=1, AT+SAPBR=3,1,<tag>,<value>,
//   AT+SAPBR=1,1 / 0,1 / 2,1, AT+HTTPINIT, AT+HTTPPARA=<tag>,<value>, AT+HTTPDATA=<n>,<ms>
//   (DOWNLOAD, then n raw bytes), AT+HTTPACTION=1 (OK, then +HTTPACTION: 1,<status>,<length> when
//   the server has answered), AT+HTTPREAD (+HTTPREAD: <n>, n raw bytes, OK), AT+HTTPTERM;
//   anything else is ERROR.
// Faults to inject: `failNext(prefix, answer)` answers one command with ERROR (or +CME ERROR: n),
// `hangOn(prefix)` makes the modem stop answering anything from that command on, until a PWRKEY
// pulse of at least 1 s switches it off (another switches it on: "RDY", "+CFUN: 1", "+CPIN:
// READY", "Call Ready", "SMS Ready" about 3 s later); `registerAfterMs` keeps AT+CREG? at 2
// (searching) for a while.
import { asciiBytes } from '../../firmware/protocol/bytes.js';
import type { TwinBoard, TwinUart } from './board.js';

export interface HttpRequest {
  readonly url: string;
  readonly contentType: string;
  readonly body: Uint8Array;
}

export interface AtModemTwinOptions {
  readonly port: number;
  /** The ESP32 pin driving PWRKEY through the NPN transistor (high = key pressed). */
  readonly powerKeyPin: number;
  /** The centre as the modem reaches it. */
  readonly server: (request: HttpRequest) => { readonly status: number; readonly body: Uint8Array };
  readonly apn?: string;
  /** Whether the modem is on and booted when the board starts. */
  readonly on?: boolean;
  /** Answer delay, ms. */
  readonly replyMs?: number;
  /** How long the HTTP request takes on the network, ms. */
  readonly httpMs?: number;
  /** AT+CREG? says 2 (searching) until this long after power-on, ms. */
  readonly registerAfterMs?: number;
}

const PRESS_MS = 1000; // PWRKEY low at least this long toggles the power
const BOOT_MS = 3000;

type Power = 'off' | 'booting' | 'on' | 'hung';

export class AtModemTwin {
  readonly #board: TwinBoard;
  readonly #uart: TwinUart;
  readonly #options: AtModemTwinOptions;
  /** Every command line the modem received, in order (AT+HTTPDATA bodies not included). */
  readonly commands: string[] = [];
  /** Every HTTP request it carried to the server. */
  readonly requests: HttpRequest[] = [];
  /** Power-on count, for tests that check the firmware power-cycled the modem. */
  boots = 0;
  #power: Power;
  #poweredAt: number;
  #pressedAt: number | null = null;
  #echo = true;
  #line: number[] = [];
  #download: { remaining: number; bytes: number[] } | null = null;
  #failures: Array<{ prefix: string; answer: string }> = [];
  #hangPrefix: string | null = null;
  #attached = false;
  #bearer = false;
  #bearerApn = '';
  #http: { url: string; contentType: string; body: Uint8Array; answer: Uint8Array | null } | null = null;

  constructor(board: TwinBoard, options: AtModemTwinOptions) {
    this.#board = board;
    this.#options = options;
    this.#uart = board.uart(options.port);
    this.#uart.onReceive = (bytes) => this.#receive(bytes);
    this.#power = options.on === false ? 'off' : 'on';
    this.#poweredAt = board.clock.now();
    board.watch(options.powerKeyPin, (level) => this.#powerKey(level));
  }

  get power(): Power {
    return this.#power;
  }

  failNext(prefix: string, answer = 'ERROR'): void {
    this.#failures.push({ prefix, answer });
  }

  hangOn(prefix: string): void {
    this.#hangPrefix = prefix;
  }

  #powerKey(level: 0 | 1): void {
    const now = this.#board.clock.now();
    if (level === 1) {
      this.#pressedAt = now;
      return;
    }
    if (this.#pressedAt === null) return;
    const held = now - this.#pressedAt;
    this.#pressedAt = null;
    if (held < PRESS_MS) return;
    if (this.#power === 'off') {
      this.#power = 'booting';
      this.#board.clock.setTimer(BOOT_MS, () => this.#booted());
    } else {
      this.#power = 'off';
      this.#hangPrefix = null;
    }
  }

  #booted(): void {
    if (this.#power !== 'booting') return;
    this.#power = 'on';
    this.boots++;
    this.#poweredAt = this.#board.clock.now();
    this.#echo = true;
    this.#line = [];
    this.#download = null;
    this.#attached = false;
    this.#bearer = false;
    this.#http = null;
    this.#say(['RDY', '+CFUN: 1', '+CPIN: READY', 'Call Ready', 'SMS Ready']);
  }

  #receive(bytes: Uint8Array): void {
    if (this.#power !== 'on') return;
    for (const byte of bytes) {
      if (this.#power !== 'on') return;
      if (this.#download) {
        this.#download.bytes.push(byte);
        if (--this.#download.remaining === 0) this.#downloaded();
        continue;
      }
      if (this.#echo) this.#uart.send(Uint8Array.of(byte), 0);
      if (byte === 0x0d) {
        const line = String.fromCharCode(...this.#line);
        this.#line = [];
        if (line !== '') this.#command(line);
      } else if (byte !== 0x0a) {
        this.#line.push(byte);
      }
    }
  }

  /** Sends answer lines, each framed by CR LF as the modem does with ATV1. */
  #say(lines: readonly string[], raw?: Uint8Array, after?: readonly string[]): void {
    const delay = this.#options.replyMs ?? 20;
    const parts: number[] = [];
    for (const line of lines) parts.push(0x0d, 0x0a, ...asciiBytes(line), 0x0d, 0x0a);
    if (raw) parts.push(...raw);
    for (const line of after ?? []) parts.push(0x0d, 0x0a, ...asciiBytes(line), 0x0d, 0x0a);
    this.#uart.send(Uint8Array.from(parts), delay);
  }

  #command(line: string): void {
    this.commands.push(line);
    if (this.#hangPrefix !== null && line.startsWith(this.#hangPrefix)) {
      this.#power = 'hung';
      return;
    }
    const failure = this.#failures.findIndex((f) => line.startsWith(f.prefix));
    if (failure >= 0) {
      const [{ answer }] = this.#failures.splice(failure, 1) as [{ prefix: string; answer: string }];
      this.#say([answer]);
      return;
    }
    const answer = this.#answer(line);
    if (answer) this.#say(answer);
  }

  /** The lines answering one command; null when the answer comes later. */
  #answer(line: string): string[] | null {
    const ok = (...before: string[]) => [...before, 'OK'];
    const error = ['ERROR'];
    const now = this.#board.clock.now();
    let match: RegExpExecArray | null;
    if (line === 'AT') return ok();
    if (line === 'ATE0' || line === 'ATE1') {
      this.#echo = line === 'ATE1';
      return ok();
    }
    if (line === 'AT+CPIN?') return ok('+CPIN: READY');
    if (line === 'AT+CREG?') return ok(`+CREG: 0,${now - this.#poweredAt >= (this.#options.registerAfterMs ?? 0) ? 1 : 2}`);
    if (line === 'AT+CGATT?') return ok(`+CGATT: ${this.#attached ? 1 : 0}`);
    if (line === 'AT+CGATT=1') {
      this.#attached = true;
      return ok();
    }
    if ((match = /^AT\+SAPBR=3,1,"(Contype|APN)","([^"]*)"$/.exec(line))) {
      if (match[1] === 'APN') this.#bearerApn = match[2]!;
      return ok();
    }
    if (line === 'AT+SAPBR=1,1') {
      if (this.#bearer || !this.#attached || this.#bearerApn !== (this.#options.apn ?? this.#bearerApn)) return error;
      this.#bearer = true;
      return ok();
    }
    if (line === 'AT+SAPBR=0,1') {
      if (!this.#bearer) return error;
      this.#bearer = false;
      return ok();
    }
    if (line === 'AT+SAPBR=2,1') return ok(this.#bearer ? '+SAPBR: 1,1,"10.64.0.7"' : '+SAPBR: 1,3,"0.0.0.0"');
    if (line === 'AT+HTTPINIT') {
      if (this.#http || !this.#bearer) return error;
      this.#http = { url: '', contentType: 'text/plain', body: new Uint8Array(0), answer: null };
      return ok();
    }
    if ((match = /^AT\+HTTPPARA="(CID|URL|CONTENT)",(?:"([^"]*)"|(\d+))$/.exec(line))) {
      if (!this.#http) return error;
      if (match[1] === 'URL') this.#http.url = match[2] ?? '';
      if (match[1] === 'CONTENT') this.#http.contentType = match[2] ?? '';
      return ok();
    }
    if ((match = /^AT\+HTTPDATA=(\d+),(\d+)$/.exec(line))) {
      const length = Number(match[1]);
      if (!this.#http || length === 0) return error;
      this.#download = { remaining: length, bytes: [] };
      return ['DOWNLOAD'];
    }
    if (line === 'AT+HTTPACTION=1') {
      const http = this.#http;
      if (!http) return error;
      const request = { url: http.url, contentType: http.contentType, body: http.body };
      this.#board.clock.setTimer(this.#options.httpMs ?? 1500, () => {
        if (this.#power !== 'on' || this.#http !== http) return;
        this.requests.push(request);
        const answer = this.#options.server(request);
        http.answer = answer.body.slice();
        this.#say([`+HTTPACTION: 1,${answer.status},${answer.body.length}`]);
      });
      return ok();
    }
    if (line === 'AT+HTTPREAD') {
      const answer = this.#http?.answer;
      if (!answer) return error;
      this.#say([`+HTTPREAD: ${answer.length}`], answer, ['OK']);
      return null;
    }
    if (line === 'AT+HTTPTERM') {
      if (!this.#http) return error;
      this.#http = null;
      return ok();
    }
    return error;
  }

  #downloaded(): void {
    const download = this.#download!;
    this.#download = null;
    if (this.#http) this.#http.body = Uint8Array.from(download.bytes);
    this.#say(['OK']);
  }
}
