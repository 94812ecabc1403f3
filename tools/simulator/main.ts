// The terminal simulator, the project's main job: the real firmware on simulated hardware, in
// the console. `npm start` plays interactively; `--script FILE` replays a session and prints
// one JSON line per LCD frame and per terminal event.
//
// However the program ends (quit, Ctrl-C, end of input, SIGTERM, the end of a script), the
// terminal is shut down first, as a power-down would: a call under way is hung up, billed and
// written to the journal, and only then is the data folder saved. Killed outright (kill -9, a
// second Ctrl-C), it leaves what a power cut leaves: the journal is written through to flash.bin
// as the call runs, and the next start closes the open call with the units it had.
import { readFileSync } from 'node:fs';
import { clearLine, clearScreenDown, createInterface, cursorTo, moveCursor, type Interface } from 'node:readline';
import { parseArgs } from 'node:util';
import { checkCardNames, parseScript, runScript, SCRIPT_VERBS, ScriptError, type ReportKind, type ScriptStep } from '../../hal/sim/script.js';
import { TerminalRig, type RigOutput } from '../../hal/sim/rig.js';
import type { SimCardSlot } from '../../hal/sim/card-slot.js';
import { SimLineReader } from '../../hal/sim/line-slot.js';
import { openSimulation, type Simulation } from './simulation.js';
import { startSimulatorCentre, type SimulatorCentre } from './centre-link.js';
import { openLineLog, type LineLog } from './line-log.js';
import type { UploadWork } from '../../firmware/upload/upload-work.js';
import { SERVICE_KEY } from '../../firmware/terminal/terminal.js';
import type { MonthlyBill } from '../../center/billing.js';
import type { Clock } from '../../hal/clock.js';
import { PcscReader, PcscSetupError } from '../../hal/pcsc/reader.js';
import { runScriptOnReader } from '../pcsc/reader-script.js';

const HELP = `Usage: npm start -- [options]

Runs the terminal firmware on a simulated board: card slot, keypad, 20x4 LCD, clock, flash.
On first run it creates a demo issuer, terminal and cards in the data folder.

Options:
  --data DIR       where the issuer keys, terminal config, cards and flash live (default: sim-data)
  --script FILE    replay a session (one event a line; FILE "-" reads standard input) and print JSON lines
  --time ISO       the terminal clock's start, e.g. 2026-11-23T09:00:00Z (default: now)
  --timeout SEC    keypad timeout in seconds (default 30)
  --reader KIND    sim: the simulated slot, the card answering byte by byte over ISO 7816-3
                   (ATR, PPS, T=1) as on the board's UART (default);
                   apdu: the simulated slot passing whole APDUs (no byte line);
                   pcsc: a PC/SC reader (pcscd); "insert" then waits for a card in the reader
                   and "remove" for it to leave
  --reader-name N  which PC/SC reader (exact name or its start; default: the first with a card)
  --centre on|off  on: serve the fee management centre beside the terminal (SQLite in DIR/centre,
                   its key certified by the data folder's issuer), which the terminal uploads to
                   (default); off: no centre, the records wait in the journal
  --centre-port N  the centre's port on 127.0.0.1 (default 8470; in use: a free one; 0: a free one)
  --line-log FILE  write every character on the card contacts to FILE, as a protocol analyser
                   on the I/O wire shows them (with --reader sim; FILE is rewritten each run)
  --help           this text

Interactive commands (script lines too, plus short forms; TAB completes, up/down recall):
  insert NAME | i NAME     put a card in the slot         remove | x    take the card out
  1234                     press 1 2 3 4 then ENTER        keys 12 CLEAR  press keys as written
  enter | clear | register | r | end | e                   one function key
  wait SEC                 let time pass                   cards, records  list them
  upload                   the service key: upload the records to the centre now
  bill [YYYY-MM]           the centre's monthly bill (default this month)
  power-cut                the power fails and comes back (the card is taken out)
  help                     this text                       quit | q | Ctrl-C | Ctrl-D  end

The terminal also uploads by itself at its idle screen: daily at 03:00 local time and when half
the journal awaits the centre; REGISTER at the idle screen is the service key (upload now).

Ending the program ends the session first: a call under way is hung up, billed and recorded,
then everything is saved. A second Ctrl-C stops at once, like pulling the plug: the next start
bills a call under way for the tariff units it had started, marked cut short.

Script lines: ${SCRIPT_VERBS.join(', ')} (records and cards print JSON events), # comments.`;

