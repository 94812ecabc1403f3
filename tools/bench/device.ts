// Node side of the device runner: records each flow on Node (issuer, card and terminal all here),
// bundles the terminal side with the recordings for XS, and runs build/xs/bin/device-runner.
// Used by `npm run bench` (tools/bench/bench.ts) and tests/xs-device.test.ts.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { SimByteCard } from '../../card/iso7816/byte-card.js';
import { UsageJournal } from '../../firmware/journal/usage-journal.js';
import { SimFlash } from '../../hal/sim/flash.js';
import type { SimLineReader } from '../../hal/sim/line-slot.js';
import { RecordingByteCard } from '../../tests/scenarios/byte-replay.js';
import {
  DEVICE_FLASH, DEVICE_FLOWS, DEVICE_PIN, deviceFlow, deviceRig, flowConfig, recordingKey, RecordingCard, toPortable, type FlowRecording, type LineRate,
} from '../../tests/scenarios/device-flows.js';
import type { DeviceFixtures, SuiteFixture } from '../../tests/scenarios/device-main.js';
import { makeWorld, registerPin } from '../../tests/scenarios/world.js';
import { bundle } from '../xs/bundle.mjs';
import { DEVICE_RUNNER, DEVICE_RUNNER_RV32, ROOT, runCaptured, rv32Command, rv32Missing } from '../xs/xsnap.mjs';

const DEVICE_BUILD_DIR = join(ROOT, 'build', 'device');

/**
 * Where the device runner runs: `host` is the x86_64 build (32-byte slots; instructions from
 * callgrind), `rv32` the bare-metal RV32IMAC build in QEMU (16-byte slots and 4-byte pointers as
 * on the ESP32; instructions from its own instret counter, exact).
 */
export type DeviceTarget = 'host' | 'rv32';

/** The runner's path for a target; throws with what to run or install when it is missing. */
export function requireDeviceRunner(target: DeviceTarget = 'host'): string {
  const runner = target === 'rv32' ? DEVICE_RUNNER_RV32 : DEVICE_RUNNER;
  if (target === 'rv32') {
    const missing = rv32Missing();
    if (missing) throw new Error(`the RV32 device runner cannot run here: ${missing}`);
  }
  if (!existsSync(runner)) {
    throw new Error(`the device runner is not built: ${relative(ROOT, runner)} is missing. Run \`npm run build:xs-device\` (needs a C compiler${target === 'rv32' ? ' and the RISC-V cross compiler' : ''}).`);
  }
  return runner;
}

/**
 * Records one flow of one suite on Node, the terminal on the simulated byte line at `rate`: the
 * card side of the line (RecordingByteCard over the real byte card) and, beneath it, the APDUs
 * (RecordingCard over the card application). Throws with the reason when the flow fails there.
 */
export async function recordFlow(suite: number, flowName: string, rate: LineRate = 'best'): Promise<FlowRecording> {
  const flow = deviceFlow(flowName);
  const world = await makeWorld({ suite });
  const card = world.card({ label: 'alice', ...(flow.secureChannel ? { agreementKey: true } : {}) });
  if (flow.cardHasPin) {
    await world.rig.insert(card);
    await registerPin(world.rig, DEVICE_PIN);
    if (world.rig.eventsOf('pin-registered').length !== 1) {
      throw new Error(`suite ${suite}: could not register the PIN before recording (${world.rig.events.map((e) => e.event).join(', ')})`);
    }
    await world.rig.remove();
  }
  const flash = new SimFlash(DEVICE_FLASH);
  const apdus = new RecordingCard(card);
  const bytes = new RecordingByteCard(new SimByteCard(apdus));
  let reader: SimLineReader | null = null;
  const rig = deviceRig(flowConfig(world.config, flowName), UsageJournal.open(flash, world.config.terminalId), flash, { rate, byteCard: () => bytes, onReader: (made) => (reader = made) });
  await rig.start();
  await flow.setup(rig, apdus);
  const setupEntries = apdus.line.length;
  const setupSteps = bytes.stepCount;
  await flow.run(rig, apdus);
  flow.check(rig);
  const session = (reader as SimLineReader | null)?.lastSession;
  if (!session) throw new Error(`suite ${suite} ${flowName}: the card line was never activated`);
  return {
    suite, flow: flowName, label: card.label, rate, line: [...apdus.line], setupEntries, bytes: bytes.steps, setupSteps,
    session: { protocol: session.protocol, fi: session.fi, di: session.di, pps: session.pps },
  };
}

