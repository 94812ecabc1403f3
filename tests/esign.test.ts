// Suite 3, ESIGN (firmware/crypto/esign.ts): the published known-answer vectors in
// /work/shared/vectors/esign (esign.txt: Crypto++'s and NTT's IFSSA-ESIGN-EMSA5 signatures;
// esig1023/1536/2046.dat: Crypto++'s DER private keys), re-signing from r = s mod pq, tampering,
// malformed keys, key generation and deterministic signing.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bitLen, bytesToNumberBE, numberToBytesBE } from '@noble/curves/utils.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  decodePublicKey, decodeSecretKey, encodePublicKey, encodeSecretKey, esign, ESIGN_HASH, ESIGN_PARAMS, esignSecretKey, esignSign,
  esignSignWithR, esignVerify, generateEsignKey, publicKeyOf, type EsignHashId, type EsignPublicKey, type EsignSecretKey,
} from '../firmware/crypto/esign.js';
import { emsa5, mgf1 } from '../firmware/crypto/esign/emsa5.js';
import { isProbablePrime, millerRabinRound, randomBetween, randomPrime, SMALL_PRIMES } from '../firmware/crypto/esign/primes.js';
import { suiteById, suiteByName } from '../firmware/crypto/suites.js';
import { asciiBytes, fromHex, toHex } from '../firmware/protocol/bytes.js';
import { SeededRandom } from '../hal/sim/random.js';

const VECTORS = process.env['ESIGN_VECTORS'] ?? '/work/shared/vectors/esign';
const SEED = new Uint8Array(32).fill(7);

/** Minimal DER: a SEQUENCE of INTEGERs (Crypto++'s ESIGN keys: n, e[, p, q]). */
function derIntegers(der: Uint8Array): bigint[] {
  let at = 0;
  function length(): number {
    const first = der[at++]!;
    if (first < 0x80) return first;
    let value = 0;
    for (let i = 0; i < (first & 0x7f); i++) value = value * 256 + der[at++]!;
    return value;
  }
  assert.equal(der[at++], 0x30, 'SEQUENCE');
  const end = length() + at;
  assert.equal(end, der.length, 'SEQUENCE length');
  const out: bigint[] = [];
  while (at < end) {
    assert.equal(der[at++], 0x02, 'INTEGER');
    const len = length();
    out.push(bytesToNumberBE(der.subarray(at, at + len)));
    at += len;
  }
  return out;
}

interface Group {
  readonly name: string;
  readonly n: bigint;
  readonly e: number;
  readonly p: bigint | null;
  readonly q: bigint | null;
  readonly tests: ReadonlyArray<{ readonly test: string; readonly message: Uint8Array; readonly signature: Uint8Array | null }>;
}

/** Crypto++ test-vector format: "Name: value" lines, "\" continues, each "Test:" runs the current values. */
function parseTestFile(text: string): Group[] {
  const lines = text.replace(/\\\r?\n\s*/g, '').split(/\r?\n/);
  const groups: Group[] = [];
  let fields: Record<string, string> = {};
  let tests: Array<Group['tests'][number]> = [];
  function flush(): void {
    if (!fields['AlgorithmType']) return;
    let n: bigint; let e: number; let p: bigint | null = null; let q: bigint | null = null;
    if (fields['KeyFormat'] === 'DER') {
      const ints = derIntegers(fromHex(fields['PrivateKey']!));
      [n, , p, q] = ints as [bigint, bigint, bigint, bigint];
      e = Number(ints[1]);
      const pub = derIntegers(fromHex(fields['PublicKey']!));
      assert.deepEqual(pub, [n, BigInt(e)], 'DER public key matches the private key');
    } else {
      n = BigInt(`0x${fields['Modulus']}`);
      e = Number(BigInt(`0x${fields['PublicExponent']}`));
      p = BigInt(`0x${fields['Prime1']}`);
      q = BigInt(`0x${fields['Prime2']}`);
    }
    groups.push({ name: `${fields['Source']!.slice(0, 60)} ${fields['Comment'] ?? ''}`.trim(), n, e, p, q, tests });
  }
  let message: Uint8Array = new Uint8Array(0);
  let signature: Uint8Array | null = null;
  for (const line of lines) {
    const match = /^(\w+):\s*(.*)$/.exec(line);
    if (!match) continue;
    const [, name, value] = match as unknown as [string, string, string];
    if (name === 'AlgorithmType') {
      flush();
      fields = {};
      tests = [];
      message = new Uint8Array(0);
      signature = null;
    }
    if (name === 'Message') message = value.startsWith('"') ? asciiBytes(value.slice(1, -1)) : fromHex(value);
    else if (name === 'Signature') signature = fromHex(value);
    else if (name === 'Test') tests.push({ test: value, message, signature });
    else fields[name] = value;
  }
  flush();
  return groups;
}