/** The interactive command words, for the unknown-command message and TAB completion. */
const SHORT_FORMS: Readonly<Record<string, string>> = Object.freeze({
  i: 'insert', x: 'remove', r: 'keys REGISTER', e: 'keys END', enter: 'keys ENTER', clear: 'keys CLEAR', register: 'keys REGISTER', end: 'keys END',
});
const COMMAND_WORDS = Object.freeze(['insert', 'remove', 'keys', 'enter', 'clear', 'register', 'end', 'wait', 'cards', 'records', 'upload', 'bill', 'power-cut', 'help', 'quit']);
const COMMAND_LIST = 'insert NAME, remove, digits such as 1234 (ENTER follows), keys KEY..., enter, clear, register, end, wait SEC, cards, records, upload, bill [YYYY-MM], power-cut, help, quit';

function fail(message: string): never {
  process.stderr.write(`simulator: ${message}\n`);
  process.exit(2);
}

function jsonLine(at: number, body: object): string {
  return JSON.stringify({ t: new Date(at).toISOString(), ...body });
}

function outputLine(output: RigOutput): string {
  return jsonLine(output.at, output.kind === 'lcd' ? { lcd: output.lines } : output.event);
}

function describeEvent(output: RigOutput): string {
  if (output.kind !== 'event') return '';
  const { event, ...details } = output.event;
  const rest = Object.entries(details).map(([key, value]) => `${key}=${value}`).join(' ');
  return `  [${new Date(output.at).toISOString().slice(11, 19)}] ${event}${rest ? ` ${rest}` : ''}`;
}

/** What crossed the simulated card contacts: the last session's protocol and rate, all bytes. */
function lineSummary(reader: SimLineReader): Record<string, unknown> {
  const session = reader.lastSession;
  const stats = reader.line.stats;
  return {
    protocol: session ? `T=${session.protocol}` : null, pps: session?.pps ?? null, fi: session?.fi ?? null, di: session?.di ?? null,
    bytesToCard: stats.toCard, bytesToTerminal: stats.toTerminal, lineSeconds: Number(stats.seconds.toFixed(3)),
  };
}

/** Thrown between script steps once a signal asked the program to stop. */
class Interrupted extends Error {
  override name = 'Interrupted';
}

/** Everything a run needs: the data folder, the rig and its reader, the centre. */
interface Bench {
  readonly simulation: Simulation;
  /** The terminal on its board; a power cut puts a new one in its place. */
  rig: TerminalRig;
  /** Every terminal of this run, the one before each power cut first (their events are the run's). */
  readonly rigs: TerminalRig[];
  /** Builds the terminal again after a power cut, its clock going on from `startTime`. */
  readonly makeRig: (startTime: number) => TerminalRig;
  /** The PC/SC reader when --reader pcsc, else null (the simulated slot). */
  readonly pcsc: PcscReader | null;
  /** The embedded centre, or null with --centre off. */
  readonly centre: SimulatorCentre | null;
  /** The rig's upload work (rebuilt with the rig). */
  upload: UploadWork | null;
  /** Set by a signal: the script stops before its next step. */
  interrupted: NodeJS.Signals | null;
  /** --line-log: the wiretap on the contacts, or null. */
  readonly lineLog: LineLog | null;
}

/** Batches one `upload` sends at most before it reports what is left (64 records each). */
const UPLOAD_MAX_STEPS = 100;

