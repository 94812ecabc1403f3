// The centre certificate CC = Sig_A(centre id ‖ nC ‖ validity) (docs/upload-protocol.md, "Keys"):
// the fields and field encoding of the terminal certificate CT (firmware/protocol/data-objects.ts,
// terminal id field = centre id), under its own tags: F3 for the certificate and ED for the signed
// message (CT's is E3), so a terminal certificate can never pass for the centre's nor the reverse.
// The terminal is provisioned with CC and checks it with nA before it trusts any answer.
// Engine-neutral: runs on the terminal (XS), in the issuer tool and in the centre.
import { suiteById, SUITES } from '../crypto/suites.js';
import type { Verifier } from '../crypto/suite.js';
import { certificateMessage, decodeCertificateValue, encodeCertificate, TAG, type TerminalCertificate } from '../protocol/data-objects.js';
import { decodeSingle, encodeTlv, TlvError } from '../protocol/tlv.js';
import type { IssuerPublicKey } from '../terminal/config.js';
import { isDeviceId } from './fields.js';

export const CENTRE_CERTIFICATE_TAG = Object.freeze({ CERTIFICATE: 0xf3, MESSAGE: 0xed } as const);

export interface CentreCertificate {
  readonly centreId: string; // 1 to 16 letters, digits or '-'
  readonly centrePublicKey: Uint8Array; // nC
  readonly validFrom: string; // YYYY-MM-DD
  readonly validTo: string;
  readonly suite: number; // of A and of C: the issuer certifies a key of its own suite
  readonly keyId: number; // which issuer key signed
  readonly signature: Uint8Array;
}

/** A centre certificate that does not decode or does not check; the message says which. */
export class CentreCertificateError extends Error {
  override name = 'CentreCertificateError';
}

function asTerminalShape(cert: Omit<CentreCertificate, 'signature'>): Omit<TerminalCertificate, 'signature'> {
  return { terminalId: cert.centreId, terminalPublicKey: cert.centrePublicKey, validFrom: cert.validFrom, validTo: cert.validTo, suite: cert.suite, keyId: cert.keyId };
}

/** Re-tags a constructed TLV of CT's encoding: same fields, CC's tag. */
function retag(encoded: Uint8Array, from: number, to: number): Uint8Array {
  return encodeTlv(to, decodeSingle(encoded, from));
}

/** The message A signs for CC: CT's fields under tag ED. */
export function centreCertificateMessage(cert: Omit<CentreCertificate, 'signature'>): Uint8Array {
  return retag(certificateMessage(asTerminalShape(cert)), TAG.CERTIFICATE_MESSAGE, CENTRE_CERTIFICATE_TAG.MESSAGE);
}

/** CC as the F3 TLV. Throws RangeError/DateError for fields CT's encoding refuses. */
export function encodeCentreCertificate(cert: CentreCertificate): Uint8Array {
  if (!isDeviceId(cert.centreId)) throw new RangeError(`centre id must be 1 to 16 letters, digits or '-', got "${cert.centreId}"`);
  return retag(encodeCertificate({ ...asTerminalShape(cert), signature: cert.signature }), TAG.TERMINAL_CERTIFICATE, CENTRE_CERTIFICATE_TAG.CERTIFICATE);
}

/** CC from its F3 TLV; TlvError naming the first field that is wrong. Does not check the signature. */
export function decodeCentreCertificate(bytes: Uint8Array): CentreCertificate {
  const cert = decodeCertificateValue(decodeSingle(bytes, CENTRE_CERTIFICATE_TAG.CERTIFICATE));
  if (!isDeviceId(cert.terminalId)) throw new TlvError(`centre certificate: centre id must be 1 to 16 letters, digits or '-', got "${cert.terminalId}"`);
  return {
    centreId: cert.terminalId, centrePublicKey: cert.terminalPublicKey, validFrom: cert.validFrom, validTo: cert.validTo,
    suite: cert.suite, keyId: cert.keyId, signature: cert.signature,
  };
}

/**
 * Decodes CC and checks it: signed by one of `issuerKeys` (the nA the terminal trusts), the
 * signature verifies, and nC is a key of CC's suite. Returns the certificate and nC as a
 * Verifier (decoded once, for every answer). Validity dates are the caller's to judge (a terminal
 * whose clock was never set cannot). Throws CentreCertificateError.
 */
export function checkCentreCertificate(bytes: Uint8Array, issuerKeys: readonly IssuerPublicKey[]): { readonly certificate: CentreCertificate; readonly centreKey: Verifier } {
  let certificate: CentreCertificate;
  try {
    certificate = decodeCentreCertificate(bytes);
  } catch (error) {
    throw new CentreCertificateError(`not a centre certificate: ${(error as Error).message}`);
  }
  const issuer = issuerKeys.find((key) => key.suite === certificate.suite && key.keyId === certificate.keyId);
  if (!issuer) throw new CentreCertificateError(`centre certificate is signed by issuer key ${certificate.keyId} (suite ${certificate.suite}), which this terminal does not hold`);
  if (!SUITES.some((suite) => suite.id === certificate.suite)) throw new CentreCertificateError(`centre certificate names unknown suite ${certificate.suite}`);
  const suite = suiteById(certificate.suite);
  const { signature, ...unsigned } = certificate;
  if (!suite.verify(issuer.publicKey, centreCertificateMessage(unsigned), signature)) {
    throw new CentreCertificateError(`centre certificate signature does not verify with issuer key ${certificate.keyId}`);
  }
  const centreKey = suite.verifier(certificate.centrePublicKey);
  if (!centreKey) throw new CentreCertificateError(`centre certificate holds no ${suite.name} public key`);
  return Object.freeze({ certificate, centreKey });
}
