// `npm run bench`: the terminal's transaction budget on the XS engine with ESP32 limits.
// One row per flow, suite and line rate: XS computrons, machine instructions (callgrind, above the
// same baseline), an estimated ESP32 time, heap above the baseline, whether the flow fits the
// esp32 and psram profiles, the smallest heap it needs (bisection with the runner), the card line
// (characters each way and their time at the rate used) and the wait: compute + line.
// The terminal runs on the simulated ISO 7816-3 byte line against a card that only replays the
// characters recorded on Node (tests/scenarios/byte-replay.ts), at the card's best rate (PPS to
// TA1, T=1) and at 9,600 bit/s (no PPS: Fi 372 / Di 1, the ATR's first protocol, T=0).
// Prints a table, writes build/bench/latest.json (the previous one becomes previous.json and is
// compared with), or compares with --compare FILE.
//
// Usage: node build/tools/bench/bench.js [--quick] [--no-fit] [--suites 1,2,3] [--rates best,9600] [--compare FILE]
//   --quick   no callgrind and no bisection (seconds instead of minutes)
//   --rates   which line rates get rows (default both); the bisection runs at the best rate only
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { DEVICE_FLOWS, LINE_RATES, lineStats, recordingKey, type FlowRecording, type LineRate } from '../../tests/scenarios/device-flows.js';
import { ROOT } from '../xs/xsnap.mjs';
import type { CurveTuning, DeviceFixtures } from '../../tests/scenarios/device-main.js';
import { bundleDevice, ESP32_FIRMWARE, FIRMWARE_STACK, recordFixtures, runDevice, type DeviceRun, type RunOptions, smallestHeap } from './device.js';
import { byteLineTimes, LINE_ASSUMPTIONS, type ByteLineTimes } from './line.js';

/**
 * Host instructions (x86_64, as callgrind counts them) per ESP32 millisecond. An ESP32 (Xtensa LX6,
 * 240 MHz) runs the same C interpreter loop with about 1.5 instructions for each x86_64 one (no
 * memory operands, 32x32->64 multiplies in two instructions) at about 0.6 instructions per cycle
 * (code and preloaded bytecode are fetched from SPI flash through a 32 KB cache):
 * 240e6 x 0.6 / 1.5 ≈ 96e6 host instructions per second, rounded to 100,000 per ms.
 * An estimate, not a measurement: trust it within a factor of two either way.
 */
export const HOST_INSTRUCTIONS_PER_ESP32_MS = 100_000;

/**
 * Estimated ESP32 milliseconds for `instructions` counted by a runner that retires
 * `instructionsPerMs` of them per ESP32 millisecond (default: callgrind's x86_64 count,
 * HOST_INSTRUCTIONS_PER_ESP32_MS); null when nothing was counted.
 */
export function estimateEsp32Ms(instructions: number | null, instructionsPerMs: number = HOST_INSTRUCTIONS_PER_ESP32_MS): number | null {
  return instructions === null ? null : instructions / instructionsPerMs;
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
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--quick') options.quick = true;
    else if (arg === '--no-fit') options.fit = false;
    else if (arg === '--suites') options.suites = (argv[++i] ?? '').split(',').map(Number);
    else if (arg === '--rates') {
      options.rates = (argv[++i] ?? '').split(',') as LineRate[];
      const wrong = options.rates.find((rate) => !LINE_RATES.includes(rate));
      if (wrong !== undefined) throw new Error(`--rates: "${wrong}" is not one of ${LINE_RATES.join(', ')}`);
    } else if (arg === '--compare') options.compare = argv[++i] ?? null;
    else throw new Error(`unknown argument ${arg} (--quick, --no-fit, --suites 1,2,3, --rates best,9600, --compare FILE)`);
  }
  if (options.quick) options.fit = false;
  return options;
}

