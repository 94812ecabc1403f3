// Field coding of the upload messages (docs/upload-protocol.md): fixed-width big-endian unsigned
// integers (u16, u32, u48: ms since epoch fit 48 bits until the year 10889) and the terminal id.
// A value outside its width is a RangeError when encoding (the caller's bug) and a TlvError when
// decoding (the sender's): bad input is refused, never read as another number.
import { asciiBytes, asciiText } from '../protocol/bytes.js';
import { TlvError } from '../protocol/tlv.js';

/** Widths in bytes of the protocol's unsigned integers. */
export const WIDTH = Object.freeze({ U16: 2, U32: 4, U48: 6 } as const);

/** `value` as `width` bytes, big-endian; RangeError naming `what` if it is not an integer that fits. */
export function unsignedBytes(value: number, width: number, what: string): Uint8Array {
  const limit = 2 ** (8 * width);
  if (!Number.isSafeInteger(value) || value < 0 || value >= limit) throw new RangeError(`${what} must be an integer 0..${limit - 1}, got ${value}`);
  const out = new Uint8Array(width);
  let rest = value;
  for (let i = width - 1; i >= 0; i--) {
    out[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  return out;
}

/** The unsigned integer in `bytes`, which must be exactly `width` bytes; TlvError naming `what` otherwise. */
export function readUnsigned(bytes: Uint8Array, width: number, what: string): number {
  if (bytes.length !== width) throw new TlvError(`${what} must be ${width} bytes, got ${bytes.length}`);
  let value = 0;
  for (let i = 0; i < width; i++) value = value * 256 + bytes[i]!;
  return value;
}

const ID_MAX_LENGTH = 16;

function isIdCharacter(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || code === 0x2d;
}

/** Whether `id` is a terminal or centre id: 1 to 16 letters, digits or '-' (as the issuer provisions them). */
export function isDeviceId(id: string): boolean {
  if (id.length === 0 || id.length > ID_MAX_LENGTH) return false;
  for (let i = 0; i < id.length; i++) if (!isIdCharacter(id.charCodeAt(i))) return false;
  return true;
}

/** A terminal id's bytes; RangeError unless isDeviceId. */
export function deviceIdBytes(id: string, what: string): Uint8Array {
  if (!isDeviceId(id)) throw new RangeError(`${what} must be 1 to ${ID_MAX_LENGTH} letters, digits or '-', got "${id}"`);
  return asciiBytes(id);
}

/** The id in `bytes`; TlvError naming `what` unless it is 1 to 16 letters, digits or '-'. */
export function readDeviceId(bytes: Uint8Array, what: string): string {
  let id = '';
  try {
    id = asciiText(bytes);
  } catch {
    throw new TlvError(`${what} is not printable ASCII`);
  }
  if (!isDeviceId(id)) throw new TlvError(`${what} must be 1 to ${ID_MAX_LENGTH} letters, digits or '-', got "${id}"`);
  return id;
}
