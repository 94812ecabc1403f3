// The wire formats and signature suites the card and terminal share (DESIGN.md §2 and §3):
// BER-TLV, command and response APDUs with their status words, the card data object, and
// signing and verification under suites 1 and 2. Engine-neutral: these run on Node and on XS.
import { suiteById } from '../../firmware/crypto/suites.js';
import { ApduStatusError, encodeCommand, encodeResponse, parseCommand, parseResponse } from '../../firmware/protocol/apdu.js';
import { concatBytes, fromHex, toHex } from '../../firmware/protocol/bytes.js';
import { checkDate, decodeDate, parseUtcOffset } from '../../firmware/protocol/dates.js';
import { digitProblem, isDecimalDigits } from '../../firmware/protocol/digits.js';
import { COMMANDS, INS } from '../../firmware/protocol/commands.js';
import {
  certificateMessage, decodeCardData, decodeCertificate, encodeCardData, sa1Message, sa2Message, TAG, type CardData,
} from '../../firmware/protocol/data-objects.js';
import { describeStatus, SW, triesLeftFrom, triesLeftStatus } from '../../firmware/protocol/status-words.js';
import { decodeTlvs, encodeConstructed, encodeTlv, tlvMap } from '../../firmware/protocol/tlv.js';
import { SeededRandom } from '../../hal/sim/random.js';
import { createIssuerKey, issueCard, provisionTerminal } from '../../issuer/issuer.js';
import { equal, ok, rejects, type Scenario } from './scenario.js';

function bytes(hex: string): Uint8Array {
  return fromHex(hex);
}

/** The status word parseCommand asks the card to answer with, or a failure if it accepted the APDU. */
function statusFor(apdu: Uint8Array): number {
  try {
    parseCommand(apdu);
  } catch (error) {
    ok(error instanceof ApduStatusError, `expected ApduStatusError, got ${(error as Error).name}: ${(error as Error).message}`);
    return error.sw;
  }
  throw new Error(`APDU ${toHex(apdu)} was accepted`);
}

/** Replaces the first TLV with this tag inside a card data template by a new value. */
function rewriteField(encoded: Uint8Array, tag: number, value: Uint8Array): Uint8Array {
  const [template] = decodeTlvs(encoded);
  const fields = decodeTlvs(template!.value).map((tlv) => (tlv.tag === tag ? { tag, value } : tlv));
  return encodeConstructed(TAG.CARD_DATA_TEMPLATE, fields);
}

function issued(suite: number, seed: string): { data: CardData; issuerPublicKey: Uint8Array } {
  const random = new SeededRandom(seed).source;
  const issuer = createIssuerKey(suite, 1, random);
  const card = issueCard(issuer, { registrationNumber: '12345678', settingNumber: '1357', expiry: '2030-12-31' }, random);
  return { data: card.cardData, issuerPublicKey: issuer.publicKey };
}

