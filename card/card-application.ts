// The IC card application (claim 1, DESIGN.md §3): it proves its signed data, checks the
// setting number Ns and the PIN Nc itself, and takes a new PIN only from a certified terminal.
// Every command answers with a status word; nothing but a power cut leaves process().
import { sha256 } from '../firmware/crypto/hash.js';
import { suiteById } from '../firmware/crypto/suites.js';
import type { RandomBytes } from '../firmware/crypto/suite.js';
import { ApduStatusError, encodeResponse, parseCommand, statusOnly, type CommandApdu, type ResponseApdu } from '../firmware/protocol/apdu.js';
import { asciiBytes, concatBytes, constantTimeEqual } from '../firmware/protocol/bytes.js';
import { aid, CHALLENGE_LENGTH, CLA_ISO, CLA_PROPRIETARY, INS, REFERENCE } from '../firmware/protocol/commands.js';
import {
  authenticateMessage, blockMessage, certificateMessage, decodeCertificateValue, pinMessage, TAG,
  type TerminalCertificate,
} from '../firmware/protocol/data-objects.js';
import { decodeDigits, DIGIT_RULES } from '../firmware/protocol/digits.js';
import { exactLengthStatus, SW, triesLeftStatus } from '../firmware/protocol/status-words.js';
import { tlvMap, TlvError } from '../firmware/protocol/tlv.js';
import { PowerCutError } from '../hal/flash.js';
import { answerKeyAgreement, SCP11B } from '../firmware/secure-channel/scp11.js';
import { CardSecureMessaging, SecureMessagingError } from '../firmware/secure-channel/secure-messaging.js';
import { answerToReset } from './atr.js';
import { CommandChain, ResponseBuffer } from './chaining.js';
import type { Eeprom } from './eeprom.js';
import { LAYOUT, LIFE_CYCLE, pinField, readStaticData, TRY_LIMIT, type StaticData } from './layout.js';
import { TransactionBuffer, type PendingWrite } from './transaction.js';

const AUTH_RANDOM_MIN = 8;
const AUTH_RANDOM_MAX = 32;

const ok = (data?: Uint8Array): ResponseApdu => (data ? { data, sw: SW.OK } : statusOnly(SW.OK));
const status = statusOnly;

/** Session state: RAM only, gone at reset or when another application is selected. */
interface Session {
  selected: boolean;
  settingNumberVerified: boolean;
  pinVerified: boolean;
  challenge: Uint8Array | null; // for BLOCK CARD, used once
  authentication: { terminalRandom: Uint8Array; cardRandom: Uint8Array } | null; // fig. 6 R, X
  /** [0021]: the encrypted channel of this session (SCP11b), from the key agreement on. */
  channel: CardSecureMessaging | null;
}

function freshSession(): Session {
  return { selected: false, settingNumberVerified: false, pinVerified: false, challenge: null, authentication: null, channel: null };
}

export class CardApplication {
  #eeprom: Eeprom;
  #random: RandomBytes;
  #transactions: TransactionBuffer;
  #static: StaticData | null = null;
  #session: Session = freshSession();
  #chain = new CommandChain();
  #responses = new ResponseBuffer();

  constructor(eeprom: Eeprom, random: RandomBytes) {
    this.#eeprom = eeprom;
    this.#random = random;
    this.#transactions = new TransactionBuffer(eeprom, LAYOUT.TRANSACTION, LAYOUT.TRANSACTION_SIZE);
  }

  /**
   * Power-on or warm reset: finish an interrupted transaction, forget the session, send the ATR.
   * A card left with no setting-number tries but still in service (torn by firmware that wrote
   * the two bytes apart) is blocked here, as its third wrong setting number should have done.
   */
  reset(): Uint8Array {
    this.#session = freshSession();
    this.#chain.clear();
    this.#responses.clear();
    this.#static = null;
    try {
      this.#transactions.recover();
      if (this.#byte(LAYOUT.SETTING_NUMBER_TRIES) === 0 && this.#byte(LAYOUT.LIFE_CYCLE) === LIFE_CYCLE.ACTIVE) {
        this.#setByte(LAYOUT.LIFE_CYCLE, LIFE_CYCLE.BLOCKED);
      }
      this.#static = readStaticData(this.#eeprom);
    } catch (error) {
      if (error instanceof PowerCutError) throw error;
      // A card whose memory cannot be read still answers, with 6581 to everything.
    }
    return answerToReset();
  }

