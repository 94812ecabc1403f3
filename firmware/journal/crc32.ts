// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as zlib and PNG compute it: catches any
// torn or flipped run of bits in a journal record. @noble/hashes has no CRC, so a small table.
// The table is a frozen plain array of int32 values and the loop stays in int32: on XS both are
// cheaper than a Uint32Array read and uint32 arithmetic (values past 2^31 are doubles there).

const TABLE: readonly number[] = Object.freeze(Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c | 0;
}));

/** CRC-32 of `bytes`, 0..2^32-1. An indexed loop: XS makes an iterator result per for-of step. */
export function crc32(bytes: Uint8Array): number {
  let crc = -1;
  const length = bytes.length;
  for (let i = 0; i < length; i++) crc = TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}
