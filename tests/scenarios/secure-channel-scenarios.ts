// The encrypted card channel's building blocks ([0021]; firmware/secure-channel): SCP11b key
// agreement and SCP03 wrapping against vectors from an independent implementation
// (tests/vectors/scp11b-vectors.py, pyca/cryptography 48), and the attacks the wrapping stops:
// a changed byte, a replayed, dropped or reordered command, a forged status word, a clone card.
import { P256 } from '../../firmware/crypto/p256.js';
import { encodeCommand, encodeResponse, parseCommand, parseResponse, type CommandApdu, type ResponseApdu } from '../../firmware/protocol/apdu.js';
import { fromHex } from '../../firmware/protocol/bytes.js';
import { answerKeyAgreement, requestKeyAgreement } from '../../firmware/secure-channel/scp11.js';
import { CardSecureMessaging, TerminalSecureMessaging } from '../../firmware/secure-channel/secure-messaging.js';
import { x963Kdf } from '../../firmware/secure-channel/x963-kdf.js';
import { SeededRandom } from '../../hal/sim/random.js';
import { equal, ok, rejects, type Scenario } from './scenario.js';

const VECTORS = Object.freeze({
  x963: 'd652db03b5ad319001e98864fd76139bff0e0dc2f17cabeb9e5e6393c9ed7deed5651a221d677054',
  cardStaticPublic: '022263a7d6893373164ba67871fd91f46952ae0c00ae90541e165d036849a5651f',
  request: 'a60d9002110095013c8001888101105f492102fdec4d1ec328c7691fdffcfa421deca60aed2c70e352c7239c7f2225bcf41a6c',
  answer: '5f492103db34304aa2820dd08806a3a791b93dd0fee17140bcf4d0ce4e93871b01a028b786104a2cf183b0c66554ce780086dd6de385',
  command1: '04200081186f192054a8d37209674ca2dcf422556356729c4f01c03fb700',
  response1: 'b4aac127d5d193bb63c2',
  command2: '84ca00000815540eb1ea5258c600',
  response2: '565c219cf751f1122463c3523d76889dad949fdd826296009000',
});

const fill = (byte: number) => (length: number) => new Uint8Array(length).fill(byte);
const cardStaticSecret = () => P256.secretKeyFromSeed(fill(0x11)(48));

function plainCommand(cla: number, ins: number, p1: number, p2: number, data: Uint8Array): CommandApdu {
  return { cla, ins, p1, p2, data, le: null };
}

/** A terminal and a card with an open channel, from the given random sources. */
function openChannel(terminalRandom = new SeededRandom(`seed 1`).source, cardRandom = new SeededRandom(`seed 2`).source, cardSecret = cardStaticSecret()): { terminal: TerminalSecureMessaging; card: CardSecureMessaging } {
  const request = requestKeyAgreement(terminalRandom);
  const { answer, channel } = answerKeyAgreement(request.data, cardSecret, cardRandom);
  return { terminal: request.open(answer, P256.publicKey(cardStaticSecret())), card: channel };
}

/** Both ends of a channel with fixed keys, without a key agreement: cheap enough to make per input. */
function fixedChannel(): { terminal: TerminalSecureMessaging; card: CardSecureMessaging } {
  const keys = { encryption: fill(0x01)(16), mac: fill(0x02)(16), responseMac: fill(0x03)(16) };
  return { terminal: new TerminalSecureMessaging(keys, fill(0x04)(16)), card: new CardSecureMessaging(keys, fill(0x04)(16)) };
}

/** Every single-bit change of `bytes`. */
function* bitFlips(bytes: Uint8Array): Generator<Uint8Array> {
  for (let i = 0; i < bytes.length; i++) {
    for (let bit = 0; bit < 8; bit++) {
      const changed = bytes.slice();
      changed[i]! ^= 1 << bit;
      yield changed;
    }
  }
}

function throwsSecureMessaging(action: () => unknown): boolean {
  try {
    action();
  } catch (error) {
    return (error as Error).name === 'SecureMessagingError';
  }
  return false;
}

