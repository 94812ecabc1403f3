// The terminal's keys, decoded once when the terminal starts (issue 10): each issuer key nA as a
// Verifier (ESIGN modulus parsed, P-256 / Ed25519 point decompressed) and its own key T as a
// Signer, instead of decoding them again for every card. Held by the Terminal instance, never at
// module level: preloaded modules are frozen in flash on the device.
import { suiteById, SUITES } from '../crypto/suites.js';
import type { Signer, Verifier } from '../crypto/suite.js';
import type { TerminalConfig } from './config.js';

/** What insertion needs of an issuer key: found by suite and key id, ready to verify. */
export interface IssuerVerifier {
  readonly suite: number;
  readonly keyId: number;
  /** null when the provisioned bytes are not a key of that suite: every signature then fails. */
  readonly verifier: Verifier | null;
}

export interface TerminalKeys {
  /** The issuer key nA a card names (its suite and key id); null when the terminal has none. */
  issuerKey(suite: number, keyId: number): IssuerVerifier | null;
  /** Signs with the terminal key T (ST, BLOCK CARD); throws as the suite's sign() would for a malformed key. */
  sign(message: Uint8Array): Uint8Array;
}

/**
 * Decodes the config's keys once. Never throws: a malformed issuer key verifies nothing, a key of
 * an unknown suite is looked up as before (suiteById throws when a card names it), and a
 * malformed terminal key throws its error at sign(), where the flows met it before.
 */
export function decodeTerminalKeys(config: TerminalConfig): TerminalKeys {
  const issuers: IssuerVerifier[] = config.issuerKeys.map((key) => Object.freeze({
    suite: key.suite,
    keyId: key.keyId,
    verifier: SUITES.some((suite) => suite.id === key.suite) ? suiteById(key.suite).verifier(key.publicKey) : null,
  }));
  let signer: Signer | null = null;
  let signerError: unknown = null;
  try {
    signer = suiteById(config.suite).signer(config.terminalSecretKey);
  } catch (error) {
    signerError = error;
  }
  return Object.freeze({
    issuerKey: (suite: number, keyId: number) => issuers.find((key) => key.suite === suite && key.keyId === keyId) ?? null,
    sign(message: Uint8Array): Uint8Array {
      if (!signer) throw signerError;
      return signer.sign(message);
    },
  });
}
