// `npm run bench`: the terminal's transaction budget on the XS engine, as the device runs it.
// One row per suite, flow and line rate, measured on the 32-bit target: the XS device runner built
// for bare-metal RV32IMAC and run in QEMU (tools/xs/rv32; 16-byte slots and 4-byte pointers as on
// the ESP32 and ESP32-C3; retired instructions read from instret, exact), with the device's
// providers: the SDK's native SHA-2 and P-256 ECDSA modelled in C (tools/xs/native), Ed25519 the
// table-free RFC 8032 code. Per row: RV32 instructions, of them native and JavaScript, the estimated
// ESP32-C3 time (RV32_CLOCK_MHZ x ASSUMED_IPC), peak heap, whether it fits the esp32, esp32c3
// and psram profiles, the card line (characters each way and their time at the rate used) and the
// wait a person sees: compute + line. Beside it, the x86_64 runner's computrons and (not --quick)
// callgrind's instructions, the second opinion.
// The terminal runs on the simulated ISO 7816-3 byte line against a card that only replays the
// characters recorded on Node (tests/scenarios/byte-replay.ts), at the card's best rate (PPS to
// TA1, T=1) and at 9,600 bit/s (no PPS: Fi 372 / Di 1, the ATR's first protocol, T=0).
// Prints tables, writes build/bench/latest.json (the previous one becomes previous.json and is
// compared with), or compares with --compare FILE.
//
// Usage: node build/tools/bench/bench.js [--quick] [--no-fit] [--suites 1,2,3] [--rates best,9600] [--compare FILE]
//   --quick   RV32 under the esp32 profile and x86 computrons only, best rate unless --rates says
//             otherwise: no callgrind, no other profiles, no bisection, no @noble comparison (CI)
//   --rates   which line rates get rows (default both); the bisection runs at the best rate only
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { DEVICE_FLOWS, LINE_RATES, lineStats, recordingKey, type FlowRecording, type LineRate } from '../../tests/scenarios/device-flows.js';
import { ROOT, RV32_CC, RV32_QEMU } from '../xs/xsnap.mjs';
import type { CurveTuning, DeviceFixtures } from '../../tests/scenarios/device-main.js';
import { bundleDevice, computronsOf, DEVICE_PROVIDERS, ESP32_FIRMWARE, FIRMWARE_STACK, recordFixtures, runDevice, type DeviceRun, type RunOptions, smallestHeap } from './device.js';
import { byteLineTimes, LINE_ASSUMPTIONS, type ByteLineTimes } from './line.js';


/** The ESP32-C3's clock, MHz (Espressif ESP32-C3 datasheet: RV32IMC single core at up to 160 MHz). */
export const RV32_CLOCK_MHZ = 160;

/**
 * Instructions per cycle assumed for XS on the ESP32-C3: its in-order core runs code and preloaded
 * bytecode from SPI flash through a 16 KB cache, and XS's interpreter loop is branchy and misses
 * that cache often, so about one instruction every two cycles. An assumption, not a measurement
 * (no board here): Espressif's CoreMark, 2.55 CoreMark/MHz, runs from IRAM and says nothing of
 * flash. Trust the estimate within a factor of two either way.
 */
export const ASSUMED_IPC = 0.5;

/** RV32 instructions per ESP32-C3 millisecond: 160e6 x 0.5 / 1000 = 80,000. */
export const RV32_INSTRUCTIONS_PER_MS = (RV32_CLOCK_MHZ * 1_000_000 * ASSUMED_IPC) / 1000;

/** Estimated ESP32-C3 milliseconds for `instructions` RV32 instructions (RV32_INSTRUCTIONS_PER_MS); null when nothing was counted. */
export function estimateEsp32Ms(instructions: number | null): number | null {
  return instructions === null ? null : instructions / RV32_INSTRUCTIONS_PER_MS;
}

/** What the person at the terminal waits, ms: the estimated compute time plus the card line's time; null without an estimate. */
export function waitMs(computeMs: number | null, lineMs: number): number | null {
  return computeMs === null ? null : computeMs + lineMs;
}

const SUITE_NAMES: Readonly<Record<number, string>> = { 1: 'P-256', 2: 'Ed25519', 3: 'ESIGN' };

