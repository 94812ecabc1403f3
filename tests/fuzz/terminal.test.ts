/// <reference types="node" />
/// <reference types="mocha" />
// Fuzz target: the terminal's handling of card answers (firmware/terminal: insertion, card-link,
// the PIN, registration and service flows), driven on the bench rig (hal/sim/rig.ts) against a card
// whose answers are mutated or arbitrary. Whatever the card says, the firmware never crashes or
// hangs: the session ends (card-rejected, card-error or a flow's own message, then eject or the
// card's removal), the terminal is idle again once the card is out and accepts a genuine card
// next; and it accepts a card only with the genuine card data, as the issuer signed it.
import fc from 'fast-check';
import { encodeCommand, encodeResponse, parseResponse } from '../../firmware/protocol/apdu.js';
import { COMMANDS } from '../../firmware/protocol/commands.js';
import { decodeCardData, encodeCardData, type CardData } from '../../firmware/protocol/data-objects.js';
import { toHex } from '../../firmware/protocol/bytes.js';
import type { TerminalEvent } from '../../firmware/terminal/events.js';
import { SCREENS } from '../../firmware/terminal/screens.js';
import type { CardDevice } from '../../hal/sim/card-slot.js';
import { SimCard } from '../../hal/sim/sim-card.js';
import type { CardImage } from '../../card/personalisation.js';
import { ALICE, makeWorld, registerPin, type World } from '../scenarios/world.js';
import { fuzzTarget, mutateAll, mutationArbitrary, type FuzzProperty, type Mutation } from './fuzz.js';

const PIN = '2468';
/** Real time one whole flow may take before it counts as a hang (the rig's clock is virtual: a flow takes milliseconds). */
const HANG_MS = 20_000;

function fail(message: string): never {
  throw new Error(message);
}

// ---------------------------------------------------------------------------------------------
// Cards whose answers are not the card's

type CardDataField = keyof CardData;

/** What happens to one answer. */
type AnswerChange =
  | { readonly kind: 'bytes'; readonly mutations: readonly Mutation[] }
  | { readonly kind: 'status'; readonly sw: number }
  | { readonly kind: 'replace'; readonly answer: Uint8Array }
  /** A forged READ CARD DATA: one field of the card data rewritten, re-encoded as the card would (like tampered() in world.ts). */
  | { readonly kind: 'card-data'; readonly field: CardDataField; readonly value: Uint8Array | number | string };

function changed(answer: Uint8Array, change: AnswerChange): Uint8Array {
  switch (change.kind) {
    case 'bytes': return mutateAll(answer, change.mutations);
    case 'status': return encodeResponse({ data: parseResponse(answer).data, sw: change.sw });
    case 'replace': return change.answer;
    case 'card-data': {
      const response = parseResponse(answer);
      let data: CardData;
      try {
        data = decodeCardData(response.data);
      } catch {
        return answer; // not the card data answer: nothing to forge
      }
      const value = typeof change.value === 'number' ? change.value & 0xff : change.value;
      const forged = { ...data, [change.field]: value } as CardData;
      try {
        return encodeResponse({ data: encodeCardData(forged), sw: response.sw });
      } catch {
        return answer; // a field the encoder refuses (a value no card could send in this shape)
      }
    }
  }
}

/** The card, with the answers to the exchanges `plan` names changed (exchange 0 is the first command of the insertion). */
class MutatedCard implements CardDevice {
  readonly label = 'mutated';
  readonly #card: SimCard;
  readonly #plan: ReadonlyMap<number, AnswerChange>;
  #exchanges = 0;

  constructor(card: SimCard, plan: readonly (readonly [number, AnswerChange])[]) {
    this.#card = card;
    this.#plan = new Map(plan);
  }

  reset(): Uint8Array {
    return this.#card.reset();
  }

  process(command: Uint8Array): Uint8Array {
    const answer = this.#card.process(command);
    const change = this.#plan.get(this.#exchanges++);
    return change ? changed(answer, change) : answer;
  }
}

/** A chip that answers from a list, in turn, whatever it is asked. */
class ScriptedCard implements CardDevice {
  readonly label = 'scripted';
  readonly #answers: readonly Uint8Array[];
  #next = 0;

  constructor(answers: readonly Uint8Array[]) {
    this.#answers = answers;
  }

  reset(): Uint8Array {
    return this.#answers[0] ?? new Uint8Array(0);
  }

  process(): Uint8Array {
    return this.#answers[this.#next++ % this.#answers.length]!;
  }
}