export interface BenchRow {
  readonly suite: number;
  readonly suiteName: string;
  readonly flow: string;
  /** The line rate the flow ran at (rows of older files have none: they passed whole APDUs). */
  readonly rate: LineRate;
  /** XS computrons of the flow on the host profile, and on the esp32 profile (null when it does not fit). */
  readonly computrons: number;
  readonly computronsEsp32: number | null;
  readonly instructions: number | null;
  readonly instructionsProfile: string | null;
  readonly estEsp32Ms: number | null;
  /** estEsp32Ms + line.ms: how long the terminal keeps the person waiting over the flow. */
  readonly waitMs: number | null;
  /** Peak above the baseline on the host profile (no limits: chunks are not collected, so this is what the flow allocates). */
  readonly allocatedChunks: number;
  readonly allocatedSlots: number;
  readonly fitsEsp32: boolean;
  readonly esp32Failure: string | null;
  readonly fitsPsram: boolean;
  /** Where memory ran out: setup (the steps before the flow, e.g. insertion) or flow. */
  readonly esp32Phase: string;
  readonly psramPhase: string;
  /** The esp32 and psram columns: fits, FULL@phase (memory full) or STACK@phase (stack overflow). */
  readonly esp32Cell: string;
  readonly psramCell: string;
  /** Smallest chunk budget (slots unlimited) and slot budget (chunks unlimited) that complete the flow. */
  readonly minChunks: number | null;
  readonly minSlots: number | null;
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

async function measure(script: string, recording: FlowRecording, options: Options): Promise<BenchRow> {
  const arg = `${recording.suite}:${recordingKey(recording.flow, recording.rate)}`;
  const host = await runDevice(script, arg, { profile: 'host' });
  if (host.report.status !== 'ok') throw new Error(`${arg} fails even without limits: ${host.report.message}\n${host.stderr}`);
  const esp32 = await runDevice(script, arg, ESP32_FIRMWARE);
  const psram = await runDevice(script, arg, { profile: 'psram', stack: FIRMWARE_STACK });
  const fitsEsp32 = esp32.report.status === 'ok';
  const fitsPsram = psram.report.status === 'ok';

  let instructions: number | null = null;
  let instructionsProfile: string | null = null;
  if (!options.quick) {
    // Counted under the smallest profile the flow fits: the collector's work under pressure is part of the cost.
    instructionsProfile = fitsEsp32 ? 'esp32' : fitsPsram ? 'psram' : 'host';
    const profile = instructionsProfile as 'esp32' | 'psram' | 'host';
    instructions = await instructionsFor(script, arg, profile === 'host' ? { profile } : { profile, stack: FIRMWARE_STACK });
  }

  let minChunks: number | null = null;
  let minSlots: number | null = null;
  // The heap hardly depends on the rate: the bisection (minutes) runs at the best rate only.
  if (options.fit && recording.rate === 'best') {
    ({ minChunks, minSlots } = await smallestHeap(script, arg));
  }

  const line = byteLineTimes(recording.bytes, recording.setupSteps, recording.session);
  const estEsp32Ms = estimateEsp32Ms(instructions);
  return {
    suite: recording.suite,
    suiteName: SUITE_NAMES[recording.suite] ?? `suite ${recording.suite}`,
    flow: recording.flow,
    rate: recording.rate,
    computrons: host.report.computrons.flow,
    computronsEsp32: fitsEsp32 ? esp32.report.computrons.flow : null,
    instructions,
    instructionsProfile,
    estEsp32Ms,
    waitMs: waitMs(estEsp32Ms, line.ms),
    allocatedChunks: host.report.flowPeakChunks,
    allocatedSlots: host.report.flowPeakSlots,
    fitsEsp32,
    esp32Failure: failureOf(esp32),
    fitsPsram,
    esp32Phase: esp32.report.phase,
    psramPhase: psram.report.phase,
    esp32Cell: fitCell(esp32),
    psramCell: fitCell(psram),
    minChunks,
    minSlots,
    apdus: lineStats(recording.line.slice(recording.setupEntries)).commands,
    line,
  };
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

function table(rows: readonly BenchRow[]): string {
  const head = [
    'suite', 'flow', 'line', 'computrons', 'esp32 computrons', 'instructions', 'est. ESP32 ms', 'wait ms', 'alloc chunks', 'alloc slots',
    'min chunks', 'min slots', 'esp32', 'psram', 'APDUs', 'line chars to card/terminal', 'line ms',
  ];
  const body = rows.map((r) => [
    r.suiteName, r.flow, r.rate, num(r.computrons), num(r.computronsEsp32), num(r.instructions), ms(r.estEsp32Ms), ms(r.waitMs),
    kb(r.allocatedChunks), num(r.allocatedSlots), kb(r.minChunks), num(r.minSlots), r.esp32Cell, r.psramCell,
    String(r.apdus), `${r.line.toCard}/${r.line.toTerminal}`, r.line.ms.toFixed(1),
  ]);
  return markdownTable(head, body, 3);
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
        const run = await runDevice(script, `${suite}:${flow}`, ESP32_FIRMWARE);
        rows.push({
          cut: cut.name, suite, flow, fitsEsp32: run.report.status === 'ok', failure: failureOf(run), computrons: run.report.computrons.flow,
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
    const changes = [`computrons ${delta(row.computrons, old.computrons)}`, `instructions ${delta(row.instructions, old.instructions)}`];
    if (row.fitsEsp32 !== old.fitsEsp32) changes.push(`esp32 ${old.fitsEsp32 ? 'fits' : 'FULL'} -> ${row.fitsEsp32 ? 'fits' : 'FULL'}`);
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

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (!options.quick && spawnSync('valgrind', ['--version']).status !== 0) {
    throw new Error('valgrind is not installed (Debian: apt-get install valgrind); run with --quick to skip instruction counts');
  }
  const started = Date.now();
  const { fixtures, problems } = await recordFixtures(options.suites, DEVICE_FLOWS.map((flow) => flow.name), options.rates);
  for (const problem of problems) process.stderr.write(`bench: suite ${problem.suite} ${problem.flow} fails on Node, left out: ${problem.error}\n`);
  const script = await bundleDevice(fixtures, 'bench');
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
  process.stderr.write('bench: cuts...\n');
  const cuts = options.suites.includes(1) || options.suites.includes(2) ? await measureCuts(fixtures) : [];
  const outDir = join(ROOT, 'build', 'bench');
  mkdirSync(outDir, { recursive: true });
  const latest = join(outDir, 'latest.json');
  let compare = options.compare;
  if (!compare && existsSync(latest)) {
    copyFileSync(latest, join(outDir, 'previous.json'));
    compare = join(outDir, 'previous.json');
  }
  const result = {
    date: new Date().toISOString(),
    machine: machineDescription(),
    engine: 'XS 13.3.0 from @agoric/xsnap sources, tools/xs/device-runner.c (x86_64 build: 32-byte slots)',
    hostInstructionsPerEsp32Ms: HOST_INSTRUCTIONS_PER_ESP32_MS,
    line: LINE_ASSUMPTIONS,
    problems,
    rows,
    cuts,
  };
  const text = [
    `machine: ${result.machine}`,
    `engine: ${result.engine}`,
    `esp32 = the profile's heaps (78,848 chunk bytes, 4,928 slots) with the firmware's stack of ${FIRMWARE_STACK} slots (manifests/terminal.json; the byte line needs more than the SDK's 512); psram likewise; STACK@ = stack overflow, FULL@ = memory full`,
    `est. ESP32 ms = instructions / ${HOST_INSTRUCTIONS_PER_ESP32_MS.toLocaleString('en-US')} (see tools/bench/bench.ts); wait ms = est. ESP32 ms + line ms; alloc = peak above the baseline on the host profile (no limits); min = smallest chunk bytes (slots unlimited) and slots (chunks unlimited) that complete the flow (best rate only)`,
    `line: ${LINE_ASSUMPTIONS.summary}`,
    ...options.rates.map((rate) => `line ${rate}: ${rows.find((row) => row.rate === rate)?.line.rate ?? '-'}`),
    '',
    table(rows),
    '',
    'cuts (@noble/curves base-point table window; esp32 profile; load + = added to the uncharged load phase):',
    '',
    cutTable(cuts),
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
