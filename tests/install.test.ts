// `npm install` on the Node the README names: no package in the lock may want a newer one, or
// npm prints EBADENGINE warnings a newcomer cannot act on (and `.ci/run`'s --engine-strict fails).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

type Version = readonly [number, number, number];

function version(text: string): Version {
  const parts = text.replace(/^v/, '').split('.').map(Number);
  return [parts[0] ?? 0, parts[1] ?? 0, parts[2] ?? 0];
}

function compare(a: Version, b: Version): number {
  for (let i = 0; i < 3; i += 1) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/**
 * Whether `node` satisfies an npm engines range, for the forms the lock file uses: `*`, `X`,
 * `X.Y`, `X.x` and `X.Y.x` (x-ranges: the same release line as `X`, `X.Y`), `>=X.Y.Z`, `^X.Y`,
 * `A || B`, and space-separated conditions that must all hold.
 * Anything else throws, so a new form is looked at rather than passed.
 */
function satisfies(node: Version, range: string): boolean {
  return range.split('||').some((alternative) => alternative.trim().split(/\s+/).join(' ').replace(/([<>=^~]+) /g, '$1').split(' ').every((condition) => {
    if (condition === '*' || condition === '') return true;
    const match = /^(>=|\^|>|<=|<|=)?(\d+(?:\.\d+){0,2})$/.exec(condition.replace(/^([<>=^]*)(\d+(?:\.\d+)?)(?:\.[xX*])+$/, '$1$2'));
    if (!match) throw new Error(`engines range "${range}": "${condition}" is a form this test does not know`);
    const [, operator = '', text] = match;
    const wanted = version(text!);
    const given = text!.split('.').length;
    const order = compare(node, wanted);
    switch (operator) {
      case '>=': return order >= 0;
      case '>': return order > 0;
      case '<=': return order <= 0;
      case '<': return order < 0;
      case '^': return order >= 0 && node[0] === wanted[0];
      default: // X, X.Y, X.Y.Z: that release line
        return node.slice(0, given).every((part, i) => part === wanted[i]);
    }
  }));
}

describe('npm install on the README\'s Node', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } };
  const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, { engines?: { node?: string } | string[]; optional?: boolean }> };
  const oldest = version(/^>=(\S+)$/.exec(pkg.engines.node)?.[1] ?? '0');

  it('the range checker reads the forms in the lock file as npm does', () => {
    assert.ok(satisfies(version('20.19.0'), '>=18') && !satisfies(version('20.19.0'), '>=22'));
    assert.ok(satisfies(version('20.19.0'), '18 || 20 || >=22') && !satisfies(version('21.1.0'), '18 || 20 || >=22'));
    assert.ok(satisfies(version('20.19.0'), '^20.9 || ^22.11') && !satisfies(version('21.0.0'), '^20.9 || ^22.11'));
    assert.ok(satisfies(version('20.19.0'), '^20.19.0 || >=22.12.0') && !satisfies(version('20.18.0'), '^20.19.0 || >=22.12.0'));
    assert.ok(satisfies(version('14.17.0'), '>=16 || 14 >=14.17') && !satisfies(version('14.16.0'), '>=16 || 14 >=14.17'));
    assert.ok(satisfies(version('20.19.0'), '>= 20.19.0') && satisfies(version('20.19.0'), '*'));
    assert.ok(satisfies(version('20.19.0'), '20.x || 22.x') && !satisfies(version('21.0.0'), '20.x || 22.x'));
    assert.ok(satisfies(version('20.19.0'), '20.19.x') && !satisfies(version('20.18.3'), '20.19.x'));
    assert.ok(satisfies(version('20.19.0'), '>= 10.x') && !satisfies(version('9.11.0'), '>= 10.x'));
  });

  it(`every locked package accepts Node ${oldest.join('.')} (package.json's engines) and the running ${process.version}`, () => {
    const refusing: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      const range = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
      if (path === '' || range === undefined) continue;
      for (const node of [oldest, version(process.version)]) {
        if (!satisfies(node, range)) refusing.push(`${path.replace(/^.*node_modules\//, '')} wants node ${range} (not ${node.join('.')})`);
      }
    }
    assert.deepEqual(refusing, [], 'npm would warn EBADENGINE: pin an older version through package.json "overrides"');
  });
});
