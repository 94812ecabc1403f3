// Entry point for running every scenario inside the XS engine (xsnap). tools/xs/bundle.mjs turns it
// into one ES2020 script; tests/xs.test.ts runs that in xsnap and reads what it prints:
//
//   # engine: ...                     what this side can see of the engine
//   1..N                              how many scenarios there are
//   ok - NAME                         one line per scenario, in order
//   not ok - NAME: ERROR              (then "  # ..." lines with the rest of the message and stack)
//   P passed, F failed                last line, only once every scenario has finished
//
// Engine-neutral: no Node API, only what xsnap provides (print, setImmediate), found at run time.
//
// A scenario that waits on a promise nothing will ever settle must fail, not vanish: xsnap runs
// promise jobs, then setImmediate callbacks, and exits when both queues are empty. So a watchdog
// on setImmediate runs only once the promise jobs have drained; if at that point no scenario
// callback is queued either, the running scenario can never finish: it is reported as hung and
// the run goes on with the next one.
import { allScenarios } from './all.js';
import type { Scenario } from './scenario.js';

type Immediate = (callback: () => void) => unknown;

interface XsGlobals {
  print?: (...values: unknown[]) => void;
  setImmediate?: Immediate;
  setTimeout?: unknown;
  console?: unknown;
  harden?: unknown;
}

const host = globalThis as unknown as XsGlobals;
const print = host.print;
const originalSetImmediate = host.setImmediate;
if (typeof print !== 'function' || typeof originalSetImmediate !== 'function') {
  throw new Error('tests/scenarios/xs-main.ts runs inside xsnap (needs print and setImmediate); on Node run the scenarios with mocha');
}
const schedule: Immediate = originalSetImmediate;

// Count the setImmediate callbacks scenario code has queued and not yet run.
let queued = 0;
host.setImmediate = (callback: () => void) => {
  queued++;
  return schedule(() => {
    queued--;
    callback();
  });
};

function line(text: string): void {
  print!(text);
}

/** The failure of a scenario that can never finish; its stack would only show the runner. */
class ScenarioHung extends Error {
  override name = 'ScenarioHung';
}

function describeError(error: unknown): { headline: string; details: string[] } {
  if (error instanceof ScenarioHung) return { headline: `${error.name}: ${error.message}`, details: [] };
  if (error instanceof Error) {
    const text = `${error.name}: ${error.message}`;
    const [headline, ...rest] = text.split('\n');
    const stack = typeof error.stack === 'string' ? error.stack.split('\n').filter((l) => l.trim() !== '' && !text.includes(l)) : [];
    return { headline: headline!, details: [...rest, ...stack] };
  }
  const [headline, ...rest] = String(error).split('\n');
  return { headline: `thrown non-Error: ${headline}`, details: rest };
}

/** Called by the watchdog when nothing is left to run but the current scenario has not settled. */
let onStall: (() => void) | null = null;
let finished = false;

function watchdog(): void {
  if (finished) return;
  if (queued === 0) {
    if (onStall) {
      const stall = onStall;
      onStall = null;
      stall();
    } else {
      // Between scenarios the runner moves on through promise jobs alone, so this means the
      // runner itself is stuck: say so rather than ending without a summary.
      line('not ok - (runner): the scenario runner stopped without finishing');
      return;
    }
  }
  schedule(watchdog);
}

const HUNG = Object.freeze({ hung: true });

async function runOne(scenario: Scenario): Promise<{ ok: true } | { ok: false; error: unknown }> {
  const stalled = new Promise<typeof HUNG>((resolve) => {
    onStall = () => resolve(HUNG);
  });
  try {
    const outcome = await Promise.race([Promise.resolve().then(() => scenario.run()), stalled]);
    if (outcome === HUNG) {
      return {
        ok: false,
        error: new ScenarioHung('never settled: it waits on a promise that nothing will resolve (no promise jobs or setImmediate callbacks left)'),
      };
    }
    return { ok: true };
  } catch (error) {
    return { ok: false, error };
  } finally {
    onStall = null;
  }
}

async function main(): Promise<void> {
  line(`# engine: print ${typeof print}, setImmediate ${typeof originalSetImmediate}, setTimeout ${typeof host.setTimeout}, console ${typeof host.console}, harden ${typeof host.harden}`);
  line(`1..${allScenarios.length}`);
  let passed = 0;
  let failed = 0;
  for (const scenario of allScenarios) {
    const result = await runOne(scenario);
    if (result.ok) {
      passed++;
      line(`ok - ${scenario.name}`);
    } else {
      failed++;
      const { headline, details } = describeError(result.error);
      line(`not ok - ${scenario.name}: ${headline}`);
      for (const detail of details) line(`  # ${detail}`);
    }
  }
  finished = true;
  line(`${passed} passed, ${failed} failed`);
}

schedule(watchdog);
main().catch((error: unknown) => {
  finished = true;
  const { headline, details } = describeError(error);
  line(`not ok - (runner): ${headline}`);
  for (const detail of details) line(`  # ${detail}`);
});