  process(bytes: Uint8Array): Uint8Array {
    let response: ResponseApdu;
    try {
      response = this.#receive(parseCommand(bytes));
    } catch (error) {
      if (error instanceof PowerCutError) throw error;
      this.#chain.clear();
      this.#responses.clear();
      response = status(error instanceof ApduStatusError ? error.sw : error instanceof TlvError ? SW.WRONG_DATA : SW.UNKNOWN_ERROR);
    }
    return encodeResponse(response);
  }

  /** Chains in, long answers out; everything between sees whole commands and whole answers. */
  #receive(apdu: CommandApdu): ResponseApdu {
    if (apdu.cla === CLA_ISO && apdu.ins === INS.GET_RESPONSE) {
      if (apdu.p1 !== 0x00 || apdu.p2 !== 0x00) return status(SW.INCORRECT_P1P2);
      return this.#responses.next(apdu.le);
    }
    this.#responses.clear();
    if (apdu.ins === INS.SELECT) this.#chain.clear();
    const step = this.#chain.add(apdu);
    if (step.kind === 'refused') return status(step.sw);
    if (step.kind === 'more') return ok();
    const channel = this.#session.channel;
    if (!channel || step.apdu.ins === INS.SELECT) return this.#responses.send(this.#dispatch(step.apdu), step.apdu.le);
    // [0021]: inside the channel every command is wrapped (C-DEC, C-MAC) and every answer too;
    // one that does not check closes the channel (SCP03 §6.2.4), and the session's rights with it.
    let plain: CommandApdu;
    try {
      plain = channel.unwrap(step.apdu);
    } catch (error) {
      if (!(error instanceof SecureMessagingError)) throw error;
      this.#session = { ...freshSession(), selected: this.#session.selected };
      return status(SW.SECURITY_STATUS_NOT_SATISFIED);
    }
    return this.#responses.send(channel.wrap(this.#dispatch(plain)), step.apdu.le);
  }

  #dispatch(apdu: CommandApdu): ResponseApdu {
    if (apdu.cla !== CLA_ISO && apdu.cla !== CLA_PROPRIETARY) return status(SW.CLA_NOT_SUPPORTED);
    if (apdu.ins === INS.SELECT) return apdu.cla === CLA_ISO ? this.#select(apdu) : status(SW.CLA_NOT_SUPPORTED);
    if (apdu.ins === INS.INTERNAL_AUTHENTICATE && apdu.cla === CLA_PROPRIETARY) return this.#withCard((card) => this.#keyAgreement(apdu, card));
    const handler = this.#handlers[apdu.ins];
    if (!handler) return status(SW.INS_NOT_SUPPORTED);
    if (apdu.cla !== handler.cla) return status(SW.CLA_NOT_SUPPORTED);
    const card = this.#static;
    if (!card) return status(SW.MEMORY_FAILURE);
    if (!this.#session.selected) return status(SW.CONDITIONS_NOT_SATISFIED);
    // [0013]: a blocked card still shows who it is, and nothing more.
    if (this.#byte(LAYOUT.LIFE_CYCLE) !== LIFE_CYCLE.ACTIVE && apdu.ins !== INS.READ_CARD_DATA) return status(SW.AUTHENTICATION_METHOD_BLOCKED);
    return handler.run(apdu, card);
  }

  readonly #handlers: Readonly<Record<number, { cla: number; run: (apdu: CommandApdu, card: StaticData) => ResponseApdu }>> = Object.freeze({
    [INS.READ_CARD_DATA]: { cla: CLA_PROPRIETARY, run: (apdu, card) => this.#readCardData(apdu, card) },
    [INS.VERIFY]: { cla: CLA_ISO, run: (apdu, card) => this.#verify(apdu, card) },
    [INS.REGISTER_PIN]: { cla: CLA_PROPRIETARY, run: (apdu, card) => this.#registerPin(apdu, card) },
    [INS.GET_CHALLENGE]: { cla: CLA_ISO, run: (apdu) => this.#getChallenge(apdu) },
    [INS.INTERNAL_AUTHENTICATE]: { cla: CLA_ISO, run: (apdu, card) => this.#internalAuthenticate(apdu, card) },
    [INS.BLOCK_CARD]: { cla: CLA_PROPRIETARY, run: (apdu, card) => this.#blockCard(apdu, card) },
  });

  #select(apdu: CommandApdu): ResponseApdu {
    if (apdu.p1 !== 0x04 || (apdu.p2 !== 0x00 && apdu.p2 !== 0x0c)) return status(SW.INCORRECT_P1P2);
    // Selecting anything, even this application again, ends the verified states.
    this.#session = freshSession();
    if (!constantTimeEqual(apdu.data, aid())) return status(SW.FILE_NOT_FOUND);
    if (!this.#static) return status(SW.MEMORY_FAILURE);
    this.#session.selected = true;
    // A blocked card is still selected (READ CARD DATA shows who it is) but says so at once, as
    // an EMV card answers SELECT for a blocked application (EMV Book 1, candidate list).
    return this.#byte(LAYOUT.LIFE_CYCLE) === LIFE_CYCLE.ACTIVE ? ok() : status(SW.SELECTED_FILE_DEACTIVATED);
  }

  // Patent [0011], [0019]: Nt, SA2 and SA1 to the terminal.
  #readCardData(apdu: CommandApdu, card: StaticData): ResponseApdu {
    if (apdu.p1 !== 0x00 || apdu.p2 !== 0x01) return status(SW.INCORRECT_P1P2);
    if (apdu.data.length > 0) return status(SW.WRONG_LENGTH);
    if (apdu.le === null) return status(SW.WRONG_LENGTH);
    return ok(card.encodedCardData.slice()); // longer than Le: the rest follows GET RESPONSE
  }

  #verify(apdu: CommandApdu, card: StaticData): ResponseApdu {
    if (apdu.p1 !== 0x00) return status(SW.INCORRECT_P1P2);
    if (apdu.p2 === REFERENCE.PIN) return this.#verifyPin(apdu.data);
    if (apdu.p2 === REFERENCE.SETTING_NUMBER) return this.#verifySettingNumber(apdu.data, card);
    return status(SW.INCORRECT_P1P2);
  }

  // [0012]: Ns' against Ns, here as H(salt ‖ Ns') against the commitment C.
  #verifySettingNumber(entered: Uint8Array, card: StaticData): ResponseApdu {
    const tries = this.#byte(LAYOUT.SETTING_NUMBER_TRIES);
    if (entered.length === 0) return this.#session.settingNumberVerified ? ok() : tries === 0 ? status(SW.AUTHENTICATION_METHOD_BLOCKED) : status(triesLeftStatus(tries));
    const rule = DIGIT_RULES.settingNumber;
    if (entered.length < rule.min || entered.length > rule.max) return status(SW.WRONG_LENGTH);
    if (decodeDigits('settingNumber', entered) === null) return status(SW.WRONG_DATA);
    if (tries === 0) return status(SW.AUTHENTICATION_METHOD_BLOCKED);
    // Before the compare: a cut never gives a free try. The setting number is the last line of
    // defence, so spending its last try blocks the card for good, in the same atomic step: a cut
    // between the two writes would leave a card in service with no Ns tries.
    const last = tries === 1;
    this.#update(last
      ? [byteAt(LAYOUT.SETTING_NUMBER_TRIES, 0), byteAt(LAYOUT.LIFE_CYCLE, LIFE_CYCLE.BLOCKED)]
      : [byteAt(LAYOUT.SETTING_NUMBER_TRIES, tries - 1)]);
    const match = constantTimeEqual(sha256(concatBytes(card.salt, entered)), card.cardData.commitment);
    if (match) {
      this.#update(last
        ? [byteAt(LAYOUT.SETTING_NUMBER_TRIES, TRY_LIMIT), byteAt(LAYOUT.LIFE_CYCLE, LIFE_CYCLE.ACTIVE)]
        : [byteAt(LAYOUT.SETTING_NUMBER_TRIES, TRY_LIMIT)]);
      this.#session.settingNumberVerified = true;
      return ok(); // the first authentication notice
    }
    this.#session.settingNumberVerified = false;
    return status(triesLeftStatus(tries - 1));
  }

  // [0014]: Nc' against Nc.
  #verifyPin(entered: Uint8Array): ResponseApdu {
    const tries = this.#byte(LAYOUT.PIN_TRIES);
    const length = this.#byte(LAYOUT.PIN_LENGTH);
    if (entered.length === 0) {
      if (length === 0) return status(SW.REFERENCE_DATA_NOT_USABLE);
      if (tries === 0) return status(SW.AUTHENTICATION_METHOD_BLOCKED);
      return this.#session.pinVerified ? ok() : status(triesLeftStatus(tries));
    }
    const rule = DIGIT_RULES.pin;
    if (entered.length < rule.min || entered.length > rule.max) return status(SW.WRONG_LENGTH);
    if (decodeDigits('pin', entered) === null) return status(SW.WRONG_DATA);
    if (length === 0) return status(SW.REFERENCE_DATA_NOT_USABLE);
    if (tries === 0) return status(SW.AUTHENTICATION_METHOD_BLOCKED);
    this.#setByte(LAYOUT.PIN_TRIES, tries - 1);
    const stored = this.#eeprom.read(LAYOUT.PIN, DIGIT_RULES.pin.max);
    // Both parts are computed before they are combined: the time does not depend on where they differ.
    const sameDigits = constantTimeEqual(pinField(entered), stored);
    const sameLength = entered.length === length;
    if (sameDigits && sameLength) {
      this.#setByte(LAYOUT.PIN_TRIES, TRY_LIMIT);
      this.#session.pinVerified = true;
      return ok(); // the second authentication notice
    }
    this.#session.pinVerified = false;
    return status(triesLeftStatus(tries - 1));
  }

  // [0012], [0017]: a new PIN, signed by a terminal the issuer certified, after Ns was shown.
  #registerPin(apdu: CommandApdu, card: StaticData): ResponseApdu {
    if (apdu.p1 !== 0x00 || apdu.p2 !== REFERENCE.PIN) return status(SW.INCORRECT_P1P2);
    if (!this.#session.settingNumberVerified) return status(SW.SECURITY_STATUS_NOT_SATISFIED);
    const fields = tlvMap(apdu.data,
      [TAG.PIN, TAG.TERMINAL_CERTIFICATE, TAG.TERMINAL_SIGNATURE, TAG.TERMINAL_RANDOM, TAG.CARD_RANDOM],
      [TAG.PIN, TAG.TERMINAL_CERTIFICATE, TAG.TERMINAL_SIGNATURE]);
    const pinBytes = fields.get(TAG.PIN)!;
    const pin = decodeDigits('pin', pinBytes);
    if (pin === null) return status(SW.WRONG_DATA);
    const certificate = this.#checkCertificate(fields.get(TAG.TERMINAL_CERTIFICATE)!, card);
    if (!certificate) return status(SW.WRONG_DATA);
    const terminalRandom = fields.get(TAG.TERMINAL_RANDOM);
    const cardRandom = fields.get(TAG.CARD_RANDOM);
    let challenge: { terminalRandom: Uint8Array; cardRandom: Uint8Array } | undefined;
    if (terminalRandom || cardRandom) {
      // Fig. 6: R and X must be the ones of this session's INTERNAL AUTHENTICATE, used once.
      const expected = this.#session.authentication;
      this.#session.authentication = null;
      if (!terminalRandom || !cardRandom || !expected) return status(SW.WRONG_DATA);
      if (!constantTimeEqual(terminalRandom, expected.terminalRandom) || !constantTimeEqual(cardRandom, expected.cardRandom)) return status(SW.WRONG_DATA);
      challenge = expected;
    }
    const signed = pinMessage(card.cardData.cardNumber, pin, challenge);
    if (!suiteById(certificate.suite).verify(certificate.terminalPublicKey, signed, fields.get(TAG.TERMINAL_SIGNATURE)!)) return status(SW.WRONG_DATA);
    this.#transactions.commit([
      { offset: LAYOUT.PIN, data: pinField(asciiBytes(pin)) },
      { offset: LAYOUT.PIN_LENGTH, data: Uint8Array.of(pin.length) },
      { offset: LAYOUT.PIN_TRIES, data: Uint8Array.of(TRY_LIMIT) },
    ]);
    // One Ns verification registers one PIN.
    this.#session.settingNumberVerified = false;
    this.#session.pinVerified = false;
    return ok();
  }

  /** CT = Sig_A(terminal id ‖ nT ‖ validity) under the issuer key this card was issued with. */
  #checkCertificate(value: Uint8Array, card: StaticData): TerminalCertificate | null {
    const certificate = decodeCertificateValue(value);
    if (certificate.suite !== card.cardData.suite || certificate.keyId !== card.cardData.keyId) return null;
    const { signature, ...unsigned } = certificate;
    const suite = suiteById(certificate.suite);
    if (!suite.isPublicKey(certificate.terminalPublicKey)) return null;
    return suite.verify(card.issuerPublicKey, certificateMessage(unsigned), signature) ? certificate : null;
  }

  #getChallenge(apdu: CommandApdu): ResponseApdu {
    if (apdu.p1 !== 0x00 || apdu.p2 !== 0x00) return status(SW.INCORRECT_P1P2);
    if (apdu.data.length > 0 || apdu.le === null) return status(SW.WRONG_LENGTH);
    // Le 00 (256: "up to 256") is the one a secure channel sends for every command.
    if (apdu.le !== CHALLENGE_LENGTH && apdu.le !== 256) return status(exactLengthStatus(CHALLENGE_LENGTH));
    const challenge = this.#random(CHALLENGE_LENGTH);
    this.#session.challenge = challenge;
    return ok(challenge.slice());
  }

  /** The checks every command of a selected, usable card passes first. */
  #withCard(run: (card: StaticData) => ResponseApdu): ResponseApdu {
    const card = this.#static;
    if (!card) return status(SW.MEMORY_FAILURE);
    if (!this.#session.selected) return status(SW.CONDITIONS_NOT_SATISFIED);
    if (this.#byte(LAYOUT.LIFE_CYCLE) !== LIFE_CYCLE.ACTIVE) return status(SW.AUTHENTICATION_METHOD_BLOCKED);
    return run(card);
  }

  // [0021]: SCP11b key agreement (GP Amd F, INTERNAL AUTHENTICATE 80 88 00 13): the channel of this session.
  #keyAgreement(apdu: CommandApdu, card: StaticData): ResponseApdu {
    if (apdu.p1 !== 0x00 || apdu.p2 !== SCP11B.P2_KEY_IDENTIFIER) return status(SW.INCORRECT_P1P2);
    if (!card.cardAgreementSecret) return status(SW.INS_NOT_SUPPORTED); // an older card: no channel key
    if (this.#session.channel) return status(SW.CONDITIONS_NOT_SATISFIED);
    try {
      const { answer, channel } = answerKeyAgreement(apdu.data, card.cardAgreementSecret, this.#random);
      this.#session.channel = channel;
      return ok(answer);
    } catch (error) {
      if (error instanceof TlvError || error instanceof SecureMessagingError) return status(SW.WRONG_DATA);
      throw error;
    }
  }

  // [0016], [0018]: X ‖ SU(R ‖ X), proving the card holds pU, qU.
  #internalAuthenticate(apdu: CommandApdu, card: StaticData): ResponseApdu {
    if (apdu.p1 !== 0x00 || apdu.p2 !== 0x00) return status(SW.INCORRECT_P1P2);
    if (apdu.data.length < AUTH_RANDOM_MIN || apdu.data.length > AUTH_RANDOM_MAX) return status(SW.WRONG_LENGTH);
    const terminalRandom = apdu.data.slice();
    const cardRandom = this.#random(CHALLENGE_LENGTH);
    const signature = suiteById(card.cardData.suite).sign(card.cardSecretKey, authenticateMessage(terminalRandom, cardRandom));
    this.#session.authentication = { terminalRandom, cardRandom };
    return ok(concatBytes(cardRandom, signature));
  }

  // [0013], [0019]: a certified terminal marks the card unusable, signing this session's challenge.
  #blockCard(apdu: CommandApdu, card: StaticData): ResponseApdu {
    if (apdu.p1 !== 0x00 || apdu.p2 !== 0x00) return status(SW.INCORRECT_P1P2);
    const challenge = this.#session.challenge;
    this.#session.challenge = null;
    if (!challenge) return status(SW.CONDITIONS_NOT_SATISFIED);
    const fields = tlvMap(apdu.data, [TAG.TERMINAL_CERTIFICATE, TAG.TERMINAL_SIGNATURE]);
    const certificate = this.#checkCertificate(fields.get(TAG.TERMINAL_CERTIFICATE)!, card);
    if (!certificate) return status(SW.WRONG_DATA);
    const signed = blockMessage(challenge, card.cardData.cardNumber);
    if (!suiteById(certificate.suite).verify(certificate.terminalPublicKey, signed, fields.get(TAG.TERMINAL_SIGNATURE)!)) return status(SW.WRONG_DATA);
    this.#setByte(LAYOUT.LIFE_CYCLE, LIFE_CYCLE.BLOCKED);
    this.#session = { ...freshSession(), selected: true };
    return ok();
  }

  #byte(offset: number): number {
    return this.#eeprom.read(offset, 1)[0]!;
  }

  /** One byte: the write a power cut cannot split. */
  #setByte(offset: number, value: number): void {
    this.#eeprom.write(offset, Uint8Array.of(value));
  }

  /** One command's persistent effect: a single byte goes straight in, anything more through the transaction buffer. */
  #update(writes: readonly PendingWrite[]): void {
    const only = writes.length === 1 ? writes[0]! : null;
    if (only && only.data.length === 1) this.#setByte(only.offset, only.data[0]!);
    else this.#transactions.commit(writes);
  }
}

function byteAt(offset: number, value: number): PendingWrite {
  return { offset, data: Uint8Array.of(value) };
}