/**
 * The service key at the idle screen, then the terminal's idle steps until the upload has ended:
 * each batch goes in the terminal's own idle work, as on the board. ScriptError when there is no
 * centre or a card is in the slot (the terminal uploads only while nobody is at it).
 */
async function upload(bench: Bench, line: number): Promise<void> {
  const { rig } = bench;
  if (!bench.upload) throw new ScriptError(line, 'upload needs the centre: start without --centre off');
  if (rig.slot.cardPresent) throw new ScriptError(line, 'the terminal uploads at its idle screen: remove the card first');
  await rig.press(SERVICE_KEY);
  for (let step = 1; bench.upload.busy && step < UPLOAD_MAX_STEPS; step++) await rig.wait(bench.upload.intervalMs / 1000);
}

/** The power fails and comes back: the old terminal is left where it was, a new one boots on the same flash. */
async function powerCut(bench: Bench): Promise<void> {
  const now = bench.rig.clock.now();
  bench.simulation.powerCut();
  bench.rig = bench.makeRig(now);
  bench.rigs.push(bench.rig);
  await bench.rig.start();
  bench.rig.report({ event: 'power-restored', recovered: bench.simulation.usage.recovered.map((record) => record.sequence) });
}

function billText(bill: MonthlyBill): string {
  if (bill.registrations.length === 0) return `Bill ${bill.month} (UTC${bill.utcOffset}): no records at the centre.`;
  const records = (n: number) => `${n} record${n === 1 ? '' : 's'}`;
  return [`Bill ${bill.month} (UTC${bill.utcOffset}), from the centre: ${records(bill.records)}, ${bill.fee} ${bill.currency}`,
    ...bill.registrations.map((r) => `  Nt ${r.registrationNumber}  ${records(r.records)}  ${r.fee} ${bill.currency}`)].join('\n');
}

/** Plays steps one at a time, so a signal stops the script between two of them. */
async function play(bench: Bench, steps: readonly ScriptStep[], onStep: (step: ScriptStep) => void, report: (kind: ReportKind) => void, showBill: (bill: MonthlyBill) => void): Promise<void> {
  const { pcsc, simulation } = bench;
  for (const step of steps) {
    if (bench.interrupted) throw new Interrupted(`stopped by ${bench.interrupted} before script line ${step.line}`);
    const rig = bench.rig;
    if (step.kind === 'records' || step.kind === 'cards') {
      onStep(step);
      report(step.kind);
    } else if (step.kind === 'upload') {
      onStep(step);
      await upload(bench, step.line);
    } else if (step.kind === 'bill') {
      onStep(step);
      if (!bench.centre) throw new ScriptError(step.line, 'bill needs the centre: start without --centre off');
      showBill(await bench.centre.bill(step.month));
    } else if (step.kind === 'power-cut') {
      onStep(step);
      if (pcsc) throw new ScriptError(step.line, 'power-cut needs the simulated slot (the PC/SC card keeps its power)');
      await powerCut(bench);
    } else if (pcsc) {
      await runScriptOnReader(rig, pcsc, [step], onStep, (line) => process.stderr.write(`simulator: ${line}\n`));
    } else {
      await runScript(rig, [step], (name) => simulation.card(name), onStep);
    }
  }
}

/** Powers the terminal down (a call is billed and recorded), then saves; safe to call once. */
async function powerDown(bench: Bench): Promise<void> {
  await bench.rig.shutdown();
  bench.simulation.save({ cards: bench.pcsc === null });
  bench.pcsc?.close();
  bench.lineLog?.close();
  await bench.centre?.close();
}

/** The last resort on a second signal: save the cards and go, like pulling the plug (the flash is written through). */
function pullThePlug(bench: Bench, signal: string, code: number): never {
  try {
    bench.simulation.save({ cards: bench.pcsc === null });
  } catch (error) {
    process.stderr.write(`simulator: could not save: ${(error as Error).message}\n`);
  }
  process.stderr.write(`simulator: ${signal} again: stopped at once; a call under way stays open in the journal and the next start bills the units it had\n`);
  process.exit(code);
}

