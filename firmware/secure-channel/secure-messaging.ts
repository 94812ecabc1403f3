// Secure messaging on the card contacts ([0021]): GlobalPlatform SCP03's wrapping (Card
// Specification v2.3 Amendment D v1.2 §6.2) with the session keys SCP11 agrees (scp11.ts).
// Command data is encrypted (AES-CBC, ICV = E(S-ENC, counter)) and MACed with the header
// (C-MAC, AES-CMAC chained from the last C-MAC); response data is encrypted (ICV =
// E(S-ENC, 80 ‖ counter)) and MACed with its status word (R-MAC). The counter and the MAC chain
// make a replayed, dropped or reordered command fail its MAC.
//
// Where SCP03 leaves a choice, this profile takes: AES-128; every command of a session is wrapped
// and counted; Lc in the MAC input is one byte up to 255 and 00 ‖ two bytes past it (a wrapped
// command may be sent as a chain, ISO/IEC 7816-4 §5.1.1.1); successful and warning answers
// (9000, 62xx, 63xx) carry an R-MAC, errors carry only their status word, as SCP03 does, so a
// man in the middle can turn an answer into an error but never an error into a success.
import { AES } from '../crypto/aes.js';
import type { CommandApdu, ResponseApdu } from '../protocol/apdu.js';
import { concatBytes, constantTimeEqual } from '../protocol/bytes.js';

/** ISO/IEC 7816-4 §5.4.1: CLA bit b3, "proprietary secure messaging", as GlobalPlatform sets it. */
export const SECURE_MESSAGING_CLA_BIT = 0x04;
/** Bytes of a C-MAC or R-MAC on the line (SCP03: the 8 leftmost of the 16-byte CMAC). */
export const MAC_BYTES = 8;
const BLOCK_BYTES = 16;
const RESPONSE_ICV_MARKER = 0x80;
const PADDING_MARKER = 0x80;

/** The three session keys of SCP03 §6.2.1, 16 bytes each. */
export interface SessionKeys {
  readonly encryption: Uint8Array; // S-ENC
  readonly mac: Uint8Array; // S-MAC
  readonly responseMac: Uint8Array; // S-RMAC
}

/** A wrapped command or answer that does not check out: a bad MAC, padding or length. */
export class SecureMessagingError extends Error {
  override name = 'SecureMessagingError';
}

/** SCP03 §6.2.6: answers that carry an R-MAC; every other status word comes alone. */
export function isProtectedStatus(sw: number): boolean {
  return sw === 0x9000 || sw >> 8 === 0x62 || sw >> 8 === 0x63;
}

/** ISO/IEC 9797-1 padding method 2: 80, then 00 to a multiple of 16 bytes. */
function pad(data: Uint8Array): Uint8Array {
  const out = new Uint8Array((Math.floor(data.length / BLOCK_BYTES) + 1) * BLOCK_BYTES);
  out.set(data);
  out[data.length] = PADDING_MARKER;
  return out;
}

function unpad(data: Uint8Array): Uint8Array {
  let end = data.length - 1;
  while (end >= 0 && data[end] === 0) end--;
  if (end < 0 || data[end] !== PADDING_MARKER || data.length - end > BLOCK_BYTES) throw new SecureMessagingError('wrong padding in the decrypted data');
  return data.subarray(0, end);
}

/** The counter as the 16-byte block whose encryption is the ICV (SCP03 §6.2.6, §6.2.7). */
function icv(key: Uint8Array, counter: number, response: boolean): Uint8Array {
  const block = new Uint8Array(BLOCK_BYTES);
  if (response) block[0] = RESPONSE_ICV_MARKER;
  for (let i = BLOCK_BYTES - 1, rest = counter; rest > 0; i--, rest = Math.floor(rest / 256)) block[i] = rest % 256;
  return AES.encryptBlock(key, block);
}

function encrypt(keys: SessionKeys, counter: number, response: boolean, data: Uint8Array): Uint8Array {
  return data.length === 0 ? data : AES.cbcEncrypt(keys.encryption, icv(keys.encryption, counter, response), pad(data));
}

function decrypt(keys: SessionKeys, counter: number, response: boolean, data: Uint8Array): Uint8Array {
  if (data.length === 0) return data;
  if (data.length % BLOCK_BYTES !== 0) throw new SecureMessagingError(`encrypted data of ${data.length} bytes is not whole AES blocks`);
  return unpad(AES.cbcDecrypt(keys.encryption, icv(keys.encryption, counter, response), data));
}

/** Lc as the MAC input carries it: one byte, or 00 ‖ two bytes past 255. */
function lengthField(length: number): Uint8Array {
  return length <= 0xff ? Uint8Array.of(length) : Uint8Array.of(0, length >> 8, length & 0xff);
}

/** The C-MAC input after the chaining value: header with the SM bit, Lc, encrypted data. */
function commandMacInput(apdu: CommandApdu, cla: number, encrypted: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(cla, apdu.ins, apdu.p1, apdu.p2), lengthField(encrypted.length + MAC_BYTES), encrypted);
}

function responseMac(keys: SessionKeys, chain: Uint8Array, encrypted: Uint8Array, sw: number): Uint8Array {
  return AES.cmac(keys.responseMac, concatBytes(chain, encrypted, Uint8Array.of(sw >> 8, sw & 0xff))).subarray(0, MAC_BYTES);
}

