// Bytes an operator hands the centre as text: a JSON file of the issuer's tools, whose field
// `field` holds them in hex (other fields are not read), or the hex itself.
import { fromHex } from '../firmware/protocol/bytes.js';
import { CentreError, type Refusal } from './errors.js';

/** The bytes in `text`; CentreError `refusal` for bad JSON, a missing field or non-hex, `hint` saying where they are. */
export function bytesFromText(text: string, field: string, refusal: Refusal, hint: string): Uint8Array {
  const trimmed = text.trim();
  let hex = trimmed;
  if (trimmed.startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(trimmed);
    } catch (error) {
      throw new CentreError(refusal, `not valid JSON: ${(error as Error).message}`);
    }
    const value = (json as Record<string, unknown>)[field];
    if (typeof value !== 'string') throw new CentreError(refusal, `the JSON has no "${field}" (${hint})`);
    hex = value;
  }
  try {
    return fromHex(hex);
  } catch {
    throw new CentreError(refusal, `"${field}" is not hex`);
  }
}