const ENDING = 'ending the session (a call under way is hung up and recorded; Ctrl-C again stops at once)';

const SIGNAL_EXIT: Readonly<Record<string, number>> = Object.freeze({ SIGINT: 130, SIGTERM: 143, SIGHUP: 129 });

async function runScripted(bench: Bench, steps: readonly ScriptStep[], lineReader: () => SimLineReader | null): Promise<void> {
  const { simulation } = bench;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (bench.interrupted) pullThePlug(bench, signal, SIGNAL_EXIT[signal]!);
      bench.interrupted = signal;
    });
  }
  const write = (line: string) => process.stdout.write(`${line}\n`);
  const report = (kind: ReportKind) => write(jsonLine(bench.rig.clock.now(), kind === 'records'
    ? { event: 'records', records: simulation.recordsData() }
    : { event: 'cards', cards: simulation.cardsData() }));
  const showBill = (bill: MonthlyBill) => write(jsonLine(bench.rig.clock.now(), { event: 'bill', bill }));
  let failure: unknown = null;
  try {
    await play(bench, steps, (step) => write(JSON.stringify({ script: step.text, line: step.line })), report, showBill);
  } catch (error) {
    failure = error;
  }
  await powerDown(bench);
  const reader = lineReader();
  if (reader) write(JSON.stringify({ line: lineSummary(reader) }));
  if (failure instanceof ScriptError) fail(failure.message);
  if (failure instanceof Interrupted) {
    process.stderr.write(`simulator: ${failure.message}; the session was ended and saved\n`);
    process.exit(SIGNAL_EXIT[bench.interrupted!] ?? 1);
  }
  if (failure) throw failure;
}

/** A mistake in one typed command: the message is for the person, no line number. */
class CommandError extends Error {
  override name = 'CommandError';
}

/** Turns one interactive line into script steps (short forms allowed). */
function interactiveSteps(line: string): ScriptStep[] | 'help' | 'quit' {
  const text = line.trim();
  const lower = text.toLowerCase();
  if (lower === 'help' || lower === '?') return 'help';
  if (lower === 'quit' || lower === 'q' || lower === 'exit') return 'quit';
  if (/^[0-9]+$/.test(text)) return parseScript(`keys ${text} ENTER`);
  const [word, ...rest] = text.split(/\s+/);
  const expanded = SHORT_FORMS[word!.toLowerCase()];
  if (!expanded && !(SCRIPT_VERBS as readonly string[]).includes(word!.toLowerCase())) {
    throw new CommandError(`unknown command "${word}"; commands: ${COMMAND_LIST} ("help" explains them)`);
  }
  try {
    return parseScript(expanded ? [expanded, ...rest].join(' ') : text);
  } catch (error) {
    if (error instanceof ScriptError) throw new CommandError(error.reason);
    throw error;
  }
}

/**
 * The console while a person types. Output that arrives on its own (events, LCD frames) goes
 * above the prompt, and the prompt is redrawn with what was typed so far; on a terminal, an LCD
 * frame that follows another one directly overwrites it, so a running call does not scroll.
 */
class Screen {
  #prompt: Interface | null = null;
  /** Rows of the LCD box just above the prompt; 0 once anything else was written after it. */
  #lcdRows = 0;

  constructor(private readonly out: NodeJS.WriteStream, readonly tty: boolean) {}

  attach(prompt: Interface): void {
    this.#prompt = prompt;
  }

  /** Clears the prompt line; output goes straight out from now on. */
  detach(): void {
    if (this.tty && this.#prompt) {
      cursorTo(this.out, 0);
      clearLine(this.out, 0);
    }
    this.#prompt = null;
  }

  /** The typed line was accepted: it now sits between the last frame and what comes next. */
  lineEntered(): void {
    this.#lcdRows = 0;
  }

