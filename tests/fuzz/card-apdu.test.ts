/// <reference types="node" />
/// <reference types="mocha" />
// Fuzz target: the card application's APDU handling (card/card-application.ts, DESIGN.md §3).
// Whatever arrives at the contacts, in every session state, the card answers with a status word of
// its documented set (never 6F00, the status of an exception it caught), malformed commands get
// the specific one (6700, 6A86, 6D00, 6E00, 6985, ...), and its EEPROM changes only where the
// command may change it: try counters on VERIFY (by one, to the x of 63Cx), the PIN on REGISTER
// PIN and the life cycle on BLOCK CARD when they answer 9000, never a transaction left open.
// The states include fig. 6's INTERNAL AUTHENTICATE under way and the encrypted channel of [0021]
// (SCP11b key agreement 80 88 00 13, then SCP03 secure messaging, CLA bit 04): inside it a
// command whose C-MAC does not check gets 6982 and closes the channel, the PIN neither tried nor
// left verified.
import fc from 'fast-check';
import { suiteById } from '../../firmware/crypto/suites.js';
import { encodeCommand, parseCommand, parseResponse, type CommandApdu } from '../../firmware/protocol/apdu.js';
import { concatBytes } from '../../firmware/protocol/bytes.js';
import { aid, CLA_CHAINING, COMMANDS, INS, MAX_SHORT_DATA, REFERENCE } from '../../firmware/protocol/commands.js';
import { blockMessage, decodeCardData, encodeBlockCard, encodeRegisterPin, pinMessage } from '../../firmware/protocol/data-objects.js';
import { decodeTlvs, tlvMap } from '../../firmware/protocol/tlv.js';
import { SW, triesLeftFrom, triesLeftStatus } from '../../firmware/protocol/status-words.js';
import { requestKeyAgreement, SCP11_TAG, SCP11B } from '../../firmware/secure-channel/scp11.js';
import { SECURE_MESSAGING_CLA_BIT, type TerminalSecureMessaging } from '../../firmware/secure-channel/secure-messaging.js';
import { LAYOUT } from '../../card/layout.js';
import { SimEeprom } from '../../card/eeprom.js';
import { SimCard } from '../../hal/sim/sim-card.js';
import { issueCard } from '../../issuer/issuer.js';
import { bench, withPin } from '../scenarios/card-scenarios.js';
import { ALICE } from '../scenarios/world.js';
import { fuzzTarget, hex, mutateAll, mutationArbitrary, sameBytes, type FuzzProperty, type Mutation } from './fuzz.js';

const PIN = '2468';

/** Status words the card documents (DESIGN.md §3), less 6F00 and 6581: a personalised card never answers those. */
const DOCUMENTED = new Set<number>(Object.values(SW).filter((sw) => sw !== SW.UNKNOWN_ERROR && sw !== SW.MEMORY_FAILURE));

function documented(sw: number): boolean {
  if (DOCUMENTED.has(sw)) return true;
  const tries = triesLeftFrom(sw);
  if (tries !== null) return tries <= 3;
  return sw >> 8 === 0x61 || sw === 0x6c08; // more data; GET CHALLENGE's exact Le
}

/** Where each command may write, when it may (offsets of card/layout.ts). */
const TRANSACTION_AREA = Array.from({ length: LAYOUT.TRANSACTION_SIZE }, (_, i) => LAYOUT.TRANSACTION + i);
const PIN_AREA = Array.from({ length: LAYOUT.TRANSACTION - LAYOUT.PIN }, (_, i) => LAYOUT.PIN + i);
const MAY_WRITE: Readonly<Record<number, ReadonlySet<number>>> = Object.freeze({
  [INS.VERIFY]: new Set([LAYOUT.PIN_TRIES, LAYOUT.SETTING_NUMBER_TRIES, LAYOUT.LIFE_CYCLE, ...TRANSACTION_AREA]),
  [INS.REGISTER_PIN]: new Set([LAYOUT.PIN_LENGTH, LAYOUT.PIN_TRIES, ...PIN_AREA, ...TRANSACTION_AREA]),
  [INS.BLOCK_CARD]: new Set([LAYOUT.LIFE_CYCLE]),
});

// ---------------------------------------------------------------------------------------------
// The card in each session state, made from EEPROM images

type ImageName = 'fresh' | 'withPin' | 'pinBlocked' | 'blocked' | 'secureFresh' | 'secureWithPin';

/** A REGISTER PIN a certified terminal signs, for fig. 6 with the session's R and X. */
type RegisterPinSigner = (challenge?: { terminalRandom: Uint8Array; cardRandom: Uint8Array }) => Uint8Array;

interface Images {
  readonly eeprom: Readonly<Record<ImageName, Uint8Array>>;
  /** The static ECKA key SA1 certifies for the cards issued with the channel (the secure* images). */
  readonly agreementKey: Uint8Array;
  /** REGISTER PIN data for the card of the fresh image and of the secureFresh one. */
  readonly registerPin: Readonly<Record<'fresh' | 'secureFresh', RegisterPinSigner>>;
  blockCardData(challenge: Uint8Array): Uint8Array;
}

