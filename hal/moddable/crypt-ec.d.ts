// The parts of the Moddable SDK's `modules/crypt` that hal/moddable uses and no typings declare
// (neither the SDK's typings/ nor @moddable/typings), typed from their sources (SDK 8.2.3:
// etc/hmac.js, etc/ecdsa.js, etc/curve.js, arith/ec.js, arith/ecp.js, arith/modular.js).
// Referenced with /// <reference> by the modules that import them, so mcconfig's per-module tsc
// sees it too.

declare module 'hmac' {
  import type { Digest } from 'crypt';
  export default class HMAC {
    constructor(digest: Digest, key: ArrayBuffer, bitLength?: number);
    update(...data: ArrayBuffer[]): void;
    close(): ArrayBuffer;
  }
}

declare module 'ecp' {
  export default class ECPoint {
    constructor(x: bigint, y: bigint, identity?: boolean);
    readonly X: bigint;
    readonly Y: bigint;
  }
}

declare module 'ec' {
  import type ECPoint from 'ecp';
  export default class EC {
    constructor(a: bigint, b: bigint, m: bigint);
    mul(point: ECPoint, k: bigint): ECPoint;
  }
}

declare module 'curve' {
  import type EC from 'ec';
  import type ECPoint from 'ecp';
  /** name: "secp256r1" or "secp384r1". */
  export default class Curve {
    constructor(name: string);
    readonly G: ECPoint;
    readonly ec: EC;
    readonly n: bigint;
    readonly orderSize: number;
  }
}

declare module 'ecdsa' {
  import type Curve from 'curve';
  import type ECPoint from 'ecp';
  /** key: the secret scalar (signing) or the public point (verifying). */
  export default class ECDSA {
    constructor(key: bigint | ECPoint, curve: Curve, priv?: boolean);
    /** r ‖ s, each orderSize bytes; k from the RNG. */
    sign(hash: ArrayBuffer): ArrayBuffer;
    verify(hash: ArrayBuffer, signature: ArrayBuffer): boolean;
  }
}

declare module 'modular' {
  export default class Modular {
    constructor(m: bigint);
    readonly m: bigint;
    /** a^e mod m, native (arith/modular.c). */
    exp(a: bigint, e: bigint): bigint;
    /** a⁻¹ mod m, native (arith/modular.c: xs_mod2_mulinv_general); garbage when gcd(a, m) ≠ 1, and a = 0 never returns. */
    mulinv(a: bigint): bigint;
  }
}

