#!/usr/bin/env node
// `npm run build:xs`: builds the xsnap command-line XS engine from the XS sources that the npm
// package @agoric/xsnap ships (moddable/xs and xsnap-native/xsnap), into build/xs/.
// make does the incremental part: a second run with nothing changed takes well under a second.
// Usage: node tools/xs/build-xsnap.mjs
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { buildJobs, platformDir, ROOT, XS_BUILD_DIR, xsnapPackage, xsnapPath, xsVersion } from './xsnap.mjs';

/** @param {string} message */
function fail(message) {
  process.stderr.write(`build-xsnap: ${message}\n`);
  process.exit(1);
}

/** @param {string} tool @param {string[]} args */
function have(tool, args) {
  const run = spawnSync(tool, args, { stdio: 'ignore' });
  return !run.error && run.status === 0;
}

function main() {
  const platform = platformDir();
  if (!platform) fail(`xsnap has makefiles for Linux and macOS only, not for ${process.platform}`);

  const pkg = xsnapPackage();
  const makefiles = join(pkg.dir, 'xsnap-native', 'xsnap', 'makefiles', platform);
  const moddable = join(pkg.dir, 'moddable');
  if (!existsSync(join(makefiles, 'xsnap.mk')) || !existsSync(join(moddable, 'xs', 'sources'))) {
    fail(`@agoric/xsnap ${pkg.version} at ${pkg.dir} does not contain the XS sources (xsnap-native/xsnap/makefiles/${platform}/xsnap.mk, moddable/xs/sources); reinstall it with \`npm ci\``);
  }

  const cc = process.env.CC ?? 'cc';
  const missing = [];
  if (!have('make', ['--version'])) missing.push('make');
  if (!have(cc, ['--version'])) missing.push(`a C compiler (${cc})`);
  if (missing.length > 0) {
    fail(`${missing.join(' and ')} not found on PATH. Install them first (Debian/Ubuntu: \`apt-get install -y make gcc libc6-dev\`; macOS: \`xcode-select --install\`).`);
  }

  // Rebuild from scratch when the XS sources come from a different @agoric/xsnap than last time:
  // the makefile does not track every header, so stale objects could otherwise survive an upgrade.
  const stampFile = join(XS_BUILD_DIR, 'source.json');
  const stamp = JSON.stringify({ package: '@agoric/xsnap', version: pkg.version, dir: pkg.dir });
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') !== stamp) {
    rmSync(join(XS_BUILD_DIR, 'bin'), { recursive: true, force: true });
    rmSync(join(XS_BUILD_DIR, 'tmp'), { recursive: true, force: true });
  }
  mkdirSync(XS_BUILD_DIR, { recursive: true });

  const started = Date.now();
  const make = spawnSync('make', [
    '-f', 'xsnap.mk',
    'GOAL=release',
    `MODDABLE=${moddable}`,
    `BUILD_DIR=${XS_BUILD_DIR}`,
    `CC=${cc}`,
    `-j${buildJobs()}`,
  ], { cwd: makefiles, stdio: ['ignore', 'inherit', 'inherit'] });
  if (make.error) fail(`cannot run make: ${make.error.message}`);
  if (make.status !== 0) fail(`make -f xsnap.mk exited with ${make.status ?? make.signal} (in ${makefiles})`);

  const binary = xsnapPath();
  if (!existsSync(binary)) fail(`make succeeded but ${binary} is not there`);
  let version;
  try {
    version = xsVersion(binary);
  } catch (error) {
    fail(/** @type {Error} */ (error).message);
  }
  writeFileSync(stampFile, stamp);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(`xsnap: ${relative(ROOT, binary)} (${version}, from @agoric/xsnap ${pkg.version}, ${seconds} s)\n`);
}

main();
