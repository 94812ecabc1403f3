// Suite 3, ESIGN (firmware/crypto/esign.ts), engine-neutral: a published P1363a vector (NTT's
// IFSSA-ESIGN-EMSA5 test vector no. 1, SHA-1, 1152 bits, as carried in Crypto++'s esign.txt),
// a round trip and tamper checks under a fixed 2046-bit key (the primes of Crypto++'s
// esig2046.dat, used here with SHA-256 and e = 1024), and a 1536-bit key generation.
import { bitLen, bytesToNumberBE } from '@noble/curves/utils.js';
import {
  decodePublicKey, decodeSecretKey, encodePublicKey, encodeSecretKey, esign, ESIGN_HASH, esignSecretKey, esignSignWithR, esignVerify,
  generateEsignKey, publicKeyOf,
} from '../../firmware/crypto/esign.js';
import { emsa5 } from '../../firmware/crypto/esign/emsa5.js';
import { suiteById } from '../../firmware/crypto/suites.js';
import { asciiBytes, fromHex } from '../../firmware/protocol/bytes.js';
import { SeededRandom } from '../../hal/sim/random.js';
import { equal, ok, rejects, type Scenario } from './scenario.js';

const NTT_1 = Object.freeze({
  p: 'ec8b4bdc9a56ae7b60619814ec45d617246063b5aac39c286f7c82ec2824c245001b678217a7cf178979c7270eb510db',
  q: 'e7b1c3ae3494d0ac7b6868a53a5fe3ba19471437c54b25699e8c348a003e5e1d4c6d244d4f6a78f260c98fc54795a6a3',
  n: 'c5d0b8fac0cc6acc9d52c61200b541f7b4f8ff9f1bda97e0ebf78a3df768ba70ade59306d6ae65655bff7c6a94518c91e43dc0003b6f8730acc244799bdacb1e5070c6ea3089ea83bd5ef0a533adf3d9d63c0e88ce74545cfb21213fc33813fd913c6a6cf84b5adabc7d74751e9945521ac76a790bba95ad48d9d3fb2fbc4b0ed2ddee7d5ea6aa61633eccdac6381fab',
  e: 1024,
  message: '86f28c1cb5e640548309b85dc6e64c1a',
  signature: '348dc9a0943b1e2ba7ef501cbe970a023b37ca4019b9a5cb35ffc3bcdb28dcbd4193d7817d418bbaf291d97a1eeb918a03ee65caa7ad26c24f9ef807c8798ade5b70d7328cd36ac0844bf63f511bb63067e8236d084cf8af68e88155ea94b978aab6bd0339c55d976434423fc779d549779e81f528d028c7343e060544410e528814fb0874417d1eedf38d6db4b97dd6',
});

/** The primes of Crypto++'s esig2046.dat (682 bits each). */
const KEY_2046 = Object.freeze({
  p: '033f9c3f8bddc021503a687bec90438f38ff9c0e4c050dd95e46baca370f478b843611a94bc37b5e838aabfd4eccce757bac967df8a7dd219b3a71a4da64d54ab367622b7eb9b4282e898755f02036e91d2a12c81f41',
  q: '03db3de2ae2b52889148c98d68f2b7606b0e5112e60e6a6ff5fd98e5d74143c000b43bec77082f17c1ef4c82127010b12438d498aafe8521e21ee6391627d464b54d1be31f57fff18c27ec38f08093ea65139a61a2c1',
});

function big(hex: string): bigint {
  return bytesToNumberBE(fromHex(hex));
}

function fixedKeyPair(): { secretKey: Uint8Array; publicKey: Uint8Array } {
  const key = esignSecretKey({ p: big(KEY_2046.p), q: big(KEY_2046.q), e: 1024, hash: ESIGN_HASH.SHA256, seed: new Uint8Array(32).fill(0x5a) });
  return { secretKey: encodeSecretKey(key), publicKey: encodePublicKey(key) };
}

function flipped(bytes: Uint8Array, index: number): Uint8Array {
  const out = bytes.slice();
  out[index] = out[index]! ^ 0x01;
  return out;
}

