// The engine-neutral scenarios (tests/scenarios/all.ts) inside the XS engine: the same list that
// tests/scenarios.test.ts runs on Node is bundled (tools/xs/bundle.mjs) with xs-main.ts as entry
// and run by the xsnap command-line engine (tools/xs/build-xsnap.mjs, `npm run build:xs`).
// One mocha test per scenario, plus one that checks the run as a whole: every scenario reported,
// a summary line, a clean exit and nothing on stderr (XS reports unhandled rejections there).
import assert from 'node:assert/strict';
import { relative } from 'node:path';
import { bundle } from '../tools/xs/bundle.mjs';
import { requireXsnap, ROOT, runXs, xsnapPackage, xsVersion, type XsRun } from '../tools/xs/xsnap.mjs';
import { allScenarios } from './scenarios/all.js';

const ENTRY = 'tests/scenarios/xs-main.ts';
const RUN_TIMEOUT_MS = 10 * 60_000;

function engineTitle(): string {
  try {
    return `engine: ${xsVersion()} (xsnap from @agoric/xsnap ${xsnapPackage().version})`;
  } catch {
    return 'engine: XS (xsnap not built: run `npm run build:xs`)';
  }
}

interface Outcome {
  readonly ok: boolean;
  readonly message: string;
  readonly details: string[];
}

interface Report {
  plan: number | null;
  readonly outcomes: Map<string, Outcome>;
  summary: { readonly passed: number; readonly failed: number } | null;
  readonly runnerErrors: Outcome[];
  readonly duplicates: string[];
  readonly other: string[];
}

/** Reads xs-main.ts's output; names are matched against the known list (they may contain ": "). */
function parseReport(stdout: string, names: readonly string[]): Report {
  const byLength = [...names].sort((a, b) => b.length - a.length);
  const report: Report = { plan: null, outcomes: new Map(), summary: null, runnerErrors: [], duplicates: [], other: [] };
  let last: Outcome | null = null; // where "  # " detail lines go
  function record(name: string, outcome: Outcome): Outcome {
    if (report.outcomes.has(name)) report.duplicates.push(name);
    report.outcomes.set(name, outcome);
    return outcome;
  }
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    let match: RegExpExecArray | null;
    if (line.startsWith('  # ') && last) {
      last.details.push(line.slice(4));
    } else if (line.startsWith('# ')) {
      last = null;
    } else if ((match = /^1\.\.(\d+)$/.exec(line))) {
      report.plan = Number(match[1]);
    } else if ((match = /^(\d+) passed, (\d+) failed$/.exec(line))) {
      report.summary = { passed: Number(match[1]), failed: Number(match[2]) };
      last = null;
    } else if (line.startsWith('not ok - (runner): ')) {
      last = { ok: false, message: line.slice('not ok - (runner): '.length), details: [] };
      report.runnerErrors.push(last);
    } else if (line.startsWith('not ok - ')) {
      const rest = line.slice('not ok - '.length);
      const name = byLength.find((n) => rest === n || rest.startsWith(`${n}: `));
      if (name === undefined) {
        report.other.push(line);
        last = null;
      } else {
        last = record(name, { ok: false, message: rest.slice(name.length + 2), details: [] });
      }
    } else if (line.startsWith('ok - ')) {
      const name = line.slice('ok - '.length);
      if (names.includes(name)) record(name, { ok: true, message: '', details: [] });
      else report.other.push(line);
      last = null;
    } else {
      report.other.push(line);
      last = null;
    }
  }
  return report;
}

function describeEnd(run: XsRun): string {
  if (run.timedOut) return `xsnap was killed after ${RUN_TIMEOUT_MS / 1000} s (a scenario spins without yielding?)`;
  if (run.signal) return `xsnap died of ${run.signal}`;
  return `xsnap exited with status ${run.status}`;
}

describe(`scenarios on XS — ${engineTitle()}`, function () {
  this.timeout(RUN_TIMEOUT_MS + 60_000);
  let run: XsRun;
  let report: Report;

  before(async function () {
    const binary = requireXsnap(); // fails with "run `npm run build:xs`" when the engine is not built
    const script = await bundle(ENTRY);
    run = await runXs(script, { timeoutMs: RUN_TIMEOUT_MS, binary });
    report = parseReport(run.stdout, allScenarios.map((s) => s.name));
    const summary = report.summary ? `${report.summary.passed} passed, ${report.summary.failed} failed` : 'no summary';
    console.log(`      engine: ${xsVersion(binary)} (xsnap from @agoric/xsnap ${xsnapPackage().version}); ${relative(ROOT, script)}: ${summary} in ${run.ms} ms`);
  });

  it('runs every scenario to the end: plan and summary match allScenarios, clean exit, nothing on stderr', function () {
    const missing = allScenarios.filter((s) => !report.outcomes.has(s.name)).map((s) => s.name);
    const problems: string[] = [];
    if (report.plan !== allScenarios.length) problems.push(`XS planned ${report.plan ?? 'no'} scenarios, allScenarios has ${allScenarios.length}`);
    if (missing.length > 0) problems.push(`no result for ${missing.length} scenario(s), the first being "${missing[0]}" (the one running when the engine stopped?)`);
    if (report.duplicates.length > 0) problems.push(`reported twice: ${report.duplicates.join(', ')}`);
    for (const error of report.runnerErrors) problems.push([`runner: ${error.message}`, ...error.details].join('\n'));
    if (!report.summary) problems.push('no "N passed, N failed" line: the run did not finish');
    else if (report.summary.passed + report.summary.failed !== allScenarios.length) {
      problems.push(`summary counts ${report.summary.passed + report.summary.failed} scenarios, allScenarios has ${allScenarios.length}`);
    }
    if (run.status !== 0 || run.signal || run.timedOut) problems.push(describeEnd(run));
    if (run.stderr.trim() !== '') problems.push(`stderr (XS reports unhandled rejections and aborts there):\n${run.stderr.trim()}`);
    if (report.other.length > 0) problems.push(`unexpected output:\n${report.other.join('\n')}`);
    if (problems.length > 0) assert.fail(problems.join('\n'));
  });

  for (const scenario of allScenarios) {
    it(scenario.name, function () {
      const outcome = report.outcomes.get(scenario.name);
      if (!outcome) {
        assert.fail(`no result from XS for this scenario: ${describeEnd(run)}${run.stderr.trim() ? `\nstderr:\n${run.stderr.trim()}` : ''}`);
      }
      if (!outcome.ok) assert.fail([`on XS: ${outcome.message}`, ...outcome.details].join('\n'));
    });
  }
});
