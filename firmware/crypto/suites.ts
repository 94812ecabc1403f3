// The suite registry: the id byte in card data and certificates selects one of these.
import { ecdsaP256 } from './ecdsa-p256.js';
import { ed25519 } from './ed25519.js';
import { esign } from './esign.js';
import { UnknownSuiteError, type SignatureSuite } from './suite.js';

export const SUITES: readonly SignatureSuite[] = Object.freeze([ecdsaP256, ed25519, esign]);

export const DEFAULT_SUITE_ID = ecdsaP256.id;

export function suiteById(id: number): SignatureSuite {
  const suite = SUITES.find((s) => s.id === id);
  if (!suite) throw new UnknownSuiteError(`signature suite ${id} is not supported (known: ${SUITES.map((s) => `${s.id} ${s.name}`).join(', ')})`);
  return suite;
}

/** Accepts "1", "p256", "ecdsa-p256", "2", "ed25519", "3", "esign" as a person would type them. */
export function suiteByName(name: string): SignatureSuite {
  const key = name.trim().toLowerCase();
  const aliases: Readonly<Record<string, number>> = { '1': 1, p256: 1, 'ecdsa-p256': 1, ecdsa: 1, '2': 2, ed25519: 2, '3': 3, esign: 3 };
  const id = aliases[key];
  if (id === undefined) throw new UnknownSuiteError(`unknown signature suite "${name}" (use p256, ed25519 or esign)`);
  return suiteById(id);
}