const tlvScenarios: Scenario[] = [
  {
    name: 'TLV: short, 81 and 82 length forms round-trip',
    run() {
      for (const length of [0, 1, 0x7f, 0x80, 0xff, 0x100, 0x1234]) {
        const value = new Uint8Array(length).map((_, i) => i & 0xff);
        const encoded = encodeTlv(0xc1, value);
        const expectedHeader = length < 0x80 ? 2 : length <= 0xff ? 3 : 4;
        equal(encoded.length, expectedHeader + length, `encoded size for ${length} bytes`);
        const [item, ...rest] = decodeTlvs(encoded);
        equal(rest.length, 0, 'one TLV');
        equal(item!.tag, 0xc1, 'tag');
        equal(item!.value, value, `value of ${length} bytes`);
      }
    },
  },
  {
    name: 'TLV: two-byte tags and constructed templates round-trip',
    run() {
      const encoded = encodeConstructed(0x70, [
        { tag: 0x5f20, value: bytes('414243') },
        { tag: 0xc1, value: bytes('3132') },
      ]);
      equal(toHex(encoded), '700A5F2003414243C1023132', 'encoding');
      const [outer] = decodeTlvs(encoded);
      const inner = decodeTlvs(outer!.value);
      equal(inner.map((t) => t.tag), [0x5f20, 0xc1], 'inner tags');
      equal(inner[0]!.value, bytes('414243'), 'inner value');
    },
  },
  {
    name: 'TLV: malformed input is refused with a reason',
    async run() {
      const cases: ReadonlyArray<readonly [string, RegExp]> = [
        ['C105AABB', /says 5 bytes, only 2 present/],
        ['C1', /length missing/],
        ['C180', /indefinite length/],
        ['C183000001AA', /length field of 3 bytes is too long/],
        ['C182 00', /length truncated/],
        ['00 01 AA', /invalid tag byte/],
        ['FF 01 AA', /invalid tag byte/],
        ['5F', /tag truncated/],
        ['5F 81 01 01 AA', /tags longer than two bytes/],
      ];
      for (const [hex, reason] of cases) {
        await rejects(() => decodeTlvs(bytes(hex)), new RegExp(`^TlvError: .*${reason.source}`), `decoding ${hex}`);
      }
      await rejects(() => encodeConstructed(0xc1, []), /TlvError: .*not a constructed tag/, 'C1 as a template');
      await rejects(() => encodeTlv(0x1f, new Uint8Array(0)), /TlvError: .*announces a second byte/, 'tag 1F alone');
      await rejects(() => encodeTlv(0xc1, new Uint8Array(0x10000)), /TlvError: value too long/, '64 KiB value');
    },
  },
  {
    name: 'TLV: tlvMap refuses unknown, repeated and missing tags',
    async run() {
      const c1 = encodeTlv(0xc1, bytes('01'));
      const c2 = encodeTlv(0xc2, bytes('02'));
      equal(tlvMap(concatBytes(c1, c2), [0xc1, 0xc2]).get(0xc2), bytes('02'), 'well-formed map');
      await rejects(() => tlvMap(concatBytes(c1, c2), [0xc1]), /TlvError: unexpected tag c2/, 'unknown tag');
      await rejects(() => tlvMap(concatBytes(c1, c1), [0xc1]), /TlvError: tag c1 appears twice/, 'repeated tag');
      await rejects(() => tlvMap(c1, [0xc1, 0xc2]), /TlvError: missing tag c2/, 'missing tag');
    },
  },
];

// Text the terminal parses without regular expressions (XS compiles a literal on every evaluation).
const textScenarios: Scenario[] = [
  {
    name: 'hex: separators as people paste them, both cases, long answers; anything else refused',
    async run() {
      equal(fromHex('00 a4:04\t00\nFf\u00a0\u3000\ufeff01'), Uint8Array.of(0x00, 0xa4, 0x04, 0x00, 0xff, 0x01), 'spaces, colons, tabs, newlines, Unicode spaces');
      equal(fromHex(''), new Uint8Array(0), 'empty');
      const long = new Uint8Array(900).map((_, i) => (i * 37) & 0xff);
      equal(fromHex(toHex(long)), long, '900 bytes (1,800 digits, past the 64-character pieces)');
      equal(fromHex(toHex(long).toLowerCase()), long, 'lower case');
      for (const bad of ['0', 'abc', '0g', 'zz', '12-34', '0x12', '12\u00e9', 'ÿÿ']) {
        await rejects(() => fromHex(bad), /not a hex byte string/, `"${bad}"`);
      }
      await rejects(() => fromHex(`${'00'.repeat(100)}G0`), /not a hex byte string/, 'a bad digit after the first piece');
    },
  },
  {
    name: 'digits, dates and UTC offsets: the same answers as the patterns they replace',
    async run() {
      equal([isDecimalDigits(''), isDecimalDigits('0123456789'), isDecimalDigits('12a4'), isDecimalDigits('１２'), isDecimalDigits('12 ')], [true, true, false, false, false], 'decimal digits');
      equal(digitProblem('pin', '2468'), null, 'a PIN');
      equal(digitProblem('pin', '24x8'), 'PIN (Nc) must be decimal digits only', 'a letter');
      equal(digitProblem('pin', '246'), 'PIN (Nc) must be 4 to 8 digits, got 3', 'too short');
      equal(checkDate('2030-12-31'), '2030-12-31', 'a date');
      equal(decodeDate(Uint8Array.of(0x20, 0x28, 0x02, 0x29)), '2028-02-29', 'a leap day from BCD');
      await rejects(() => decodeDate(Uint8Array.of(0x20, 0x27, 0x02, 0x29)), /no such date: 2027-02-29/, 'no leap day in 2027');
      for (const bad of ['2030-1-31', '2030/12/31', '20301231', ' 2030-12-31', '2030-12-31\n', '２０３０-12-31', 'abcd-ef-gh']) {
        await rejects(() => checkDate(bad), /date must be YYYY-MM-DD/, `"${bad}"`);
      }
      await rejects(() => checkDate('2030-13-01'), /no such date/, 'month 13');
      await rejects(() => checkDate('2030-04-31'), /no such date/, 'April 31');
      equal([parseUtcOffset('+09:00'), parseUtcOffset('-03:30'), parseUtcOffset('+00:00'), parseUtcOffset('+14:00'), parseUtcOffset('-12:00')], [540, -210, 0, 840, -720], 'offsets');
      for (const bad of ['09:00', '+9:00', '+09:60', '+0900', '+09:00 ', 'UTC', '±09:00']) {
        await rejects(() => parseUtcOffset(bad), /UTC offset must be \+hh:mm or -hh:mm/, `"${bad}"`);
      }
      await rejects(() => parseUtcOffset('+15:00'), /whole minutes from -12:00 to \+14:00/, 'beyond +14:00');
    },
  },
];

