// What a terminal is provisioned with (patent [0008], [0010]): the issuer's public key nA,
// its own key pair T with the issuer's certificate CT, the tariff and the hotlist.

export interface IssuerPublicKey {
  readonly suite: number;
  readonly keyId: number;
  readonly publicKey: Uint8Array; // nA
}

export interface Tariff {
  readonly currency: string;
  /** Charged once a call connects. */
  readonly connectionFee: number;
  /** Charged for every started unit of `unitSeconds`. */
  readonly unitFee: number;
  readonly unitSeconds: number;
}

export interface TerminalConfig {
  readonly terminalId: string;
  readonly issuerKeys: readonly IssuerPublicKey[];
  readonly suite: number; // suite of the terminal key pair T
  readonly terminalSecretKey: Uint8Array; // pT, qT
  readonly terminalPublicKey: Uint8Array; // nT
  readonly certificate: Uint8Array; // CT, encoded (tag F2)
  readonly tariff: Tariff;
  /** Card numbers (IDU, hex) the issuer has blocked ([0019]). */
  readonly hotlist: readonly string[];
  /**
   * The terminal's local time, minutes east of UTC (Japan: +540). Expiry dates are judged, and
   * usage records shown, in local time; records and the clock keep UTC.
   */
  readonly utcOffsetMinutes: number;
  /**
   * The centre certificate CC (tag F3, firmware/upload/centre-certificate.ts): upload answers
   * are trusted only under its key nC. Absent in configs made before the upload existed.
   */
  readonly centreCertificate?: Uint8Array;
  /**
   * Mutual authentication (figs. 6 and 7, firmware/terminal/mutual-auth.ts) before registration
   * and service: 'required', 'when-supported' (cards without a card key keep the basic flows) or
   * 'off'. Absent: 'off', as in configs made before it existed.
   */
  readonly mutualAuthentication?: 'off' | 'when-supported' | 'required';
  /**
   * The encrypted card channel ([0021], firmware/terminal/secure-session.ts) after the insertion
   * checks: 'required', 'when-supported' (older cards without an agreement key go on in clear) or
   * 'off'. Absent: 'off'.
   */
  readonly secureChannel?: 'off' | 'when-supported' | 'required';
}

/** Japan Standard Time, for configs written before the offset was provisioned. */
export const DEFAULT_UTC_OFFSET_MINUTES = 540;

export const DEFAULT_TARIFF: Tariff = Object.freeze({ currency: 'JPY', connectionFee: 10, unitFee: 10, unitSeconds: 60 });

/** Tariff units a call of `durationMs` has started: the first at connection, then one per started `unitSeconds`. */
export function unitsFor(tariff: Pick<Tariff, 'unitSeconds'>, durationMs: number): number {
  return Math.max(1, Math.ceil(durationMs / (tariff.unitSeconds * 1000)));
}

/** Fee V for `units` started tariff units: the connection fee plus each unit's fee. */
export function feeForUnits(tariff: Pick<Tariff, 'connectionFee' | 'unitFee'>, units: number): number {
  return tariff.connectionFee + units * tariff.unitFee;
}

/** Fee V for a call of `durationMs` (patent [0015]): connection fee plus every started unit. */
export function feeFor(tariff: Tariff, durationMs: number): number {
  return feeForUnits(tariff, unitsFor(tariff, durationMs));
}