function makeImages(): Images {
  const b = bench();
  const fresh = b.card.image.eeprom;
  const pinned = withPin(PIN);
  const withPinImage = pinned.card.image.eeprom;
  for (let i = 0; i < 3; i++) pinned.sw(COMMANDS.verifyPin('0000'));
  const pinBlocked = pinned.card.image.eeprom;
  const lost = bench();
  lost.sw(COMMANDS.select());
  for (let i = 0; i < 3; i++) lost.sw(COMMANDS.verifySettingNumber('9999'));
  b.sw(COMMANDS.select());
  const terminal = b.terminal;
  const signer = suiteById(terminal.suite);
  const registerPinFor = (idu: Uint8Array): RegisterPinSigner => {
    const plain = encodeRegisterPin({ pin: PIN, certificate: terminal.certificate, signature: signer.sign(terminal.terminalSecretKey, pinMessage(idu, PIN)) });
    return (challenge) => (challenge
      ? encodeRegisterPin({ pin: PIN, certificate: terminal.certificate, signature: signer.sign(terminal.terminalSecretKey, pinMessage(idu, PIN, challenge)), ...challenge })
      : plain);
  };
  // A card of the same issuer with the channel's key (issue-card --secure-channel), before and after its PIN.
  const issued = issueCard(b.issuer, { ...ALICE, agreementKey: true }, b.random.source);
  const registerSecure = registerPinFor(issued.cardData.cardNumber);
  const secure = SimCard.personalise(issued.personalisation, 'alice secure', b.random.source);
  const secureFresh = secure.image.eeprom;
  secure.reset();
  for (const apdu of [COMMANDS.select(), COMMANDS.verifySettingNumber(ALICE.settingNumber), COMMANDS.registerPin(registerSecure())]) {
    if (parseResponse(secure.process(encodeCommand(apdu))).sw !== SW.OK) throw new Error(`images: the card with the channel key refused ${hex(encodeCommand(apdu)).slice(0, 20)}`);
  }
  const idu = decodeCardData(b.send(COMMANDS.readCardData()).data).cardNumber;
  return {
    eeprom: { fresh, withPin: withPinImage, pinBlocked, blocked: lost.card.image.eeprom, secureFresh, secureWithPin: secure.image.eeprom },
    agreementKey: issued.cardData.cardAgreementKey!,
    registerPin: { fresh: registerPinFor(idu), secureFresh: registerSecure },
    blockCardData: (challenge) => encodeBlockCard(terminal.certificate, signer.sign(terminal.terminalSecretKey, blockMessage(challenge, idu))),
  };
}

/** What the card's RAM holds in a state: what the oracle of single commands needs. */
interface Session {
  readonly selected: boolean;
  readonly blocked: boolean;
  /** The card data carry an agreement key: the card answers the key agreement. */
  readonly agreement: boolean;
  /** The secure channel is open: everything but SELECT and GET RESPONSE must be wrapped. */
  readonly channel: boolean;
  readonly settingNumberVerified: boolean;
  readonly pendingResponse: boolean;
  /** The header (CLA without the chaining bit, INS, P1, P2) of a chain under way. */
  readonly chain: readonly [number, number, number, number] | null;
  readonly challenge: boolean;
}

const NONE: Session = Object.freeze({ selected: false, blocked: false, agreement: false, channel: false, settingNumberVerified: false, pendingResponse: false, chain: null, challenge: false });
const SELECTED: Session = Object.freeze({ ...NONE, selected: true });
const IN_CHANNEL: Session = Object.freeze({ ...SELECTED, agreement: true, channel: true });

/** Test terminal's random bytes: the channel keys are the same every time, the fuzzed commands are not. */
const terminalRandom = (length: number) => new Uint8Array(length).fill(0x22);
const TERMINAL_R = new Uint8Array(16).fill(7);

/** A setup step: a command in clear, the key agreement, or a command wrapped in the channel. */
type Step = CommandApdu | { readonly step: 'key agreement' } | { readonly step: 'wrapped'; readonly apdu: CommandApdu };
const KEY_AGREEMENT: Step = Object.freeze({ step: 'key agreement' });
const wrapped = (apdu: CommandApdu): Step => ({ step: 'wrapped', apdu });

interface State {
  readonly image: ImageName;
  readonly setup: readonly Step[];
  readonly session: Session;
}

