/// <reference path="./crypt-ec.d.ts" />
// Modular-inverse provider for the device: the Moddable SDK's native inverse (`modular`,
// modules/crypt/arith/modular.c: xs_mod2_mulinv_general), C over XS's own BigInt words, for
// ESIGN signing's inverse mod p. The manifest maps the module name firmware/crypto/modular here.
// Same exports as firmware/crypto/modular.ts; what the SDK does not check is checked here: the
// modulus odd (else JavaScript: its odd-modulus path is the one used), a reduced into [0, m) (its
// C reads only the magnitude), a zero (its loop would never end) and the answer itself (its loop
// answers garbage when gcd(a, m) ≠ 1).
import Modular from 'modular';
import { mod, modInverse } from '../../firmware/crypto/bigint.js';
import type { ModularPrimitives } from '../../firmware/crypto/primitives.js';

export const MODULAR: ModularPrimitives = Object.freeze({
  modInverse(a: bigint, m: bigint): bigint {
    if (m <= 1n || (m & 1n) === 0n) return modInverse(a, m);
    const reduced = mod(a, m);
    if (reduced === 0n) throw new RangeError('modInverse: not invertible');
    const inverse = new Modular(m).mulinv(reduced);
    if ((reduced * inverse) % m !== 1n) throw new RangeError('modInverse: not invertible');
    return inverse;
  },
});
