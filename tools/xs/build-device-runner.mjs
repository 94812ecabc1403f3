#!/usr/bin/env node
// `npm run build:xs-device`: builds tools/xs/device-runner.c with the XS sources that @agoric/xsnap
// ships (the same files and defines as its xsnap.mk, minus xsnap.c's command line), into
// build/xs/bin/device-runner, and, when Debian's RISC-V cross compiler is installed, the same runner
// for a bare-metal 32-bit RISC-V machine (build/xs/bin/device-runner-rv32.elf, run in QEMU by
// tools/bench/device.ts; see "The RV32 build" below). Nothing is downloaded.
//
// Built for the host (x86_64 here): XS slots are 32 bytes instead of the ESP32's 16, and chunks that
// hold pointers or slots (arrays, property tables, closures) are larger than on the 32-bit device, so
// chunk bytes measured here are an upper bound for the device; slot counts are exact. (A -m32 build
// would match the device's sizes, but this machine's kernel cannot execute 32-bit binaries.)
// The RV32 build: riscv64-unknown-elf-gcc with picolibc (Debian: gcc-riscv64-unknown-elf
// picolibc-riscv64-unknown-elf), -march=rv32imac -mabi=ilp32 (the ESP32-C3 is RV32IMC: no FPU, so
// doubles are soft-float as there), semihosting for stdout, the command line and reading the bundle,
// XS's platform in tools/xs/rv32/. Linked for QEMU's virt machine: code at 0x80000000, 1 GiB of RAM.
// Slots are 16 bytes and pointers 4, as on the device, so chunk and slot figures are the device's.
//
// Incremental: an object is recompiled when its source, the runner or the flags changed.
// Usage: node tools/xs/build-device-runner.mjs [--target host|rv32|all]   (default all: rv32 when its
//        compiler is installed, with a note when it is not)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative } from 'node:path';
import { buildJobs, DEVICE_RUNNER, DEVICE_RUNNER_RV32, platformDir, ROOT, rv32Command, rv32Missing, RV32_CC, XS_BUILD_DIR, xsnapPackage } from './xsnap.mjs';

const RUNNER_SOURCE = join(ROOT, 'tools', 'xs', 'device-runner.c');
const RV32_DIR = join(ROOT, 'tools', 'xs', 'rv32');
const NATIVE_DIR = join(ROOT, 'tools', 'xs', 'native');

/** libtorsion in the npm package bcrypto (deps/torsion): the C the runner's native crypto is (tools/xs/native). */
function torsion() {
  const require = createRequire(join(ROOT, 'package.json'));
  let dir;
  try {
    dir = join(dirname(require.resolve('bcrypto/package.json')), 'deps', 'torsion');
  } catch {
    fail('bcrypto is not installed: run `npm ci` first (its deps/torsion is the native crypto the runner models)');
  }
  if (!existsSync(join(dir, 'src', 'ecc.c'))) fail(`${dir} has no libtorsion sources; reinstall bcrypto with \`npm ci\``);
  const sources = ['ecc', 'hash', 'mpi', 'util', 'internal', 'asn1', 'drbg', 'cipher'].map((name) => join(dir, 'src', `${name}.c`));
  return { sources, include: `-I${join(dir, 'include')}`, headers: [join(dir, 'include', 'torsion', 'ecc.h'), join(dir, 'include', 'torsion', 'hash.h')] };
}

/** XS's configuration, the same for both targets (as @agoric/xsnap's xsnap.mk sets it). */
const XS_DEFINES = Object.freeze([
  '-DmxLockdown=1', '-DmxMetering=1', '-DmxParse=1', '-DmxRun=1', '-DmxSloppy=1',
  '-DmxSnapshot=1', '-DmxRegExpUnicodePropertyEscapes=1', '-DmxStringNormalize=1', '-DmxMinusZero=1',
  '-DmxBoundsCheck=1',
]);

/** QEMU virt: RAM from 0x80000000; the image's first 4 MiB hold code and data, the rest is heap. */
const RV32_MEMORY = Object.freeze({ flash: 0x80000000, flashSize: 0x400000, ramSize: 0x3fc00000, stackSize: 0x80000 });

/** @param {string} message */
function fail(message) {
  process.stderr.write(`build-device-runner: ${message}\n`);
  process.exit(1);
}

