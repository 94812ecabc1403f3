/// <reference types="node" />
/// <reference types="mocha" />
// The ATR parser against the world's ATRs: every literal ATR in pcsc-tools' smartcard_list.txt is
// parsed without an exception, and a spread sample is compared field by field with pcsc-tools'
// own ATR_analysis. Needs the Debian package pcsc-tools (CI installs it in .ci/run).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAtr, type Atr } from '../firmware/iso7816/atr.js';
import { fromHex, toHex } from '../firmware/protocol/bytes.js';

const LIST = '/usr/share/pcsc/smartcard_list.txt';
const ATR_ANALYSIS = '/usr/bin/ATR_analysis';
const SAMPLE_SIZE = 40;

function requirePcscTools(): void {
  for (const path of [LIST, ATR_ANALYSIS]) {
    if (!existsSync(path)) {
      throw new Error(`${path} is missing: install the Debian package pcsc-tools (apt-get install pcsc-tools; .ci/run does this in CI)`);
    }
  }
}

interface ListedAtrs {
  readonly literal: readonly string[];
  readonly patterns: readonly string[];
}

/** ATR lines: not a comment (#), not a description (tab), not blank. Patterns use regex syntax. */
function listedAtrs(): ListedAtrs {
  const literal: string[] = [];
  const patterns: string[] = [];
  for (const line of readFileSync(LIST, 'latin1').split('\n')) {
    const text = line.replace(/\r$/, '');
    if (text === '' || text.startsWith('#') || text.startsWith('\t')) continue;
    if (/^[0-9A-Fa-f]{2}( [0-9A-Fa-f]{2})*\s*$/.test(text)) literal.push(text.trim());
    else patterns.push(text);
  }
  return { literal, patterns };
}

/** The fields ATR_analysis reports, read from its text (colour codes removed). */
interface Analysis {
  convention: string | null;
  fi: string | null;
  di: string | null;
  protocols: number[];
  ifsc: number | null;
  bwi: number | null;
  cwi: number | null;
  edc: string | null;
  extraGuardTime: number | null;
  tck: { value: string; valid: boolean } | null;
  historical: string;
}

let cache: string | null = null;

