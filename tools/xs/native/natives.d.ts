// The globals the device runner defines for the device's native crypto (native-crypto.c). Only
// the bundles that tools/bench/device.ts makes with DEVICE_NATIVE_CRYPTO reach them.

/** A native digest in progress. */
interface NativeDigestHandle {
  readonly __nativeDigest: never;
}

declare function nativeDigest(type: 'SHA1' | 'SHA256' | 'SHA512'): NativeDigestHandle;
declare function nativeDigestWrite(handle: NativeDigestHandle, data: ArrayBuffer): void;
/** The digest (20, 32 or 64 bytes); the handle starts over. */
declare function nativeDigestClose(handle: NativeDigestHandle): ArrayBuffer;
declare function nativeDigestReset(handle: NativeDigestHandle): void;
/** 33-byte compressed key, 32-byte digest, 64-byte r ‖ s; false unless valid with s ≤ n/2. */
declare function nativeP256Verify(publicKey: ArrayBuffer, digest: ArrayBuffer, signature: ArrayBuffer): boolean;
/** r ‖ s with low S (RFC 6979 nonce); RangeError for a key out of range. */
declare function nativeP256Sign(secretKey: ArrayBuffer, digest: ArrayBuffer): ArrayBuffer;
/** 33 bytes, SEC 1 compressed; RangeError for a key out of range. */
declare function nativeP256PublicKey(secretKey: ArrayBuffer): ArrayBuffer;
declare function nativeP256IsPublicKey(publicKey: ArrayBuffer): boolean;
/** ECDH: the 32-byte x coordinate of d·Q; RangeError for a bad key or point. */
declare function nativeP256SharedSecret(secretKey: ArrayBuffer, publicKey: ArrayBuffer): ArrayBuffer;

/** An AES-128 key schedule (FIPS 197). */
interface NativeAesHandle {
  readonly __nativeAes: never;
}
/** RangeError unless the key is 16 bytes. */
declare function nativeAes(key: ArrayBuffer): NativeAesHandle;
/** One 16-byte block; RangeError for another length. */
declare function nativeAesEncrypt(handle: NativeAesHandle, block: ArrayBuffer): ArrayBuffer;
declare function nativeAesDecrypt(handle: NativeAesHandle, block: ArrayBuffer): ArrayBuffer;

// The terminal's NOR flash chip (native-flash.c): memory outside the JavaScript heap.
/** A blank (0xFF) chip of byteLength bytes in blocks of blockSize. */
declare function nativeFlashOpen(byteLength: number, blockSize: number): void;
/** A copy of length bytes at offset. */
declare function nativeFlashRead(offset: number, length: number): ArrayBuffer;
/** Programs length bytes of buffer from `from` at offset: each stored byte becomes old AND new. */
declare function nativeFlashWrite(offset: number, buffer: ArrayBuffer, from: number, length: number): void;
/** Sets the block to 0xFF. */
declare function nativeFlashErase(block: number): void;

// The SDK's modular inverse on BigInt (modules/crypt/arith), modelled in native-crypto.c.
/** a⁻¹ mod m for an odd m > 1 and 0 < a < m (Modular.mulinv); a wrong answer when gcd(a, m) ≠ 1, as the SDK's. */
declare function nativeModMulinv(a: bigint, m: bigint): bigint;

// The card and its wire beyond the smart-card UART (native-card-line.c), for tools/xs/native/card-line.ts.
/** Loads a recording (card-line.ts encodeCardLine) for a card clock of clockHz; the card unpowered, line time 0. */
declare function nativeCardLineLoad(recording: ArrayBuffer, clockHz: number): void;
/** VCC on or off; off loses every character in flight or waiting. */
declare function nativeCardLinePower(on: boolean): void;
/** RST rises with VCC on: the card begins its next step, which must be a reset. */
declare function nativeCardLineReset(cold: boolean): void;
/** The terminal's UART frame: bit/s, odd parity sense, guard bits after the 2 stop bits. */
declare function nativeCardLineSet(baud: number, odd: boolean, guardBits: number): void;
/** The terminal writes characters (the UART's write()); they come back as echo. */
declare function nativeCardLineWrite(buffer: ArrayBuffer | ArrayBufferView): void;
/** The UART's onReadable(count), called with `target` as this per batch (or per character); null stops it. */
declare function nativeCardLineListen(onReadable: ((count: number) => void) | null, target: unknown, perCharacter: boolean): void;
/** Line time in ms, fractional (Moddable's Time.ticks). */
declare function nativeCardLineTicks(): number;
/** A one-shot timer `ms` on in line time (Moddable's Timer.set): its id. */
declare function nativeCardLineTimerSet(callback: () => void, ms: number): number;
/** Cancels a timer (Timer.clear); an unknown or fired id is ignored. */
declare function nativeCardLineTimerClear(id: number): void;
/** The next arrived character, 0..255, or undefined. */
declare function nativeCardLineRead(): number | undefined;
/** Copies arrived characters into `target` from `offset`, as many as fit; how many. RangeError for an offset outside it. */
declare function nativeCardLineReadInto(target: Uint8Array, offset: number): number;
declare function nativeCardLineFlush(): void;
declare function nativeCardLineStatus(): import('./card-line.js').CardLineStatus;