function keyFrom(n: bigint, e: number, hash: EsignHashId): EsignPublicKey {
  const key = decodePublicKey(encodePublicKey({ hash, e: BigInt(e), n, pLen: bitLen(n) / 3 }));
  assert.ok(key, `public key of ${bitLen(n)} bits decodes`);
  return key;
}

function datKey(file: string): EsignSecretKey {
  const [n, e, p, q] = derIntegers(fromHex(readFileSync(join(VECTORS, file), 'latin1').trim())) as [bigint, bigint, bigint, bigint];
  const key = esignSecretKey({ p, q, e: Number(e), hash: ESIGN_HASH.SHA1, seed: SEED });
  assert.equal(key.n, n, `${file}: n = p²q`);
  return key;
}

function flipBit(bytes: Uint8Array, index: number): Uint8Array {
  const out = bytes.slice();
  out[index >> 3]! ^= 0x80 >> (index & 7);
  return out;
}

const haveVectors = existsSync(join(VECTORS, 'esign.txt'));

describe('ESIGN (suite 3): published vectors', function () {
  before(function () {
    if (!haveVectors) this.skip();
  });

  it('esign.txt: every published signature verifies, re-signs from r = s mod pq, and NotVerify fails', function () {
    const groups = parseTestFile(readFileSync(join(VECTORS, 'esign.txt'), 'utf8'));
    assert.equal(groups.length, 4, 'four key groups (Crypto++ 1536-bit, NTT 1152-bit nos. 1-3, 4-6, 7-9)');
    let verified = 0; let resigned = 0; let refused = 0; let consistent = 0;
    for (const group of groups) {
      const key = keyFrom(group.n, group.e, ESIGN_HASH.SHA1);
      const secret = group.p && group.q ? esignSecretKey({ p: group.p, q: group.q, e: group.e, hash: ESIGN_HASH.SHA1, seed: SEED }) : null;
      if (secret) assert.equal(secret.n, group.n, `${group.name}: n = p²q`);
      for (const { test, message, signature } of group.tests) {
        if (test === 'KeyPairValidAndConsistent') {
          assert.ok(secret, `${group.name}: has a private key`);
          assert.ok(isProbablePrime(secret.p, 16, new SeededRandom('mr').source) && isProbablePrime(secret.q, 16, new SeededRandom('mr').source));
          assert.ok(esignVerify(key, message, esignSign(secret, message)), `${group.name}: own signature verifies`);
          consistent++;
          continue;
        }
        assert.ok(signature, `${group.name}: ${test} has a signature`);
        if (test === 'NotVerify') {
          assert.equal(esignVerify(key, message, signature), false, `${group.name}: NotVerify ${toHex(message)}`);
          refused++;
          continue;
        }
        assert.equal(test, 'Verify');
        assert.ok(esignVerify(key, message, signature), `${group.name}: Verify ${toHex(message)}`);
        verified++;
        assert.equal(esignVerify(key, flipBit(message, 3), signature), false, 'tampered message');
        assert.equal(esignVerify(key, message, flipBit(signature, signature.length * 8 - 1)), false, 'tampered signature');
        if (secret) {
          const s = bytesToNumberBE(signature);
          const f = emsa5(ESIGN_HASH.SHA1, message, secret.pLen - 1);
          const again = esignSignWithR(secret, f, s % secret.pq);
          assert.equal(again, s, `${group.name}: re-signing from r = s mod pq gives the published s`);
          resigned++;
        }
      }
    }
    assert.deepEqual({ verified, resigned, refused, consistent }, { verified: 10, resigned: 10, refused: 1, consistent: 4 });
  });

  for (const [file, bits] of [['esig1023.dat', 1023], ['esig1536.dat', 1536], ['esig2046.dat', 2046]] as const) {
    it(`${file}: a ${bits}-bit key with |n| = 3·pLen; SHA-1 and SHA-256 signatures verify, tampered ones do not`, function () {
      const sha1Key = datKey(file);
      assert.equal(bitLen(sha1Key.n), bits);
      assert.equal(3 * sha1Key.pLen, bits);
      for (const key of [sha1Key, esignSecretKey({ ...sha1Key, e: Number(sha1Key.e), hash: ESIGN_HASH.SHA256 })]) {
        const pub = publicKeyOf(key);
        for (const message of [new Uint8Array(0), asciiBytes('test'), new Uint8Array(1000).fill(0xa5)]) {
          const signature = esignSign(key, message);
          assert.equal(signature.length, Math.ceil(bits / 8));
          assert.ok(esignVerify(pub, message, signature), `${file} hash ${key.hash}: verifies`);
          assert.deepEqual(esignSign(key, message), signature, 'deterministic');
          assert.equal(esignVerify(pub, asciiBytes('tesu'), signature), false, 'other message');
          assert.equal(esignVerify(pub, message, flipBit(signature, 20)), false, 'tampered signature');
          assert.equal(esignVerify({ ...pub, hash: key.hash === 1 ? 2 : 1 }, message, signature), false, 'other hash');
        }
      }
    });
  }

  it('esig1536.dat is the key of the Crypto++ vector in esign.txt', function () {
    const key = datKey('esig1536.dat');
    const [group] = parseTestFile(readFileSync(join(VECTORS, 'esign.txt'), 'utf8'));
    assert.equal(group!.n, key.n);
    const verify = group!.tests.find((t) => t.test === 'Verify')!;
    assert.ok(esignVerify(publicKeyOf(key), verify.message, verify.signature!));
  });
});

