// Random HAL: the board's hardware RNG (on ESP32, esp_fill_random via Moddable's Crypt).

export interface Random {
  bytes(length: number): Uint8Array;
}
