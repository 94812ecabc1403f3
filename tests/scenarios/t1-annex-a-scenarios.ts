// T=1 (ISO/IEC 7816-3 §11) block by block: the examples of Annex A (A.2 normal operation, A.3 error
// handling, RESYNCH and ABORT) on both sides of the line. The terminal (firmware/iso7816/t1.ts) runs
// against a scripted card that answers each block with given bytes and records what the terminal
// sent; the card (card/iso7816/t1-card.ts) is driven by scripted terminal blocks and its answers
// recorded. Every script is the exact bytes on the line: NAD 00, LRC. Scenarios 1 to 13 follow the
// numbering of Annex A; the error scenarios after them (WTX, IFS, chaining, RESYNCH, ABORT) are named
// by the rule of §11.6 they exercise. Engine-neutral: runs on Node and inside XS.
import { T1Card } from '../../card/iso7816/t1-card.js';
import { lrc } from '../../firmware/iso7816/block.js';
import { ProtocolAbortError } from '../../firmware/iso7816/errors.js';
import { CharacterPort } from '../../firmware/iso7816/port.js';
import { T1Transport } from '../../firmware/iso7816/t1.js';
import { fromHex, toHex } from '../../firmware/protocol/bytes.js';
import { LINE, lineRunOf, type CardLine, type LineRun, type LineSettings } from '../../hal/card-line.js';
import { bench, cardAtr, echoCard } from './iso7816-scenarios.js';
import { equal, ok, rejects, type Scenario } from './scenario.js';

/** BWT and CWT of the scripted exchanges, etu; one etu at 9,600 bit/s, seconds. */
const BWT = 1_000;
const CWT = 50;
const ETU = 1 / 9_600;

const hex = (text: string): string => text.replace(/\s/g, '').toUpperCase();
/** A block from PCB LEN INF (hex), with NAD 00 in front and its LRC after. */
const blk = (body: string): string => {
  const bytes = fromHex('00' + hex(body));
  return toHex(Uint8Array.from([...bytes, lrc(bytes)]));
};
/** The same block with its EDC inverted: what a receiver sees after a fault on the line. */
const bad = (block: string): string => {
  const bytes = fromHex(block);
  bytes[bytes.length - 1] ^= 0xff;
  return toHex(bytes);
};

// The command and answer of Annex A.2.1 (SELECT, case 4), as the open-source T=1 stacks test them.
const APDU = '00 A4 04 00 05 75 36 41 70 70 05';
const RESP = '75 74 77 74 75 90 00';
const I0 = '00 00 0B 00 A4 04 00 05 75 36 41 70 70 05 A9';
const I1 = blk('40 0B' + APDU);
const ANS0 = '00 00 07 75 74 77 74 75 90 00 E0';
const ANS1 = blk('40 07' + RESP);
const R0 = '00 80 00 80';
const R1 = '00 90 00 90';
const R0_EDC = '00 81 00 81';
const R1_EDC = '00 91 00 91';
const R0_OTHER = '00 82 00 82';
const RESYNCH = '00 C0 00 C0';
const RESYNCH_OK = '00 E0 00 E0';
const ABORT = '00 C2 00 C2';
const ABORT_OK = '00 E2 00 E2';
const ifsRequest = (size: number): string => blk(`C1 01 ${size.toString(16).padStart(2, '0')}`);
const ifsResponse = (size: number): string => blk(`E1 01 ${size.toString(16).padStart(2, '0')}`);
const wtxRequest = (n: number): string => blk(`C3 01 ${n.toString(16).padStart(2, '0')}`);
const wtxResponse = (n: number): string => blk(`E3 01 ${n.toString(16).padStart(2, '0')}`);

// A.2.4 scenario 5: a 28-byte command chained at IFSC 10.
const LONG_APDU = '00 A4 04 00 16 75 36 41 70 70 FF FF 00 00 00 00 00 FF FF 00 00 FF 00 FF 00 FF 00 05';
const CHAIN_A = blk('20 0A 00 A4 04 00 16 75 36 41 70 70');
const CHAIN_B = blk('60 0A FF FF 00 00 00 00 00 FF FF 00');
const CHAIN_C = blk('00 08 00 FF 00 FF 00 FF 00 05');
// A.2.4 scenario 6: the card's answer chained at IFSD 5.
const CARD_A = '00 20 05 75 74 77 74 75 52';
const CARD_B = '00 40 02 90 00 D2';

// ---- the terminal against a scripted card ----

