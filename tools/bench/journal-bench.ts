// `npm run bench:journal`: the usage journal's append, unit update and recovery on XS, for a full
// journal on the board's partition (tests/scenarios/journal-probes.ts: 16 sectors of 4 KiB, 495 of
// 496 slots pending), on the XS device runner (tools/xs/device-runner.c) with the esp32 profile's
// heap. Per probe it prints, for the flow alone (the operation, not the setup that fills the journal):
//   - XS computrons (deterministic);
//   - x86_64 instructions: callgrind's count of setup + flow minus that of setup only (--quick: skipped);
//   - RV32 instructions: the bare-metal RV32IMAC runner's own instret count in QEMU, exact (--rv32);
//   - the flow's peak heap above what setup left: chunk bytes and slots.
// The "none" probe is a flow that does nothing: what the runner charges for any flow.
//
// Usage: node build/tools/bench/journal-bench.js [--quick] [--rv32]
import { JOURNAL_PROBES } from '../../tests/scenarios/journal-probes.js';
import { computronsOf, ESP32_FIRMWARE, runDevice, type RunOptions } from './device.js';
import { bundleJournalProbes } from './journal-device.js';

async function callgrindInstructions(script: string, arg: string, options: RunOptions): Promise<number | null> {
  const full = await runDevice(script, arg, { ...options, callgrind: true });
  const setup = await runDevice(script, arg, { ...options, callgrind: true, setupOnly: true });
  if (full.instructions === null || setup.instructions === null) return null;
  return full.instructions - setup.instructions;
}

const count = (value: number | null): string => (value === null ? '-' : value.toLocaleString('en-US'));

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const rv32 = process.argv.includes('--rv32');
  const script = await bundleJournalProbes();
  console.log('Usage journal on XS, full journal (board partition: 16 × 4 KiB, 495 of 496 slots pending), esp32 heap profile; flow only');
  console.log('| probe      | computrons | x86_64 instructions (callgrind) | RV32 instructions (instret) | flow peak chunk bytes | flow peak slots |');
  console.log('|:-----------|-----------:|--------------------------------:|----------------------------:|----------------------:|----------------:|');
  for (const probe of JOURNAL_PROBES) {
    const arg = `journal:${probe}`;
    const run = await runDevice(script, arg, ESP32_FIRMWARE);
    if (run.report.status !== 'ok') throw new Error(`${arg}: ${run.report.status} in ${run.report.phase}: ${run.report.message}\n${run.stderr}`);
    const x86 = quick ? null : await callgrindInstructions(script, arg, ESP32_FIRMWARE);
    let instret: number | null = null;
    if (rv32) {
      const onRv32 = await runDevice(script, arg, { ...ESP32_FIRMWARE, target: 'rv32' });
      if (onRv32.report.status !== 'ok') throw new Error(`${arg} on RV32: ${onRv32.report.message}\n${onRv32.stderr}`);
      instret = onRv32.instructions;
    }
    const { flowPeakChunks, flowPeakSlots } = run.report;
    console.log(`| ${probe.padEnd(10)} | ${count(computronsOf(run.report).flow).padStart(10)} | ${count(x86).padStart(31)} | ${count(instret).padStart(27)} | ${count(flowPeakChunks).padStart(21)} | ${count(flowPeakSlots).padStart(15)} |`);
  }
  if (quick) console.log('(--quick: no callgrind)');
  if (!rv32) console.log('(RV32 column with --rv32: needs the RISC-V runner, npm run build:xs-device)');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
