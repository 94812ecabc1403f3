// BER-TLV as ISO/IEC 7816-4 §5.2 uses it: tags of one or two bytes, definite lengths of up to
// three bytes (0x82 LL LL). Everything the card and terminal exchange is built from these.
import { concatBytes, toHex } from './bytes.js';

export class TlvError extends Error {
  override name = 'TlvError';
}

export interface Tlv {
  readonly tag: number;
  readonly value: Uint8Array;
}

const MAX_LENGTH = 0xffff;

function isConstructed(tag: number): boolean {
  const first = tag > 0xff ? tag >> 8 : tag;
  return (first & 0x20) !== 0;
}

function encodeTag(tag: number): Uint8Array {
  if (!Number.isInteger(tag) || tag <= 0 || tag > 0xffff) throw new TlvError(`tag out of range: ${tag}`);
  if (tag > 0xff) {
    if ((tag >> 8 & 0x1f) !== 0x1f) throw new TlvError(`two-byte tag ${tag.toString(16)} must start with xx11111`);
    return Uint8Array.of(tag >> 8, tag & 0xff);
  }
  if ((tag & 0x1f) === 0x1f) throw new TlvError(`tag ${tag.toString(16)} announces a second byte`);
  return Uint8Array.of(tag);
}

function encodeLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  if (length <= 0xff) return Uint8Array.of(0x81, length);
  if (length <= MAX_LENGTH) return Uint8Array.of(0x82, length >> 8, length & 0xff);
  throw new TlvError(`value too long for a TLV: ${length} bytes`);
}

/** One TLV, minimal (DER-like) length form, so that equal content encodes to equal bytes. */
export function encodeTlv(tag: number, value: Uint8Array): Uint8Array {
  return concatBytes(encodeTag(tag), encodeLength(value.length), value);
}

/** A constructed TLV whose value is the given TLVs in order. */
export function encodeConstructed(tag: number, children: readonly Tlv[]): Uint8Array {
  if (!isConstructed(tag)) throw new TlvError(`tag ${tag.toString(16)} is not a constructed tag`);
  return encodeTlv(tag, concatBytes(...children.map((child) => encodeTlv(child.tag, child.value))));
}

/** Splits a byte string into TLVs; refuses truncation, indefinite or over-long lengths, and padding. */
export function decodeTlvs(bytes: Uint8Array): Tlv[] {
  const items: Tlv[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const at = offset;
    let tag = bytes[offset++]!;
    if (tag === 0x00 || tag === 0xff) throw new TlvError(`invalid tag byte ${toHex(Uint8Array.of(tag))} at offset ${at}`);
    if ((tag & 0x1f) === 0x1f) {
      if (offset >= bytes.length) throw new TlvError(`tag truncated at offset ${at}`);
      const second = bytes[offset++]!;
      if (second & 0x80) throw new TlvError(`tags longer than two bytes are not used (offset ${at})`);
      tag = (tag << 8) | second;
    }
    if (offset >= bytes.length) throw new TlvError(`length missing for tag ${tag.toString(16)} at offset ${at}`);
    let length = bytes[offset++]!;
    if (length === 0x80) throw new TlvError(`indefinite length not allowed (tag ${tag.toString(16)})`);
    if (length > 0x80) {
      const count = length & 0x7f;
      if (count > 2) throw new TlvError(`length field of ${count} bytes is too long (tag ${tag.toString(16)})`);
      if (offset + count > bytes.length) throw new TlvError(`length truncated for tag ${tag.toString(16)}`);
      length = 0;
      for (let i = 0; i < count; i++) length = (length << 8) | bytes[offset++]!;
    }
    if (offset + length > bytes.length) {
      throw new TlvError(`tag ${tag.toString(16)} says ${length} bytes, only ${bytes.length - offset} present`);
    }
    items.push({ tag, value: bytes.subarray(offset, offset + length) });
    offset += length;
  }
  return items;
}

/** Decodes a single TLV that must fill the whole byte string. */
export function decodeSingle(bytes: Uint8Array, expectedTag: number): Uint8Array {
  const items = decodeTlvs(bytes);
  if (items.length !== 1 || items[0]!.tag !== expectedTag) {
    throw new TlvError(`expected one TLV with tag ${expectedTag.toString(16)}`);
  }
  return items[0]!.value;
}

/**
 * Reads the TLVs into a map by tag, checking that every tag is known and appears at most once,
 * and that the required ones are there.
 */
export function tlvMap(
  bytes: Uint8Array,
  allowed: readonly number[],
  required: readonly number[] = allowed,
): Map<number, Uint8Array> {
  const map = new Map<number, Uint8Array>();
  for (const { tag, value } of decodeTlvs(bytes)) {
    if (!allowed.includes(tag)) throw new TlvError(`unexpected tag ${tag.toString(16)}`);
    if (map.has(tag)) throw new TlvError(`tag ${tag.toString(16)} appears twice`);
    map.set(tag, value);
  }
  for (const tag of required) {
    if (!map.has(tag)) throw new TlvError(`missing tag ${tag.toString(16)}`);
  }
  return map;
}
