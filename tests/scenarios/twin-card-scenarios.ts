// The card interface driver (hal/esp32/card-interface.ts) on the twin board: a TDA8024 model with
// the real card application behind ISO 7816-3 bytes (hal/twin/tda8024.ts), the smart-card UART and
// LEDC card clock as host classes (hal/twin/smartcard-io.ts), the pins through the twin's ECMA-419
// Digital (hal/twin/io.ts). The protocol is the firmware's own: ProtocolReader (firmware/iso7816)
// over the driver, and at the end the whole terminal (firmware/terminal) over that reader.
//
// The driver waits on the HAL clock, which on the twin is the virtual clock: `drive()` runs the
// work and, whenever it is blocked with nothing but timers left (checked after a macrotask, so every
// promise job has run), fires the next timer. setImmediate is found at run time: Node and xsnap
// both have it. Engine-neutral: this list runs on Node and inside XS.
import { CardInterface, type CardInterfaceWiring } from '../../hal/esp32/card-interface.js';
import { flaggedCharacters, LINE, type CardLine, type LineRun, type LineSettings } from '../../hal/card-line.js';
import type { CardReader } from '../../hal/reader.js';
import { TwinBoard } from '../../hal/twin/board.js';
import { hostIo } from '../../hal/twin/io.js';
import { ledcReachedHz, twinCardIo } from '../../hal/twin/smartcard-io.js';
import { TwinTda8024 } from '../../hal/twin/tda8024.js';
import { VirtualClock } from '../../hal/sim/clock.js';
import { FAULTS } from '../../hal/sim/card-line.js';
import { SimFlash } from '../../hal/sim/flash.js';
import { SeededRandom } from '../../hal/sim/random.js';
import { TerminalRig } from '../../hal/sim/rig.js';
import { SimCard } from '../../hal/sim/sim-card.js';
import { SimByteCard } from '../../card/iso7816/byte-card.js';
import { answerToReset } from '../../card/atr.js';
import { ProtocolReader } from '../../firmware/iso7816/protocol-reader.js';
import { decodeCardData } from '../../firmware/protocol/data-objects.js';
import { encodeCommand, parseResponse } from '../../firmware/protocol/apdu.js';
import { COMMANDS } from '../../firmware/protocol/commands.js';
import { UsageJournal } from '../../firmware/journal/usage-journal.js';
import { createIssuerKey, issueCard, provisionTerminal, type IssuerKey } from '../../issuer/issuer.js';
import type { TerminalConfig } from '../../firmware/terminal/config.js';
import { ALICE, BENCH_FLASH, BENCH_RIG, START } from './world.js';
import { equal, ok, rejects, type Scenario } from './scenario.js';

/** The board's wiring of the card interface (moddable.json wiring.card). */
export const WIRING: CardInterfaceWiring = Object.freeze({ uart: 1, transmit: 17, receive: 16, clock: 4, reset: 5, vcc: 18, detect: 19, clockHz: 3_571_200 });

const SW_OK = 0x9000;

type Immediate = (callback: () => void) => unknown;

function macrotask(): Promise<void> {
  const immediate = (globalThis as unknown as { setImmediate?: Immediate }).setImmediate;
  if (typeof immediate !== 'function') throw new Error('twin scenarios need setImmediate (Node, xsnap)');
  return new Promise((resolve) => void immediate(resolve));
}

/** Runs `work` to the end on the virtual clock, firing timers only while it waits on nothing else. */
export async function drive<T>(clock: VirtualClock, work: Promise<T>, limitMs = 600_000): Promise<T> {
  let settled = false;
  const watched = work.then(
    (value) => {
      settled = true;
      return value;
    },
    (error: unknown) => {
      settled = true;
      throw error;
    },
  );
  watched.catch(() => undefined); // handled here; the caller gets the rejection when it is returned
  const deadline = clock.now() + limitMs;
  for (;;) {
    await macrotask();
    if (settled) return watched;
    if (!clock.fireNext(deadline)) {
      throw new Error(`stalled at ${clock.now() - START} ms: the work waits on nothing the clock can give`);
    }
  }
}

/** A CardLine that passes everything through and records what receive() handed up. */
class RecordingLine implements CardLine {
  readonly received: number[] = [];
  readonly #line: CardLine;

  constructor(line: CardLine) {
    this.#line = line;
    line.onInserted = () => this.onInserted?.();
    line.onRemoved = () => this.onRemoved?.();
  }

