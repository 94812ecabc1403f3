// The journal probes (tests/scenarios/journal-probes.ts) as a device-runner bundle: used by
// `npm run bench:journal` (tools/bench/journal-bench.ts) and tests/journal-device.test.ts.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundle } from '../xs/bundle.mjs';
import { ROOT } from '../xs/xsnap.mjs';

/** Writes the entry that installs the probes for the board's partition and bundles it; returns the bundle's path. */
export async function bundleJournalProbes(): Promise<string> {
  const dir = join(ROOT, 'build', 'device', 'journal-bench');
  mkdirSync(dir, { recursive: true });
  const entry = join(dir, 'entry.mjs');
  const probes = join(ROOT, 'tests', 'scenarios', 'journal-probes.ts');
  writeFileSync(entry, `import { installJournalProbes } from ${JSON.stringify(probes)};\ninstallJournalProbes();\n`);
  return bundle(entry, join(dir, 'journal-bench.js'));
}