interface Options {
  quick: boolean;
  fit: boolean;
  suites: number[];
  rates: LineRate[];
  compare: string | null;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { quick: false, fit: true, suites: [1, 2, 3], rates: [...LINE_RATES], compare: null };
  let ratesGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--quick') options.quick = true;
    else if (arg === '--no-fit') options.fit = false;
    else if (arg === '--suites') {
      options.suites = (argv[++i] ?? '').split(',').map(Number);
      const wrong = options.suites.find((suite) => !SUITE_NAMES[suite]);
      if (wrong !== undefined) throw new Error(`--suites: ${wrong} is not one of 1 (P-256), 2 (Ed25519), 3 (ESIGN)`);
    } else if (arg === '--rates') {
      options.rates = (argv[++i] ?? '').split(',') as LineRate[];
      ratesGiven = true;
      const wrong = options.rates.find((rate) => !LINE_RATES.includes(rate));
      if (wrong !== undefined) throw new Error(`--rates: "${wrong}" is not one of ${LINE_RATES.join(', ')}`);
    } else if (arg === '--compare') options.compare = argv[++i] ?? null;
    else throw new Error(`unknown argument ${arg} (--quick, --no-fit, --suites 1,2,3, --rates best,9600, --compare FILE)`);
  }
  if (options.quick) {
    options.fit = false;
    if (!ratesGiven) options.rates = ['best'];
  }
  return options;
}

/** The native calls of a flow, e.g. "p256Verify x2 (11.5 M), digest x6 (0.0 M)". */
export type NativeCalls = DeviceRun['report']['native'];

export interface BenchRow {
  readonly suite: number;
  readonly suiteName: string;
  readonly flow: string;
  /** The line rate the flow ran at (rows of older files have none: they passed whole APDUs). */
  readonly rate: LineRate;
  /** RV32, esp32 profile: retired instructions of the flow, those in native calls, and the rest (JavaScript and XS). */
  readonly rv32Instructions: number | null;
  readonly nativeInstructions: number | null;
  readonly jsInstructions: number | null;
  readonly native: NativeCalls;
  /** rv32Instructions / RV32_INSTRUCTIONS_PER_MS; and that plus line.ms: how long the person waits. */
  readonly estMs: number | null;
  readonly waitMs: number | null;
  /** RV32 peak above the baseline over setup and flow, esp32 profile (device sizes). */
  readonly peakChunks: number | null;
  readonly peakSlots: number | null;
  /** fits, FULL@phase (memory full) or STACK@phase (stack overflow); null when not run (--quick). */
  readonly esp32Cell: string;
  readonly esp32c3Cell: string | null;
  readonly psramCell: string | null;
  /** Smallest chunk budget (slots unlimited) and slot budget (chunks unlimited) on RV32 (best rate, not --quick). */
  readonly minChunks: number | null;
  readonly minSlots: number | null;
  /** The x86_64 runner, esp32 profile: computrons, and callgrind's instructions of the flow (not --quick). */
  readonly x86Computrons: number | null;
  readonly x86Instructions: number | null;
  readonly apdus: number;
  readonly line: ByteLineTimes;
}

/** fits, or where it stopped: FULL@setup / FULL@flow (memory full), STACK@setup / STACK@flow (stack overflow). */
function fitCell(run: DeviceRun): string {
  if (run.report.status === 'ok') return 'fits';
  return `${run.report.stackOverflow ? 'STACK' : 'FULL'}@${run.report.phase}`;
}

function failureOf(run: DeviceRun): string | null {
  if (run.report.status === 'ok') return null;
  return run.report.message || `exit ${run.status}`;
}

async function instructionsFor(script: string, arg: string, options: RunOptions): Promise<number | null> {
  const full = await runDevice(script, arg, { ...options, callgrind: true });
  const setup = await runDevice(script, arg, { ...options, callgrind: true, setupOnly: true });
  if (full.report.status !== 'ok' || setup.report.status !== 'ok' || full.instructions === null || setup.instructions === null) return null;
  return full.instructions - setup.instructions;
}

/** Instructions retired in native calls (RV32 reports them per function). */
export function nativeInstructionsOf(native: NativeCalls): number {
  return Object.values(native).reduce((sum, call) => sum + call.instructions, 0);
}

