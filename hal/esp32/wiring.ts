// The board's wiring as a firmware build sees it: moddable.json's `wiring` for one target, checked
// and resolved on the build machine (tools/moddable/board-file.ts) and handed to the device
// through the manifest's config (mc/config `wiring`). Pins are GPIO numbers.

export interface CardWiring {
  readonly uart: number;
  /** I/O through the interface chip; the same pin for both in open-drain half duplex. */
  readonly transmit: number;
  readonly receive: number;
  /** CLK (LEDC), RSTIN, CMDVCC (active low), OFF (card presence). */
  readonly clock: number;
  readonly reset: number;
  readonly vcc: number;
  readonly detect: number;
  /** Card clock f, Hz: ISO/IEC 7816-3 §5.2.3 allows 1 to 5 MHz at activation. */
  readonly clockHz: number;
}

export type KeypadWiring =
  | { readonly rows: readonly number[]; readonly columns: readonly number[]; readonly layout: readonly string[] }
  | { readonly expander: { readonly address: number; readonly interrupt: number }; readonly layout: readonly string[] };

export interface Wiring {
  readonly card: CardWiring;
  readonly keypad: KeypadWiring;
  readonly lcd: { readonly i2c: { readonly data: number; readonly clock: number; readonly hz: number; readonly address: number }; readonly columns: number; readonly rows: number };
  /** The DS3231 on the LCD's I2C bus. */
  readonly rtc: { readonly address: number };
  readonly modem: { readonly uart: number; readonly transmit: number; readonly receive: number; readonly baud: number; readonly powerKey: number };
  /** The flash partitions (partitions.csv): the usage journal's, and the hotlist's (firmware/hotlist). */
  readonly flash: { readonly partition: string; readonly hotlistPartition: string };
}
