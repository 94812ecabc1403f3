// The terminal firmware on the Moddable SDK's Linux simulator (mcconfig -m -p lin, then mcsim):
// the preloaded firmware modules with the SDK's native crypto, a simulated card slot whose card
// answers over the ISO 7816-3 byte line, a simulated keypad and LCD. For each signature suite it
// issues a card and provisions a terminal (issuer/issuer.ts, here on the native providers), then
// plays a PIN registration (fig. 4) and a service (fig. 5), and once more for P-256 with mutual
// authentication (figs. 6 and 7) and the encrypted card channel ([0021]: the SDK's native ECDH
// and AES) required, and traces what happened:
//   {"suite":"P-256","event":...}   one line per terminal event
//   ok - P-256: ...                  or "not ok - P-256: ERROR"
//   N passed, F failed               last
import { UsageJournal } from '../../firmware/journal/usage-journal.js';
import { createIssuerKey, issueCard, provisionTerminal } from '../../issuer/issuer.js';
import { SimFlash } from '../../hal/sim/flash.js';
import { SimLineReader } from '../../hal/sim/line-slot.js';
import { SeededRandom } from '../../hal/sim/random.js';
import { TerminalRig } from '../../hal/sim/rig.js';
import { SimCard } from '../../hal/sim/sim-card.js';

/** Suite id, name, and whether the terminal requires mutual authentication and the encrypted channel. */
const RUNS = Object.freeze([[1, 'P-256', false], [2, 'Ed25519', false], [3, 'ESIGN', false], [1, 'P-256 mutual+secure', true]] as const);
const START = Date.UTC(2026, 10, 23, 9, 0, 0);

/** The runtime's trace(): a line to the debugger connection or the console. */
function say(line: string): void {
  (globalThis as unknown as { trace: (text: string) => void }).trace(`${line}\n`);
}

async function registrationAndService(suite: number, name: string, later: boolean): Promise<string> {
  const random = new SeededRandom(`moddable-${suite}`);
  const issuer = createIssuerKey(suite, 1, random.source);
  const modes = later ? { mutualAuthentication: 'required', secureChannel: 'required' } as const : {};
  const config = provisionTerminal(issuer, { terminalId: 'T0001', validFrom: '2026-01-01', validTo: '2031-12-31', ...modes }, random.source);
  const issued = issueCard(issuer, { registrationNumber: '12345678', settingNumber: '1357', expiry: '2030-12-31', ...(later ? { agreementKey: true } : {}) }, random.source);
  const card = SimCard.personalise(issued.personalisation, 'alice', random.source);
  const flash = new SimFlash({ sectorSize: 4096, sectorCount: 4 });
  const usage = UsageJournal.open(flash, config.terminalId);
  const rig = new TerminalRig({
    config, usage, flash, startTime: START, seed: `moddable-${suite}`,
    readerOverSlot: (slot) => new SimLineReader(slot),
    onOutput: (output) => {
      if (output.kind === 'event') say(JSON.stringify({ suite: name, ...output.event }));
    },
  });
  await rig.start();
  await rig.insert(card);
  await rig.press('REGISTER', '12345678', 'ENTER', '1357', 'ENTER', '2468', 'ENTER', '2468', 'ENTER');
  await rig.press('2468', 'ENTER', '0312345678', 'ENTER');
  await rig.wait(125);
  await rig.press('END');
  await rig.remove();
  const records = usage.records();
  if (rig.eventsOf('pin-registered').length !== 1) throw new Error('the PIN was not registered');
  if (records.length !== 1 || records[0]!.fee !== 40) throw new Error(`expected one record of 40 JPY, the journal holds ${records.length}`);
  const steps = rig.eventsOf('card-authenticated').map((event) => event.step).join(', ');
  if (later && (rig.eventsOf('secure-channel-opened').length !== 1 || steps !== 'registration, service')) {
    throw new Error(`expected the encrypted channel and figs. 6 and 7, got ${rig.eventsOf('secure-channel-opened').length} channel(s) and authentications "${steps}"`);
  }
  const through = later ? ' (card authenticated at figs. 6 and 7, all through the encrypted channel)' : '';
  return `PIN registered, call of 125 s recorded as #${records[0]!.sequence}, ${records[0]!.fee} JPY${through}`;
}

export default async function main(): Promise<void> {
  say('# simulator-main: started');
  let passed = 0;
  let failed = 0;
  for (const [suite, name, later] of RUNS) {
    try {
      say(`ok - ${name}: ${await registrationAndService(suite, name, later)}`);
      passed++;
    } catch (error) {
      say(`not ok - ${name}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
      failed++;
    }
  }
  say(`${passed} passed, ${failed} failed`);
}
