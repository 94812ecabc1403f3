/// <reference types="node" />
/// <reference types="mocha" />
// Fuzz target: the terminal's handling of card answers (firmware/terminal: insertion, card-link,
// the PIN, registration and service flows), driven on the bench rig (hal/sim/rig.ts) against a card
// whose answers are mutated or arbitrary. Whatever the card says, the firmware never crashes or
// hangs: the session ends (card-rejected, card-error or a flow's own message, then eject or the
// card's removal), the terminal is idle again once the card is out and accepts a genuine card
// next; and it accepts a card only with the genuine card data, as the issuer signed it. A second
// terminal requires mutual authentication (figs. 6, 7) and the encrypted channel ([0021]), with a
// card issued for both: there the mutated answers are the wrapped ones, the MITM's view.
import fc from 'fast-check';
import { encodeCommand, encodeResponse, parseResponse } from '../../firmware/protocol/apdu.js';
import { COMMANDS } from '../../firmware/protocol/commands.js';
import { decodeCardData, encodeCardData, type CardData } from '../../firmware/protocol/data-objects.js';
import { concatBytes, toHex } from '../../firmware/protocol/bytes.js';
import type { TerminalEvent } from '../../firmware/terminal/events.js';
import { SCREENS } from '../../firmware/terminal/screens.js';
import type { CardDevice } from '../../hal/sim/card-slot.js';
import { SimCard } from '../../hal/sim/sim-card.js';
import type { CardImage } from '../../card/personalisation.js';
import { provisionTerminal } from '../../issuer/issuer.js';
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
const field = fc.constantFrom<CardDataField>('registrationNumber', 'cardNumber', 'expiry', 'suite', 'keyId', 'commitment', 'sa2', 'cardPublicKey', 'cardAgreementKey', 'sa1');
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
// The benches: one terminal per configuration for the whole target, a genuine card image per starting point

/** 'basic': the terminal of the basic flows; 'secure': mutual authentication and the encrypted channel both required. */
type BenchKind = 'basic' | 'secure';

interface Bench {
  readonly world: World;
  readonly fresh: CardImage;
  readonly withPin: CardImage;
  readonly genuine: CardData;
}

const benches = new Map<BenchKind, Bench>();
/** A bench is spoilt until a check on it ends well: a check that failed may have crashed its rig, so the next one gets a new bench. */
const spoilt = new Set<BenchKind>(['basic', 'secure']);
/** The bench of the check under way. */
let bench: Bench;

function worldFor(kind: BenchKind): Promise<World> {
  if (kind === 'basic') return makeWorld({ flashSectors: 16 });
  return makeWorld({
    flashSectors: 16,
    config: (issuer, random) => provisionTerminal(issuer, {
      terminalId: 'T0001', validFrom: '2026-01-01', validTo: '2031-12-31', mutualAuthentication: 'required', secureChannel: 'required',
    }, random.source),
  });
}