export const secureChannelScenarios: readonly Scenario[] = [
  {
    name: 'secure channel: X9.63 KDF with SHA-256 matches pyca/cryptography',
    run() {
      equal(x963Kdf(Uint8Array.from({ length: 32 }, (_, i) => i), new Uint8Array([0x69, 0x6e, 0x66, 0x6f]), 40), fromHex(VECTORS.x963), '40 bytes from Z = 00..1f, info "info"');
    },
  },
  {
    name: 'secure channel: SCP11b key agreement and SCP03 wrapping match an independent implementation',
    run() {
      equal(P256.publicKey(cardStaticSecret()), fromHex(VECTORS.cardStaticPublic), 'the card static key');
      const request = requestKeyAgreement(fill(0x22));
      equal(request.data, fromHex(VECTORS.request), 'INTERNAL AUTHENTICATE data: A6 template and ePK.OCE');
      const { answer, channel: card } = answerKeyAgreement(request.data, cardStaticSecret(), fill(0x33));
      equal(answer, fromHex(VECTORS.answer), "the card's answer: ePK.SD and the receipt");
      const terminal = request.open(answer, fromHex(VECTORS.cardStaticPublic));

      const verify = plainCommand(0x00, 0x20, 0x00, 0x81, new Uint8Array([0x31, 0x32, 0x33, 0x34]));
      const wrapped1 = encodeCommand(terminal.wrap(verify));
      equal(wrapped1, fromHex(VECTORS.command1), 'C-DEC and C-MAC of the first command');
      equal(card.unwrap(parseCommand(wrapped1)).data, verify.data, 'the card reads the data the terminal sent');
      const response1 = encodeResponse(card.wrap({ data: new Uint8Array(0), sw: 0x63c2 }));
      equal(response1, fromHex(VECTORS.response1), 'a warning carries an R-MAC over its status word');
      equal(terminal.unwrap(parseResponse(response1)).sw, 0x63c2, 'the terminal accepts it');

      const wrapped2 = encodeCommand(terminal.wrap(plainCommand(0x80, 0xca, 0x00, 0x00, new Uint8Array(0))));
      equal(wrapped2, fromHex(VECTORS.command2), 'a command without data: C-MAC only, chained from the first');
      card.unwrap(parseCommand(wrapped2));
      const response2 = encodeResponse(card.wrap({ data: new Uint8Array([0x68, 0x65, 0x6c, 0x6c, 0x6f]), sw: 0x9000 }));
      equal(response2, fromHex(VECTORS.response2), 'R-ENC with the second counter and R-MAC');
      equal(terminal.unwrap(parseResponse(response2)).data, new Uint8Array([0x68, 0x65, 0x6c, 0x6c, 0x6f]), 'the terminal reads the answer');
    },
  },
  {
    name: 'secure channel: the wrapped PIN is not on the line, and 600 bytes cross as one wrapped command',
    run() {
      const { terminal, card } = openChannel();
      const pin = new Uint8Array([0x34, 0x37, 0x31, 0x31]);
      const wrapped = terminal.wrap(plainCommand(0x00, 0x20, 0x00, 0x82, pin));
      const line = Array.from(wrapped.data).join(',');
      ok(!line.includes(Array.from(pin).join(',')), 'the PIN bytes do not appear in the wrapped data');
      equal(card.unwrap(wrapped).data, pin, 'the card gets the PIN');
      card.wrap({ data: new Uint8Array(0), sw: 0x9000 });
      const long = Uint8Array.from({ length: 600 }, (_, i) => i & 0xff);
      const unwrapped = card.unwrap(terminal.wrap(plainCommand(0x80, 0xd0, 0x00, 0x00, long)));
      equal(unwrapped.data, long, 'longer than a short APDU: Lc of three bytes in the MAC');
      equal(unwrapped.cla, 0x80, 'the SM bit is cleared for the application');
    },
  },
  {
    name: 'secure channel attack: any changed bit of a wrapped command is refused by the card',
    run() {
      const wrapped = encodeCommand(fixedChannel().terminal.wrap(plainCommand(0x00, 0x20, 0x00, 0x81, new Uint8Array([1, 2, 3, 4]))));
      equal(fixedChannel().card.unwrap(parseCommand(wrapped)).data, new Uint8Array([1, 2, 3, 4]), 'unchanged, it passes');
      let refused = 0;
      for (const changed of bitFlips(wrapped)) {
        const { card } = fixedChannel();
        const parsed = (() => {
          try {
            return parseCommand(changed);
          } catch {
            return null; // a changed Lc or Le no longer parses: the card answers 6700
          }
        })();
        if (parsed === null || throwsSecureMessaging(() => card.unwrap(parsed))) refused++;
      }
      // The Le byte (00) is outside the MAC, as in SCP03: changing it asks for a shorter answer, nothing more.
      equal(refused, (wrapped.length - 1) * 8, 'every changed bit of header, Lc, data and C-MAC');
    },
  },
  {
    name: 'secure channel attack: a man in the middle changing any bit of an answer or its status word is caught',
    run() {
      const answer: ResponseApdu = { data: new Uint8Array([0x12, 0x34]), sw: 0x9000 };
      const reference = fixedChannel();
      reference.card.unwrap(reference.terminal.wrap(plainCommand(0x00, 0xb0, 0, 0, new Uint8Array(0))));
      const wrapped = encodeResponse(reference.card.wrap(answer));
      equal(reference.terminal.unwrap(parseResponse(wrapped)), answer, 'unchanged, it passes');
      let caught = 0;
      for (const changed of bitFlips(wrapped)) {
        const { terminal, card } = fixedChannel();
        card.unwrap(terminal.wrap(plainCommand(0x00, 0xb0, 0, 0, new Uint8Array(0))));
        const parsed = parseResponse(changed);
        if (throwsSecureMessaging(() => terminal.unwrap(parsed))) caught++;
      }
      equal(caught, wrapped.length * 8, 'every changed bit, the status word included');
      const { terminal, card } = openChannel();
      card.unwrap(terminal.wrap(plainCommand(0x00, 0x20, 0, 0x81, new Uint8Array([9]))));
      const forged = { data: new Uint8Array(0), sw: 0x9000 };
      ok(throwsSecureMessaging(() => terminal.unwrap(forged)), 'an error turned into a bare 9000 has no R-MAC');
    },
  },
  {
    name: 'secure channel attack: a replayed, dropped or reordered command fails its C-MAC',
    run() {
      const first = openChannel();
      const a = first.terminal.wrap(plainCommand(0x00, 0x20, 0x00, 0x81, new Uint8Array([1])));
      first.card.unwrap(a);
      ok(throwsSecureMessaging(() => first.card.unwrap(a)), 'the same command again');
      const second = openChannel();
      second.terminal.wrap(plainCommand(0x00, 0x20, 0x00, 0x81, new Uint8Array([1])));
      const b = second.terminal.wrap(plainCommand(0x00, 0x20, 0x00, 0x82, new Uint8Array([2])));
      ok(throwsSecureMessaging(() => second.card.unwrap(b)), 'the second command with the first dropped or held back');
      const later = openChannel(new SeededRandom('seed 5').source);
      ok(throwsSecureMessaging(() => later.card.unwrap(a)), 'a command recorded in an earlier session');
    },
  },
  {
    name: 'secure channel attack: a clone without the card static secret cannot make the receipt',
    async run() {
      const request = requestKeyAgreement(new SeededRandom(`seed 3`).source);
      const clone = answerKeyAgreement(request.data, P256.secretKeyFromSeed(fill(0x44)(48)), new SeededRandom(`seed 4`).source);
      await rejects(() => request.open(clone.answer, P256.publicKey(cardStaticSecret())), /SecureMessagingError: wrong receipt/, 'the certified key is not the clone\'s');
      await rejects(() => request.open(new Uint8Array([0x86, 0x01, 0x00]), P256.publicKey(cardStaticSecret())), /SecureMessagingError: key agreement answer/, 'a malformed answer');
    },
  },
  {
    name: 'secure channel: every session has its own keys, so no recording or terminal secret opens another',
    run() {
      const command = plainCommand(0x00, 0x20, 0x00, 0x81, new Uint8Array([1, 2, 3, 4]));
      const one = openChannel(new SeededRandom(`seed 10`).source, new SeededRandom(`seed 11`).source).terminal.wrap(command);
      const two = openChannel(new SeededRandom(`seed 12`).source, new SeededRandom(`seed 11`).source).terminal.wrap(command);
      ok(one.data.some((byte, i) => byte !== two.data[i]), 'same card, same command, another terminal ephemeral key: other bytes');
      equal(openChannel().card.wrap({ data: new Uint8Array(0), sw: 0x6a80 }), { data: new Uint8Array(0), sw: 0x6a80 }, 'an error goes bare');
    },
  },
];