export interface FixtureProblem {
  readonly suite: number;
  readonly flow: string;
  readonly error: string;
}

/**
 * Records every (suite, flow, rate) asked for, keyed by recordingKey(flow, rate) ("insertion",
 * "insertion@9600"); a flow that fails on Node is left out and reported (`flow` is then the key).
 */
export async function recordFixtures(
  suites: readonly number[], flows: readonly string[] = DEVICE_FLOWS.map((f) => f.name), rates: readonly LineRate[] = ['best'],
): Promise<{ fixtures: DeviceFixtures; problems: FixtureProblem[] }> {
  const problems: FixtureProblem[] = [];
  const bySuite: Record<string, SuiteFixture> = {};
  for (const suite of suites) {
    const recordings: Record<string, FlowRecording> = {};
    for (const flow of flows) {
      for (const rate of rates) {
        const key = recordingKey(flow, rate);
        try {
          recordings[key] = await recordFlow(suite, flow, rate);
        } catch (error) {
          problems.push({ suite, flow: key, error: `${(error as Error).name}: ${(error as Error).message}` });
        }
      }
    }
    const world = await makeWorld({ suite });
    bySuite[String(suite)] = { config: toPortable(world.config), recordings };
  }
  return { fixtures: { suites: bySuite }, problems };
}

/**
 * The device's Ed25519 (firmware/crypto/ed25519-reference.ts, as manifests/terminal.json maps it)
 * in place of @noble's, for measuring what the device runs.
 */
export const DEVICE_ED25519 = Object.freeze({ 'firmware/crypto/ed25519-curve.ts': 'firmware/crypto/ed25519-reference.ts' });

/**
 * The device's native crypto as the device runner models it (tools/xs/native): the SDK's `crypt`
 * digests in C under hal/moddable/hash.ts, the device's hash provider, unchanged, with `hmac` in
 * JavaScript as in the SDK; AES in C under hal/moddable/aes.ts, the device's AES provider (CMAC in
 * JavaScript as there); P-256 ECDSA in C (libtorsion) behind firmware/crypto/p256.ts's exports;
 * ESIGN signing's inverse in C under hal/moddable/modular.ts, the device's provider, over the
 * SDK's `modular` as the runner models it (C over XS's BigInt words).
 * The runner's report lists those calls apart ("native"); without the runner's natives the bundle
 * fails at the first hash.
 */
export const DEVICE_NATIVE_CRYPTO = Object.freeze({
  'firmware/crypto/hash.ts': 'hal/moddable/hash.ts',
  'firmware/crypto/p256.ts': 'tools/xs/native/p256.ts',
  'firmware/crypto/aes.ts': 'hal/moddable/aes.ts',
  'firmware/crypto/modular.ts': 'hal/moddable/modular.ts',
  crypt: 'tools/xs/native/crypt.ts',
  hmac: 'tools/xs/native/hmac.ts',
  modular: 'tools/xs/native/modular.ts',
});

/** Every provider as the device build maps it (manifests/terminal.json), modelled where the device has C. */
export const DEVICE_PROVIDERS = Object.freeze({ ...DEVICE_ED25519, ...DEVICE_NATIVE_CRYPTO });

/**
 * Writes the recordings and an entry next to them, bundles it for XS; returns the bundle's path.
 * `replace` puts modules in place of others (tools/xs/bundle.mjs), e.g. DEVICE_ED25519.
 */
export async function bundleDevice(fixtures: DeviceFixtures, name = 'device', replace?: Readonly<Record<string, string>>): Promise<string> {
  // Fixture files are keyed by name: a tuning gets its own bundle.
  const dir = join(DEVICE_BUILD_DIR, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'fixtures.mjs'), `// Recorded by tools/bench/device.ts: do not edit.\nexport const FIXTURES = ${JSON.stringify(fixtures)};\n`);
  const main = join(ROOT, 'tests', 'scenarios', 'device-main.ts');
  const entry = join(dir, 'entry.mjs');
  writeFileSync(entry, `import { FIXTURES } from './fixtures.mjs';\nimport { installDevice } from ${JSON.stringify(main)};\ninstallDevice(FIXTURES);\n`);
  return bundle(entry, join(dir, `${name}.js`), replace ? { replace } : {});
}

export interface ProfileLimits {
  /** esp32, esp32c3, psram or host; chunk/slots/stack override it ("custom"). */
  readonly profile?: 'esp32' | 'esp32c3' | 'psram' | 'host';
  readonly chunk?: number;
  readonly slots?: number;
  readonly stack?: number;
}

