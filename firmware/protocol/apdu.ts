// Command and response APDUs, short form only (ISO/IEC 7816-4 §5.1 cases 1 to 4).
import { concatBytes, toHex } from './bytes.js';
import { describeStatus, SW } from './status-words.js';

export class ApduError extends Error {
  override name = 'ApduError';
}

export interface CommandApdu {
  readonly cla: number;
  readonly ins: number;
  readonly p1: number;
  readonly p2: number;
  readonly data: Uint8Array;
  /** Expected response length; 256 when Le was 00; null when absent (cases 1 and 3). */
  readonly le: number | null;
}

export function command(cla: number, ins: number, p1: number, p2: number, data: Uint8Array = new Uint8Array(0), le: number | null = null): CommandApdu {
  return { cla, ins, p1, p2, data, le };
}

/** The short APDU's bytes (header, Lc and data when there is data, Le when given), in one buffer. */
export function encodeCommand(apdu: CommandApdu): Uint8Array {
  const length = apdu.data.length;
  if (length > 255) throw new ApduError(`command data of ${length} bytes needs extended length`);
  if (apdu.le !== null && (apdu.le < 1 || apdu.le > 256)) throw new ApduError(`Le ${apdu.le} out of range`);
  const out = new Uint8Array(4 + (length > 0 ? 1 + length : 0) + (apdu.le === null ? 0 : 1));
  out[0] = apdu.cla;
  out[1] = apdu.ins;
  out[2] = apdu.p1;
  out[3] = apdu.p2;
  if (length > 0) {
    out[4] = length;
    out.set(apdu.data, 5);
  }
  if (apdu.le !== null) out[out.length - 1] = apdu.le & 0xff;
  return out;
}

/**
 * Parses a short command APDU. Throws ApduError with the status word the card should answer
 * (`6700` for every length inconsistency).
 */
export function parseCommand(bytes: Uint8Array): CommandApdu {
  if (bytes.length < 4) throw new ApduStatusError(SW.WRONG_LENGTH, `APDU of ${bytes.length} bytes is shorter than a header`);
  const [cla, ins, p1, p2] = bytes as unknown as [number, number, number, number];
  if (bytes.length === 4) return { cla, ins, p1, p2, data: new Uint8Array(0), le: null };
  if (bytes.length === 5) return { cla, ins, p1, p2, data: new Uint8Array(0), le: bytes[4] || 256 };
  const lc = bytes[4]!;
  if (lc === 0) throw new ApduStatusError(SW.WRONG_LENGTH, 'extended length APDUs are not supported');
  if (bytes.length === 5 + lc) return { cla, ins, p1, p2, data: bytes.slice(5, 5 + lc), le: null };
  if (bytes.length === 6 + lc) return { cla, ins, p1, p2, data: bytes.slice(5, 5 + lc), le: bytes[5 + lc] || 256 };
  throw new ApduStatusError(SW.WRONG_LENGTH, `Lc says ${lc} data bytes, APDU has ${bytes.length - 5} after the header`);
}

/** An error that carries the status word to answer with. */
export class ApduStatusError extends ApduError {
  constructor(readonly sw: number, message: string) {
    super(message);
  }
}

export interface ResponseApdu {
  readonly data: Uint8Array;
  readonly sw: number;
}

/** A response with a status word and no data. */
export function statusOnly(sw: number): ResponseApdu {
  return { data: new Uint8Array(0), sw };
}

export function encodeResponse(response: ResponseApdu): Uint8Array {
  return concatBytes(response.data, Uint8Array.of(response.sw >> 8, response.sw & 0xff));
}

export function parseResponse(bytes: Uint8Array): ResponseApdu {
  if (bytes.length < 2) throw new ApduError(`response of ${bytes.length} bytes has no status word`);
  const n = bytes.length;
  return { data: bytes.slice(0, n - 2), sw: (bytes[n - 2]! << 8) | bytes[n - 1]! };
}

export function describeCommand(apdu: CommandApdu): string {
  return toHex(encodeCommand(apdu));
}

/** Thrown by the terminal when a card answers with a status word the flow did not expect. */
export class UnexpectedStatusError extends Error {
  override name = 'UnexpectedStatusError';
  constructor(readonly step: string, readonly sw: number) {
    super(`${step}: card answered ${describeStatus(sw)}`);
  }
}
