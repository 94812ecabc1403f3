// Modular-inverse provider for hosts (Node, xsnap): JavaScript BigInt (bigint.ts). The device build
// maps this module to hal/moddable/modular.ts, the SDK's native inverse (firmware/crypto/primitives.ts
// says why only the inverse).
import { modInverse } from './bigint.js';
import type { ModularPrimitives } from './primitives.js';

export const MODULAR: ModularPrimitives = Object.freeze({ modInverse });
