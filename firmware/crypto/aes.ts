// AES provider for hosts and, until the device maps it to the SDK's native cipher, for the
// device too: @noble/ciphers (firmware/crypto/primitives.ts says why providers are modules).
import { cbc, cmac, ecb } from '@noble/ciphers/aes.js';
import type { AesPrimitives } from './primitives.js';

const KEY_BYTES = 16;
const BLOCK_BYTES = 16;

function checkKey(key: Uint8Array): void {
  if (key.length !== KEY_BYTES) throw new RangeError(`AES-128 key must be ${KEY_BYTES} bytes, not ${key.length}`);
}

function checkBlocks(data: Uint8Array): void {
  if (data.length % BLOCK_BYTES !== 0) throw new RangeError(`AES-CBC data must be a multiple of ${BLOCK_BYTES} bytes, not ${data.length}`);
}

export const AES: AesPrimitives = Object.freeze({
  cbcEncrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
    checkKey(key);
    checkBlocks(data);
    return cbc(key, iv, { disablePadding: true }).encrypt(data);
  },
  cbcDecrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
    checkKey(key);
    checkBlocks(data);
    return cbc(key, iv, { disablePadding: true }).decrypt(data);
  },
  encryptBlock(key: Uint8Array, block: Uint8Array): Uint8Array {
    checkKey(key);
    if (block.length !== BLOCK_BYTES) throw new RangeError(`AES block must be ${BLOCK_BYTES} bytes, not ${block.length}`);
    return ecb(key, { disablePadding: true }).encrypt(block);
  },
  cmac(key: Uint8Array, data: Uint8Array): Uint8Array {
    checkKey(key);
    return cmac(data, key);
  },
});