/** The card end of the line, scripted: each block the terminal sends gets the next answer (null: silence). */
class ScriptedCard implements CardLine {
  readonly cardPresent = true;
  onInserted: (() => void) | null = null;
  onRemoved: (() => void) | null = null;
  readonly clockHz = 3_571_200;
  /** The terminal's blocks, hex, in order. */
  readonly sent: string[] = [];
  /** The first wait after each block sent, etu: BWT, or BWT × the WTX multiplier. */
  readonly waits: number[] = [];
  readonly #answers: (string | null)[];
  #queue: number[] = [];
  #waiting = false;

  constructor(answers: readonly (string | null)[]) {
    this.#answers = [...answers];
  }

  async activate(): Promise<void> {}
  async warmReset(): Promise<void> {}
  configure(_settings: LineSettings): void {}
  async deactivate(): Promise<void> {}
  async eject(): Promise<void> {}

  async send(raw: Uint8Array): Promise<void> {
    this.sent.push(toHex(raw));
    const answer = this.#answers.shift();
    if (answer) this.#queue.push(...fromHex(answer));
    this.#waiting = true;
  }

  async receive(timeoutEtu: number): Promise<number> {
    if (this.#waiting) this.waits.push(timeoutEtu);
    this.#waiting = false;
    return this.#queue.shift() ?? LINE.TIMEOUT;
  }

  async receiveRun(count: number, firstTimeoutEtu: number, _gapTimeoutEtu: number): Promise<LineRun> {
    if (this.#waiting) this.waits.push(firstTimeoutEtu);
    this.#waiting = false;
    const chars = this.#queue.splice(0, count);
    return lineRunOf(chars, chars.length < count);
  }

  available(): number {
    return this.#queue.length;
  }
}

type Exchange = readonly [terminal: string, card: string | null];

/** Runs `drive` on a terminal whose card answers as `script` says; the terminal must send exactly the script's blocks. */
async function terminalSide(script: readonly Exchange[], drive: (t: T1Transport, line: ScriptedCard) => Promise<void>, ifsc = 32): Promise<ScriptedCard> {
  const line = new ScriptedCard(script.map(([, card]) => card));
  const t = new T1Transport(new CharacterPort(line), { ifsc, ifsd: 254, edc: 'lrc', bwtEtu: BWT, cwtEtu: CWT });
  await drive(t, line);
  equal(line.sent, script.map(([terminal]) => hex(terminal)), 'blocks the terminal sent');
  return line;
}

const answers = (expected: string) => async (t: T1Transport, apdu: string = APDU): Promise<void> => {
  equal(toHex(await t.transmit(fromHex(apdu))), hex(expected), 'the answer handed up');
};
const selectAnswers = answers(RESP);

// ---- the card against scripted terminal blocks ----

interface CardSetup {
  readonly ifsc?: number;
  readonly processingEtu?: number;
  /** The card application's answer (default RESP). */
  readonly answer?: (apdu: Uint8Array) => string;
}

/** A script step: terminal bytes and the card's answer ('' for none), or an action on the card. */
type CardStep = readonly [terminal: string, card: string] | ((card: T1Card) => void);

/** Feeds the terminal's blocks to a T1Card; its answers must be exactly the script's. Returns the card and the APDUs it ran. */
function cardSide(script: readonly CardStep[], setup: CardSetup = {}): { card: T1Card; commands: string[] } {
  const commands: string[] = [];
  const out: string[] = [];
  const card = new T1Card({
    process: (apdu) => {
      commands.push(toHex(apdu));
      return fromHex(setup.answer?.(apdu) ?? RESP);
    },
    send: (bytes) => {
      out.push(toHex(bytes));
      return 0;
    },
    ifsc: setup.ifsc ?? 32, edc: 'lrc', bwtEtu: BWT, cwtEtu: CWT, etuSeconds: ETU,
    ...(setup.processingEtu ? { processingEtu: setup.processingEtu } : {}),
  });
  let at = 0;
  const got: string[] = [];
  const expected: string[] = [];
  for (const step of script) {
    if (typeof step === 'function') {
      step(card);
      continue;
    }
    const before = out.length;
    for (const byte of fromHex(step[0])) {
      card.receive(byte, false, at);
      at += 12 * ETU;
    }
    card.idle();
    at += 100 * ETU;
    got.push(out.slice(before).join(' | '));
    expected.push(hex(step[1]));
  }
  equal(got, expected, 'blocks the card sent');
  return { card, commands };
}

const ran = (commands: readonly string[], expected: readonly string[], what: string): void => equal(commands, expected.map(hex), what);

// IFSD 5 at the card, for the card's chained answers.
const IFSD5: CardStep[] = [[ifsRequest(5), ifsResponse(5)]];

const ProtocolAbortErrorPattern = new RegExp(`^${new ProtocolAbortError('').name}: the card aborted`);

// ---- the scenarios ----

interface Pair {
  readonly name: string;
  readonly terminal?: () => Promise<void>;
  readonly card?: () => void;
}

const ITEM1_FIRST = '00 20 20 00 24 00 81 40' + ' 11'.repeat(27) + ' F4';
const ITEM1_APDU = '00 24 00 81 40' + ' 11'.repeat(64);

const pairs: Pair[] = [
  // ---- A.2 normal operation ----
  {
    name: 'A.2.1 scenario 1: I-blocks exchanged, N(S) alternating on both sides',
    async terminal() {
      await terminalSide([[I0, ANS0], [I1, ANS1]], async (t) => {
        await selectAnswers(t);
        await selectAnswers(t);
      });
    },
    card() {
      const { commands } = cardSide([[I0, ANS0], [I1, ANS1]]);
      ran(commands, [APDU, APDU], 'the card ran each command once');
    },
  },
  {
    name: 'A.2.2 scenario 2: S(WTX request) answered, BWT × the multiplier for the next block only',
    async terminal() {
      const line = await terminalSide([[I0, wtxRequest(2)], [wtxResponse(2), ANS0], [I1, ANS1]], async (t) => {
        await selectAnswers(t);
        await selectAnswers(t);
      });
      equal(line.waits, [BWT, 2 * BWT, BWT], 'BWT, 2 × BWT after the response, BWT again');
    },
    card() {
      // 5,000 etu of work at BWT 1,000: WTX 6, then the answer.
      cardSide([[I0, wtxRequest(6)], [wtxResponse(6), ANS0]], { processingEtu: 5_000 });
    },
  },
  {
    name: 'A.2.3 scenario 3: the card asks for a new IFSC; the terminal answers and uses it',
    async terminal() {
      await terminalSide([[I0, ifsRequest(0x10)], [ifsResponse(0x10), ANS0]], async (t) => {
        await selectAnswers(t);
        equal(t.ifsc, 16, 'IFSC');
      });
    },
    card() {
      const long = blk('40 11' + ' 11'.repeat(17));
      const { card, commands } = cardSide([(c) => c.requestIfs(16), [I0, ifsRequest(0x10)], [ifsResponse(0x10), ANS0], [long, '00 92 00 92']]);
      equal(card.ifsc, 16, 'IFSC');
      ran(commands, [APDU], 'the 17-byte block over the new IFSC is refused, not run');
    },
  },
  {
    name: 'A.2.3 scenario 4: the terminal sends S(IFS request) for its IFSD; the card keeps to it',
    async terminal() {
      const eleven = blk('00 0B' + ' 22'.repeat(9) + ' 90 00');
      // negotiateIfsd asks for the IFSD of the options: here 10.
      const line = new ScriptedCard([ifsResponse(10), eleven, ANS0]);
      const t = new T1Transport(new CharacterPort(line), { ifsc: 32, ifsd: 10, edc: 'lrc', bwtEtu: BWT, cwtEtu: CWT });
      await t.negotiateIfsd();
      equal(t.ifsd, 10, 'IFSD');
      await selectAnswers(t);
      equal(line.sent, [ifsRequest(10), I0, R0_OTHER].map(hex), 'an 11-byte I-block over IFSD 10 is asked again');
    },
    card() {
      const twelve = '75 74 77 74 75 76 77 78 79 7A 90 00';
      cardSide([[ifsRequest(10), ifsResponse(10)], [I0, blk('20 0A 75 74 77 74 75 76 77 78 79 7A')], [R1, blk('40 02 90 00')]], { answer: () => twelve });
    },
  },
  {
    name: 'A.2.4 scenario 5: the terminal chains a 28-byte command at IFSC 10',
    async terminal() {
      await terminalSide([[CHAIN_A, R1], [CHAIN_B, R0], [CHAIN_C, ANS0]], (t) => selectAnswers(t, LONG_APDU), 10);
    },
    card() {
      const { commands } = cardSide([[CHAIN_A, R1], [CHAIN_B, R0], [CHAIN_C, ANS0]], { ifsc: 10 });
      ran(commands, [LONG_APDU], 'the card ran the whole chain once');
    },
  },
  {
    name: 'A.2.4 scenario 6: the card chains its answer at IFSD 5',
    async terminal() {
      await terminalSide([[I0, CARD_A], [R1, CARD_B]], (t) => selectAnswers(t));
    },
    card() {
      cardSide([...IFSD5, [I0, CARD_A], [R1, CARD_B]]);
    },
  },
  {
    name: 'A.2.4 scenario 7: an I-block with LEN 00 inside a chain, both ways',
    async terminal() {
      await terminalSide([[I0, CARD_A], [R1, '00 60 00 60'], [R0, blk('00 02 90 00')]], (t) => selectAnswers(t));
    },
    card() {
      const { commands } = cardSide([[blk('20 05 00 A4 04 00 05'), R1], ['00 60 00 60', R0], [blk('00 06 75 36 41 70 70 05'), ANS0]]);
      ran(commands, [APDU], 'the chain with an empty block is the command');
    },
  },
  // ---- A.3.1 errors in the exchange of I-blocks ----
  {
    name: 'A.3.1 scenario 8: the card reports an EDC error; the terminal sends its I-block again unchanged',
    async terminal() {
      await terminalSide([[I0, R0_EDC], [I0, ANS0]], (t) => selectAnswers(t));
    },
    card() {
      const { card } = cardSide([[bad(I0), R0_EDC], [I0, ANS0]]);
      equal(card.invalidBlocks, 1, 'one invalid block');
    },
  },
  {
    name: 'A.3.1 scenario 9: the card\'s I-block is invalid (EDC) or cut short (CWT); R(0) asks for it again',
    async terminal() {
      await terminalSide([[I0, bad(ANS0)], [R0_EDC, ANS0]], (t) => selectAnswers(t));
      await terminalSide([[I0, '00 00'], [R0_OTHER, ANS0]], (t) => selectAnswers(t));
    },
    card() {
      const { commands } = cardSide([[I0, ANS0], [R0_EDC, ANS0], [R0_OTHER, ANS0]]);
      ran(commands, [APDU], 'the answer is sent again, the command not run again');
    },
  },
  {
    name: 'A.3.1 scenario 10: the card\'s R-block is invalid; R(0) from the terminal, R(0) back, the I-block again',
    async terminal() {
      await terminalSide([[I0, bad(R0_EDC)], [R0_EDC, R0_EDC], [I0, ANS0]], (t) => selectAnswers(t));
    },
    card() {
      // Rule 7.2: the card's last block was its R-block, which goes again unchanged.
      cardSide([[bad(I0), R0_EDC], [R0_EDC, R0_EDC], [I0, ANS0]]);
    },
  },
  {
    name: 'A.3.1 scenario 11: R(0) for an invalid I-block reaches the card damaged; its R(1) is answered with the same R(0)',
    async terminal() {
      await terminalSide([[I0, bad(ANS0)], [R0_EDC, R1_EDC], [R0_EDC, ANS0]], (t) => selectAnswers(t));
      await terminalSide([[I0, '00 00 07'], [R0_OTHER, R1_EDC], [R0_OTHER, ANS0]], (t) => selectAnswers(t));
    },
    card() {
      cardSide([[I0, ANS0], [bad(R0_EDC), R1_EDC], [R0_EDC, ANS0]]);
    },
  },
  {
    name: 'A.3.1 scenario 12: R(0) for an invalid I-block, then an invalid R(1): R(0) again',
    async terminal() {
      await terminalSide([[I0, bad(ANS0)], [R0_EDC, bad(R1_EDC)], [R0_EDC, ANS0]], (t) => selectAnswers(t));
    },
    card() {
      // The card's R(1) is lost on the line: the card sees the same as in scenario 11.
      cardSide([[I0, ANS0], [bad(R0_EDC), R1_EDC], [R0_EDC, ANS0]]);
    },
  },
  {
    name: 'A.3.1 scenario 13: invalid I-block, invalid R(1), valid R(1): the same R(0) a third time, not RESYNCH (issue 8.3)',
    async terminal() {
      const line = await terminalSide([
        ['00 00 0B 00 A4 04 00 05 75 36 41 70 70 05 A9', '00 00 07 75 74 77 74 75 90 00 1F'],
        ['00 81 00 81', '00 91 00 6E'],
        ['00 81 00 81', '00 91 00 91'],
        ['00 81 00 81', '00 00 07 75 74 77 74 75 90 00 E0'],
      ], (t) => selectAnswers(t));
      ok(!line.sent.includes(hex(RESYNCH)), 'no RESYNCH');
    },
    card() {
      // Rule 7.2 on the card: after its R(1), an invalid block gets the same R(1) again.
      const { commands } = cardSide([[I0, ANS0], [bad(R0_EDC), R1_EDC], [bad(R0_EDC), R1_EDC], [R0_EDC, ANS0]]);
      ran(commands, [APDU], 'the command ran once');
    },
  },
  // ---- A.3 errors around S(WTX) (rules 7.1, 7.3) ----
  {
    name: 'A.3 WTX: the card\'s S(WTX request) is invalid; after R(0) it comes again and is answered',
    async terminal() {
      await terminalSide([[I0, bad(wtxRequest(2))], [R0_EDC, wtxRequest(2)], [wtxResponse(2), ANS0]], (t) => selectAnswers(t));
    },
    card() {
      cardSide([[I0, wtxRequest(6)], [R0_EDC, wtxRequest(6)], [wtxResponse(6), ANS0]], { processingEtu: 5_000 });
    },
  },
  {
    name: 'A.3 WTX: the S(WTX response) reaches the card damaged; the card asks again',
    async terminal() {
      const line = await terminalSide([[I0, wtxRequest(2)], [wtxResponse(2), wtxRequest(3)], [wtxResponse(3), ANS0]], (t) => selectAnswers(t));
      equal(line.waits, [BWT, 2 * BWT, 3 * BWT], 'each response sets the wait for the next block');
    },
    card() {
      cardSide([[I0, wtxRequest(6)], [bad(wtxResponse(6)), wtxRequest(6)], [wtxResponse(6), ANS0]], { processingEtu: 5_000 });
    },
  },
  {
    name: 'A.3 WTX: the I-block after S(WTX response) is invalid; R(0) at BWT again',
    async terminal() {
      const line = await terminalSide([[I0, wtxRequest(2)], [wtxResponse(2), bad(ANS0)], [R0_EDC, ANS0]], (t) => selectAnswers(t));
      equal(line.waits, [BWT, 2 * BWT, BWT], 'the multiplier held for one block');
    },
    card() {
      cardSide([[I0, wtxRequest(6)], [wtxResponse(6), ANS0], [R0_EDC, ANS0]], { processingEtu: 5_000 });
    },
  },
  // ---- A.3 errors around S(IFS) (rules 7.1, 7.3) ----
  {
    name: 'A.3 IFS: the terminal\'s S(IFS request) reaches the card damaged; R(0), the request again',
    async terminal() {
      const line = new ScriptedCard([R0_EDC, ifsResponse(10)]);
      const t = new T1Transport(new CharacterPort(line), { ifsc: 32, ifsd: 10, edc: 'lrc', bwtEtu: BWT, cwtEtu: CWT });
      await t.negotiateIfsd();
      equal(line.sent, [ifsRequest(10), ifsRequest(10)].map(hex), 'blocks the terminal sent');
      equal(t.ifsd, 10, 'IFSD');
    },
    card() {
      const { card } = cardSide([[bad(ifsRequest(10)), R0_EDC], [ifsRequest(10), ifsResponse(10)]]);
      equal(card.ifsd, 10, 'IFSD');
    },
  },
  {
    name: 'A.3 IFS: the card\'s S(IFS response) is invalid; the request again',
    async terminal() {
      const line = new ScriptedCard([bad(ifsResponse(10)), ifsResponse(10)]);
      const t = new T1Transport(new CharacterPort(line), { ifsc: 32, ifsd: 10, edc: 'lrc', bwtEtu: BWT, cwtEtu: CWT });
      await t.negotiateIfsd();
      equal(line.sent, [ifsRequest(10), ifsRequest(10)].map(hex), 'blocks the terminal sent');
    },
    card() {
      cardSide([[ifsRequest(10), ifsResponse(10)], [ifsRequest(10), ifsResponse(10)]]);
    },
  },
  {
    name: 'A.3 IFS: the card\'s S(IFS request) is invalid; after R(0) it comes again',
    async terminal() {
      await terminalSide([[I0, bad(ifsRequest(16))], [R0_EDC, ifsRequest(16)], [ifsResponse(16), ANS0]], (t) => selectAnswers(t));
    },
    card() {
      cardSide([(c) => c.requestIfs(16), [I0, ifsRequest(16)], [R0_EDC, ifsRequest(16)], [ifsResponse(16), ANS0]]);
    },
  },
  {
    name: 'A.3 IFS: the S(IFS response) reaches the card damaged; the card asks again',
    async terminal() {
      await terminalSide([[I0, ifsRequest(16)], [ifsResponse(16), ifsRequest(16)], [ifsResponse(16), ANS0]], (t) => selectAnswers(t));
    },
    card() {
      const { card } = cardSide([(c) => c.requestIfs(16), [I0, ifsRequest(16)], [bad(ifsResponse(16)), ifsRequest(16)], [ifsResponse(16), ANS0]]);
      equal(card.ifsc, 16, 'IFSC once the response came through');
    },
  },
  // ---- A.3 errors during chaining ----
  {
    name: 'A.3 chaining: the card\'s R(1) to a chained block is invalid; R(0) from the terminal, R(1) again',
    async terminal() {
      await terminalSide([[CHAIN_A, bad(R1)], [R0_EDC, R1], [CHAIN_B, R0], [CHAIN_C, ANS0]], (t) => selectAnswers(t, LONG_APDU), 10);
    },
    card() {
      cardSide([[CHAIN_A, R1], [R0_EDC, R1], [CHAIN_B, R0], [CHAIN_C, ANS0]], { ifsc: 10 });
    },
  },
  {
    name: 'A.3 chaining: a chained I-block reaches the card damaged; its R(1) again asks for it',
    async terminal() {
      await terminalSide([[CHAIN_A, R1], [CHAIN_B, R1], [CHAIN_B, R0], [CHAIN_C, ANS0]], (t) => selectAnswers(t, LONG_APDU), 10);
    },
    card() {
      const { commands } = cardSide([[CHAIN_A, R1], [bad(CHAIN_B), R1], [CHAIN_B, R0], [CHAIN_C, ANS0]], { ifsc: 10 });
      ran(commands, [LONG_APDU], 'the command whole, once');
    },
  },
  {
    name: 'A.3 chaining: no answer to a chained block within BWT; R(0) with "other error", then the chain goes on',
    async terminal() {
      await terminalSide([[CHAIN_A, null], [R0_OTHER, R1], [CHAIN_B, R0], [CHAIN_C, ANS0]], (t) => selectAnswers(t, LONG_APDU), 10);
    },
    card() {
      cardSide([[CHAIN_A, R1], [R0_OTHER, R1], [CHAIN_B, R0], [CHAIN_C, ANS0]], { ifsc: 10 });
    },
  },
  {
    name: 'A.3 chaining: a chained I-block of the card is invalid; R(0) asks for it again',
    async terminal() {
      await terminalSide([[I0, bad(CARD_A)], [R0_EDC, CARD_A], [R1, CARD_B]], (t) => selectAnswers(t));
    },
    card() {
      cardSide([...IFSD5, [I0, CARD_A], [R0_EDC, CARD_A], [R1, CARD_B]]);
    },
  },
  {
    name: 'A.3 chaining: the terminal\'s R(1) reaches the card damaged; R(1) with an error back, the terminal\'s R(1) again',
    async terminal() {
      await terminalSide([[I0, CARD_A], [R1, R1_EDC], [R1, CARD_B]], (t) => selectAnswers(t));
    },
    card() {
      cardSide([...IFSD5, [I0, CARD_A], [bad(R1), R1_EDC], [R1, CARD_B]]);
    },
  },
  {
    name: 'negotiated IFSC in the middle of the terminal\'s chain: INF 32, 16, 16, 5 after S(IFS 16) (issue 8.1)',
    async terminal() {
      await terminalSide([
        [ITEM1_FIRST, '00 C1 01 10 D0'],
        ['00 E1 01 10 F0', '00 90 00 90'],
        ['00 60 10' + ' 11'.repeat(16) + ' 70', '00 80 00 80'],
        ['00 20 10' + ' 11'.repeat(16) + ' 30', '00 90 00 90'],
        ['00 40 05' + ' 11'.repeat(5) + ' 54', '00 00 02 90 00 92'],
      ], (t) => answers('9000')(t, ITEM1_APDU));
      equal(blk('20 20' + toHex(fromHex(ITEM1_APDU).subarray(0, 32))), hex(ITEM1_FIRST), 'the first block as the issue gives it');
    },
    card() {
      const piece = (pcb: string, n: number): string => blk(`${pcb} ${n.toString(16).padStart(2, '0')}` + ' 11'.repeat(n));
      const { commands } = cardSide([
        (c) => c.requestIfs(16),
        [ITEM1_FIRST, '00 C1 01 10 D0'],
        ['00 E1 01 10 F0', R1],
        [piece('60', 32), R1], // 32 bytes over the new IFSC: refused, R(1) again (rule 7.2)
        [piece('60', 16), R0],
        [piece('20', 16), R1],
        [piece('40', 5), '00 00 02 90 00 92'],
      ], { ifsc: 32, answer: () => '90 00' });
      ran(commands, [ITEM1_APDU], 'the card ran the 69-byte command once');
    },
  },
  {
    name: 'negotiated IFSD in the middle of the card\'s chain: the next I-block is cut to it',
    card() {
      const twelve = '01 02 03 04 05 06 07 08 09 0A 90 00';
      cardSide([
        ...IFSD5,
        [I0, blk('20 05 01 02 03 04 05')],
        [ifsRequest(3), ifsResponse(3)],
        [R1, blk('60 03 06 07 08')],
        [R1_EDC, blk('60 03 06 07 08')], // R(N(R) = its N(S)): the same block again
        [R0, blk('20 03 09 0A 90')],
        [R1, blk('40 01 00')],
      ], { answer: () => twelve });
    },
  },
  // ---- A.4 resynchronisation (rule 6, rule 7.4) ----
  {
    name: 'A.4 RESYNCH: a block sent three times without a fitting answer; S(RESYNCH), the command reported lost, N(S) from 0',
    async terminal() {
      await terminalSide([
        [I0, bad(ANS0)], [R0_EDC, bad(ANS0)], [R0_EDC, bad(ANS0)], [R0_EDC, bad(ANS0)], [RESYNCH, RESYNCH_OK],
        [I0, ANS0],
      ], async (t) => {
        await rejects(() => t.transmit(fromHex(APDU)), /resynchronised, the command is lost/, 'lost after RESYNCH');
        await selectAnswers(t);
      });
    },
    card() {
      // The card sends a block three times; the fourth request for it is left unanswered (rule 7.4).
      const { card, commands } = cardSide([[I0, ANS0], [R0_EDC, ANS0], [R0_EDC, ANS0], [R0_EDC, ''], [RESYNCH, RESYNCH_OK], [I0, ANS0]]);
      equal(card.withheld, 1, 'one block withheld');
      ran(commands, [APDU, APDU], 'the lost command and the new one');
    },
  },
  {
    name: 'A.4 RESYNCH: the S(RESYNCH response) is invalid; the request again',
    async terminal() {
      await terminalSide([
        [I0, null], [R0_OTHER, null], [R0_OTHER, null], [R0_OTHER, null], [RESYNCH, bad(RESYNCH_OK)], [RESYNCH, RESYNCH_OK],
      ], (t) => rejects(() => t.transmit(fromHex(APDU)), /resynchronised/, 'lost after RESYNCH'));
    },
    card() {
      cardSide([[RESYNCH, RESYNCH_OK], [RESYNCH, RESYNCH_OK]]);
    },
  },
  {
    name: 'A.4 RESYNCH: three RESYNCH requests unanswered: the terminal gives up until a new activation',
    async terminal() {
      await terminalSide([
        [I0, null], [R0_OTHER, null], [R0_OTHER, null], [R0_OTHER, null], [RESYNCH, null], [RESYNCH, null], [RESYNCH, null],
      ], async (t) => {
        await rejects(() => t.transmit(fromHex(APDU)), /RESYNCH failed 3 times/, 'dead line');
        ok(t.dead, 'dead');
        await rejects(() => t.transmit(fromHex(APDU)), /out of step/, 'refused until reactivated');
      });
    },
    card() {
      // In the middle of the terminal's chain: the chain is dropped, N(R), IFSC and IFSD start again.
      const { card, commands } = cardSide([
        [ifsRequest(5), ifsResponse(5)], (c) => c.requestIfs(12), [CHAIN_A, ifsRequest(12)], [ifsResponse(12), R1], [RESYNCH, RESYNCH_OK], [I0, ANS0],
      ], { ifsc: 16 });
      equal([card.ifsc, card.ifsd], [16, 32], 'IFSC from the ATR, IFSD 32');
      ran(commands, [APDU], 'only the command after RESYNCH');
    },
  },
  // ---- A.5 abortion of a chain ----
  {
    name: 'A.5 ABORT: the card aborts the terminal\'s chain; the next command is I(1), not I(0) (issue 8.3)',
    async terminal() {
      const first = '00 20 05 00 A4 04 00 05 80';
      const next = '00 40 05 00 B0 00 00 05 F0';
      await terminalSide([[first, '00 C2 00 C2'], ['00 E2 00 E2', null], [next, '00 00 02 90 00 92']], async (t) => {
        await rejects(() => t.transmit(fromHex(APDU)), /ProtocolAbortError: the card aborted/, 'the abort reported');
        equal(toHex(await t.transmit(fromHex('00 B0 00 00 05'))), '9000', 'the next command answered');
      }, 5);
      equal(blk('20 05 00 A4 04 00 05'), hex(first), 'I(0,M)');
      equal(blk('40 05 00 B0 00 00 05'), hex(next), 'I(1)');
    },
    card() {
      const { commands } = cardSide([
        (c) => c.abortNextChain(),
        [blk('20 05 00 A4 04 00 05'), ABORT], [ABORT_OK, ''], [blk('40 05 00 B0 00 00 05'), blk('00 02 90 00')],
      ], { ifsc: 5, answer: () => '90 00' });
      ran(commands, ['00 B0 00 00 05'], 'only the command after the abort ran');
    },
  },
  {
    name: 'A.5 ABORT: the card aborts its own chain; both sides go on with the next N(S)',
    async terminal() {
      await terminalSide([[I0, CARD_A], [R1, ABORT], [ABORT_OK, null], [I1, ANS1]], async (t) => {
        await rejects(() => t.transmit(fromHex(APDU)), ProtocolAbortErrorPattern, 'the abort reported');
        await selectAnswers(t);
      });
    },
    card() {
      cardSide([...IFSD5, (c) => c.abortNextChain(), [I0, CARD_A], [R1, ABORT], [ABORT_OK, ''], [I1, blk('60 05 75 74 77 74 75')]]);
    },
  },
  {
    name: 'A.5 ABORT: the terminal aborts a chain either way; the card answers and drops it',
    card() {
      const { commands } = cardSide([
        [CHAIN_A, R1], [ABORT, ABORT_OK], [I1, ANS0],
        [ifsRequest(5), ifsResponse(5)], [I0, blk('60 05 75 74 77 74 75')], [ABORT, ABORT_OK], [I1, blk('20 05 75 74 77 74 75')],
      ], { ifsc: 16 });
      ran(commands, [APDU, APDU, APDU], 'the aborted command chain never ran; the command whose answer was aborted did');
    },
  },
  {
    name: 'A.5 ABORT: the card\'s S(ABORT request) is invalid; after R(0) it comes again',
    async terminal() {
      await terminalSide([['00 20 05 00 A4 04 00 05 80', bad(ABORT)], [R0_EDC, ABORT], [ABORT_OK, null]],
        (t) => rejects(() => t.transmit(fromHex(APDU)), ProtocolAbortErrorPattern, 'the abort reported'), 5);
    },
    card() {
      cardSide([(c) => c.abortNextChain(), [blk('20 05 00 A4 04 00 05'), ABORT], [R0_EDC, ABORT], [ABORT_OK, '']], { ifsc: 5 });
    },
  },
];

const annexScenarios: Scenario[] = pairs.flatMap((pair) => [
  ...(pair.terminal ? [{ name: `T=1 ${pair.name} (terminal side)`, run: pair.terminal }] : []),
  ...(pair.card ? [{ name: `T=1 ${pair.name} (card side)`, run: pair.card }] : []),
]);

// ---- both real sides over the simulated line ----

const wholeLine: Scenario[] = [
  {
    name: 'T=1 terminal and card over the line: the card asks for IFSC 16 in the middle of a 69-byte command (issue 8.1)',
    async run() {
      const device = echoCard();
      const b = await bench({ device, card: { atr: cardAtr({ ifsc: 32 }) } });
      b.card.t1!.requestIfs(16);
      const command = fromHex('00 EE 00 81 40' + ' 11'.repeat(64));
      equal(toHex(await b.reader.transmit(command)), toHex(device.process(command)), 'the answer');
      equal([b.reader.t1!.ifsc, b.card.t1!.ifsc], [16, 16], 'IFSC on both sides');
      equal([b.reader.t1!.counters.resynchs, b.card.t1!.invalidBlocks, b.card.commands], [0, 0, 1], 'no RESYNCH, no refused block, run once');
    },
  },
  {
    name: 'T=1 terminal and card over the line: the card aborts a chain, the next commands go through in sequence (issue 8.3)',
    async run() {
      const device = echoCard();
      const b = await bench({ device, card: { atr: cardAtr({ ifsc: 16 }) } });
      b.card.t1!.abortNextChain();
      const long = fromHex('00 88 00 00 20' + ' 5A'.repeat(32) + ' 00');
      await rejects(() => b.reader.transmit(long), ProtocolAbortErrorPattern, 'the abort reported');
      for (const command of [fromHex('00 CA 00 00 08'), long]) {
        equal(toHex(await b.reader.transmit(command)), toHex(device.process(command)), `answer to ${toHex(command).slice(0, 10)}`);
      }
      equal([b.reader.t1!.counters.resynchs, b.card.t1!.invalidBlocks, b.card.commands], [0, 0, 2], 'in step: no RESYNCH, nothing refused, two commands run');
    },
  },
];

export const t1AnnexAScenarios: readonly Scenario[] = Object.freeze([...annexScenarios, ...wholeLine]);