describe('ESIGN (suite 3): encodings and refusals', function () {
  let key: EsignSecretKey;
  let suiteKey: EsignSecretKey;
  let publicKey: Uint8Array;
  let secretKey: Uint8Array;

  before(function () {
    if (!haveVectors) this.skip();
    key = datKey('esig2046.dat');
    suiteKey = esignSecretKey({ ...key, e: 1024, hash: ESIGN_HASH.SHA256 });
    publicKey = encodePublicKey(suiteKey);
    secretKey = encodeSecretKey(suiteKey);
  });

  it('is registered as suite 3 and by name', function () {
    assert.equal(suiteById(3), esign);
    assert.equal(suiteByName('esign'), esign);
    assert.equal(esign.name, 'ESIGN');
  });

  it('public and secret keys round-trip through their encodings (259 and 209 bytes at 2046 bits)', function () {
    assert.equal(publicKey.length, 259);
    assert.equal(secretKey.length, 209);
    assert.deepEqual(publicKey.subarray(0, 3), Uint8Array.of(2, 0x04, 0x00));
    assert.deepEqual(decodePublicKey(publicKey), publicKeyOf(suiteKey));
    assert.deepEqual(encodeSecretKey(decodeSecretKey(secretKey)), secretKey);
    assert.ok(esign.isPublicKey(publicKey));
    const signature = esign.sign(secretKey, asciiBytes('card data'));
    assert.equal(signature.length, 256);
    assert.ok(esign.verify(publicKey, asciiBytes('card data'), signature));
  });

  it('refuses keys of the wrong shape (isPublicKey false, verify false, no throw)', function () {
    const message = asciiBytes('card data');
    const signature = esign.sign(secretKey, message);
    const n = publicKey.subarray(3);
    const bad: Array<[string, Uint8Array]> = [
      ['empty', new Uint8Array(0)],
      ['header only', publicKey.subarray(0, 3)],
      ['truncated n', publicKey.subarray(0, 200)],
      ['leading zero byte', Uint8Array.of(2, 4, 0, 0, ...n)],
      ['SHA-1 key (vectors only)', Uint8Array.of(1, 4, 0, ...n)],
      ['unknown hash id', Uint8Array.of(9, 4, 0, ...n)],
      ['e = 3', Uint8Array.of(2, 0, 3, ...n)],
      ['even n', Uint8Array.of(...publicKey.subarray(0, 258), publicKey[258]! ^ 1)],
      ['|n| not a multiple of 3', Uint8Array.of(2, 4, 0, 0x7f, ...n.subarray(1))],
      ['|n| below 1536 bits', encodePublicKey(publicKeyOf(datKey('esig1023.dat')))],
      ['an ECDSA key', suiteById(1).generateKeyPair(new SeededRandom('p256').source).publicKey],
    ];
    for (const [what, bytes] of bad) {
      assert.equal(esign.isPublicKey(bytes), false, `isPublicKey: ${what}`);
      assert.equal(esign.verify(bytes, message, signature), false, `verify: ${what}`);
    }
    for (const [what, sig] of [
      ['empty', new Uint8Array(0)], ['short', signature.subarray(1)], ['long', Uint8Array.of(0, ...signature)],
      ['s = n', publicKey.subarray(3)], ['s > n', new Uint8Array(256).fill(0xff)], ['s = 0', new Uint8Array(256)],
    ] as const) {
      assert.equal(esign.verify(publicKey, message, sig), false, `signature ${what}`);
    }
    assert.equal(esign.verify(publicKey, message, 'nope' as unknown as Uint8Array), false);
    assert.equal(esign.verify(null as unknown as Uint8Array, message, signature), false);
  });

  it('refuses malformed secret keys and SHA-1 keys for suite 3', function () {
    assert.throws(() => decodeSecretKey(secretKey.subarray(1)), RangeError);
    assert.throws(() => esign.sign(encodeSecretKey(key), asciiBytes('x')), /SHA-256/);
    assert.throws(() => esignSecretKey({ p: key.p, q: key.p, e: 1024, hash: 2, seed: SEED }), RangeError);
    assert.throws(() => esignSecretKey({ p: key.p, q: key.q, e: 4, hash: 2, seed: SEED }), RangeError);
    assert.throws(() => esignSecretKey({ p: key.p, q: key.q >> 1n, e: 1024, hash: 2, seed: SEED }), RangeError);
  });

  it('ESIGN-D: same key and message give the same signature, other seeds or messages another', function () {
    const message = asciiBytes('usage record 42');
    const one = esignSign(suiteKey, message);
    assert.deepEqual(esignSign(suiteKey, message), one);
    const reseeded = esignSecretKey({ ...suiteKey, e: 1024, seed: new Uint8Array(32).fill(8) });
    const other = esignSign(reseeded, message);
    assert.notDeepEqual(other, one);
    assert.ok(esignVerify(publicKeyOf(suiteKey), message, other));
    // r differs for another message even under one seed (s1 − s2 a multiple of pq would expose pq)
    const r1 = bytesToNumberBE(one) % suiteKey.pq;
    const r2 = bytesToNumberBE(esignSign(suiteKey, asciiBytes('usage record 43'))) % suiteKey.pq;
    assert.notEqual(r1, r2);
  });

  it('IFSP-ESIGN refuses r out of range and r failing the w1 test', function () {
    const f = emsa5(2, asciiBytes('m'), suiteKey.pLen - 1);
    assert.equal(esignSignWithR(suiteKey, f, 0n), null);
    assert.equal(esignSignWithR(suiteKey, f, suiteKey.pq), null);
    assert.equal(esignSignWithR(suiteKey, f, suiteKey.p), null);
    let accepted = 0; let rejected = 0;
    for (let r = 12345n; accepted + rejected < 40; r += 1n << 1000n) {
      const s = esignSignWithR(suiteKey, f, r);
      if (s === null) {
        rejected++;
      } else {
        accepted++;
        assert.ok(esignVerify(publicKeyOf(suiteKey), asciiBytes('m'), numberToBytesBE(s, 256)));
      }
    }
    assert.ok(accepted > 0 && rejected > 0, `w1 test both ways (${accepted} accepted, ${rejected} rejected)`);
  });
});

