/// <reference types="node" />
/// <reference types="mocha" />
// Fuzz target: the card application's APDU handling (card/card-application.ts, DESIGN.md §3).
// Whatever arrives at the contacts, in every session state, the card answers with a status word of
// its documented set (never 6F00, the status of an exception it caught), malformed commands get
// the specific one (6700, 6A86, 6D00, 6E00, 6985, ...), and its EEPROM changes only where the
// command may change it: try counters on VERIFY (by one, to the x of 63Cx), the PIN on REGISTER
// PIN and the life cycle on BLOCK CARD when they answer 9000, never a transaction left open.
import fc from 'fast-check';
import { suiteById } from '../../firmware/crypto/suites.js';
import { encodeCommand, parseResponse, type CommandApdu } from '../../firmware/protocol/apdu.js';
import { aid, CLA_CHAINING, COMMANDS, INS, MAX_SHORT_DATA, REFERENCE } from '../../firmware/protocol/commands.js';
import { blockMessage, decodeCardData, encodeBlockCard, encodeRegisterPin, pinMessage } from '../../firmware/protocol/data-objects.js';
import { decodeTlvs } from '../../firmware/protocol/tlv.js';
import { SW, triesLeftFrom } from '../../firmware/protocol/status-words.js';
import { LAYOUT } from '../../card/layout.js';
import { SimEeprom } from '../../card/eeprom.js';
import { SimCard } from '../../hal/sim/sim-card.js';
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

interface Images {
  readonly fresh: Uint8Array;
  readonly withPin: Uint8Array;
  readonly pinBlocked: Uint8Array;
  readonly blocked: Uint8Array;
  /** A REGISTER PIN a certified terminal signs for this card, and a BLOCK CARD for a given challenge. */
  readonly registerPinData: Uint8Array;
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
  const idu = decodeCardData(b.send(COMMANDS.readCardData()).data).cardNumber;
  const terminal = b.terminal;
  const signer = suiteById(terminal.suite);
  return {
    fresh, withPin: withPinImage, pinBlocked, blocked: lost.card.image.eeprom,
    registerPinData: encodeRegisterPin({ pin: PIN, certificate: terminal.certificate, signature: signer.sign(terminal.terminalSecretKey, pinMessage(idu, PIN)) }),
    blockCardData: (challenge) => encodeBlockCard(terminal.certificate, signer.sign(terminal.terminalSecretKey, blockMessage(challenge, idu))),
  };
}

/** What the card's RAM holds in a state: what the oracle of single commands needs. */
interface Session {
  readonly selected: boolean;
  readonly blocked: boolean;
  readonly settingNumberVerified: boolean;
  readonly pendingResponse: boolean;
  /** The header (CLA without the chaining bit, INS, P1, P2) of a chain under way. */
  readonly chain: readonly [number, number, number, number] | null;
  readonly challenge: boolean;
}

const NONE: Session = Object.freeze({ selected: false, blocked: false, settingNumberVerified: false, pendingResponse: false, chain: null, challenge: false });
const SELECTED: Session = Object.freeze({ ...NONE, selected: true });

interface State {
  readonly image: keyof Pick<Images, 'fresh' | 'withPin' | 'pinBlocked' | 'blocked'>;
  readonly setup: readonly CommandApdu[];
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
});
const STATE_NAMES = Object.keys(STATES);

let images: Images;

