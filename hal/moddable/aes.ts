/// <reference path="./crypt-cipher.d.ts" />
// AES provider for the device: the Moddable SDK's native block cipher and modes (`crypt`'s
// BlockCipher and Mode, modules/crypt/digest/modCrypt.c over kcl/fips197.c). The manifest maps
// the module name firmware/crypto/aes here, so the secure channel (firmware/secure-channel) runs
// on C instead of @noble/ciphers. Same exports as firmware/crypto/aes.ts; the interface is
// firmware/crypto/primitives.ts. The SDK has no CMAC: it is RFC 4493 over the native block.
import { BlockCipher, Mode } from 'crypt';
import type { AesPrimitives } from '../../firmware/crypto/primitives.js';

const KEY_BYTES = 16;
const BLOCK_BYTES = 16;
/** R_b of RFC 4493 §2.3: the constant XORed into a subkey whose doubling carried out of the block. */
const CMAC_RB = 0x87;

/** The bytes as an ArrayBuffer of their own (crypt takes ArrayBuffers). */
function bufferOf(data: Uint8Array): ArrayBuffer {
  return data.slice().buffer as ArrayBuffer;
}

function cipherOf(key: Uint8Array): BlockCipher {
  if (key.length !== KEY_BYTES) throw new RangeError(`AES-128 key must be ${KEY_BYTES} bytes, not ${key.length}`);
  return new BlockCipher('AES', bufferOf(key));
}

function checkBlocks(data: Uint8Array, iv: Uint8Array): void {
  if (data.length % BLOCK_BYTES !== 0) throw new RangeError(`AES-CBC data must be a multiple of ${BLOCK_BYTES} bytes, not ${data.length}`);
  if (iv.length !== BLOCK_BYTES) throw new RangeError(`AES-CBC IV must be ${BLOCK_BYTES} bytes, not ${iv.length}`);
}

/** Doubling in GF(2^128) (RFC 4493 §2.3): the block shifted left one bit, R_b in if a bit fell out. */
function double(block: Uint8Array): Uint8Array {
  const out = new Uint8Array(BLOCK_BYTES);
  for (let i = 0; i < BLOCK_BYTES; i++) out[i] = ((block[i]! << 1) | (i + 1 < BLOCK_BYTES ? block[i + 1]! >>> 7 : 0)) & 0xff;
  if (block[0]! & 0x80) out[BLOCK_BYTES - 1] = out[BLOCK_BYTES - 1]! ^ CMAC_RB;
  return out;
}

export const AES: AesPrimitives = Object.freeze({
  cbcEncrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
    checkBlocks(data, iv);
    return new Uint8Array(new Mode('CBC', cipherOf(key), bufferOf(iv)).encrypt(bufferOf(data)));
  },
  cbcDecrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
    checkBlocks(data, iv);
    return new Uint8Array(new Mode('CBC', cipherOf(key), bufferOf(iv)).decrypt(bufferOf(data)));
  },
  encryptBlock(key: Uint8Array, block: Uint8Array): Uint8Array {
    if (block.length !== BLOCK_BYTES) throw new RangeError(`AES block must be ${BLOCK_BYTES} bytes, not ${block.length}`);
    return new Uint8Array(cipherOf(key).encrypt(bufferOf(block)));
  },
  /** AES-CMAC (RFC 4493 §2.4), 16 bytes, over any length of data. */
  cmac(key: Uint8Array, data: Uint8Array): Uint8Array {
    const cipher = cipherOf(key);
    const k1 = double(new Uint8Array(cipher.encrypt(new ArrayBuffer(BLOCK_BYTES))));
    const blocks = Math.max(1, Math.ceil(data.length / BLOCK_BYTES));
    const complete = data.length > 0 && data.length % BLOCK_BYTES === 0;
    const last = new Uint8Array(BLOCK_BYTES);
    last.set(data.subarray((blocks - 1) * BLOCK_BYTES));
    if (!complete) last[data.length - (blocks - 1) * BLOCK_BYTES] = 0x80;
    const subkey = complete ? k1 : double(k1);
    for (let i = 0; i < BLOCK_BYTES; i++) last[i] = last[i]! ^ subkey[i]!;
    let state = new Uint8Array(BLOCK_BYTES);
    for (let b = 0; b < blocks; b++) {
      const block = b === blocks - 1 ? last : data.subarray(b * BLOCK_BYTES, (b + 1) * BLOCK_BYTES);
      for (let i = 0; i < BLOCK_BYTES; i++) state[i] = state[i]! ^ block[i]!;
      state = new Uint8Array(cipher.encrypt(state.buffer));
    }
    return state;
  },
});