  onInserted: (() => void) | null = null;
  onRemoved: (() => void) | null = null;
  get cardPresent(): boolean {
    return this.#line.cardPresent;
  }
  get clockHz(): number {
    return this.#line.clockHz;
  }
  activate(): Promise<void> {
    return this.#line.activate();
  }
  warmReset(): Promise<void> {
    return this.#line.warmReset();
  }
  configure(settings: LineSettings): void {
    this.#line.configure(settings);
  }
  send(raw: Uint8Array): Promise<void> {
    return this.#line.send(raw);
  }
  async receive(timeoutEtu: number): Promise<number> {
    const character = await this.#line.receive(timeoutEtu);
    if (character !== LINE.TIMEOUT) this.received.push(character);
    return character;
  }
  async receiveRun(count: number, firstTimeoutEtu: number, gapTimeoutEtu: number): Promise<LineRun> {
    const run = await this.#line.receiveRun(count, firstTimeoutEtu, gapTimeoutEtu);
    for (const character of flaggedCharacters(run)) this.received.push(character);
    return run;
  }
  available(): number {
    return this.#line.available();
  }
  deactivate(): Promise<void> {
    return this.#line.deactivate();
  }
  eject(): Promise<void> {
    return this.#line.eject();
  }
}

let issuerCache: { readonly issuer: IssuerKey; readonly random: SeededRandom } | null = null;

export function issuer(): { readonly issuer: IssuerKey; readonly random: SeededRandom } {
  if (!issuerCache) {
    const random = new SeededRandom('twin-card');
    issuerCache = { issuer: createIssuerKey(1, 1, random.source), random };
  }
  return issuerCache;
}

export function aliceCard(label = 'alice'): SimCard {
  const { issuer: key, random } = issuer();
  const issued = issueCard(key, { ...ALICE }, random.source);
  return SimCard.personalise(issued.personalisation, label, random.source);
}

interface Bench {
  readonly clock: VirtualClock;
  readonly board: TwinBoard;
  readonly chip: TwinTda8024;
  readonly line: CardInterface;
  readonly recorder: RecordingLine;
  readonly reader: ProtocolReader;
  readonly events: string[];
}

function makeBench(clock = new VirtualClock(START), wiring: CardInterfaceWiring = WIRING): Bench {
  const board = new TwinBoard(clock);
  const chip = new TwinTda8024(board, wiring);
  const io = hostIo(board);
  const cardIo = twinCardIo(board, chip);
  const line = new CardInterface({
    wiring,
    io: { Digital: io.Digital, CardClock: cardIo.CardClock, SmartCardUart: cardIo.SmartCardUart },
    clock,
  });
  const recorder = new RecordingLine(line);
  const reader = new ProtocolReader(recorder);
  const events: string[] = [];
  reader.onInserted = () => events.push('inserted');
  reader.onRemoved = () => events.push('removed');
  return { clock, board, chip, line, recorder, reader, events };
}

/** A card goes in; the presence pin's edge reaches the driver (a microtask later, as an interrupt would). */
async function insert(bench: Bench, card: SimByteCard): Promise<void> {
  bench.chip.insert(card);
  await macrotask();
}

async function transmit(bench: Bench, command: Uint8Array): Promise<{ readonly data: Uint8Array; readonly sw: number }> {
  const response = parseResponse(await drive(bench.clock, bench.reader.transmit(command)));
  return { data: response.data, sw: response.sw };
}

function noFaults(bench: { readonly board: TwinBoard }): void {
  equal(bench.board.faults, [], 'no electrical or timing fault on the twin board');
}

/** SELECT and READ CARD DATA; returns the card data's bytes. */
async function selectAndRead(bench: Bench): Promise<Uint8Array> {
  equal((await transmit(bench, encodeCommand(COMMANDS.select()))).sw, SW_OK, 'SELECT');
  const read = await transmit(bench, encodeCommand(COMMANDS.readCardData()));
  equal(read.sw, SW_OK, 'READ CARD DATA');
  return read.data;
}

/** A bench with a card powered up: ATR, PPS and S(IFS) done. */
async function poweredBench(): Promise<{ bench: Bench; device: SimCard; card: SimByteCard }> {
  const bench = makeBench();
  const device = aliceCard();
  const card = new SimByteCard(device);
  await insert(bench, card);
  await drive(bench.clock, bench.reader.powerOn());
  return { bench, device, card };
}

