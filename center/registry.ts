// The terminal registry (patent fig. 1: the centre knows every terminal): a terminal is admitted
// by its certificate CT = Sig_A(terminal id ‖ nT ‖ validity), checked with the issuer key nA, so
// only terminals the issuer certified can have batches stored, and whoever hands the centre a CT
// (CLI or endpoint) cannot add a terminal the issuer did not.
import { suiteById, SUITES } from '../firmware/crypto/suites.js';
import { certificateMessage, decodeCertificate, type TerminalCertificate } from '../firmware/protocol/data-objects.js';
import type { IssuerPublicKey } from '../firmware/terminal/config.js';
import { CentreError, REFUSAL } from './errors.js';
import { bytesFromText } from './hex-input.js';
import type { CentreStore, TerminalEntry } from './store/store.js';

/**
 * CT checked with the issuer keys the centre trusts: decodes, names a known issuer key, the
 * signature verifies, nT is a key of its suite. Throws CentreError bad-certificate saying which.
 */
export function checkTerminalCertificate(bytes: Uint8Array, issuerKeys: readonly IssuerPublicKey[]): TerminalCertificate {
  let cert: TerminalCertificate;
  try {
    cert = decodeCertificate(bytes);
  } catch (error) {
    throw new CentreError(REFUSAL.BAD_CERTIFICATE, `not a terminal certificate CT: ${(error as Error).message}`);
  }
  const issuer = issuerKeys.find((key) => key.suite === cert.suite && key.keyId === cert.keyId);
  if (!issuer) throw new CentreError(REFUSAL.BAD_CERTIFICATE, `terminal ${cert.terminalId}'s certificate is signed by issuer key ${cert.keyId} (suite ${cert.suite}), which this centre does not trust`);
  if (!SUITES.some((suite) => suite.id === cert.suite)) throw new CentreError(REFUSAL.BAD_CERTIFICATE, `terminal ${cert.terminalId}'s certificate names unknown suite ${cert.suite}`);
  const suite = suiteById(cert.suite);
  const { signature, ...unsigned } = cert;
  if (!suite.verify(issuer.publicKey, certificateMessage(unsigned), signature)) {
    throw new CentreError(REFUSAL.BAD_CERTIFICATE, `terminal ${cert.terminalId}'s certificate signature does not verify with issuer key ${cert.keyId}`);
  }
  if (!suite.isPublicKey(cert.terminalPublicKey)) throw new CentreError(REFUSAL.BAD_CERTIFICATE, `terminal ${cert.terminalId}'s certificate holds no ${suite.name} public key`);
  return cert;
}

/** Checks CT and registers the terminal; returns what happened ('added', 'unchanged', 'replaced'). */
export async function registerTerminal(store: CentreStore, bytes: Uint8Array, issuerKeys: readonly IssuerPublicKey[], now: number): Promise<{ readonly terminalId: string; readonly outcome: 'added' | 'unchanged' | 'replaced' }> {
  const cert = checkTerminalCertificate(bytes, issuerKeys);
  const entry: Omit<TerminalEntry, 'acknowledged' | 'lastUploadAt' | 'lastTerminalClock'> = {
    terminalId: cert.terminalId, certificate: bytes.slice(), publicKey: cert.terminalPublicKey, suite: cert.suite, keyId: cert.keyId,
    validFrom: cert.validFrom, validTo: cert.validTo, registeredAt: now,
  };
  return { terminalId: cert.terminalId, outcome: await store.putTerminal(entry) };
}

/**
 * CT from what an operator hands over: the issuer's provision-terminal file (only its
 * `certificate` is read: the terminal's secret key in it is never kept), a JSON object with a
 * `certificate` in hex, or the hex itself. Throws CentreError bad-certificate.
 */
export function certificateFromText(text: string): Uint8Array {
  return bytesFromText(text, 'certificate', REFUSAL.BAD_CERTIFICATE, 'a provision-terminal file holds CT there, in hex');
}
