// manifests/terminal.json, checked without the Moddable SDK (CI has none): every firmware module is
// in the build and preloaded, the device's provider modules export what the host's do, and no
// preloaded module keeps mutable state at its top level (Moddable freezes preloaded modules into
// flash: such state fails at run time). The real builds are in docs/hardware.md and issue 9's note.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const manifest = JSON.parse(readFileSync(join(ROOT, 'manifests', 'terminal.json'), 'utf8')) as {
  modules: Record<string, string>;
  preload: string[];
  platforms: Record<string, { modules?: Record<string, string> }>;
};

/** Host-only modules: the device build maps their names to hal/moddable or leaves them out. */
const HOST_ONLY = Object.freeze(['firmware/crypto/hash', 'firmware/crypto/p256', 'firmware/crypto/aes', 'firmware/crypto/modular', 'firmware/crypto/ed25519-curve', 'firmware/crypto/curve-tables']);
const DEVICE_PROVIDERS = Object.freeze({
  'firmware/crypto/hash': 'hal/moddable/hash',
  'firmware/crypto/p256': 'hal/moddable/p256',
  'firmware/crypto/aes': 'hal/moddable/aes',
  'firmware/crypto/modular': 'hal/moddable/modular',
  'firmware/crypto/ed25519-curve': 'firmware/crypto/ed25519-reference',
});

function tsModules(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return tsModules(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path.slice(0, -3)] : [];
  });
}

/** The module name the manifest gives `path` ("firmware/x/y"), or null. */
function nameOf(path: string, modules: Record<string, string>): string | null {
  for (const [name, source] of Object.entries(modules)) {
    const target = relative(ROOT, join(ROOT, 'manifests', source)).replaceAll('\\', '/');
    if (target === path) return name;
    if (target.endsWith('/*') && name.endsWith('/*') && path.startsWith(target.slice(0, -1)) && !path.slice(target.length - 1).includes('/')) {
      return name.slice(0, -1) + path.slice(target.length - 1);
    }
  }
  return null;
}

function preloaded(name: string): boolean {
  return manifest.preload.some((pattern) => (pattern.endsWith('/*') ? name.startsWith(pattern.slice(0, -1)) && !name.slice(pattern.length - 1).includes('/') : pattern === name));
}

function exportedNames(path: string): string[] {
  const source = readFileSync(join(ROOT, `${path}.ts`), 'utf8');
  return [...source.matchAll(/^export (?:const|function|class) (\w+)/gm)].map((m) => m[1]!).sort();
}

describe('manifests/terminal.json (the Moddable build)', () => {
  const firmware = [...tsModules('firmware'), 'hal/card-line', 'hal/clock', 'hal/display', 'hal/flash', 'hal/index', 'hal/keypad', 'hal/modem', 'hal/random', 'hal/reader'];

  it('builds and preloads every firmware module under its own name, the host-only providers replaced', () => {
    const deviceProviders: readonly string[] = Object.values(DEVICE_PROVIDERS);
    for (const path of firmware) {
      if (HOST_ONLY.includes(path) || deviceProviders.includes(path)) continue;
      const name = nameOf(path, manifest.modules);
      assert.ok(name !== null, `${path}.ts is not in manifests/terminal.json`);
      assert.equal(name, path, `${path} must keep its path as its module name, or its relative imports break`);
      assert.ok(preloaded(name), `${name} is not preloaded`);
    }
    for (const [name, device] of Object.entries(DEVICE_PROVIDERS)) {
      assert.equal(relative(ROOT, join(ROOT, 'manifests', manifest.modules[name]!)), device, `${name} maps to ${device} on the device`);
    }
  });

  it('the device providers export exactly what the host ones do', () => {
    for (const [host, device] of Object.entries(DEVICE_PROVIDERS)) {
      assert.deepEqual(exportedNames(device), exportedNames(host), `${device}.ts against ${host}.ts`);
    }
  });

  it('no preloaded module keeps mutable state or BigInts in arrays at its top level', () => {
    const devicePaths = firmware.filter((path) => !HOST_ONLY.includes(path)).concat(Object.values(DEVICE_PROVIDERS));
    for (const path of devicePaths) {
      const source = readFileSync(join(ROOT, `${path}.ts`), 'utf8');
      for (const [index, line] of source.split('\n').entries()) {
        const where = `${path}.ts:${index + 1}: ${line.trim()}`;
        assert.ok(!/^(export )?(let|var) /.test(line), `top-level let/var is mutable state in flash: ${where}`);
        assert.ok(!/^(export )?const \w+(: [^=]+)? = new (Map|Set|WeakMap|WeakSet|Uint8Array|Uint16Array|Uint32Array|Int32Array|Array)\b/.test(line), `a top-level container is frozen into flash: ${where}`);
        assert.ok(!/^(export )?const \w+.*= (Object\.freeze\()?\[[^\]]*\d+n\b/.test(line), `BigInts in a top-level array break SDK 8.2.3's linker (xsl): ${where}`);
      }
    }
  });
});
