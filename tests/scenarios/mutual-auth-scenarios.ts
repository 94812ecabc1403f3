// Mutual authentication, patent figs. 6 and 7 ([0016]-[0018]; firmware/terminal/mutual-auth.ts):
// the terminal's R, the card's X and SU = Sig_U(R ‖ X) checked with the nU that SA1 certifies,
// before a PIN is registered (ST then covers R ‖ X ‖ Nc) and before a service is given; and the
// attacks it stops, each named after the attack. Engine-neutral: runs on Node and on XS.
import { INS } from '../../firmware/protocol/commands.js';
import { TAG } from '../../firmware/protocol/data-objects.js';
import { decodeTlvs } from '../../firmware/protocol/tlv.js';
import type { TerminalConfig } from '../../firmware/terminal/config.js';
import type { MutualAuthenticationMode } from '../../firmware/terminal/mutual-auth.js';
import type { CardDevice } from '../../hal/sim/card-slot.js';
import { SimCard } from '../../hal/sim/sim-card.js';
import { issueCard, provisionTerminal, type IssuerKey } from '../../issuer/issuer.js';
import type { SeededRandom } from '../../hal/sim/random.js';
import { equal, ok, type Scenario } from './scenario.js';
import { ALICE, makeWorld, registerPin, type World } from './world.js';

const PIN = '2468';

/** Every command APDU the card was sent, and its answer, as they crossed the contacts. */
interface Exchange {
  readonly command: Uint8Array;
  readonly response: Uint8Array;
}

/** The card, with a wiretap on its contacts. */
function tapped(card: CardDevice, exchanges: Exchange[]): CardDevice {
  return {
    label: card.label,
    reset: () => card.reset(),
    process(command) {
      const response = card.process(command);
      exchanges.push({ command: command.slice(), response: response.slice() });
      return response;
    },
  };
}

/** A terminal of the one world issuer (same seed, so cards of one world are good in the other), `mode` configured. */
async function world(mode: MutualAuthenticationMode, terminalId = 'T0001'): Promise<World> {
  const config = (issuer: IssuerKey, random: SeededRandom): TerminalConfig =>
    provisionTerminal(issuer, { terminalId, validFrom: '2026-01-01', validTo: '2031-12-31', mutualAuthentication: mode }, random.source);
  return makeWorld({ config });
}

/** Inserts the card, registers PIN and calls for 30 s; the rig's events tell what happened. */
async function registerAndCall(w: World, card: CardDevice): Promise<void> {
  w.rig.events.length = 0;
  await w.rig.insert(card);
  await registerPin(w.rig, PIN);
  await w.rig.press(PIN, 'ENTER');
  if (w.rig.eventsOf('pin-verified').length > 0 && w.rig.eventsOf('card-not-genuine').length === 0) {
    await w.rig.press('0312345678', 'ENTER');
    await w.rig.wait(30);
    await w.rig.press('END');
  }
  await w.rig.remove();
}

const insOf = (exchange: Exchange) => exchange.command[1]!;

