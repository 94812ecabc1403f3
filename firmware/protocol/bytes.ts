// Byte helpers shared by terminal, card and tools. Engine-neutral: no Buffer, only Uint8Array.
import { bytesToHex, hexToBytes, concatBytes, equalBytes } from '@noble/curves/utils.js';

export { bytesToHex, concatBytes };

/** Hex to bytes, tolerating spaces and colons as a person would paste them ("00 A4 04 00"). */
export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/[\s:]/g, '');
  if (!/^[0-9a-fA-F]*$/.test(clean) || clean.length % 2 !== 0) {
    throw new RangeError(`not a hex byte string: "${hex}"`);
  }
  return hexToBytes(clean);
}

export function toHex(bytes: Uint8Array): string {
  return bytesToHex(bytes).toUpperCase();
}

/** Compares in time that depends on the length only (card PIN and Ns checks, DESIGN.md §3). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return equalBytes(a, b);
}

/** ASCII text to bytes; refuses anything outside 0x20..0x7E so digits and ids stay printable. */
export function asciiBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code > 0x7e) throw new RangeError(`not printable ASCII at ${i}: "${text}"`);
    out[i] = code;
  }
  return out;
}

export function asciiText(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) {
    if (byte < 0x20 || byte > 0x7e) throw new RangeError(`not printable ASCII: ${toHex(bytes)}`);
    text += String.fromCharCode(byte);
  }
  return text;
}

export function uint16(value: number): Uint8Array {
  return Uint8Array.of((value >> 8) & 0xff, value & 0xff);
}

export function uint32(value: number): Uint8Array {
  return Uint8Array.of((value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
}

export function readUint16(bytes: Uint8Array, offset = 0): number {
  return (bytes[offset]! << 8) | bytes[offset + 1]!;
}

export function readUint32(bytes: Uint8Array, offset = 0): number {
  return ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0;
}