/** What device-runner prints (one JSON line). */
export interface DeviceReport {
  readonly profile: { readonly name: string; readonly chunk: number; readonly slots: number; readonly stack: number };
  readonly slotBytes: number;
  readonly pointerBytes: number;
  readonly status: 'ok' | 'memory-full' | 'failed';
  readonly exitCode: number;
  readonly memoryFull: boolean;
  readonly stackOverflow: boolean;
  readonly phase: string;
  readonly message: string;
  readonly baseline: { readonly chunks: number; readonly slots: number; readonly slotsTotal: number; readonly ballastSlots: number; readonly keys: number };
  /**
   * on: the load phase's heap was made read-only and taken out of the collected heap, as preloaded
   * modules in flash on the device (tools/xs/device-runner.c "preload"); aliases: its instances
   * XS would copy to RAM on a write; violations*: its slots found pointing into RAM after each
   * phase (must be 0), -1 unless checkPreload was asked.
   */
  readonly preload: { readonly on: boolean; readonly aliases: number; readonly violationsSetup: number; readonly violationsFlow: number };
  readonly afterSetup: { readonly chunks: number; readonly slots: number; readonly keys: number };
  readonly peakChunks: number;
  readonly peakSlots: number;
  readonly flowPeakChunks: number;
  readonly flowPeakSlots: number;
  /** XS metering counts on the x86_64 runner; null on RV32, whose XS does not meter (as the device's does not). */
  readonly computrons: { readonly setup: number; readonly flow: number } | null;
  /** Machine instructions per phase, where the runner counts them itself ("instret" on RV32; "none" on the host build: zeros). */
  readonly instructions: { readonly counter: 'instret' | 'none'; readonly setup: number; readonly flow: number };
  /**
   * On RV32, the instructions the runner's card and wire (tools/xs/native/native-card-line.c)
   * retired per phase: another chip and the UART's silicon on the board, so not in `instructions`.
   */
  readonly cardLine?: { readonly setup: number; readonly flow: number };
  /** The native crypto the flow called (tools/xs/native): calls and, on RV32, the instructions they retired (part of instructions.flow). */
  readonly native: Readonly<Record<string, { readonly calls: number; readonly instructions: number }>>;
  readonly setupOnly: boolean;
}

export interface DeviceRun {
  readonly report: DeviceReport;
  readonly stderr: string;
  readonly status: number | null;
  /**
   * Instructions: callgrind's count (Ir) for the whole process when run under valgrind on the host;
   * on rv32 the flow phase's retired instructions (report.instructions.flow); otherwise null.
   */
  readonly instructions: number | null;
}

export interface RunOptions extends ProfileLimits {
  /** host (default) or rv32 (QEMU; --profile esp32c3 is accepted there as everywhere). */
  readonly target?: DeviceTarget;
  readonly setupOnly?: boolean;
  /** false: keep the load phase in the collected heap (the runner's --no-preload); preloaded by default. */
  readonly preload?: boolean;
  /** Check after each phase that no preloaded slot points into RAM (report.preload.violations*). */
  readonly checkPreload?: boolean;
  /** Run under `valgrind --tool=callgrind` and read the total instruction count. */
  readonly callgrind?: boolean;
  readonly timeoutMs?: number;
}

function runnerArgs(script: string, arg: string, options: RunOptions): string[] {
  const args = ['--profile', options.profile ?? 'esp32'];
  if (options.chunk !== undefined) args.push('--chunk', String(options.chunk));
  if (options.slots !== undefined) args.push('--slots', String(options.slots));
  if (options.stack !== undefined) args.push('--stack', String(options.stack));
  if (options.setupOnly) args.push('--setup-only');
  if (options.preload === false) args.push('--no-preload');
  if (options.checkPreload) args.push('--check-preload');
  args.push('--arg', arg, script);
  return args;
}

/** Runs device-runner on a bundle; never rejects for the flow's own failures (read report.status). */
/** A report's computrons (setup and flow); Error for an RV32 run, whose XS does not meter. */
export function computronsOf(report: DeviceReport): { readonly setup: number; readonly flow: number } {
  if (!report.computrons) throw new Error('no computrons: the RV32 runner does not meter (they are the x86_64 runner\'s)');
  return report.computrons;
}

