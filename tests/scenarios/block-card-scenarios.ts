// The lost card ([0013], [0019], issue 12 item 2): a card the terminal finds on the hotlist, or
// after three wrong registration numbers, is blocked in the card itself by BLOCK CARD over the
// card's challenge before it comes out; the LCD says why. The attacks: the blocked card
// reinserted, the blocked card at a terminal whose hotlist does not list it yet, and BLOCK CARD
// with a forged authorisation. Engine-neutral: runs on Node and on XS.
import { suiteById } from '../../firmware/crypto/suites.js';
import { encodeCommand, parseCommand, parseResponse, type CommandApdu } from '../../firmware/protocol/apdu.js';
import { fromHex, toHex } from '../../firmware/protocol/bytes.js';
import { COMMANDS, INS, REFERENCE } from '../../firmware/protocol/commands.js';
import { blockMessage, decodeCardData, decodeCertificate, encodeBlockCard, encodeCertificate } from '../../firmware/protocol/data-objects.js';
import { SW } from '../../firmware/protocol/status-words.js';
import { issuerVerifiers } from '../../firmware/hotlist/change-list.js';
import { HotlistStore } from '../../firmware/hotlist/store.js';
import { UsageJournal } from '../../firmware/journal/usage-journal.js';
import type { TerminalConfig } from '../../firmware/terminal/config.js';
import type { TerminalOptions } from '../../firmware/terminal/terminal.js';
import { LAYOUT, LIFE_CYCLE } from '../../card/layout.js';
import type { CardDevice } from '../../hal/sim/card-slot.js';
import { SimFlash } from '../../hal/sim/flash.js';
import { SeededRandom } from '../../hal/sim/random.js';
import { TerminalRig } from '../../hal/sim/rig.js';
import { SimCard } from '../../hal/sim/sim-card.js';
import { createIssuerKey, provisionTerminal, type IssuerKey } from '../../issuer/issuer.js';
import { signChangeList } from '../../issuer/hotlist.js';
import { registerPin as registerOnCard, selected, type Bench } from './card-scenarios.js';
import { equal, ok, type Scenario } from './scenario.js';
import { ALICE, BENCH_FLASH, BENCH_RIG, makeWorld, registerPin, type World } from './world.js';

const LOST = '00112233445566AA';
const VALIDITY = Object.freeze({ validFrom: '2026-01-01', validTo: '2031-12-31' });

/** One command as the card saw it and the status word it answered (chained parts each count). */
interface Exchange {
  readonly ins: number;
  readonly sw: number;
}

/** A card whose every command and answer is written down: what the card itself said. */
function recorded(card: CardDevice): { readonly device: CardDevice; readonly exchanges: Exchange[] } {
  const exchanges: Exchange[] = [];
  const device: CardDevice = {
    label: card.label,
    reset: () => card.reset(),
    process(command: Uint8Array): Uint8Array {
      const answer = card.process(command);
      exchanges.push({ ins: parseCommand(command).ins, sw: parseResponse(answer).sw });
      return answer;
    },
  };
  return { device, exchanges };
}

function swsOf(exchanges: readonly Exchange[], ins: number): number[] {
  return exchanges.filter((e) => e.ins === ins).map((e) => e.sw);
}

function lifeCycleOf(card: SimCard): number {
  return card.eeprom.read(LAYOUT.LIFE_CYCLE, 1)[0]!;
}

/** The LCD's four lines without their padding. */
function lcd(rig: TerminalRig): string[] {
  return rig.lcd.lines.map((line) => line.trimEnd());
}

/** Another terminal of the world's issuer (its own key T and CT), with its own hotlist. */
async function terminalOf(issuer: IssuerKey, terminalId: string, options: { hotlist?: readonly string[]; config?: TerminalConfig; terminal?: TerminalOptions } = {}): Promise<TerminalRig> {
  const config = options.config ?? provisionTerminal(issuer, { terminalId, ...VALIDITY, hotlist: options.hotlist ?? [] }, new SeededRandom(`terminal ${terminalId}`).source);
  const flash = new SimFlash(BENCH_FLASH);
  const rig = new TerminalRig({ config, usage: UsageJournal.open(flash, config.terminalId), flash, ...BENCH_RIG, terminal: { ...BENCH_RIG.terminal, ...options.terminal } });
  await rig.start();
  return rig;
}

