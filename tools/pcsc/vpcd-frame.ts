// The vpcd wire format (vsmartcard's virtual PC/SC reader driver, Debian package vsmartcard-vpcd):
// every message in either direction is a 2-byte big-endian length, then that many bytes. From
// vpcd to the card, a 1-byte payload is a control code (power off, power on, reset, get ATR);
// a longer one is a command APDU. The card answers get-ATR with the ATR and each APDU with the
// response APDU, in the same framing; it answers nothing to the other control codes.
// Engine-neutral (Uint8Array only), so it can be tested byte by byte and reused anywhere.
import { concatBytes, readUint16, uint16 } from '../../firmware/protocol/bytes.js';

export const VPCD_DEFAULT_PORT = 35963;
/** The largest payload the 2-byte length can announce. */
export const VPCD_MAX_PAYLOAD = 0xffff;

export const VPCD_CONTROL = Object.freeze({ powerOff: 0, powerOn: 1, reset: 2, getAtr: 4 });

export type VpcdMessage =
  | { readonly kind: 'power-off' }
  | { readonly kind: 'power-on' }
  | { readonly kind: 'reset' }
  | { readonly kind: 'get-atr' }
  /** A 1-byte payload that is none of the four codes: reported, never fatal. */
  | { readonly kind: 'unknown-control'; readonly code: number }
  /** A zero-length frame: vpcd never sends one; reported so a log can show it. */
  | { readonly kind: 'empty' }
  | { readonly kind: 'apdu'; readonly apdu: Uint8Array };

const CONTROL_KINDS: Readonly<Record<number, VpcdMessage>> = Object.freeze({
  [VPCD_CONTROL.powerOff]: { kind: 'power-off' },
  [VPCD_CONTROL.powerOn]: { kind: 'power-on' },
  [VPCD_CONTROL.reset]: { kind: 'reset' },
  [VPCD_CONTROL.getAtr]: { kind: 'get-atr' },
});

function decodePayload(payload: Uint8Array): VpcdMessage {
  if (payload.length === 0) return { kind: 'empty' };
  if (payload.length === 1) return CONTROL_KINDS[payload[0]!] ?? { kind: 'unknown-control', code: payload[0]! };
  return { kind: 'apdu', apdu: payload };
}

/** One frame: length prefix and payload in a single buffer, so the card answers in one write. */
export function encodeVpcdFrame(payload: Uint8Array): Uint8Array {
  if (payload.length > VPCD_MAX_PAYLOAD) throw new RangeError(`vpcd frame payload of ${payload.length} bytes exceeds ${VPCD_MAX_PAYLOAD}`);
  return concatBytes(uint16(payload.length), payload);
}

/**
 * Reassembles frames from a byte stream cut anywhere: a length split over two reads, a payload
 * over many, several frames in one read. Feed each chunk to push(); it returns the whole
 * messages completed so far, in order.
 */
export class VpcdFrameReader {
  #buffer = new Uint8Array(0);

  /** Bytes received that do not yet make a whole frame. */
  get pending(): number {
    return this.#buffer.length;
  }

  push(chunk: Uint8Array): VpcdMessage[] {
    let buffer = this.#buffer.length === 0 ? chunk : concatBytes(this.#buffer, chunk);
    const messages: VpcdMessage[] = [];
    while (buffer.length >= 2) {
      const length = readUint16(buffer);
      if (buffer.length < 2 + length) break;
      messages.push(decodePayload(buffer.slice(2, 2 + length)));
      buffer = buffer.subarray(2 + length);
    }
    this.#buffer = buffer.slice();
    return messages;
  }

  /** The stream ended: describes a frame cut short, or null if the stream ended between frames. */
  end(): string | null {
    const pending = this.#buffer;
    this.#buffer = new Uint8Array(0);
    if (pending.length === 0) return null;
    if (pending.length === 1) return 'stream ended inside a frame length (1 of 2 bytes)';
    const length = readUint16(pending);
    return `stream ended inside a frame: ${pending.length - 2} of ${length} payload bytes`;
  }
}
