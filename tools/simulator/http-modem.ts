// The simulator's modem (hal/modem.ts): POSTs to the fee management centre over HTTP on the
// loopback, the same request bytes the board's AT-modem driver (hal/twin/at-modem.ts,
// hal/esp32/sim800-modem.ts) carries. Node-side (fetch), so it lives here, not in hal/sim (type-checked engine-neutral).
import { ModemError, ModemTimeoutError, type HttpAnswer, type Modem } from '../../hal/modem.js';

export interface HttpModemOptions {
  /** How long one POST may take before ModemTimeoutError, ms (the SIM800's HTTP timeout is 120 s). */
  readonly timeoutMs?: number;
}

export class HttpModem implements Modem {
  readonly #timeoutMs: number;
  /** POSTs made, for the simulator's status line. */
  posts = 0;

  constructor(options: HttpModemOptions = {}) {
    this.#timeoutMs = options.timeoutMs ?? 120_000;
  }

  async attach(): Promise<void> {}

  /**
   * POSTs `body` with `contentType`; resolves with the status and body bytes whatever the status.
   * Throws ModemError when the centre cannot be reached (refused, reset) and ModemTimeoutError
   * past the timeout, as the AT driver does for a dropped link.
   */
  async post(url: string, body: Uint8Array, contentType: string): Promise<HttpAnswer> {
    this.posts++;
    try {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body, signal: AbortSignal.timeout(this.#timeoutMs) });
      return { status: response.status, body: new Uint8Array(await response.arrayBuffer()) };
    } catch (error) {
      if ((error as Error).name === 'TimeoutError') throw new ModemTimeoutError(`no answer from ${url} within ${this.#timeoutMs} ms`);
      throw new ModemError(`cannot reach ${url}: ${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message}`);
    }
  }

  async powerCycle(): Promise<void> {}
}