const STATES: Readonly<Record<string, State>> = Object.freeze({
  'before SELECT': { image: 'fresh', setup: [], session: NONE },
  'selected, no PIN': { image: 'fresh', setup: [COMMANDS.select()], session: SELECTED },
  'Ns verified': { image: 'fresh', setup: [COMMANDS.select(), COMMANDS.verifySettingNumber(ALICE.settingNumber)], session: { ...SELECTED, settingNumberVerified: true } },
  'PIN verified': { image: 'withPin', setup: [COMMANDS.select(), COMMANDS.verifyPin(PIN)], session: SELECTED },
  'PIN blocked': { image: 'pinBlocked', setup: [COMMANDS.select()], session: SELECTED },
  'card blocked': { image: 'blocked', setup: [COMMANDS.select()], session: { ...SELECTED, blocked: true } },
  'answer waiting for GET RESPONSE': { image: 'fresh', setup: [COMMANDS.select(), { ...COMMANDS.readCardData(), le: 16 }], session: { ...SELECTED, pendingResponse: true } },
  'in a command chain': {
    image: 'fresh', setup: [COMMANDS.select(), { ...COMMANDS.registerPin(new Uint8Array(40)), cla: 0x80 | CLA_CHAINING }],
    session: { ...SELECTED, chain: [0x80, INS.REGISTER_PIN, 0x00, REFERENCE.PIN] },
  },
  'challenge issued': { image: 'fresh', setup: [COMMANDS.select(), COMMANDS.getChallenge()], session: { ...SELECTED, challenge: true } },
  // Fig. 6: R sent, X and SU(R ‖ X) answered; REGISTER PIN may now carry R ‖ X.
  'Ns verified, INTERNAL AUTHENTICATE done': {
    image: 'fresh', setup: [COMMANDS.select(), COMMANDS.verifySettingNumber(ALICE.settingNumber), COMMANDS.internalAuthenticate(TERMINAL_R)],
    session: { ...SELECTED, settingNumberVerified: true },
  },
  'selected, card with the channel key': { image: 'secureWithPin', setup: [COMMANDS.select()], session: { ...SELECTED, agreement: true } },
  'secure channel open': { image: 'secureWithPin', setup: [COMMANDS.select(), KEY_AGREEMENT], session: IN_CHANNEL },
  'secure channel, PIN verified': { image: 'secureWithPin', setup: [COMMANDS.select(), KEY_AGREEMENT, wrapped(COMMANDS.verifyPin(PIN))], session: IN_CHANNEL },
  'secure channel, Ns verified': {
    image: 'secureFresh', setup: [COMMANDS.select(), KEY_AGREEMENT, wrapped(COMMANDS.verifySettingNumber(ALICE.settingNumber))], session: IN_CHANNEL,
  },
});
const STATE_NAMES = Object.keys(STATES);
const CHANNEL_STATES = STATE_NAMES.filter((name) => STATES[name]!.session.channel);

let images: Images;

/** A card in a state, and the terminal's end of its channel when one is open. */
interface Prepared {
  readonly card: SimCard;
  readonly channel: TerminalSecureMessaging | null;
}

function setupAnswer(stateName: string, card: SimCard, apdu: CommandApdu, allowed: (sw: number) => boolean): Uint8Array {
  const response = parseResponse(card.process(encodeCommand(apdu)));
  if (!allowed(response.sw)) throw new Error(`setting up "${stateName}": ${hex(encodeCommand(apdu)).slice(0, 40)} answered ${response.sw.toString(16)}`);
  return response.data;
}

/** The terminal's key agreement request: the same every time, as the card's answer is (its random source is fixed). */
let keyAgreementRequest: ReturnType<typeof requestKeyAgreement> | null = null;

/**
 * A card in `state`: a new chip from the state's image, reset, the setup steps sent. SELECT of a
 * blocked card answers 6283; every other step must succeed, the key agreement's receipt and the
 * wrapped answers' R-MACs must check. The terminal's end of the channel (two ECDH, the cost of an
 * input in a channel state with the card's two) is opened when a step or `terminalEnd` needs it.
 */
function cardIn(stateName: string, terminalEnd = false): Prepared {
  const state = STATES[stateName]!;
  const needsEnd = terminalEnd || state.setup.some((step) => 'step' in step && step.step === 'wrapped');
  const card = new SimCard('fuzz', new SimEeprom(images.eeprom[state.image]), (length) => new Uint8Array(length).fill(0x5a));
  card.reset();
  let channel: TerminalSecureMessaging | null = null;
  for (const step of state.setup) {
    if ('step' in step && step.step === 'key agreement') {
      keyAgreementRequest ??= requestKeyAgreement(terminalRandom);
      const answer = setupAnswer(stateName, card, keyAgreementCommand(keyAgreementRequest.data), (sw) => sw === SW.OK);
      if (needsEnd) channel = keyAgreementRequest.open(answer, images.agreementKey);
    } else if ('step' in step) {
      const plain = step.apdu;
      const response = parseResponse(card.process(encodeCommand(channel!.wrap(plain))));
      if (channel!.unwrap(response).sw !== SW.OK) throw new Error(`setting up "${stateName}": wrapped ${hex(encodeCommand(plain)).slice(0, 40)} answered ${response.sw.toString(16)}`);
    } else {
      setupAnswer(stateName, card, step, (sw) => sw === SW.OK || sw >> 8 === 0x61 || (state.session.blocked && sw === SW.SELECTED_FILE_DEACTIVATED));
    }
  }
  return { card, channel };
}

// ---------------------------------------------------------------------------------------------
// The invariants every answer keeps, and the status of commands whose outcome is fixed

function fail(message: string): never {
  throw new Error(message);
}