const lineScenarios: Scenario[] = [
  {
    name: 'twin card interface: presence pin, activation, the ATR through the smart-card UART at the clock the LEDC reached',
    async run() {
      const bench = makeBench();
      const { line, chip, reader, clock } = bench;
      equal(line.cardPresent, false, 'no card: OFF low');
      await rejects(() => drive(clock, reader.powerOn()), /CardRemovedError/, 'activation without a card');
      const device = aliceCard();
      await insert(bench, new SimByteCard(device));
      equal([line.cardPresent, bench.events], [true, ['inserted']], 'OFF rose: the card is in and the reader heard it');
      const atr = await drive(clock, reader.powerOn());
      equal(atr, answerToReset(), "the card's own ATR, byte for byte");
      const reached = ledcReachedHz(WIRING.clockHz!, 1);
      equal([line.clockHz, chip.stats.clockHz], [reached, reached], 'driver and card both run on the frequency the LEDC reached');
      ok(reached !== WIRING.clockHz && Math.abs(reached - WIRING.clockHz!) < 1000, `LEDC reached ${reached} Hz for ${WIRING.clockHz} asked`);
      equal(chip.stats.activations, 1, 'one cold reset');
      noFaults(bench);
    },
  },
  {
    name: 'twin card interface: PPS to TA1 96, then Fi 512 / Di 32 on both sides of the contacts (baud = f·D/F)',
    async run() {
      const { bench } = await poweredBench();
      const session = bench.reader.session!;
      equal([session.protocol, session.pps, session.fi, session.di], [1, 'accepted', 512, 32], 'T=1 at the card TA1 after PPS');
      const f = bench.line.clockHz;
      const baud = bench.line.baud;
      ok(Math.abs(baud - (f * 32) / 512) / baud < 0.001, `UART at f·D/F: ${baud} bit/s for ${(f * 32) / 512}`);
      equal([session.ifsc, session.ifsd], [254, 254], 'IFSC from TA3, IFSD by S(IFS)');
      const data = await selectAndRead(bench);
      equal(decodeCardData(data).registrationNumber, ALICE.registrationNumber, 'the card data arrive whole at 223 kbit/s');
      noFaults(bench);
    },
  },
  {
    name: 'twin card interface: T=1 APDUs at 4 MHz (the rate follows the clock on CLK, not a constant)',
    async run() {
      const bench = makeBench(new VirtualClock(START), { ...WIRING, clockHz: 4_000_000 });
      await insert(bench, new SimByteCard(aliceCard()));
      await drive(bench.clock, bench.reader.powerOn());
      equal(bench.line.clockHz, 4_000_000, 'the LEDC divides 80 MHz exactly');
      ok(Math.abs(bench.line.baud - 250_000) < 1, `250 kbit/s after PPS, UART at ${bench.line.baud}`);
      for (let i = 0; i < 3; i++) await selectAndRead(bench);
      equal(bench.reader.t1!.counters.invalidBlocks, 0, 'no invalid block');
      noFaults(bench);
    },
  },
  {
    name: 'twin card interface: the echo of every character sent is dropped by the driver, none reaches firmware/iso7816',
    async run() {
      const { bench } = await poweredBench();
      await selectAndRead(bench);
      const chipStats = bench.chip.stats;
      const lineStats = bench.line.stats;
      ok(chipStats.toCard > 20, `the terminal sent ${chipStats.toCard} characters (PPS, S(IFS), two I-blocks)`);
      equal([chipStats.echoes, lineStats.echoes, lineStats.sent], [chipStats.toCard, chipStats.toCard, chipStats.toCard], 'each one came back on the wire and was dropped');
      equal(lineStats.echoMismatches, 0, 'every echo matched what was sent');
      equal(bench.recorder.received, chipStats.toTerminal, 'the protocol got exactly the characters the card sent, in order');
      noFaults(bench);
    },
  },
  {
    name: 'twin card interface: one receive at a time: a second receive() or receiveRun() while a run waits is refused, and the waiting run keeps its characters',
    async run() {
      const { bench } = await poweredBench();
      await selectAndRead(bench);
      const line = bench.line;
      const waiting = line.receiveRun(5, 50, 50); // the card says nothing now: it waits
      await rejects(() => line.receive(10), /while a receive is under way/, 'a receive() beside it');
      await rejects(() => line.receiveRun(1, 10, 10), /while a receive is under way/, 'a receiveRun() beside it');
      const run = await drive(bench.clock, waiting);
      equal([run.chars.length, run.timedOut], [0, true], 'the waiting run ends at its own timeout, with nothing taken from it');
    },
  },
  {
    name: 'twin card interface: noise between two exchanges is read away in the guard time before the next block, not taken for the card\'s answer',
    async run() {
      const { bench } = await poweredBench();
      equal((await transmit(bench, encodeCommand(COMMANDS.select()))).sw, SW_OK, 'SELECT');
      const t1 = bench.reader.t1!.counters;
      const invalid = t1.invalidBlocks;
      const received = bench.line.stats.received;
      bench.chip.noise(0x3b);
      await drive(bench.clock, new Promise<void>((resolve) => bench.clock.setTimer(5, resolve))); // the terminal works 5 ms meanwhile
      const read = await transmit(bench, encodeCommand(COMMANDS.readCardData()));
      equal(read.sw, SW_OK, 'READ CARD DATA');
      equal(decodeCardData(read.data).registrationNumber, ALICE.registrationNumber, 'the right data');
      equal(t1.invalidBlocks, invalid, 'no block was refused: the stray character never began one');
      ok(bench.line.stats.received > received, 'the driver did receive the stray character');
      noFaults(bench);
    },
  },
  {
    name: 'twin card interface: noise still on the wire as a command starts is no BGT wait\'s to catch (the line was quiet since the drain): T=1 refuses the garbled answer and gets it again',
    async run() {
      const { bench } = await poweredBench();
      equal((await transmit(bench, encodeCommand(COMMANDS.select()))).sw, SW_OK, 'SELECT');
      const t1 = bench.reader.t1!.counters;
      const invalid = t1.invalidBlocks;
      bench.chip.noise(0x3b); // arrives while the command goes out
      const read = await transmit(bench, encodeCommand(COMMANDS.readCardData()));
      equal(read.sw, SW_OK, 'READ CARD DATA');
      equal(decodeCardData(read.data).registrationNumber, ALICE.registrationNumber, 'the right data, nothing lost');
      ok(t1.invalidBlocks > invalid && t1.invalidBlocks <= invalid + 2, `recovered by T=1 (§11.6.3): ${t1.invalidBlocks - invalid} block(s) refused`);
      noFaults(bench);
    },
  },
  {
    name: 'twin card interface: a flipped bit from the card is a parity error; T=1 asks again with an R-block and gets the block',
    async run() {
      const { bench } = await poweredBench();
      equal((await transmit(bench, encodeCommand(COMMANDS.select()))).sw, SW_OK, 'SELECT');
      const base = bench.chip.stats.toTerminal.length;
      bench.chip.faults = FAULTS.at('to-terminal', base + 40, { kind: 'flip', bit: 3 });
      const read = await transmit(bench, encodeCommand(COMMANDS.readCardData()));
      equal(read.sw, SW_OK, 'READ CARD DATA recovered');
      equal(decodeCardData(read.data).registrationNumber, ALICE.registrationNumber, 'the right data');
      equal(bench.line.stats.parityErrors, 1, 'the UART flagged one character');
      const t1 = bench.reader.t1!.counters;
      equal(t1.invalidBlocks, 1, 'the block with the bad character was refused');
      ok(bench.recorder.received.some((c) => (c & LINE.PARITY_ERROR) !== 0), 'the flag reached the protocol with the character');
      noFaults(bench);
    },
  },
  {
    name: 'twin card interface: a flipped bit towards the card and a parity-keeping corruption are both recovered through T=1',
    async run() {
      const { bench, card } = await poweredBench();
      const toCard = bench.chip.stats.toCard;
      bench.chip.faults = FAULTS.at('to-card', toCard + 6, { kind: 'flip', bit: 0 });
      equal((await transmit(bench, encodeCommand(COMMANDS.select()))).sw, SW_OK, 'SELECT after the card refused a block');
      ok(card.t1!.invalidBlocks >= 1, 'the card saw the parity error and asked again');
      const base = bench.chip.stats.toTerminal.length;
      bench.chip.faults = FAULTS.at('to-terminal', base + 20, { kind: 'corrupt', bits: [1, 6] });
      const before = bench.reader.t1!.counters.invalidBlocks;
      const read = await transmit(bench, encodeCommand(COMMANDS.readCardData()));
      equal(read.sw, SW_OK, 'READ CARD DATA');
      equal(decodeCardData(read.data).registrationNumber, ALICE.registrationNumber, 'the right data');
      equal(bench.line.stats.parityErrors, 0, 'the corruption kept the parity: no flag');
      equal(bench.reader.t1!.counters.invalidBlocks, before + 1, 'the LRC caught it');
      noFaults(bench);
    },
  },
  {
    name: 'twin card interface: the card pulled out during an exchange ends it with CardRemovedError, and a new card works',
    async run() {
      const { bench } = await poweredBench();
      equal((await transmit(bench, encodeCommand(COMMANDS.select()))).sw, SW_OK, 'SELECT');
      const sentBefore = bench.chip.stats.toTerminal.length;
      bench.clock.setTimer(3, () => bench.chip.remove());
      await rejects(() => drive(bench.clock, bench.reader.transmit(encodeCommand(COMMANDS.readCardData()))), /CardRemovedError/, 'READ CARD DATA cut');
      ok(bench.chip.stats.toTerminal.length > sentBefore, 'the card had begun to answer');
      equal([bench.line.cardPresent, bench.chip.active, bench.events], [false, false, ['inserted', 'removed']], 'OFF fell, the chip deactivated, the reader heard it');
      await rejects(() => drive(bench.clock, bench.line.receive(10)), /CardRemovedError/, 'nothing more to read');
      await insert(bench, new SimByteCard(aliceCard('bob')));
      await drive(bench.clock, bench.reader.powerOn());
      await selectAndRead(bench);
      noFaults(bench);
    },
  },
  {
    name: 'twin card interface: deactivation (§6.4) stops the clock and a cold reset starts over at the default rate',
    async run() {
      const { bench } = await poweredBench();
      await drive(bench.clock, bench.reader.powerOff());
      equal([bench.chip.active, bench.board.pwm(WIRING.clock)], [false, null], 'card off, no clock on CLK');
      await rejects(() => drive(bench.clock, bench.line.receive(10)), /CardRemovedError|not powered/, 'an unpowered line does not read');
      await drive(bench.clock, bench.reader.powerOn());
      equal(bench.chip.stats.activations, 2, 'a second activation');
      equal(bench.reader.session!.pps, 'accepted', 'PPS again from the default rate');
      await selectAndRead(bench);
      noFaults(bench);
    },
  },
];

