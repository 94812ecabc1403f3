/// <reference path="./crypt-ec.d.ts" />
// Hash provider for the device: the Moddable SDK's native digests (`crypt`, modules/crypt/digest)
// and HMAC (`hmac`). The manifest maps the module name firmware/crypto/hash here, so the suites
// (firmware/crypto) use these instead of @noble on the device. Same exports as
// firmware/crypto/hash.ts; the interface is firmware/crypto/primitives.ts.
import { Digest } from 'crypt';
import HMAC from 'hmac';
import type { HashPrimitives } from '../../firmware/crypto/primitives.js';

/** The bytes as an ArrayBuffer (crypt takes ArrayBuffers): their own buffer when they fill it, else a copy. */
function bufferOf(data: Uint8Array): ArrayBuffer {
  const buffer = data.buffer as ArrayBuffer;
  return data.byteOffset === 0 && data.byteLength === buffer.byteLength ? buffer : (data.slice().buffer as ArrayBuffer);
}

function digest(type: 'SHA1' | 'SHA256' | 'SHA512', data: Uint8Array): Uint8Array {
  const hash = new Digest(type);
  hash.write(bufferOf(data));
  return new Uint8Array(hash.close());
}

export const HASHES: HashPrimitives = Object.freeze({
  sha256: (data: Uint8Array) => digest('SHA256', data),
  sha512: (data: Uint8Array) => digest('SHA512', data),
  sha1: (data: Uint8Array) => digest('SHA1', data),
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
    const mac = new HMAC(new Digest('SHA256'), bufferOf(key));
    mac.update(bufferOf(data));
    return new Uint8Array(mac.close());
  },
});

/** SHA-256 (FIPS 180-4), 32 bytes. */
export function sha256(data: Uint8Array): Uint8Array {
  return HASHES.sha256(data);
}
