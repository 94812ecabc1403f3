// The Moddable SDK's `crypt` digests as hal/moddable uses them, for the Node build's type check
// (@moddable/typings has no `crypt`). The SDK's own typings/crypt.d.ts declares the same module
// for mcconfig's build, so this file is not referenced from the sources: only the members both
// declare are used (constructor, write, close, reset).

declare module 'crypt' {
  /** digest/modCrypt.c's names. */
  type DigestType = 'MD5' | 'SHA1' | 'SHA224' | 'SHA256' | 'SHA384' | 'SHA512';
  export class Digest {
    constructor(type: DigestType);
    write(data: ArrayBuffer): void;
    close(): ArrayBuffer;
    reset(): void;
    readonly blockSize: number;
    readonly outputSize: number;
  }
}

