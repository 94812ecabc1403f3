// The branches of figs. 4 and 5 end to end: issuer, card and terminal on the bench.
import { toHex } from '../../firmware/protocol/bytes.js';
import { INS } from '../../firmware/protocol/commands.js';
import { provisionTerminal, createIssuerKey } from '../../issuer/issuer.js';
import { decodeCertificate, encodeCertificate } from '../../firmware/protocol/data-objects.js';
import { equal, ok, type Scenario } from './scenario.js';
import { ALICE, makeWorld, registerPin, tampered, type World, type WorldOptions } from './world.js';

function lastEvent(world: World): string {
  const event = world.rig.events[world.rig.events.length - 1];
  return event ? event.event : 'none';
}

function screenHas(world: World, text: string): void {
  ok(world.rig.screen.includes(text), `screen should show "${text}", shows:\n${world.rig.screen}`);
}

async function rejectedFor(world: World, reason: string): Promise<void> {
  const rejected = world.rig.eventsOf('card-rejected');
  equal(rejected.length, 1, 'one rejection');
  equal(rejected[0]!.reason, reason, 'rejection reason');
  screenHas(world, 'Please take card');
  await world.rig.remove();
  screenHas(world, 'Please insert card');
}

/** The branches of figs. 4 and 5 with the slot's contacts passing APDUs, or bytes over a line. */
function terminalScenariosOn(contacts: 'apdu' | 'line'): Scenario[] {
  const newWorld = (options: WorldOptions = {}): Promise<World> => makeWorld(contacts === 'line' ? { ...options, line: {} } : options);

  function suiteScenarios(suite: number, name: string): Scenario[] {
    return [
      {
        name: `${name}: register a PIN (fig. 4), then use the service (fig. 5) and write the usage record`,
        async run() {
          const world = await newWorld({ suite });
          const { rig } = world;
          await rig.insert(world.card({ label: 'alice' }));
          equal(rig.eventsOf('card-accepted')[0]?.pinRegistered, false, 'new card has no PIN');
          screenHas(world, 'Enter PIN');
          await registerPin(rig, '2468');
          equal(rig.eventsOf('pin-registered').length, 1, 'PIN registered');
          await rig.press('2468', 'ENTER');
          equal(rig.eventsOf('pin-verified').length, 1, 'PIN verified');
          await rig.press('0312345678', 'ENTER');
          equal(rig.eventsOf('service-started')[0]?.number, '0312345678', 'call to the dialled number');
          await rig.wait(125);
          screenHas(world, '2:');
          await rig.press('END');
          const ended = rig.eventsOf('service-ended')[0]!;
          equal(ended.durationSeconds, 125, 'call duration');
          equal(ended.fee, 10 + 3 * 10, 'connection fee plus three started minutes');
          const written = rig.eventsOf('record-written')[0]!;
          equal(written.registrationNumber, ALICE.registrationNumber, 'record names Nt');
          const records = world.usage.records();
          equal(records.length, 1, 'one record in the journal');
          equal(records[0]!.fee, 40, 'record fee V');
          equal(records[0]!.registrationNumber, ALICE.registrationNumber, 'record Nt');
          equal(records[0]!.startedAt, rig.clock.now() - 125_000, 'record date D is the call start');
          screenHas(world, 'Fee 40 JPY');
          await rig.remove();
          screenHas(world, 'Please insert card');
        },
      },
    ];
  }

  const scenarios: Scenario[] = [
    ...suiteScenarios(1, 'P-256'),
    ...suiteScenarios(2, 'Ed25519'),
    ...suiteScenarios(3, 'ESIGN'),
    {
      name: 'a PIN entered before any is registered is refused with 6984 and REGISTER still works',
      async run() {
        const world = await newWorld();
        await world.rig.insert(world.card({ label: 'alice' }));
        await world.rig.press('1111', 'ENTER');
        equal(world.rig.eventsOf('pin-not-registered').length, 1, 'card answered 6984');
        screenHas(world, 'No PIN registered');
        await registerPin(world.rig, '1111');
        await world.rig.press('1111', 'ENTER');
        equal(world.rig.eventsOf('pin-verified').length, 1, 'PIN verified after registration');
      },
    },
    {
      name: 'wrong registration number: retry, and the third wrong one blocks the card ([0013])',
      async run() {
        const world = await newWorld();
        const card = world.card({ label: 'alice' });
        await world.rig.insert(card);
        await world.rig.press('REGISTER');
        await world.rig.press('11111111', 'ENTER');
        equal(world.rig.eventsOf('wrong-entry')[0]?.triesLeft, 2, 'two tries left');
        await world.rig.press('22222222', 'ENTER');
        await world.rig.press('33333333', 'ENTER');
        equal(world.rig.eventsOf('card-blocked')[0]?.by, 'terminal', 'terminal blocked the card');
        screenHas(world, 'Card blocked');
        await world.rig.remove();
        await world.rig.insert(card);
        equal(world.rig.eventsOf('card-rejected')[0]?.reason, 'blocked', 'blocked card refused when reinserted');
      },
    },
    {
      name: 'wrong setting number: the card counts, and blocks itself on the third',
      async run() {
        const world = await newWorld();
        const card = world.card({ label: 'alice' });
        await world.rig.insert(card);
        await world.rig.press('REGISTER', ALICE.registrationNumber, 'ENTER');
        await world.rig.press('9999', 'ENTER');
        equal(world.rig.eventsOf('wrong-entry')[0]?.triesLeft, 2, 'card says two tries left');
        await world.rig.press('9998', 'ENTER');
        await world.rig.press('9997', 'ENTER');
        equal(world.rig.eventsOf('card-blocked')[0]?.by, 'card', 'the card blocked itself');
        await world.rig.remove();
        await world.rig.insert(card);
        equal(world.rig.eventsOf('card-rejected')[0]?.reason, 'blocked', 'blocked card refused when reinserted');
      },
    },
    {
      name: 'wrong PIN: tries left shown, the third wrong PIN blocks the card, reinsertion refused',
      async run() {
        const world = await newWorld();
        const card = world.card({ label: 'alice' });
        await world.rig.insert(card);
        await registerPin(world.rig, '2468');
        await world.rig.press('1111', 'ENTER');
        equal(world.rig.eventsOf('wrong-entry').map((e) => e.triesLeft), [2], 'two tries left');
        screenHas(world, '2 tries left');
        await world.rig.press('2468', 'ENTER');
        equal(world.rig.eventsOf('pin-verified').length, 1, 'right PIN accepted after a wrong one');
        await world.rig.press('END');
        await world.rig.remove();
        await world.rig.insert(card);
        await world.rig.press('1111', 'ENTER');
        await world.rig.press('1112', 'ENTER');
        await world.rig.press('1113', 'ENTER');
        equal(world.rig.eventsOf('card-blocked')[0]?.step, 'pin', 'blocked on the third wrong PIN');
        await world.rig.remove();
        await world.rig.insert(card);
        equal(world.rig.eventsOf('card-rejected')[0]?.reason, 'blocked', 'blocked card refused when reinserted');
      },
    },
    {
      name: 'tampered Nt, SA1 or SA2 is refused at insertion',
      async run() {
        const world = await newWorld();
        const card = world.card({ label: 'alice' });
        await world.rig.insert(tampered(card, (data) => ({ ...data, registrationNumber: '12345679' })));
        await rejectedFor(world, 'bad-signature');
        world.rig.events.length = 0;
        await world.rig.insert(tampered(card, (data) => ({ ...data, sa1: data.sa1.map((b, i) => (i === 5 ? b ^ 1 : b)) })));
        await rejectedFor(world, 'bad-signature');
        world.rig.events.length = 0;
        await world.rig.insert(tampered(card, (data) => ({ ...data, sa2: data.sa2.map((b, i) => (i === 9 ? b ^ 0x80 : b)) })));
        ok(world.rig.eventsOf('card-rejected')[0]?.detail.includes('SA'), 'names the signature');
        await rejectedFor(world, 'bad-signature');
      },
    },
    {
      name: 'a card from another issuer is refused (unknown key id, or same id and another key)',
      async run() {
        const world = await newWorld();
        const other = createIssuerKey(1, 1, world.random.source);
        await world.rig.insert(world.card({ label: 'forged' }, other));
        await rejectedFor(world, 'bad-signature');
        world.rig.events.length = 0;
        const otherId = createIssuerKey(1, 7, world.random.source);
        await world.rig.insert(world.card({ label: 'foreign' }, otherId));
        await rejectedFor(world, 'unknown-issuer');
      },
    },
    {
      name: 'an expired card is refused ([0020]); one expiring today is accepted',
      async run() {
        const world = await newWorld();
        await world.rig.insert(world.card({ label: 'old', expiry: '2026-11-22' }));
        await rejectedFor(world, 'expired');
        world.rig.events.length = 0;
        await world.rig.insert(world.card({ label: 'today', expiry: '2026-11-23' }));
        equal(world.rig.eventsOf('card-accepted').length, 1, 'card valid through its expiry day');
      },
    },
    {
      name: 'a hotlisted card is refused ([0019])',
      async run() {
        const world = await newWorld({
          config: (issuer, random) => provisionTerminal(issuer, { terminalId: 'T0001', validFrom: '2026-01-01', validTo: '2031-12-31', hotlist: ['00112233445566AA'] }, random.source),
        });
        await world.rig.insert(world.card({ label: 'stolen', cardNumber: '00112233445566aa' }));
        await rejectedFor(world, 'hotlisted');
      },
    },
    {
      name: 'card removed mid-flow: during insertion, at the PIN screen, in registration, during a call',
      async run() {
        const world = await newWorld();
        const { rig } = world;
        const card = world.card({ label: 'alice' });
        rig.slot.pullBeforeCommand((command) => command[1] === INS.READ_CARD_DATA);
        await rig.insert(card);
        equal(rig.eventsOf('card-removed')[0]?.during, 'insertion', 'removed while reading');
        screenHas(world, 'Please insert card');
        await rig.insert(card);
        await rig.press('12');
        await rig.remove();
        equal(rig.eventsOf('card-removed')[1]?.during, 'pin', 'removed at the PIN screen');
        await rig.insert(card);
        await rig.press('REGISTER', ALICE.registrationNumber, 'ENTER');
        await rig.remove();
        equal(rig.eventsOf('card-removed')[2]?.during, 'registration', 'removed during registration');
        await rig.insert(card);
        await registerPin(rig, '2468');
        await rig.press('2468', 'ENTER', '0312345678', 'ENTER');
        await rig.wait(61);
        await rig.remove();
        equal(rig.eventsOf('card-removed')[3]?.during, 'service', 'removed during the call');
        equal(world.usage.records().length, 1, 'the call is still recorded');
        equal(world.usage.records()[0]!.fee, 30, 'and charged for two started minutes');
        screenHas(world, 'Please insert card');
      },
    },
    {
      name: 'power cut at every byte of the REGISTER PIN write: the card holds the old or the new PIN, never a mix',
      async run() {
        const world = await newWorld();
        const probe = world.card({ label: 'probe', cardNumber: '0000000000000001' });
        const image = probe.eeprom.bytes.slice();
        let cutsTried = 0;
        for (let cutAfter = 0; ; cutAfter++) {
          const card = probe.cloneFrom(image);
          await world.rig.insert(card);
          await world.rig.press('REGISTER', ALICE.registrationNumber, 'ENTER', ALICE.settingNumber, 'ENTER', '2468', 'ENTER');
          card.eeprom.cutPowerAfter(cutAfter);
          await world.rig.press('2468', 'ENTER');
          const torn = !world.rig.slot.cardPresent;
          card.eeprom.cutPowerAfter(null);
          if (!torn) {
            await world.rig.remove();
            break; // the write finished before the cut: every byte position has been tried
          }
          cutsTried++;
          world.rig.events.length = 0;
          await world.rig.insert(card);
          const accepted = world.rig.eventsOf('card-accepted')[0];
          ok(accepted, `card readable after a cut at byte ${cutAfter}`);
          await world.rig.press('2468', 'ENTER');
          const verified = world.rig.eventsOf('pin-verified').length === 1;
          const none = world.rig.eventsOf('pin-not-registered').length === 1;
          ok(verified !== none, `after a cut at byte ${cutAfter}: new PIN works (${verified}) xor no PIN (${none})`);
          equal(accepted!.pinRegistered, verified, `PIN state at insertion agrees after a cut at byte ${cutAfter}`);
          await world.rig.press('END');
          await world.rig.remove();
          world.rig.events.length = 0;
        }
        ok(cutsTried > 10, `the registration write spans several bytes (${cutsTried} cut positions tried)`);
      },
    },
    {
      name: 'a terminal certificate from another issuer is refused by the card (6A80)',
      async run() {
        const world = await newWorld({
          config: (issuer, random) => {
            const rogue = createIssuerKey(issuer.suite, issuer.keyId, random.source);
            const rogueConfig = provisionTerminal(rogue, { terminalId: 'T6666', validFrom: '2026-01-01', validTo: '2031-12-31' }, random.source);
            // The rogue terminal trusts the real nA, so it accepts real cards; its own CT is signed by the rogue key.
            return { ...rogueConfig, issuerKeys: [{ suite: issuer.suite, keyId: issuer.keyId, publicKey: issuer.publicKey }] };
          },
        });
        ok(toHex(decodeCertificate(world.config.certificate).signature) !== '', 'certificate decodes');
        await world.rig.insert(world.card({ label: 'alice' }));
        await registerPin(world.rig, '2468');
        equal(world.rig.eventsOf('pin-registered').length, 0, 'no PIN registered');
        screenHas(world, 'Terminal not trusted');
        await world.rig.remove();
        await world.rig.insert(world.card({ label: 'alice-again' }));
        equal(world.rig.eventsOf('card-accepted')[1]?.pinRegistered, false, 'fresh card still without PIN');
        ok(encodeCertificate(decodeCertificate(world.config.certificate)).length > 0, 'round trip');
      },
    },
    {
      name: 'PIN change from the PIN screen: the old PIN stops working, the new one works',
      async run() {
        const world = await newWorld();
        const card = world.card({ label: 'alice' });
        await world.rig.insert(card);
        await registerPin(world.rig, '2468');
        await registerPin(world.rig, '8642');
        equal(world.rig.eventsOf('pin-registered').map((e) => e.change), [false, true], 'registered, then changed');
        await world.rig.press('2468', 'ENTER');
        equal(world.rig.eventsOf('wrong-entry')[0]?.step, 'pin', 'old PIN refused');
        await world.rig.press('8642', 'ENTER');
        equal(world.rig.eventsOf('pin-verified').length, 1, 'new PIN accepted');
      },
    },
    {
      name: 'the new PIN entered twice differently is asked again',
      async run() {
        const world = await newWorld();
        await world.rig.insert(world.card({ label: 'alice' }));
        await world.rig.press('REGISTER', ALICE.registrationNumber, 'ENTER', ALICE.settingNumber, 'ENTER');
        await world.rig.press('1111', 'ENTER', '2222', 'ENTER');
        screenHas(world, 'PINs differ');
        await world.rig.press('3333', 'ENTER', '3333', 'ENTER');
        equal(world.rig.eventsOf('pin-registered').length, 1, 'registered after a matching pair');
      },
    },
    {
      name: 'keypad timeout gives the card back and returns to idle',
      async run() {
        const world = await newWorld();
        await world.rig.insert(world.card({ label: 'alice' }));
        await world.rig.wait(29);
        equal(world.rig.eventsOf('timeout').length, 0, 'not yet');
        await world.rig.wait(2);
        equal(world.rig.eventsOf('timeout')[0]?.during, 'pin', 'timed out at the PIN screen');
        screenHas(world, 'Timed out');
        await world.rig.remove();
        screenHas(world, 'Please insert card');
        equal(lastEvent(world), 'eject', 'last event is the eject');
      },
    },
  ];
  return scenarios.map(({ name, run }) => ({ name: contacts === 'apdu' ? name : `over the byte line (T=1): ${name}`, run }));
}

// Once with whole APDUs through the slot, once over the ISO 7816-3 byte line (ATR, PPS, T=1): the
// slot's hooks (pull the card before a command, a power cut while the card writes) act on both.
export const terminalScenarios: Scenario[] = [...terminalScenariosOn('apdu'), ...terminalScenariosOn('line')];