/** @param {string} cc @param {string[]} args @returns {Promise<void>} */
function compile(cc, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cc, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('close', (status) => (status === 0 ? resolve() : reject(new Error(`${cc} ${args.join(' ')} exited with ${status}`))));
  });
}

/**
 * What one target is built from and with.
 * @typedef {{ name: string, cc: string, output: string, sources: string[], flags: string[], link: string[], headers: string[], run: (args: string[]) => import('node:child_process').SpawnSyncReturns<string> }} Target
 */

/** @param {'host' | 'rv32'} name @returns {Target} */
function targetOf(name) {
  const pkg = xsnapPackage();
  const moddable = join(pkg.dir, 'moddable');
  const xsnapSources = join(pkg.dir, 'xsnap-native', 'xsnap', 'sources');
  const xs = join(moddable, 'xs');
  if (!existsSync(join(xs, 'sources', 'xsAll.c'))) fail(`@agoric/xsnap ${pkg.version} at ${pkg.dir} has no XS sources; reinstall it with \`npm ci\``);
  const common = [
    ...readdirC(join(xs, 'sources')),
    join(moddable, 'modules', 'data', 'text', 'decoder', 'textdecoder.c'),
    join(moddable, 'modules', 'data', 'text', 'encoder', 'textencoder.c'),
    join(moddable, 'modules', 'data', 'base64', 'modBase64.c'),
  ];
  const crypto = torsion();
  const native = [...crypto.sources, join(NATIVE_DIR, 'native-crypto.c'), join(NATIVE_DIR, 'native-flash.c'), join(NATIVE_DIR, 'native-card-line.c')];
  const includes = [`-I${join(xs, 'includes')}`, `-I${join(xs, 'platforms')}`, `-I${join(xs, 'sources')}`, `-I${NATIVE_DIR}`, crypto.include];
  const quiet = ['-Wno-misleading-indentation', '-Wno-implicit-fallthrough'];
  const xsHeaders = [join(xs, 'sources', 'xsAll.h'), join(xs, 'sources', 'xsCommon.h'), join(xs, 'includes', 'xs.h'), join(NATIVE_DIR, 'native-crypto.h'), join(NATIVE_DIR, 'native-flash.h'), join(NATIVE_DIR, 'native-card-line.h'), ...crypto.headers];
  if (name === 'host') {
    return {
      name, cc: process.env.CC ?? 'cc', output: DEVICE_RUNNER,
      sources: [...common, ...native, join(xsnapSources, 'xsnapPlatform.c'), RUNNER_SOURCE],
      flags: ['-fno-common', '-DINCLUDE_XSPLATFORM', '-DXSPLATFORM="xsnapPlatform.h"', ...XS_DEFINES, '-DmxProfile=1', '-O2', '-g', ...includes, `-I${xsnapSources}`, ...quiet],
      link: ['-ldl', '-lm', '-lpthread'],
      headers: [...xsHeaders, join(xsnapSources, 'xsnapPlatform.h'), join(xsnapSources, 'xsnap.h')],
      run: (args) => spawnSync(DEVICE_RUNNER, args, { encoding: 'utf8' }),
    };
  }
  const machine = ['--specs=picolibc.specs', '--oslib=semihost', '-march=rv32imac', '-mabi=ilp32'];
  const m = RV32_MEMORY;
  return {
    name, cc: RV32_CC, output: DEVICE_RUNNER_RV32,
    sources: [...common, ...native, join(RV32_DIR, 'rv32-platform.c'), RUNNER_SOURCE],
    // No mxProfile: XS's profiler reads a clock, and this machine has none.
    flags: [...machine, '-fno-common', '-DINCLUDE_XSPLATFORM', '-DXSPLATFORM="rv32-platform.h"', '-DDEVICE_RUNNER_RV32=1', ...XS_DEFINES.filter((define) => define !== '-DmxMetering=1'), '-O2', '-g', ...includes, `-I${RV32_DIR}`, ...quiet, '-Wno-incompatible-pointer-types'],
    link: [...machine, `-Wl,--defsym=__flash=0x${m.flash.toString(16)}`, `-Wl,--defsym=__flash_size=0x${m.flashSize.toString(16)}`,
      `-Wl,--defsym=__ram=0x${(m.flash + m.flashSize).toString(16)}`, `-Wl,--defsym=__ram_size=0x${m.ramSize.toString(16)}`, `-Wl,--defsym=__stack_size=0x${m.stackSize.toString(16)}`, '-lm'],
    headers: [...xsHeaders, join(RV32_DIR, 'rv32-platform.h'), join(RV32_DIR, 'rv32-runner.h')],
    run: (args) => { const [command, commandArgs] = rv32Command(args); return spawnSync(command, commandArgs, { encoding: 'utf8' }); },
  };
}

