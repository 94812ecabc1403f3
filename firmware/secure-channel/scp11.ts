// Session keys for the card contacts ([0021]) by GlobalPlatform SCP11b (Card Specification v2.3
// Amendment F v1.3 §3.1, §5.2): the terminal sends an ephemeral P-256 key in INTERNAL
// AUTHENTICATE (CLA 80, INS 88, P2 13); the card answers its own ephemeral key and a receipt.
// Both sides derive the keys from ECDH(ephemeral, card's ephemeral) ‖ ECDH(ephemeral, card's
// static key), the static key being the one the issuer certified in SA1, so only the real card
// can make the receipt, and a terminal keeps no secret past the session: none of its keys
// opens another terminal's sessions or any card. The terminal proves itself inside the channel
// with its certificate and ST (figs. 6, 7).
//
// One change from the letter of Amendment F: the public keys in 5F49 are SEC 1 compressed
// (33 bytes), like every other P-256 key of this system; the ECDH secrets are the same.
import { AES } from '../crypto/aes.js';
import { P256 } from '../crypto/p256.js';
import type { RandomBytes } from '../crypto/suite.js';
import { concatBytes, constantTimeEqual } from '../protocol/bytes.js';
import { encodeConstructed, encodeTlv, tlvMap, TlvError } from '../protocol/tlv.js';
import { x963Kdf } from './x963-kdf.js';
import { CardSecureMessaging, SecureMessagingError, TerminalSecureMessaging, type SessionKeys } from './secure-messaging.js';

/** The values of Amendment F table 5-4 that this profile uses, and its data object tags. */
export const SCP11B = Object.freeze({
  P2_KEY_IDENTIFIER: 0x13,
  SCP_IDENTIFIER: Uint8Array.of(0x11, 0x00), // SCP11, i = 00: SCP11b
  KEY_USAGE: 0x3c, // C-MAC, C-DECRYPTION, R-MAC, R-ENCRYPTION
  KEY_TYPE_AES: 0x88,
  KEY_LENGTH: 16,
} as const);

export const SCP11_TAG = Object.freeze({
  CONTROL_REFERENCE_TEMPLATE: 0xa6,
  SCP_IDENTIFIER: 0x90,
  KEY_USAGE: 0x95,
  KEY_TYPE: 0x80,
  KEY_LENGTH: 0x81,
  EPHEMERAL_PUBLIC_KEY: 0x5f49, // ePK.OCE.ECKA, ePK.SD.ECKA
  RECEIPT: 0x86,
} as const);

const PUBLIC_KEY_BYTES = 33;
const SECRET_SEED_BYTES = 48;
/** Receipt key, S-ENC, S-MAC, S-RMAC, S-DEK: five AES-128 keys (§3.1.2). */
const DERIVED_KEYS = 5;

function sharedInfo(): Uint8Array {
  return Uint8Array.of(SCP11B.KEY_USAGE, SCP11B.KEY_TYPE_AES, SCP11B.KEY_LENGTH);
}

function controlReference(): Uint8Array {
  return encodeConstructed(SCP11_TAG.CONTROL_REFERENCE_TEMPLATE, [
    { tag: SCP11_TAG.SCP_IDENTIFIER, value: SCP11B.SCP_IDENTIFIER },
    { tag: SCP11_TAG.KEY_USAGE, value: Uint8Array.of(SCP11B.KEY_USAGE) },
    { tag: SCP11_TAG.KEY_TYPE, value: Uint8Array.of(SCP11B.KEY_TYPE_AES) },
    { tag: SCP11_TAG.KEY_LENGTH, value: Uint8Array.of(SCP11B.KEY_LENGTH) },
  ]);
}

/** The five keys from ShSee ‖ ShSes; the first checks the receipt, the next three are the session's. */
function deriveKeys(shSee: Uint8Array, shSes: Uint8Array): { receiptKey: Uint8Array; session: SessionKeys } {
  const keys = x963Kdf(concatBytes(shSee, shSes), sharedInfo(), DERIVED_KEYS * SCP11B.KEY_LENGTH);
  const key = (index: number) => keys.slice(index * SCP11B.KEY_LENGTH, (index + 1) * SCP11B.KEY_LENGTH);
  return { receiptKey: key(0), session: { encryption: key(1), mac: key(2), responseMac: key(3) } };
}

function ephemeralKeyPair(random: RandomBytes): { secretKey: Uint8Array; publicKey: Uint8Array } {
  const secretKey = P256.secretKeyFromSeed(random(SECRET_SEED_BYTES));
  return { secretKey, publicKey: P256.publicKey(secretKey) };
}