/** One command to `card`, checked against the invariants; returns the status word. */
function sendChecked(card: SimCard, command: Uint8Array): number {
  const before = card.eeprom.bytes;
  const answer = card.process(command);
  const after = card.eeprom.bytes;
  const what = `command ${hex(command).slice(0, 40)}`;
  if (answer.length < 2) fail(`${what}: answer of ${answer.length} bytes has no status word`);
  const { sw } = parseResponse(answer);
  const swHex = sw.toString(16).padStart(4, '0');
  if (sw === SW.UNKNOWN_ERROR) fail(`${what}: 6F00, the card caught an exception of its own`);
  if (!documented(sw)) fail(`${what}: status ${swHex} is not in the card's documented set`);
  if (after[LAYOUT.TRANSACTION] !== 0) fail(`${what}: a transaction is left open in EEPROM`);
  const changed: number[] = [];
  for (let i = 0; i < after.length; i++) if (before[i] !== after[i]) changed.push(i);
  const ins = command.length >= 2 ? command[1]! : -1;
  const p2 = command.length >= 4 ? command[3]! : -1;
  if (changed.length > 0) {
    const allowed = MAY_WRITE[ins];
    const mayWrite = allowed !== undefined && (ins === INS.VERIFY ? sw === SW.OK || triesLeftFrom(sw) !== null : sw === SW.OK);
    if (!mayWrite) fail(`${what}: answered ${swHex} but changed EEPROM bytes ${changed.join(', ')}`);
    const outside = changed.filter((offset) => !allowed!.has(offset));
    if (outside.length > 0) fail(`${what}: wrote EEPROM bytes ${outside.join(', ')}, outside what INS ${ins.toString(16)} may change`);
  }
  const tries = triesLeftFrom(sw);
  if (ins === INS.VERIFY && tries !== null && (p2 === REFERENCE.PIN || p2 === REFERENCE.SETTING_NUMBER)) {
    const offset = p2 === REFERENCE.PIN ? LAYOUT.PIN_TRIES : LAYOUT.SETTING_NUMBER_TRIES;
    if (after[offset] !== tries) fail(`${what}: answered ${swHex}, the counter holds ${after[offset]}`);
    const spent = before[offset]! - after[offset]!;
    // The last link of a chain may carry no data of its own: then one try or none.
    const withData = command.length > 5;
    if (spent !== 1 && (withData || spent !== 0)) fail(`${what}: answered ${swHex} after ${before[offset]} tries: ${spent} spent`);
  }
  return sw;
}

const HANDLER_CLA: Readonly<Record<number, number>> = Object.freeze({
  [INS.READ_CARD_DATA]: 0x80, [INS.VERIFY]: 0x00, [INS.REGISTER_PIN]: 0x80, [INS.GET_CHALLENGE]: 0x00, [INS.INTERNAL_AUTHENTICATE]: 0x00, [INS.BLOCK_CARD]: 0x80,
});

