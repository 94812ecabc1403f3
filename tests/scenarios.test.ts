// The engine-neutral scenarios (tests/scenarios/all.ts) on Node; tests/xs.test.ts runs the same list on XS.
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { allScenarios } from './scenarios/all.js';

describe(`scenarios on Node — engine: Node ${process.version}`, function () {
  // mocha re-emits unhandled rejections on process and nothing fails; a scenario that leaves a
  // rejected promise behind must fail here as it does on XS (where xsnap reports it on stderr).
  const unhandled = new Set<unknown>();
  const onUnhandled = (reason: unknown): void => {
    unhandled.add(reason);
  };
  before(() => process.on('unhandledRejection', onUnhandled));
  after(() => process.off('unhandledRejection', onUnhandled));

  for (const scenario of allScenarios) {
    it(scenario.name, async function () {
      unhandled.clear();
      await scenario.run();
      await nextMacrotask(); // lets Node deliver unhandledRejection for promises the scenario dropped
      if (unhandled.size > 0) {
        const reasons = [...unhandled].map((reason) => (reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason)));
        throw new Error(`unhandled rejection left behind by the scenario: ${reasons.join('; ')}`);
      }
    });
  }
});
