// The encrypted card channel in the terminal's flows (patent [0021]; firmware/terminal/secure-session.ts):
// after the insertion checks the terminal agrees SCP11b keys with the card and every later APDU is
// wrapped, so an eavesdropper on the contacts learns neither Ns, the PIN nor R and X, and a man in
// the middle cannot change a status word. Each attack is named after itself. Engine-neutral.
import { asciiBytes } from '../../firmware/protocol/bytes.js';
import { INS } from '../../firmware/protocol/commands.js';
import type { TerminalConfig } from '../../firmware/terminal/config.js';
import type { CardDevice } from '../../hal/sim/card-slot.js';
import type { SeededRandom } from '../../hal/sim/random.js';
import { SimCard } from '../../hal/sim/sim-card.js';
import { issueCard, provisionTerminal, type IssuerKey } from '../../issuer/issuer.js';
import { equal, ok, type Scenario } from './scenario.js';
import { ALICE, makeWorld, registerPin, type World } from './world.js';

const PIN = '2468';
type Mode = 'off' | 'when-supported' | 'required';

/** Every byte that crossed the contacts, both ways, and each command's CLA after the key agreement. */
interface Wiretap {
  readonly bytes: Uint8Array[];
  readonly commands: Uint8Array[];
}

function tapped(card: CardDevice, tap: Wiretap, rewrite: (command: Uint8Array, response: Uint8Array) => Uint8Array = (_c, r) => r): CardDevice {
  return {
    label: card.label,
    reset: () => card.reset(),
    process(command) {
      const response = rewrite(command, card.process(command));
      tap.commands.push(command.slice());
      tap.bytes.push(command.slice(), response.slice());
      return response;
    },
  };
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

async function world(secureChannel: Mode, mutualAuthentication: Mode = 'required'): Promise<World> {
  return makeWorld({
    config: (issuer: IssuerKey, random: SeededRandom): TerminalConfig =>
      provisionTerminal(issuer, { terminalId: 'T0001', validFrom: '2026-01-01', validTo: '2031-12-31', secureChannel, mutualAuthentication }, random.source),
  });
}

/** Registers the PIN and makes a 30 s call with the card; returns what the wiretap saw. */
async function session(w: World, card: CardDevice, tap: Wiretap): Promise<void> {
  await w.rig.insert(tapped(card, tap));
  await registerPin(w.rig, PIN);
  await w.rig.press(PIN, 'ENTER');
  await w.rig.press('0312345678', 'ENTER');
  await w.rig.wait(30);
  await w.rig.press('END');
  await w.rig.remove();
}

function secretsSeen(tap: Wiretap): string[] {
  const secrets: Record<string, Uint8Array> = { 'setting number': asciiBytes(ALICE.settingNumber), PIN: asciiBytes(PIN), 'registration number in a command': asciiBytes(ALICE.registrationNumber) };
  return Object.entries(secrets).filter(([, bytes]) => tap.commands.some((command) => contains(command, bytes))).map(([name]) => name);
}

export const secureSessionScenarios: readonly Scenario[] = [
  {
    name: 'attack: an eavesdropper on the contacts learning the PIN: with the encrypted channel no Ns, PIN or R, X crosses in clear; without it, they do',
    async run() {
      const clear = await world('off');
      const clearTap: Wiretap = { bytes: [], commands: [] };
      await session(clear, clear.card({ label: 'alice', agreementKey: true }), clearTap);
      equal(clear.rig.eventsOf('service-started').length, 1, 'served in clear');
      equal(secretsSeen(clearTap).filter((name) => name !== 'registration number in a command'), ['setting number', 'PIN'], 'in clear the wiretap reads Ns and the PIN');

      const secure = await world('required');
      const tap: Wiretap = { bytes: [], commands: [] };
      await session(secure, secure.card({ label: 'alice', agreementKey: true }), tap);
      equal(secure.rig.eventsOf('secure-channel-opened').length, 1, 'the channel was opened');
      equal(secure.rig.eventsOf('pin-registered').length, 1, 'PIN registered through the channel');
      equal(secure.rig.eventsOf('card-authenticated').map((e) => e.step), ['registration', 'service'], 'figs. 6 and 7 through the channel');
      equal(secure.rig.eventsOf('record-written').length, 1, 'the call was given and recorded');
      equal(secretsSeen(tap), [], 'nothing secret in any command');
      const agreement = tap.commands.findIndex((c) => c[0] === 0x80 && c[1] === INS.INTERNAL_AUTHENTICATE);
      ok(agreement > 0, 'the key agreement was sent');
      const after = tap.commands.slice(agreement + 1).filter((c) => c[1] !== INS.GET_RESPONSE && c[1] !== INS.SELECT);
      equal(after.map((c) => c[1]), [INS.VERIFY, INS.INTERNAL_AUTHENTICATE, INS.REGISTER_PIN, INS.VERIFY, INS.INTERNAL_AUTHENTICATE], 'Ns, fig. 6, REGISTER PIN, the PIN, fig. 7: all after the agreement');
      ok(after.every((c) => (c[0]! & 0x04) !== 0), 'every later command carries secure messaging (CLA bit 0x04)');
    },
  },
  {
    name: 'attack: a man in the middle between terminal and card changing a status word: a wrong PIN\'s 63C2 made 9000 gives service in clear, a card error through the channel',
    async run() {
      for (const mode of ['off', 'required'] as const) {
        const w = await world(mode, 'off');
        const card = w.card({ label: 'alice', agreementKey: true });
        await w.rig.insert(card);
        await registerPin(w.rig, PIN);
        await w.rig.remove();
        w.rig.events.length = 0;
        const tap: Wiretap = { bytes: [], commands: [] };
        const forge = (command: Uint8Array, response: Uint8Array): Uint8Array => {
          const isVerifyPin = (command[1] === INS.VERIFY) && command[3] === 0x81 && command.length > 5;
          if (!isVerifyPin || response[response.length - 2] !== 0x63) return response;
          const forged = response.slice();
          forged[forged.length - 2] = 0x90;
          forged[forged.length - 1] = 0x00;
          return forged;
        };
        await w.rig.insert(tapped(card, tap, forge));
        await w.rig.press('1111', 'ENTER');
        if (mode === 'off') {
          equal(w.rig.eventsOf('pin-verified').length, 1, 'in clear the forged 9000 passes for a right PIN');
        } else {
          equal(w.rig.eventsOf('pin-verified').length, 0, 'through the channel the forged status is caught');
          equal(w.rig.eventsOf('card-error').length, 1, 'as a card error');
          ok(w.rig.eventsOf('card-error')[0]!.detail.includes('R-MAC'), `because of the R-MAC: ${w.rig.eventsOf('card-error')[0]!.detail}`);
        }
        if (w.rig.slot.cardPresent) await w.rig.remove();
      }
    },
  },
  {
    name: 'encrypted channel per card: a card issued without an agreement key goes on in clear when-supported and is refused where the channel is required; a clone without the agreement secret is refused',
    async run() {
      const older = (w: World) => SimCard.personalise(issueCard(w.issuer, { ...ALICE }, w.random.source).personalisation, 'older', w.random.source);
      const lenient = await world('when-supported', 'off');
      const tap: Wiretap = { bytes: [], commands: [] };
      await session(lenient, older(lenient), tap);
      equal(lenient.rig.eventsOf('secure-channel-opened').length, 0, 'no channel');
      equal(lenient.rig.eventsOf('service-started').length, 1, 'served in clear');
      const strict = await world('required', 'off');
      await strict.rig.insert(older(strict));
      equal(strict.rig.eventsOf('card-not-genuine').map((e) => e.step), ['secure-channel'], 'refused');
      ok(strict.rig.screen.includes('Card not supported'), `the LCD says why: ${strict.rig.screen}`);
      await strict.rig.remove();
      // A clone: the genuine card data (SA1 certifies the agreement key) over another secret.
      strict.rig.events.length = 0;
      const issued = issueCard(strict.issuer, { ...ALICE, agreementKey: true }, strict.random.source);
      const otherSecret = issueCard(strict.issuer, { ...ALICE, agreementKey: true }, strict.random.source).personalisation.cardAgreementSecret!;
      await strict.rig.insert(SimCard.personalise({ ...issued.personalisation, cardAgreementSecret: otherSecret }, 'clone', strict.random.source));
      equal(strict.rig.eventsOf('card-not-genuine').map((e) => e.step), ['secure-channel'], 'the clone cannot make the receipt');
      ok(strict.rig.screen.includes('Card not genuine'), `the LCD says why: ${strict.rig.screen}`);
      await strict.rig.remove();
    },
  },
];