export async function runDevice(script: string, arg: string, options: RunOptions = {}): Promise<DeviceRun> {
  const target = options.target ?? 'host';
  const runner = requireDeviceRunner(target);
  if (target === 'rv32' && options.callgrind) throw new Error('callgrind runs the host build only; the RV32 runner counts its own instructions');
  const args = runnerArgs(script, arg, options);
  const outFile = join(DEVICE_BUILD_DIR, `callgrind.${process.pid}.${Date.now()}.out`);
  let [command, commandArgs] = options.callgrind
    ? ['valgrind', ['--tool=callgrind', `--callgrind-out-file=${outFile}`, '--dump-instr=no', runner, ...args]]
    : [runner, args];
  if (target === 'rv32') [command, commandArgs] = rv32Command(args);
  mkdirSync(DEVICE_BUILD_DIR, { recursive: true });
  const captured = await runCaptured(command, commandArgs, options.timeoutMs ?? 30 * 60_000);
  const { status } = captured;
  // QEMU writes all the RV32 machine prints (stdout and stderr alike) to its standard error.
  const stdout = target === 'rv32' ? `${captured.stdout}${captured.stderr}` : captured.stdout;
  const isReport = (l: string) => l.startsWith('{"runner":"device-runner"');
  const line = stdout.trim().split('\n').reverse().find(isReport);
  if (!line) throw new Error(`device-runner printed no report (exit ${status}):\n${stdout}\n${captured.stderr}`);
  const stderr = target === 'rv32' ? stdout.split('\n').filter((l) => !isReport(l)).join('\n') : captured.stderr;
  const report = JSON.parse(line) as DeviceReport;
  if (target === 'rv32') return { report, stderr, status, instructions: report.status === 'ok' ? report.instructions.flow : null };
  let instructions: number | null = null;
  if (options.callgrind) {
    const match = /==\d+== Collected : (\d+)/.exec(stderr) ?? /summary: (\d+)/.exec(stderr);
    instructions = match ? Number(match[1]) : null;
    rmSync(outFile, { force: true });
  }
  return { report, stderr, status, instructions };
}

/**
 * The JS stack the firmware is built with, in slots (manifests/terminal.json creation.stack: 768).
 * The flows run on the byte line (ProtocolReader, T=1/T=0 and the card driver below, nested on
 * the same stack; with FLOW@sim the simulated line and the replaying card too) and need more than
 * the SDK's default 512 that the esp32 profile has, so the bench and tests run them with this
 * stack and the profile's heaps.
 */
export const FIRMWARE_STACK: number = (JSON.parse(readFileSync(join(ROOT, 'manifests', 'terminal.json'), 'utf8')) as { creation: { stack: number } }).creation.stack;

/** The esp32 profile: the SDK's heaps with the firmware's stack (the runner's profiles take FIRMWARE_STACK; tests/rv32.test.ts checks). */
export const ESP32_FIRMWARE: RunOptions = Object.freeze({ profile: 'esp32' });

/** The bisection's ceilings: far above anything a flow needs. */
const FIT_CHUNK_MAX = 2 * 1024 * 1024;
const FIT_SLOTS_MAX = 65_536;

/** Smallest value in [low, high] for which `fits` holds, assuming it is monotonic, to `step`. */
async function bisect(low: number, high: number, step: number, fits: (value: number) => Promise<boolean>): Promise<number | null> {
  if (!(await fits(high))) return null;
  while (high - low > step) {
    const mid = Math.floor((low + high) / 2 / step) * step;
    if (mid <= low) break;
    if (await fits(mid)) high = mid;
    else low = mid;
  }
  return high;
}

/**
 * The smallest heap a flow completes in, by bisection with the runner (`target`, host by default):
 * chunk bytes with slots unlimited (1 KB steps) and slots with chunks unlimited (16-slot steps), at
 * the firmware's stack; null when it never does. On rv32 the sizes are the device's (4-byte
 * pointers, 16-byte slots); on the host they are upper bounds. `base` is how the flow runs
 * otherwise (a bundle that cannot be preloaded needs `preload: false`, as it ran).
 */
export async function smallestHeap(script: string, arg: string, target: DeviceTarget = 'host', base: RunOptions = ESP32_FIRMWARE): Promise<{ minChunks: number | null; minSlots: number | null }> {
  const minChunks = await bisect(0, FIT_CHUNK_MAX, 1024, async (chunk) => (await runDevice(script, arg, { ...base, target, chunk, slots: FIT_SLOTS_MAX })).report.status === 'ok');
  const minSlots = await bisect(0, FIT_SLOTS_MAX, 16, async (slots) => (await runDevice(script, arg, { ...base, target, chunk: FIT_CHUNK_MAX, slots })).report.status === 'ok');
  return { minChunks, minSlots };
}
