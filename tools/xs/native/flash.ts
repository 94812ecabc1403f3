/// <reference path="./natives.d.ts" />
// The Moddable SDK's `flash` module (modules/files/flash: ESP-IDF's partition API on the device)
// as the device runner models it: the partition is the runner's native NOR chip (native-flash.c),
// memory outside the JavaScript heap as SPI flash is, so hal/esp32/journal-flash.ts, the device's
// journal driver, runs unchanged over it and its reads cost what they cost there (a copy into a
// new ArrayBuffer).

/** The partition's size: bytes, and bytes per erase block (ESP32 SPI flash: 4,096). */
export interface FlashGeometry {
  readonly sectorSize: number;
  readonly sectorCount: number;
}

/** new RunnerFlash(partition, geometry): a blank partition; the SDK's Flash shape (read, write, erase). */
export class RunnerFlash {
  readonly byteLength: number;
  readonly blockSize: number;

  constructor(partition: string, geometry: FlashGeometry) {
    if (typeof nativeFlashOpen !== 'function') throw new Error(`flash partition "${partition}": the native flash chip is only in the device runner`);
    this.blockSize = geometry.sectorSize;
    this.byteLength = geometry.sectorSize * geometry.sectorCount;
    nativeFlashOpen(this.byteLength, this.blockSize);
  }

  /** A copy of byteLength bytes at offset. RangeError outside the partition. */
  read(offset: number, byteLength: number): ArrayBuffer {
    return nativeFlashRead(offset, byteLength);
  }

  /** Programs byteLength bytes of buffer at offset (bits go from 1 to 0 only). RangeError outside the partition. */
  write(offset: number, byteLength: number, buffer: ArrayBuffer | ArrayBufferView): void {
    if (ArrayBuffer.isView(buffer)) nativeFlashWrite(offset, buffer.buffer as ArrayBuffer, buffer.byteOffset, byteLength);
    else nativeFlashWrite(offset, buffer, 0, byteLength);
  }

  /** Sets erase block `block` to 0xFF. RangeError for a block outside the partition. */
  erase(block: number): void {
    nativeFlashErase(block);
  }
}