async function makeBench(kind: BenchKind): Promise<Bench> {
  const world = await worldFor(kind);
  const card = world.card({ label: 'alice', ...(kind === 'secure' ? { agreementKey: true } : {}) });
  const fresh = card.image;
  card.reset();
  card.process(encodeCommand(COMMANDS.select()));
  // With the agreement key the card data pass 256 bytes: the rest comes by GET RESPONSE.
  let answer = parseResponse(card.process(encodeCommand(COMMANDS.readCardData())));
  const parts = [answer.data];
  while (answer.sw >> 8 === 0x61) {
    answer = parseResponse(card.process(encodeCommand(COMMANDS.getResponse((answer.sw & 0xff) || 256))));
    parts.push(answer.data);
  }
  const genuine = decodeCardData(concatBytes(...parts));
  await world.rig.insert(SimCard.fromImage(fresh, world.random.source));
  const registering = world.rig.slot.card as SimCard;
  await registerPin(world.rig, PIN);
  await world.rig.remove();
  if (world.rig.eventsOf('pin-registered').length !== 1) throw new Error(`${kind} bench: the PIN was not registered`);
  if (kind === 'secure' && world.rig.eventsOf('secure-channel-opened').length !== 1) throw new Error('secure bench: no secure channel was opened');
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

/** The bench of `kind` for the next check, new when the last check on it failed; spoilt until this check ends well. */
async function ready(kind: BenchKind = 'basic'): Promise<void> {
  if (spoilt.has(kind)) benches.set(kind, await makeBench(kind));
  bench = benches.get(kind)!;
  spoilt.add(kind);
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
async function genuineStillAccepted(kind: BenchKind = 'basic'): Promise<void> {
  const events = await session(SimCard.fromImage(bench.fresh, bench.world.random.source), async () => {});
  if (!events.some((event) => event.event === 'card-accepted')) fail(`after the fuzzed card, a genuine card is not accepted: ${JSON.stringify(events)}`);
  spoilt.delete(kind);
}

function cardFrom(image: CardImage): SimCard {
  return SimCard.fromImage(image, bench.world.random.source);
}

/** Enter the PIN, dial, talk 65 s and hang up, as far as the screens let the flow go. */
async function pinCallHangUp(rig: World['rig']): Promise<void> {
  if (!rig.slot.cardPresent || !rig.screen.includes('Enter PIN')) return;
  await rig.press(PIN, 'ENTER');
  if (rig.screen.includes('Dial number')) {
    await rig.press('0312345678', 'ENTER');
    await rig.wait(65);
    await rig.press('END');
  }
}

/** How far the sessions on the secure bench got, printed after the target: the mutations must leave some sessions whole for the properties to say much. */
const reached = new Map<string, number>();

function tallySecure(events: readonly TerminalEvent[]): void {
  for (const kind of ['secure-channel-opened', 'service-started', 'pin-registered', 'card-error', 'card-not-genuine'] as const) {
    if (events.some((event) => event.event === kind)) reached.set(kind, (reached.get(kind) ?? 0) + 1);
  }
  reached.set('sessions', (reached.get('sessions') ?? 0) + 1);
}

/** REGISTER, Nt, Ns and the new PIN twice, when the idle screen offers it. */
async function registration(rig: World['rig']): Promise<void> {
  if (!rig.slot.cardPresent || !rig.screen.includes('REGISTER')) return;
  await registerPin(rig, PIN, ALICE.registrationNumber, ALICE.settingNumber);
}

/** A record for each service given and none without: the session's events against the journal. */
function recordsMatchServices(events: readonly TerminalEvent[], recordsBefore: number): void {
  const started = events.filter((event) => event.event === 'service-started').length;
  const written = events.filter((event) => event.event === 'record-written').length;
  if (written !== started) fail(`${started} services started, ${written} records written`);
  if (bench.world.usage.records().length > recordsBefore + started) fail('records appeared without a service');
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
      const events = await session(new MutatedCard(cardFrom(bench.withPin), changes), pinCallHangUp);
      checkSession(events);
      recordsMatchServices(events, records);
      await genuineStillAccepted();
    },
  } satisfies FuzzProperty<[number, AnswerChange][]>,
  {
    name: 'PIN registration (Nt, Ns, new PIN twice) with answers mutated: the session ends, the terminal takes the next card',
    runs: 250,
    input: plan(9),
    async check(changes: [number, AnswerChange][]) {
      await ready();
      const events = await session(new MutatedCard(cardFrom(bench.fresh), changes), registration);
      checkSession(events);
      await genuineStillAccepted();
    },
  } satisfies FuzzProperty<[number, AnswerChange][]>,
  {
    name: 'mutual authentication and the encrypted channel required, answers mutated through PIN, call and hang-up: the session ends, a record only for a service given',
    runs: 120,
    input: plan(12),
    async check(changes: [number, AnswerChange][]) {
      await ready('secure');
      const records = bench.world.usage.records().length;
      const events = await session(new MutatedCard(cardFrom(bench.withPin), changes), pinCallHangUp);
      checkSession(events);
      tallySecure(events);
      recordsMatchServices(events, records);
      // Whatever was changed, a service is given only inside the channel.
      if (events.some((event) => event.event === 'service-started') && !events.some((event) => event.event === 'secure-channel-opened')) fail('a service without the encrypted channel');
      await genuineStillAccepted('secure');
    },
  } satisfies FuzzProperty<[number, AnswerChange][]>,
  {
    name: 'mutual authentication and the encrypted channel required, PIN registration with answers mutated: the session ends, the terminal takes the next card',
    runs: 80,
    input: plan(12),
    async check(changes: [number, AnswerChange][]) {
      await ready('secure');
      const events = await session(new MutatedCard(cardFrom(bench.fresh), changes), registration);
      checkSession(events);
      tallySecure(events);
      if (events.some((event) => event.event === 'pin-registered') && !events.some((event) => event.event === 'secure-channel-opened')) fail('a PIN registered without the encrypted channel');
      await genuineStillAccepted('secure');
    },
  } satisfies FuzzProperty<[number, AnswerChange][]>,
];

describe('fuzz: the terminal against card answers (firmware/terminal)', function () {
  after(async () => {
    console.log(`      secure bench sessions: ${[...reached].map(([kind, n]) => `${n} ${kind}`).join(', ')}`);
    for (const [kind, used] of benches) if (!spoilt.has(kind)) await used.world.rig.shutdown();
  });
  fuzzTarget('terminal card answers', 'terminal', properties);
});
