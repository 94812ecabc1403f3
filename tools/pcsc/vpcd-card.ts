// The card end of a vpcd connection: a TCP client that "inserts" a card into vpcd's virtual
// reader by connecting to it, then answers vpcd's power, reset, ATR and APDU requests from the
// card application. vpcd (inside pcscd) is the TCP server; while nobody is connected its reader
// shows no card. When vpcd goes away (pcscd stopped or restarted) the card keeps trying to
// connect, so it comes back into the reader by itself.
import { Socket } from 'node:net';
import type { CardDevice } from '../../hal/sim/card-slot.js';
import { encodeVpcdFrame, VPCD_DEFAULT_PORT, VpcdFrameReader, type VpcdMessage } from './vpcd-frame.js';
import { enableQuickAck, quickAckAvailable } from './quickack.js';

/**
 * How the card side fights vpcd's latency. vpcd writes the length and the payload of each
 * command in two send() calls; with Nagle on at vpcd's end, the payload waits for our ACK of the
 * length, which Linux delays by up to 40 ms. `quickack` sets TCP_QUICKACK after every read (a
 * tiny native helper), so the ACK leaves at once; `nodelay` only answers in one write with
 * TCP_NODELAY, which helps our direction but not vpcd's; `none` answers in two writes like vpcd.
 */
export type LatencyMode = 'quickack' | 'nodelay' | 'none';

export interface VpcdCardOptions {
  readonly card: CardDevice;
  readonly host?: string;
  readonly port?: number;
  /** Default: quickack when the helper is built, else nodelay. */
  readonly latency?: LatencyMode;
  /** Milliseconds between connection attempts while vpcd is not there. */
  readonly retryMs?: number;
  /** Called after a command that changed the card's persistent memory, before the answer leaves. */
  readonly afterWrite?: () => void;
  /** EEPROM bytes programmed so far; a change across a command means it wrote (then afterWrite runs). */
  readonly programmed?: () => number;
  readonly log?: (line: string) => void;
}

export type VpcdCardState = 'connecting' | 'connected' | 'stopped';

export class VpcdCard {
  readonly host: string;
  readonly port: number;
  readonly latency: LatencyMode;
  #options: VpcdCardOptions;
  #socket: Socket | null = null;
  #state: VpcdCardState = 'stopped';
  #retry: ReturnType<typeof setTimeout> | null = null;
  #atr: Uint8Array;
  #powered = false;
  #apdus = 0;
  #waiters: Array<() => void> = [];
  #announcedWaiting = false;

  constructor(options: VpcdCardOptions) {
    this.#options = options;
    this.host = options.host ?? '127.0.0.1';
    this.port = options.port ?? VPCD_DEFAULT_PORT;
    this.latency = options.latency ?? (quickAckAvailable() ? 'quickack' : 'nodelay');
    if (this.latency === 'quickack' && !quickAckAvailable()) throw new Error('latency mode "quickack" needs the TCP_QUICKACK helper, which is not built (see tools/pcsc/quickack.ts)');
    // The ATR is fixed by the card's mask; read it once so ATR polls never disturb the session.
    this.#atr = options.card.reset();
  }

  get state(): VpcdCardState {
    return this.#state;
  }

  /** Command APDUs answered since start. */
  get apdus(): number {
    return this.#apdus;
  }

  /** Connects to vpcd (the card goes into the reader), retrying until it is there. */
  start(): void {
    if (this.#state !== 'stopped') return;
    this.#state = 'connecting';
    this.#announcedWaiting = false;
    this.#connect();
  }

  /** Disconnects (the card leaves the reader) and stops retrying. */
  stop(): Promise<void> {
    this.#state = 'stopped';
    if (this.#retry) clearTimeout(this.#retry);
    this.#retry = null;
    const socket = this.#socket;
    this.#socket = null;
    if (!socket || socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once('close', () => resolve());
      socket.destroy();
    });
  }

  /** Resolves once connected to vpcd. */
  connected(): Promise<void> {
    if (this.#state === 'connected') return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #log(line: string): void {
    this.#options.log?.(line);
  }

  #connect(): void {
    if (this.#state !== 'connecting') return;
    const socket = new Socket();
    this.#socket = socket;
    const frames = new VpcdFrameReader();
    socket.setNoDelay(this.latency !== 'none');
    socket.on('connect', () => {
      if (this.latency === 'quickack') enableQuickAck(socket);
      this.#state = 'connected';
      this.#powered = false;
      this.#log(`virtual card: in the reader (connected to vpcd at ${this.host}:${this.port}, latency mode ${this.latency})`);
      for (const wake of this.#waiters.splice(0)) wake();
    });
    socket.on('data', (chunk: Buffer) => {
      // TCP_QUICKACK is not sticky: Linux drops back to delayed ACKs, so set it after each read.
      if (this.latency === 'quickack') enableQuickAck(socket);
      for (const message of frames.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))) this.#answer(socket, message);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (this.#state === 'connecting' && (error.code === 'ECONNREFUSED' || error.code === 'ENOENT')) {
        if (!this.#announcedWaiting) {
          this.#log(`virtual card: vpcd is not listening on ${this.host}:${this.port}; is pcscd running with the vsmartcard-vpcd driver? (start it with: sudo pcscd -f)  Retrying...`);
          this.#announcedWaiting = true;
        }
      } else if (this.#state !== 'stopped') {
        this.#log(`virtual card: connection error: ${error.message}`);
      }
    });
    socket.on('close', () => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      const cut = frames.end();
      if (cut) this.#log(`virtual card: ${cut}`);
      if (this.#state === 'stopped') return;
      if (this.#state === 'connected') {
        this.#log('virtual card: vpcd closed the connection (pcscd stopped?); reconnecting');
        this.#announcedWaiting = false;
      }
      this.#state = 'connecting';
      this.#retry = setTimeout(() => {
        this.#retry = null;
        this.#connect();
      }, this.#options.retryMs ?? 500);
    });
    socket.connect(this.port, this.host);
  }

  #answer(socket: Socket, message: VpcdMessage): void {
    switch (message.kind) {
      case 'power-off':
        this.#powered = false;
        return;
      case 'power-on':
      case 'reset':
        this.#atr = this.#options.card.reset();
        this.#powered = true;
        return;
      case 'get-atr':
        this.#send(socket, this.#atr);
        return;
      case 'unknown-control':
        this.#log(`virtual card: ignoring unknown vpcd control code ${message.code}`);
        return;
      case 'empty':
        this.#log('virtual card: ignoring an empty vpcd frame');
        return;
      case 'apdu': {
        if (!this.#powered) {
          // vpcd powers the card before any command; a real card without power would be mute.
          this.#log('virtual card: command while unpowered: resetting the card first');
          this.#atr = this.#options.card.reset();
          this.#powered = true;
        }
        const before = this.#options.programmed?.() ?? 0;
        const response = this.#options.card.process(message.apdu);
        if ((this.#options.programmed?.() ?? 0) !== before) this.#options.afterWrite?.();
        this.#apdus += 1;
        this.#send(socket, response);
        return;
      }
    }
  }

  #send(socket: Socket, payload: Uint8Array): void {
    const frame = encodeVpcdFrame(payload);
    if (this.latency === 'none') {
      // As vpcd does it: length, then payload, in two writes.
      socket.write(frame.subarray(0, 2));
      socket.write(frame.subarray(2));
    } else {
      socket.write(frame);
    }
  }
}