export const mutualAuthScenarios: readonly Scenario[] = [
  {
    name: 'fig. 6: registration with mutual authentication: INTERNAL AUTHENTICATE R, the card answers X and SU, REGISTER PIN carries R and X under ST',
    async run() {
      const w = await world('required');
      const exchanges: Exchange[] = [];
      await w.rig.insert(tapped(w.card({ label: 'alice' }), exchanges));
      await registerPin(w.rig, PIN);
      equal(w.rig.eventsOf('card-authenticated').map((e) => e.step), ['registration'], 'SU checked before REGISTER PIN');
      equal(w.rig.eventsOf('pin-registered').length, 1, 'the card took the PIN');
      const auth = exchanges.findIndex((e) => insOf(e) === INS.INTERNAL_AUTHENTICATE);
      const register = exchanges.findIndex((e) => insOf(e) === INS.REGISTER_PIN);
      ok(auth >= 0 && register > auth, 'INTERNAL AUTHENTICATE comes before REGISTER PIN');
      const r = exchanges[auth]!.command.subarray(5, 5 + exchanges[auth]!.command[4]!);
      const x = exchanges[auth]!.response.subarray(0, 8);
      const fields = decodeTlvs(exchanges[register]!.command.subarray(5, 5 + exchanges[register]!.command[4]!));
      equal(fields.find((f) => f.tag === TAG.TERMINAL_RANDOM)?.value, r, 'R in REGISTER PIN is the R sent');
      equal(fields.find((f) => f.tag === TAG.CARD_RANDOM)?.value, x, 'X in REGISTER PIN is the card\'s X');
      await w.rig.remove();
    },
  },
  {
    name: 'fig. 7: service with mutual authentication: after VERIFY PIN the card proves its card key, then the call is given and recorded',
    async run() {
      const w = await world('required');
      await registerAndCall(w, w.card({ label: 'alice' }));
      equal(w.rig.eventsOf('card-authenticated').map((e) => e.step), ['registration', 'service'], 'both figures');
      equal(w.rig.eventsOf('service-started').length, 1, 'the call was given');
      equal(w.rig.eventsOf('record-written').length, 1, 'and recorded');
    },
  },
  {
    name: 'attack: a clone that has the card data but not the card key is refused before registration and before service',
    async run() {
      const w = await world('required');
      const issued = issueCard(w.issuer, { ...ALICE }, w.random.source);
      const otherKey = issueCard(w.issuer, { ...ALICE, registrationNumber: '99999999' }, w.random.source).personalisation.cardSecretKey;
      const genuine = SimCard.personalise(issued.personalisation, 'alice', w.random.source);
      const clone = SimCard.personalise({ ...issued.personalisation, cardSecretKey: otherKey }, 'clone', w.random.source);
      await w.rig.insert(clone);
      equal(w.rig.eventsOf('card-accepted').length, 1, 'the copied card data pass SA1 and SA2 at insertion');
      await registerPin(w.rig, PIN);
      equal(w.rig.eventsOf('card-not-genuine').map((e) => e.step), ['registration'], 'caught at fig. 6');
      equal(w.rig.eventsOf('pin-registered').length, 0, 'no PIN registered on the clone');
      ok(w.rig.screen.includes('Card not genuine'), `the LCD says why: ${w.rig.screen}`);
      await w.rig.remove();
      // The clone given a PIN at a terminal that does not authenticate cards: served there, refused here.
      const lax = await world('off', 'lax');
      await registerAndCall(lax, clone);
      equal(lax.rig.eventsOf('service-started').length, 1, 'a terminal without mutual authentication cannot tell');
      w.rig.events.length = 0;
      await w.rig.insert(clone);
      await w.rig.press(PIN, 'ENTER');
      equal(w.rig.eventsOf('pin-verified').length, 1, 'the clone checks its own PIN');
      equal(w.rig.eventsOf('card-not-genuine').map((e) => e.step), ['service'], 'caught at fig. 7');
      equal(w.rig.eventsOf('service-started').length, 0, 'no service');
      await w.rig.remove();
      equal(genuine.label, 'alice', 'the genuine card');
    },
  },
  {
    name: 'attack: replay of recorded APDUs in a later session: the recorded SU does not sign the new R, no service',
    async run() {
      const w = await world('required');
      const card = w.card({ label: 'alice' });
      const recorded: Exchange[] = [];
      await registerAndCall(w, tapped(card, recorded));
      equal(w.rig.eventsOf('service-started').length, 1, 'the recorded session was served');
      // A device that answers each command with what the real card answered to the same INS last time.
      const answers = new Map<number, Uint8Array[]>();
      for (const e of recorded) answers.set(insOf(e), [...(answers.get(insOf(e)) ?? []), e.response]);
      const replayer: CardDevice = {
        label: 'replayer',
        reset: () => card.reset(),
        process(command) {
          const queue = answers.get(command[1]!) ?? [];
          return queue.length > 1 ? queue.shift()! : queue[0] ?? Uint8Array.of(0x6d, 0x00);
        },
      };
      w.rig.events.length = 0;
      await w.rig.insert(replayer);
      await w.rig.press(PIN, 'ENTER');
      equal(w.rig.eventsOf('pin-verified').length, 1, 'the replayed VERIFY answer 9000 passes (the PIN is the card\'s to check)');
      equal(w.rig.eventsOf('card-not-genuine').map((e) => e.step), ['service'], 'the replayed SU is over the old R');
      equal(w.rig.eventsOf('service-started').length, 0, 'no service');
      await w.rig.remove();
    },
  },
  {
    name: 'mutual authentication per card: a card application without a card key (INTERNAL AUTHENTICATE 6D00) keeps the basic flows when-supported, and is refused where it is required',
    async run() {
      const withoutKey = (card: CardDevice): CardDevice => ({
        label: `${card.label} (no card key)`,
        reset: () => card.reset(),
        process: (command) => (command[1] === INS.INTERNAL_AUTHENTICATE ? Uint8Array.of(0x6d, 0x00) : card.process(command)),
      });
      const lenient = await world('when-supported');
      await registerAndCall(lenient, withoutKey(lenient.card({ label: 'alice' })));
      equal(lenient.rig.eventsOf('pin-registered').length, 1, 'registered with the basic flow (fig. 4)');
      equal(lenient.rig.eventsOf('service-started').length, 1, 'served with the basic flow (fig. 5)');
      equal(lenient.rig.eventsOf('card-authenticated').length, 0, 'nothing to authenticate');
      const strict = await world('required');
      await registerAndCall(strict, withoutKey(strict.card({ label: 'alice' })));
      equal(strict.rig.eventsOf('card-not-genuine').map((e) => e.step), ['registration'], 'refused at registration');
      equal(strict.rig.eventsOf('pin-registered').length, 0, 'no PIN');
      const off = await world('off');
      const exchanges: Exchange[] = [];
      await registerAndCall(off, tapped(off.card({ label: 'alice' }), exchanges));
      ok(!exchanges.some((e) => insOf(e) === INS.INTERNAL_AUTHENTICATE), 'off: never asked');
      equal(off.rig.eventsOf('service-started').length, 1, 'served');
    },
  },
];
