// Scenario tests are engine-neutral: the same list runs under mocha on Node and inside the XS
// engine (tests/xs.test.ts bundles them for xsnap).

export interface Scenario {
  readonly name: string;
  run(): Promise<void> | void;
}

export class AssertionFailed extends Error {
  override name = 'AssertionFailed';
}

function show(value: unknown): string {
  if (value instanceof Uint8Array) return `bytes(${Array.from(value, (b) => b.toString(16).padStart(2, '0')).join('')})`;
  if (typeof value === 'string') return JSON.stringify(value);
  try {
    return JSON.stringify(value, (_key, inner) => (typeof inner === 'bigint' ? inner.toString() : inner instanceof Uint8Array ? show(inner) : inner));
  } catch {
    return String(value);
  }
}

export function ok(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionFailed(message);
}

export function equal<T>(actual: T, expected: T, message: string): void {
  const same = actual instanceof Uint8Array && expected instanceof Uint8Array
    ? actual.length === expected.length && actual.every((b, i) => b === expected[i])
    : show(actual) === show(expected);
  if (!same) throw new AssertionFailed(`${message}: expected ${show(expected)}, got ${show(actual)}`);
}

export async function rejects(action: () => Promise<unknown> | unknown, pattern: RegExp, message: string): Promise<void> {
  try {
    await action();
  } catch (error) {
    const text = `${(error as Error).name}: ${(error as Error).message}`;
    if (!pattern.test(text)) throw new AssertionFailed(`${message}: error "${text}" does not match ${pattern}`);
    return;
  }
  throw new AssertionFailed(`${message}: no error thrown`);
}
