// Modem HAL: the line to the fee management centre (patent fig. 2, communication unit 17).
// The daily upload (DESIGN.md §5) brings the link up, POSTs one signed batch and reads the
// centre's signed answer; a modem that stops answering is power-cycled by its driver.

/** The centre's answer to a POST: HTTP status and body bytes. */
export interface HttpAnswer {
  readonly status: number;
  readonly body: Uint8Array;
}

/** The modem refused a command (ERROR, +CME ERROR) or the network did (no SIM, not registered). */
export class ModemError extends Error {
  override name = 'ModemError';
}

/** The modem did not answer in time, even after a power cycle. */
export class ModemTimeoutError extends Error {
  override name = 'ModemTimeoutError';
}

export interface Modem {
  /** Brings the link up: modem answering, SIM ready, registered, packet data attached. */
  attach(): Promise<void>;
  /** POSTs `body` to `url` and resolves with the answer; attaches first when needed. */
  post(url: string, body: Uint8Array, contentType: string): Promise<HttpAnswer>;
  /** Switches the modem off and on again (power key), for a modem that hangs. */
  powerCycle(): Promise<void>;
}