/** What a card in `session` must answer `apdu` (sent alone), or null where the outcome depends on more than the header. */
function expectedStatus(session: Session, apdu: CommandApdu): { readonly label: string; readonly accepts: (sw: number) => boolean } | null {
  const exactly = (label: string, expected: number) => ({ label: `${label}: ${expected.toString(16)}`, accepts: (sw: number) => sw === expected });
  const success = (label: string) => ({ label: `${label}: 9000 or 61xx`, accepts: (sw: number) => sw === SW.OK || sw >> 8 === 0x61 });
  const { cla, ins, p1, p2, data, le } = apdu;
  if (cla === 0x00 && ins === INS.GET_RESPONSE) {
    if (p1 !== 0 || p2 !== 0) return exactly('GET RESPONSE P1-P2', SW.INCORRECT_P1P2);
    if (!session.pendingResponse) return exactly('GET RESPONSE with nothing waiting', SW.CONDITIONS_NOT_SATISFIED);
    return le === null ? exactly('GET RESPONSE without Le', SW.WRONG_LENGTH) : success('GET RESPONSE');
  }
  const chained = (cla & CLA_CHAINING) !== 0;
  const plain = cla & ~CLA_CHAINING;
  if (session.chain && ins !== INS.SELECT) {
    const [hCla, hIns, hP1, hP2] = session.chain;
    if (plain !== hCla || ins !== hIns || p1 !== hP1 || p2 !== hP2) return exactly('another command inside a chain', SW.LAST_COMMAND_OF_CHAIN_EXPECTED);
    return null;
  }
  if (chained) return exactly('first link of a chain', SW.OK);
  // [0021]: in the channel only SELECT and GET RESPONSE pass in clear; a fuzzed C-MAC never checks.
  if (session.channel && ins !== INS.SELECT) return exactly('in the channel, a command whose C-MAC does not check', SW.SECURITY_STATUS_NOT_SATISFIED);
  if (cla !== 0x00 && cla !== 0x80) return exactly('unknown CLA', SW.CLA_NOT_SUPPORTED);
  if (ins === INS.SELECT) {
    if (cla !== 0x00) return exactly('SELECT with CLA 80', SW.CLA_NOT_SUPPORTED);
    if (p1 !== 0x04 || (p2 !== 0x00 && p2 !== 0x0c)) return exactly('SELECT P1-P2', SW.INCORRECT_P1P2);
    if (!sameBytes(data, aid())) return exactly('SELECT of another AID', SW.FILE_NOT_FOUND);
    return session.blocked ? exactly('SELECT of a blocked card', SW.SELECTED_FILE_DEACTIVATED) : exactly('SELECT of the AID', SW.OK);
  }
  if (cla === 0x80 && ins === INS.INTERNAL_AUTHENTICATE) {
    // SCP11b key agreement 80 88 00 13: a fuzzed request is never the A6 template and a point.
    if (!session.selected) return exactly('key agreement before SELECT', SW.CONDITIONS_NOT_SATISFIED);
    if (session.blocked) return exactly('key agreement on a blocked card', SW.AUTHENTICATION_METHOD_BLOCKED);
    if (p1 !== 0x00 || p2 !== SCP11B.P2_KEY_IDENTIFIER) return exactly('key agreement P1-P2', SW.INCORRECT_P1P2);
    if (!session.agreement) return exactly('key agreement on a card without the channel key', SW.INS_NOT_SUPPORTED);
    return exactly('key agreement with a malformed request', SW.WRONG_DATA);
  }
  const handlerCla = HANDLER_CLA[ins];
  if (handlerCla === undefined) return exactly('unknown INS', SW.INS_NOT_SUPPORTED);
  if (cla !== handlerCla) return exactly('INS under the other CLA', SW.CLA_NOT_SUPPORTED);
  if (!session.selected) return exactly('before SELECT', SW.CONDITIONS_NOT_SATISFIED);
  if (session.blocked && ins !== INS.READ_CARD_DATA) return exactly('a blocked card', SW.AUTHENTICATION_METHOD_BLOCKED);
  switch (ins) {
    case INS.READ_CARD_DATA:
      if (p1 !== 0x00 || p2 !== 0x01) return exactly('READ CARD DATA P1-P2', SW.INCORRECT_P1P2);
      if (data.length > 0 || le === null) return exactly('READ CARD DATA with data or without Le', SW.WRONG_LENGTH);
      return success('READ CARD DATA');
    case INS.GET_CHALLENGE:
      if (p1 !== 0x00 || p2 !== 0x00) return exactly('GET CHALLENGE P1-P2', SW.INCORRECT_P1P2);
      if (data.length > 0 || le === null) return exactly('GET CHALLENGE with data or without Le', SW.WRONG_LENGTH);
      return le === 8 || le === 256 ? exactly('GET CHALLENGE', SW.OK) : exactly('GET CHALLENGE, Le not 8 or 00', 0x6c08);
    case INS.INTERNAL_AUTHENTICATE:
      if (p1 !== 0x00 || p2 !== 0x00) return exactly('INTERNAL AUTHENTICATE P1-P2', SW.INCORRECT_P1P2);
      if (data.length < 8 || data.length > 32) return exactly('INTERNAL AUTHENTICATE R not 8 to 32 bytes', SW.WRONG_LENGTH);
      return success('INTERNAL AUTHENTICATE');
    case INS.VERIFY:
      if (p1 !== 0x00 || (p2 !== REFERENCE.PIN && p2 !== REFERENCE.SETTING_NUMBER)) return exactly('VERIFY P1-P2', SW.INCORRECT_P1P2);
      return null;
    case INS.REGISTER_PIN:
      if (p1 !== 0x00 || p2 !== REFERENCE.PIN) return exactly('REGISTER PIN P1-P2', SW.INCORRECT_P1P2);
      if (!session.settingNumberVerified) return exactly('REGISTER PIN before Ns', SW.SECURITY_STATUS_NOT_SATISFIED);
      return exactly('REGISTER PIN not signed by a certified terminal', SW.WRONG_DATA);
    case INS.BLOCK_CARD:
      if (p1 !== 0x00 || p2 !== 0x00) return exactly('BLOCK CARD P1-P2', SW.INCORRECT_P1P2);
      if (!session.challenge) return exactly('BLOCK CARD without a challenge', SW.CONDITIONS_NOT_SATISFIED);
      return exactly('BLOCK CARD not signed by a certified terminal', SW.WRONG_DATA);
    default:
      return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Inputs

const byte = fc.integer({ min: 0, max: 255 });
/** Every state; those of the channel less often, each costing a key agreement (the garbage-SM property has them all). */
const stateName = fc.oneof({ arbitrary: fc.constantFrom(...STATE_NAMES.filter((name) => !STATES[name]!.session.channel)), weight: 19 }, { arbitrary: fc.constantFrom(...CHANNEL_STATES), weight: 1 });
const digits = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max }).map((text) => Uint8Array.from(text, (c) => c.charCodeAt(0)));

