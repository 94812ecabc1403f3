// One interface for every signature suite (DESIGN.md §2). The suite id byte travels in the card
// data and in certificates, so a verifier picks the algorithm from the data it checks.

export type RandomBytes = (length: number) => Uint8Array;

export interface KeyPair {
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/**
 * A public key decoded once (modulus parsed, point decompressed), to check many signatures: the
 * terminal makes one per issuer key nA at start-up instead of decoding nA for every card.
 */
export interface Verifier {
  /** True only for a valid signature over `message`; a malformed signature gives false, never throws. */
  verify(message: Uint8Array, signature: Uint8Array): boolean;
}

/** A secret key decoded once, to sign many messages (the terminal's key T for ST and BLOCK CARD). */
export interface Signer {
  /** Signs the message as the suite's sign() would; throws only on a computational fault. */
  sign(message: Uint8Array): Uint8Array;
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
  /** `publicKey` decoded for repeated verify(); null when it is not a well-formed key of this suite. */
  verifier(publicKey: Uint8Array): Verifier | null;
  /** `secretKey` decoded for repeated sign(); throws RangeError when it is malformed. */
  signer(secretKey: Uint8Array): Signer;
}

export class UnknownSuiteError extends Error {
  override name = 'UnknownSuiteError';
}

/**
 * A Verifier over a provider's check for one decoded key: a signature of another length than
 * `signatureLength` bytes, or one the check throws on, gives false.
 */
export function safeVerifier(signatureLength: number, check: (message: Uint8Array, signature: Uint8Array) => boolean): Verifier {
  return Object.freeze({
    verify(message: Uint8Array, signature: Uint8Array): boolean {
      if (signature.length !== signatureLength) return false;
      try {
        return check(message, signature);
      } catch {
        return false;
      }
    },
  });
}

type Check = (message: Uint8Array, signature: Uint8Array) => boolean;

/**
 * The Verifier of a curve suite for one public key: null when the key is not `keyLength` bytes or
 * `decode` throws on it (a malformed key verifies nothing); otherwise safeVerifier over what
 * `decode` returned, the key decoded once.
 */
export function decodedVerifier(publicKey: Uint8Array, keyLength: number, signatureLength: number, decode: (publicKey: Uint8Array) => Check): Verifier | null {
  if (publicKey.length !== keyLength) return null;
  let check: Check;
  try {
    check = decode(publicKey);
  } catch {
    return null;
  }
  return safeVerifier(signatureLength, check);
}

/** A Signer over a copy of `secretKey` (the caller's bytes may change later). */
export function keptSigner(secretKey: Uint8Array, sign: (secretKey: Uint8Array, message: Uint8Array) => Uint8Array): Signer {
  const key = secretKey.slice();
  return Object.freeze({ sign: (message: Uint8Array) => sign(key, message) });
}
