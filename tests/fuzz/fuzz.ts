/// <reference types="node" />
/// <reference types="mocha" />
// Property-based fuzzing under mocha (issue 12, item 5): each target is a list of properties run
// by fast-check for a bounded number of inputs, with a fixed seed in CI and a random one in the
// long run (`npm run fuzz`). A failing input is shrunk, saved to tests/fuzz/regressions/<file>.json
// and replayed as an ordinary test on every run after; each target prints the inputs it tried.
//
// Environment:
//   FUZZ_SCALE  multiplies every property's CI count (default 1; `npm run fuzz` uses 20)
//   FUZZ_SEED   an integer, or "random" (default: the fixed CI seed below)
import fc from 'fast-check';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The CI seed: fixed, so a red CI run is the same run on a developer's machine. */
const CI_SEED = 20_261_123;

function scaleFromEnvironment(): number {
  const text = process.env.FUZZ_SCALE;
  if (text === undefined || text === '') return 1;
  const scale = Number(text);
  if (!Number.isFinite(scale) || scale <= 0) throw new RangeError(`FUZZ_SCALE must be a positive number, got "${text}"`);
  return scale;
}

function seedFromEnvironment(): number {
  const text = process.env.FUZZ_SEED;
  if (text === undefined || text === '') return CI_SEED;
  if (text === 'random') return (Math.random() * 0x8000_0000) | 0;
  if (!/^-?\d{1,10}$/.test(text)) throw new RangeError(`FUZZ_SEED must be an integer or "random", got "${text}"`);
  return Number(text);
}

export const FUZZ = Object.freeze({ scale: scaleFromEnvironment(), seed: seedFromEnvironment() });

/** Where saved counterexamples live: in the source tree, so they are committed with the fix. */
export const REGRESSIONS_DIR = join('tests', 'fuzz', 'regressions');

export interface FuzzProperty<T> {
  /** What holds, as the test's title says it; also the key of its saved regressions. */
  readonly name: string;
  /** Inputs tried in CI (times FUZZ_SCALE). */
  readonly runs: number;
  readonly input: fc.Arbitrary<T>;
  /** Throws (an assertion or whatever the code under test threw) when the property does not hold for `input`. */
  check(input: T): Promise<void> | void;
}

/** One saved failing input. */
export interface RegressionCase {
  readonly property: string;
  /** The seed and shrink path that found it, to rerun fast-check itself at that point. */
  readonly seed: number;
  readonly path: string | null;
  /** What failed, first line. */
  readonly error: string;
  /** The input, as encodeInput writes it. */
  readonly input: unknown;
}

/** Byte strings as {"$bytes": hex} so inputs survive JSON. */
export function encodeInput(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_key, inner: unknown) => (inner instanceof Uint8Array ? { $bytes: Buffer.from(inner).toString('hex') } : inner)));
}

export function decodeInput(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value), (_key, inner: unknown) => {
    if (inner !== null && typeof inner === 'object' && typeof (inner as { $bytes?: unknown }).$bytes === 'string') {
      return new Uint8Array(Buffer.from((inner as { $bytes: string }).$bytes, 'hex'));
    }
    return inner;
  });
}

function regressionFile(file: string): string {
  return join(REGRESSIONS_DIR, `${file}.json`);
}

export function loadRegressions(file: string): RegressionCase[] {
  const path = regressionFile(file);
  if (!existsSync(path)) return [];
  const json = JSON.parse(readFileSync(path, 'utf8')) as { cases?: RegressionCase[] };
  if (!Array.isArray(json.cases)) throw new Error(`${path}: no "cases" array`);
  return json.cases;
}

/** Adds `entry` to the target's file unless the same input of the same property is there already. */
function saveRegression(target: string, file: string, entry: RegressionCase): string {
  const path = regressionFile(file);
  const cases = loadRegressions(file);
  const key = JSON.stringify([entry.property, entry.input]);
  if (!cases.some((saved) => JSON.stringify([saved.property, saved.input]) === key)) cases.push(entry);
  mkdirSync(REGRESSIONS_DIR, { recursive: true });
  writeFileSync(path, `${JSON.stringify({ target, cases }, null, 2)}\n`);
  return path;
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.split('\n')[0]!.slice(0, 300);
}

