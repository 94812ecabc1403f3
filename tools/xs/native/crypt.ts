/// <reference path="./natives.d.ts" />
// The Moddable SDK's `crypt` Digest (modules/crypt/digest: native C on the device) as the device
// runner models it: the same class shape, over the runner's native digests (native-crypto.c).
// Bundled in place of the module name `crypt` by tools/bench/device.ts, so hal/moddable/hash.ts,
// the device's hash provider, runs unchanged.

type DigestType = 'SHA1' | 'SHA256' | 'SHA512';

/** Block and output sizes, bytes (FIPS 180-4). */
const SIZES: Readonly<Record<DigestType, readonly [block: number, output: number]>> = Object.freeze({
  SHA1: [64, 20],
  SHA256: [64, 32],
  SHA512: [128, 64],
});

/** A message digest: write() bytes, close() gives the digest and starts over. */
export class Digest {
  readonly #handle: NativeDigestHandle;
  readonly blockSize: number;
  readonly outputSize: number;

  /** @throws RangeError for a type the device runner does not model */
  constructor(type: DigestType) {
    const sizes = SIZES[type];
    if (!sizes) throw new RangeError(`digest ${type}: SHA1, SHA256 or SHA512`);
    this.#handle = nativeDigest(type);
    [this.blockSize, this.outputSize] = sizes;
  }

  write(data: ArrayBuffer): void {
    nativeDigestWrite(this.#handle, data);
  }

  close(): ArrayBuffer {
    return nativeDigestClose(this.#handle);
  }

  reset(): void {
    nativeDigestReset(this.#handle);
  }
}