const apduScenarios: Scenario[] = [
  {
    name: 'APDU: the four ISO 7816-4 cases encode and parse back',
    run() {
      const commands = [
        COMMANDS.triesLeft(0x81), // case 1
        COMMANDS.getResponse(256), // case 2, Le 00 = 256
        COMMANDS.verifyPin('2468'), // case 3
        COMMANDS.internalAuthenticate(bytes('0102030405060708')), // case 4
      ];
      equal(toHex(encodeCommand(commands[0]!)), '00200081', 'case 1 bytes');
      equal(toHex(encodeCommand(commands[1]!)), '00C0000000', 'case 2 bytes (Le 00)');
      // A part of 252 and SW1 SW2 fill one T=1 block at the largest IFSD (254).
      equal(toHex(encodeCommand(COMMANDS.readCardData())), '80CA0001FC', 'READ CARD DATA asks for RESPONSE_PART bytes');
      equal(toHex(encodeCommand(commands[2]!)), '002000810432343638', 'case 3 bytes');
      for (const apdu of commands) {
        const parsed = parseCommand(encodeCommand(apdu));
        equal([parsed.cla, parsed.ins, parsed.p1, parsed.p2, parsed.le], [apdu.cla, apdu.ins, apdu.p1, apdu.p2, apdu.le], `header of ${toHex(encodeCommand(apdu))}`);
        equal(parsed.data, apdu.data, 'data');
      }
      equal(parseCommand(encodeCommand(COMMANDS.select())).ins, INS.SELECT, 'SELECT');
    },
  },
  {
    name: 'APDU: length errors answer 6700',
    run() {
      equal(statusFor(bytes('00A404')), SW.WRONG_LENGTH, 'shorter than a header');
      equal(statusFor(bytes('00A4040006F04943')), SW.WRONG_LENGTH, 'Lc 6 with 2 data bytes');
      equal(statusFor(bytes('00A4040002F0494300FF')), SW.WRONG_LENGTH, 'two trailing bytes after Le');
      equal(statusFor(bytes('00A40400000001')), SW.WRONG_LENGTH, 'extended length');
    },
  },
  {
    name: 'APDU: responses split data and status word; status words read as people expect',
    async run() {
      const response = parseResponse(bytes('CAFE63C2'));
      equal(response.data, bytes('CAFE'), 'data');
      equal(response.sw, 0x63c2, 'sw');
      equal(triesLeftFrom(response.sw), 2, 'tries left');
      equal(triesLeftFrom(SW.OK), null, '9000 is not a tries-left status');
      equal(triesLeftStatus(0), 0x63c0, '63C0');
      equal(encodeResponse({ data: bytes('01'), sw: SW.WRONG_DATA }), bytes('016A80'), 'encode');
      equal(describeStatus(0x63c1), '63C1 wrong, 1 try left', 'describe 63C1');
      equal(describeStatus(SW.AUTHENTICATION_METHOD_BLOCKED), '6983 authentication method blocked', 'describe 6983');
      equal(describeStatus(0x6a88), '6A88 unknown status', 'describe an unlisted status');
      await rejects(() => parseResponse(bytes('90')), /ApduError: response of 1 bytes has no status word/, 'one-byte response');
      await rejects(() => encodeCommand(COMMANDS.registerPin(new Uint8Array(256))), /ApduError: .*needs extended length/, '256 data bytes');
    },
  },
];

