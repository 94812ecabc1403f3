// The Moddable SDK's `crypt` block cipher and modes as hal/moddable/aes.ts uses them
// (modules/crypt/digest/crypt.js, modCrypt.c). The SDK's typings/crypt.d.ts declares only
// Digest, so this file adds to its module rather than repeating it: it is referenced from aes.ts
// for both the Node build and mcconfig's.

declare module 'crypt' {
  /** "AES" with a 16-, 24- or 32-byte key (kcl/fips197.c); DES and TDES are not used here. */
  export class BlockCipher {
    constructor(cipher: 'AES', key: ArrayBuffer);
    /** One block: the first blockSize bytes of data. */
    encrypt(data: ArrayBuffer, result?: ArrayBuffer): ArrayBuffer;
    decrypt(data: ArrayBuffer, result?: ArrayBuffer): ArrayBuffer;
    readonly keySize: number;
    readonly blockSize: number;
  }
  /** ECB, CTR or CBC over a BlockCipher; CBC carries its IV from call to call; pad: RFC 2630 at eof. */
  export class Mode {
    constructor(mode: 'ECB' | 'CTR' | 'CBC', cipher: BlockCipher, iv?: ArrayBuffer, pad?: boolean);
    encrypt(data: ArrayBuffer, result?: ArrayBuffer): ArrayBuffer;
    decrypt(data: ArrayBuffer, result?: ArrayBuffer): ArrayBuffer;
  }
}
