// Tearing (DESIGN.md §3: "tearing leaves the old or the new state, never a mix"): every command
// that writes EEPROM is run with the power cut after 0, 1, 2, ... bytes until one run completes;
// after each cut the card is reset (which finishes a committed transaction) and its persistent
// state must be the one before the command or the one after it.
import { suiteById } from '../../firmware/crypto/suites.js';
import { encodeCommand, parseResponse, type CommandApdu, type ResponseApdu } from '../../firmware/protocol/apdu.js';
import { COMMANDS, REFERENCE } from '../../firmware/protocol/commands.js';
import { blockMessage, decodeCardData, encodeBlockCard, encodeRegisterPin, pinMessage } from '../../firmware/protocol/data-objects.js';
import { SW } from '../../firmware/protocol/status-words.js';
import { LAYOUT, LIFE_CYCLE } from '../../card/layout.js';
import { TransactionBuffer } from '../../card/transaction.js';
import type { SimCard } from '../../hal/sim/sim-card.js';
import { bench, type Bench } from './card-scenarios.js';
import { equal, ok, type Scenario } from './scenario.js';
import { ALICE } from './world.js';

/**
 * EEPROM bytes each command programs when it runs to the end, which is the number of cut points
 * tried for it. A change here means the write path changed: fewer bytes may mean a write left
 * the transaction buffer. A two-field transaction is 14 bytes (log 10, mark 1, 2 copied home,
 * mark cleared); REGISTER PIN's is 33 (log 21, mark 1, PIN 8 + length + tries, mark cleared).
 */
const CUT_POINTS = Object.freeze({
  'VERIFY Ns right': 2, // decrement, restore
  'VERIFY Ns right after a wrong one': 2,
  'VERIFY Ns right on the last try': 28, // decrement + block as one transaction, restore + unblock as another
  'VERIFY Ns wrong': 1,
  'VERIFY Ns wrong, the third': 14, // decrement + block: one transaction
  'VERIFY PIN right': 2,
  'VERIFY PIN right on the last try': 2,
  'VERIFY PIN wrong': 1,
  'VERIFY PIN wrong, the third': 1, // only the PIN blocks, the card stays in service
  'REGISTER PIN, the first': 33,
  'REGISTER PIN over another': 33,
  'REGISTER PIN on a PIN-blocked card': 33,
  'BLOCK CARD': 1,
} as const);

type CaseName = keyof typeof CUT_POINTS;
const TOTAL_CUT_POINTS = Object.values(CUT_POINTS).reduce((sum, n) => sum + n, 0);

type Send = (apdu: CommandApdu) => ResponseApdu;

interface TearingCase {
  readonly name: CaseName;
  /** The card image the command starts from. */
  readonly from: Uint8Array;
  /** After SELECT: session set-up (RAM state such as a verified Ns); returns the command to cut. */
  prepare(send: Send): CommandApdu;
  /** Its answer when the power stays on. */
  readonly sw: number;
  /**
   * For a matching VERIFY only: a wrong try of the same reference. The card writes the counter
   * down before the compare on purpose (a cut never gives a free try), so a cut after that write
   * leaves the try spent, exactly as this wrong try would; that state is allowed besides old and
   * new. A wrong try, REGISTER PIN and BLOCK CARD allow old or new only.
   */
  readonly spentBy?: CommandApdu;
}

function sender(card: SimCard): Send {
  return (apdu) => parseResponse(card.process(encodeCommand(apdu)));
}

