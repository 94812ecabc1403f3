// Modem HAL: the line to the fee management centre (patent fig. 2, communication unit 17).

export interface Modem {
  /** Sends one request to the centre and resolves with its answer. */
  exchange(request: Uint8Array): Promise<Uint8Array>;
}