/** One end's state: the keys, the MAC chaining value and the encryption counter. */
interface ChannelState {
  readonly keys: SessionKeys;
  chain: Uint8Array;
  counter: number;
}

function channelState(keys: SessionKeys, initialChain: Uint8Array): ChannelState {
  for (const key of [keys.encryption, keys.mac, keys.responseMac]) {
    if (key.length !== BLOCK_BYTES) throw new RangeError(`session keys must be ${BLOCK_BYTES} bytes`);
  }
  if (initialChain.length !== BLOCK_BYTES) throw new RangeError(`the MAC chaining value must be ${BLOCK_BYTES} bytes`);
  return { keys, chain: initialChain.slice(), counter: 0 };
}

/**
 * The terminal's end of an open channel: wrap() each command, unwrap() its answer, in order.
 * `initialChain` is the 16-byte receipt of the key agreement (SCP11 §3.1.2).
 */
export class TerminalSecureMessaging {
  #state: ChannelState;

  constructor(keys: SessionKeys, initialChain: Uint8Array) {
    this.#state = channelState(keys, initialChain);
  }

  /** Commands wrapped so far (the encryption counter of the last one). */
  get counter(): number {
    return this.#state.counter;
  }

  /** The command with encrypted data, C-MAC appended, CLA's SM bit set and Le 00 for the R-MAC. */
  wrap(apdu: CommandApdu): CommandApdu {
    const state = this.#state;
    state.counter++;
    const cla = apdu.cla | SECURE_MESSAGING_CLA_BIT;
    const encrypted = encrypt(state.keys, state.counter, false, apdu.data);
    state.chain = AES.cmac(state.keys.mac, concatBytes(state.chain, commandMacInput(apdu, cla, encrypted)));
    return { cla, ins: apdu.ins, p1: apdu.p1, p2: apdu.p2, data: concatBytes(encrypted, state.chain.subarray(0, MAC_BYTES)), le: 256 };
  }

  /**
   * The answer to the last wrap(), R-MAC checked and data decrypted. An error status word comes
   * back as it is (it has no data to trust). Throws SecureMessagingError on a missing or wrong
   * R-MAC, a wrong padding, or data on an error status.
   */
  unwrap(response: ResponseApdu): ResponseApdu {
    if (!isProtectedStatus(response.sw)) {
      if (response.data.length > 0) throw new SecureMessagingError(`status ${response.sw.toString(16)} came with data but no R-MAC`);
      return response;
    }
    if (response.data.length < MAC_BYTES) throw new SecureMessagingError(`answer ${response.sw.toString(16)} has no R-MAC`);
    const encrypted = response.data.subarray(0, response.data.length - MAC_BYTES);
    const mac = response.data.subarray(response.data.length - MAC_BYTES);
    const state = this.#state;
    if (!constantTimeEqual(mac, responseMac(state.keys, state.chain, encrypted, response.sw))) throw new SecureMessagingError('wrong R-MAC');
    return { data: decrypt(state.keys, state.counter, true, encrypted).slice(), sw: response.sw };
  }
}

/**
 * The card's end: unwrap() each command, wrap() its answer. After a SecureMessagingError the
 * card closes the channel and answers 6982 (SCP03 §6.2.4), so nothing is tried twice.
 */
export class CardSecureMessaging {
  #state: ChannelState;

  constructor(keys: SessionKeys, initialChain: Uint8Array) {
    this.#state = channelState(keys, initialChain);
  }

  /** The command as the terminal gave it, SM bit cleared; throws SecureMessagingError when it does not check out. */
  unwrap(apdu: CommandApdu): CommandApdu {
    const state = this.#state;
    state.counter++;
    if ((apdu.cla & SECURE_MESSAGING_CLA_BIT) === 0) throw new SecureMessagingError('command without secure messaging in a secure channel');
    if (apdu.data.length < MAC_BYTES) throw new SecureMessagingError('command has no C-MAC');
    const encrypted = apdu.data.subarray(0, apdu.data.length - MAC_BYTES);
    const chain = AES.cmac(state.keys.mac, concatBytes(state.chain, commandMacInput(apdu, apdu.cla, encrypted)));
    if (!constantTimeEqual(apdu.data.subarray(apdu.data.length - MAC_BYTES), chain.subarray(0, MAC_BYTES))) throw new SecureMessagingError('wrong C-MAC');
    state.chain = chain;
    const data = decrypt(state.keys, state.counter, false, encrypted).slice();
    return { cla: apdu.cla & ~SECURE_MESSAGING_CLA_BIT, ins: apdu.ins, p1: apdu.p1, p2: apdu.p2, data, le: apdu.le };
  }

  /** The answer to the last unwrap(): data encrypted and R-MAC appended, or the bare error status word. */
  wrap(response: ResponseApdu): ResponseApdu {
    if (!isProtectedStatus(response.sw)) return { data: new Uint8Array(0), sw: response.sw };
    const state = this.#state;
    const encrypted = encrypt(state.keys, state.counter, true, response.data);
    return { data: concatBytes(encrypted, responseMac(state.keys, state.chain, encrypted, response.sw)), sw: response.sw };
  }
}
