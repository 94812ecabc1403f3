// The Moddable SDK's `hmac` (modules/crypt/etc/hmac.js: JavaScript over the native Digest) as the
// device runner models it: HMAC (RFC 2104) in JavaScript over a `crypt` Digest, so its JavaScript
// work is charged as JavaScript and the digests as native. Bundled in place of the module name
// `hmac` by tools/bench/device.ts.
import type { Digest } from './crypt.js';

export default class HMAC {
  readonly #digest: Digest;
  readonly #outerPad: Uint8Array;

  /** key: any length (hashed first when longer than the block, RFC 2104 §2). */
  constructor(digest: Digest, key: ArrayBuffer) {
    this.#digest = digest;
    const block = new Uint8Array(digest.blockSize);
    if (key.byteLength > digest.blockSize) {
      digest.write(key);
      block.set(new Uint8Array(digest.close()));
    } else {
      block.set(new Uint8Array(key));
    }
    const inner = new Uint8Array(block.length);
    this.#outerPad = new Uint8Array(block.length);
    for (let i = 0; i < block.length; i++) {
      inner[i] = block[i]! ^ 0x36;
      this.#outerPad[i] = block[i]! ^ 0x5c;
    }
    digest.reset();
    digest.write(inner.buffer);
  }

  update(...data: ArrayBuffer[]): void {
    for (const part of data) this.#digest.write(part);
  }

  /** The MAC, outputSize bytes. */
  close(): ArrayBuffer {
    const inner = this.#digest.close();
    this.#digest.write(this.#outerPad.buffer as ArrayBuffer);
    this.#digest.write(inner);
    return this.#digest.close();
  }
}
