// `npm run bench:line`: the card line's own cost on the XS device runner (tools/xs/device-runner.c).
// Runs the line probes of tests/scenarios/line-probes.ts ("0:t1-receive": 861 data bytes through
// T1Transport in four chained I-blocks; "0:t0-receive": 256 data bytes through T0Transport after
// one ACK) and prints, per probe and profile: XS computrons of the flow (deterministic) and, unless
// --quick, callgrind's x86_64 instructions of setup + flow minus setup only (as bench.ts counts them).
//
// Usage: node build/tools/bench/line-bench.js [--quick]
import { bundleDevice, computronsOf, runDevice, type RunOptions } from './device.js';

const PROBES = Object.freeze(['t1-receive', 't0-receive'] as const);
const PROFILES = Object.freeze(['esp32', 'host'] as const);

async function instructions(script: string, arg: string, options: RunOptions): Promise<number | null> {
  const full = await runDevice(script, arg, { ...options, callgrind: true });
  const setup = await runDevice(script, arg, { ...options, callgrind: true, setupOnly: true });
  if (full.instructions === null || setup.instructions === null) return null;
  return full.instructions - setup.instructions;
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const script = await bundleDevice({ suites: {} }, 'line-bench');
  console.log('| probe      | profile | computrons | instructions |');
  console.log('|:-----------|:--------|-----------:|-------------:|');
  for (const probe of PROBES) {
    for (const profile of PROFILES) {
      const arg = `0:${probe}`;
      const run = await runDevice(script, arg, { profile });
      if (run.report.status !== 'ok') throw new Error(`${arg} under ${profile}: ${run.report.message}\n${run.stderr}`);
      const counted = quick ? null : await instructions(script, arg, { profile });
      const cell = counted === null ? '-' : counted.toLocaleString('en-US');
      console.log(`| ${probe.padEnd(10)} | ${profile.padEnd(7)} | ${computronsOf(run.report).flow.toLocaleString('en-US').padStart(10)} | ${cell.padStart(12)} |`);
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
