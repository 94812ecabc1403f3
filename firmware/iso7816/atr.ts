// The answer to reset (ISO/IEC 7816-3 §8): TS, T0, the TA/TB/TC/TD chain, historical bytes, TCK.
// parseAtr never throws on a malformed ATR: it reports what it found and lists the problems, so the
// same parser can describe any ATR (tools/atr) and the terminal can refuse a bad one (requireValidAtr).
// Bytes are taken as logical values, TS first (3B direct, 3F inverse), as PC/SC shows them.
import { toHex } from '../protocol/bytes.js';
import { AtrError } from './errors.js';
import type { Convention } from './convention.js';
import { DEFAULTS, DI_TABLE, FI_TABLE } from './timing.js';

/** One interface group i (TAi, TBi, TCi, TDi); `protocol` is the T announced by TD(i-1). */
export interface InterfaceGroup {
  readonly index: number;
  readonly protocol: number | null;
  readonly ta: number | null;
  readonly tb: number | null;
  readonly tc: number | null;
  readonly td: number | null;
}

export interface T1Parameters {
  /** TA(i) of the first T=1 group, i ≥ 3 (§11.4.2); default 32. */
  readonly ifsc: number;
  /** TB(i) high nibble (§11.4.3); default 4. */
  readonly bwi: number;
  /** TB(i) low nibble; default 13. */
  readonly cwi: number;
  /** TC(i) bit 1 (§11.4.4): CRC when set, LRC otherwise. */
  readonly edc: 'lrc' | 'crc';
  /** Which of the above the ATR gave (the rest are defaults). */
  readonly given: { readonly ifsc: boolean; readonly bwi: boolean; readonly edc: boolean };
}

export interface SpecificMode {
  /** TA2 (§8.3): the card runs this protocol and does not take PPS. */
  readonly protocol: number;
  readonly canChange: boolean;
  /** b5 set: Fi/Di implicit (not from TA1). */
  readonly implicitParameters: boolean;
}

export interface Atr {
  readonly bytes: Uint8Array;
  readonly convention: Convention | null;
  readonly t0: number | null;
  readonly groups: readonly InterfaceGroup[];
  /** The K bytes (T0 low nibble) after the interface bytes; fewer if the ATR is cut short. */
  readonly historical: Uint8Array;
  /** TCK at the place T0 and the TD chain give it (§8.2.5: required unless only T=0 is offered), never simply the last byte. */
  readonly tck: { readonly present: boolean; readonly required: boolean; readonly value: number | null; readonly valid: boolean | null };
  /** Protocols offered, in ATR order, T=15 left out; [0] when no TD is present. */
  readonly protocols: readonly number[];
  /** TA1 as sent, or null; fi/di/fmax follow from it (defaults 372 / 1 / 5 MHz without TA1). */
  readonly ta1: number | null;
  readonly fi: number | null;
  readonly di: number | null;
  readonly fmaxMHz: number | null;
  /** TC1: extra guard time N. */
  readonly n: number;
  /** TC2: waiting integer WI for T=0 (§10.2); default 10. */
  readonly wi: number;
  readonly specificMode: SpecificMode | null;
  readonly t1: T1Parameters | null;
  /** TA of the first T=15 group: clock stop (bits 8-7) and class (bits 6-1). */
  readonly clockStop: number | null;
  readonly classIndicator: number | null;
  /** Malformations; an ATR with any is not valid (requireValidAtr throws). */
  readonly problems: readonly string[];
  readonly valid: boolean;
}

const MAX_ATR_LENGTH = 33; // §8.2: TS and at most 32 characters
/** The interface characters of a group, by the bit of T0 / TDi that announces each (§8.2.3). */
const INTERFACE_NAMES = Object.freeze(['TA', 'TB', 'TC', 'TD'] as const);