// ---------------------------------------------------------------------------------------------
// Inputs

const byte = fc.integer({ min: 0, max: 255 });
const statusWord = fc.oneof(
  fc.constantFrom(0x9000, 0x6100, 0x6110, 0x61ff, 0x6c08, 0x63c0, 0x63c2, 0x63cf, 0x6983, 0x6984, 0x6985, 0x6a80, 0x6a82, 0x6700, 0x6f00),
  fc.integer({ min: 0, max: 0xffff }),
);
const field = fc.constantFrom<CardDataField>('registrationNumber', 'cardNumber', 'expiry', 'suite', 'keyId', 'commitment', 'sa2', 'cardPublicKey', 'sa1');
const change: fc.Arbitrary<AnswerChange> = fc.oneof(
  fc.record({ kind: fc.constant('bytes' as const), mutations: fc.array(mutationArbitrary, { minLength: 1, maxLength: 3 }) }),
  fc.record({ kind: fc.constant('status' as const), sw: statusWord }),
  fc.record({ kind: fc.constant('replace' as const), answer: fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.tuple(fc.uint8Array({ maxLength: 40 }), statusWord).map(([data, sw]) => encodeResponse({ data, sw }))) }),
  fc.record({
    kind: fc.constant('card-data' as const), field,
    value: fc.oneof(fc.uint8Array({ maxLength: 80 }), byte, fc.constantFrom('87654321', '2020-01-01', '2099-12-31', '1234567890123456')),
  }),
);
/** Which exchanges to change: those of the insertion and the flow after it. */
const plan = (exchanges: number) => fc.array(fc.tuple(fc.nat({ max: exchanges - 1 }), change), { minLength: 1, maxLength: 3 });
const scriptedAnswers = fc.array(fc.oneof(
  fc.uint8Array({ maxLength: 40 }),
  fc.tuple(fc.uint8Array({ maxLength: 260 }), statusWord).map(([data, sw]) => encodeResponse({ data, sw })),
), { minLength: 1, maxLength: 6 });

// ---------------------------------------------------------------------------------------------
// The bench: one terminal for the whole target, a genuine card image per starting point

interface Bench {
  readonly world: World;
  readonly fresh: CardImage;
  readonly withPin: CardImage;
  readonly genuine: CardData;
}

let bench: Bench;
/** True until a check ends well: a check that failed may have crashed the rig, so the next one gets a new bench. */
let benchSpoilt = true;

async function makeBench(): Promise<Bench> {
  const world = await makeWorld({ flashSectors: 16 });
  const card = world.card({ label: 'alice' });
  const fresh = card.image;
  card.reset();
  card.process(encodeCommand(COMMANDS.select()));
  const genuine = decodeCardData(parseResponse(card.process(encodeCommand(COMMANDS.readCardData()))).data);
  await world.rig.insert(SimCard.fromImage(fresh, world.random.source));
  const registering = world.rig.slot.card as SimCard;
  await registerPin(world.rig, PIN);
  await world.rig.remove();
  if (world.rig.eventsOf('pin-registered').length !== 1) throw new Error('bench: the PIN was not registered');
  return { world, fresh, withPin: registering.image, genuine };
}