  print(text: string): void {
    this.#write(text, false);
  }

  lcd(box: string): void {
    this.#write(box, true);
  }

  #write(text: string, isLcd: boolean): void {
    if (!this.tty || !this.#prompt) {
      this.out.write(`${text}\n`);
      return;
    }
    cursorTo(this.out, 0);
    clearLine(this.out, 0);
    if (isLcd && this.#lcdRows > 0) {
      moveCursor(this.out, 0, -this.#lcdRows);
      clearScreenDown(this.out);
    }
    this.out.write(`${text}\n`);
    this.#lcdRows = isLcd ? text.split('\n').length : 0;
    this.#prompt.prompt(true);
  }
}

async function runInteractive(bench: Bench, screen: Screen, dataDir: string): Promise<void> {
  const { simulation, pcsc } = bench;
  // Time flows: the virtual clock follows the wall clock, so keypad timeouts and the call's
  // meter run by themselves. All rig work goes through one queue, one action at a time.
  let queue: Promise<void> = Promise.resolve();
  const enqueue = (work: () => Promise<void>) => {
    queue = queue.then(work).catch((error: unknown) => {
      screen.print(error instanceof ScriptError ? error.reason : `error: ${(error as Error).message}`);
    });
    return queue;
  };
  let last = Date.now();
  const catchUp = () => {
    const now = Date.now();
    const seconds = (now - last) / 1000;
    last = now;
    return bench.rig.wait(seconds);
  };
  const ticker = setInterval(() => void enqueue(catchUp), 250);

  const prompt = createInterface({
    input: process.stdin,
    output: process.stdout,
    terminal: screen.tty,
    prompt: '> ',
    historySize: 200,
    removeHistoryDuplicates: true,
    completer: (line: string): [string[], string] => {
      const insert = /^(insert|i)\s+(\S*)$/i.exec(line);
      if (insert) {
        const names = simulation.cardNames().filter((name) => name.startsWith(insert[2]!));
        return [names.map((name) => `${insert[1]} ${name}`), line];
      }
      return [COMMAND_WORDS.filter((word) => word.startsWith(line.trim().toLowerCase())), line.trim()];
    },
  });
  screen.attach(prompt);

  let stopping = false;
  /** Set by quit and by signals: lines read after that are not run. End of input runs them all. */
  let dropLines = false;
  /** Ends the run once; a second signal (or Ctrl-C) while it is ending pulls the plug. */
  const stop = async (why: string | null, cause: 'quit' | 'end-of-input' | NodeJS.Signals) => {
    if (cause !== 'end-of-input') dropLines = true;
    if (stopping) {
      if (cause !== 'quit' && cause !== 'end-of-input') pullThePlug(bench, cause, SIGNAL_EXIT[cause] ?? 1);
      return;
    }
    stopping = true;
    clearInterval(ticker);
    // No prompt from here on: what the shutdown reports goes straight out, and a further Ctrl-C
    // (the terminal is out of raw mode again) is a signal to the process.
    screen.detach();
    prompt.close();
    if (why) process.stdout.write(`${why}\n`);
    await queue;
    await catchUp(); // the call's last fraction of a second is billed too
    await powerDown(bench);
    const written = new Set(bench.rigs.flatMap((rig) => rig.eventsOf('record-written')).map((event) => event.sequence));
    process.stdout.write(`${written.size === 0 ? 'No usage records written in this run.' : simulation.describeRecords(written, 'Usage records written in this run')}\n`);
    process.stdout.write(`Saved in ${dataDir}${pcsc ? ' (the flash; the card in the reader saves itself)' : ''}. Bye.\n`);
    process.exit(0);
  };

  /** One typed line, run in turn with the clock's ticks and the lines before it. */
  const handle = async (line: string) => {
    if (dropLines) return;
    if (!screen.tty) screen.print(`> ${line}`); // nothing echoes a pipe: show what is being done
    if (line.trim() === '') return;
    let parsed: ReturnType<typeof interactiveSteps>;
    try {
      parsed = interactiveSteps(line);
      if (Array.isArray(parsed) && !pcsc) checkCardNames(parsed, simulation.cardNames());
    } catch (error) {
      if (error instanceof CommandError) screen.print(error.message);
      else if (error instanceof ScriptError) screen.print(error.reason);
      else throw error;
      return;
    }
    if (parsed === 'quit') void stop(null, 'quit');
    else if (parsed === 'help') screen.print(HELP);
    else {
      await play(bench, parsed, () => {}, (kind) => screen.print(kind === 'records' ? simulation.describeRecords() : simulation.describeCards()), (bill) => screen.print(billText(bill)));
      simulation.save({ cards: pcsc === null });
    }
  };
  prompt.on('line', (line) => {
    screen.lineEntered();
    void enqueue(() => handle(line));
    if (screen.tty && !stopping) prompt.prompt();
  });
  // Ctrl-C at the prompt (raw mode: readline sees it, not the process), Ctrl-D, end of a pipe.
  prompt.on('SIGINT', () => void stop(`Ctrl-C: ${ENDING}`, 'SIGINT'));
  prompt.on('close', () => void stop(screen.tty ? `End of input: ${ENDING}` : null, 'end-of-input'));
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => void stop(`${signal}: ${ENDING}`, signal));
  }
  // A terminal that went away (SIGHUP) cannot take output; the session is still ended and saved.
  process.stdout.on('error', () => {});
  if (screen.tty) prompt.prompt();
  await new Promise<never>(() => {}); // stop() exits the process
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        data: { type: 'string', default: 'sim-data' },
        script: { type: 'string' },
        time: { type: 'string' },
        timeout: { type: 'string', default: '30' },
        reader: { type: 'string', default: 'sim' },
        'reader-name': { type: 'string' },
        centre: { type: 'string', default: 'on' },
        'centre-port': { type: 'string', default: '8470' },
        'line-log': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    fail(`${(error as Error).message} (npm start -- --help lists the options)`);
  }
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const startTime = values.time === undefined ? Date.now() : Date.parse(values.time);
  if (!Number.isFinite(startTime)) fail(`--time must be an ISO date-time such as 2026-11-23T09:00:00Z, got "${values.time}"`);
  const timeoutSeconds = Number(values.timeout);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) fail(`--timeout must be a positive number of seconds`);
  if (values.reader !== 'sim' && values.reader !== 'apdu' && values.reader !== 'pcsc') fail(`--reader must be sim, apdu or pcsc, got "${values.reader}"`);
  if (values.centre !== 'on' && values.centre !== 'off') fail(`--centre must be on or off, got "${values.centre}"`);
  if (values['line-log'] !== undefined && values.reader !== 'sim') fail(`--line-log needs --reader sim (the byte line), not --reader ${values.reader}`);
  const centrePort = Number(values['centre-port']);
  if (!Number.isInteger(centrePort) || centrePort < 0 || centrePort > 65535) fail(`--centre-port must be a port number 0..65535, got "${values['centre-port']}"`);

  let steps: ScriptStep[] | null = null;
  if (values.script !== undefined) {
    let source: string;
    try {
      source = readFileSync(values.script === '-' ? 0 : values.script, 'utf8');
    } catch (error) {
      fail(`cannot read script ${values.script}: ${(error as Error).message}`);
    }
    try {
      steps = parseScript(source);
    } catch (error) {
      fail((error as Error).message);
    }
  }

  let simulation: Simulation;
  try {
    simulation = openSimulation(values.data!, (line) => process.stderr.write(`${line}\n`));
  } catch (error) {
    fail((error as Error).message);
  }
  // Every card a script names must exist before its first line runs (PC/SC: the name is not used).
  if (steps && values.reader !== 'pcsc') {
    try {
      checkCardNames(steps, simulation.cardNames());
    } catch (error) {
      fail((error as Error).message);
    }
  }
  let pcsc: PcscReader | null = null;
  if (values.reader === 'pcsc') {
    try {
      pcsc = await PcscReader.open(values['reader-name'] === undefined ? {} : { readerName: values['reader-name'] });
    } catch (error) {
      if (error instanceof PcscSetupError) fail(error.message);
      throw error;
    }
    process.stderr.write(`simulator: PC/SC reader "${pcsc.name}" (${pcsc.cardPresent ? 'card present' : 'empty'})\n`);
  }
  const scripted = steps !== null;
  const screen = new Screen(process.stdout, !scripted && process.stdin.isTTY === true && process.stdout.isTTY === true);
  let lineReader: SimLineReader | null = null;
  // The centre's clock and the uploader's are the terminal's, whichever terminal is on the board now.
  let current: TerminalRig | null = null;
  const clock: Clock = {
    now: () => (current ? current.clock.now() : startTime), // the centre starts before the terminal boots
    setTimer: (ms, callback) => current!.clock.setTimer(ms, callback),
    clearTimer: (handle) => current!.clock.clearTimer(handle),
    get valid() {
      return current?.clock.valid ?? true;
    },
    set: (ms) => current!.clock.set(ms),
  };
  let lineLog: LineLog | null = null;
  if (values['line-log'] !== undefined) {
    try {
      lineLog = openLineLog(values['line-log'], clock.now);
    } catch (error) {
      fail(`cannot write the line log ${values['line-log']}: ${(error as Error).message}`);
    }
  }
  let centre: SimulatorCentre | null = null;
  if (values.centre === 'on') {
    try {
      centre = await startSimulatorCentre({ dataDir: values.data!, config: simulation.config, port: centrePort, clock, log: (line) => process.stderr.write(`simulator: ${line}\n`) });
    } catch (error) {
      fail(`the centre did not start: ${(error as Error).message} (--centre off runs the terminal without it)`);
    }
  }
  /** A terminal booting on the board at `rigStart`, with upload work over the journal as it is now. */
  const boot = (rigStart: number): { rig: TerminalRig; upload: UploadWork | null } => {
    // The upload's nonces and events are this terminal's: its random source, its event log.
    const upload = centre?.uploadWork(simulation.usage, simulation.hotlist, { bytes: (n: number) => rig.random.bytes(n) }, (event) => rig.report(event)) ?? null;
    const rig: TerminalRig = new TerminalRig({
      config: simulation.config,
      usage: simulation.usage,
      flash: simulation.flash,
      startTime: rigStart,
      seed: `terminal ${rigStart}`,
      terminal: { keypadTimeoutMs: timeoutSeconds * 1000, hotlist: simulation.hotlist, ...(upload ? { idleWork: upload } : {}) },
      ...(pcsc ? { reader: pcsc } : values.reader === 'sim' ? { readerOverSlot: (slot: SimCardSlot) => (lineReader = new SimLineReader(slot, lineLog ? { line: { wiretap: lineLog } } : {})) } : {}),
      onOutput: (output) => {
        if (scripted) process.stdout.write(`${outputLine(output)}\n`);
        else if (output.kind === 'event') screen.print(describeEvent(output));
        else screen.lcd(rig.lcd.render());
      },
    });
    current = rig;
    return { rig, upload };
  };
  const first = boot(startTime);
  const bench: Bench = {
    simulation, pcsc, centre, lineLog, interrupted: null, rig: first.rig, upload: first.upload, rigs: [first.rig],
    makeRig(rigStart) {
      const next = boot(rigStart);
      bench.upload = next.upload;
      return next.rig;
    },
  };
  if (!scripted) screen.print(`${simulation.introduction()}\nType "help" for commands.`);
  await bench.rig.start(); // draws the idle screen
  if (steps) await runScripted(bench, steps, () => lineReader);
  else await runInteractive(bench, screen, values.data!);
}

await main();