/** Builds one target incrementally; returns the runner's version line. @param {Target} target */
async function build(target) {
  const pkg = xsnapPackage();
  const tmp = join(XS_BUILD_DIR, 'tmp', target.name === 'host' ? 'device-runner' : `device-runner-${target.name}`);
  mkdirSync(tmp, { recursive: true });
  mkdirSync(join(XS_BUILD_DIR, 'bin'), { recursive: true });
  const stampFile = join(tmp, 'flags.json');
  const stamp = JSON.stringify({ flags: target.flags, link: target.link, xsnap: pkg.version, dir: pkg.dir });
  const flagsChanged = !existsSync(stampFile) || readFileSync(stampFile, 'utf8') !== stamp;
  const newestHeader = Math.max(...target.headers.map((h) => statSync(h).mtimeMs));

  const started = Date.now();
  const objects = target.sources.map((source) => join(tmp, `${basename(source, '.c')}.o`));
  const stale = target.sources.filter((source, i) => {
    const object = objects[i];
    if (flagsChanged || !existsSync(object)) return true;
    const built = statSync(object).mtimeMs;
    return statSync(source).mtimeMs > built || newestHeader > built;
  });
  const queue = [...stale];
  const workers = Array.from({ length: buildJobs() }, async () => {
    for (let source = queue.shift(); source; source = queue.shift()) {
      await compile(target.cc, [source, ...target.flags, '-c', '-o', objects[target.sources.indexOf(source)]]);
    }
  });
  try {
    await Promise.all(workers);
  } catch (error) {
    fail(/** @type {Error} */ (error).message);
  }
  writeFileSync(stampFile, stamp);
  if (stale.length > 0 || !existsSync(target.output)) {
    const link = spawnSync(target.cc, [...objects, ...target.link, '-o', target.output], { stdio: 'inherit' });
    if (link.status !== 0) fail(`linking ${target.output} failed`);
  }
  const version = target.run(['-v']);
  // QEMU writes the RV32 machine's semihosted output to its standard error.
  const printed = `${version.stdout ?? ''}${version.stderr ?? ''}`.trim();
  if (version.status !== 0 || !printed.startsWith('XS ')) fail(`${target.output} -v failed (exit ${version.status}): ${printed}${version.error ? ` ${version.error.message}` : ''}`);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(`device-runner (${target.name}): ${relative(ROOT, target.output)} (${printed}, ${stale.length} file(s) compiled, ${seconds} s)\n`);
  return printed;
}

async function main() {
  if (!platformDir()) fail(`Linux or macOS only, not ${process.platform}`);
  const at = process.argv.indexOf('--target');
  const wanted = at > 0 ? process.argv[at + 1] : 'all';
  if (!['host', 'rv32', 'all'].includes(wanted ?? '')) fail(`--target host, rv32 or all, not ${wanted}`);
  const host = targetOf('host');
  if (spawnSync(host.cc, ['--version'], { stdio: 'ignore' }).status !== 0) fail(`no C compiler (${host.cc}); Debian: apt-get install -y gcc libc6-dev`);
  const rv32Problem = rv32Missing();
  if (wanted === 'rv32' && rv32Problem) fail(rv32Problem);
  const pkg = xsnapPackage();
  const xs = wanted === 'rv32' ? await build(targetOf('rv32')) : await build(host);
  writeFileSync(join(XS_BUILD_DIR, 'bin', 'device-runner.json'), JSON.stringify({ xs, xsnap: pkg.version }));
  if (wanted === 'all') {
    if (rv32Problem) process.stdout.write(`device-runner (rv32): not built: ${rv32Problem}\n`);
    else await build(targetOf('rv32'));
  }
}

/** @param {string} dir @returns {string[]} the .c files in dir, sorted */
function readdirC(dir) {
  return readdirSync(dir).filter((name) => name.endsWith('.c')).sort().map((name) => join(dir, name));
}

main();
