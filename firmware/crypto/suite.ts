// One interface for every signature suite (DESIGN.md §2). The suite id byte travels in the card
// data and in certificates, so a verifier picks the algorithm from the data it checks.

export type RandomBytes = (length: number) => Uint8Array;

export interface KeyPair {
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

export interface SignatureSuite {
  /** The id byte: 1 ECDSA P-256, 2 Ed25519, 3 ESIGN. */
  readonly id: number;
  readonly name: string;
  generateKeyPair(random: RandomBytes): KeyPair;
  /** Signs the message; the suite hashes it as its scheme defines. */
  sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array;
  /** True only for a valid signature; malformed keys or signatures give false, never throw. */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
  /** Whether the bytes are a well-formed public key of this suite. */
  isPublicKey(publicKey: Uint8Array): boolean;
}

export class UnknownSuiteError extends Error {
  override name = 'UnknownSuiteError';
}