/** Forwards to a reader made after the rig (the twin board runs on the rig's clock). */
class LateReader implements CardReader {
  onInserted: (() => void) | null = null;
  onRemoved: (() => void) | null = null;
  #target: CardReader | null = null;

  set target(reader: CardReader) {
    this.#target = reader;
    reader.onInserted = () => this.onInserted?.();
    reader.onRemoved = () => this.onRemoved?.();
  }

  get #reader(): CardReader {
    if (!this.#target) throw new Error('no reader yet');
    return this.#target;
  }

  get cardPresent(): boolean {
    return this.#target?.cardPresent ?? false;
  }
  powerOn(): Promise<Uint8Array> {
    return this.#reader.powerOn();
  }
  transmit(command: Uint8Array): Promise<Uint8Array> {
    return this.#reader.transmit(command);
  }
  powerOff(): Promise<void> {
    return this.#reader.powerOff();
  }
  eject(): Promise<void> {
    return this.#reader.eject();
  }
}

interface TwinTerminal {
  readonly rig: TerminalRig;
  readonly usage: UsageJournal;
  readonly chip: TwinTda8024;
  readonly line: CardInterface;
  readonly board: TwinBoard;
  press(...keys: string[]): Promise<void>;
  insert(card: SimCard): Promise<void>;
  remove(): Promise<void>;
}

