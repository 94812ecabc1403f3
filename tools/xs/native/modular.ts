/// <reference path="./natives.d.ts" />
// The Moddable SDK's `modular` (modules/crypt/arith/modular.js and modular.c) as the device runner
// models it: the class shape, with mulinv in the runner's native C (native-crypto.c) as it is C in
// the SDK. Bundled in place of the module name `modular` by tools/bench/device.ts. Only what the
// device's providers call is modelled: mulinv.

export default class Modular {
  readonly m: bigint;

  constructor(m: bigint) {
    this.m = m;
  }

  /** a⁻¹ mod m (xs_mod2_mulinv_general); m odd and 0 < a < m here, a RangeError otherwise. */
  mulinv(a: bigint): bigint {
    return nativeModMulinv(a, this.m);
  }

  /** Not modelled: ESIGN's powers are JavaScript with Barrett reduction (firmware/crypto/bigint.ts). */
  exp(_a: bigint, _e: bigint): bigint {
    throw new RangeError('Modular.exp: the device runner models mulinv only');
  }
}