export function parseAtr(bytes: Uint8Array): Atr {
  const problems: string[] = [];
  const groups: InterfaceGroup[] = [];
  const ts = bytes[0];
  const convention: Convention | null = ts === 0x3b ? 'direct' : ts === 0x3f ? 'inverse' : null;
  if (ts === undefined) problems.push('empty ATR');
  else if (!convention) problems.push(`TS ${hex(ts)} is neither 3B (direct) nor 3F (inverse)`);
  if (bytes.length > MAX_ATR_LENGTH) problems.push(`${bytes.length} bytes: longer than the 33 an ATR may have`);

  let at = 1;
  const t0 = bytes.length > 1 ? bytes[at++]! : null;
  if (ts !== undefined && t0 === null) problems.push('T0 missing');
  const k = t0 === null ? 0 : t0 & 0x0f;
  let y = t0 === null ? 0 : t0 >> 4;
  let protocol: number | null = null;
  // Loops without closures or array callbacks: the terminal parses every card's ATR on its way
  // to the first command (a closure or a map/filter costs XS an allocation each).
  for (let index = 1; t0 !== null; index++) {
    const present = [0, 0, 0, 0];
    for (let bit = 0; bit < 4; bit++) {
      if (!(y & (1 << bit))) {
        present[bit] = -1;
        continue;
      }
      if (at >= bytes.length) {
        problems.push(`${INTERFACE_NAMES[bit]}${index} announced but the ATR ends`);
        present[bit] = -1;
        continue;
      }
      present[bit] = bytes[at++]!;
    }
    const ta = present[0]! < 0 ? null : present[0]!;
    const tb = present[1]! < 0 ? null : present[1]!;
    const tc = present[2]! < 0 ? null : present[2]!;
    const td = present[3]! < 0 ? null : present[3]!;
    groups.push(Object.freeze({ index, protocol, ta, tb, tc, td }));
    if (td === null) break;
    y = td >> 4;
    protocol = td & 0x0f;
  }

  // §8.2: T0 and the TD chain say where everything is: K historical bytes after the interface
  // bytes, then TCK if it is required. The total length decides nothing; it is only checked.
  const historicalEnd = at + k;
  const historical = bytes.slice(at, Math.min(historicalEnd, bytes.length));
  if (t0 !== null && historical.length < k) problems.push(`${k} historical bytes announced, ${historical.length} present`);
  // The protocols the TDs announce, in order; T=15 is global, not a protocol; each once.
  const protocols: number[] = [];
  let required = false; // §8.2.5: TCK absent if only T=0 is indicated
  for (let i = 0; i < groups.length; i++) {
    const td = groups[i]!.td;
    if (td === null) continue;
    const t = td & 0x0f;
    if (t !== 0) required = true;
    if (t !== 15 && protocols.indexOf(t) < 0) protocols.push(t);
  }
  const tckAt = required ? historicalEnd : null;
  const tckByte = tckAt !== null && tckAt < bytes.length ? bytes[tckAt]! : null;
  if (required && tckByte === null) problems.push('TCK missing: a protocol other than T=0 is offered');
  const end = tckAt === null ? historicalEnd : tckAt + 1;
  if (t0 !== null && bytes.length > end) {
    problems.push(required
      ? `${bytes.length - end} byte(s) after the TCK, where the ATR should end`
      : `${bytes.length - end} byte(s) after the ${k} historical bytes, where the ATR should end (only T=0 is offered: no TCK)`);
  }
  let tckXor: number | null = null;
  if (tckByte !== null) {
    tckXor = 0;
    for (let i = 1; i <= tckAt!; i++) tckXor ^= bytes[i]!; // T0..TCK
  }
  const tckValid = tckXor === null ? null : tckXor === 0;
  if (tckValid === false) problems.push(`TCK ${hex(tckByte!)} is wrong: XOR of T0..TCK is ${hex(tckXor!)}, not 00`);

  if (protocols.length === 0) protocols.push(0);

  const ta1 = groups[0]?.ta ?? null;
  const fiEntry = FI_TABLE[(ta1 ?? DEFAULTS.ta1) >> 4] ?? null;
  const di = DI_TABLE[(ta1 ?? DEFAULTS.ta1) & 0x0f] ?? null;
  if (ta1 !== null && (!fiEntry || di === null)) problems.push(`TA1 ${hex(ta1)} uses an RFU value of Fi or Di`);

  const ta2 = groups[1]?.ta ?? null;
  const specificMode = ta2 === null ? null : Object.freeze({ protocol: ta2 & 0x0f, canChange: (ta2 & 0x80) === 0, implicitParameters: (ta2 & 0x10) !== 0 });

  let t1: T1Parameters | null = null;
  if (protocols.indexOf(1) >= 0) {
    // TA, TB and TC of T=1 from the first T=1 group (i ≥ 3) that has each (§11.4).
    let ifsc: number | null = null;
    let tb: number | null = null;
    let tc: number | null = null;
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (g.index < 3 || g.protocol !== 1) continue;
      if (ifsc === null) ifsc = g.ta;
      if (tb === null) tb = g.tb;
      if (tc === null) tc = g.tc;
    }
    if (ifsc !== null && (ifsc === 0 || ifsc === 0xff)) problems.push(`IFSC ${ifsc} is RFU (1..254)`);
    t1 = Object.freeze({
      ifsc: ifsc ?? DEFAULTS.ifsc,
      bwi: tb === null ? DEFAULTS.bwi : tb >> 4,
      cwi: tb === null ? DEFAULTS.cwi : tb & 0x0f,
      edc: tc !== null && (tc & 1) ? 'crc' as const : 'lrc' as const,
      given: Object.freeze({ ifsc: ifsc !== null, bwi: tb !== null, edc: tc !== null }),
    });
  }
  let global15: InterfaceGroup | undefined;
  for (let i = 0; !global15 && i < groups.length; i++) {
    const g = groups[i]!;
    if (g.index >= 3 && g.protocol === 15 && g.ta !== null) global15 = g;
  }
  const tc2 = groups[1]?.tc ?? null;
  if (tc2 === 0) problems.push('TC2 = 00 is RFU (WI must be 1..255)');

  return Object.freeze({
    bytes: bytes.slice(),
    convention,
    t0,
    groups: Object.freeze(groups),
    historical,
    tck: Object.freeze({ present: tckByte !== null, required, value: tckByte, valid: tckValid }),
    protocols: Object.freeze(protocols),
    ta1,
    fi: fiEntry ? fiEntry[0] : null,
    di,
    fmaxMHz: fiEntry ? fiEntry[1] : null,
    n: groups[0]?.tc ?? DEFAULTS.n,
    wi: tc2 || DEFAULTS.wi,
    specificMode,
    t1,
    clockStop: global15 ? global15.ta! >> 6 : null,
    classIndicator: global15 ? global15.ta! & 0x3f : null,
    problems: Object.freeze(problems),
    valid: problems.length === 0,
  });
}