const dataObjectScenarios: Scenario[] = [
  {
    name: 'card data: encode and decode round-trip',
    run() {
      const { data } = issued(1, 'protocol-scenarios/card');
      const decoded = decodeCardData(encodeCardData(data));
      equal(decoded.registrationNumber, '12345678', 'Nt');
      equal(decoded.expiry, '2030-12-31', 'expiry');
      equal(decoded.cardNumber, data.cardNumber, 'IDU');
      equal(decoded.sa1, data.sa1, 'SA1');
      equal(encodeCardData(decoded), encodeCardData(data), 're-encoding');
    },
  },
  {
    name: 'card data: decode errors name what is wrong',
    async run() {
      const { data } = issued(1, 'protocol-scenarios/card');
      const good = encodeCardData(data);
      const cases: ReadonlyArray<readonly [string, Uint8Array, RegExp]> = [
        ['truncated', good.subarray(0, good.length - 1), /TlvError: tag 70 says/],
        ['wrong template tag', concatBytes(Uint8Array.of(0x71), good.subarray(1)), /TlvError: expected one TLV with tag 70/],
        ['trailing TLV', concatBytes(good, encodeTlv(0xc1, bytes('00'))), /TlvError: expected one TLV with tag 70/],
        ['short Nt', rewriteField(good, TAG.REGISTRATION_NUMBER, bytes('31323334')), /TlvError: registration number is not 8 to 16 digits/],
        ['Nt with a letter', rewriteField(good, TAG.REGISTRATION_NUMBER, bytes('313233343536374A')), /TlvError: registration number/],
        ['7-byte IDU', rewriteField(good, TAG.CARD_NUMBER, new Uint8Array(7)), /TlvError: card number must be 8 bytes/],
        ['expiry not BCD', rewriteField(good, TAG.EXPIRY, bytes('20301A31')), /TlvError: expiry: .*not BCD/],
        ['expiry 31 February', rewriteField(good, TAG.EXPIRY, bytes('20300231')), /TlvError: expiry: no such date/],
        ['two-byte suite', rewriteField(good, TAG.SUITE, bytes('0001')), /TlvError: suite must be one byte/],
        ['short commitment', rewriteField(good, TAG.COMMITMENT, new Uint8Array(31)), /TlvError: commitment C must be 32 bytes/],
      ];
      for (const [what, encoded, reason] of cases) {
        await rejects(() => decodeCardData(encoded), reason, what);
      }
    },
  },
  {
    name: 'terminal certificate: round-trip, and garbage in the validity is refused',
    async run() {
      const random = new SeededRandom('protocol-scenarios/terminal').source;
      const issuer = createIssuerKey(2, 7, random);
      const config = provisionTerminal(issuer, { terminalId: 'T0000001', validFrom: '2026-01-01', validTo: '2027-12-31' }, random);
      const cert = decodeCertificate(config.certificate);
      equal(cert.terminalId, 'T0000001', 'terminal id');
      equal(cert.validTo, '2027-12-31', 'valid to');
      equal(cert.keyId, 7, 'key id');
      const { signature, ...unsigned } = cert;
      ok(suiteById(cert.suite).verify(issuer.publicKey, certificateMessage(unsigned), signature), 'CT verifies under nA');
      const [template] = decodeTlvs(config.certificate);
      const broken = encodeConstructed(TAG.TERMINAL_CERTIFICATE, decodeTlvs(template!.value)
        .map((tlv) => (tlv.tag === TAG.VALID_TO ? { tag: tlv.tag, value: bytes('20271332') } : tlv)));
      await rejects(() => decodeCertificate(broken), /TlvError: terminal certificate: no such date/, 'month 13');
    },
  },
];

