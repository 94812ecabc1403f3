// The card application at APDU level (claim 1, DESIGN.md §3): status words for every
// malformed command, try counters, verified state, transaction buffer, BLOCK CARD.
import { sha256 } from '../../firmware/crypto/hash.js';
import { suiteById } from '../../firmware/crypto/suites.js';
import { encodeCommand, parseResponse, type CommandApdu, type ResponseApdu } from '../../firmware/protocol/apdu.js';
import { fromHex } from '../../firmware/protocol/bytes.js';
import { COMMANDS, REFERENCE } from '../../firmware/protocol/commands.js';
import {
  authenticateMessage, blockMessage, decodeCardData, encodeBlockCard, encodeRegisterPin, pinMessage,
} from '../../firmware/protocol/data-objects.js';
import { SW } from '../../firmware/protocol/status-words.js';
import { createIssuerKey, issueCard, provisionTerminal, type IssuerKey } from '../../issuer/issuer.js';
import { answerToReset } from '../../card/atr.js';
import { decodeCardImage, encodeCardImage } from '../../card/image.js';
import { SimCard } from '../../hal/sim/sim-card.js';
import { SeededRandom } from '../../hal/sim/random.js';
import type { TerminalConfig } from '../../firmware/terminal/config.js';
import { equal, ok, rejects, type Scenario } from './scenario.js';
import { ALICE } from './world.js';

export interface Bench {
  readonly issuer: IssuerKey;
  readonly terminal: TerminalConfig;
  readonly card: SimCard;
  readonly random: SeededRandom;
  send(apdu: CommandApdu | string): ResponseApdu;
  sw(apdu: CommandApdu | string): number;
}

export function bench(suite = 1): Bench {
  const random = new SeededRandom(`card-bench-${suite}`);
  const issuer = createIssuerKey(suite, 1, random.source);
  const terminal = provisionTerminal(issuer, { terminalId: 'T0001', validFrom: '2026-01-01', validTo: '2031-12-31' }, random.source);
  const card = SimCard.personalise(issueCard(issuer, ALICE, random.source).personalisation, 'alice', random.source);
  card.reset();
  const send = (apdu: CommandApdu | string): ResponseApdu =>
    parseResponse(card.process(typeof apdu === 'string' ? fromHex(apdu) : encodeCommand(apdu)));
  return { issuer, terminal, card, random, send, sw: (apdu) => send(apdu).sw };
}

export function selected(suite = 1): Bench {
  const b = bench(suite);
  equal(b.sw(COMMANDS.select()), SW.OK, 'SELECT');
  return b;
}

export function registerPin(b: Bench, pin: string, signer = b.terminal): number {
  const idu = decodeCardData(b.send(COMMANDS.readCardData()).data).cardNumber;
  const signature = suiteById(signer.suite).sign(signer.terminalSecretKey, pinMessage(idu, pin));
  return b.sw(COMMANDS.registerPin(encodeRegisterPin({ pin, certificate: signer.certificate, signature })));
}

export function withPin(pin = '2468'): Bench {
  const b = selected();
  equal(b.sw(COMMANDS.verifySettingNumber(ALICE.settingNumber)), SW.OK, 'Ns verified');
  equal(registerPin(b, pin), SW.OK, 'PIN registered');
  return b;
}