/** A world whose terminal T0001 has the lost card's number on its provisioned hotlist. */
function lostCardWorld(suite = 1, line = false): Promise<World> {
  return makeWorld({
    suite,
    config: (issuer, random) => provisionTerminal(issuer, { terminalId: 'T0001', ...VALIDITY, hotlist: [LOST] }, random.source),
    ...(line ? { line: {} } : {}),
  });
}

/** Inserts `card` at `rig` and checks it is refused as blocked by the card's own 6283 and told so. */
async function refusedAsBlocked(rig: TerminalRig, card: SimCard, where: string): Promise<void> {
  const { device, exchanges } = recorded(card);
  rig.events.length = 0;
  await rig.insert(device);
  equal(rig.eventsOf('card-rejected').map((e) => e.reason), ['blocked'], `${where}: refused as blocked`);
  equal(exchanges.map((e) => [e.ins, e.sw]), [[INS.SELECT, SW.SELECTED_FILE_DEACTIVATED]], `${where}: the card's SELECT answer 6283 ends it, nothing else is asked`);
  equal(rig.eventsOf('card-blocked').length, 0, `${where}: nothing more to block`);
  equal(lcd(rig), ['Card refused', 'Card is blocked', 'Call the issuer', 'Please take card'], `${where}: the LCD says why`);
  await rig.remove();
}

/** The card on the APDU bench answers as a card in service: Ns, a new PIN, the PIN. */
function stillUsable(b: Bench, what: string): void {
  equal(lifeCycleOf(b.card), LIFE_CYCLE.ACTIVE, `${what}: life cycle still active`);
  b.card.reset();
  equal(b.sw(COMMANDS.select()), SW.OK, `${what}: SELECT 9000`);
  equal(b.sw(COMMANDS.triesLeft(REFERENCE.SETTING_NUMBER)), 0x63c3, `${what}: all three Ns tries`);
  equal(b.sw(COMMANDS.verifySettingNumber(ALICE.settingNumber)), SW.OK, `${what}: Ns verifies`);
  equal(registerOnCard(b, '2468'), SW.OK, `${what}: a PIN can be registered`);
  equal(b.sw(COMMANDS.verifyPin('2468')), SW.OK, `${what}: and verifies`);
}

