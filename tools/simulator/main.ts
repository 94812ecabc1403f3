// The terminal simulator, the project's main job: the real firmware on simulated hardware, in
// the console. `npm start` plays interactively; `--script FILE` replays a session and prints
// one JSON line per LCD frame and per terminal event.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { parseScript, runScript, ScriptError, type ScriptStep } from '../../hal/sim/script.js';
import { TerminalRig, type RigOutput } from '../../hal/sim/rig.js';
import type { SimCardSlot } from '../../hal/sim/card-slot.js';
import { SimLineReader } from '../../hal/sim/line-slot.js';
import { openSimulation, type Simulation } from './simulation.js';
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
  --help           this text

Interactive commands (the same as script lines, plus short forms):
  insert NAME | i NAME     put a card in the slot         remove | x    take the card out
  1234                     press 1 2 3 4 then ENTER        keys 12 CLEAR  press keys as written
  enter | clear | register | r | end | e                   one function key
  wait SEC                 let time pass                   cards, records, help, quit`;

function fail(message: string): never {
  process.stderr.write(`simulator: ${message}\n`);
  process.exit(2);
}

function jsonLine(output: RigOutput): string {
  const at = new Date(output.at).toISOString();
  return JSON.stringify(output.kind === 'lcd' ? { t: at, lcd: output.lines } : { t: at, ...output.event });
}

function describeEvent(output: RigOutput): string {
  if (output.kind !== 'event') return '';
  const { event, ...details } = output.event;
  const rest = Object.entries(details).map(([key, value]) => `${key}=${value}`).join(' ');
  return `  [${new Date(output.at).toISOString().slice(11, 19)}] ${event}${rest ? ` ${rest}` : ''}`;
}

/** The PC/SC reader when --reader pcsc, else null (the simulated slot). */
let pcsc: PcscReader | null = null;

function play(rig: TerminalRig, simulation: Simulation, steps: ScriptStep[], onStep?: (step: ScriptStep) => void): Promise<void> {
  if (pcsc) return runScriptOnReader(rig, pcsc, steps, onStep, (line) => process.stderr.write(`simulator: ${line}\n`));
  return runScript(rig, steps, (name) => simulation.card(name), onStep);
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

async function runScripted(simulation: Simulation, rig: TerminalRig, steps: ScriptStep[]): Promise<void> {
  try {
    await play(rig, simulation, steps, (step) => {
      process.stdout.write(`${JSON.stringify({ script: step.text, line: step.line })}\n`);
    });
  } catch (error) {
    if (error instanceof ScriptError) fail(error.message);
    throw error;
  } finally {
    simulation.save({ cards: pcsc === null });
  }
}

/** Turns one interactive line into script steps (short forms allowed). */
function interactiveSteps(line: string): ScriptStep[] | 'help' | 'cards' | 'records' | 'quit' {
  const text = line.trim();
  const lower = text.toLowerCase();
  if (lower === 'help' || lower === '?') return 'help';
  if (lower === 'cards' || lower === 'records' || lower === 'quit') return lower;
  if (lower === 'q' || lower === 'exit') return 'quit';
  if (/^[0-9]+$/.test(text)) return parseScript(`keys ${text} ENTER`);
  const [word, ...rest] = text.split(/\s+/);
  const short: Readonly<Record<string, string>> = { i: 'insert', x: 'remove', r: 'keys REGISTER', e: 'keys END', enter: 'keys ENTER', clear: 'keys CLEAR', register: 'keys REGISTER', end: 'keys END' };
  const expanded = short[word!.toLowerCase()];
  return parseScript(expanded ? [expanded, ...rest].join(' ') : text);
}

async function runInteractive(simulation: Simulation, rig: TerminalRig): Promise<void> {
  const draw = () => process.stdout.write(`${rig.lcd.render()}\n`);
  process.stdout.write(`${simulation.introduction()}\nType "help" for commands.\n`);
  draw();
  // Time flows: the virtual clock follows the wall clock, so keypad timeouts fire by themselves.
  let queue: Promise<void> = Promise.resolve();
  const enqueue = (work: () => Promise<void>) => {
    queue = queue.then(work).catch((error: unknown) => {
      process.stdout.write(`error: ${(error as Error).message}\n`);
    });
    return queue;
  };
  let last = Date.now();
  const ticker = setInterval(() => {
    const now = Date.now();
    const seconds = (now - last) / 1000;
    last = now;
    void enqueue(() => rig.wait(seconds));
  }, 250);
  const lines = createInterface({ input: process.stdin, terminal: process.stdin.isTTY === true });
  lines.setPrompt('> ');
  lines.prompt();
  for await (const line of lines) {
    if (line.trim() === '') {
      lines.prompt();
      continue;
    }
    let parsed: ReturnType<typeof interactiveSteps>;
    try {
      parsed = interactiveSteps(line);
    } catch (error) {
      process.stdout.write(`${(error as Error).message.replace(/^script line 1: /, '')}\n`);
      lines.prompt();
      continue;
    }
    if (parsed === 'quit') break;
    if (parsed === 'help') process.stdout.write(`${HELP}\n`);
    else if (parsed === 'cards') process.stdout.write(`${simulation.describeCards()}\n`);
    else if (parsed === 'records') process.stdout.write(`${simulation.describeRecords()}\n`);
    else {
      const steps = parsed;
      await enqueue(async () => {
        await play(rig, simulation, steps);
        simulation.save({ cards: pcsc === null });
      });
    }
    lines.prompt();
  }
  clearInterval(ticker);
  await queue;
  simulation.save({ cards: pcsc === null });
  process.stdout.write('Saved. Bye.\n');
  process.exit(0);
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
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    fail(`${(error as Error).message}\n${HELP}`);
  }
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const startTime = values.time === undefined ? Date.now() : Date.parse(values.time);
  if (!Number.isFinite(startTime)) fail(`--time must be an ISO date-time such as 2026-11-23T09:00:00Z, got "${values.time}"`);
  const timeoutSeconds = Number(values.timeout);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) fail(`--timeout must be a positive number of seconds`);

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
  if (values.reader === 'pcsc') {
    try {
      pcsc = await PcscReader.open(values['reader-name'] === undefined ? {} : { readerName: values['reader-name'] });
    } catch (error) {
      if (error instanceof PcscSetupError) fail(error.message);
      throw error;
    }
    process.stderr.write(`simulator: PC/SC reader "${pcsc.name}" (${pcsc.cardPresent ? 'card present' : 'empty'})\n`);
  } else if (values.reader !== 'sim' && values.reader !== 'apdu') {
    fail(`--reader must be sim, apdu or pcsc, got "${values.reader}"`);
  }
  const scripted = steps !== null;
  let lineReader: SimLineReader | null = null;
  const rig = new TerminalRig({
    config: simulation.config,
    usage: simulation.usage,
    flash: simulation.flash,
    startTime,
    seed: `terminal ${startTime}`,
    terminal: { keypadTimeoutMs: timeoutSeconds * 1000 },
    ...(pcsc ? { reader: pcsc } : values.reader === 'sim' ? { readerOverSlot: (slot: SimCardSlot) => (lineReader = new SimLineReader(slot)) } : {}),
    onOutput: (output) => {
      if (scripted) process.stdout.write(`${jsonLine(output)}\n`);
      else if (output.kind === 'event') process.stdout.write(`${describeEvent(output)}\n`);
      else process.stdout.write(`${rig.lcd.render()}\n`);
    },
  });
  await rig.start();
  if (steps) {
    await runScripted(simulation, rig, steps);
    pcsc?.close();
    if (lineReader) process.stdout.write(`${JSON.stringify({ line: lineSummary(lineReader) })}\n`);
  }
  else await runInteractive(simulation, rig);
}

await main();