async function twinTerminal(): Promise<TwinTerminal> {
  const { issuer: key, random } = issuer();
  const config: TerminalConfig = provisionTerminal(key, { terminalId: 'T0001', validFrom: '2026-01-01', validTo: '2031-12-31' }, random.source);
  const flash = new SimFlash(BENCH_FLASH);
  const usage = UsageJournal.open(flash, config.terminalId);
  const late = new LateReader();
  const rig = new TerminalRig({ config, usage, flash, ...BENCH_RIG, reader: late });
  const bench = makeBench(rig.clock);
  late.target = bench.reader;
  const clock = rig.clock;
  await drive(clock, rig.start());
  const byteCards = new WeakMap<SimCard, SimByteCard>();
  return {
    rig, usage, chip: bench.chip, line: bench.line, board: bench.board,
    press: (...keys) => drive(clock, rig.press(...keys)),
    insert(card) {
      let byteCard = byteCards.get(card);
      if (!byteCard) byteCards.set(card, (byteCard = new SimByteCard(card)));
      const chosen = byteCard;
      return drive(clock, rig.settle(Promise.resolve().then(() => bench.chip.insert(chosen))));
    },
    remove: () => drive(clock, rig.settle(Promise.resolve().then(() => void bench.chip.remove()))),
  };
}

