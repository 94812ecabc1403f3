// What the issuing machine writes into a new card's EEPROM (patent [0009], [0016], [0019]).

export interface CardPersonalisation {
  readonly registrationNumber: string; // Nt
  readonly settingNumber: string; // Ns, secret
  readonly salt: Uint8Array; // never leaves the card
  readonly cardNumber: Uint8Array; // IDU, 8 bytes
  readonly expiry: string; // YYYY-MM-DD
  readonly suite: number;
  readonly keyId: number;
  readonly issuerPublicKey: Uint8Array; // nA, to check terminal certificates
  readonly commitment: Uint8Array; // C
  readonly sa2: Uint8Array;
  readonly sa1: Uint8Array;
  readonly cardSecretKey: Uint8Array; // pU, qU
  readonly cardPublicKey: Uint8Array; // nU
  /** The secure channel's static P-256 key pair (SCP11b SK.SD.ECKA, 32 bytes; PK.SD.ECKA, 33): absent on older cards. */
  readonly cardAgreementSecret?: Uint8Array;
  readonly cardAgreementKey?: Uint8Array;
}

/** A card as a file: its EEPROM contents. The sim slot and the PC/SC virtual card load these. */
export interface CardImage {
  readonly format: 'icc-card-image/1';
  readonly label: string;
  readonly eeprom: Uint8Array;
}
