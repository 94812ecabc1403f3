// The card reader HAL over PC/SC (pcsc-lite's pcscd on Linux, WinSCard elsewhere) through the
// npm package `smartcard`: the host terminal then runs against any PC/SC reader, the virtual
// card (tools/pcsc/virtual-card.ts) included. The reader, not this code, speaks T=0/T=1 to the
// card; APDUs pass through unchanged (no automatic GET RESPONSE: the firmware does its own).
// Host-only, but written without Node types: the binding is loaded with a dynamic import and
// reached through the small structural interface below, which tests can fake.
import { CardMuteError, CardRemovedError, type CardReader } from '../reader.js';

/** The parts of `smartcard`'s API this reader uses (its module object satisfies it). */
export interface PcscCard {
  readonly atr: Uint8Array | null;
  transmit(command: Uint8Array, options?: { maxRecvLength?: number }): Promise<Uint8Array>;
  getStatus(): { readonly atr: Uint8Array };
  disconnect(disposition?: number): void;
}

export interface PcscReaderHandle {
  readonly name: string;
  readonly state: number;
  connect(shareMode?: number, protocol?: number): Promise<PcscCard>;
}

export interface PcscContext {
  listReaders(): PcscReaderHandle[];
  close(): void;
}

export interface PcscMonitorEvent {
  readonly type: string;
  readonly reader: string;
  readonly state: number;
}

export interface PcscBinding {
  readonly Context: new () => PcscContext;
  readonly ReaderMonitor: new () => { start(callback: (event: PcscMonitorEvent) => void): void; stop(): void };
  readonly SCARD_SHARE_EXCLUSIVE: number;
  readonly SCARD_SHARE_SHARED: number;
  readonly SCARD_PROTOCOL_T0: number;
  readonly SCARD_PROTOCOL_T1: number;
  readonly SCARD_LEAVE_CARD: number;
  readonly SCARD_UNPOWER_CARD: number;
  readonly SCARD_EJECT_CARD: number;
  readonly SCARD_STATE_PRESENT: number;
  readonly SCARD_STATE_MUTE: number;
}

/** Set-up problems a person has to fix (pcscd down, no reader, reader busy): said plainly. */
export class PcscSetupError extends Error {
  override name = 'PcscSetupError';
}

export const PCSCD_HINT = 'start it with "sudo systemctl start pcscd" (or in the foreground: "sudo pcscd -f")';

/** Largest response: 65,536 data bytes and SW1 SW2 (extended length). */
const MAX_RESPONSE = 65538;

export interface PcscReaderOptions {
  /** Exact reader name, or the start of one ("Virtual PCD"). Default: the first reader with a card, else the first reader. */
  readonly readerName?: string;
  /** Exclusive (default): no other program can slip commands into the terminal's session. */
  readonly share?: 'exclusive' | 'shared';
  /** For tests; default: the npm package `smartcard`. */
  readonly binding?: PcscBinding;
}

const SMARTCARD_PACKAGE = 'smartcard';

async function loadSmartcard(): Promise<PcscBinding> {
  try {
    // An optional dependency (it needs libpcsclite-dev to build): named through a variable so the
    // project still compiles, and the simulator still runs, where it could not be installed.
    const specifier: string = SMARTCARD_PACKAGE;
    const module = (await import(specifier)) as PcscBinding & { default?: PcscBinding };
    return module.Context ? module : module.default!;
  } catch (error) {
    throw new PcscSetupError(`cannot load the PC/SC binding (npm package "smartcard"): ${(error as Error).message}. ` +
      'It is built at npm install against libpcsclite-dev: install that (apt install libpcsclite-dev) and run npm install again.');
  }
}

