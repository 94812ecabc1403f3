// Flash HAL: a NOR flash partition. Erase sets a whole sector to 0xFF; a write can only clear
// bits (new = old AND data); power can fail in the middle of either.

export class PowerCutError extends Error {
  override name = 'PowerCutError';
}

export interface Flash {
  readonly sectorSize: number;
  readonly sectorCount: number;
  read(offset: number, length: number): Uint8Array;
  write(offset: number, data: Uint8Array): void;
  eraseSector(sector: number): void;
}