async function withinTime<T>(what: string, action: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: the terminal did not come back to waiting within ${HANG_MS} ms`)), HANG_MS);
  });
  try {
    return await Promise.race([action, hang]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs one card session: insert `card`, then `steps` (keys and waits) while the card is in, then
 * take it out. Returns the session's events. The rig rejects when the firmware threw (a crash).
 */
async function session(card: CardDevice, steps: (rig: World['rig']) => Promise<void>): Promise<TerminalEvent[]> {
  const { rig, usage } = bench.world;
  const from = rig.events.length;
  await withinTime('insertion', rig.insert(card));
  await withinTime('the flow', steps(rig));
  if (rig.slot.cardPresent) await withinTime('removal', rig.remove());
  const events = rig.events.slice(from);
  if (!rig.screen.includes(SCREENS.idle[2])) {
    fail(`after the card came out the terminal shows\n${rig.screen}\n(events ${JSON.stringify(events.map((e) => e.event))})`);
  }
  // The journal is the terminal's, not the target's: keep it from filling up over many runs.
  usage.acknowledge(usage.nextSequence - 1);
  usage.reclaim();
  return events;
}

/** The bench for the next check, new when the last check failed; spoilt until this check ends well. */
async function ready(): Promise<void> {
  if (benchSpoilt) bench = await makeBench();
  benchSpoilt = true;
}

/** The checks every session keeps, whatever the card said. */
function checkSession(events: readonly TerminalEvent[]): void {
  const kinds = events.map((event) => event.event);
  if (kinds[0] !== 'card-inserted') fail(`the session did not start with card-inserted: ${kinds.join(', ')}`);
  const ended = kinds.includes('eject') || kinds.includes('card-removed');
  if (!ended) fail(`the session never ended (no eject, no card-removed): ${kinds.join(', ')}`);
  for (const event of events) {
    if (event.event !== 'card-accepted') continue;
    const genuine = bench.genuine;
    if (event.registrationNumber !== genuine.registrationNumber || event.cardNumber !== toHex(genuine.cardNumber) || event.expiry !== genuine.expiry) {
      fail(`accepted a card that is not the genuine one: ${JSON.stringify(event)}`);
    }
  }
}

/** A genuine card after the fuzzed one: the terminal must still take it (nothing left wedged). */
async function genuineStillAccepted(): Promise<void> {
  const events = await session(SimCard.fromImage(bench.fresh, bench.world.random.source), async () => {});
  if (!events.some((event) => event.event === 'card-accepted')) fail(`after the fuzzed card, a genuine card is not accepted: ${JSON.stringify(events)}`);
  benchSpoilt = false;
}

function cardFrom(image: CardImage): SimCard {
  return SimCard.fromImage(image, bench.world.random.source);
}

const properties: FuzzProperty<any>[] = [
  {
    name: 'insertion with up to 3 answers mutated or forged: rejected, a card error, or accepted with the genuine card data',
    runs: 500,
    input: plan(6),
    async check(changes: [number, AnswerChange][]) {
      await ready();
      checkSession(await session(new MutatedCard(cardFrom(bench.fresh), changes), async () => {}));
      await genuineStillAccepted();
    },
  } satisfies FuzzProperty<[number, AnswerChange][]>,
  {
    name: 'a chip answering anything, in turn: never accepted, the terminal never crashes',
    runs: 400,
    input: scriptedAnswers,
    async check(answers: Uint8Array[]) {
      await ready();
      const events = await session(new ScriptedCard(answers), async () => {});
      checkSession(events);
      if (events.some((event) => event.event === 'card-accepted')) fail('a chip without the signed card data was accepted');
      await genuineStillAccepted();
    },
  } satisfies FuzzProperty<Uint8Array[]>,
  {
    name: 'PIN, call and hang-up with answers mutated: the session ends, a record only for a service given',
    runs: 250,
    input: plan(8),
    async check(changes: [number, AnswerChange][]) {
      await ready();
      const records = bench.world.usage.records().length;
      const events = await session(new MutatedCard(cardFrom(bench.withPin), changes), async (rig) => {
        if (!rig.slot.cardPresent || !rig.screen.includes('Enter PIN')) return;
        await rig.press(PIN, 'ENTER');
        if (rig.screen.includes('Dial number')) {
          await rig.press('0312345678', 'ENTER');
          await rig.wait(65);
          await rig.press('END');
        }
      });
      checkSession(events);
      const started = events.filter((event) => event.event === 'service-started').length;
      const written = events.filter((event) => event.event === 'record-written').length;
      if (written !== started) fail(`${started} services started, ${written} records written`);
      if (bench.world.usage.records().length > records + started) fail('records appeared without a service');
      await genuineStillAccepted();
    },
  } satisfies FuzzProperty<[number, AnswerChange][]>,
  {
    name: 'PIN registration (Nt, Ns, new PIN twice) with answers mutated: the session ends, the terminal takes the next card',
    runs: 250,
    input: plan(9),
    async check(changes: [number, AnswerChange][]) {
      await ready();
      const events = await session(new MutatedCard(cardFrom(bench.fresh), changes), async (rig) => {
        if (!rig.slot.cardPresent || !rig.screen.includes('REGISTER')) return;
        await registerPin(rig, PIN, ALICE.registrationNumber, ALICE.settingNumber);
      });
      checkSession(events);
      await genuineStillAccepted();
    },
  } satisfies FuzzProperty<[number, AnswerChange][]>,
];

describe('fuzz: the terminal against card answers (firmware/terminal)', function () {
  after(async () => {
    if (!benchSpoilt) await bench.world.rig.shutdown();
  });
  fuzzTarget('terminal card answers', 'terminal', properties);
});
