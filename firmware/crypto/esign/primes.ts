// Probable primes for ESIGN key generation (P1363 Annex A: Miller–Rabin with random bases).
// Candidates are sieved by the small primes below before any modular exponentiation, and every
// base comes from the injected random source, so the test is reproducible with a seeded one.
import { bitLength as bitLen, bitMask, bytesToBigInt as bytesToNumberBE, hasBitLength, modPow as pow } from '../bigint.js';
import type { RandomBytes } from '../suite.js';

/** The odd primes below 2000, for the sieve and for quick answers on small inputs. */
export const SMALL_PRIMES: readonly number[] = Object.freeze(((): number[] => {
  const limit = 2000;
  const composite = new Uint8Array(limit);
  const primes: number[] = [];
  for (let i = 3; i < limit; i += 2) {
    if (composite[i]) continue;
    primes.push(i);
    for (let j = i * i; j < limit; j += 2 * i) composite[j] = 1;
  }
  return primes;
})());

/** How far a sieve walks from one random start (in steps of 2) before drawing a new start. */
const SIEVE_SPAN = 1 << 14;

/** A uniform integer in [low, high] from the random source: rejection of the top bits' overshoot. */
export function randomBetween(random: RandomBytes, low: bigint, high: bigint): bigint {
  if (high < low) throw new RangeError('randomBetween: empty range');
  const span = high - low;
  const bits = bitLen(span);
  if (bits === 0) return low;
  const bytes = Math.ceil(bits / 8);
  const mask = bitMask(bits);
  for (;;) {
    const x = bytesToNumberBE(random(bytes)) & mask;
    if (x <= span) return low + x;
  }
}

/** Miller–Rabin with `rounds` random bases in [2, n − 2]; exact for n < 2000 (sieve primes). */
export function isProbablePrime(n: bigint, rounds: number, random: RandomBytes): boolean {
  if (n < 2n) return false;
  if (n === 2n) return true;
  if ((n & 1n) === 0n) return false;
  for (const small of SMALL_PRIMES) {
    const sp = BigInt(small);
    if (n === sp) return true;
    if (n % sp === 0n) return false;
  }
  // n − 1 = d·2^s with d odd
  let d = n - 1n;
  let s = 0;
  while ((d & 1n) === 0n) {
    d >>= 1n;
    s++;
  }
  for (let round = 0; round < rounds; round++) {
    if (!millerRabinRound(n, d, s, randomBetween(random, 2n, n - 2n))) return false;
  }
  return true;
}

/** One strong-probable-prime test of n (n − 1 = d·2^s) to base a. */
export function millerRabinRound(n: bigint, d: bigint, s: number, a: bigint): boolean {
  let x = pow(a, d, n);
  if (x === 1n || x === n - 1n) return true;
  for (let i = 1; i < s; i++) {
    x = (x * x) % n;
    if (x === n - 1n) return true;
    if (x === 1n) return false;
  }
  return false;
}

/** Miller–Rabin rounds for a random candidate of this size (FIPS 186-5 B.3, error < 2^-100). */
function millerRabinRounds(bits: number): number {
  return bits >= 1024 ? 8 : bits >= 512 ? 12 : bits >= 256 ? 20 : 40;
}

/**
 * A random probable prime of exactly `bits` bits whose top three bits are set (so that a product
 * of three such primes keeps the full 3·bits length: 0.875³ > 1/2). A random start, an
 * incremental sieve over odd offsets, then Miller–Rabin on the survivors.
 */
export function randomPrime(bits: number, random: RandomBytes): bigint {
  if (!Number.isInteger(bits) || bits < 16) throw new RangeError(`randomPrime: ${bits} bits is too small`);
  const top = 0b111n << BigInt(bits - 3);
  const mask = bitMask(bits);
  const rounds = millerRabinRounds(bits);
  for (;;) {
    const start = ((bytesToNumberBE(random(Math.ceil(bits / 8))) & mask) | top | 1n);
    const residues = SMALL_PRIMES.map((sp) => Number(start % BigInt(sp)));
    for (let offset = 0; offset < SIEVE_SPAN; offset += 2) {
      if (residues.some((r, i) => (r + offset) % SMALL_PRIMES[i]! === 0)) continue;
      const candidate = start + BigInt(offset);
      if (!hasBitLength(candidate, bits)) break; // one shift per candidate, not a bit-length search
      if (isProbablePrime(candidate, rounds, random)) return candidate;
    }
  }
}
