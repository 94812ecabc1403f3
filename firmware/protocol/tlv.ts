// BER-TLV as ISO/IEC 7816-4 §5.2 uses it: tags of one or two bytes, definite lengths of up to
// three bytes (0x82 LL LL). Everything the card and terminal exchange is built from these.
import { toHex } from './bytes.js';

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

/** Bytes of a tag's encoding (1 or 2); throws TlvError for a tag this encoding cannot carry. */
function tagSize(tag: number): number {
  if (!Number.isInteger(tag) || tag <= 0 || tag > 0xffff) throw new TlvError(`tag out of range: ${tag}`);
  if (tag > 0xff) {
    if ((tag >> 8 & 0x1f) !== 0x1f) throw new TlvError(`two-byte tag ${tag.toString(16)} must start with xx11111`);
    return 2;
  }
  if ((tag & 0x1f) === 0x1f) throw new TlvError(`tag ${tag.toString(16)} announces a second byte`);
  return 1;
}

/** Bytes of the minimal length field for `length` (1 to 3); throws TlvError past MAX_LENGTH. */
function lengthSize(length: number): number {
  if (length < 0x80) return 1;
  if (length <= 0xff) return 2;
  if (length <= MAX_LENGTH) return 3;
  throw new TlvError(`value too long for a TLV: ${length} bytes`);
}

/** Writes tag and length (already checked by tagSize / lengthSize) at `at`; returns the offset after them. */
function writeHeader(out: Uint8Array, at: number, tag: number, length: number): number {
  if (tag > 0xff) out[at++] = tag >> 8;
  out[at++] = tag & 0xff;
  if (length >= 0x80) {
    if (length > 0xff) {
      out[at++] = 0x82;
      out[at++] = length >> 8;
    } else {
      out[at++] = 0x81;
    }
  }
  out[at++] = length & 0xff;
  return at;
}

/** One TLV, minimal (DER-like) length form, so that equal content encodes to equal bytes. */
export function encodeTlv(tag: number, value: Uint8Array): Uint8Array {
  const length = value.length;
  const out = new Uint8Array(tagSize(tag) + lengthSize(length) + length);
  out.set(value, writeHeader(out, 0, tag, length));
  return out;
}

/**
 * A constructed TLV whose value is the given TLVs in order, written into one buffer: no
 * intermediate array per child (an SA1 message is about 800 bytes, copied once instead of three times).
 */
export function encodeConstructed(tag: number, children: readonly Tlv[]): Uint8Array {
  if (!isConstructed(tag)) throw new TlvError(`tag ${tag.toString(16)} is not a constructed tag`);
  let inner = 0;
  for (let i = 0; i < children.length; i++) {
    const child = children[i]!;
    inner += tagSize(child.tag) + lengthSize(child.value.length) + child.value.length;
  }
  const out = new Uint8Array(tagSize(tag) + lengthSize(inner) + inner);
  let at = writeHeader(out, 0, tag, inner);
  for (let i = 0; i < children.length; i++) {
    const { tag: childTag, value } = children[i]!;
    at = writeHeader(out, at, childTag, value.length);
    out.set(value, at);
    at += value.length;
  }
  return out;
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
