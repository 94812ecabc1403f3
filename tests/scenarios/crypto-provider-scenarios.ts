// The crypto providers (firmware/crypto/primitives.ts) against published known answers, and the
// device's Ed25519 (ed25519-reference.ts) against RFC 8032 and @noble. The same list runs on
// Node, inside xsnap, and on the Moddable runtime (manifests/crypto-check.json), where the module
// names firmware/crypto/hash and firmware/crypto/p256 are the SDK's native providers.
import { fromHex, toHex as upperHex } from '../../firmware/protocol/bytes.js';
import { HASHES } from '../../firmware/crypto/hash.js';
import { P256 } from '../../firmware/crypto/p256.js';
import { AES } from '../../firmware/crypto/aes.js';
import { MODULAR } from '../../firmware/crypto/modular.js';
import { ED25519 } from '../../firmware/crypto/ed25519-curve.js';
import { ED25519 as ED25519_REFERENCE } from '../../firmware/crypto/ed25519-reference.js';
import { barrettModulus, bigIntToBytes, bitLength, bitLengthOfBytes, bytesToBigInt, hasBitLength, modInverse, modPow, modPowPrepared, reduce } from '../../firmware/crypto/bigint.js';
import { asciiBytes } from '../../firmware/protocol/bytes.js';
import { SUITES } from '../../firmware/crypto/suites.js';
import { SeededRandom } from '../../hal/sim/random.js';
import { equal, ok, rejects, type Scenario } from './scenario.js';

/** RFC 8032 §7.1 TEST 1 to 3: secret, public, message, signature. */
const RFC8032 = Object.freeze([
  ['9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', '',
    'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b'],
  ['4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb', '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c', '72',
    '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00'],
  ['c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7', 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025', 'af82',
    '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a'],
] as const);

/** RFC 6979 A.2.5: P-256 key and the SHA-256 signature of "sample" (s as published, above n/2). */
const RFC6979 = Object.freeze({
  secretKey: 'c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721',
  publicKey: '0360fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6',
  r: 'efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716',
  s: 'f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8',
  n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
});

/** P-256 ECDH: d from the seed 11…11, Q from the seed 22…22 (tests/vectors/scp11b-vectors.py), x of d·Q by pyca/cryptography. */
const ECDH = Object.freeze({
  secretKey: '0479227cf9556d40f5adc5c7fc9600b4f5d729dbe8301815dccebaabeeb146c2',
  peerPublicKey: '02fdec4d1ec328c7691fdffcfa421deca60aed2c70e352c7239c7f2225bcf41a6c',
  sharedSecret: '9418f8dfa0d857a6a513d279c4ef11ef07680a012c046a5217b0f6c791dbf1b3',
});

/**
 * Modular powers and an inverse by Python's pow() (CPython 3.11): m = 3^1290 + 2 (2,045 bits,
 * odd), b = 7^700; b^1024 mod m (ESIGN's e) and b^(5^800) mod m; (3^300)⁻¹ mod 2^521 − 1.
 */
const MODULAR_ANSWERS = Object.freeze({
  pow1024: '13e6d047f1ee6e5497e150a30c70253a2404237ecb0cd9e0d4de930fda70112aa14d4d918ab206462571cf57b90499af4a57c65facd9e8d219bb688878fc63a9c5ecf25c19803a8e6986377acefab512c1054d25182a37d2713b9e3aeb4ab457dabec195a8e582a3302abe46d6ed4d62025fd193145cc521b2d8c67de52c2c46653bf63309c11d0112ed82ae38e90dfb848ab51268350233659cb089b1a258bc9bf36258ed24c896a19fde8ce33fa8c3cab3392f9a6d99c51022c8083af2c87096f488556c63ae2fc8d1465fe8c40b478b4819a08729d12d08065bee2d219c5c443e9e1c622a8c566116736cde1338d355ed86d391bb774d0e6503b59c25ca16',
  powLarge: 'ef2357dbebcee3f078051625f4155ca1eba8a5979a425f43f260604a4f8140897027f65d24f2357870873379e626c0f3ef2f09fa714719c11fd282711e7a243f63fc15dada94c5c559bcfd56e060b03e0e12ba0bc4bb6812dd640adbfaa36d5054c2e063e439a8700a15d7fa7e788a6a1a893ea14d7484289759cd856f52a918aeb2f9cb1df727f28fdd9fe2f7c93c6cb70673cebdde77989d0757f5381b2d1ef8d5dd8d57807c4a73908e6edf5b8ec33d0505ebdf651b5d3428abc24177f8d957bd254c23e701861a73e9032ee44f2780bdf54df20793e601b37e18299c8532e45be4b236d9479455b715e9cf70eace1a0669e1dbf7c24649d9d4d83ecab47',
  inverse: '1507cf8bfa6748ace2cb0ff04883b4a3ca5eee494f902dc3fddee778a0412f61ac39c022b2d133e36a082ecbe3e698ded8b1d4b2a221aa69f39463456ea3c52d560',
});