function screenHas(rig: TerminalRig, text: string): void {
  ok(rig.screen.includes(text), `screen should show "${text}", shows:\n${rig.screen}`);
}

async function registerPin(terminal: TwinTerminal, pin: string): Promise<void> {
  await terminal.press('REGISTER');
  await terminal.press(ALICE.registrationNumber, 'ENTER');
  await terminal.press(ALICE.settingNumber, 'ENTER');
  await terminal.press(pin, 'ENTER');
  await terminal.press(pin, 'ENTER');
}

const terminalScenarios: Scenario[] = [
  {
    name: 'terminal on the twin card interface: insertion, PIN registration (fig. 4), a call (fig. 5) and its usage record',
    async run() {
      const terminal = await twinTerminal();
      const { rig } = terminal;
      await terminal.insert(aliceCard());
      equal(rig.eventsOf('card-accepted')[0]?.pinRegistered, false, 'the card was read through the twin UART and accepted');
      screenHas(rig, 'Enter PIN');
      await registerPin(terminal, '2468');
      equal(rig.eventsOf('pin-registered').length, 1, 'PIN registered');
      await terminal.press('2468', 'ENTER');
      equal(rig.eventsOf('pin-verified').length, 1, 'PIN verified');
      await terminal.press('0312345678', 'ENTER');
      equal(rig.eventsOf('service-started')[0]?.number, '0312345678', 'call started');
      await rig.wait(125);
      await terminal.press('END');
      equal(rig.eventsOf('service-ended')[0]?.fee, 40, 'billed');
      equal(terminal.usage.records().length, 1, 'one usage record');
      equal(terminal.chip.active, false, 'the card was deactivated at the end');
      await terminal.remove();
      screenHas(rig, 'Please insert card');
      ok(terminal.line.stats.echoes > 0 && terminal.line.stats.echoMismatches === 0, 'all through the echoing I/O line');
      equal(terminal.board.faults, [], 'no fault on the twin board');
    },
  },
  {
    name: 'terminal on the twin card interface: card pulled while it is being read, then a power cut during a call',
    async run() {
      const terminal = await twinTerminal();
      const { rig } = terminal;
      const card = aliceCard();
      // The card leaves as it begins to answer READ CARD DATA (its 31st character after the ATR,
      // the PPS and S(IFS) answers and the SELECT answer): in the middle of the exchange.
      let pulledAt = -1;
      terminal.chip.faults = (c) => {
        if (c.direction === 'to-terminal' && c.index === 40 && pulledAt < 0) {
          pulledAt = terminal.chip.stats.toTerminal.length;
          rig.clock.setTimer(0, () => void terminal.chip.remove());
        }
        return null;
      };
      await terminal.insert(card);
      equal(rig.eventsOf('card-removed')[0]?.during, 'insertion', 'removed while reading');
      ok(pulledAt > 13, `pulled after the ATR (${pulledAt} characters from the card had arrived)`);
      terminal.chip.faults = FAULTS.none;
      screenHas(rig, 'Please insert card');
      await terminal.insert(card);
      await registerPin(terminal, '2468');
      await terminal.press('2468', 'ENTER', '0312345678', 'ENTER');
      await rig.wait(75);
      await drive(rig.clock, rig.shutdown());
      const ended = rig.eventsOf('service-ended')[0];
      equal([ended?.endedBy, ended?.durationSeconds, ended?.fee], ['shutdown', 75, 30], 'the call ended by the shutdown, billed');
      equal(terminal.usage.records().length, 1, 'recorded in the journal');
      equal(terminal.chip.active, false, 'the card was powered off');
      equal(terminal.board.faults, [], 'no fault on the twin board');
    },
  },
];

export const twinCardScenarios: Scenario[] = [...lineScenarios, ...terminalScenarios];