function describeNative(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function setupError(error: unknown): PcscSetupError {
  const message = describeNative(error);
  if (/service not running|no service|cannot connect/i.test(message)) return new PcscSetupError(`pcscd is not running: ${PCSCD_HINT}`);
  return new PcscSetupError(`PC/SC: ${message}`);
}

export class PcscReader implements CardReader {
  onInserted: (() => void) | null = null;
  onRemoved: (() => void) | null = null;
  readonly name: string;
  #binding: PcscBinding;
  #context: PcscContext;
  #share: number;
  #monitor: { stop(): void } | null = null;
  #present: boolean;
  #card: PcscCard | null = null;
  #presenceWaiters: Array<{ present: boolean; resolve: () => void }> = [];
  #closed = false;

  private constructor(binding: PcscBinding, context: PcscContext, reader: PcscReaderHandle, share: 'exclusive' | 'shared') {
    this.#binding = binding;
    this.#context = context;
    this.name = reader.name;
    this.#share = share === 'shared' ? binding.SCARD_SHARE_SHARED : binding.SCARD_SHARE_EXCLUSIVE;
    this.#present = (reader.state & binding.SCARD_STATE_PRESENT) !== 0;
  }

  /** Connects to pcscd, picks the reader and starts watching its card-detect. */
  static async open(options: PcscReaderOptions = {}): Promise<PcscReader> {
    const binding = options.binding ?? (await loadSmartcard());
    let context: PcscContext;
    let readers: PcscReaderHandle[];
    try {
      context = new binding.Context();
      readers = context.listReaders();
    } catch (error) {
      throw setupError(error);
    }
    const reader = PcscReader.#pick(binding, readers, options.readerName);
    if (!reader) {
      context.close();
      const known = readers.length === 0 ? 'pcscd reports no readers (for the virtual card: apt install vsmartcard-vpcd, then restart pcscd)' : `readers: ${readers.map((r) => `"${r.name}"`).join(', ')}`;
      throw new PcscSetupError(options.readerName === undefined ? `no PC/SC reader: ${known}` : `no PC/SC reader called "${options.readerName}": ${known}`);
    }
    const pcsc = new PcscReader(binding, context, reader, options.share ?? 'exclusive');
    pcsc.#watch();
    return pcsc;
  }

  static #pick(binding: PcscBinding, readers: PcscReaderHandle[], wanted: string | undefined): PcscReaderHandle | undefined {
    if (wanted !== undefined) {
      return readers.find((r) => r.name === wanted) ?? readers.find((r) => r.name.toLowerCase().startsWith(wanted.toLowerCase()));
    }
    return readers.find((r) => (r.state & binding.SCARD_STATE_PRESENT) !== 0) ?? readers[0];
  }

  get cardPresent(): boolean {
    return this.#present;
  }

  /** Resolves when a card is in the reader (at once if one is). */
  whenPresent(): Promise<void> {
    return this.#whenPresence(true);
  }

  /** Resolves when the reader is empty (at once if it is). */
  whenAbsent(): Promise<void> {
    return this.#whenPresence(false);
  }

  async powerOn(): Promise<Uint8Array> {
    this.#disconnect(this.#binding.SCARD_UNPOWER_CARD);
    if (!this.#present) throw new CardRemovedError(`no card in ${this.name}`);
    try {
      // SCardConnect powers the card up (cold reset) and lets the reader negotiate T=0 or T=1.
      const reader = this.#context.listReaders().find((r) => r.name === this.name);
      if (!reader) throw new CardRemovedError(`reader ${this.name} has gone`);
      this.#card = await reader.connect(this.#share, this.#binding.SCARD_PROTOCOL_T0 | this.#binding.SCARD_PROTOCOL_T1);
      return new Uint8Array(this.#card.getStatus().atr);
    } catch (error) {
      if (error instanceof CardRemovedError) throw error;
      throw this.#cardError(error, 'power on');
    }
  }

  async transmit(command: Uint8Array): Promise<Uint8Array> {
    const card = this.#card;
    if (!card) throw new CardMuteError('card is not powered: call powerOn first');
    try {
      return new Uint8Array(await card.transmit(command, { maxRecvLength: MAX_RESPONSE }));
    } catch (error) {
      throw this.#cardError(error, 'transmit');
    }
  }

  async powerOff(): Promise<void> {
    this.#disconnect(this.#binding.SCARD_UNPOWER_CARD);
  }

  /** Motorised readers push the card out; others ignore it and the person takes the card. */
  async eject(): Promise<void> {
    this.#disconnect(this.#binding.SCARD_EJECT_CARD);
  }

  /** Stops watching the reader and leaves pcscd. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#disconnect(this.#binding.SCARD_UNPOWER_CARD);
    this.#monitor?.stop();
    this.#monitor = null;
    try {
      this.#context.close();
    } catch {
      // pcscd already gone
    }
  }

  #watch(): void {
    const monitor = new this.#binding.ReaderMonitor();
    this.#monitor = monitor;
    monitor.start((event) => {
      if (this.#closed || event.reader !== this.name) return;
      if (event.type === 'reader-detached') this.#setPresent(false);
      else if (event.type !== 'error') this.#setPresent((event.state & this.#binding.SCARD_STATE_PRESENT) !== 0);
    });
  }

  #setPresent(present: boolean): void {
    if (present === this.#present) return;
    this.#present = present;
    // The old handle still holds the reader (exclusively) in pcscd until it is released.
    if (!present) this.#disconnect(this.#binding.SCARD_LEAVE_CARD);
    const waiting = this.#presenceWaiters.filter((w) => w.present === present);
    this.#presenceWaiters = this.#presenceWaiters.filter((w) => w.present !== present);
    if (present) this.onInserted?.();
    else this.onRemoved?.();
    for (const waiter of waiting) waiter.resolve();
  }

  #whenPresence(present: boolean): Promise<void> {
    if (this.#present === present) return Promise.resolve();
    return new Promise((resolve) => this.#presenceWaiters.push({ present, resolve }));
  }

  #disconnect(disposition: number): void {
    const card = this.#card;
    this.#card = null;
    if (!card) return;
    try {
      card.disconnect(disposition);
    } catch {
      // the card or pcscd is gone already: nothing left to release
    }
  }

  #cardError(error: unknown, what: string): Error {
    const message = describeNative(error);
    if (/removed|no smart card|not present|reset/i.test(message)) {
      this.#disconnect(this.#binding.SCARD_LEAVE_CARD);
      return new CardRemovedError(`${this.name}: ${message}`);
    }
    if (/service not running|no service/i.test(message)) return new CardMuteError(`pcscd stopped during ${what}: ${PCSCD_HINT}`);
    if (/sharing violation/i.test(message)) return new CardMuteError(`${this.name} is in use by another program (sharing violation): close it and try again`);
    return new CardMuteError(`${this.name}: ${what} failed: ${message}`);
  }
}