const wellFormed: fc.Arbitrary<CommandApdu> = fc.record({
  cla: fc.oneof(fc.constantFrom(0x00, 0x80, 0x10, 0x90, SECURE_MESSAGING_CLA_BIT, 0x80 | SECURE_MESSAGING_CLA_BIT), byte),
  ins: fc.oneof(fc.constantFrom(...Object.values(INS)), byte),
  p1: fc.oneof(fc.constantFrom(0x00, 0x04), byte),
  p2: fc.oneof(fc.constantFrom(0x00, 0x01, 0x0c, REFERENCE.PIN, REFERENCE.SETTING_NUMBER, SCP11B.P2_KEY_IDENTIFIER), byte),
  data: fc.oneof(fc.uint8Array({ maxLength: 255 }), fc.constant(aid()), digits(0, 16), fc.uint8Array({ minLength: 8, maxLength: 32 })),
  le: fc.option(fc.oneof(fc.constantFrom(8, 16, 256), fc.integer({ min: 1, max: 256 })), { nil: null }),
});

const rawCommand = fc.oneof(fc.uint8Array({ maxLength: 300 }), wellFormed.map(encodeCommand));

/** Genuine commands a terminal sends, to be mutated: the structure is right, the bytes are not. */
const CLEAR_KINDS = ['register-pin', 'register-pin-mutual', 'block-card', 'verify-ns', 'verify-pin', 'internal-authenticate', 'select', 'read-card-data', 'key-agreement'] as const;
/** The same inside the channel, wrapped by the terminal's end (C-DEC, C-MAC). */
const WRAPPED_KINDS = ['wrapped verify-pin', 'wrapped verify-ns', 'wrapped read-card-data', 'wrapped get-challenge', 'wrapped register-pin'] as const;
type Genuine = typeof CLEAR_KINDS[number] | typeof WRAPPED_KINDS[number];
/** Wrapped ones a quarter of the time: each costs a key agreement at both ends. */
const genuineCommand = fc.oneof({ arbitrary: fc.constantFrom<Genuine>(...CLEAR_KINDS), weight: 3 }, { arbitrary: fc.constantFrom<Genuine>(...WRAPPED_KINDS), weight: 1 });

/** A genuine command ready to go: the card in the state it is sent in, the command as it goes on the line, and whether the channel wraps it. */
interface GenuineCommand {
  readonly prepared: Prepared;
  readonly apdu: CommandApdu;
  readonly wrapped: boolean;
}

function inChannel(state: string, plain: CommandApdu): GenuineCommand {
  const prepared = cardIn(state, true);
  return { prepared, apdu: prepared.channel!.wrap(plain), wrapped: true };
}

function genuine(kind: Genuine, anyState: () => Prepared): GenuineCommand {
  const clear = (prepared: Prepared, apdu: CommandApdu): GenuineCommand => ({ prepared, apdu, wrapped: false });
  switch (kind) {
    case 'register-pin': return clear(cardIn('Ns verified'), COMMANDS.registerPin(images.registerPin.fresh()));
    case 'register-pin-mutual': {
      // Fig. 6: the card's X from INTERNAL AUTHENTICATE, R ‖ X under ST.
      const prepared = cardIn('Ns verified');
      const answer = parseResponse(prepared.card.process(encodeCommand(COMMANDS.internalAuthenticate(TERMINAL_R))));
      if (answer.sw !== SW.OK) throw new Error(`INTERNAL AUTHENTICATE answered ${answer.sw.toString(16)}`);
      const cardRandom = answer.data.subarray(0, 8);
      return clear(prepared, COMMANDS.registerPin(images.registerPin.fresh({ terminalRandom: TERMINAL_R, cardRandom })));
    }
    case 'block-card': {
      const prepared = cardIn('selected, no PIN');
      const challenge = parseResponse(prepared.card.process(encodeCommand(COMMANDS.getChallenge()))).data;
      return clear(prepared, COMMANDS.blockCard(images.blockCardData(challenge)));
    }
    case 'verify-ns': return clear(cardIn('selected, no PIN'), COMMANDS.verifySettingNumber(ALICE.settingNumber));
    case 'verify-pin': return clear(cardIn('PIN verified'), COMMANDS.verifyPin(PIN));
    case 'internal-authenticate': return clear(cardIn('selected, no PIN'), COMMANDS.internalAuthenticate(TERMINAL_R));
    case 'select': return clear(anyState(), COMMANDS.select());
    case 'read-card-data': return clear(anyState(), COMMANDS.readCardData());
    case 'key-agreement': return clear(cardIn('selected, card with the channel key'), keyAgreementCommand(requestKeyAgreement(terminalRandom).data));
    case 'wrapped verify-pin': return inChannel('secure channel open', COMMANDS.verifyPin(PIN));
    case 'wrapped verify-ns': return inChannel('secure channel open', COMMANDS.verifySettingNumber(ALICE.settingNumber));
    case 'wrapped read-card-data': return inChannel('secure channel open', COMMANDS.readCardData());
    case 'wrapped get-challenge': return inChannel('secure channel open', COMMANDS.getChallenge());
    case 'wrapped register-pin': return inChannel('secure channel, Ns verified', COMMANDS.registerPin(images.registerPin.secureFresh()));
  }
}

function keyAgreementCommand(data: Uint8Array): CommandApdu {
  return { cla: 0x80, ins: INS.INTERNAL_AUTHENTICATE, p1: 0x00, p2: SCP11B.P2_KEY_IDENTIFIER, data, le: 256 };
}

