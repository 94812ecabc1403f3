/// <reference types="node" />
// The centre's command line (docs/centre.md): serve, bill, reconcile, import-terminal,
// import-hotlist. Exit codes as the issuer tool's: 0 done, 2 the person asked for something
// wrong (one line on stderr), 1 a bug (with its stack).
import { readFileSync, realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { dispatch, UsageError, type CommandSpec, type Values } from '../tools/cli/command-line.js';
import { DateError, parseUtcOffset } from '../firmware/protocol/dates.js';
import { FileExistsError, FileFormatError, writeNewFile } from '../issuer/files.js';
import { billCsv, monthlyBill } from './billing.js';
import { DEFAULTS, openCentre, type Centre, type CentreOptions } from './centre.js';
import { CentreError } from './errors.js';
import { changeListFromText, importChangeList } from './hotlist.js';
import { progressBar } from './progress.js';
import { reconcile, reconciliationText } from './reconciliation.js';
import { certificateFromText, registerTerminal } from './registry.js';
import { startCentre } from './server.js';

const PROGRAM = 'center';

const COMMON_HELP = `Where the centre keeps its data (the same for every command):
  --data DIR           data folder: the SQLite file and a centre key made here (default ${DEFAULTS.dataDir})
  --database URL       sqlite:PATH or postgres://user@host:port/database (default SQLite in --data)
  --centre-key FILE    the centre key file of "issuer provision-centre" (default: DIR/${DEFAULTS.centreKeyFile},
                       made on first use and certified by --issuer)
  --issuer PATH        issuer key (directory or file) that certifies a centre key made here
                       (default: the simulator's demo issuer)
  --utc-offset +hh:mm  the bills' time zone (default +09:00, Japan; west of UTC: --utc-offset=-05:00)`;

const MAIN_HELP = `Usage: npm run center -- <command> [options]
       node build/center/cli.js <command> [options]

The fee management centre: stores the terminals' usage records once, bills per registration number.

Commands:
  serve                the HTTP service terminals upload to (docs/centre.md)
  bill --month YYYY-MM the month's bill per registration number Nt, CSV or JSON
  reconcile            per terminal: records, fees and missing sequences against its own counts
  import-terminal FILE...  register terminals by their certificate CT (provision-terminal files)
  import-hotlist FILE...   keep the issuer's signed hotlist change lists (hotlist-change files)

${COMMON_HELP}

"<command> --help" describes a command.`;

const COMMON_OPTIONS = {
  data: { type: 'string' },
  database: { type: 'string' },
  'centre-key': { type: 'string' },
  issuer: { type: 'string' },
  'utc-offset': { type: 'string' },
} as const;


interface Io {
  out(text: string): void;
  warn(line: string): void;
}

interface Command extends CommandSpec {
  run(values: Values, positionals: readonly string[], io: Io): Promise<number | void>;
}

function text(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

function centreOptions(values: Values): CentreOptions {
  const offset = text(values, 'utc-offset');
  let utcOffsetMinutes: number | undefined;
  if (offset !== undefined) {
    try {
      utcOffsetMinutes = parseUtcOffset(offset);
    } catch (error) {
      throw new UsageError(`--utc-offset: ${(error as Error).message}`);
    }
  }
  const pick = (name: string) => text(values, name);
  return {
    ...(pick('data') === undefined ? {} : { dataDir: pick('data')! }),
    ...(pick('database') === undefined ? {} : { database: pick('database')! }),
    ...(pick('centre-key') === undefined ? {} : { centreKey: pick('centre-key')! }),
    ...(pick('issuer') === undefined ? {} : { issuerKey: pick('issuer')! }),
    ...(utcOffsetMinutes === undefined ? {} : { utcOffsetMinutes }),
  };
}

async function withCentre<T>(values: Values, work: (centre: Centre) => Promise<T>): Promise<T> {
  const centre = await openCentre(centreOptions(values));
  try {
    return await work(centre);
  } finally {
    await centre.close();
  }
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new FileFormatError(`${path}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

/** Imports each file with `importOne`, a progress bar over the files; one line per file, errors named by file. */
async function importFiles(paths: readonly string[], what: string, io: Io, importOne: (text: string) => Promise<string>): Promise<number> {
  const bar = paths.length > 1 ? progressBar(`importing ${what}`, paths.length, 'files') : null;
  let failed = 0;
  try {
    for (const path of paths) {
      try {
        io.out(`${path}: ${await importOne(readText(path))}\n`);
      } catch (error) {
        if (!(error instanceof CentreError || error instanceof FileFormatError)) throw error;
        io.warn(`${PROGRAM}: ${path}: ${error.message}`);
        failed++;
      }
      bar?.advance(1);
    }
  } finally {
    bar?.stop();
  }
  return failed === 0 ? 0 : 2;
}

const serve: Command = {
  help: `Usage: ${PROGRAM} serve [--host ADDR] [--port N] [--terminal FILE ...] [data options]

Serves the centre over HTTP until SIGINT or SIGTERM: POST /v1/batches from terminals, GET
/v1/bills/YYYY-MM, GET /v1/reconciliation[/ID], POST/GET /v1/terminals, POST/GET /v1/hotlist.

  --host ADDR          address to listen on (default ${DEFAULTS.host}: this machine only)
  --port N             port (default ${DEFAULTS.port}; 0 picks a free one)
  --terminal FILE      register this terminal (provision-terminal file or CT hex) at start; repeatable

${COMMON_HELP}`,
  options: { ...COMMON_OPTIONS, host: { type: 'string' }, port: { type: 'string' }, terminal: { type: 'string', multiple: true } },
  async run(values, _positionals, io) {
    const portText = text(values, 'port');
    if (portText !== undefined && (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535)) throw new UsageError(`--port must be 0 to 65535, got "${portText}"`);
    const terminals = ((values.terminal as string[] | undefined) ?? []).map((path) => certificateFromText(readText(path)));
    const running = await startCentre({
      ...centreOptions(values), terminals,
      ...(text(values, 'host') === undefined ? {} : { host: text(values, 'host')! }),
      ...(portText === undefined ? {} : { port: Number(portText) }),
      log: (line) => io.out(`${line}\n`),
    });
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await running.close();
    io.out('centre stopped\n');
  },
};

const bill: Command = {
  help: `Usage: ${PROGRAM} bill --month YYYY-MM [--format csv|json] [--out FILE] [--force] [data options]

The month's bill: per registration number Nt the records whose call started in the month (in the
bills' time zone, --utc-offset, default Japan time) and the sum of their fees. CSV lines
"month,registration_number,records,fee,currency", or JSON with the totals. A progress bar on
standard error counts the records.

  --month YYYY-MM      the month
  --format csv|json    default csv
  --out FILE           write there instead of standard output (never over a file without --force)

${COMMON_HELP}`,
  options: { ...COMMON_OPTIONS, month: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' }, force: { type: 'boolean' } },
  async run(values, _positionals, io) {
    const month = text(values, 'month');
    if (month === undefined) throw new UsageError('--month is required (YYYY-MM)');
    const format = text(values, 'format') ?? 'csv';
    if (format !== 'csv' && format !== 'json') throw new UsageError(`--format must be csv or json, got "${format}"`);
    const result = await withCentre(values, (centre) => monthlyBill(centre.store, month, centre.billing, (total) => progressBar(`bill ${month}`, total, 'records')));
    const output = format === 'csv' ? billCsv(result) : `${JSON.stringify(result, null, 2)}\n`;
    const out = text(values, 'out');
    if (out === undefined) io.out(output);
    else {
      writeNewFile(out, output, { force: values.force === true });
      io.warn(`${PROGRAM}: bill ${month}: ${result.registrations.length} registration numbers, ${result.records} records, ${result.fee} ${result.currency} written to ${out}`);
    }
  },
};

const reconcileCommand: Command = {
  help: `Usage: ${PROGRAM} reconcile [--terminal ID [--records N --fees YEN]] [--format text|json] [data options]

Per terminal: records and fees held, the acknowledged sequence S, the sequences missing below the
highest one received (gaps), batches and duplicates received. With --records and --fees (the
terminal's own totals, read at the terminal) it says what the centre lacks of them.

${COMMON_HELP}`,
  options: { ...COMMON_OPTIONS, terminal: { type: 'string' }, records: { type: 'string' }, fees: { type: 'string' }, format: { type: 'string' } },
  async run(values, _positionals, io) {
    const format = text(values, 'format') ?? 'text';
    if (format !== 'text' && format !== 'json') throw new UsageError(`--format must be text or json, got "${format}"`);
    const terminalId = text(values, 'terminal');
    const counts = ['records', 'fees'].map((name) => {
      const value = text(values, name);
      if (value !== undefined && !/^\d{1,15}$/.test(value)) throw new UsageError(`--${name} must be a whole number, got "${value}"`);
      return value === undefined ? undefined : Number(value);
    });
    if ((counts[0] === undefined) !== (counts[1] === undefined)) throw new UsageError("give both --records and --fees, the terminal's own totals");
    if (counts[0] !== undefined && terminalId === undefined) throw new UsageError('--records and --fees are one terminal\'s totals: give --terminal too');
    const statement = counts[0] === undefined ? undefined : { records: counts[0], fees: counts[1]! };
    return withCentre(values, async (centre) => {
      const lines = await reconcile(centre.store, terminalId, statement);
      if (terminalId !== undefined && lines.length === 0) throw new UsageError(`terminal ${terminalId} is not in the registry`);
      io.out(format === 'json' ? `${JSON.stringify({ currency: centre.billing.currency, terminals: lines }, null, 2)}\n` : reconciliationText(lines, centre.billing.currency));
    });
  },
};

const importTerminal: Command = {
  help: `Usage: ${PROGRAM} import-terminal FILE... [data options]

Registers each terminal by its certificate CT, checked with the issuer key nA the centre key holds.
FILE is a provision-terminal file (only its "certificate" is read; the terminal's secret key in it
is never kept) or CT in hex. A terminal registered before gets its new certificate (a renewal).

${COMMON_HELP}`,
  options: COMMON_OPTIONS,
  positionals: { min: 1, names: 'FILE' },
  async run(values, positionals, io) {
    return withCentre(values, (centre) => importFiles(positionals, 'terminal certificates', io, async (content) => {
      const { terminalId, outcome } = await registerTerminal(centre.store, certificateFromText(content), centre.key.issuerKeys, centre.now());
      return `terminal ${terminalId} ${outcome}`;
    }));
  },
};

const importHotlist: Command = {
  help: `Usage: ${PROGRAM} import-hotlist FILE... [data options]

Keeps each issuer-signed hotlist change list (hotlist-change files, or DF02 in hex), checked with nA,
as its bytes; upload answers relay them to the terminals. Versions go in order: 1, 2, 3, ...

${COMMON_HELP}`,
  options: COMMON_OPTIONS,
  positionals: { min: 1, names: 'FILE' },
  async run(values, positionals, io) {
    return withCentre(values, (centre) => importFiles(positionals, 'hotlist versions', io, async (content) => {
      const { version, outcome } = await importChangeList(centre.store, changeListFromText(content), centre.key.issuerKeys, centre.now());
      return `hotlist version ${version} ${outcome}`;
    }));
  },
};

const COMMANDS: Readonly<Record<string, Command>> = Object.freeze({
  serve, bill, reconcile: reconcileCommand, 'import-terminal': importTerminal, 'import-hotlist': importHotlist,
});

function isUserError(error: unknown): error is Error {
  return error instanceof UsageError || error instanceof CentreError || error instanceof FileFormatError || error instanceof FileExistsError || error instanceof DateError;
}

/** A database the centre cannot reach or open: the operator's to fix. */
function databaseProblem(error: unknown): string | null {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return null;
  if (['ECONNREFUSED', 'ENOTFOUND', 'EACCES', 'EADDRINUSE', 'ENOENT', 'SQLITE_CANTOPEN', 'SQLITE_BUSY', '28P01', '3D000', '28000'].includes(code)) {
    return `${(error as Error).message || code}`;
  }
  return null;
}

export async function run(argv: readonly string[], io: Io): Promise<number> {
  const name = argv[0];
  try {
    const picked = dispatch(argv, PROGRAM, COMMANDS, MAIN_HELP, (text) => io.out(`${text}\n`), io.warn);
    if ('status' in picked) return picked.status;
    return (await picked.command.run(picked.values, picked.positionals, io)) ?? 0;
  } catch (error) {
    // The person's to fix (exit 2, one line) or a bug (exit 1, with the stack).
    const problem = isUserError(error) ? `${error.message}${error instanceof UsageError ? ` (see ${PROGRAM} ${name} --help)` : ''}` : databaseProblem(error);
    io.warn(`${PROGRAM} ${name}: ${problem ?? `internal error, please report: ${(error as Error).stack ?? String(error)}`}`);
    return problem === null ? 1 : 2;
  }
}

const processIo: Io = {
  out: (chunk) => process.stdout.write(chunk),
  warn: (line) => process.stderr.write(`${line}\n`),
};

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  run(process.argv.slice(2), processIo).then((status) => {
    process.exitCode = status;
  });
}