function gcd(a: bigint, b: bigint): bigint {
  return b === 0n ? a : gcd(b, a % b);
}

/** base^exponent mod m by square and multiply with `%`: the reference Barrett reduction must agree with. */
function longDivisionPow(base: bigint, exponent: bigint, m: bigint): bigint {
  let result = 1n % m;
  let square = ((base % m) + m) % m;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if ((e & 1n) === 1n) result = (result * square) % m;
    square = (square * square) % m;
  }
  return result;
}

/** The group order L of Ed25519, little-endian: a signature with S = L must be refused. */
const L_LITTLE_ENDIAN = 'edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010';

/** Lower-case hex, as the published vectors write it. */
function toHex(bytes: Uint8Array): string {
  return upperHex(bytes).toLowerCase();
}

function flipped(bytes: Uint8Array, index: number): Uint8Array {
  const copy = bytes.slice();
  copy[index] = copy[index]! ^ 0x01;
  return copy;
}

export const cryptoProviderScenarios: Scenario[] = [
  {
    name: 'hash provider: SHA-256, SHA-512, SHA-1 ("abc", FIPS 180-4 examples) and HMAC-SHA-256 (RFC 4231 case 2)',
    run() {
      const abc = asciiBytes('abc');
      equal(toHex(HASHES.sha256(abc)), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', 'SHA-256("abc")');
      equal(toHex(HASHES.sha512(abc)), 'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f', 'SHA-512("abc")');
      equal(toHex(HASHES.sha1(abc)), 'a9993e364706816aba3e25717850c26c9cd0d89d', 'SHA-1("abc")');
      equal(toHex(HASHES.hmacSha256(asciiBytes('Jefe'), asciiBytes('what do ya want for nothing?'))),
        '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843', 'HMAC-SHA-256, RFC 4231 test case 2');
      equal(toHex(HASHES.sha256(new Uint8Array(0))), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'SHA-256 of nothing');
    },
  },
  {
    name: 'P-256 provider: a signature verifies, is low-S, and fails for another message, key or a flipped bit',
    run() {
      const random = new SeededRandom('p256-provider');
      for (let i = 0; i < 4; i++) {
        const secretKey = P256.secretKeyFromSeed(random.source(48));
        const publicKey = P256.publicKey(secretKey);
        equal(publicKey.length, 33, 'compressed public key');
        ok(P256.isPublicKey(publicKey), 'its own public key is a point');
        const message = random.source(20 + i);
        const signature = P256.sign(secretKey, message);
        equal(signature.length, 64, 'r ‖ s');
        ok(P256.verify(publicKey, message, signature), `signature ${i} verifies`);
        ok(signature[32]! < 0x80, 's ≤ n/2 (low S): its top bit is clear');
        ok(!P256.verify(publicKey, flipped(message, 0), signature), 'another message fails');
        ok(!P256.verify(publicKey, message, flipped(signature, 40)), 'a flipped bit in s fails');
        const other = P256.publicKey(P256.secretKeyFromSeed(random.source(48)));
        ok(!P256.verify(other, message, signature), 'another key fails');
      }
    },
  },
  {
    name: 'P-256 provider: FIPS 186-5 public key of d = 1 is G; x ≥ p and a bad prefix are refused',
    run() {
      const one = fromHex('0000000000000000000000000000000000000000000000000000000000000001');
      equal(toHex(P256.publicKey(one)), '036b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296', 'G compressed (y odd)');
      const refused = (hex: string): boolean => {
        try {
          return !P256.isPublicKey(fromHex(hex));
        } catch {
          return true;
        }
      };
      ok(refused(`02${'ff'.repeat(32)}`), 'x ≥ p is not a field element');
      ok(refused('056b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296'), 'prefix 05 is no SEC 1 compressed point');
      ok(!refused('036b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296'), 'G itself is accepted');
    },
  },
  {
    name: 'P-256 provider: RFC 6979 A.2.5 (key, "sample"): the public key, and the signature verifies in its low-S form only',
    run() {
      equal(toHex(P256.publicKey(fromHex(RFC6979.secretKey))), RFC6979.publicKey, 'public key of the RFC 6979 key');
      const message = asciiBytes('sample');
      const lowS = (RFC6979.n - BigInt(`0x${RFC6979.s}`)).toString(16).padStart(64, '0');
      ok(P256.verify(fromHex(RFC6979.publicKey), message, fromHex(RFC6979.r + lowS)), '(r, n − s) verifies');
      let highS = true;
      try {
        highS = P256.verify(fromHex(RFC6979.publicKey), message, fromHex(RFC6979.r + RFC6979.s));
      } catch {
        highS = false;
      }
      ok(!highS, '(r, s) with s > n/2 is refused: one signature, one encoding');
      ok(!P256.verify(fromHex(RFC6979.publicKey), asciiBytes('test'), fromHex(RFC6979.r + lowS)), 'another message fails');
    },
  },
  {
    name: 'P-256 provider: ECDH (SEC 1 §3.3.1) agrees with pyca/cryptography, both ways; a point off the curve is refused',
    async run() {
      const secretKey = fromHex(ECDH.secretKey);
      equal(toHex(P256.sharedSecret(secretKey, fromHex(ECDH.peerPublicKey))), ECDH.sharedSecret, 'x of d·Q');
      const peerSecret = P256.secretKeyFromSeed(new Uint8Array(48).fill(0x22));
      equal(toHex(P256.sharedSecret(peerSecret, P256.publicKey(secretKey))), ECDH.sharedSecret, 'the peer gets the same secret');
      await rejects(() => P256.sharedSecret(secretKey, fromHex('02' + 'ff'.repeat(32))), /RangeError|Error/, 'x ≥ p is no point');
    },
  },
  {
    name: 'AES provider: FIPS 197 C.1 block, SP 800-38A F.2.1 CBC and RFC 4493 CMAC examples',
    run() {
      equal(toHex(AES.encryptBlock(fromHex('000102030405060708090a0b0c0d0e0f'), fromHex('00112233445566778899aabbccddeeff'))), '69c4e0d86a7b0430d8cdb78070b4c55a', 'FIPS 197 C.1');
      const key = fromHex('2b7e151628aed2a6abf7158809cf4f3c');
      const cbc = AES.cbcEncrypt(key, fromHex('000102030405060708090a0b0c0d0e0f'), fromHex('6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51'));
      equal(toHex(cbc), '7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2', 'SP 800-38A F.2.1, two blocks');
      equal(toHex(AES.cbcDecrypt(key, fromHex('000102030405060708090a0b0c0d0e0f'), cbc)), '6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51', 'and back');
      equal(toHex(AES.cmac(key, new Uint8Array(0))), 'bb1d6929e95937287fa37d129b756746', 'RFC 4493 example 1 (empty)');
      equal(toHex(AES.cmac(key, fromHex('6bc1bee22e409f96e93d7e117393172a'))), '070a16b46b4d4144f79bdd9dd04a287c', 'RFC 4493 example 2 (16 bytes)');
      const message = fromHex('6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710');
      equal(toHex(AES.cmac(key, message.subarray(0, 40))), 'dfa66747de9ae63030ca32611497c827', 'RFC 4493 example 3 (40 bytes: a partial last block)');
      equal(toHex(AES.cmac(key, message)), '51f0bebf7e3b9d92fc49741779363cfe', 'RFC 4493 example 4 (64 bytes: whole blocks)');
    },
  },
  {
    name: 'Ed25519 reference (the device\'s): RFC 8032 §7.1 tests 1 to 3, public keys, signatures, verification',
    run() {
      for (const [secret, publicKey, message, signature] of RFC8032) {
        equal(toHex(ED25519_REFERENCE.publicKey(fromHex(secret))), publicKey, `public key of ${secret.slice(0, 8)}`);
        equal(toHex(ED25519_REFERENCE.sign(fromHex(secret), fromHex(message))), signature, `signature of "${message}"`);
        ok(ED25519_REFERENCE.verify(fromHex(publicKey), fromHex(message), fromHex(signature)), 'verifies');
        ok(!ED25519_REFERENCE.verify(fromHex(publicKey), fromHex(`${message}00`), fromHex(signature)), 'another message fails');
      }
    },
  },
  {
    name: 'Ed25519 reference agrees with @noble on random keys and messages; S ≥ L and bad points are refused',
    run() {
      const random = new SeededRandom('ed25519-reference');
      for (let i = 0; i < 6; i++) {
        const secretKey = random.source(32);
        const message = random.source(i * 7);
        const publicKey = ED25519_REFERENCE.publicKey(secretKey);
        equal(toHex(publicKey), toHex(ED25519.publicKey(secretKey)), `public key ${i}`);
        const signature = ED25519_REFERENCE.sign(secretKey, message);
        equal(toHex(signature), toHex(ED25519.sign(secretKey, message)), `signature ${i} (deterministic, so equal)`);
        ok(ED25519.verify(publicKey, message, signature), 'the provider verifies it');
        ok(!ED25519_REFERENCE.verify(publicKey, message, flipped(signature, 63)), 'a flipped bit in S fails');
        ok(!ED25519_REFERENCE.verify(publicKey, message, flipped(signature, 0)), 'a flipped bit in R fails');
      }
      const [, publicKey, , signature] = RFC8032[0];
      ok(!ED25519_REFERENCE.verify(fromHex(publicKey), new Uint8Array(0), fromHex(signature.slice(0, 64) + L_LITTLE_ENDIAN)), 'S = L is refused (§5.1.7)');
      // y = p (2^255 − 19) is not canonical: refused as a key.
      ok(!ED25519_REFERENCE.isPublicKey(fromHex('edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f')), 'y ≥ p refused');
      ok(!ED25519_REFERENCE.verify(fromHex(publicKey).subarray(0, 31), new Uint8Array(0), fromHex(signature)), 'a short key is refused');
    },
  },
  {
    name: 'Ed25519 reference arithmetic (RFC 8032 §5.1.4): doubling equals adding a point to itself; [s]B + [k]A in one chain equals the two multiplications summed',
    run() {
      const random = new SeededRandom('ed25519-arithmetic');
      const zero = new Uint8Array(32);
      const three = new Uint8Array(32);
      three[0] = 3;
      const identity = `01${'00'.repeat(31)}`;
      for (let i = 0; i < 4; i++) {
        const p = ED25519_REFERENCE.publicKey(random.source(32));
        const a = ED25519.publicKey(random.source(32)); // a point from @noble
        const doubled = ED25519_REFERENCE.arithmetic.double(p);
        equal(toHex(doubled), toHex(ED25519_REFERENCE.arithmetic.add(p, p)), `2P = P + P (${i})`);
        equal(toHex(ED25519_REFERENCE.arithmetic.add(doubled, p)), toHex(ED25519_REFERENCE.arithmetic.multiply(three, p)), `2P + P = [3]P (${i})`);
        const s = random.source(32); // all 256 bits, the top ones too
        const k = random.source(32);
        const sum = ED25519_REFERENCE.arithmetic.add(ED25519_REFERENCE.arithmetic.multiply(s), ED25519_REFERENCE.arithmetic.multiply(k, a));
        equal(toHex(ED25519_REFERENCE.arithmetic.multiplyTwo(s, k, a)), toHex(sum), `[s]B + [k]A (${i})`);
        equal(toHex(ED25519_REFERENCE.arithmetic.multiplyTwo(s, zero, a)), toHex(ED25519_REFERENCE.arithmetic.multiply(s)), `[s]B + [0]A (${i})`);
        equal(toHex(ED25519_REFERENCE.arithmetic.multiplyTwo(zero, k, a)), toHex(ED25519_REFERENCE.arithmetic.multiply(k, a)), `[0]B + [k]A (${i})`);
        equal(toHex(ED25519_REFERENCE.arithmetic.multiply(fromHex(L_LITTLE_ENDIAN), a)), identity, `[L]A is the identity (${i})`);
      }
      equal(toHex(ED25519_REFERENCE.arithmetic.multiplyTwo(zero, zero, ED25519.publicKey(zero))), identity, '[0]B + [0]A is the identity');
    },
  },

  {
    name: 'keys decoded once: each suite\'s verifier and signer answer as verify() and sign() do; malformed keys give no verifier',
    run() {
      const random = new SeededRandom('verifier-signer');
      for (const suite of SUITES) {
        const { secretKey, publicKey } = suite.generateKeyPair(random.source);
        const other = suite.generateKeyPair(random.source);
        const message = asciiBytes(`card data under ${suite.name}`);
        const signer = suite.signer(secretKey);
        const signature = signer.sign(message);
        equal(signature, suite.sign(secretKey, message), `${suite.name}: signer signs as sign() does`);
        const verifier = suite.verifier(publicKey);
        ok(verifier, `${suite.name}: a verifier for a good key`);
        const tampered = signature.slice();
        tampered[5] = tampered[5]! ^ 0x10;
        const cases: Array<[Uint8Array, Uint8Array]> = [
          [message, signature], [asciiBytes('other'), signature], [message, tampered], [message, signature.subarray(1)],
          [message, other.publicKey.length === signature.length ? other.publicKey : new Uint8Array(signature.length)],
          [message, suite.sign(other.secretKey, message)],
        ];
        for (const [i, [m, sig]] of cases.entries()) equal(verifier.verify(m, sig), suite.verify(publicKey, m, sig), `${suite.name}: case ${i} as verify()`);
        ok(verifier.verify(message, signature) && verifier.verify(message, signature), `${suite.name}: verifies again with the same decoded key`);
        equal(suite.verifier(publicKey.subarray(1)), null, `${suite.name}: a short key`);
        const junk = suite.verifier(new Uint8Array(publicKey.length).fill(0xff)); // @noble's ZIP-215 decoding takes some such bytes
        ok(junk === null || !junk.verify(message, signature), `${suite.name}: bytes that are no key verify nothing`);
      }
      for (const [, publicKey, message, signature] of RFC8032) {
        for (const provider of [ED25519, ED25519_REFERENCE]) {
          const verify = provider.verifier(fromHex(publicKey));
          ok(verify(fromHex(message), fromHex(signature)), 'RFC 8032 vector through a decoded key');
          ok(!verify(asciiBytes('x'), fromHex(signature)), 'another message fails');
        }
      }
      const [, vectorKey] = RFC8032[0];
      ok(P256.verifier !== undefined, 'the host P-256 provider decodes keys once');
      let refused = false;
      try {
        ED25519_REFERENCE.verifier(fromHex('edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'));
      } catch {
        refused = true;
      }
      ok(refused && ED25519_REFERENCE.verifier(fromHex(vectorKey)) !== null, 'the reference refuses y ≥ p as a key to decode');
    },
  },
  {
    name: 'modular-inverse provider (ESIGN signing): a known answer, the JavaScript reference at every size from 1 to 70 words (refusing where gcd ≠ 1), and the edges',
    async run() {
      const mersenne = (1n << 521n) - 1n;
      equal(MODULAR.modInverse(3n ** 300n, mersenne).toString(16), MODULAR_ANSWERS.inverse, '(3^300)⁻¹ mod 2^521 − 1');
      const random = new SeededRandom('modular-provider');
      let inverses = 0;
      for (let words = 1; words <= 70; words++) {
        const modulus = bytesToBigInt(random.source(4 * words)) | 1n | (1n << BigInt(32 * words - 1));
        // A random odd modulus is seldom prime: where gcd ≠ 1 the provider must refuse, as the reference does.
        const a = bytesToBigInt(random.source(4 * words + 3)); // above the modulus: reduced first
        const reference = a % modulus === 0n || gcd(a, modulus) !== 1n ? null : modInverse(a, modulus);
        if (reference === null) await rejects(() => MODULAR.modInverse(a, modulus), /^RangeError/, `no inverse mod a ${words}-word modulus`);
        else equal(MODULAR.modInverse(a, modulus), reference, `inverse mod a ${words}-word modulus`);
        inverses += reference === null ? 0 : 1;
      }
      ok(inverses > 40, `most random cases have an inverse (${inverses} of 70)`);
      equal([MODULAR.modInverse(-3n, 7n), MODULAR.modInverse(3n, 16n), MODULAR.modInverse(10n, 7n)], [2n, 11n, 5n], 'a negative a, an even modulus, a above the modulus');
      await rejects(() => MODULAR.modInverse(5n, 15n), /^RangeError/, 'gcd 5 has no inverse');
      await rejects(() => MODULAR.modInverse(0n, 7n), /^RangeError/, 'zero has no inverse');
      await rejects(() => MODULAR.modInverse(14n, 7n), /^RangeError/, 'a multiple of the modulus has none');
      await rejects(() => MODULAR.modInverse(2n, 1n), /^RangeError/, 'a modulus of 1');
    },
  },
  {
    name: 'modular powers with Barrett reduction: known answers, long division at every size from 1 to 70 words, and the edges',
    async run() {
      const m = 3n ** 1290n + 2n;
      const b = 7n ** 700n;
      equal(modPow(b, 1024n, m).toString(16), MODULAR_ANSWERS.pow1024, 'b^1024 mod m');
      equal(modPow(b, 5n ** 800n, m).toString(16), MODULAR_ANSWERS.powLarge, 'b^(5^800) mod m: a 1,858-bit exponent');
      const prepared = barrettModulus(m);
      equal(modPowPrepared(b, 1024n, prepared).toString(16), MODULAR_ANSWERS.pow1024, 'the same with m prepared once');
      const random = new SeededRandom('barrett');
      for (let words = 1; words <= 70; words++) {
        const modulus = bytesToBigInt(random.source(4 * words)) | (1n << BigInt(32 * words - 1)) | 1n;
        const x = bytesToBigInt(random.source(4 * words));
        const y = bytesToBigInt(random.source(4 * words));
        const modulusPrepared = barrettModulus(modulus);
        equal(reduce((x % modulus) * (y % modulus), modulusPrepared), ((x % modulus) * (y % modulus)) % modulus, `a product reduced mod a ${words}-word modulus`);
        equal(reduce((modulus - 1n) * (modulus - 1n), modulusPrepared), 1n, `(m − 1)² mod a ${words}-word modulus: the largest product`);
        const exponent = bytesToBigInt(random.source(1 + (words % 5)));
        equal(modPow(x, exponent, modulus), longDivisionPow(x, exponent, modulus), `power mod a ${words}-word modulus`);
      }
      equal([modPow(5n, 0n, m), modPow(5n, 1n, m), modPow(m, 3n, m), modPow(-2n, 3n, 7n), modPow(3n, 5n, 16n), modPow(3n, 5n, 2n)], [1n, 5n, 0n, 6n, 3n, 1n], 'x^0, x^1, m^3, a negative base, even moduli');
      await rejects(() => modPow(2n, -1n, m), /^RangeError/, 'a negative exponent');
      await rejects(() => modPow(2n, 3n, 1n), /^RangeError/, 'a modulus of 1');
    },
  },
  {
    name: 'BigInt helpers for ESIGN: bit length by shifts equals the binary digits, powers, inverses and I2OSP/OS2IP',
    run() {
      const random = new SeededRandom('bigint-helpers');
      const samples = [0n, 1n, 2n, 3n, 255n, 256n, (1n << 64n) - 1n, 1n << 64n, (1n << 2046n) - 1n, 1n << 2046n];
      for (let i = 0; i < 40; i++) samples.push(bytesToBigInt(random.source(1 + i * 9)));
      for (const n of samples) equal(bitLength(n), n === 0n ? 0 : n.toString(2).length, `bit length of a ${n.toString(16).length}-hex-digit number`);
      const m = bytesToBigInt(random.source(64)) | 1n;
      const a = bytesToBigInt(random.source(60));
      equal(modPow(a, m - 1n, m) === modPow(modPow(a, (m - 1n) / 2n, m), 2n, m), true, 'a^(m−1) = (a^((m−1)/2))²');
      equal((a * modInverse(a, m)) % m, 1n, 'a · a⁻¹ ≡ 1');
      equal(bytesToBigInt(bigIntToBytes(a, 80)), a, 'I2OSP then OS2IP');
      // OS2IP against the hex reading, for every count of leading bytes before the 64-bit words
      // (0..7) and from inside a larger buffer (a DataView at an odd offset).
      const pool = random.source(300);
      for (let length = 0; length <= 41; length++) {
        for (const offset of [0, 3]) {
          const bytes = pool.subarray(offset, offset + length);
          equal(bytesToBigInt(bytes), length === 0 ? 0n : BigInt(`0x${toHex(bytes)}`), `OS2IP of ${length} bytes at offset ${offset}`);
        }
      }
      equal(bytesToBigInt(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)), (1n << 56n) - 1n, 'seven leading bytes past a Number\'s 53 bits');
      for (let length = 1; length <= 41; length++) {
        const bytes = pool.subarray(7, 7 + length);
        const n = bytesToBigInt(bytes);
        equal(toHex(bigIntToBytes(n, length)), toHex(bytes), `I2OSP of a ${length}-byte value back to its bytes`);
        equal(toHex(bigIntToBytes(n, length + 9)), `${'00'.repeat(9)}${toHex(bytes)}`, `I2OSP of a ${length}-byte value into ${length + 9} bytes`);
      }
      equal(modPow(3n, 0n, 7n), 1n, 'x^0 = 1');
    },
  },
  {
    name: 'BigInt helpers: bit length from the bytes and the one-shift length test agree with the binary digits; I2OSP refuses one bit too many',
    async run() {
      const random = new SeededRandom('bit-length-of-bytes');
      const cases: Uint8Array[] = [new Uint8Array(0), new Uint8Array(3), Uint8Array.of(1), Uint8Array.of(0, 0, 0x80), Uint8Array.of(0x7f, 0xff), new Uint8Array(256).fill(0xff)];
      for (let i = 0; i < 40; i++) {
        const bytes = random.source(1 + i * 7);
        bytes[0] = i % 3 === 0 ? 0 : bytes[0]! >> (i % 8); // leading zero bytes and short top bytes
        cases.push(bytes);
      }
      for (const bytes of cases) {
        const n = bytesToBigInt(bytes);
        const digits = n === 0n ? 0 : n.toString(2).length;
        equal(bitLengthOfBytes(bytes), digits, `bit length of ${bytes.length} bytes`);
        equal(hasBitLength(n, digits), digits > 0, `exactly ${digits} bits`);
        ok(!hasBitLength(n, digits + 1) && !hasBitLength(n, digits - 1), `not ${digits} ± 1 bits`);
      }
      equal([bitLengthOfBytes(Uint8Array.of(0x20, 0, 0)), bitLengthOfBytes(Uint8Array.of(0x3f)), bitLengthOfBytes(Uint8Array.of(0, 1))], [22, 6, 1], 'pinned lengths');
      equal(bigIntToBytes((1n << 2048n) - 1n, 256), new Uint8Array(256).fill(0xff), '2048 bits fill 256 bytes');
      await rejects(() => bigIntToBytes(1n << 2048n, 256), /I2OSP: 2049 bits do not fit 256 bytes/, 'one bit more does not');
      await rejects(() => bigIntToBytes(-1n, 4), /^RangeError/, 'negative');
    },
  },
  {
    name: 'OS2IP and I2OSP (6 and 4 bytes a step) agree with the hex digits at every length 0 to 40 and at 256 bytes, leading zeros included',
    run() {
      const random = new SeededRandom('os2ip-i2osp');
      const lengths = [...Array.from({ length: 41 }, (_, i) => i), 255, 256];
      for (const length of lengths) {
        for (const shape of ['random', 'leading-zeros', 'ones'] as const) {
          const bytes = shape === 'ones' ? new Uint8Array(length).fill(0xff) : random.source(length);
          if (shape === 'leading-zeros') bytes.fill(0, 0, Math.min(length, 5));
          const expected = length === 0 ? 0n : BigInt(`0x${toHex(bytes)}`);
          equal(bytesToBigInt(bytes), expected, `OS2IP of ${length} bytes (${shape})`);
          equal(bigIntToBytes(expected, length), bytes, `I2OSP to ${length} bytes (${shape})`);
          equal(bigIntToBytes(expected, length + 7).subarray(7), bytes, `I2OSP to ${length} + 7 bytes ends with the same bytes`);
          ok(bigIntToBytes(expected, length + 7).subarray(0, 7).every((b) => b === 0), 'and starts with zeros');
        }
      }
      equal(bytesToBigInt(Uint8Array.of(1, 2, 3, 4, 5, 6, 7)), 0x01020304050607n, 'pinned: 7 bytes');
      equal(bigIntToBytes(0x0a0b0c0d0e0fn, 6), Uint8Array.of(10, 11, 12, 13, 14, 15), 'pinned: 6 bytes');
    },
  },
];