/** The bytes of a command the C-MAC covers (SCP03: CLA, INS, P1, P2, Lc and the data; not Le). */
function macCovered(apdu: CommandApdu): string {
  return hex(concatBytes(Uint8Array.of(apdu.cla, apdu.ins, apdu.p1, apdu.p2), apdu.data));
}

/** The command `bytes` encode, or null when the card must refuse them as malformed. */
function commandOf(bytes: Uint8Array): CommandApdu | null {
  try {
    return parseCommand(bytes);
  } catch {
    return null;
  }
}

/** A command with the SM bit: 6982 while a channel is open (its C-MAC is wrong), 6E00 once it is closed (no such CLA in clear). */
const SM_PROBE = encodeCommand({ cla: SECURE_MESSAGING_CLA_BIT, ins: INS.VERIFY, p1: 0x00, p2: REFERENCE.PIN, data: new Uint8Array(8), le: null });

/**
 * After a command the channel refused: the channel is closed (a command with the SM bit gets
 * 6E00, not 6982) and the PIN is as it was before, not verified: the try counter unchanged,
 * asked in clear.
 */
function channelClosedPinKept(card: SimCard, pinTriesBefore: number): void {
  const next = parseResponse(card.process(SM_PROBE)).sw;
  if (next !== SW.CLA_NOT_SUPPORTED) fail(`after 6982 the channel is still open: a secure-messaging command answered ${next.toString(16)}`);
  const eeprom = card.eeprom.bytes;
  if (eeprom[LAYOUT.PIN_TRIES] !== pinTriesBefore) fail(`after 6982 the PIN has ${eeprom[LAYOUT.PIN_TRIES]} tries, not ${pinTriesBefore}`);
  const expected = eeprom[LAYOUT.PIN_LENGTH] === 0 ? SW.REFERENCE_DATA_NOT_USABLE : pinTriesBefore === 0 ? SW.AUTHENTICATION_METHOD_BLOCKED : triesLeftStatus(pinTriesBefore);
  const asked = parseResponse(card.process(encodeCommand(COMMANDS.triesLeft(REFERENCE.PIN)))).sw;
  if (asked !== expected) fail(`after 6982, VERIFY PIN with no data answered ${asked.toString(16)}, not ${expected.toString(16)} (the PIN left verified?)`);
}

/** A mutated wrapped command: 6982 and the channel closed, unless what the C-MAC covers is unchanged or the card never unwraps it. */
function checkWrapped(card: SimCard, original: CommandApdu, sent: readonly Uint8Array[], sw: number, pinTriesBefore: number): void {
  const last = commandOf(sent[sent.length - 1]!);
  if (last === null) return; // malformed: refused before the channel (6700 and the like), checked by sendChecked
  if (last.ins === INS.SELECT || (last.cla === 0x00 && last.ins === INS.GET_RESPONSE) || (last.cla & CLA_CHAINING) !== 0) return; // in clear or a chain link
  const whole = sent.length === 1 ? last : { ...last, data: concatBytes(...sent.map((link) => commandOf(link)?.data ?? new Uint8Array(0))) };
  if (macCovered(whole) === macCovered(original)) return; // only Le changed: the genuine command
  if (sw !== SW.SECURITY_STATUS_NOT_SATISFIED) fail(`a mutated wrapped command ${hex(sent[sent.length - 1]!).slice(0, 40)} answered ${sw.toString(16)}, not 6982`);
  channelClosedPinKept(card, pinTriesBefore);
}

/** Sends `apdu` like sendLong, returning the encoded links as well. */
function sendLinks(card: SimCard, apdu: CommandApdu): { sw: number; sent: Uint8Array[] } {
  const sent: Uint8Array[] = [];
  let offset = 0;
  for (; apdu.data.length - offset > MAX_SHORT_DATA; offset += MAX_SHORT_DATA) {
    const link = encodeCommand({ ...apdu, cla: apdu.cla | CLA_CHAINING, data: apdu.data.subarray(offset, offset + MAX_SHORT_DATA), le: null });
    sent.push(link);
    const sw = sendChecked(card, link);
    if (sw !== SW.OK) return { sw, sent };
  }
  const link = encodeCommand({ ...apdu, data: apdu.data.subarray(offset) });
  sent.push(link);
  return { sw: sendChecked(card, link), sent };
}

/** The TLVs of `bytes`, whatever their order: what a signature or a template covers. */
const fields = (bytes: Uint8Array) => decodeTlvs(bytes).map((t) => `${t.tag.toString(16)}=${hex(t.value)}`).sort().join(' ');

/** A command with the SM bit and no chaining, other than SELECT: what only the channel's end may send. */
const garbageSecureMessaging: fc.Arbitrary<CommandApdu> = wellFormed
  .filter((apdu) => apdu.ins !== INS.SELECT)
  .map((apdu) => ({ ...apdu, cla: (apdu.cla | SECURE_MESSAGING_CLA_BIT) & ~CLA_CHAINING }));