/** A card in `state`: a new chip from the state's image, reset, the setup commands sent. */
function cardIn(stateName: string): SimCard {
  const state = STATES[stateName]!;
  const card = new SimCard('fuzz', new SimEeprom(images[state.image]), (length) => new Uint8Array(length).fill(0x5a));
  card.reset();
  for (const command of state.setup) {
    const sw = parseResponse(card.process(encodeCommand(command))).sw;
    if (sw !== SW.OK && sw >> 8 !== 0x61) throw new Error(`setting up "${stateName}": ${hex(encodeCommand(command))} answered ${sw.toString(16)}`);
  }
  return card;
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
  if (cla !== 0x00 && cla !== 0x80) return exactly('unknown CLA', SW.CLA_NOT_SUPPORTED);
  if (ins === INS.SELECT) {
    if (cla !== 0x00) return exactly('SELECT with CLA 80', SW.CLA_NOT_SUPPORTED);
    if (p1 !== 0x04 || (p2 !== 0x00 && p2 !== 0x0c)) return exactly('SELECT P1-P2', SW.INCORRECT_P1P2);
    return sameBytes(data, aid()) ? exactly('SELECT of the AID', SW.OK) : exactly('SELECT of another AID', SW.FILE_NOT_FOUND);
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
      return le === 8 ? exactly('GET CHALLENGE', SW.OK) : exactly('GET CHALLENGE, Le not 8', 0x6c08);
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

/** A command longer than a short APDU, as CardLink sends it: chained links, each checked; the last one's status. */
function sendLong(card: SimCard, apdu: CommandApdu): number {
  let offset = 0;
  for (; apdu.data.length - offset > MAX_SHORT_DATA; offset += MAX_SHORT_DATA) {
    const sw = sendChecked(card, encodeCommand({ ...apdu, cla: apdu.cla | CLA_CHAINING, data: apdu.data.subarray(offset, offset + MAX_SHORT_DATA), le: null }));
    if (sw !== SW.OK) return sw;
  }
  return sendChecked(card, encodeCommand({ ...apdu, data: apdu.data.subarray(offset) }));
}

// ---------------------------------------------------------------------------------------------
// Inputs

const byte = fc.integer({ min: 0, max: 255 });
const stateName = fc.constantFrom(...STATE_NAMES);
const digits = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max }).map((text) => Uint8Array.from(text, (c) => c.charCodeAt(0)));

const wellFormed: fc.Arbitrary<CommandApdu> = fc.record({
  cla: fc.oneof(fc.constantFrom(0x00, 0x80, 0x10, 0x90), byte),
  ins: fc.oneof(fc.constantFrom(...Object.values(INS)), byte),
  p1: fc.oneof(fc.constantFrom(0x00, 0x04), byte),
  p2: fc.oneof(fc.constantFrom(0x00, 0x01, 0x0c, REFERENCE.PIN, REFERENCE.SETTING_NUMBER), byte),
  data: fc.oneof(fc.uint8Array({ maxLength: 255 }), fc.constant(aid()), digits(0, 16), fc.uint8Array({ minLength: 8, maxLength: 32 })),
  le: fc.option(fc.oneof(fc.constantFrom(8, 16, 256), fc.integer({ min: 1, max: 256 })), { nil: null }),
});

const rawCommand = fc.oneof(fc.uint8Array({ maxLength: 300 }), wellFormed.map(encodeCommand));

/** Genuine commands a terminal sends, to be mutated: the structure is right, the bytes are not. */
type Genuine = 'register-pin' | 'block-card' | 'verify-ns' | 'verify-pin' | 'internal-authenticate' | 'select' | 'read-card-data';
const genuineCommand = fc.constantFrom<Genuine>('register-pin', 'block-card', 'verify-ns', 'verify-pin', 'internal-authenticate', 'select', 'read-card-data');

/** The state a genuine command is sent in, and the command (a challenge-bound BLOCK CARD needs the card's challenge). */
function genuine(kind: Genuine, card: () => SimCard): { card: SimCard; apdu: CommandApdu } {
  switch (kind) {
    case 'register-pin': return { card: cardIn('Ns verified'), apdu: COMMANDS.registerPin(images.registerPinData) };
    case 'block-card': {
      const c = cardIn('selected, no PIN');
      const challenge = parseResponse(c.process(encodeCommand(COMMANDS.getChallenge()))).data;
      return { card: c, apdu: COMMANDS.blockCard(images.blockCardData(challenge)) };
    }
    case 'verify-ns': return { card: cardIn('selected, no PIN'), apdu: COMMANDS.verifySettingNumber(ALICE.settingNumber) };
    case 'verify-pin': return { card: cardIn('PIN verified'), apdu: COMMANDS.verifyPin(PIN) };
    case 'internal-authenticate': return { card: cardIn('selected, no PIN'), apdu: COMMANDS.internalAuthenticate(new Uint8Array(16).fill(7)) };
    case 'select': return { card: card(), apdu: COMMANDS.select() };
    case 'read-card-data': return { card: card(), apdu: COMMANDS.readCardData() };
  }
}

