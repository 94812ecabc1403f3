// Numbers a person types on the keypad: registration number Nt, setting number Ns, PIN Nc.
// They cross the card line as ASCII digits, one byte per digit, so a trace reads as typed.
import { asciiBytes, asciiText } from './bytes.js';

export const DIGIT_RULES = Object.freeze({
  registrationNumber: Object.freeze({ label: 'registration number (Nt)', min: 8, max: 16 }),
  settingNumber: Object.freeze({ label: 'setting number (Ns)', min: 4, max: 12 }),
  pin: Object.freeze({ label: 'PIN (Nc)', min: 4, max: 8 }),
} as const);

export type DigitKind = keyof typeof DIGIT_RULES;

/** Whether every character is an ASCII digit 0-9 (true for ""); a loop, not a regex compiled per call. */
export function isDecimalDigits(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x30 || code > 0x39) return false;
  }
  return true;
}

/** Returns null when valid, else a message a person can act on. */
export function digitProblem(kind: DigitKind, digits: string): string | null {
  const rule = DIGIT_RULES[kind];
  if (!isDecimalDigits(digits)) return `${rule.label} must be decimal digits only`;
  if (digits.length < rule.min || digits.length > rule.max) {
    return `${rule.label} must be ${rule.min} to ${rule.max} digits, got ${digits.length}`;
  }
  return null;
}

export function checkDigits(kind: DigitKind, digits: string): string {
  const problem = digitProblem(kind, digits);
  if (problem) throw new RangeError(problem);
  return digits;
}

export function encodeDigits(kind: DigitKind, digits: string): Uint8Array {
  return asciiBytes(checkDigits(kind, digits));
}

/** Decodes digits from the card line; returns null for anything malformed. */
export function decodeDigits(kind: DigitKind, bytes: Uint8Array): string | null {
  let text: string;
  try {
    text = asciiText(bytes);
  } catch {
    return null;
  }
  return digitProblem(kind, text) === null ? text : null;
}
