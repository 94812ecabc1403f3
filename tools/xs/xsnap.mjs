// Locating and running the xsnap command-line XS engine built by tools/xs/build-xsnap.mjs.
// Plain Node ESM so it runs before (and without) the TypeScript build; tsc copies it to build/ too
// (allowJs), so compiled tests can import it from the same relative path.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root: the nearest folder above this file that holds a package.json. */
function findRoot() {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

export const ROOT = findRoot();

/** Everything the XS tooling writes goes under build/xs/ (gitignored, outside node_modules). */
export const XS_BUILD_DIR = join(ROOT, 'build', 'xs');

const PLATFORMS = Object.freeze({ linux: 'lin', darwin: 'mac' });

/** The makefile folder name for this OS ("lin", "mac"), or null when xsnap has no makefile for it. */
export function platformDir() {
  return /** @type {Record<string, string>} */ (PLATFORMS)[process.platform] ?? null;
}

/** Where build-xsnap.mjs puts the release xsnap binary. */
export function xsnapPath() {
  return join(XS_BUILD_DIR, 'bin', platformDir() ?? 'unsupported', 'release', 'xsnap');
}

/** Where build-device-runner.mjs puts the device runner (tools/xs/device-runner.c). */
export const DEVICE_RUNNER = join(XS_BUILD_DIR, 'bin', 'device-runner');

/** The same runner built for a bare-metal RV32IMAC machine (tools/xs/rv32/), run in QEMU. */
export const DEVICE_RUNNER_RV32 = join(XS_BUILD_DIR, 'bin', 'device-runner-rv32.elf');

/** Debian's bare-metal RISC-V cross compiler (gcc-riscv64-unknown-elf; rv32imac/ilp32 is one of its multilibs). */
export const RV32_CC = 'riscv64-unknown-elf-gcc';

/** QEMU's 32-bit RISC-V system emulator (Debian: qemu-system-misc). */
export const RV32_QEMU = 'qemu-system-riscv32';

/** The Debian packages the RV32 runner needs, as one apt-get line. */
export const RV32_PACKAGES = 'apt-get install -y gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf qemu-system-misc';

/** Why the RV32 runner cannot be built or run here (a sentence saying what to install), or null. */
export function rv32Missing() {
  for (const tool of [RV32_CC, RV32_QEMU]) {
    if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).status !== 0) return `${tool} is not installed (Debian: ${RV32_PACKAGES})`;
  }
  const specs = spawnSync(RV32_CC, ['-print-file-name=picolibc.specs'], { encoding: 'utf8' });
  if (specs.status !== 0 || !existsSync(specs.stdout.trim())) return `picolibc for ${RV32_CC} is not installed (Debian: ${RV32_PACKAGES})`;
  return null;
}

/**
 * The QEMU command that runs the RV32 runner with these arguments: virt machine, 1 GiB, no
 * firmware, semihosting on the host's files (arguments go as its command line), and -icount
 * shift=0 so that one instruction is one tick and instret counts are the same on every run.
 * Arguments may not hold spaces (the semihosting command line is split at them).
 * @param {string[]} args @returns {[string, string[]]}
 */
export function rv32Command(args) {
  for (const arg of args) {
    if (/\s/.test(arg)) throw new Error(`the RV32 runner cannot take an argument with white space: "${arg}"`);
  }
  const semihosting = ['enable=on', 'target=native', 'arg=device-runner', ...args.map((arg) => `arg=${arg.replaceAll(',', ',,')}`)].join(',');
  return [RV32_QEMU, ['-M', 'virt', '-m', '1G', '-bios', 'none', '-kernel', DEVICE_RUNNER_RV32, '-semihosting-config', semihosting, '-icount', 'shift=0', '-nographic', '-monitor', 'none', '-serial', 'none']];
}

/** Parallel compile jobs for the XS builds: the cores, at most 8. */
export function buildJobs() {
  return Math.max(1, Math.min(availableParallelism(), 8));
}

/** The installed @agoric/xsnap package: its folder and version. */
export function xsnapPackage() {
  const require = createRequire(join(ROOT, 'package.json'));
  let manifest;
  try {
    manifest = require.resolve('@agoric/xsnap/package.json');
  } catch {
    throw new Error('@agoric/xsnap is not installed: run `npm ci` (or `npm install`) in the project root first');
  }
  const { version } = JSON.parse(readFileSync(manifest, 'utf8'));
  return Object.freeze({ dir: dirname(manifest), version: /** @type {string} */ (version) });
}

/** The xsnap binary's path; throws a message that says what to run when it has not been built. */
export function requireXsnap() {
  const path = xsnapPath();
  if (!existsSync(path)) {
    throw new Error(`the XS engine is not built: ${relative(ROOT, path)} is missing. Run \`npm run build:xs\` (needs make and a C compiler).`);
  }
  return path;
}

/** "XS 13.3.0" as `xsnap -v` reports it. */
export function xsVersion(binary = requireXsnap()) {
  const run = spawnSync(binary, ['-v'], { encoding: 'utf8' });
  if (run.error) throw new Error(`cannot run ${binary}: ${run.error.message}`);
  const text = `${run.stdout}${run.stderr}`.trim();
  if (run.status !== 0 || !/^XS \d+\.\d+\.\d+/.test(text)) {
    throw new Error(`\`${binary} -v\` exited with ${run.status} and printed "${text}", not an XS version`);
  }
  return text;
}

/**
 * @typedef {{
 *   stdout: string, stderr: string, status: number | null, signal: string | null,
 *   timedOut: boolean, ms: number,
 * }} XsRun
 */

/**
 * Runs a command to its end, capturing what it printed; kills it with SIGKILL after timeoutMs.
 * Rejects only when the command cannot be started.
 * @param {string} command
 * @param {string[]} args
 * @param {number} timeoutMs
 * @returns {Promise<XsRun>}
 */
export function runCaptured(command, args, timeoutMs) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk) => { stdout += chunk; });
    child.stderr.setEncoding('utf8').on('data', (chunk) => { stderr += chunk; });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${command}: ${error.message}`));
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, status, signal, timedOut, ms: Date.now() - started });
    });
  });
}

/**
 * Runs a script (an esbuild iife bundle) in xsnap and captures what it printed and how it ended.
 * Never rejects for the script's own failures: the caller judges status, signal and stderr.
 * @param {string} script path of the .js file
 * @param {{ timeoutMs?: number, binary?: string }} [options]
 * @returns {Promise<XsRun>}
 */
export function runXs(script, options = {}) {
  const { timeoutMs = 5 * 60_000, binary = requireXsnap() } = options;
  return runCaptured(binary, [script], timeoutMs);
}