/** The EEPROM outside the transaction log: what the card is, as opposed to how it got there. */
function persistent(eeprom: Uint8Array): Uint8Array {
  const copy = eeprom.slice();
  copy.fill(0, LAYOUT.TRANSACTION, LAYOUT.TRANSACTION + LAYOUT.TRANSACTION_SIZE);
  return copy;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function differences(a: Uint8Array, b: Uint8Array): string {
  const at: string[] = [];
  for (let i = 0; i < a.length && at.length < 8; i++) if (a[i] !== b[i]) at.push(`${i}: ${a[i]!.toString(16)}→${b[i]!.toString(16)}`);
  return at.join(', ');
}

/** A card image after some commands, starting from another image. */
function imageAfter(b: Bench, from: Uint8Array, steps: (send: Send) => void): Uint8Array {
  const card = b.card.cloneFrom(from);
  card.reset();
  const send = sender(card);
  equal(send(COMMANDS.select()).sw, SW.OK, 'SELECT');
  steps(send);
  return card.eeprom.bytes;
}

interface Run {
  readonly old: Uint8Array;
  readonly after: Uint8Array;
  readonly sw: number | null; // null: the power was cut
  readonly written: number;
}

function runOnce(b: Bench, c: TearingCase, cut: number | null, replace?: CommandApdu): Run {
  const card = b.card.cloneFrom(c.from);
  card.reset();
  const send = sender(card);
  equal(send(COMMANDS.select()).sw, SW.OK, `${c.name}: SELECT`);
  const command = replace ?? c.prepare(send);
  const old = persistent(card.eeprom.bytes);
  const start = card.eeprom.bytesProgrammed;
  card.eeprom.cutPowerAfter(cut);
  let sw: number | null = null;
  try {
    sw = send(command).sw;
  } catch (error) {
    ok((error as Error).name === 'PowerCutError', `${c.name}, cut after ${cut}: only a power cut interrupts, got ${(error as Error).name}: ${(error as Error).message}`);
  }
  card.eeprom.cutPowerAfter(null);
  const written = card.eeprom.bytesProgrammed - start;
  card.reset();
  ok(!new TransactionBuffer(card.eeprom, LAYOUT.TRANSACTION, LAYOUT.TRANSACTION_SIZE).recover(), `${c.name}, cut after ${cut}: reset left no transaction pending`);
  return { old, after: persistent(card.eeprom.bytes), sw, written };
}

interface Tally {
  cuts: number;
  old: number;
  spent: number;
  new: number;
}

/** Cuts the power at every byte of one command; returns how often each state came out. */
function tear(b: Bench, c: TearingCase): Tally {
  const whole = runOnce(b, c, null);
  equal(whole.sw, c.sw, `${c.name}: answer without a cut`);
  equal(whole.written, CUT_POINTS[c.name], `${c.name}: EEPROM bytes programmed (cut points)`);
  let spent: Uint8Array | null = null;
  if (c.spentBy) {
    const wrong = runOnce(b, c, null, c.spentBy);
    ok(wrong.sw !== null && (wrong.sw & 0xfff0) === 0x63c0, `${c.name}: the wrong try answers 63Cx`);
    spent = wrong.after;
  }
  const tally: Tally = { cuts: 0, old: 0, spent: 0, new: 0 };
  for (let cut = 0; ; cut++) {
    const run = runOnce(b, c, cut);
    if (run.sw !== null) {
      equal(cut, whole.written, `${c.name}: the first uncut run is the one the budget covers`);
      break;
    }
    tally.cuts++;
    ok(cut < whole.written, `${c.name}: cut after ${cut} bytes, past the ${whole.written} the command writes`);
    if (same(run.after, run.old)) tally.old++;
    else if (same(run.after, whole.after)) tally.new++;
    else if (spent && same(run.after, spent)) tally.spent++;
    else ok(false, `${c.name}, cut after ${cut} bytes: neither old nor new${spent ? ' nor spent' : ''} (vs old ${differences(run.old, run.after)}; vs new ${differences(whole.after, run.after)})`);
  }
  return tally;
}

export const cardTearingScenarios: Scenario[] = [
  {
    name: 'card tearing: a cut in the third wrong VERIFY Ns leaves the try unspent or the card blocked, never 0 tries in service',
    async run() {
      const b = bench();
      const send = sender(b.card);
      equal(send(COMMANDS.select()).sw, SW.OK, 'SELECT');
      equal(send(COMMANDS.verifySettingNumber('0000')).sw, 0x63c2, 'wrong once');
      equal(send(COMMANDS.verifySettingNumber('0000')).sw, 0x63c1, 'wrong twice');
      const from = b.card.eeprom.bytes;
      const outcomes = { unspent: 0, blocked: 0 };
      let cut = 0;
      for (; ; cut++) {
        const card = b.card.cloneFrom(from);
        card.reset();
        const on = sender(card);
        equal(on(COMMANDS.select()).sw, SW.OK, 'SELECT');
        card.eeprom.cutPowerAfter(cut);
        let torn = false;
        try {
          equal(on(COMMANDS.verifySettingNumber('0000')).sw, 0x63c0, 'the third wrong one');
        } catch (error) {
          ok((error as Error).name === 'PowerCutError', `only a power cut interrupts: ${(error as Error).message}`);
          torn = true;
        }
        card.eeprom.cutPowerAfter(null);
        card.reset();
        const selected = on(COMMANDS.select()).sw;
        const lifeCycle = card.eeprom.read(LAYOUT.LIFE_CYCLE, 1)[0];
        equal(selected, lifeCycle === LIFE_CYCLE.ACTIVE ? SW.OK : SW.SELECTED_FILE_DEACTIVATED, `cut after ${cut}: SELECT as the life cycle says`);
        const query = on(COMMANDS.triesLeft(REFERENCE.SETTING_NUMBER)).sw;
        const challenge = on(COMMANDS.getChallenge()).sw;
        if (query === 0x63c1) {
          equal([challenge, lifeCycle], [SW.OK, LIFE_CYCLE.ACTIVE], `cut after ${cut}: try not spent, card in service`);
          outcomes.unspent++;
        } else {
          equal([query, challenge, lifeCycle], [SW.AUTHENTICATION_METHOD_BLOCKED, SW.AUTHENTICATION_METHOD_BLOCKED, LIFE_CYCLE.BLOCKED], `cut after ${cut}: card blocked`);
          outcomes.blocked++;
        }
        if (!torn) break;
      }
      equal(cut, CUT_POINTS['VERIFY Ns wrong, the third'], 'cut points tried');
      ok(outcomes.unspent > 0 && outcomes.blocked > 1, `both outcomes, the block also from a cut after the commit mark: ${JSON.stringify(outcomes)}`);
      // The cut of the issue: after the first byte written.
      const card = b.card.cloneFrom(from);
      card.reset();
      const on = sender(card);
      on(COMMANDS.select());
      card.eeprom.cutPowerAfter(1);
      let cutOff = false;
      try {
        on(COMMANDS.verifySettingNumber('0000'));
      } catch {
        cutOff = true;
      }
      card.eeprom.cutPowerAfter(null);
      ok(cutOff, 'the power went after one byte');
      card.reset();
      on(COMMANDS.select());
      equal(on(COMMANDS.triesLeft(REFERENCE.SETTING_NUMBER)).sw, 0x63c1, 'cut after the first byte: the try was not spent');
    },
  },
  {
    name: `card tearing: a power cut at each of ${TOTAL_CUT_POINTS} EEPROM bytes of ${Object.keys(CUT_POINTS).length} writing commands leaves the old or the new state`,
    async run() {
      const b = bench();
      equal(b.sw(COMMANDS.select()), SW.OK, 'SELECT');
      const idu = decodeCardData(b.send(COMMANDS.readCardData()).data).cardNumber;
      const issued = b.card.eeprom.bytes;
      const registration = (pin: string) => COMMANDS.registerPin(encodeRegisterPin({
        pin, certificate: b.terminal.certificate, signature: suiteById(1).sign(b.terminal.terminalSecretKey, pinMessage(idu, pin)),
      }));
      const register2468 = registration('2468');
      const register1357 = registration('1357');
      const withPin = imageAfter(b, issued, (send) => {
        equal(send(COMMANDS.verifySettingNumber(ALICE.settingNumber)).sw, SW.OK, 'Ns');
        equal(send(register2468).sw, SW.OK, 'PIN registered');
      });
      const nsOnce = imageAfter(b, issued, (send) => equal(send(COMMANDS.verifySettingNumber('0000')).sw, 0x63c2, 'wrong Ns'));
      const nsLast = imageAfter(b, nsOnce, (send) => equal(send(COMMANDS.verifySettingNumber('0000')).sw, 0x63c1, 'wrong Ns'));
      const pinLast = imageAfter(b, withPin, (send) => {
        equal(send(COMMANDS.verifyPin('1111')).sw, 0x63c2, 'wrong PIN');
        equal(send(COMMANDS.verifyPin('1111')).sw, 0x63c1, 'wrong PIN');
      });
      const pinBlocked = imageAfter(b, pinLast, (send) => equal(send(COMMANDS.verifyPin('1111')).sw, 0x63c0, 'PIN blocked'));
      const command = (apdu: CommandApdu) => () => apdu;
      const afterNs = (apdu: CommandApdu) => (send: Send) => {
        equal(send(COMMANDS.verifySettingNumber(ALICE.settingNumber)).sw, SW.OK, 'Ns verified');
        return apdu;
      };
      const wrongNs = COMMANDS.verifySettingNumber('0000');
      const wrongPin = COMMANDS.verifyPin('1111');
      const cases: TearingCase[] = [
        { name: 'VERIFY Ns right', from: issued, prepare: command(COMMANDS.verifySettingNumber(ALICE.settingNumber)), sw: SW.OK, spentBy: wrongNs },
        { name: 'VERIFY Ns right after a wrong one', from: nsOnce, prepare: command(COMMANDS.verifySettingNumber(ALICE.settingNumber)), sw: SW.OK, spentBy: wrongNs },
        { name: 'VERIFY Ns right on the last try', from: nsLast, prepare: command(COMMANDS.verifySettingNumber(ALICE.settingNumber)), sw: SW.OK, spentBy: wrongNs },
        { name: 'VERIFY Ns wrong', from: issued, prepare: command(wrongNs), sw: 0x63c2 },
        { name: 'VERIFY Ns wrong, the third', from: nsLast, prepare: command(wrongNs), sw: 0x63c0 },
        { name: 'VERIFY PIN right', from: withPin, prepare: command(COMMANDS.verifyPin('2468')), sw: SW.OK, spentBy: wrongPin },
        { name: 'VERIFY PIN right on the last try', from: pinLast, prepare: command(COMMANDS.verifyPin('2468')), sw: SW.OK, spentBy: wrongPin },
        { name: 'VERIFY PIN wrong', from: withPin, prepare: command(wrongPin), sw: 0x63c2 },
        { name: 'VERIFY PIN wrong, the third', from: pinLast, prepare: command(wrongPin), sw: 0x63c0 },
        { name: 'REGISTER PIN, the first', from: issued, prepare: afterNs(register2468), sw: SW.OK },
        { name: 'REGISTER PIN over another', from: withPin, prepare: afterNs(register1357), sw: SW.OK },
        { name: 'REGISTER PIN on a PIN-blocked card', from: pinBlocked, prepare: afterNs(register1357), sw: SW.OK },
        {
          name: 'BLOCK CARD', from: withPin, sw: SW.OK,
          prepare(send) {
            const challenge = send(COMMANDS.getChallenge()).data;
            return COMMANDS.blockCard(encodeBlockCard(b.terminal.certificate, suiteById(1).sign(b.terminal.terminalSecretKey, blockMessage(challenge, idu))));
          },
        },
      ];
      equal(cases.map((c) => c.name), Object.keys(CUT_POINTS), 'one case per entry of the cut-point table');
      const table: Record<string, Tally> = {};
      for (const c of cases) table[c.name] = tear(b, c);
      const cuts = Object.fromEntries(Object.entries(table).map(([name, tally]) => [name, tally.cuts]));
      equal(cuts, { ...CUT_POINTS }, 'cut points tried per command');
      equal(Object.values(cuts).reduce((sum, n) => sum + n, 0), TOTAL_CUT_POINTS, `${TOTAL_CUT_POINTS} cut points tried in all`);
      for (const [name, tally] of Object.entries(table)) {
        ok(tally.old > 0, `${name}: a cut before any write leaves the old state: ${JSON.stringify(tally)}`);
        // A transaction's log, once marked committed, is finished at reset: those cuts give the new state.
        if (CUT_POINTS[name as CaseName] > 2) ok(tally.new > 0, `${name}: cuts after the commit mark give the new state: ${JSON.stringify(tally)}`);
      }
      ok(table['VERIFY Ns right on the last try']!.spent > 0, `a cut between the two transactions of the last right Ns leaves the card blocked, as a wrong try would: ${JSON.stringify(table['VERIFY Ns right on the last try'])}`);
    },
  },
  {
    name: 'card tearing: a card image torn by older firmware (no setting-number tries, still in service) is blocked at reset',
    run() {
      const b = bench();
      const image = b.card.eeprom.bytes;
      image[LAYOUT.SETTING_NUMBER_TRIES] = 0; // the state the issue found: tries used up, life cycle "in use"
      const torn = b.card.cloneFrom(image);
      torn.reset();
      equal(torn.eeprom.read(LAYOUT.LIFE_CYCLE, 1)[0], LIFE_CYCLE.BLOCKED, 'life cycle blocked after reset');
      const answer = (apdu: CommandApdu): number => parseResponse(torn.process(encodeCommand(apdu))).sw;
      equal(answer(COMMANDS.select()), SW.SELECTED_FILE_DEACTIVATED, 'SELECT answers 6283: selected, blocked');
      equal(answer(COMMANDS.getChallenge()), SW.AUTHENTICATION_METHOD_BLOCKED, 'GET CHALLENGE 6983');
      equal(answer(COMMANDS.triesLeft(REFERENCE.SETTING_NUMBER)), SW.AUTHENTICATION_METHOD_BLOCKED, 'setting number 6983');
      const healthy = b.card.cloneFrom(b.card.eeprom.bytes);
      healthy.reset();
      equal(healthy.eeprom.read(LAYOUT.LIFE_CYCLE, 1)[0], LIFE_CYCLE.ACTIVE, 'a card with tries left stays in service');
    },
  },
];