describe('ESIGN (suite 3): primes and key generation', function () {
  it('MGF1 matches its definition, EMSA5 crops to the bit length', function () {
    const seed = asciiBytes('seed');
    const blocks = [0, 1].map((counter) => sha256(Uint8Array.of(...seed, 0, 0, 0, counter)));
    assert.deepEqual(mgf1(ESIGN_HASH.SHA256, seed, 40), Uint8Array.of(...blocks[0]!, ...blocks[1]!.subarray(0, 8)));
    assert.deepEqual(mgf1(ESIGN_HASH.SHA1, seed, 20), sha1(Uint8Array.of(...seed, 0, 0, 0, 0)));
    const f = emsa5(ESIGN_HASH.SHA256, asciiBytes('x'), 13);
    assert.equal(f, bytesToNumberBE(mgf1(ESIGN_HASH.SHA256, sha256(asciiBytes('x')), 2)) & 0x1fffn);
  });

  it('Miller–Rabin: small primes and composites, Carmichael numbers, a strong pseudoprime to base 2', function () {
    const random = new SeededRandom('mr').source;
    const primes = [2n, 3n, 1999n, 2003n, 7919n, (1n << 127n) - 1n, (1n << 521n) - 1n];
    for (const p of primes) assert.ok(isProbablePrime(p, 20, random), `${p} prime`);
    const composites = [0n, 1n, 4n, 2001n * 2003n, 561n, 41041n, 825265n, 2047n, 3215031751n, ((1n << 127n) - 1n) * ((1n << 61n) - 1n)];
    for (const c of composites) assert.equal(isProbablePrime(c, 20, random), false, `${c} composite`);
    // 2047 = 23·89 is a strong pseudoprime to base 2, and 3215031751 to bases 2, 3, 5, 7
    assert.equal(millerRabinRound(2047n, 1023n, 1, 2n), true);
    assert.equal(millerRabinRound(2047n, 1023n, 1, 3n), false);
    assert.equal(SMALL_PRIMES[0], 3);
    for (let i = 0; i < 200; i++) {
      const x = randomBetween(random, 5n, 9n);
      assert.ok(x >= 5n && x <= 9n);
    }
  });

  it('random primes have exactly the asked length and their top three bits set', function () {
    const random = new SeededRandom('primes').source;
    for (const bits of [64, 100, 341]) {
      const p = randomPrime(bits, random);
      assert.equal(bitLen(p), bits);
      assert.equal(p >> BigInt(bits - 3), 7n);
      assert.ok(isProbablePrime(p, 30, random));
    }
  });

  it('new 1536-bit and default 2046-bit keys: |n| = 3·pLen exactly, SHA-256 round trip', function () {
    this.timeout(300_000);
    const random = new SeededRandom('esign keygen').source;
    const started = Date.now();
    const small = generateEsignKey(random, { modulusBits: 1536 });
    const smallMs = Date.now() - started;
    assert.equal(bitLen(small.n), 1536);
    assert.equal(small.pLen, 512);
    const begun = Date.now();
    const pair = esign.generateKeyPair(random);
    const fullMs = Date.now() - begun;
    const key = decodeSecretKey(pair.secretKey);
    assert.equal(bitLen(key.n), ESIGN_PARAMS.defaultModulusBits);
    assert.equal(3 * key.pLen, bitLen(key.n));
    assert.equal(key.e, 1024n);
    assert.equal(key.hash, ESIGN_HASH.SHA256);
    assert.deepEqual(pair.publicKey, encodePublicKey(key));
    const message = asciiBytes('round trip');
    const t0 = Date.now();
    const signature = esign.sign(pair.secretKey, message);
    const t1 = Date.now();
    let ok = false;
    for (let i = 0; i < 20; i++) ok = esign.verify(pair.publicKey, message, signature);
    const t2 = Date.now();
    assert.ok(ok);
    assert.deepEqual(esign.sign(pair.secretKey, message), signature);
    assert.equal(esign.verify(pair.publicKey, flipBit(message, 0), signature), false);
    assert.ok(esignVerify(publicKeyOf(small), message, esignSign(small, message)));
    console.log(`      keygen 1536 bits ${smallMs} ms, 2046 bits ${fullMs} ms; sign ${t1 - t0} ms; verify ${((t2 - t1) / 20).toFixed(2)} ms`);
  });
});