const properties: FuzzProperty<any>[] = [
  {
    name: 'arbitrary bytes as a command APDU, in every state: a documented status word, EEPROM written only as allowed',
    runs: 4000,
    input: fc.record({ state: stateName, command: fc.uint8Array({ maxLength: 300 }) }),
    check({ state, command }: { state: string; command: Uint8Array }) {
      sendChecked(cardIn(state).card, command);
    },
  } satisfies FuzzProperty<{ state: string; command: Uint8Array }>,
  {
    name: 'well-formed APDUs with any CLA, INS, P1, P2, data and Le, in every state: the status the header fixes',
    runs: 4000,
    input: fc.record({ state: stateName, apdu: wellFormed }),
    check({ state, apdu }: { state: string; apdu: CommandApdu }) {
      const sw = sendChecked(cardIn(state).card, encodeCommand(apdu));
      const expected = expectedStatus(STATES[state]!.session, apdu);
      if (expected && !expected.accepts(sw)) fail(`${state}, ${hex(encodeCommand(apdu)).slice(0, 40)}: ${expected.label} expected, got ${sw.toString(16)}`);
    },
  } satisfies FuzzProperty<{ state: string; apdu: CommandApdu }>,
  {
    name: 'sequences of up to 8 commands from every state: each answer keeps the invariants',
    runs: 1000,
    input: fc.record({ state: stateName, commands: fc.array(rawCommand, { maxLength: 8 }) }),
    check({ state, commands }: { state: string; commands: Uint8Array[] }) {
      const { card } = cardIn(state);
      for (const command of commands) sendChecked(card, command);
    },
  } satisfies FuzzProperty<{ state: string; commands: Uint8Array[] }>,
  {
    name: "mutated genuine commands (REGISTER PIN with and without R ‖ X, BLOCK CARD, VERIFY, key agreement, wrapped ones, ...): refused unless the signed or MACed content is the terminal's",
    runs: 1500,
    input: fc.record({ kind: genuineCommand, header: fc.boolean(), mutations: fc.array(mutationArbitrary, { minLength: 1, maxLength: 3 }) }),
    check({ kind, header, mutations }: { kind: Genuine; header: boolean; mutations: Mutation[] }) {
      const { prepared, apdu, wrapped: isWrapped } = genuine(kind, () => cardIn('selected, no PIN'));
      const { card } = prepared;
      const pinTries = card.eeprom.bytes[LAYOUT.PIN_TRIES]!;
      let sw: number;
      let sent: Uint8Array[];
      let data = apdu.data;
      const encoded = apdu.data.length <= MAX_SHORT_DATA ? encodeCommand(apdu) : null;
      if (header && encoded) {
        // The whole short APDU mutated (header, Lc, Le too).
        const bytes = mutateAll(encoded, mutations);
        sent = [bytes];
        sw = sendChecked(card, bytes);
        if (!isWrapped) return;
      } else {
        data = mutateAll(apdu.data, mutations);
        if (data.length > 2048) return;
        ({ sw, sent } = sendLinks(card, { ...apdu, data }));
      }
      if (isWrapped) return checkWrapped(card, apdu, sent, sw, pinTries);
      if (sw !== SW.OK) return;
      if (kind === 'register-pin' || kind === 'register-pin-mutual' || kind === 'block-card') {
        // Accepted: then it says what the terminal signed (the same TLVs, however they are laid out).
        if (fields(data) !== fields(apdu.data)) fail(`${kind}: a mutated command was accepted: ${hex(data)}`);
      }
      if (kind === 'key-agreement') {
        // Any point of the terminal's may be agreed on; the parameters only as SCP11b has them.
        const template = (bytes: Uint8Array) => hex(tlvMap(bytes, [SCP11_TAG.CONTROL_REFERENCE_TEMPLATE, SCP11_TAG.EPHEMERAL_PUBLIC_KEY]).get(SCP11_TAG.CONTROL_REFERENCE_TEMPLATE)!);
        if (template(data) !== template(apdu.data)) fail(`key agreement accepted with other parameters: ${hex(data)}`);
      }
    },
  } satisfies FuzzProperty<{ kind: Genuine; header: boolean; mutations: Mutation[] }>,
  {
    name: 'garbage secure-messaging commands (CLA bit 04, any C-MAC) in the open channel: 6982, the channel closed, the PIN neither tried nor left verified',
    runs: 400,
    input: fc.record({ state: fc.constantFrom(...CHANNEL_STATES), apdu: garbageSecureMessaging }),
    check({ state, apdu }: { state: string; apdu: CommandApdu }) {
      const prepared = cardIn(state);
      const pinTries = prepared.card.eeprom.bytes[LAYOUT.PIN_TRIES]!;
      const sw = sendChecked(prepared.card, encodeCommand(apdu));
      if (sw !== SW.SECURITY_STATUS_NOT_SATISFIED) fail(`${state}: ${hex(encodeCommand(apdu)).slice(0, 40)} answered ${sw.toString(16)}, not 6982`);
      channelClosedPinKept(prepared.card, pinTries);
    },
  } satisfies FuzzProperty<{ state: string; apdu: CommandApdu }>,
];

describe('fuzz: card APDU handling (card/card-application.ts)', function () {
  before(() => {
    images = makeImages();
  });
  fuzzTarget('card APDU', 'card-apdu', properties);
});
