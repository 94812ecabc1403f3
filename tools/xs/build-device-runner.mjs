#!/usr/bin/env node
// `npm run build:xs-device`: builds tools/xs/device-runner.c with the XS sources that @agoric/xsnap
// ships (the same files and defines as its xsnap.mk, minus xsnap.c's command line), into
// build/xs/bin/device-runner. Nothing is downloaded.
//
// Built for the host (x86_64 here): XS slots are 32 bytes instead of the ESP32's 16, and chunks that
// hold pointers or slots (arrays, property tables, closures) are larger than on the 32-bit device, so
// chunk bytes measured here are an upper bound for the device; slot counts are exact. (A -m32 build
// would match the device's sizes, but this machine's kernel cannot execute 32-bit binaries.)
// Incremental: an object is recompiled when its source, the runner or the flags changed.
// Usage: node tools/xs/build-device-runner.mjs
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { buildJobs, DEVICE_RUNNER, platformDir, ROOT, XS_BUILD_DIR, xsnapPackage } from './xsnap.mjs';

const RUNNER_SOURCE = join(ROOT, 'tools', 'xs', 'device-runner.c');

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

async function main() {
  if (!platformDir()) fail(`Linux or macOS only, not ${process.platform}`);
  const pkg = xsnapPackage();
  const moddable = join(pkg.dir, 'moddable');
  const xsnapSources = join(pkg.dir, 'xsnap-native', 'xsnap', 'sources');
  const xs = join(moddable, 'xs');
  if (!existsSync(join(xs, 'sources', 'xsAll.c'))) fail(`@agoric/xsnap ${pkg.version} at ${pkg.dir} has no XS sources; reinstall it with \`npm ci\``);
  const cc = process.env.CC ?? 'cc';
  if (spawnSync(cc, ['--version'], { stdio: 'ignore' }).status !== 0) fail(`no C compiler (${cc}); Debian: apt-get install -y gcc libc6-dev`);

  const xsSources = readdirC(join(xs, 'sources'));
  const sources = [
    ...xsSources,
    join(moddable, 'modules', 'data', 'text', 'decoder', 'textdecoder.c'),
    join(moddable, 'modules', 'data', 'text', 'encoder', 'textencoder.c'),
    join(moddable, 'modules', 'data', 'base64', 'modBase64.c'),
    join(xsnapSources, 'xsnapPlatform.c'),
    RUNNER_SOURCE,
  ];
  const flags = [
    '-fno-common', '-DINCLUDE_XSPLATFORM', '-DXSPLATFORM="xsnapPlatform.h"',
    '-DmxLockdown=1', '-DmxMetering=1', '-DmxParse=1', '-DmxProfile=1', '-DmxRun=1', '-DmxSloppy=1',
    '-DmxSnapshot=1', '-DmxRegExpUnicodePropertyEscapes=1', '-DmxStringNormalize=1', '-DmxMinusZero=1',
    '-DmxBoundsCheck=1', '-O2', '-g',
    `-I${join(xs, 'includes')}`, `-I${join(xs, 'platforms')}`, `-I${join(xs, 'sources')}`, `-I${xsnapSources}`,
    '-Wno-misleading-indentation', '-Wno-implicit-fallthrough',
  ];
  const tmp = join(XS_BUILD_DIR, 'tmp', 'device-runner');
  mkdirSync(tmp, { recursive: true });
  mkdirSync(join(XS_BUILD_DIR, 'bin'), { recursive: true });
  const stampFile = join(tmp, 'flags.json');
  const stamp = JSON.stringify({ flags, xsnap: pkg.version, dir: pkg.dir });
  const flagsChanged = !existsSync(stampFile) || readFileSync(stampFile, 'utf8') !== stamp;
  const headers = [join(xs, 'sources', 'xsAll.h'), join(xs, 'sources', 'xsCommon.h'), join(xs, 'includes', 'xs.h'), join(xsnapSources, 'xsnapPlatform.h'), join(xsnapSources, 'xsnap.h')];
  const newestHeader = Math.max(...headers.map((h) => statSync(h).mtimeMs));

  const started = Date.now();
  const objects = sources.map((source) => join(tmp, `${basename(source, '.c')}.o`));
  const stale = sources.filter((source, i) => {
    const object = objects[i];
    if (flagsChanged || !existsSync(object)) return true;
    const built = statSync(object).mtimeMs;
    return statSync(source).mtimeMs > built || newestHeader > built;
  });
  const queue = [...stale];
  const workers = Array.from({ length: buildJobs() }, async () => {
    for (let source = queue.shift(); source; source = queue.shift()) {
      await compile(cc, [source, ...flags, '-c', '-o', objects[sources.indexOf(source)]]);
    }
  });
  try {
    await Promise.all(workers);
  } catch (error) {
    fail(/** @type {Error} */ (error).message);
  }
  writeFileSync(stampFile, stamp);
  if (stale.length > 0 || !existsSync(DEVICE_RUNNER)) {
    const link = spawnSync(cc, [...objects, '-ldl', '-lm', '-lpthread', '-o', DEVICE_RUNNER], { stdio: 'inherit' });
    if (link.status !== 0) fail(`linking ${DEVICE_RUNNER} failed`);
  }
  const version = spawnSync(DEVICE_RUNNER, ['-v'], { encoding: 'utf8' });
  if (version.status !== 0) fail(`${DEVICE_RUNNER} -v failed: ${version.stderr}`);
  writeFileSync(join(XS_BUILD_DIR, 'bin', 'device-runner.json'), JSON.stringify({ xs: version.stdout.trim(), xsnap: pkg.version }));
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(`device-runner: ${relative(ROOT, DEVICE_RUNNER)} (${version.stdout.trim()}, ${stale.length} file(s) compiled, ${seconds} s)\n`);
}

/** @param {string} dir @returns {string[]} the .c files in dir, sorted */
function readdirC(dir) {
  return readdirSync(dir).filter((name) => name.endsWith('.c')).sort().map((name) => join(dir, name));
}

main();
