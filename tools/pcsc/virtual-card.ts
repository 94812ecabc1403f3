// npm run virtual-card -- --card FILE.card.json: puts a card image into vpcd's virtual reader,
// so pcscd and every PC/SC tool (opensc-tool, scriptor, the simulator's --reader pcsc) talk to
// the card application as to a card in a real reader. Writes to the card go back to the file.
import { parseArgs } from 'node:util';
import { CardImageError } from '../../card/image.js';
import { FileFormatError } from '../../issuer/files.js';
import { openCardFile, type CardFile } from './card-file.js';
import { quickAckAvailable, quickAckMissingReason } from './quickack.js';
import { VpcdCard, type LatencyMode } from './vpcd-card.js';
import { VPCD_DEFAULT_PORT } from './vpcd-frame.js';

const HELP = `Usage: npm run virtual-card -- --card FILE.card.json [options]

Serves a card image (from the issuer or the simulator's data folder, e.g. sim-data/cards/alice.card.json)
as a virtual card to pcscd through vsmartcard's vpcd driver (Debian: apt install pcscd vsmartcard-vpcd).
vpcd listens; this program connects to it, which puts the card into reader "Virtual PCD 00 00"
(port 35963; "Virtual PCD 00 01" is port 35964). It reconnects whenever pcscd restarts.
Changes the card makes to its memory (PIN, try counters) are saved to the file at once.

Options:
  --card FILE      the card image (format icc-card-image/1); required
  --port N         vpcd's TCP port (default ${VPCD_DEFAULT_PORT})
  --host H         vpcd's host (default 127.0.0.1)
  --latency MODE   quickack (default when built) | nodelay | none: how the card side avoids
                   vpcd's 40 ms delayed-ACK stall per command (see README)
  --help           this text

Stop it with Ctrl-C (the card leaves the reader).`;

function fail(message: string): never {
  process.stderr.write(`virtual-card: ${message}\n`);
  process.exit(2);
}

const OPTIONS = {
  card: { type: 'string' },
  port: { type: 'string', default: String(VPCD_DEFAULT_PORT) },
  host: { type: 'string', default: '127.0.0.1' },
  latency: { type: 'string' },
  help: { type: 'boolean', default: false },
} as const;

/** The command line, or the usage and exit 2 when it does not parse. */
function commandLine() {
  try {
    return parseArgs({ options: OPTIONS }).values;
  } catch (error) {
    return fail(`${(error as Error).message}\n${HELP}`);
  }
}

function main(): void {
  const values = commandLine();
  if (values.help) return void process.stdout.write(`${HELP}\n`);
  if (values.card === undefined) fail(`--card FILE is required\n${HELP}`);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`--port must be a TCP port number, got "${values.port}"`);
  const latency = values.latency as LatencyMode | undefined;
  if (latency !== undefined && !['quickack', 'nodelay', 'none'].includes(latency)) fail(`--latency must be quickack, nodelay or none, got "${latency}"`);
  if (latency === 'quickack' && !quickAckAvailable()) fail(`--latency quickack: ${quickAckMissingReason()}`);

  let file: CardFile;
  try {
    file = openCardFile(values.card);
  } catch (error) {
    if (error instanceof FileFormatError || error instanceof CardImageError) fail(error.message);
    throw error;
  }
  const log = (line: string) => process.stderr.write(`${line}\n`);
  if (latency === undefined && !quickAckAvailable()) log(`virtual card: ${quickAckMissingReason()}; each command will take ~50 ms`);
  const card = new VpcdCard({
    card: file.card,
    host: values.host!,
    port,
    ...(latency ? { latency } : {}),
    programmed: () => file.card.eeprom.bytesProgrammed,
    afterWrite: () => file.save(),
    log,
  });
  log(`virtual card: card "${file.card.label}" from ${file.path}`);
  card.start();
  const stop = () => {
    void card.stop().then(() => {
      log(`virtual card: out of the reader after ${card.apdus} commands`);
      process.exit(0);
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main();
