#!/usr/bin/env node
// Bundles an engine-neutral TypeScript or JavaScript entry into one script the XS engine runs:
// esbuild, iife, ES2020 (XS 13.3 trips over some ES2022 class features) with private class members
// kept native, platform "neutral".
// Any import of a Node built-in (node:fs, crypto, buffer, ...) fails the bundle, naming the importer.
// Usage: node tools/xs/bundle.mjs ENTRY [OUT]   (OUT defaults to build/xs/<entry name>.js)
import { builtinModules } from 'node:module';
import { basename, extname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { ROOT, XS_BUILD_DIR } from './xsnap.mjs';

/** esbuild feature names XS 13.3 supports natively although they are newer than ES2020. */
const XS_NATIVE_CLASS_FEATURES = Object.freeze({
  'class-private-field': true,
  'class-private-method': true,
  'class-private-accessor': true,
  'class-private-brand-check': true,
});

const NODE_BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

/** @type {import('esbuild').Plugin} */
const noNodeBuiltins = {
  name: 'no-node-builtins',
  setup(builder) {
    builder.onResolve({ filter: /^[a-z_:/]+$/ }, (args) => {
      if (!args.path.startsWith('node:') && !NODE_BUILTINS.has(args.path)) return undefined;
      const importer = args.importer ? relative(ROOT, args.importer) : '(entry)';
      return {
        errors: [{
          text: `"${args.path}" is a Node built-in, imported by ${importer}: code that runs on XS must be engine-neutral (only the language, Uint8Array, BigInt and the HAL; see DESIGN.md §6)`,
        }],
      };
    });
  },
};

/**
 * Puts one module in place of another, as the Moddable manifest does for the device's providers.
 * A key with a slash is a project-relative .ts path (the module it names is replaced wherever it
 * is imported relatively); a key without one is a bare module name (e.g. the SDK's `crypt`).
 * @param {Readonly<Record<string, string>>} replacements replaced -> project-relative replacement
 * @returns {import('esbuild').Plugin}
 */
function replaceModules(replacements) {
  const entries = Object.entries(replacements);
  const byPath = new Map(entries.filter(([from]) => from.includes('/')).map(([from, to]) => [resolve(ROOT, from), resolve(ROOT, to)]));
  const byName = new Map(entries.filter(([from]) => !from.includes('/')).map(([from, to]) => [from, resolve(ROOT, to)]));
  return {
    name: 'replace-modules',
    setup(builder) {
      builder.onResolve({ filter: /^\./ }, (args) => {
        const target = resolve(args.resolveDir, args.path).replace(/\.js$/, '.ts');
        const replacement = byPath.get(target);
        return replacement ? { path: replacement } : undefined;
      });
      builder.onResolve({ filter: /^[^./]/ }, (args) => {
        const replacement = byName.get(args.path);
        return replacement ? { path: replacement } : undefined;
      });
    },
  };
}

/**
 * @param {string} entry path of the entry file (relative to the project root or absolute)
 * @param {string} [outFile] where to write the bundle (default build/xs/<entry name>.js)
 * @param {{ replace?: Readonly<Record<string, string>> }} [options] modules to put in place of others (project-relative .ts paths)
 * @returns {Promise<string>} the absolute path of the bundle
 */
export async function bundle(entry, outFile, options = {}) {
  const entryPath = isAbsolute(entry) ? entry : resolve(ROOT, entry);
  const out = outFile ? resolve(ROOT, outFile) : join(XS_BUILD_DIR, `${basename(entryPath, extname(entryPath))}.js`);
  try {
    await build({
      absWorkingDir: ROOT,
      entryPoints: [entryPath],
      outfile: out,
      bundle: true,
      format: 'iife',
      target: 'es2020',
      // XS runs private class members natively; lowered to ES2020 each becomes a WeakMap lookup,
      // which the device (XS 17, each module compiled by the SDK's tsc) never pays: 10.4 M -> 5.1 M
      // RV32 instructions for PIN-to-service (tools/bench/bench.ts). What XS 13.3 trips over are other
      // ES2022 class features (static fields and blocks), so those stay lowered.
      supported: XS_NATIVE_CLASS_FEATURES,
      platform: 'neutral',
      // neutral leaves these empty; packages that still rely on "module"/"main" need them
      mainFields: ['module', 'main'],
      plugins: [noNodeBuiltins, ...(options.replace ? [replaceModules(options.replace)] : [])],
      sourcemap: false,
      legalComments: 'none',
      logLevel: 'silent',
    });
  } catch (error) {
    const errors = /** @type {{ errors?: { text: string, location?: { file: string, line: number } | null }[] }} */ (error).errors;
    if (!errors) throw error;
    const lines = errors.map((e) => (e.location ? `${e.location.file}:${e.location.line}: ${e.text}` : e.text));
    throw new Error(`bundling ${relative(ROOT, entryPath)} for XS failed:\n  ${lines.join('\n  ')}`);
  }
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [entry, out] = process.argv.slice(2);
  if (!entry) {
    process.stderr.write('usage: node tools/xs/bundle.mjs ENTRY [OUT]\n');
    process.exit(2);
  }
  bundle(entry, out).then(
    (path) => process.stdout.write(`${relative(ROOT, path)}\n`),
    (error) => {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    },
  );
}