export const blockCardScenarios: Scenario[] = [
  ...([[1, 'P-256', false], [2, 'Ed25519', false], [3, 'ESIGN', false], [1, 'P-256 over the T=1 byte line', true]] as const).map(([suite, label, line]): Scenario => ({
    name: `block card: a hotlisted card is blocked at insertion by BLOCK CARD over its challenge before it is given back, and the LCD says why (${label}, [0019])`,
    async run() {
      const world = await lostCardWorld(suite, line);
      const card = world.card({ label: 'lost', cardNumber: LOST });
      const { device, exchanges } = recorded(card);
      await world.rig.insert(device);
      equal(world.rig.eventsOf('card-rejected').map((e) => e.reason), ['hotlisted'], 'refused for the hotlist');
      equal(world.rig.eventsOf('card-blocked'), [{ event: 'card-blocked', by: 'terminal', step: 'hotlist' }], 'blocked by the terminal for the hotlist');
      const order = world.rig.events.map((e) => e.event);
      ok(order.indexOf('card-blocked') < order.indexOf('eject'), `blocked before it is given back: ${order.join(', ')}`);
      equal(swsOf(exchanges, INS.GET_CHALLENGE), [SW.OK], 'one challenge asked');
      const blockSws = swsOf(exchanges, INS.BLOCK_CARD);
      ok(blockSws.length >= 1 && blockSws.every((sw) => sw === SW.OK), `BLOCK CARD answered 9000 (in ${blockSws.length} part(s)): ${JSON.stringify(blockSws)}`);
      equal(swsOf(exchanges, INS.VERIFY), [], 'no PIN or Ns asked of a lost card');
      equal(lifeCycleOf(card), LIFE_CYCLE.BLOCKED, 'the block is in the card');
      equal(lcd(world.rig), ['Card blocked', 'Reported lost/stolen', 'Call the issuer', 'Please take card'], 'the LCD says why and what to do');
      await world.rig.remove();
      equal(lcd(world.rig)[2], 'Please insert card', 'idle again');
    },
  })),
  {
    name: 'block card: a blocked card reinserted is refused at every terminal: SELECT answers 6283, everything but READ CARD DATA 6983, and the LCD says so',
    async run() {
      const world = await lostCardWorld();
      const card = world.card({ label: 'lost', cardNumber: LOST });
      await world.rig.insert(card);
      equal(world.rig.eventsOf('card-blocked').length, 1, 'blocked at the first terminal');
      await world.rig.remove();
      await refusedAsBlocked(world.rig, card, 'the same terminal');
      const other = await terminalOf(world.issuer, 'T0002');
      await refusedAsBlocked(other, card, 'a terminal with an empty hotlist');
      // The card itself, command by command.
      const { device, exchanges } = recorded(card);
      device.reset();
      const send = (apdu: CommandApdu) => parseResponse(device.process(encodeCommand(apdu)));
      equal(send(COMMANDS.select()).sw, SW.SELECTED_FILE_DEACTIVATED, 'SELECT: 6283, selected but blocked');
      const data = send(COMMANDS.readCardData());
      equal([data.sw, toHex(decodeCardData(data.data).cardNumber)], [SW.OK, LOST], 'READ CARD DATA still shows who it is');
      for (const [what, apdu] of [
        ['VERIFY PIN', COMMANDS.verifyPin('2468')], ['VERIFY Ns (the right one)', COMMANDS.verifySettingNumber(ALICE.settingNumber)],
        ['PIN state', COMMANDS.triesLeft(REFERENCE.PIN)], ['Ns state', COMMANDS.triesLeft(REFERENCE.SETTING_NUMBER)],
        ['GET CHALLENGE', COMMANDS.getChallenge()], ['INTERNAL AUTHENTICATE', COMMANDS.internalAuthenticate(new Uint8Array(8))],
        ['BLOCK CARD', COMMANDS.blockCard(new Uint8Array(0))],
      ] as const) {
        equal(send(apdu).sw, SW.AUTHENTICATION_METHOD_BLOCKED, `${what}: 6983`);
      }
      equal(exchanges.length, 9, 'every command answered');
      equal(lifeCycleOf(card), LIFE_CYCLE.BLOCKED, 'and the card stays blocked');
      await other.shutdown();
    },
  },
  {
    name: 'block card: a hotlisted card at a terminal with an old hotlist stays refused, because the block is in the card',
    async run() {
      const world = await makeWorld();
      const issuer = world.issuer;
      const keys = issuerVerifiers(world.config.issuerKeys);
      // Terminal A has hotlist version 1 (the card reported lost); terminal B still has version 0.
      const updated = HotlistStore.open(new SimFlash({ sectorSize: 64, sectorCount: 8 }));
      updated.provision([]);
      updated.apply(signChangeList(issuer, { version: 1, added: [LOST], removed: [] }), keys);
      const old = HotlistStore.open(new SimFlash({ sectorSize: 64, sectorCount: 8 }));
      old.provision([]);
      const a = await terminalOf(issuer, 'T000A', { terminal: { hotlist: updated } });
      const b = await terminalOf(issuer, 'T000B', { terminal: { hotlist: old } });
      equal([updated.version, old.version], [1, 0], 'A has version 1, B version 0');
      // At B first: B does not know the card is lost, so a card with its number is accepted there.
      const twin = world.card({ label: 'twin', cardNumber: LOST });
      await b.insert(twin);
      equal(b.eventsOf('card-accepted').length, 1, 'B accepts the number: its hotlist does not list it');
      await b.remove();
      const lost = world.card({ label: 'lost', cardNumber: LOST });
      await a.insert(lost);
      equal(a.eventsOf('card-blocked').map((e) => e.step), ['hotlist'], 'A blocks the card it finds on its hotlist');
      await a.remove();
      await refusedAsBlocked(b, lost, 'B, hotlist version 0');
      equal(old.version, 0, 'B still has the old hotlist');
      await a.shutdown();
      await b.shutdown();
    },
  },
  {
    name: 'block card: BLOCK CARD with a forged authorisation (CT of no issuer, a key CT does not certify, another challenge, a replayed or stale one, another card) is refused with 6A80 and leaves the card usable',
    run() {
      const b = selected();
      const idu = decodeCardData(b.send(COMMANDS.readCardData()).data).cardNumber;
      const suite = suiteById(1);
      const genuine = b.terminal;
      const rogueIssuer = createIssuerKey(1, 1, b.random.source); // same suite and key id as the card's issuer
      const rogue = provisionTerminal(rogueIssuer, { terminalId: 'T6666', ...VALIDITY }, b.random.source);
      // The genuine CT with its nT swapped for the rogue key: the issuer's signature no longer covers it.
      const swapped = encodeCertificate({ ...decodeCertificate(genuine.certificate), terminalPublicKey: rogue.terminalPublicKey });
      const challenge = (): Uint8Array => {
        const answer = b.send(COMMANDS.getChallenge());
        equal([answer.sw, answer.data.length], [SW.OK, 8], 'GET CHALLENGE');
        return answer.data;
      };
      const block = (certificate: Uint8Array, secretKey: Uint8Array, over: Uint8Array, card = idu) =>
        b.sw(COMMANDS.blockCard(encodeBlockCard(certificate, suite.sign(secretKey, blockMessage(over, card)))));

      equal(block(rogue.certificate, rogue.terminalSecretKey, challenge()), SW.WRONG_DATA, 'CT signed by another issuer (the terminal key is not certified by A)');
      equal(block(genuine.certificate, rogue.terminalSecretKey, challenge()), SW.WRONG_DATA, 'a genuine CT, signed with a key it does not certify');
      equal(block(swapped, rogue.terminalSecretKey, challenge()), SW.WRONG_DATA, 'a genuine CT with its nT replaced');
      challenge();
      equal(block(genuine.certificate, genuine.terminalSecretKey, fromHex('0102030405060708')), SW.WRONG_DATA, 'signed over another challenge');
      const stale = challenge();
      challenge();
      equal(block(genuine.certificate, genuine.terminalSecretKey, stale), SW.WRONG_DATA, 'signed over an earlier challenge of this session');
      equal(block(genuine.certificate, genuine.terminalSecretKey, challenge(), fromHex('0011223344556677')), SW.WRONG_DATA, 'signed for another card');
      // Replay: a genuine authorisation from an earlier session, sent after the card was reset.
      const earlier = challenge();
      const recordedBlock = COMMANDS.blockCard(encodeBlockCard(genuine.certificate, suite.sign(genuine.terminalSecretKey, blockMessage(earlier, idu))));
      b.card.reset();
      equal(b.sw(COMMANDS.select()), SW.OK, 'a new session');
      equal(b.sw(recordedBlock), SW.CONDITIONS_NOT_SATISFIED, 'replayed with no challenge in this session: 6985');
      challenge();
      equal(b.sw(recordedBlock), SW.WRONG_DATA, 'replayed over the new challenge: 6A80');
      equal(b.sw(recordedBlock), SW.CONDITIONS_NOT_SATISFIED, 'a refused BLOCK CARD spent the challenge: 6985');
      stillUsable(b, 'after the forgeries');
      // The same card blocks at once for the genuine terminal: the refusals were the forgeries'.
      equal(block(genuine.certificate, genuine.terminalSecretKey, challenge()), SW.OK, 'the genuine authorisation blocks');
      equal(lifeCycleOf(b.card), LIFE_CYCLE.BLOCKED, 'blocked');
    },
  },
  {
    name: 'block card: a terminal whose CT another issuer signed cannot block a card it finds on its hotlist; it refuses it and the card stays usable',
    async run() {
      const world = await makeWorld();
      const rogueIssuer = createIssuerKey(1, 1, world.random.source);
      // A terminal built with the card issuer's public nA (to read its cards) but its own issuer's CT.
      const rogueConfig: TerminalConfig = {
        ...provisionTerminal(rogueIssuer, { terminalId: 'T6666', ...VALIDITY, hotlist: [LOST] }, world.random.source),
        issuerKeys: world.config.issuerKeys,
      };
      const rogue = await terminalOf(world.issuer, 'T6666', { config: rogueConfig });
      const card = world.card({ label: 'lost', cardNumber: LOST });
      const { device, exchanges } = recorded(card);
      await rogue.insert(device);
      equal(rogue.eventsOf('card-rejected').map((e) => e.reason), ['hotlisted'], 'refused for its hotlist');
      equal(swsOf(exchanges, INS.BLOCK_CARD), [SW.WRONG_DATA], 'the card refuses the BLOCK CARD: 6A80');
      equal(rogue.eventsOf('card-blocked').length, 0, 'no block reported');
      const error = rogue.eventsOf('card-error')[0];
      equal(error?.during, 'block', 'the failed block is reported');
      ok(error!.detail.includes('6A80'), `with the card's status word: ${error!.detail}`);
      equal(lcd(rogue), ['Card refused', 'Reported lost/stolen', 'Call the issuer', 'Please take card'], 'the LCD gives the hotlist reason');
      await rogue.remove();
      equal(lifeCycleOf(card), LIFE_CYCLE.ACTIVE, 'the card is not blocked');
      world.rig.events.length = 0;
      await world.rig.insert(card);
      equal(world.rig.eventsOf('card-accepted').length, 1, 'a genuine terminal without it on its hotlist accepts the card');
      await registerPin(world.rig, '2468');
      equal(world.rig.eventsOf('pin-registered').length, 1, 'and registers a PIN');
      await rogue.shutdown();
    },
  },
  {
    name: 'block card: three wrong registration numbers block the card by BLOCK CARD, the LCD says why, and it is refused with 6283 when reinserted ([0013])',
    async run() {
      const world = await makeWorld();
      const card = world.card({ label: 'alice' });
      const { device, exchanges } = recorded(card);
      await world.rig.insert(device);
      await world.rig.press('REGISTER', '11111111', 'ENTER', '22222222', 'ENTER', '33333333', 'ENTER');
      equal(world.rig.eventsOf('card-blocked'), [{ event: 'card-blocked', by: 'terminal', step: 'registration-number' }], 'blocked by the terminal');
      equal([swsOf(exchanges, INS.GET_CHALLENGE), swsOf(exchanges, INS.BLOCK_CARD)], [[SW.OK], [SW.OK]], 'GET CHALLENGE and BLOCK CARD, both 9000');
      equal(swsOf(exchanges, INS.VERIFY).length, 1, 'the card was never asked for Ns (only the PIN state at insertion)');
      equal(lifeCycleOf(card), LIFE_CYCLE.BLOCKED, 'the block is in the card');
      equal(lcd(world.rig), ['Card blocked', '3 wrong reg. numbers', 'Call the issuer', 'Please take card'], 'the LCD says why');
      await world.rig.remove();
      await refusedAsBlocked(world.rig, card, 'reinserted');
    },
  },
  {
    name: 'block card: three wrong setting numbers block the card in the card itself, the LCD says why, and it is refused with 6283 when reinserted',
    async run() {
      const world = await makeWorld();
      const card = world.card({ label: 'alice' });
      await world.rig.insert(card);
      await world.rig.press('REGISTER', ALICE.registrationNumber, 'ENTER', '9999', 'ENTER', '9998', 'ENTER', '9997', 'ENTER');
      equal(world.rig.eventsOf('card-blocked'), [{ event: 'card-blocked', by: 'card', step: 'setting-number' }], 'the card blocked itself');
      equal(lcd(world.rig), ['Card blocked', '3 wrong setting nos.', 'Call the issuer', 'Please take card'], 'the LCD says why');
      await world.rig.remove();
      await refusedAsBlocked(world.rig, card, 'reinserted');
    },
  },
];
