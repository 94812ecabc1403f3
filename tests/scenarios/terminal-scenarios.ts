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

  /** A new world whose card has PIN 2468 and is on a call to 0312345678 that has just started. */
  async function inCall(): Promise<World> {
    const world = await newWorld();
    await world.rig.insert(world.card({ label: 'alice' }));
    await registerPin(world.rig, '2468');
    await world.rig.press('2468', 'ENTER', '0312345678', 'ENTER');
    return world;
  }

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
      name: 'a card that answers 61xx to every GET RESPONSE is a card error: the session ends, the next card is served (fuzz regression)',
      async run() {
        const world = await newWorld();
        const card = world.card({ label: 'alice' });
        // After SELECT, "more data" for ever: the terminal gives up after 32 GET RESPONSE (card-link.ts).
        const endless = { label: 'endless 61xx', reset: () => card.reset(), process: (command: Uint8Array) => (command[1] === INS.SELECT ? card.process(command) : Uint8Array.of(0x61, 0xff)) };
        await world.rig.insert(endless);
        equal(world.rig.eventsOf('card-error').length, 1, 'a card error, not a crash');
        screenHas(world, 'Card error');
        await world.rig.remove();
        await world.rig.insert(card);
        equal(world.rig.eventsOf('card-accepted').length, 1, 'the terminal serves the next card');
      },
    },
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
      name: 'wrong PIN: tries left shown; the third wrong PIN blocks the PIN, not the card, and the setting number sets a new one (issue 8.13)',
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
        world.rig.events.length = 0;
        await world.rig.insert(card);
        await world.rig.press('1111', 'ENTER');
        await world.rig.press('1112', 'ENTER');
        await world.rig.press('1113', 'ENTER');
        equal(world.rig.eventsOf('pin-blocked').length, 1, 'the third wrong PIN blocks the PIN');
        equal(world.rig.eventsOf('card-blocked').length, 0, 'the card itself is not blocked');
        await world.rig.wait(3);
        screenHas(world, 'PIN blocked');
        await world.rig.remove();
        world.rig.events.length = 0;
        // Reinserted: accepted to the REGISTER path only.
        await world.rig.insert(card);
        const accepted = world.rig.eventsOf('card-accepted')[0];
        equal([accepted?.pinRegistered, accepted?.pinBlocked], [true, true], 'a PIN-blocked card is accepted and known as such');
        screenHas(world, 'PIN blocked');
        screenHas(world, 'REGISTER: new PIN');
        await world.rig.press('2468', 'ENTER');
        equal(world.rig.eventsOf('pin-verified').length + world.rig.eventsOf('wrong-entry').length, 0, 'no PIN is sent to a PIN-blocked card');
        await registerPin(world.rig, '8642');
        equal(world.rig.eventsOf('pin-registered').map((e) => e.change), [true], 'new PIN set through the setting number');
        screenHas(world, 'Enter PIN');
        await world.rig.press('1111', 'ENTER');
        equal(world.rig.eventsOf('wrong-entry')[0]?.triesLeft, 2, 'the PIN has its three tries back');
        await world.rig.press('8642', 'ENTER');
        equal(world.rig.eventsOf('pin-verified').length, 1, 'the new PIN works');
        await world.rig.press('END');
        await world.rig.remove();
        world.rig.events.length = 0;
        await world.rig.insert(card);
        equal(world.rig.eventsOf('card-accepted')[0]?.pinBlocked, false, 'PIN no longer blocked at the next insertion');
      },
    },
    {
      name: 'a PIN-blocked card whose setting number then fails three times is blocked for good and refused',
      async run() {
        const world = await newWorld();
        const card = world.card({ label: 'alice' });
        await world.rig.insert(card);
        await registerPin(world.rig, '2468');
        await world.rig.press('1111', 'ENTER', '1112', 'ENTER', '1113', 'ENTER');
        await world.rig.press('REGISTER', ALICE.registrationNumber, 'ENTER', '9999', 'ENTER', '9998', 'ENTER', '9997', 'ENTER');
        equal(world.rig.eventsOf('card-blocked')[0]?.by, 'card', 'the card blocked itself');
        await world.rig.remove();
        world.rig.events.length = 0;
        await world.rig.insert(card);
        await rejectedFor(world, 'blocked');
      },
    },
    {
      name: 'a short entry is refused on the LCD and cleared, and costs no try: PIN, setting number, registration number, new PIN, dialled number (issue 8.6)',
      async run() {
        const world = await newWorld();
        const { rig } = world;
        await rig.insert(world.card({ label: 'alice' }));
        // Registration number (8 to 16 digits).
        await rig.press('REGISTER', '1234567', 'ENTER');
        equal(rig.eventsOf('entry-too-short').map((e) => [e.digits, e.minDigits]), [[7, 8]], 'seven digits refused');
        screenHas(world, 'Too short');
        screenHas(world, 'At least 8 digits');
        await rig.wait(2);
        screenHas(world, 'Registration no.:');
        equal(rig.lcd.lines[2]!.trim(), '', 'the entry was cleared');
        await rig.press(ALICE.registrationNumber, 'ENTER');
        equal(rig.eventsOf('wrong-entry').length, 0, 'no wrong registration number counted');
        // Setting number (4 to 12 digits): a short one never reaches the card.
        await rig.press('135', 'ENTER');
        screenHas(world, 'At least 4 digits');
        await rig.press(ALICE.settingNumber, 'ENTER');
        equal(rig.eventsOf('wrong-entry').length, 0, 'no setting number try spent');
        // New PIN (4 to 8), both entries.
        await rig.press('246', 'ENTER');
        await rig.press('2468', 'ENTER', '246', 'ENTER', '2468', 'ENTER');
        equal(rig.eventsOf('entry-too-short').length, 4, 'each short entry refused');
        equal(rig.eventsOf('pin-registered').length, 1, 'PIN 2468 registered, not 2462468');
        // PIN: "246" then "2468" must send 2468, not 2462468.
        await rig.press('246', 'ENTER');
        await rig.wait(2);
        await rig.press('2468', 'ENTER');
        equal(rig.eventsOf('pin-verified').length, 1, 'the PIN after a short entry is verified');
        equal(rig.eventsOf('wrong-entry').length, 0, 'and no PIN try was spent');
        // Dialled number (3 to 16).
        await rig.press('03', 'ENTER');
        equal(rig.eventsOf('service-started').length, 0, 'no call to a two-digit number');
        await rig.press('0312345678', 'ENTER');
        equal(rig.eventsOf('service-started')[0]?.number, '0312345678', 'dialled number without the short entry');
      },
    },
    {
      name: 'the in-call screen shows the elapsed time each second and what hanging up then would bill (issue 8.7)',
      async run() {
        const world = await inCall();
        const { rig } = world;
        const tariff = world.config.tariff;
        screenHas(world, '0:00  20 JPY');
        for (let second = 1; second <= 185; second++) {
          await rig.wait(1);
          // Hanging up at any moment of this second bills the fee of a call just over `second` s.
          const billed = tariff.connectionFee + Math.ceil((second * 1000 + 1) / (tariff.unitSeconds * 1000)) * tariff.unitFee;
          const expected = `${Math.floor(second / 60)}:${String(second % 60).padStart(2, '0')}  ${billed} JPY`;
          equal(rig.lcd.lines[2]!.trim(), expected, `screen at ${second} s`);
        }
        await rig.wait(0.5);
        await rig.press('END');
        const ended = rig.eventsOf('service-ended')[0]!;
        equal([ended.durationSeconds, ended.fee], [186, 50], 'a 185.5 s call bills 50 JPY, as the screen said');
        screenHas(world, 'Fee 50 JPY');
      },
    },
    {
      name: 'at 1:00 the screen already shows the second minute: 30 JPY, and hanging up then bills 30',
      async run() {
        const world = await inCall();
        const { rig } = world;
        await rig.wait(59);
        screenHas(world, '0:59  20 JPY');
        await rig.wait(1);
        screenHas(world, '1:00  30 JPY');
        await rig.wait(0.3);
        await rig.press('END');
        equal(rig.eventsOf('service-ended')[0]?.fee, 30, 'billed what the screen showed');
      },
    },
    {
      name: 'wrong registration numbers count over the whole insertion, not per REGISTER press (issue 8.12)',
      async run() {
        const world = await newWorld();
        const { rig } = world;
        const card = world.card({ label: 'alice' });
        await rig.insert(card);
        await rig.press('REGISTER', '11111111', 'ENTER', '22222222', 'ENTER');
        equal(rig.eventsOf('wrong-entry').map((e) => e.triesLeft), [2, 1], 'two misses');
        await rig.press('END'); // back to the PIN screen
        screenHas(world, 'Enter PIN');
        await rig.press('REGISTER');
        screenHas(world, 'Registration no.:');
        await rig.press(ALICE.registrationNumber, 'ENTER');
        await rig.press('END'); // a right number does not wipe the misses
        await rig.press('REGISTER', '33333333', 'ENTER');
        equal(rig.eventsOf('wrong-entry').map((e) => e.triesLeft), [2, 1, 0], 'the third miss of this insertion');
        equal(rig.eventsOf('card-blocked')[0]?.by, 'terminal', 'the terminal blocked the card');
        await rig.remove();
        rig.events.length = 0;
        await rig.insert(card);
        await rejectedFor(world, 'blocked');
      },
    },
    {
      name: 'expiry is judged in the terminal\'s local time: a card that expired yesterday in Japan is refused before 09:00 UTC (issue 8.11)',
      async run() {
        // 2026-11-23 20:00 UTC is 2026-11-24 05:00 in Japan (+09:00).
        const japan = await newWorld();
        equal(japan.config.utcOffsetMinutes, 540, 'terminals are provisioned for Japan by default');
        await japan.rig.wait(11 * 3600);
        await japan.rig.insert(japan.card({ label: 'yesterday', expiry: '2026-11-23' }));
        await rejectedFor(japan, 'expired');
        ok(japan.rig.eventsOf('card-rejected')[0]!.detail.includes('today is 2026-11-24'), 'the local date is named');
        japan.rig.events.length = 0;
        await japan.rig.insert(japan.card({ label: 'today', expiry: '2026-11-24' }));
        equal(japan.rig.eventsOf('card-accepted').length, 1, 'a card expiring today (local) is accepted');
        // The same instant in London is still the 23rd.
        const london = await newWorld({
          config: (issuer, random) => provisionTerminal(issuer, { terminalId: 'T0044', validFrom: '2026-01-01', validTo: '2031-12-31', utcOffsetMinutes: 0 }, random.source),
        });
        await london.rig.wait(11 * 3600);
        await london.rig.insert(london.card({ label: 'yesterday', expiry: '2026-11-23' }));
        equal(london.rig.eventsOf('card-accepted').length, 1, 'at UTC+00:00 the card is still valid');
      },
    },
    {
      name: 'usage records keep UTC; the record event gives the local time of the call',
      async run() {
        const world = await inCall();
        const { rig } = world;
        const startedAt = rig.clock.now();
        await rig.wait(10);
        await rig.press('END');
        equal(world.usage.records()[0]!.startedAt, startedAt, 'the record holds the UTC time');
        const local = new Date(startedAt + 9 * 3600_000).toISOString();
        equal(rig.eventsOf('record-written')[0]!.localTime, `${local.slice(0, 10)} ${local.slice(11, 19)} +09:00`, 'local time with its offset');
      },
    },
    {
      name: 'switching the terminal off during a call hangs up, bills and records the call first (issue 8.8)',
      async run() {
        const world = await inCall();
        const { rig } = world;
        await rig.wait(75);
        await rig.shutdown();
        const ended = rig.eventsOf('service-ended')[0];
        equal([ended?.endedBy, ended?.durationSeconds, ended?.fee], ['shutdown', 75, 30], 'the call ended by the shutdown, billed');
        equal(world.usage.records().length, 1, 'recorded in the journal');
        equal(world.usage.records()[0]!.fee, 30, 'with its fee');
        equal(lastEvent(world), 'shutdown', 'the firmware stopped last');
        ok(world.rig.slot.ejected, 'the card was powered off and given back');
      },
    },
    {
      name: 'switching the terminal off at a prompt or when idle writes nothing and stops',
      async run() {
        const world = await newWorld();
        await world.rig.insert(world.card({ label: 'alice' }));
        await world.rig.press('12');
        await world.rig.shutdown();
        equal(world.usage.records().length, 0, 'no record without a call');
        equal(world.rig.eventsOf('eject')[0]?.reason, 'Out of service', 'the session ended');
        equal(lastEvent(world), 'shutdown', 'then the firmware stopped');
        const idle = await newWorld();
        await idle.rig.shutdown();
        equal(idle.rig.events.map((e) => e.event), ['shutdown'], 'an idle terminal just stops');
      },
    },
    {
      name: 'the PIN screen offers to set a PIN on a new card and to change it once one is registered',
      async run() {
        const world = await newWorld();
        await world.rig.insert(world.card({ label: 'alice' }));
        screenHas(world, 'REGISTER: set PIN');
        await registerPin(world.rig, '2468');
        await world.rig.wait(3);
        screenHas(world, 'REGISTER: change PIN');
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