export const esignScenarios: Scenario[] = [
  {
    name: 'ESIGN: published P1363a vector (NTT no. 1, SHA-1, 1152 bits) verifies and re-signs from r = s mod pq',
    run() {
      const key = esignSecretKey({ p: big(NTT_1.p), q: big(NTT_1.q), e: NTT_1.e, hash: ESIGN_HASH.SHA1, seed: new Uint8Array(32) });
      equal(key.n, big(NTT_1.n), 'n = p²q');
      const publicKey = decodePublicKey(encodePublicKey(publicKeyOf(key)));
      ok(publicKey, 'the 1152-bit SHA-1 key decodes for the primitive');
      const message = fromHex(NTT_1.message);
      const signature = fromHex(NTT_1.signature);
      ok(esignVerify(publicKey, message, signature), 'published signature verifies');
      ok(!esignVerify(publicKey, flipped(message, 0), signature), 'tampered message fails');
      ok(!esignVerify(publicKey, message, flipped(signature, 100)), 'tampered signature fails');
      const s = big(NTT_1.signature);
      equal(esignSignWithR(key, emsa5(ESIGN_HASH.SHA1, message, key.pLen - 1), s % key.pq), s, 'IFSP-ESIGN with the same r');
      equal(esign.isPublicKey(encodePublicKey(publicKeyOf(key))), false, 'suite 3 refuses SHA-1 and 1152-bit keys');
    },
  },
  {
    name: 'ESIGN: suite 3 signs and verifies with a fixed 2046-bit SHA-256 key, deterministically',
    run() {
      const suite = suiteById(3);
      const { secretKey, publicKey } = fixedKeyPair();
      equal(publicKey.length, 259, 'public key bytes');
      ok(suite.isPublicKey(publicKey), 'isPublicKey');
      const message = asciiBytes('Nt 12345678, IDU, expiry, C, SA2');
      const signature = suite.sign(secretKey, message);
      equal(signature.length, 256, 'signature bytes');
      ok(suite.verify(publicKey, message, signature), 'verifies');
      equal(suite.sign(secretKey, message), signature, 'same key and message, same signature');
    },
  },
  {
    name: 'ESIGN: tampered message, signature or key fails; malformed input gives false',
    run() {
      const { secretKey, publicKey } = fixedKeyPair();
      const message = asciiBytes('usage record');
      const signature = esign.sign(secretKey, message);
      ok(!esign.verify(publicKey, flipped(message, 3), signature), 'message');
      ok(!esign.verify(publicKey, message, flipped(signature, 255)), 'signature, last byte');
      ok(!esign.verify(publicKey, message, flipped(signature, 0)), 'signature, first byte');
      ok(!esign.verify(flipped(publicKey, 100), message, signature), 'public key');
      ok(!esign.verify(publicKey, message, signature.subarray(1)), 'short signature');
      ok(!esign.verify(publicKey.subarray(0, 100), message, signature), 'short key');
      ok(!esign.isPublicKey(publicKey.subarray(0, 100)), 'short key is no key');
      ok(!esign.verify(publicKey, message, new Uint8Array(256).fill(0xff)), 's ≥ n');
    },
  },
  {
    name: 'ESIGN: key lengths come from the encoded bytes: pLen 682 for 2046 bits, 384 for 1152; a modulus or prime a bit short is refused',
    async run() {
      const { secretKey, publicKey } = fixedKeyPair();
      const decoded = decodePublicKey(publicKey);
      ok(decoded, '2046-bit key decodes');
      equal(decoded.pLen, 682, 'pLen of the 2046-bit modulus');
      equal(decoded.n, big(KEY_2046.p) ** 2n * big(KEY_2046.q), 'n = p²q');
      const secret = decodeSecretKey(secretKey);
      equal([secret.pLen, secret.p, secret.q, secret.n], [682, big(KEY_2046.p), big(KEY_2046.q), decoded.n], 'secret key: pLen, p, q, n');
      const ntt = esignSecretKey({ p: big(NTT_1.p), q: big(NTT_1.q), e: NTT_1.e, hash: ESIGN_HASH.SHA1, seed: new Uint8Array(32) });
      equal(decodePublicKey(encodePublicKey(ntt))?.pLen, 384, 'pLen of the 1152-bit modulus');
      // the top byte of a 2046-bit n holds 6 bits (0x20-0x3f): one bit less is 2045 bits, not 3·pLen
      const shorter = publicKey.slice();
      shorter[3] = shorter[3]! >> 1;
      equal(decodePublicKey(shorter), null, '2045-bit modulus');
      const even = publicKey.slice();
      even[even.length - 1] = even[even.length - 1]! & 0xfe;
      equal(decodePublicKey(even), null, 'even modulus');
      // p and q take 86 bytes each, their top byte 2 bits (0x02-0x03): 0x01 leaves 681 bits
      const shortP = secretKey.slice();
      shortP[5] = 0x01;
      await rejects(() => decodeSecretKey(shortP), /p does not have pLen bits/, 'p of pLen − 1 bits');
      const shortQ = secretKey.slice();
      shortQ[5 + 86] = 0x01;
      await rejects(() => decodeSecretKey(shortQ), /p and q must be distinct odd numbers of pLen bits/, 'q of pLen − 1 bits');
      await rejects(() => esignSecretKey({ p: big(KEY_2046.p), q: big(KEY_2046.q) >> 1n, e: 1024, hash: ESIGN_HASH.SHA256, seed: new Uint8Array(32) }), /pLen bits/, 'q one bit short');
    },
  },
  {
    name: 'ESIGN: a new 1536-bit key has |n| = 3·pLen and signs',
    run() {
      const key = generateEsignKey(new SeededRandom('esign scenario key').source, { modulusBits: 1536 });
      equal(bitLen(key.n), 1536, '|n|');
      equal(key.pLen, 512, 'pLen');
      const message = asciiBytes('new key');
      const publicKey = encodePublicKey(key);
      ok(esign.isPublicKey(publicKey), 'suite 3 accepts it');
      ok(esign.verify(publicKey, message, esign.sign(encodeSecretKey(key), message)), 'round trip');
    },
  },
];