/** Throws AtrError naming every problem, so a terminal never runs a card it misread. */
export function requireValidAtr(atr: Atr): Atr {
  if (!atr.valid) throw new AtrError(`ATR ${toHex(atr.bytes)}: ${atr.problems.join('; ')}`);
  return atr;
}

/**
 * How long the ATR is known to be from `prefix` (§8.2): its whole length (`final`), or, while a
 * TDi or T0 that says more is still to come, the length up to and including that byte.
 */
export function atrLengthSoFar(prefix: Uint8Array): { readonly length: number; readonly final: boolean } {
  if (prefix.length < 2) return { length: 2, final: false };
  let at = 2;
  let y = prefix[1]! >> 4;
  const k = prefix[1]! & 0x0f;
  let tck = false;
  for (;;) {
    const count = (y & 1) + ((y >> 1) & 1) + ((y >> 2) & 1) + ((y >> 3) & 1);
    if (!(y & 8)) {
      at += count;
      break;
    }
    const tdAt = at + count - 1;
    if (tdAt >= prefix.length) return { length: tdAt + 1, final: false };
    const td = prefix[tdAt]!;
    if ((td & 0x0f) !== 0) tck = true;
    y = td >> 4;
    at = tdAt + 1;
  }
  return { length: at + k + (tck ? 1 : 0), final: true };
}

/** How many bytes the ATR has, read from its own T0/TDi and K as far as the bytes so far allow (§8.2). */
export function expectedAtrLength(prefix: Uint8Array): number | null {
  const known = atrLengthSoFar(prefix);
  return known.final ? known.length : null;
}

/** A JSON-ready description (tools/atr prints it). */
export function describeAtr(atr: Atr): Record<string, unknown> {
  const t1 = atr.t1;
  return {
    atr: toHex(atr.bytes).replace(/(..)(?!$)/g, '$1 '),
    valid: atr.valid,
    problems: atr.problems,
    convention: atr.convention,
    protocols: atr.protocols.map((t) => `T=${t}`),
    ta1: atr.ta1 === null ? null : hex(atr.ta1),
    fi: atr.fi,
    di: atr.di,
    fmaxMHz: atr.fmaxMHz,
    cyclesPerEtu: atr.fi !== null && atr.di !== null ? round(atr.fi / atr.di) : null,
    extraGuardTime: atr.n,
    waitingIntegerT0: atr.wi,
    specificMode: atr.specificMode,
    t1: t1 && { ifsc: t1.ifsc, bwi: t1.bwi, cwi: t1.cwi, edc: t1.edc, defaults: Object.entries(t1.given).filter(([, given]) => !given).map(([name]) => name) },
    clockStop: atr.clockStop,
    classIndicator: atr.classIndicator,
    interfaceBytes: atr.groups.map((g) => ({
      i: g.index,
      ...(g.protocol === null ? {} : { T: g.protocol }),
      ...(g.ta === null ? {} : { TA: hex(g.ta) }),
      ...(g.tb === null ? {} : { TB: hex(g.tb) }),
      ...(g.tc === null ? {} : { TC: hex(g.tc) }),
      ...(g.td === null ? {} : { TD: hex(g.td) }),
    })),
    historical: toHex(atr.historical),
    tck: { present: atr.tck.present, required: atr.tck.required, value: atr.tck.value === null ? null : hex(atr.tck.value), valid: atr.tck.valid },
  };
}

function hex(value: number): string {
  return value.toString(16).toUpperCase().padStart(2, '0');
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
