// `npm run atr -- 3B 9F 96 80 1F ...`: parses an answer to reset given in hex (spaces, colons or
// none) and prints it as JSON (firmware/iso7816/atr.ts describeAtr), to compare with other tools
// such as pcsc-tools' ATR_analysis. Exit status: 0 valid, 1 malformed ATR (JSON still printed,
// with its problems), 2 bad usage.
import { describeAtr, parseAtr } from '../../firmware/iso7816/atr.js';
import { fromHex } from '../../firmware/protocol/bytes.js';

const USAGE = 'usage: npm run atr -- <ATR in hex, e.g. "3B 8A 80 01 49 43 43 52 ...">  [--compact]';

function main(argv: readonly string[]): number {
  const compact = argv.includes('--compact');
  const words = argv.filter((arg) => arg !== '--compact');
  if (words.length === 0 || words.includes('--help') || words.includes('-h')) {
    process.stderr.write(`${USAGE}\n`);
    return words.length === 0 ? 2 : 0;
  }
  let bytes: Uint8Array;
  try {
    bytes = fromHex(words.join(''));
  } catch (error) {
    process.stderr.write(`atr: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const atr = parseAtr(bytes);
  process.stdout.write(`${JSON.stringify(describeAtr(atr), null, compact ? undefined : 2)}\n`);
  return atr.valid ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