async function measure(script: string, recording: FlowRecording, options: Options): Promise<BenchRow> {
  const arg = `${recording.suite}:${recordingKey(recording.flow, recording.rate)}`;
  const rv32 = await runDevice(script, arg, { ...ESP32_FIRMWARE, target: 'rv32', checkPreload: true });
  const x86 = await runDevice(script, arg, ESP32_FIRMWARE);
  let esp32c3Cell: string | null = null;
  let psramCell: string | null = null;
  let x86Instructions: number | null = null;
  let minChunks: number | null = null;
  let minSlots: number | null = null;
  if (!options.quick) {
    esp32c3Cell = fitCell(await runDevice(script, arg, { profile: 'esp32c3', target: 'rv32' }));
    psramCell = fitCell(await runDevice(script, arg, { profile: 'psram', target: 'rv32' }));
    x86Instructions = await instructionsFor(script, arg, x86.report.status === 'ok' ? ESP32_FIRMWARE : { profile: 'host' });
  }
  // The heap hardly depends on the rate: the bisection (minutes in QEMU) runs at the best rate only.
  if (options.fit && recording.rate === 'best') {
    ({ minChunks, minSlots } = await smallestHeap(script, arg, 'rv32'));
  }
  const ok = rv32.report.status === 'ok';
  const rv32Instructions = ok ? rv32.report.instructions.flow : null;
  const nativeInstructions = ok ? nativeInstructionsOf(rv32.report.native) : null;
  const line = byteLineTimes(recording.bytes, recording.setupSteps, recording.session);
  const estMs = estimateEsp32Ms(rv32Instructions);
  return {
    suite: recording.suite,
    suiteName: SUITE_NAMES[recording.suite] ?? `suite ${recording.suite}`,
    flow: recording.flow,
    rate: recording.rate,
    rv32Instructions,
    nativeInstructions,
    jsInstructions: rv32Instructions === null || nativeInstructions === null ? null : rv32Instructions - nativeInstructions,
    native: rv32.report.native,
    estMs,
    waitMs: waitMs(estMs, line.ms),
    peakChunks: ok ? rv32.report.peakChunks : null,
    peakSlots: ok ? rv32.report.peakSlots : null,
    esp32Cell: fitCell(rv32),
    esp32c3Cell,
    psramCell,
    minChunks,
    minSlots,
    x86Computrons: x86.report.status === 'ok' ? computronsOf(x86.report).flow : null,
    x86Instructions,
    apdus: lineStats(recording.line.slice(recording.setupEntries)).commands,
    line,
  };
}

/** The RV32 instructions of the same flows with the all-JavaScript providers (@noble), for the native primitives' saving. */
export interface JavaScriptCryptoRow {
  readonly suite: number;
  readonly flow: string;
  readonly rv32Instructions: number | null;
  readonly cell: string;
}

async function measureJavaScriptCrypto(fixtures: DeviceFixtures, suites: readonly number[]): Promise<JavaScriptCryptoRow[]> {
  const script = await bundleDevice(fixtures, 'bench-noble');
  const rows: JavaScriptCryptoRow[] = [];
  for (const suite of suites) {
    for (const flow of ['insertion', 'registration']) {
      if (!fixtures.suites[String(suite)]?.recordings[flow]) continue;
      // Loaded, not preloaded: @noble keeps scratch TypedArrays at module level, which preloaded would throw on assignment.
      const run = await runDevice(script, `${suite}:${flow}`, { profile: 'psram', target: 'rv32', preload: false });
      rows.push({ suite, flow, rv32Instructions: run.report.status === 'ok' ? run.report.instructions.flow : null, cell: fitCell(run) });
    }
  }
  return rows;
}

function kb(bytes: number | null): string {
  return bytes === null ? '-' : `${(bytes / 1024).toFixed(1)}K`;
}

function num(value: number | null): string {
  return value === null ? '-' : value.toLocaleString('en-US');
}