function suiteScenarios(id: number): Scenario[] {
  const suite = suiteById(id);
  return [
    {
      name: `suite ${id} (${suite.name}): sign and verify, deterministic keys from a seed`,
      run() {
        const pair = suite.generateKeyPair(new SeededRandom(`suite-${id}`).source);
        const again = suite.generateKeyPair(new SeededRandom(`suite-${id}`).source);
        equal(pair.publicKey, again.publicKey, 'same seed, same key');
        ok(suite.isPublicKey(pair.publicKey), 'public key is well formed');
        const message = bytes('E1 03 C1 01 42');
        const signature = suite.sign(pair.secretKey, message);
        equal(signature.length, 64, 'signature length');
        ok(suite.verify(pair.publicKey, message, signature), 'signature verifies');
      },
    },
    {
      name: `suite ${id} (${suite.name}): tampered message, signature or key is refused`,
      run() {
        const pair = suite.generateKeyPair(new SeededRandom(`suite-${id}`).source);
        const other = suite.generateKeyPair(new SeededRandom(`suite-${id}-other`).source);
        const message = bytes('E1 03 C1 01 42');
        const signature = suite.sign(pair.secretKey, message);
        ok(!suite.verify(pair.publicKey, bytes('E1 03 C1 01 43'), signature), 'changed message');
        for (const index of [0, 31, 32, 63]) {
          const flipped = signature.slice();
          flipped[index] ^= 0x01;
          ok(!suite.verify(pair.publicKey, message, flipped), `signature with byte ${index} flipped`);
        }
        ok(!suite.verify(other.publicKey, message, signature), 'another key');
        ok(!suite.verify(pair.publicKey, message, signature.subarray(0, 63)), 'short signature');
        ok(!suite.verify(pair.publicKey, message, new Uint8Array(64)), 'all-zero signature');
        ok(!suite.verify(new Uint8Array(pair.publicKey.length), message, signature), 'all-zero key');
        ok(!suite.isPublicKey(new Uint8Array(pair.publicKey.length + 1)), 'key of the wrong length');
      },
    },
    {
      name: `suite ${id} (${suite.name}): issued card data verifies (SA1, SA2) and any tampering breaks SA1`,
      run() {
        const { data, issuerPublicKey } = issued(id, `protocol-scenarios/suite-${id}`);
        const { sa1, ...unsigned } = data;
        ok(suite.verify(issuerPublicKey, sa1Message(unsigned), sa1), 'SA1 verifies');
        ok(suite.verify(issuerPublicKey, sa2Message(data.commitment, data.cardNumber), data.sa2), 'SA2 verifies');
        const changed = { ...unsigned, registrationNumber: '12345679' };
        ok(!suite.verify(issuerPublicKey, sa1Message(changed), sa1), 'SA1 over another Nt');
        const later = { ...unsigned, expiry: '2031-12-31' };
        ok(!suite.verify(issuerPublicKey, sa1Message(later), sa1), 'SA1 over a later expiry');
        ok(!suite.verify(issuerPublicKey, sa2Message(data.commitment, new Uint8Array(8)), data.sa2), 'SA2 over another IDU');
        ok(!suite.verify(issuerPublicKey, sa2Message(data.commitment, data.cardNumber), sa1), 'SA1 is not SA2');
      },
    },
  ];
}

export const protocolScenarios: readonly Scenario[] = Object.freeze([
  ...textScenarios,
  ...tlvScenarios,
  ...apduScenarios,
  ...dataObjectScenarios,
  ...suiteScenarios(1),
  ...suiteScenarios(2),
]);
