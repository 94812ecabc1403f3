// Every engine-neutral scenario list, in one place: tests/scenarios.test.ts runs them on Node and
// tests/xs.test.ts bundles xs-main.ts, which runs them inside the XS engine. Add a new list here.
import { atrScenarios } from './atr-scenarios.js';
import { blockCardScenarios } from './block-card-scenarios.js';
import { callJournalScenarios } from './call-journal-scenarios.js';
import { cardScenarios } from './card-scenarios.js';
import { cryptoProviderScenarios } from './crypto-provider-scenarios.js';
import { cardTearingScenarios } from './card-tearing-scenarios.js';
import { esignScenarios } from './esign-scenarios.js';
import { hotlistScenarios } from './hotlist-scenarios.js';
import { iso7816Scenarios } from './iso7816-scenarios.js';
import { journalScenarios } from './journal-scenarios.js';
import { mutualAuthScenarios } from './mutual-auth-scenarios.js';
import { protocolScenarios } from './protocol-scenarios.js';
import { secureChannelScenarios } from './secure-channel-scenarios.js';
import { secureSessionScenarios } from './secure-session-scenarios.js';
import { t1AnnexAScenarios } from './t1-annex-a-scenarios.js';
import { terminalScenarios } from './terminal-scenarios.js';
import { twinCardScenarios } from './twin-card-scenarios.js';
import { twinBoardScenarios } from './twin-board-scenarios.js';
import { twinExpanderScenarios } from './twin-expander-scenarios.js';
import { twinTerminalScenarios } from './twin-terminal-scenarios.js';
import { uploadScenarios } from './upload-scenarios.js';
import { uploaderScenarios } from './uploader-scenarios.js';
import type { Scenario } from './scenario.js';

function gather(...lists: ReadonlyArray<readonly Scenario[]>): readonly Scenario[] {
  const all = lists.flat();
  const seen = new Set<string>();
  for (const scenario of all) {
    // The XS runner reports results by name, so a repeated name would hide a scenario.
    if (scenario.name.trim() === '' || /[\r\n]/.test(scenario.name)) throw new Error(`scenario name ${JSON.stringify(scenario.name)} must be one non-empty line`);
    if (seen.has(scenario.name)) throw new Error(`two scenarios are named "${scenario.name}": names must be unique`);
    seen.add(scenario.name);
  }
  return Object.freeze(all);
}

export const allScenarios: readonly Scenario[] = gather(
  protocolScenarios,
  journalScenarios,
  hotlistScenarios,
  callJournalScenarios,
  mutualAuthScenarios,
  secureSessionScenarios,
  esignScenarios,
  cryptoProviderScenarios,
  secureChannelScenarios,
  cardScenarios,
  cardTearingScenarios,
  terminalScenarios,
  blockCardScenarios,
  iso7816Scenarios,
  atrScenarios,
  t1AnnexAScenarios,
  twinBoardScenarios,
  twinCardScenarios,
  twinExpanderScenarios,
  twinTerminalScenarios,
  uploadScenarios,
  uploaderScenarios,
);