export const cardScenarios: Scenario[] = [
  {
    name: 'card: ATR offers T=0 and T=1 with a correct TCK',
    async run() {
      const atr = answerToReset();
      equal(atr[0], 0x3b, 'direct convention');
      equal(atr.slice(1).reduce((x, b) => x ^ b, 0), 0, 'XOR of T0..TCK is zero');
      equal(bench().card.reset(), atr, 'the card answers with it');
    },
  },
  {
    name: 'card: malformed APDUs get the ISO status word, never an exception',
    async run() {
      const b = bench();
      equal(b.sw('00A404'), SW.WRONG_LENGTH, 'shorter than a header');
      equal(b.sw('00A4040006F049434352'), SW.WRONG_LENGTH, 'Lc longer than the data');
      equal(b.sw('00A4040000'), SW.FILE_NOT_FOUND, 'case 2 SELECT with no AID finds nothing');
      equal(b.sw('00A4040006F04943435202'), SW.FILE_NOT_FOUND, 'another AID');
      equal(b.sw('00A4010006F04943435201'), SW.INCORRECT_P1P2, 'SELECT by file id');
      equal(b.sw('84A4040006F04943435201'), SW.CLA_NOT_SUPPORTED, 'secure messaging CLA');
      equal(b.sw('80A4040006F04943435201'), SW.CLA_NOT_SUPPORTED, 'proprietary CLA for an ISO command');
      equal(b.sw('80CA000100'), SW.CONDITIONS_NOT_SATISFIED, 'READ CARD DATA before SELECT');
      equal(b.sw(COMMANDS.select()), SW.OK, 'SELECT');
      equal(b.sw('00B0000000'), SW.INS_NOT_SUPPORTED, 'READ BINARY is not offered');
      equal(b.sw('00CA000100'), SW.CLA_NOT_SUPPORTED, 'READ CARD DATA with the ISO CLA');
      equal(b.sw('80CA000200'), SW.INCORRECT_P1P2, 'READ CARD DATA P2');
      equal(b.sw('80CA0001'), SW.WRONG_LENGTH, 'READ CARD DATA without Le');
      equal(b.sw('80CA000110') >> 8, 0x61, 'Le too short: 61xx, the rest waits for GET RESPONSE');
      equal(b.sw('00C0000000'), SW.OK, 'GET RESPONSE hands over the rest');
      equal(b.sw('00C0000010'), SW.CONDITIONS_NOT_SATISFIED, 'GET RESPONSE with nothing waiting');
      equal(b.sw('0020008300'), SW.INCORRECT_P1P2, 'VERIFY of an unknown reference');
      equal(b.sw('0020018100'), SW.INCORRECT_P1P2, 'VERIFY P1');
      equal(b.sw('002000810331323334'), SW.WRONG_LENGTH, 'Lc 3 with 4 data bytes');
      equal(b.sw('00200082023132'), SW.WRONG_LENGTH, 'setting number too short');
      equal(b.sw('0020008204313233FF'), SW.WRONG_DATA, 'setting number not digits');
      equal(b.sw('802400810400010203'), SW.SECURITY_STATUS_NOT_SATISFIED, 'REGISTER PIN before Ns');
      equal(b.sw('0084000004'), 0x6c08, 'GET CHALLENGE asks for 8 bytes');
      equal(b.sw('0088000002AABB'), SW.WRONG_LENGTH, 'INTERNAL AUTHENTICATE with a 2-byte R');
      equal(b.sw('801E000002D100'), SW.CONDITIONS_NOT_SATISFIED, 'BLOCK CARD without a challenge');
      equal(b.sw(COMMANDS.verifySettingNumber(ALICE.settingNumber)), SW.OK, 'malformed commands spent no tries');
      equal(b.sw('802400810400010203'), SW.WRONG_DATA, 'REGISTER PIN with a broken TLV');
      equal(b.sw('80240081025A00'), SW.WRONG_DATA, 'REGISTER PIN with an unknown tag');
    },
  },
  {
    name: 'card: READ CARD DATA returns the signed data the issuer wrote',
    async run() {
      const b = selected();
      const answer = b.send(COMMANDS.readCardData());
      equal(answer.sw, SW.OK, 'status');
      const data = decodeCardData(answer.data);
      equal(data.registrationNumber, ALICE.registrationNumber, 'Nt');
      equal(data.expiry, ALICE.expiry, 'expiry');
      const salted = sha256(new Uint8Array([...new Uint8Array(16), ...fromHex('31333537')]));
      ok(data.commitment.length === 32 && !data.commitment.every((x, i) => x === salted[i]), 'C is salted with the card secret salt');
    },
  },
  {
    name: 'card: setting number tries count down, a right one restores them, the third wrong one blocks the card',
    async run() {
      const b = selected();
      equal(b.sw(COMMANDS.triesLeft(REFERENCE.SETTING_NUMBER)), 0x63c3, 'three tries');
      equal(b.sw(COMMANDS.verifySettingNumber('0000')), 0x63c2, 'wrong once');
      equal(b.sw(COMMANDS.verifySettingNumber(ALICE.settingNumber)), SW.OK, 'right');
      equal(b.sw(COMMANDS.triesLeft(REFERENCE.SETTING_NUMBER)), SW.OK, 'verified in this session');
      equal(b.sw(COMMANDS.verifySettingNumber('0000')), 0x63c2, 'counter restored by the right one');
      equal(b.sw(COMMANDS.triesLeft(REFERENCE.SETTING_NUMBER)), 0x63c2, 'a wrong one ends the verified state');
      equal(b.sw(COMMANDS.verifySettingNumber('00000')), 0x63c1, 'wrong twice');
      equal(b.sw(COMMANDS.verifySettingNumber('000000')), 0x63c0, 'wrong three times');
      equal(b.sw(COMMANDS.verifySettingNumber(ALICE.settingNumber)), SW.AUTHENTICATION_METHOD_BLOCKED, 'blocked, even for the right one');
      b.card.reset();
      equal(b.sw(COMMANDS.select()), SW.SELECTED_FILE_DEACTIVATED, 'a blocked card is selected with the warning 6283');
      equal(b.send(COMMANDS.readCardData()).sw, SW.OK, 'and shows its data');
      equal(b.sw(COMMANDS.triesLeft(REFERENCE.PIN)), SW.AUTHENTICATION_METHOD_BLOCKED, 'but nothing else');
    },
  },
  {
    name: 'card: PIN life cycle: 6984 before registration, then 63Cx, 9000, and 6983 after three wrong',
    async run() {
      const b = selected();
      equal(b.sw(COMMANDS.triesLeft(REFERENCE.PIN)), SW.REFERENCE_DATA_NOT_USABLE, 'no PIN yet (query)');
      equal(b.sw(COMMANDS.verifyPin('1234')), SW.REFERENCE_DATA_NOT_USABLE, 'no PIN yet (verify)');
      equal(b.sw(COMMANDS.verifySettingNumber(ALICE.settingNumber)), SW.OK, 'Ns');
      equal(registerPin(b, '2468'), SW.OK, 'REGISTER PIN');
      equal(registerPin(b, '1357'), SW.SECURITY_STATUS_NOT_SATISFIED, 'one Ns verification registers one PIN');
      equal(b.sw(COMMANDS.triesLeft(REFERENCE.PIN)), 0x63c3, 'three tries');
      equal(b.sw(COMMANDS.verifyPin('24680')), 0x63c2, 'a longer PIN with the same start is wrong');
      equal(b.sw(COMMANDS.verifyPin('2468')), SW.OK, 'right PIN');
      equal(b.sw(COMMANDS.triesLeft(REFERENCE.PIN)), SW.OK, 'verified until reset');
      b.card.reset();
      equal(b.sw(COMMANDS.select()), SW.OK, 'SELECT');
      equal(b.sw(COMMANDS.triesLeft(REFERENCE.PIN)), 0x63c3, 'reset cleared the verified state, counter restored');
      equal(b.sw(COMMANDS.verifyPin('1111')), 0x63c2, 'wrong');
      equal(b.sw(COMMANDS.verifyPin('1112')), 0x63c1, 'wrong');
      equal(b.sw(COMMANDS.verifyPin('1113')), 0x63c0, 'wrong');
      equal(b.sw(COMMANDS.verifyPin('2468')), SW.AUTHENTICATION_METHOD_BLOCKED, 'blocked');
    },
  },
  {
    name: 'card: a PIN-blocked card is rescued with its setting number: VERIFY Ns, then REGISTER PIN gives three PIN tries',
    async run() {
      const b = withPin('2468');
      equal([b.sw(COMMANDS.verifyPin('1111')), b.sw(COMMANDS.verifyPin('1112')), b.sw(COMMANDS.verifyPin('1113'))], [0x63c2, 0x63c1, 0x63c0], 'three wrong PINs');
      b.card.reset();
      equal(b.sw(COMMANDS.select()), SW.OK, 'SELECT');
      equal(b.sw(COMMANDS.triesLeft(REFERENCE.PIN)), SW.AUTHENTICATION_METHOD_BLOCKED, 'PIN blocked');
      equal(b.sw(COMMANDS.verifyPin('2468')), SW.AUTHENTICATION_METHOD_BLOCKED, 'even the right PIN');
      // What a terminal asks to tell a PIN-blocked card (63Cx) from a blocked card (6983).
      equal(b.sw(COMMANDS.triesLeft(REFERENCE.SETTING_NUMBER)), 0x63c3, 'Ns still usable: 63Cx, not 6983');
      equal(b.send(COMMANDS.getChallenge()).sw, SW.OK, 'the card as a whole is in service');
      equal(b.sw(COMMANDS.verifySettingNumber('0000')), 0x63c2, 'a wrong Ns');
      equal(b.sw(COMMANDS.triesLeft(REFERENCE.SETTING_NUMBER)), 0x63c2, 'counts down like on any card');
      equal(registerPin(b, '1357'), SW.SECURITY_STATUS_NOT_SATISFIED, 'no rescue without Ns');
      equal(b.sw(COMMANDS.verifySettingNumber(ALICE.settingNumber)), SW.OK, 'right Ns');
      equal(registerPin(b, '1357'), SW.OK, 'REGISTER PIN from a certified terminal');
      equal(b.sw(COMMANDS.triesLeft(REFERENCE.PIN)), 0x63c3, 'three PIN tries again');
      equal(b.sw(COMMANDS.triesLeft(REFERENCE.SETTING_NUMBER)), 0x63c3, 'and three Ns tries');
      b.card.reset();
      equal(b.sw(COMMANDS.select()), SW.OK, 'SELECT after reset');
      equal(b.sw(COMMANDS.triesLeft(REFERENCE.PIN)), 0x63c3, 'kept across reset');
      equal(b.sw(COMMANDS.verifyPin('2468')), 0x63c2, 'the old PIN is gone');
      equal(b.sw(COMMANDS.verifyPin('1357')), SW.OK, 'the new PIN verifies');
    },
  },
  {
    name: 'card: a card blocked as a whole refuses VERIFY Ns and REGISTER PIN with 6983, by BLOCK CARD or by three wrong Ns',
    async run() {
      const blockedByTerminal = withPin('2468');
      for (const pin of ['1111', '1112', '1113']) blockedByTerminal.sw(COMMANDS.verifyPin(pin)); // PIN blocked too
      const idu = decodeCardData(blockedByTerminal.send(COMMANDS.readCardData()).data).cardNumber;
      const challenge = blockedByTerminal.send(COMMANDS.getChallenge()).data;
      const blockSignature = suiteById(1).sign(blockedByTerminal.terminal.terminalSecretKey, blockMessage(challenge, idu));
      equal(blockedByTerminal.sw(COMMANDS.blockCard(encodeBlockCard(blockedByTerminal.terminal.certificate, blockSignature))), SW.OK, 'BLOCK CARD');
      const blockedByNs = selected();
      equal(['0000', '00000', '000000'].map((ns) => blockedByNs.sw(COMMANDS.verifySettingNumber(ns))), [0x63c2, 0x63c1, 0x63c0], 'three wrong Ns');
      for (const [label, b] of [['BLOCK CARD', blockedByTerminal], ['three wrong Ns', blockedByNs]] as const) {
        b.card.reset();
        equal(b.sw(COMMANDS.select()), SW.SELECTED_FILE_DEACTIVATED, `${label}: SELECT answers 6283`);
        equal(b.sw(COMMANDS.triesLeft(REFERENCE.SETTING_NUMBER)), SW.AUTHENTICATION_METHOD_BLOCKED, `${label}: Ns query answers 6983`);
        equal(b.sw(COMMANDS.verifySettingNumber(ALICE.settingNumber)), SW.AUTHENTICATION_METHOD_BLOCKED, `${label}: the right Ns is refused`);
        equal(registerPin(b, '1357'), SW.AUTHENTICATION_METHOD_BLOCKED, `${label}: REGISTER PIN is refused`);
        equal(b.sw(COMMANDS.getChallenge()), SW.AUTHENTICATION_METHOD_BLOCKED, `${label}: GET CHALLENGE is refused`);
      }
    },
  },
  {
    name: 'card: SELECT again ends the verified states',
    async run() {
      const b = withPin();
      equal(b.sw(COMMANDS.verifyPin('2468')), SW.OK, 'PIN verified');
      equal(b.sw(COMMANDS.verifySettingNumber(ALICE.settingNumber)), SW.OK, 'Ns verified');
      equal(b.sw(COMMANDS.select()), SW.OK, 'SELECT');
      equal(b.sw(COMMANDS.triesLeft(REFERENCE.PIN)), 0x63c3, 'PIN no longer verified');
      equal(registerPin(b, '1357'), SW.SECURITY_STATUS_NOT_SATISFIED, 'Ns no longer verified');
    },
  },
  {
    name: 'card: the try counter is written down before the compare (a cut never gives a free try)',
    async run() {
      const b = withPin();
      b.card.eeprom.cutPowerAfter(1); // the decrement gets through, the restore after the match does not
      await rejects(() => b.card.process(encodeCommand(COMMANDS.verifyPin('2468'))), /PowerCutError/, 'power cut');
      b.card.reset();
      equal(b.sw(COMMANDS.select()), SW.OK, 'SELECT');
      equal(b.sw(COMMANDS.triesLeft(REFERENCE.PIN)), 0x63c2, 'the try was spent');
      b.card.eeprom.cutPowerAfter(0);
      await rejects(() => b.card.process(encodeCommand(COMMANDS.verifyPin('1111'))), /PowerCutError/, 'cut at the decrement');
      b.card.reset();
      equal(b.sw(COMMANDS.select()), SW.OK, 'SELECT');
      equal(b.sw(COMMANDS.triesLeft(REFERENCE.PIN)), 0x63c2, 'no compare happened: nothing learnt, nothing spent');
      equal(b.sw(COMMANDS.verifyPin('2468')), SW.OK, 'right PIN restores');
      equal(b.sw(COMMANDS.triesLeft(REFERENCE.PIN)), SW.OK, 'verified');
    },
  },
  {
    name: 'card: REGISTER PIN refuses a certificate from another issuer, a bad ST, and a PIN not in the signature',
    async run() {
      const b = selected();
      equal(b.sw(COMMANDS.verifySettingNumber(ALICE.settingNumber)), SW.OK, 'Ns');
      const rogue = createIssuerKey(1, 1, b.random.source);
      const rogueTerminal = provisionTerminal(rogue, { terminalId: 'T6666', validFrom: '2026-01-01', validTo: '2031-12-31' }, b.random.source);
      equal(registerPin(b, '2468', rogueTerminal), SW.WRONG_DATA, 'CT signed by another issuer');
      const idu = decodeCardData(b.send(COMMANDS.readCardData()).data).cardNumber;
      const signature = suiteById(1).sign(b.terminal.terminalSecretKey, pinMessage(idu, '2468'));
      equal(b.sw(COMMANDS.registerPin(encodeRegisterPin({ pin: '9999', certificate: b.terminal.certificate, signature }))), SW.WRONG_DATA, 'ST over another PIN');
      const otherCard = fromHex('0011223344556677');
      const forOther = suiteById(1).sign(b.terminal.terminalSecretKey, pinMessage(otherCard, '2468'));
      equal(b.sw(COMMANDS.registerPin(encodeRegisterPin({ pin: '2468', certificate: b.terminal.certificate, signature: forOther }))), SW.WRONG_DATA, 'ST for another card');
      const ed = createIssuerKey(2, 1, b.random.source);
      const edTerminal = provisionTerminal(ed, { terminalId: 'T0002', validFrom: '2026-01-01', validTo: '2031-12-31' }, b.random.source);
      equal(registerPin(b, '2468', edTerminal), SW.WRONG_DATA, 'CT of another suite');
      equal(b.sw(COMMANDS.triesLeft(REFERENCE.PIN)), SW.REFERENCE_DATA_NOT_USABLE, 'still no PIN');
      equal(registerPin(b, '2468'), SW.OK, 'the real terminal succeeds in the same session');
    },
  },
  {
    name: 'card: INTERNAL AUTHENTICATE signs R ‖ X with the card key; REGISTER PIN binds R and X once',
    async run() {
      const b = selected();
      const data = decodeCardData(b.send(COMMANDS.readCardData()).data);
      const terminalRandom = b.random.bytes(8);
      const answer = b.send(COMMANDS.internalAuthenticate(terminalRandom));
      equal(answer.sw, SW.OK, 'status');
      const cardRandom = answer.data.slice(0, 8);
      ok(suiteById(1).verify(data.cardPublicKey, authenticateMessage(terminalRandom, cardRandom), answer.data.slice(8)), 'SU(R ‖ X) verifies with nU');
      equal(b.sw(COMMANDS.verifySettingNumber(ALICE.settingNumber)), SW.OK, 'Ns');
      const challenge = { terminalRandom, cardRandom };
      const signature = suiteById(1).sign(b.terminal.terminalSecretKey, pinMessage(data.cardNumber, '2468', challenge));
      const command = COMMANDS.registerPin(encodeRegisterPin({ pin: '2468', certificate: b.terminal.certificate, signature, ...challenge }));
      equal(b.sw(command), SW.OK, 'registered with R and X');
      equal(b.sw(COMMANDS.verifySettingNumber(ALICE.settingNumber)), SW.OK, 'Ns again');
      equal(b.sw(command), SW.WRONG_DATA, 'the same R, X cannot be replayed');
    },
  },
  {
    name: 'card: BLOCK CARD needs this session\'s challenge signed by a certified terminal',
    async run() {
      const b = selected();
      const idu = decodeCardData(b.send(COMMANDS.readCardData()).data).cardNumber;
      const sign = (challenge: Uint8Array) => suiteById(1).sign(b.terminal.terminalSecretKey, blockMessage(challenge, idu));
      const stale = b.send(COMMANDS.getChallenge()).data;
      equal(b.send(COMMANDS.getChallenge()).data.length, 8, 'new challenge');
      equal(b.sw(COMMANDS.blockCard(encodeBlockCard(b.terminal.certificate, sign(stale)))), SW.WRONG_DATA, 'an old challenge is refused');
      equal(b.sw(COMMANDS.blockCard(encodeBlockCard(b.terminal.certificate, sign(stale)))), SW.CONDITIONS_NOT_SATISFIED, 'a challenge serves one BLOCK CARD');
      const fresh = b.send(COMMANDS.getChallenge()).data;
      equal(b.sw(COMMANDS.blockCard(encodeBlockCard(b.terminal.certificate, sign(fresh)))), SW.OK, 'blocked');
      equal(b.sw(COMMANDS.verifySettingNumber(ALICE.settingNumber)), SW.AUTHENTICATION_METHOD_BLOCKED, 'refuses Ns');
      equal(b.send(COMMANDS.readCardData()).sw, SW.OK, 'still shows its data');
      equal(b.sw(COMMANDS.getChallenge()), SW.AUTHENTICATION_METHOD_BLOCKED, 'refuses the rest');
    },
  },
  {
    name: 'card: a power cut at every byte of REGISTER PIN leaves the old or the new PIN, never a mix',
    async run() {
      const b = withPin('2468');
      const before = b.card.eeprom.bytes;
      const start = b.card.eeprom.bytesProgrammed;
      equal(b.sw(COMMANDS.verifySettingNumber(ALICE.settingNumber)), SW.OK, 'Ns');
      const nsWrites = b.card.eeprom.bytesProgrammed - start;
      let outcomes = { old: 0, new: 0 };
      for (let cut = 0; ; cut++) {
        const card = b.card.cloneFrom(before);
        card.reset();
        const send = (apdu: CommandApdu) => parseResponse(card.process(encodeCommand(apdu))).sw;
        equal(send(COMMANDS.select()), SW.OK, 'SELECT');
        equal(send(COMMANDS.verifySettingNumber(ALICE.settingNumber)), SW.OK, 'Ns');
        const idu = decodeCardData(parseResponse(card.process(encodeCommand(COMMANDS.readCardData()))).data).cardNumber;
        const signature = suiteById(1).sign(b.terminal.terminalSecretKey, pinMessage(idu, '13579'));
        card.eeprom.cutPowerAfter(cut);
        let torn = false;
        try {
          equal(parseResponse(card.process(encodeCommand(COMMANDS.registerPin(encodeRegisterPin({ pin: '13579', certificate: b.terminal.certificate, signature }))))).sw, SW.OK, 'registered');
        } catch (error) {
          ok((error as Error).name === 'PowerCutError', `only a power cut interrupts: ${(error as Error).message}`);
          torn = true;
        }
        card.eeprom.cutPowerAfter(null);
        card.reset();
        equal(send(COMMANDS.select()), SW.OK, 'SELECT after the cut');
        const oldWorks = send(COMMANDS.verifyPin('2468')) === SW.OK;
        card.reset();
        send(COMMANDS.select());
        const newWorks = send(COMMANDS.verifyPin('13579')) === SW.OK;
        ok(oldWorks !== newWorks, `cut after ${cut} bytes: old PIN ${oldWorks}, new PIN ${newWorks}`);
        outcomes = oldWorks ? { ...outcomes, old: outcomes.old + 1 } : { ...outcomes, new: outcomes.new + 1 };
        if (!torn) break;
      }
      ok(outcomes.old > 5 && outcomes.new > 1, `both outcomes seen: ${JSON.stringify(outcomes)} (Ns writes ${nsWrites})`);
    },
  },
  {
    name: 'card: a card image survives a round trip through its file format',
    async run() {
      const b = withPin();
      const text = JSON.parse(JSON.stringify(encodeCardImage(b.card.image))) as unknown;
      const again = SimCard.fromImage(decodeCardImage(text), b.random.source);
      again.reset();
      const send = (apdu: CommandApdu) => parseResponse(again.process(encodeCommand(apdu))).sw;
      equal(send(COMMANDS.select()), SW.OK, 'SELECT');
      equal(send(COMMANDS.verifyPin('2468')), SW.OK, 'the PIN came along');
      await rejects(() => decodeCardImage({ format: 'other' }), /format must be/, 'wrong format named');
      await rejects(() => decodeCardImage({ format: 'icc-card-image/1', label: 'x', eeprom: 'abc' }), /hex bytes/, 'odd hex refused');
    },
  },
  {
    name: 'card: command chaining builds long commands; a broken chain answers 6883 and is dropped',
    async run() {
      const b = selected();
      equal(b.sw(COMMANDS.verifySettingNumber(ALICE.settingNumber)), SW.OK, 'Ns');
      const idu = decodeCardData(b.send(COMMANDS.readCardData()).data).cardNumber;
      const signature = suiteById(1).sign(b.terminal.terminalSecretKey, pinMessage(idu, '2468'));
      const data = encodeRegisterPin({ pin: '2468', certificate: b.terminal.certificate, signature });
      const link = (cla: number, part: Uint8Array) => b.sw({ ...COMMANDS.registerPin(part), cla });
      equal(link(0x90, data.subarray(0, 50)), SW.OK, 'first link accepted');
      equal(b.sw({ ...COMMANDS.verifyPin('1234'), cla: 0x10 }), SW.LAST_COMMAND_OF_CHAIN_EXPECTED, 'another command in the middle');
      equal(link(0x80, data.subarray(50)), SW.WRONG_DATA, 'the chain was dropped: the tail alone is not a command');
      equal(link(0x90, data.subarray(0, 50)), SW.OK, 'link 1');
      equal(link(0x90, data.subarray(50, 100)), SW.OK, 'link 2');
      equal(link(0x80, data.subarray(100)), SW.OK, 'last link: the whole REGISTER PIN');
      equal(b.sw(COMMANDS.verifyPin('2468')), SW.OK, 'PIN registered through the chain');
      const big = new Uint8Array(255);
      let sw: number = SW.OK;
      for (let i = 0; i < 9 && sw === SW.OK; i++) sw = link(0x90, big);
      equal(sw, SW.WRONG_LENGTH, 'a chain longer than the card can hold');
    },
  },
  {
    name: 'card: an unpersonalised chip answers 6581, not an exception',
    async run() {
      const b = bench();
      const blank = b.card.cloneFrom(new Uint8Array(b.card.eeprom.size));
      blank.reset();
      equal(parseResponse(blank.process(encodeCommand(COMMANDS.select()))).sw, SW.MEMORY_FAILURE, 'SELECT on a blank chip');
    },
  },
];