/** A Markdown table: the first `leftColumns` columns aligned left, the rest right. */
function markdownTable(head: readonly string[], body: readonly string[][], leftColumns: number): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => (i < leftColumns ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [line(head), `|${widths.map((w, i) => (i < leftColumns ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...body.map(line)].join('\n');
}

function ms(value: number | null): string {
  return value === null ? '-' : value.toFixed(0);
}

function mega(value: number | null): string {
  return value === null ? '-' : `${(value / 1e6).toFixed(2)} M`;
}

/** "p256Verify 2x 11.50 M, digest 6x 0.02 M" */
function nativeCell(native: NativeCalls): string {
  const calls = Object.entries(native);
  if (calls.length === 0) return '-';
  return calls.map(([name, call]) => `${name} ${call.calls}x ${mega(call.instructions)}`).join(', ');
}

function table(rows: readonly BenchRow[]): string {
  const head = [
    'suite', 'flow', 'line', 'RV32 instructions', 'JS', 'native', 'est. C3 ms', 'line ms', 'wait ms', 'peak chunks', 'peak slots',
    'min chunks', 'min slots', 'esp32', 'esp32c3', 'psram', 'x86 computrons', 'x86 instructions', 'APDUs', 'chars to card/terminal',
  ];
  const body = rows.map((r) => [
    r.suiteName, r.flow, r.rate, num(r.rv32Instructions), mega(r.jsInstructions), mega(r.nativeInstructions), ms(r.estMs), r.line.ms.toFixed(1), ms(r.waitMs),
    kb(r.peakChunks), num(r.peakSlots), kb(r.minChunks), num(r.minSlots), r.esp32Cell, r.esp32c3Cell ?? '-', r.psramCell ?? '-',
    num(r.x86Computrons), num(r.x86Instructions), String(r.apdus), `${r.line.toCard}/${r.line.toTerminal}`,
  ]);
  return markdownTable(head, body, 3);
}

function nativeTable(rows: readonly BenchRow[]): string {
  const listed = rows.filter((r) => Object.keys(r.native).length > 0);
  return markdownTable(['suite', 'flow', 'line', 'native calls (RV32 instructions)'], listed.map((r) => [r.suiteName, r.flow, r.rate, nativeCell(r.native)]), 4);
}

function javaScriptCryptoTable(rows: readonly JavaScriptCryptoRow[], device: readonly BenchRow[]): string {
  const body = rows.map((r) => {
    const native = device.find((d) => d.suite === r.suite && d.flow === r.flow && d.rate === 'best');
    const saving = native?.rv32Instructions != null && r.rv32Instructions !== null ? mega(r.rv32Instructions - native.rv32Instructions) : '-';
    return [SUITE_NAMES[r.suite] ?? String(r.suite), r.flow, num(r.rv32Instructions), r.cell, num(native?.rv32Instructions ?? null), saving];
  });
  return markdownTable(['suite', 'flow', '@noble (JS) RV32 instructions', 'psram', 'device providers', 'saved by native'], body, 2);
}

export interface CutRow {
  readonly cut: string;
  readonly suite: number;
  readonly flow: string;
  readonly fitsEsp32: boolean;
  readonly failure: string | null;
  readonly computrons: number;
  /** Chunk bytes and slots the cut adds to the load phase (flash on the device, when eager). */
  readonly baselineChunks: number;
  readonly baselineSlots: number;
}

const CUTS: readonly { readonly name: string; readonly tuning: CurveTuning }[] = [
  { name: 'base table W=6 built at preload (flash)', tuning: { baseWindow: 6, eager: true } },
  { name: 'base table W=4 on first use (RAM)', tuning: { baseWindow: 4, eager: false } },
  { name: 'no base table (W=1, double-and-add)', tuning: { baseWindow: 1, eager: false } },
];

/** The @noble/curves base-point window cuts, for suites 1 and 2, under the esp32 profile (the firmware's stack), at the best line rate. */
async function measureCuts(fixtures: DeviceFixtures): Promise<CutRow[]> {
  const rows: CutRow[] = [];
  const plain = await bundleDevice({ suites: fixtures.suites }, 'bench-cut-none');
  const none = (await runDevice(plain, '0:none', { profile: 'host', setupOnly: true })).report;
  for (const cut of CUTS) {
    const script = await bundleDevice({ suites: fixtures.suites, tuning: cut.tuning }, `bench-cut-${cut.tuning.baseWindow}-${cut.tuning.eager}`);
    for (const suite of [1, 2]) {
      for (const flow of ['insertion', 'registration', 'full-service']) {
        if (!fixtures.suites[String(suite)]?.recordings[flow]) continue;
        const run = await runDevice(script, `${suite}:${flow}`, { ...ESP32_FIRMWARE, preload: false }); // @noble: loaded, as above
        rows.push({
          cut: cut.name, suite, flow, fitsEsp32: run.report.status === 'ok', failure: failureOf(run), computrons: computronsOf(run.report).flow,
          baselineChunks: run.report.baseline.chunks - none.baseline.chunks, baselineSlots: run.report.baseline.slots - none.baseline.slots,
        });
      }
    }
  }
  return rows;
}

function cutTable(rows: readonly CutRow[]): string {
  const head = ['cut', 'suite', 'flow', 'esp32', 'computrons', 'load +chunks', 'load +slots'];
  const body = rows.map((r) => [r.cut, SUITE_NAMES[r.suite] ?? String(r.suite), r.flow, r.fitsEsp32 ? 'fits' : `FULL@${r.failure?.includes('setup') ? 'setup' : 'flow'}`, r.fitsEsp32 ? num(r.computrons) : '-', kb(r.baselineChunks), num(r.baselineSlots)]);
  return markdownTable(head, body, 3);
}

function compareWith(previousFile: string, rows: readonly BenchRow[]): string {
  const previous = JSON.parse(readFileSync(previousFile, 'utf8')) as { rows: BenchRow[] };
  const lines: string[] = [`compared with ${relative(process.cwd(), previousFile)}:`];
  for (const row of rows) {
    // Rows written before the byte line have no rate: they passed whole APDUs, compared as "best".
    const old = previous.rows.find((r) => r.suite === row.suite && r.flow === row.flow && (r.rate ?? 'best') === row.rate);
    const name = `${row.suiteName} ${row.flow} ${row.rate}`;
    if (!old) {
      lines.push(`  ${name}: new`);
      continue;
    }
    const delta = (a: number | null, b: number | null) => (a === null || b === null || b === 0 ? 'n/a' : `${(((a - b) / b) * 100).toFixed(1)}%`);
    const changes = [`RV32 instructions ${delta(row.rv32Instructions, old.rv32Instructions ?? null)}`, `x86 computrons ${delta(row.x86Computrons, old.x86Computrons ?? null)}`];
    if (row.esp32Cell !== old.esp32Cell && old.esp32Cell) changes.push(`esp32 ${old.esp32Cell} -> ${row.esp32Cell}`);
    if (row.minChunks !== old.minChunks || row.minSlots !== old.minSlots) changes.push(`min ${kb(old.minChunks)}/${num(old.minSlots)} -> ${kb(row.minChunks)}/${num(row.minSlots)}`);
    if (!old.rate) changes.push('(previous: whole APDUs, no byte line)');
    lines.push(`  ${name}: ${changes.join(', ')}`);
  }
  return lines.join('\n');
}

export function machineDescription(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const valgrind = spawnSync('valgrind', ['--version'], { encoding: 'utf8' }).stdout?.trim() || 'valgrind not found';
  return `${cpu}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${process.platform} ${process.arch}, Node ${process.version}, ${valgrind}`;
}

/** "XS 13.3.0 ..., QEMU 7.2.22, riscv64-unknown-elf-gcc 12.2.0": what ran the RV32 rows. */
function rv32Description(): string {
  const qemu = spawnSync(RV32_QEMU, ['--version'], { encoding: 'utf8' }).stdout?.split('\n')[0]?.trim() || 'QEMU not found';
  const gcc = spawnSync(RV32_CC, ['--version'], { encoding: 'utf8' }).stdout?.split('\n')[0]?.trim() || 'gcc not found';
  return `XS 13.3.0 from @agoric/xsnap sources, tools/xs/device-runner.c for bare-metal RV32IMAC (tools/xs/rv32: 16-byte slots), ${qemu} -icount shift=0, ${gcc} -O2, picolibc`;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (!options.quick && spawnSync('valgrind', ['--version']).status !== 0) {
    throw new Error('valgrind is not installed (Debian: apt-get install valgrind); run with --quick to skip the x86 instruction counts');
  }
  const started = Date.now();
  const { fixtures, problems } = await recordFixtures(options.suites, DEVICE_FLOWS.map((flow) => flow.name), options.rates);
  for (const problem of problems) process.stderr.write(`bench: suite ${problem.suite} ${problem.flow} fails on Node, left out: ${problem.error}\n`);
  const script = await bundleDevice(fixtures, 'bench', DEVICE_PROVIDERS);
  const rows: BenchRow[] = [];
  for (const suite of options.suites) {
    for (const flow of DEVICE_FLOWS) {
      for (const rate of options.rates) {
        const recording = fixtures.suites[String(suite)]?.recordings[recordingKey(flow.name, rate)];
        if (!recording) continue;
        process.stderr.write(`bench: ${SUITE_NAMES[suite]} ${flow.name} ${rate}...\n`);
        rows.push(await measure(script, recording, options));
      }
    }
  }
  let javaScriptCrypto: JavaScriptCryptoRow[] = [];
  let cuts: CutRow[] = [];
  if (!options.quick) {
    process.stderr.write('bench: @noble comparison...\n');
    javaScriptCrypto = await measureJavaScriptCrypto(fixtures, options.suites);
    process.stderr.write('bench: cuts...\n');
    cuts = options.suites.includes(1) || options.suites.includes(2) ? await measureCuts(fixtures) : [];
  }
  const outDir = join(ROOT, 'build', 'bench');
  mkdirSync(outDir, { recursive: true });
  const latest = join(outDir, options.quick ? 'quick.json' : 'latest.json');
  let compare = options.compare;
  if (!compare && existsSync(latest)) {
    const previous = join(outDir, options.quick ? 'quick-previous.json' : 'previous.json');
    copyFileSync(latest, previous);
    compare = previous;
  }
  const result = {
    date: new Date().toISOString(),
    machine: machineDescription(),
    engine: rv32Description(),
    secondOpinion: 'XS 13.3.0, tools/xs/device-runner.c built for x86_64 (32-byte slots), computrons and callgrind instructions',
    rv32ClockMhz: RV32_CLOCK_MHZ,
    assumedIpc: ASSUMED_IPC,
    rv32InstructionsPerMs: RV32_INSTRUCTIONS_PER_MS,
    line: LINE_ASSUMPTIONS,
    problems,
    rows,
    javaScriptCrypto,
    cuts,
  };
  const text = [
    `machine: ${result.machine}`,
    `32-bit target: ${result.engine}`,
    'providers: the device\'s (manifests/terminal.json): SHA-1/SHA-256/SHA-512 and P-256 ECDSA native (C: libtorsion, as the SDK\'s crypt is C), HMAC in JavaScript over the native digest, Ed25519 the table-free RFC 8032 code, ESIGN in JavaScript',
    'load phase preloaded: the bundle\'s code and constants are read-only and outside the collected heap, as the SDK\'s preloaded modules in flash (tools/xs/device-runner.c "preload", checked on every RV32 run: no load-phase slot points into RAM); the heap is exactly the profile\'s',
    `esp32 / esp32c3 = the SDK's heaps (78,848 chunk bytes, 4,928 slots) with the firmware's stack of ${FIRMWARE_STACK} slots (manifests/terminal.json); psram = 393,216 bytes, 8,192 slots; STACK@ = stack overflow, FULL@ = memory full`,
    `est. C3 ms = RV32 instructions / ${RV32_INSTRUCTIONS_PER_MS.toLocaleString('en-US')} (${RV32_CLOCK_MHZ} MHz, ESP32-C3 datasheet, x ${ASSUMED_IPC} instructions per cycle, assumed: tools/bench/bench.ts); wait ms = est. C3 ms + line ms; JS = RV32 instructions outside native calls; peak = RV32 peak above the baseline (setup and flow) under esp32; min = smallest chunk bytes (slots unlimited) and slots (chunks unlimited) on RV32 (best rate only)`,
    `x86: the same bundle on the x86_64 runner under esp32 (computrons; instructions by callgrind above the setup), the second opinion`,
    `line: ${LINE_ASSUMPTIONS.summary}`,
    ...options.rates.map((rate) => `line ${rate}: ${rows.find((row) => row.rate === rate)?.line.rate ?? '-'}`),
    '',
    table(rows),
    '',
    'native calls per flow (RV32 instructions retired inside them, counted in the totals above):',
    '',
    nativeTable(rows),
    ...(javaScriptCrypto.length ? ['', 'the same flows with all-JavaScript crypto (@noble, as on hosts) on RV32 under psram (esp32 is too small for its tables):', '', javaScriptCryptoTable(javaScriptCrypto, rows)] : []),
    ...(cuts.length ? ['', 'cuts (@noble/curves base-point table window; x86 runner, esp32 profile; load + = added to the uncharged load phase):', '', cutTable(cuts)] : []),
  ].join('\n');
  process.stdout.write(`${text}\n`);
  if (compare && existsSync(compare)) process.stdout.write(`\n${compareWith(compare, rows)}\n`);
  writeFileSync(latest, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`\nwritten ${relative(process.cwd(), latest)} in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
