// ATR structure (ISO/IEC 7816-3 §8.2): T0 and the TD chain say where the historical bytes and TCK
// are; the total length is only checked against them, never used to guess where a field is.
import { expectedAtrLength, parseAtr } from '../../firmware/iso7816/atr.js';
import { fromHex } from '../../firmware/protocol/bytes.js';
import { answerToReset } from '../../card/atr.js';
import { equal, type Scenario } from './scenario.js';

/** The parts of a parse these scenarios pin down. */
function shape(hex: string): { historical: string; tck: unknown; problems: readonly string[]; valid: boolean; expectedLength: number | null } {
  const bytes = fromHex(hex);
  const atr = parseAtr(bytes);
  return {
    historical: Array.from(atr.historical, (b) => b.toString(16).toUpperCase().padStart(2, '0')).join(''),
    tck: atr.tck,
    problems: atr.problems,
    valid: atr.valid,
    expectedLength: expectedAtrLength(bytes),
  };
}

export const atrScenarios: Scenario[] = [
  {
    name: 'ATR structure: TCK follows T0 and the TD chain, so bytes after it are named, not taken for TCK',
    run() {
      // TD1 80 (T=0), TD2 01 (T=1): TCK required; 4 historical bytes, TCK 36, then 90 00.
      equal(shape('3B 84 80 01 01 11 20 03 36 90 00'), {
        historical: '01112003',
        tck: { present: true, required: true, value: 0x36, valid: true },
        problems: ['2 byte(s) after the TCK, where the ATR should end'],
        valid: false,
        expectedLength: 9,
      }, 'two stray bytes after a valid TCK');
      equal(shape('3B 84 80 01 01 11 20 03 36'), {
        historical: '01112003', tck: { present: true, required: true, value: 0x36, valid: true }, problems: [], valid: true, expectedLength: 9,
      }, 'the same ATR without them is well formed');
      // The checksum covers T0..TCK only: a stray byte equal to TCK would cancel it if it counted.
      equal(shape('3B 84 80 01 01 11 20 03 36 36').tck, { present: true, required: true, value: 0x36, valid: true }, 'stray bytes are not in the checksum');
      equal(shape('3B 80 01 81 AA BB'), {
        historical: '', tck: { present: true, required: true, value: 0x81, valid: true },
        problems: ['2 byte(s) after the TCK, where the ATR should end'], valid: false, expectedLength: 4,
      }, 'K = 0 with T=1: TCK right after the interface bytes');
      equal(shape('3B 80 01 00 81').problems, ['1 byte(s) after the TCK, where the ATR should end', 'TCK 00 is wrong: XOR of T0..TCK is 81, not 00'],
        'a wrong TCK stays wrong even when a later byte makes the XOR of all bytes zero');
    },
  },
  {
    name: 'ATR structure: only T=0 means no TCK; a byte after the historical bytes is stray, not a TCK',
    run() {
      equal(shape('3B 02 14 50'), {
        historical: '1450', tck: { present: false, required: false, value: null, valid: null }, problems: [], valid: true, expectedLength: 4,
      }, 'T=0 by default');
      equal(shape('3B 02 14 50 11'), {
        historical: '1450', tck: { present: false, required: false, value: null, valid: null },
        problems: ['1 byte(s) after the 2 historical bytes, where the ATR should end (only T=0 is offered: no TCK)'], valid: false, expectedLength: 4,
      }, 'one byte too many');
      equal(shape('3B 80 00 11 22').problems, ['2 byte(s) after the 0 historical bytes, where the ATR should end (only T=0 is offered: no TCK)'], 'T=0 announced by TD1');
      // T=15 alone still asks for TCK (§8.2.5: "in all the other cases, TCK shall be present").
      equal(shape('3B 80 0F 8F').tck, { present: true, required: true, value: 0x8f, valid: true }, 'T=15 global bytes need TCK');
    },
  },
  {
    name: 'ATR structure: truncated ATRs are reported by what is missing, never re-read from the length',
    run() {
      equal(shape('3B 84 80 01 01 11'), {
        historical: '0111', tck: { present: false, required: true, value: null, valid: null },
        problems: ['4 historical bytes announced, 2 present', 'TCK missing: a protocol other than T=0 is offered'], valid: false, expectedLength: 9,
      }, 'historical bytes cut short: the last byte is a historical byte, not TCK');
      equal(shape('3B 84 80 01 01 11 20 03'), {
        historical: '01112003', tck: { present: false, required: true, value: null, valid: null },
        problems: ['TCK missing: a protocol other than T=0 is offered'], valid: false, expectedLength: 9,
      }, 'only the TCK missing');
      equal(shape('3B 94 96 80'), {
        historical: '', tck: { present: false, required: false, value: null, valid: null },
        problems: ['TD2 announced but the ATR ends', '4 historical bytes announced, 0 present'], valid: false, expectedLength: null,
      }, 'interface bytes cut short');
      equal(shape('3B'), {
        historical: '', tck: { present: false, required: false, value: null, valid: null }, problems: ['T0 missing'], valid: false, expectedLength: null,
      }, 'TS alone');
    },
  },
  {
    name: 'ATR structure: the card\'s own ATR ends exactly where its T0 and TD chain say',
    run() {
      const atr = answerToReset();
      equal(expectedAtrLength(atr), atr.length, 'expected length');
      equal(parseAtr(atr).valid, true, 'well formed');
      equal(parseAtr(Uint8Array.from([...atr, 0x00])).problems, ['1 byte(s) after the TCK, where the ATR should end'], 'one byte more is named');
    },
  },
];