function publicKeyFrom(value: Uint8Array | undefined, whose: string): Uint8Array {
  if (!value || value.length !== PUBLIC_KEY_BYTES) throw new SecureMessagingError(`${whose} ephemeral key must be a ${PUBLIC_KEY_BYTES}-byte P-256 point`);
  return value;
}

/** A key-agreement request of the terminal, waiting for the card's answer. */
export interface KeyAgreementRequest {
  /** The INTERNAL AUTHENTICATE data: A6 { 90, 95, 80, 81 } ‖ 5F49 ePK.OCE. */
  readonly data: Uint8Array;
  /**
   * The channel from the card's answer (5F49 ePK.SD ‖ 86 receipt), given the card's static
   * ECKA key from its verified SA1. Throws SecureMessagingError when the answer is malformed or
   * the receipt is not this card's (a clone without the card's secret cannot make it).
   */
  open(answer: Uint8Array, cardKey: Uint8Array): TerminalSecureMessaging;
}

/** The terminal's first step: a fresh ephemeral key (48 random bytes) in the request. */
export function requestKeyAgreement(random: RandomBytes): KeyAgreementRequest {
  const ephemeral = ephemeralKeyPair(random);
  const data = concatBytes(controlReference(), encodeTlv(SCP11_TAG.EPHEMERAL_PUBLIC_KEY, ephemeral.publicKey));
  return {
    data,
    open(answer: Uint8Array, cardKey: Uint8Array): TerminalSecureMessaging {
      let fields: Map<number, Uint8Array>;
      try {
        fields = tlvMap(answer, [SCP11_TAG.EPHEMERAL_PUBLIC_KEY, SCP11_TAG.RECEIPT]);
      } catch (error) {
        throw new SecureMessagingError(`key agreement answer: ${(error as Error).message}`);
      }
      const cardEphemeral = publicKeyFrom(fields.get(SCP11_TAG.EPHEMERAL_PUBLIC_KEY), "card's");
      let keys: ReturnType<typeof deriveKeys>;
      try {
        keys = deriveKeys(P256.sharedSecret(ephemeral.secretKey, cardEphemeral), P256.sharedSecret(ephemeral.secretKey, cardKey));
      } catch (error) {
        throw new SecureMessagingError(`key agreement: ${(error as Error).message}`);
      }
      const receipt = AES.cmac(keys.receiptKey, concatBytes(data, encodeTlv(SCP11_TAG.EPHEMERAL_PUBLIC_KEY, cardEphemeral)));
      if (!constantTimeEqual(receipt, fields.get(SCP11_TAG.RECEIPT)!)) throw new SecureMessagingError('wrong receipt: the card does not hold the key its SA1 certifies');
      return new TerminalSecureMessaging(keys.session, receipt);
    },
  };
}

/**
 * The card's answer to a key-agreement request, with its static ECKA secret (32 bytes) and a
 * random source. Throws TlvError for a malformed request (the card answers 6A80) and
 * SecureMessagingError for parameters it does not offer or a key not on the curve.
 */
export function answerKeyAgreement(request: Uint8Array, staticSecret: Uint8Array, random: RandomBytes): { answer: Uint8Array; channel: CardSecureMessaging } {
  const fields = tlvMap(request, [SCP11_TAG.CONTROL_REFERENCE_TEMPLATE, SCP11_TAG.EPHEMERAL_PUBLIC_KEY]);
  if (!constantTimeEqual(encodeTlv(SCP11_TAG.CONTROL_REFERENCE_TEMPLATE, fields.get(SCP11_TAG.CONTROL_REFERENCE_TEMPLATE)!), controlReference())) {
    throw new TlvError('control reference template: only SCP11b with AES-128 for C-MAC, C-DEC, R-MAC and R-ENC is offered');
  }
  const terminalEphemeral = publicKeyFrom(fields.get(SCP11_TAG.EPHEMERAL_PUBLIC_KEY), "terminal's");
  const ephemeral = ephemeralKeyPair(random);
  let keys: ReturnType<typeof deriveKeys>;
  try {
    keys = deriveKeys(P256.sharedSecret(ephemeral.secretKey, terminalEphemeral), P256.sharedSecret(staticSecret, terminalEphemeral));
  } catch (error) {
    throw new SecureMessagingError(`key agreement: ${(error as Error).message}`);
  }
  const ephemeralTlv = encodeTlv(SCP11_TAG.EPHEMERAL_PUBLIC_KEY, ephemeral.publicKey);
  const receipt = AES.cmac(keys.receiptKey, concatBytes(request, ephemeralTlv));
  return { answer: concatBytes(ephemeralTlv, encodeTlv(SCP11_TAG.RECEIPT, receipt)), channel: new CardSecureMessaging(keys.session, receipt) };
}
