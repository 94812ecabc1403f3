// T=1 blocks (ISO/IEC 7816-3 §11.3): prologue NAD PCB LEN, information field, epilogue LRC or CRC.
// Shared by the terminal (t1.ts) and the simulated card (card/iso7816/t1-card.ts).

export type Edc = 'lrc' | 'crc';

export const BLOCK = Object.freeze({
  /** I-block: b8 = 0; N(S) in b7, more-data M in b6 (§11.3.2.2). */
  I_SEQUENCE: 0x40,
  I_MORE: 0x20,
  /** R-block: 10 in b8-b7; N(R) in b5; b4-b1 error: 0 none, 1 EDC or parity, 2 other. */
  R: 0x80,
  R_SEQUENCE: 0x10,
  /** S-block: 11 in b8-b7; b6 set in a response; b5-b1 the kind. */
  S: 0xc0,
  S_RESPONSE: 0x20,
  MAX_INF: 254,
} as const);

export const R_ERROR = Object.freeze({ NONE: 0, EDC: 1, OTHER: 2 } as const);
export const S_KIND = Object.freeze({ RESYNCH: 0, IFS: 1, ABORT: 2, WTX: 3 } as const);

export type Block =
  | { readonly kind: 'I'; readonly ns: number; readonly more: boolean; readonly inf: Uint8Array }
  | { readonly kind: 'R'; readonly nr: number; readonly error: number }
  | { readonly kind: 'S'; readonly type: number; readonly response: boolean; readonly inf: Uint8Array };

export const iBlock = (ns: number, more: boolean, inf: Uint8Array): Block => ({ kind: 'I', ns, more, inf });
export const rBlock = (nr: number, error: number = R_ERROR.NONE): Block => ({ kind: 'R', nr, error });
export const sBlock = (type: number, response: boolean, inf: Uint8Array = new Uint8Array(0)): Block => ({ kind: 'S', type, response, inf });

export function pcbOf(block: Block): number {
  switch (block.kind) {
    case 'I': return (block.ns ? BLOCK.I_SEQUENCE : 0) | (block.more ? BLOCK.I_MORE : 0);
    case 'R': return BLOCK.R | (block.nr ? BLOCK.R_SEQUENCE : 0) | block.error;
    case 'S': return BLOCK.S | (block.response ? BLOCK.S_RESPONSE : 0) | block.type;
  }
}

/** LRC: XOR of every byte of the block (§11.4.4). */
export function lrc(bytes: Uint8Array): number {
  // Four bytes a step where the bytes start on a word (a received block always does): XOR is
  // the same in any byte order, so the words are folded at the end. Indexed loops with the length
  // read once: for-of is an iterator call per element on XS, and .length a getter call.
  const length = bytes.length;
  let x = 0;
  let i = 0;
  if ((bytes.byteOffset & 3) === 0 && length >= 8) {
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset, length >>> 2);
    const count = words.length;
    let w = 0;
    for (let k = 0; k < count; k++) w ^= words[k]!;
    x = (w ^ (w >>> 8) ^ (w >>> 16) ^ (w >>> 24)) & 0xff;
    i = count << 2;
  }
  for (; i < length; i++) x ^= bytes[i]!;
  return x;
}

/** CRC of ISO/IEC 13239 (HDLC FCS-16: reflected 0x1021, preset FFFF, complemented), sent low byte first. */
export function crc16(bytes: Uint8Array): number {
  let crc = 0xffff;
  const length = bytes.length;
  for (let i = 0; i < length; i++) {
    crc ^= bytes[i]!;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x8408 : crc >>> 1;
  }
  return ~crc & 0xffff;
}

export function edcLength(edc: Edc): number {
  return edc === 'crc' ? 2 : 1;
}