/** The CI count scaled by FUZZ_SCALE, at least one. */
export function runsOf(property: Pick<FuzzProperty<unknown>, 'runs'>): number {
  return Math.max(1, Math.round(property.runs * FUZZ.scale));
}

/**
 * Declares, inside a mocha describe, one test per saved regression of `file` (first) and one per
 * property, and after them prints "fuzz <target>: N inputs, F failures, seed S (scale X, R regression cases replayed)". A property that
 * fails saves its shrunk counterexample and fails its test with fast-check's report.
 */
export function fuzzTarget(target: string, file: string, properties: readonly FuzzProperty<any>[]): void {
  const names = new Set<string>();
  for (const property of properties) {
    if (names.has(property.name)) throw new Error(`two properties named "${property.name}" in ${target}`);
    names.add(property.name);
  }
  const tally = { inputs: 0, skipped: 0, failures: 0, regressions: 0 };

  for (const [index, saved] of loadRegressions(file).entries()) {
    it(`regression ${file}#${index + 1}: ${saved.property} (${saved.error.slice(0, 80)})`, async () => {
      const property = properties.find((p) => p.name === saved.property);
      if (!property) throw new Error(`${regressionFile(file)} case ${index + 1} names property "${saved.property}", which ${target} no longer has`);
      tally.regressions++;
      await property.check(decodeInput(saved.input));
    });
  }

  for (const property of properties) {
    const runs = runsOf(property);
    it(`${property.name} (${runs} inputs)`, async () => {
      const details = await fc.check(fc.asyncProperty(property.input, async (input) => {
        await property.check(input);
      }), { numRuns: runs, seed: FUZZ.seed });
      tally.inputs += details.numRuns;
      tally.skipped += details.numSkips;
      if (!details.failed) return;
      tally.failures++;
      const input = details.counterexample?.[0];
      const path = saveRegression(target, file, {
        property: property.name, seed: details.seed, path: details.counterexamplePath, error: firstLine(details.errorInstance), input: encodeInput(input),
      });
      throw new Error(`${firstLine(details.errorInstance)}\n${fc.defaultReportMessage(details) ?? 'property failed'}\nsaved to ${path}: it is replayed on every run from now on`);
    });
  }

  after(() => {
    const skipped = tally.skipped > 0 ? `, ${tally.skipped} skipped` : '';
    console.log(`      fuzz ${target}: ${tally.inputs} inputs, ${tally.failures} failures, seed ${FUZZ.seed} (scale ${FUZZ.scale}, ${tally.regressions} regression cases replayed${skipped})`);
  });
}

/** Whether two byte strings are equal. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/**
 * Byte-string mutations for "mutated" inputs: each an edit a broken card, line or sender makes.
 * Positions are taken modulo the length, so one mutation fits any input.
 */
export type Mutation =
  | { readonly kind: 'flip'; readonly at: number; readonly xor: number }
  | { readonly kind: 'set'; readonly at: number; readonly byte: number }
  | { readonly kind: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: 'delete'; readonly at: number; readonly count: number }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'append'; readonly bytes: Uint8Array };

const position = fc.nat({ max: 4095 });

export const mutationArbitrary: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: position, xor: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('set' as const), at: position, byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: position, bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: position, count: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: position }),
  fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
);

export function mutate(bytes: Uint8Array, mutation: Mutation): Uint8Array {
  const at = mutation.kind === 'append' ? bytes.length : mutation.at % (bytes.length + (mutation.kind === 'insert' ? 1 : 0) || 1);
  const out = Array.from(bytes);
  switch (mutation.kind) {
    case 'flip':
      if (out.length > 0) out[at] = out[at]! ^ mutation.xor;
      break;
    case 'set':
      if (out.length > 0) out[at] = mutation.byte;
      break;
    case 'insert':
      out.splice(at, 0, ...mutation.bytes);
      break;
    case 'delete':
      out.splice(at, mutation.count);
      break;
    case 'truncate':
      out.length = at;
      break;
    case 'append':
      out.push(...mutation.bytes);
      break;
  }
  return Uint8Array.from(out);
}

export function mutateAll(bytes: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  return mutations.reduce(mutate, bytes);
}
