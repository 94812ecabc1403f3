// Byte helpers shared by terminal, card and tools. Engine-neutral: no Buffer, only Uint8Array.
import { bytesToHex, concatBytes, equalBytes } from '@noble/curves/utils.js';

export { bytesToHex, concatBytes };

/**
 * Longest piece of a string read by index at once. XS finds index i of a string by walking its
 * UTF-8 from the start, so charCodeAt over a whole 1,700-digit answer is quadratic; over
 * 64-character slices it stays linear.
 */
const HEX_PIECE = 64;

/** The characters of a regular expression's \s (ECMA-262 WhiteSpace and LineTerminator). */
export function isWhiteSpace(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d) || code === 0xa0 || code === 0x1680 || (code >= 0x2000 && code <= 0x200a)
    || code === 0x2028 || code === 0x2029 || code === 0x202f || code === 0x205f || code === 0x3000 || code === 0xfeff;
}

/**
 * Hex to bytes, tolerating white space and colons as a person would paste them ("00 A4 04 00",
 * "3B:94"). Throws RangeError for any other character or an odd number of digits. One pass of
 * character codes, no regular expression (XS compiles a regex literal each time it is evaluated).
 */
export function fromHex(hex: string): Uint8Array {
  const length = hex.length; // each .length or method call on a string primitive boxes it in XS: read once
  const out = new Uint8Array(length >> 1);
  let digits = 0;
  let high = 0;
  for (let start = 0; start < length; start += HEX_PIECE) {
    const piece = length <= HEX_PIECE ? hex : hex.slice(start, start + HEX_PIECE);
    const end = piece.length;
    for (let i = 0; i < end; i++) {
      const code = piece.charCodeAt(i);
      let digit = code - 0x30; // 0-9, then a-f / A-F folded to lower case
      if (digit > 9) digit = code >= 0x41 && ((code | 0x20) - 0x61) >>> 0 < 6 ? (code | 0x20) - 0x57 : -1;
      if (digit < 0) {
        if (code === 0x3a || isWhiteSpace(code)) continue;
        throw new RangeError(`not a hex byte string: "${hex}"`);
      }
      if ((digits & 1) === 0) high = digit;
      else out[digits >> 1] = (high << 4) | digit;
      digits++;
    }
  }
  if ((digits & 1) !== 0) throw new RangeError(`not a hex byte string: "${hex}"`);
  return digits >> 1 === out.length ? out : out.slice(0, digits >> 1);
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