/** Runs ATR_analysis with a fresh private copy of the list and no wget or curl on PATH: it never downloads. */
function atrAnalysis(atr: string): string {
  if (!cache) {
    cache = mkdtempSync(join(tmpdir(), 'atr-analysis-'));
    copyFileSync(LIST, join(cache, 'smartcard_list.txt')); // fresh mtime: its 10-hour update check passes
  }
  return execFileSync(ATR_ANALYSIS, atr.split(' '), {
    encoding: 'utf8',
    env: { HOME: cache, XDG_CACHE_HOME: cache, PATH: join(cache, 'no-bin'), LANG: 'C' },
  }).replace(/\x1b\[[0-9;]*m/g, '');
}

function analysisFields(text: string): Analysis {
  const first = (pattern: RegExp): RegExpExecArray | null => pattern.exec(text);
  const ta1 = first(/TA\(1\) = [0-9A-F]{2} --> Fi=(\w+), Di=(\w+)/);
  const bw = first(/Block Waiting Integer: (\d+) - Character Waiting Integer: (\d+)/);
  const tck = first(/\+ TCK = ([0-9A-F]{2}) (\(correct checksum\))?/);
  const protocols = [...text.matchAll(/Protocol T = (\d+)/g)].map((m) => Number(m[1])).filter((t) => t !== 15);
  return {
    convention: first(/\+ TS = [0-9A-F]{2} --> (\w+) Convention/)?.[1]?.toLowerCase() ?? null,
    fi: ta1?.[1] ?? null,
    di: ta1?.[2] ?? null,
    protocols: protocols.filter((t, i) => protocols.indexOf(t) === i),
    ifsc: numberOrNull(first(/IFSC: (\d+)/)?.[1]),
    bwi: numberOrNull(bw?.[1]),
    cwi: numberOrNull(bw?.[2]),
    edc: first(/Error detection code: (\w+)/)?.[1]?.toLowerCase() ?? null,
    extraGuardTime: numberOrNull(first(/Extra guard time: (\d+)/)?.[1]),
    tck: tck ? { value: tck[1]!, valid: tck[2] !== undefined } : null,
    historical: (first(/\+ Historical bytes: ?([0-9A-F ]*)/)?.[1] ?? '').replace(/\s/g, ''),
  };
}

function numberOrNull(text: string | undefined): number | null {
  return text === undefined ? null : Number(text);
}

/** Our fields in ATR_analysis's terms: what it prints only when the byte is present. */
function ourFields(atr: Atr): Analysis {
  const t1Group = atr.groups.filter((g) => g.index >= 3 && g.protocol === 1);
  const firstOf = (pick: (g: (typeof t1Group)[number]) => number | null): number | null => {
    for (const g of t1Group) if (pick(g) !== null) return pick(g);
    return null;
  };
  const tb = firstOf((g) => g.tb);
  const tc = firstOf((g) => g.tc);
  const announced = atr.groups.filter((g) => g.td !== null).map((g) => g.td! & 0x0f).filter((t) => t !== 15);
  return {
    convention: atr.convention,
    fi: atr.ta1 === null ? null : String(atr.fi ?? 'RFU'),
    di: atr.ta1 === null ? null : String(atr.di ?? 'RFU'),
    protocols: announced.filter((t, i) => announced.indexOf(t) === i),
    ifsc: firstOf((g) => g.ta),
    bwi: tb === null ? null : tb >> 4,
    cwi: tb === null ? null : tb & 0x0f,
    edc: tc === null ? null : tc === 0 ? 'lrc' : tc === 1 ? 'crc' : 'rfu',
    extraGuardTime: atr.groups[0]?.tc ?? null,
    tck: tckAsAnalysisSees(atr),
    // ATR_analysis lists everything after the interface bytes but what it takes for TCK, even past K.
    historical: toHex(atr.bytes.subarray(interfaceEnd(atr), atr.bytes.length - (analysisFindsTck(atr) ? 1 : 0))),
  };
}

/** pcsc-tools' rule is the length: the last byte is TCK when exactly K+1 bytes follow the interface bytes. */
function analysisFindsTck(atr: Atr): boolean {
  return atr.bytes.length - interfaceEnd(atr) === ((atr.t0 ?? 0) & 0x0f) + 1;
}

/**
 * Ours places TCK by T0 and the TD chain (§8.2.5). Where the length rule agrees, our TCK is
 * compared as it is; where it does not (bytes after the TCK, or one byte after the historical
 * bytes of a T=0-only ATR), ours must call the ATR malformed, and the byte ATR_analysis looks at
 * is then shown as it sees it.
 */
function tckAsAnalysisSees(atr: Atr): Analysis['tck'] {
  const hex2 = (b: number) => b.toString(16).toUpperCase().padStart(2, '0');
  const theirs = analysisFindsTck(atr);
  if (theirs === atr.tck.present) return atr.tck.present ? { value: hex2(atr.tck.value!), valid: atr.tck.valid! } : null;
  assert.ok(!atr.valid && atr.problems.some((p) => /byte\(s\) after the/.test(p)), `${toHex(atr.bytes)}: TCK placement differs from the length rule, so ours must name the stray bytes: ${atr.problems.join('; ')}`);
  return theirs ? { value: hex2(atr.bytes.at(-1)!), valid: atr.bytes.subarray(1).reduce((x, b) => x ^ b, 0) === 0 } : null;
}

function interfaceEnd(atr: Atr): number {
  let count = 2;
  for (const g of atr.groups) count += [g.ta, g.tb, g.tc, g.td].filter((b) => b !== null).length;
  return Math.min(count, atr.bytes.length);
}

describe('ISO 7816-3 ATR parser against pcsc-tools', function () {
  this.timeout(120_000);
  before(requirePcscTools);
  after(() => {
    if (cache) rmSync(cache, { recursive: true, force: true });
  });

  it('parses every literal ATR of smartcard_list.txt without an exception, reporting protocols, Fi/Di, TCK, IFSC, BWI/CWI', function () {
    const { literal, patterns } = listedAtrs();
    assert.ok(literal.length > 1000, `only ${literal.length} literal ATRs found in ${LIST}`);
    let valid = 0;
    let t1 = 0;
    let inverse = 0;
    let tckChecked = 0;
    let withTa1 = 0;
    const problems = new Map<string, number>();
    for (const text of literal) {
      const atr = parseAtr(fromHex(text));
      assert.ok(atr.protocols.length > 0, `${text}: no protocol`);
      assert.equal(toHex(atr.bytes), text.replace(/ /g, '').toUpperCase());
      if (atr.ta1 !== null) {
        withTa1++;
        assert.ok(atr.fi === null || atr.fi >= 372, `${text}: Fi`);
      }
      if (atr.t1) {
        t1++;
        assert.ok(atr.t1.ifsc >= 0 && atr.t1.bwi <= 15 && atr.t1.cwi <= 15, `${text}: T=1 parameters`);
      }
      if (atr.tck.present) tckChecked++;
      if (atr.convention === 'inverse') inverse++;
      if (atr.valid) valid++;
      for (const problem of atr.problems) {
        const kind = problem.replace(/\b([0-9A-F]{2}|\d+)\b/g, 'n');
        problems.set(kind, (problems.get(kind) ?? 0) + 1);
      }
    }
    const top = [...problems].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([kind, count]) => `      ${count} × ${kind}`).join('\n');
    console.log(`      ${literal.length} literal ATRs parsed, ${patterns.length} pattern lines skipped (regex wildcards)`);
    console.log(`      ${valid} well-formed, ${literal.length - valid} with problems; ${t1} offer T=1, ${withTa1} have TA1, ${inverse} inverse convention, ${tckChecked} carry TCK`);
    if (top) console.log(`      most frequent problems:\n${top}`);
  });

  it(`agrees with ATR_analysis field by field on a sample of ${SAMPLE_SIZE} ATRs`, function () {
    const { literal } = listedAtrs();
    // A spread sample: every n-th literal ATR, so the whole list (all decades of cards) is covered.
    const step = Math.floor(literal.length / SAMPLE_SIZE);
    const sample = Array.from({ length: SAMPLE_SIZE }, (_, i) => literal[i * step]!);
    // Plus a few that exercise specific rules: inverse convention, CRC, TA2 specific mode, T=15.
    const special = [
      literal.find((a) => a.startsWith('3F')),
      literal.find((a) => { const p = parseAtr(fromHex(a)); return p.t1?.edc === 'crc'; }),
      literal.find((a) => parseAtr(fromHex(a)).specificMode !== null),
      literal.find((a) => parseAtr(fromHex(a)).classIndicator !== null),
      literal.find((a) => { const p = parseAtr(fromHex(a)); return p.tck.present && p.tck.valid === false; }),
      // Where T0 and the TD chain and the length disagree on TCK.
      literal.find((a) => parseAtr(fromHex(a)).problems.some((p) => /after the TCK/.test(p))),
      literal.find((a) => parseAtr(fromHex(a)).problems.some((p) => /only T=0 is offered: no TCK/.test(p))),
    ].filter((a): a is string => a !== undefined);
    let compared = 0;
    for (const text of [...sample, ...special]) {
      const output = atrAnalysis(text);
      assert.doesNotMatch(output, /Updating /, 'ATR_analysis must not try to download the list');
      const theirs = analysisFields(output);
      const ours = ourFields(parseAtr(fromHex(text)));
      assert.deepEqual(ours, theirs, `ATR ${text}: ours vs ATR_analysis\n${output}`);
      compared++;
    }
    console.log(`      ${compared} ATRs compared with ATR_analysis (${sample.length} spread + ${special.length} chosen): convention, Fi, Di, protocols, IFSC, BWI, CWI, EDC, N, TCK and its validity, historical bytes`);
  });

  it('the atr command prints the same fields as JSON', function () {
    const run = spawnSync(process.execPath, ['build/tools/atr/main.js', '3B DA 18 FF 81 B1 FE 75 1F 03 00 31 C5 73 C0 01 40 00 90 00 0C'], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const json = JSON.parse(run.stdout) as Record<string, unknown>;
    assert.deepEqual(json.protocols, ['T=1']);
    assert.equal(json.fi, 372);
    assert.equal(json.di, 12);
    assert.deepEqual(json.t1, { ifsc: 254, bwi: 7, cwi: 5, edc: 'lrc', defaults: ['edc'] });
    assert.deepEqual(json.tck, { present: true, required: true, value: '0C', valid: true });
    const bad = spawnSync(process.execPath, ['build/tools/atr/main.js', '3B 80 01 00'], { encoding: 'utf8' });
    assert.equal(bad.status, 1, 'a malformed ATR exits 1');
    assert.match(bad.stdout, /TCK 00 is wrong/);
    // TCK sits where T0 and the TD chain put it (T=1 offered by TD2), not at the last byte.
    const stray = spawnSync(process.execPath, ['build/tools/atr/main.js', '3B 84 80 01 01 11 20 03 36 90 00'], { encoding: 'utf8' });
    assert.equal(stray.status, 1, 'bytes after the TCK make the ATR malformed');
    const strayJson = JSON.parse(stray.stdout) as Record<string, unknown>;
    assert.deepEqual(strayJson.tck, { present: true, required: true, value: '36', valid: true });
    assert.deepEqual(strayJson.problems, ['2 byte(s) after the TCK, where the ATR should end']);
    assert.equal(strayJson.historical, '01112003');
    assert.equal(spawnSync(process.execPath, ['build/tools/atr/main.js', 'zz'], { encoding: 'utf8' }).status, 2);
  });
});