export function encodeBlock(block: Block, edc: Edc, nad = 0): Uint8Array {
  const inf = block.kind === 'R' ? new Uint8Array(0) : block.inf;
  if (inf.length > BLOCK.MAX_INF) throw new RangeError(`T=1 information field of ${inf.length} bytes (254 at most)`);
  const out = new Uint8Array(3 + inf.length + edcLength(edc));
  out[0] = nad;
  out[1] = pcbOf(block);
  out[2] = inf.length;
  out.set(inf, 3);
  const body = out.subarray(0, 3 + inf.length);
  if (edc === 'lrc') out[3 + inf.length] = lrc(body);
  else {
    const crc = crc16(body);
    out[3 + inf.length] = crc & 0xff;
    out[4 + inf.length] = crc >> 8;
  }
  return out;
}

/** Why a received block is invalid (§11.6.1): an R-block tells the other side which. */
export class BlockError extends Error {
  override name = 'BlockError';
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

/** Decodes a whole block; throws BlockError for EDC, length, NAD or PCB faults. */
export function decodeBlock(bytes: Uint8Array, edc: Edc): { nad: number; block: Block } {
  const tail = edcLength(edc);
  if (bytes.length < 3 + tail) throw new BlockError(R_ERROR.OTHER, `block of ${bytes.length} bytes is too short`);
  const len = bytes[2]!;
  if (len === 0xff) throw new BlockError(R_ERROR.OTHER, 'LEN FF is RFU');
  if (bytes.length !== 3 + len + tail) throw new BlockError(R_ERROR.OTHER, `LEN says ${len}, block carries ${bytes.length - 3 - tail}`);
  const body = bytes.subarray(0, 3 + len);
  const good = edc === 'lrc' ? lrc(body) === bytes[3 + len] : crc16(body) === (bytes[3 + len]! | (bytes[4 + len]! << 8));
  if (!good) throw new BlockError(R_ERROR.EDC, `${edc.toUpperCase()} mismatch`);
  const nad = bytes[0]!;
  // Neither side uses node addressing: NAD is 00 (§11.3.2.1); another value is a shifted or damaged
  // prologue whose EDC checks by chance (an LRC does one time in 256).
  if (nad !== 0) throw new BlockError(R_ERROR.OTHER, `NAD ${nad.toString(16)}: node addressing is not used`);
  const pcb = bytes[1]!;
  const inf = bytes.slice(3, 3 + len);
  if (!(pcb & 0x80)) {
    if (pcb & 0x1f) throw new BlockError(R_ERROR.OTHER, `I-block PCB ${pcb.toString(16)} has RFU bits set`);
    return { nad, block: iBlock(pcb & BLOCK.I_SEQUENCE ? 1 : 0, (pcb & BLOCK.I_MORE) !== 0, inf) };
  }
  if (!(pcb & 0x40)) {
    if (len !== 0 || (pcb & 0x20) || (pcb & 0x0f) > 2) throw new BlockError(R_ERROR.OTHER, `R-block PCB ${pcb.toString(16)} or LEN ${len} invalid`);
    return { nad, block: rBlock(pcb & BLOCK.R_SEQUENCE ? 1 : 0, pcb & 0x0f) };
  }
  const type = pcb & 0x1f;
  if (type > S_KIND.WTX) throw new BlockError(R_ERROR.OTHER, `S-block kind ${type} is RFU`);
  const expected = type === S_KIND.IFS || type === S_KIND.WTX ? 1 : 0;
  if (len !== expected) throw new BlockError(R_ERROR.OTHER, `S-block kind ${type} with ${len} bytes of INF`);
  return { nad, block: sBlock(type, (pcb & BLOCK.S_RESPONSE) !== 0, inf) };
}

export function describeBlock(block: Block): string {
  switch (block.kind) {
    case 'I': return `I(${block.ns}${block.more ? ',M' : ''}) ${block.inf.length}B`;
    case 'R': return `R(${block.nr}${block.error ? `,err${block.error}` : ''})`;
    case 'S': return `S(${['RESYNCH', 'IFS', 'ABORT', 'WTX'][block.type]} ${block.response ? 'response' : 'request'}${block.inf.length ? ` ${block.inf[0]}` : ''})`;
  }
}
