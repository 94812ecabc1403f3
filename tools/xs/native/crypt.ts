/// <reference path="./natives.d.ts" />
// The Moddable SDK's `crypt` Digest, BlockCipher and Mode (modules/crypt/digest/crypt.js and
// modCrypt.c: native C on the device) as the device runner models them: the same class shapes,
// over the runner's native digests and AES (native-crypto.c). Bundled in place of the module name
// `crypt` by tools/bench/device.ts, so hal/moddable/hash.ts and hal/moddable/aes.ts, the device's
// providers, run unchanged. Mode's block chaining is C in the SDK and JavaScript here, so the
// model charges CBC's XORs as JavaScript: an upper bound.

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

const AES_BLOCK = 16;

/** A block cipher under one key, as the SDK's BlockCipher: only "AES" with a 16-byte key is modelled. */
export class BlockCipher {
  readonly #handle: NativeAesHandle;
  readonly keySize = 16;
  readonly blockSize = AES_BLOCK;

  /** @throws RangeError for another cipher or key length */
  constructor(cipher: 'AES', key: ArrayBuffer) {
    if (cipher !== 'AES') throw new RangeError(`block cipher ${String(cipher)}: the device runner models AES only`);
    this.#handle = nativeAes(key);
  }

  /** One block (the first 16 bytes of data). */
  encrypt(data: ArrayBuffer): ArrayBuffer {
    return nativeAesEncrypt(this.#handle, data.slice(0, AES_BLOCK));
  }

  decrypt(data: ArrayBuffer): ArrayBuffer {
    return nativeAesDecrypt(this.#handle, data.slice(0, AES_BLOCK));
  }
}

/**
 * A mode of operation over a BlockCipher, as the SDK's Mode: "ECB" or "CBC" (the IV carried
 * from call to call, as in modCrypt.c), without padding; data a whole number of blocks.
 */
export class Mode {
  readonly #kind: 'ECB' | 'CBC';
  readonly #cipher: BlockCipher;
  #chain: Uint8Array;

  /** @throws RangeError for CTR or another mode, or an IV that is not 16 bytes */
  constructor(mode: 'ECB' | 'CBC', cipher: BlockCipher, iv?: ArrayBuffer) {
    if (mode !== 'ECB' && mode !== 'CBC') throw new RangeError(`mode ${String(mode)}: the device runner models ECB and CBC`);
    if (iv !== undefined && iv.byteLength !== AES_BLOCK) throw new RangeError(`IV must be ${AES_BLOCK} bytes, not ${iv.byteLength}`);
    this.#kind = mode;
    this.#cipher = cipher;
    this.#chain = iv ? new Uint8Array(iv.slice(0)) : new Uint8Array(AES_BLOCK);
  }

  encrypt(data: ArrayBuffer): ArrayBuffer {
    return this.#process(new Uint8Array(data), false);
  }

  decrypt(data: ArrayBuffer): ArrayBuffer {
    return this.#process(new Uint8Array(data), true);
  }

  #process(input: Uint8Array, decrypt: boolean): ArrayBuffer {
    if (input.length % AES_BLOCK !== 0) throw new RangeError(`${this.#kind} without padding takes whole ${AES_BLOCK}-byte blocks, not ${input.length} bytes`);
    const output = new Uint8Array(input.length);
    for (let at = 0; at < input.length; at += AES_BLOCK) {
      const block = input.slice(at, at + AES_BLOCK);
      if (this.#kind === 'ECB') {
        output.set(new Uint8Array(decrypt ? this.#cipher.decrypt(block.buffer) : this.#cipher.encrypt(block.buffer)), at);
      } else if (decrypt) {
        const plain = new Uint8Array(this.#cipher.decrypt(block.buffer));
        for (let i = 0; i < AES_BLOCK; i++) plain[i] = plain[i]! ^ this.#chain[i]!;
        output.set(plain, at);
        this.#chain = block;
      } else {
        for (let i = 0; i < AES_BLOCK; i++) block[i] = block[i]! ^ this.#chain[i]!;
        this.#chain = new Uint8Array(this.#cipher.encrypt(block.buffer));
        output.set(this.#chain, at);
      }
    }
    return output.buffer;
  }
}