const properties: FuzzProperty<any>[] = [
  {
    name: 'arbitrary bytes as a command APDU, in every state: a documented status word, EEPROM written only as allowed',
    runs: 4000,
    input: fc.record({ state: stateName, command: fc.uint8Array({ maxLength: 300 }) }),
    check({ state, command }: { state: string; command: Uint8Array }) {
      sendChecked(cardIn(state), command);
    },
  } satisfies FuzzProperty<{ state: string; command: Uint8Array }>,
  {
    name: 'well-formed APDUs with any CLA, INS, P1, P2, data and Le, in every state: the status the header fixes',
    runs: 4000,
    input: fc.record({ state: stateName, apdu: wellFormed }),
    check({ state, apdu }: { state: string; apdu: CommandApdu }) {
      const sw = sendChecked(cardIn(state), encodeCommand(apdu));
      const expected = expectedStatus(STATES[state]!.session, apdu);
      if (expected && !expected.accepts(sw)) fail(`${state}, ${hex(encodeCommand(apdu)).slice(0, 40)}: ${expected.label} expected, got ${sw.toString(16)}`);
    },
  } satisfies FuzzProperty<{ state: string; apdu: CommandApdu }>,
  {
    name: 'sequences of up to 8 commands from every state: each answer keeps the invariants',
    runs: 1000,
    input: fc.record({ state: stateName, commands: fc.array(rawCommand, { maxLength: 8 }) }),
    check({ state, commands }: { state: string; commands: Uint8Array[] }) {
      const card = cardIn(state);
      for (const command of commands) sendChecked(card, command);
    },
  } satisfies FuzzProperty<{ state: string; commands: Uint8Array[] }>,
  {
    name: "mutated genuine commands (REGISTER PIN, BLOCK CARD, VERIFY, ...): refused unless the signed content is the terminal's",
    runs: 1500,
    input: fc.record({ kind: genuineCommand, header: fc.boolean(), mutations: fc.array(mutationArbitrary, { minLength: 1, maxLength: 3 }) }),
    check({ kind, header, mutations }: { kind: Genuine; header: boolean; mutations: Mutation[] }) {
      const { card, apdu } = genuine(kind, () => cardIn('selected, no PIN'));
      if (header) {
        // The whole short APDU mutated (header, Lc, Le too), when it is one.
        const encoded = apdu.data.length <= MAX_SHORT_DATA ? encodeCommand(apdu) : null;
        if (encoded) return void sendChecked(card, mutateAll(encoded, mutations));
      }
      const data = mutateAll(apdu.data, mutations);
      if (data.length > 2048) return;
      const sw = sendLong(card, { ...apdu, data });
      if (sw === SW.OK && (kind === 'register-pin' || kind === 'block-card')) {
        // Accepted: then it says what the terminal signed (the same TLVs, however they are laid out).
        const fields = (bytes: Uint8Array) => decodeTlvs(bytes).map((t) => `${t.tag.toString(16)}=${hex(t.value)}`).sort().join(' ');
        if (fields(data) !== fields(apdu.data)) fail(`${kind}: a mutated command was accepted: ${hex(data)}`);
      }
    },
  } satisfies FuzzProperty<{ kind: Genuine; header: boolean; mutations: Mutation[] }>,
];

describe('fuzz: card APDU handling (card/card-application.ts)', function () {
  before(() => {
    images = makeImages();
  });
  fuzzTarget('card APDU', 'card-apdu', properties);
});
