// The card on a real PC/SC stack: vpcd framing, the virtual card against a fake vpcd, then
// pcscd + vsmartcard-vpcd for real: opensc-tool, scriptor and the simulator (--reader pcsc)
// talk to the virtual card. The pcscd part needs root (pcscd's socket is /run/pcscd); without
// it those tests are skipped with the reason, except in CI, where they must run.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { answerToReset } from '../card/atr.js';
import { fromHex as bytes, toHex as hex } from '../firmware/protocol/bytes.js';
import { CardMuteError, CardRemovedError } from '../hal/reader.js';
import { PcscReader, PcscSetupError, type PcscBinding } from '../hal/pcsc/reader.js';
import { encodeVpcdFrame, VpcdFrameReader, VPCD_MAX_PAYLOAD } from '../tools/pcsc/vpcd-frame.js';
import { quickAckAvailable } from '../tools/pcsc/quickack.js';
import { openSimulation } from '../tools/simulator/simulation.js';

const VIRTUAL_CARD = 'build/tools/pcsc/virtual-card.js';
const SIMULATOR = 'build/tools/simulator/main.js';
const READER = 'Virtual PCD 00 00';
const SELECT = '00A4040006F04943435201';
const READ_CARD_DATA = '80CA000100';

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it is true; a deadline in attempts (not wall-clock asserts) keeps a stuck test finite. */
async function until(what: string, check: () => boolean | Promise<boolean>, attempts = 100, everyMs = 100): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return;
    await sleep(everyMs);
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** A free TCP port on 127.0.0.1 whose successor is free too (vpcd's second slot takes it). */
async function freePortPair(): Promise<number> {
  const listen = (port: number) => new Promise<Server | null>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(null));
    server.listen(port, '0.0.0.0', () => resolve(server));
  });
  for (;;) {
    const first = (await listen(0))!;
    const port = (first.address() as { port: number }).port;
    const second = port < 65535 ? await listen(port + 1) : null;
    await new Promise((resolve) => first.close(resolve));
    if (second) {
      await new Promise((resolve) => second.close(resolve));
      return port;
    }
  }
}

function startVirtualCard(card: string, port: number, extra: string[] = []): { child: ChildProcess; log: () => string } {
  const child = spawn(process.execPath, [VIRTUAL_CARD, '--card', card, '--port', String(port), ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    log += chunk.toString();
  });
  return { child, log: () => log };
}

async function stopProcess(child: ChildProcess | null): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

// ---------------------------------------------------------------------------------------------

describe('vpcd framing', () => {
  it('reassembles frames cut anywhere: a split length, a payload in pieces, several frames in one chunk', () => {
    const stream = Uint8Array.from([...encodeVpcdFrame(Uint8Array.of(4)), ...encodeVpcdFrame(bytes(SELECT)), ...encodeVpcdFrame(Uint8Array.of(0))]);
    for (let cut = 0; cut <= stream.length; cut++) {
      for (let cut2 = cut; cut2 <= stream.length; cut2++) {
        const reader = new VpcdFrameReader();
        const messages = [...reader.push(stream.subarray(0, cut)), ...reader.push(stream.subarray(cut, cut2)), ...reader.push(stream.subarray(cut2))];
        assert.deepEqual(messages.map((m) => m.kind), ['get-atr', 'apdu', 'power-off'], `cuts at ${cut}, ${cut2}`);
        assert.equal(hex((messages[1] as { apdu: Uint8Array }).apdu), SELECT);
        assert.equal(reader.pending, 0);
        assert.equal(reader.end(), null);
      }
    }
  });

  it('decodes every control code, and reports odd frames instead of failing: unknown code, empty frame', () => {
    const reader = new VpcdFrameReader();
    const kinds = reader.push(Uint8Array.from([0, 1, 0, 0, 1, 1, 0, 1, 2, 0, 1, 4, 0, 1, 9, 0, 0]));
    assert.deepEqual(kinds, [{ kind: 'power-off' }, { kind: 'power-on' }, { kind: 'reset' }, { kind: 'get-atr' }, { kind: 'unknown-control', code: 9 }, { kind: 'empty' }]);
  });

  it('a stream that ends inside a frame says where, and keeps nothing for the next connection', () => {
    const reader = new VpcdFrameReader();
    assert.deepEqual(reader.push(Uint8Array.of(0)), []);
    assert.equal(reader.end(), 'stream ended inside a frame length (1 of 2 bytes)');
    assert.deepEqual(reader.push(Uint8Array.of(0, 5, 0x80, 0xca)), []);
    assert.equal(reader.pending, 4);
    assert.equal(reader.end(), 'stream ended inside a frame: 2 of 5 payload bytes');
    assert.equal(reader.pending, 0);
  });

  it('encodes the length big-endian and refuses payloads the 2-byte length cannot carry', () => {
    assert.deepEqual([...encodeVpcdFrame(new Uint8Array(0x1234)).subarray(0, 2)], [0x12, 0x34]);
    assert.equal(encodeVpcdFrame(new Uint8Array(VPCD_MAX_PAYLOAD)).length, VPCD_MAX_PAYLOAD + 2);
    assert.throws(() => encodeVpcdFrame(new Uint8Array(VPCD_MAX_PAYLOAD + 1)), RangeError);
  });
});

// ---------------------------------------------------------------------------------------------

/** A stand-in for vpcd: a TCP server that sends frames as Debian's vpcd does (length and payload in two writes). */
class FakeVpcd {
  readonly server: Server;
  socket: Socket | null = null;
  #frames = new VpcdFrameReader();
  #waiting: Array<(payload: Uint8Array) => void> = [];
  #received: Uint8Array[] = [];
  #connected: Array<() => void> = [];

  constructor() {
    this.server = createServer((socket) => {
      this.socket = socket;
      this.#frames = new VpcdFrameReader();
      socket.on('data', (chunk: Buffer) => {
        for (const message of this.#frames.push(new Uint8Array(chunk))) {
          const payload = message.kind === 'apdu' ? message.apdu : new Uint8Array(0);
          const waiter = this.#waiting.shift();
          if (waiter) waiter(payload);
          else this.#received.push(payload);
        }
      });
      for (const wake of this.#connected.splice(0)) wake();
    });
  }

  listen(port = 0): Promise<number> {
    return new Promise((resolve) => this.server.listen(port, '127.0.0.1', () => resolve((this.server.address() as { port: number }).port)));
  }

  connection(): Promise<void> {
    return this.socket && !this.socket.destroyed ? Promise.resolve() : new Promise((resolve) => this.#connected.push(resolve));
  }

  /** Sends one request split as vpcd does; resolves with the answer (control codes other than get-ATR get none). */
  async request(payload: Uint8Array, answered = true): Promise<Uint8Array | null> {
    const frame = encodeVpcdFrame(payload);
    this.socket!.write(frame.subarray(0, 2));
    this.socket!.write(frame.subarray(2));
    if (!answered) return null;
    const early = this.#received.shift();
    if (early) return early;
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  async close(): Promise<void> {
    this.socket?.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

describe('virtual card (npm run virtual-card) against a stand-in vpcd', function () {
  let data: string;
  let cardFile: string;
  let card: ReturnType<typeof startVirtualCard> | null = null;
  let vpcd: FakeVpcd | null = null;

  before(() => {
    data = mkdtempSync(join(tmpdir(), 'pcsc-fake-'));
    openSimulation(data, () => {});
    cardFile = join(data, 'cards', 'alice.card.json');
  });
  afterEach(async () => {
    await stopProcess(card?.child ?? null);
    card = null;
    await vpcd?.close();
    vpcd = null;
  });
  after(() => rmSync(data, { recursive: true, force: true }));

  it('answers power on, the ATR poll and APDUs, and saves the card after a write (Ns try counter)', async () => {
    vpcd = new FakeVpcd();
    const port = await vpcd.listen();
    card = startVirtualCard(cardFile, port);
    await vpcd.connection();
    const before = readFileSync(cardFile, 'utf8');
    await vpcd.request(Uint8Array.of(1), false); // power on
    assert.equal(hex((await vpcd.request(Uint8Array.of(4)))!), hex(answerToReset()));
    assert.equal(hex((await vpcd.request(bytes(SELECT)))!), '9000');
    const data = (await vpcd.request(bytes(READ_CARD_DATA)))!;
    assert.equal(hex(data.subarray(-2)), '9000');
    assert.ok(hex(data).includes(Buffer.from('12345678').toString('hex').toUpperCase()), 'card data holds Nt 12345678');
    assert.equal(readFileSync(cardFile, 'utf8'), before, 'reading writes nothing');
    // A wrong setting number: the card decrements its counter in EEPROM, so the file changes.
    assert.equal(hex((await vpcd.request(bytes('0020008204 39393939')))!), '63C2');
    const saved = readFileSync(cardFile, 'utf8');
    assert.notEqual(saved, before, 'the try counter reached the file before the answer left');
    assert.equal(JSON.parse(saved).format, 'icc-card-image/1');
    assert.deepEqual(readdirSync(dirname(cardFile)).filter((name) => name.endsWith('.tmp')), [], 'no temporary file left behind');
    // Restore the counter: the right Ns.
    assert.equal(hex((await vpcd.request(bytes('0020008204 31333537')))!), '9000');
    assert.match(card.log(), /in the reader/);
  });

  it('comes back into the reader when vpcd restarts', async () => {
    vpcd = new FakeVpcd();
    const port = await vpcd.listen();
    card = startVirtualCard(cardFile, port);
    await vpcd.connection();
    await vpcd.close();
    vpcd = new FakeVpcd();
    await vpcd.listen(port);
    await vpcd.connection();
    await vpcd.request(Uint8Array.of(1), false);
    assert.equal(hex((await vpcd.request(bytes(SELECT)))!), '9000');
    assert.match(card.log(), /reconnecting/);
  });

  it('refuses a file that is not a card image, saying which and why', () => {
    const bad = join(data, 'bad.card.json');
    writeFileSync(bad, '{"format":"something-else"}');
    const run = spawnSync(process.execPath, [VIRTUAL_CARD, '--card', bad], { encoding: 'utf8' });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /card image format must be "icc-card-image\/1"/);
    const missing = spawnSync(process.execPath, [VIRTUAL_CARD], { encoding: 'utf8' });
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /--card FILE is required/);
  });
});

// ---------------------------------------------------------------------------------------------

describe('PC/SC reader HAL with a stand-in binding', () => {
  it('says plainly that pcscd is not running, and how to start it', async () => {
    const binding = {
      Context: class {
        constructor() {
          throw new Error('PC/SC service not running');
        }
      },
    } as unknown as PcscBinding;
    await assert.rejects(PcscReader.open({ binding }), (error: Error) => error instanceof PcscSetupError && /pcscd is not running: start it with/.test(error.message));
  });

  it('names the readers it found when the one asked for is not there', async () => {
    const binding = {
      Context: class {
        listReaders() {
          return [{ name: 'Other Reader 00 00', state: 0, connect: async () => null }];
        }
        close() {}
      },
      SCARD_STATE_PRESENT: 0x20,
    } as unknown as PcscBinding;
    await assert.rejects(PcscReader.open({ binding, readerName: 'Virtual PCD' }), /no PC\/SC reader called "Virtual PCD": readers: "Other Reader 00 00"/);
  });
});

// ---------------------------------------------------------------------------------------------

interface Pcscd {
  readonly child: ChildProcess | null;
  readonly port: number;
}

/** Why pcscd cannot be used here, or null if it can. */
function pcscdUnavailable(): string | null {
  if (spawnSync('pcscd', ['--version']).error) return 'pcscd is not installed (apt install pcscd vsmartcard-vpcd pcsc-tools opensc)';
  if (!existsSync('/usr/lib/pcsc/drivers/serial/libifdvpcd.so')) return 'the vpcd driver is not installed (apt install vsmartcard-vpcd)';
  if (process.getuid?.() !== 0) return 'pcscd needs root to create /run/pcscd (run the tests as root, as CI does)';
  return null;
}

function listReaders(): string {
  return spawnSync('opensc-tool', ['-l'], { encoding: 'utf8', timeout: 10000 }).stdout ?? '';
}

/** Starts pcscd in the foreground with only the vpcd reader, on free ports; or uses a running pcscd that has it. */
async function startPcscd(dir: string): Promise<Pcscd> {
  const running = existsSync('/run/pcscd/pcscd.comm') && spawnSync('opensc-tool', ['-l'], { encoding: 'utf8', timeout: 10000 }).status === 0;
  if (running) {
    if (!listReaders().includes(READER)) throw new Error(`a pcscd is already running without the vpcd reader "${READER}": stop it (sudo systemctl stop pcscd) or install vsmartcard-vpcd and restart it`);
    return { child: null, port: 35963 };
  }
  const port = await freePortPair();
  const config = join(dir, 'reader.conf.d');
  mkdirSync(config);
  writeFileSync(join(config, 'vpcd'), `FRIENDLYNAME "Virtual PCD"\nDEVICENAME /dev/null:0x${port.toString(16)}\nLIBPATH /usr/lib/pcsc/drivers/serial/libifdvpcd.so\nCHANNELID 0x${port.toString(16)}\n`);
  const child = spawn('pcscd', ['--foreground', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  try {
    await until('pcscd to list the vpcd reader', () => {
      if (child.exitCode !== null) throw new Error(`pcscd exited (${child.exitCode}): ${log}`);
      return listReaders().includes(READER);
    });
  } catch (error) {
    await stopProcess(child);
    throw error;
  }
  return { child, port };
}

function smartcard(): PcscBinding & { Context: new () => { listReaders(): Array<{ name: string; connect(share: number, protocol: number): Promise<{ transmit(c: Uint8Array, o?: object): Promise<Uint8Array>; disconnect(d?: number): void }> }>; close(): void } } {
  return createRequire(import.meta.url)('smartcard');
}

/** Exchanges `count` READ CARD DATA commands; returns APDUs per second (printed, never asserted). */
async function apdusPerSecond(count: number): Promise<number> {
  const sc = smartcard();
  const context = new sc.Context();
  try {
    const reader = context.listReaders().find((r) => r.name === READER)!;
    const card = await reader.connect(sc.SCARD_SHARE_EXCLUSIVE, sc.SCARD_PROTOCOL_T0 | sc.SCARD_PROTOCOL_T1);
    assert.equal(hex(await card.transmit(bytes(SELECT))), '9000');
    const started = process.hrtime.bigint();
    for (let i = 0; i < count; i++) {
      const response = await card.transmit(bytes(READ_CARD_DATA), { maxRecvLength: 1024 });
      assert.equal(hex(response.subarray(-2)), '9000');
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    card.disconnect(sc.SCARD_UNPOWER_CARD);
    return count / seconds;
  } finally {
    context.close();
  }
}

describe('the card on a real PC/SC stack: pcscd + vsmartcard-vpcd', function () {
  let dir: string;
  let data: string;
  let cardFile: string;
  let pcscd: Pcscd | null = null;
  let card: ReturnType<typeof startVirtualCard> | null = null;

  async function insertCard(extra: string[] = []): Promise<void> {
    card = startVirtualCard(cardFile, pcscd!.port, extra);
    const reader = await PcscReader.open({ readerName: READER });
    try {
      await until(`the virtual card in "${READER}"`, () => reader.cardPresent);
    } finally {
      reader.close();
    }
  }

  async function removeCard(): Promise<void> {
    await stopProcess(card?.child ?? null);
    card = null;
    await until(`"${READER}" to be empty`, () => /^\s*\d+\s+No\s+Virtual PCD 00 00/m.test(listReaders()));
  }

  before(async function () {
    const reason = pcscdUnavailable();
    if (reason) {
      if (process.env.CI) throw new Error(`CI must run the PC/SC tests, but ${reason}`);
      console.log(`      (skipped: ${reason})`);
      this.skip();
    }
    dir = mkdtempSync(join(tmpdir(), 'pcsc-'));
    data = join(dir, 'sim-data');
    openSimulation(data, () => {});
    // The card in the reader is the simulator's alice, served from its own copy of the file.
    cardFile = join(dir, 'alice.card.json');
    writeFileSync(cardFile, readFileSync(join(data, 'cards', 'alice.card.json')));
    pcscd = await startPcscd(dir);
  });

  // Waits until pcscd has seen the card go, so the next test's card is a new insertion.
  afterEach(async () => {
    if (card) await removeCard();
  });

  after(async () => {
    await stopProcess(pcscd?.child ?? null);
    pcscd = null;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('opensc-tool selects the application and reads the card data', async () => {
    await insertCard();
    const run = spawnSync('opensc-tool', ['-r', READER, '-c', 'default', '-s', SELECT, '-s', READ_CARD_DATA], { encoding: 'utf8', timeout: 20000 });
    assert.equal(run.status, 0, run.stderr);
    const answers = run.stdout.match(/Received \(SW1=0x[0-9a-f]{2}, SW2=0x[0-9a-f]{2}\)/g) ?? [];
    assert.deepEqual(answers, ['Received (SW1=0x90, SW2=0x00)', 'Received (SW1=0x90, SW2=0x00)'], run.stdout);
    assert.match(run.stdout, /12345678/, 'Nt in the card data');
    assert.match(run.stdout, /70 81 E9 C1 08 31 32 33 34 35 36 37 38/, 'BER-TLV card data: template 70, Nt in C1');
  });

  it('scriptor runs SELECT, READ CARD DATA and the tries-left VERIFY', async () => {
    await insertCard();
    const script = join(dir, 'card.scriptor');
    writeFileSync(script, '# ICC credit card\n00 A4 04 00 06 F0 49 43 43 52 01\n80 CA 00 01 00\n00 20 00 82\n00 20 00 81\n');
    const run = spawnSync('scriptor', ['-r', READER, script], { encoding: 'utf8', timeout: 20000 });
    assert.equal(run.status, 0, run.stderr);
    // Each answer: "< " then hex over one or more lines, then " : " and scriptor's reading of SW1 SW2.
    const answers = [...run.stdout.matchAll(/^< ([0-9A-F\s]+?) :/gm)].map((m) => m[1]!.replace(/\s+/g, ''));
    assert.equal(answers.length, 4, run.stdout);
    assert.equal(answers[0], '9000');
    assert.match(answers[1]!, /9000$/);
    assert.equal(answers[2], '63C3', 'three tries left for the setting number');
    assert.equal(answers[3], '6984', 'no PIN registered yet');
  });

  it('the simulator (--reader pcsc) registers a PIN and gives a service through pcscd; the card keeps the PIN', async () => {
    await insertCard();
    const session = join(dir, 'register-and-call.script');
    // The demo session without its last line: the card stays in the reader, the test takes it out.
    writeFileSync(session, readFileSync('tests/sessions/register-and-call.script', 'utf8').replace(/^remove\s*$/m, ''));
    const simulate = (script: string) => new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [SIMULATOR, '--data', data, '--reader', 'pcsc', '--reader-name', READER, '--script', script, '--time', '2026-11-23T09:00:00Z']);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('exit', (status) => resolve({ status, stdout, stderr }));
    });
    const events = (stdout: string) => stdout.split('\n').filter((line) => line.includes('"event"')).map((line) => JSON.parse(line) as Record<string, unknown>);
    const run = await simulate(session);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /PC\/SC reader "Virtual PCD 00 00" \(card present\)/);
    const names = events(run.stdout).map((e) => e.event);
    for (const expected of ['card-inserted', 'card-accepted', 'pin-registered', 'pin-verified', 'service-started', 'service-ended', 'record-written', 'eject']) {
      assert.ok(names.includes(expected), `event ${expected} missing from ${names.join(', ')}`);
    }
    assert.equal(events(run.stdout).find((e) => e.event === 'record-written')!.registrationNumber, '12345678');

    // Out of the reader and back in: a new virtual-card process reads the file the card wrote.
    await removeCard();
    await insertCard();
    const again = join(dir, 'again.script');
    writeFileSync(again, 'insert alice\nkeys 2468 ENTER\nkeys 0312345678 ENTER\nwait 30\nkeys END\n');
    const second = await simulate(again);
    assert.equal(second.status, 0, second.stderr);
    const accepted = events(second.stdout).find((e) => e.event === 'card-accepted')!;
    assert.equal(accepted.pinRegistered, true, 'the PIN registered through pcscd is in the card file');
    assert.equal(events(second.stdout).find((e) => e.event === 'record-written')!.sequence, 2);
  });

  it('the reader HAL reports the card leaving mid-session, and it coming back', async () => {
    await insertCard();
    const reader = await PcscReader.open({ readerName: 'Virtual PCD' });
    try {
      assert.equal(reader.name, READER);
      assert.equal(reader.cardPresent, true);
      assert.equal(hex(await reader.powerOn()), hex(answerToReset()));
      assert.equal(hex(await reader.transmit(bytes(SELECT))), '9000');
      let removed = 0;
      reader.onRemoved = () => removed++;
      await stopProcess(card!.child);
      await reader.whenAbsent();
      assert.equal(removed, 1);
      await assert.rejects(reader.transmit(bytes(READ_CARD_DATA)), (error: Error) => error instanceof CardRemovedError || error instanceof CardMuteError);
      await assert.rejects(reader.powerOn(), CardRemovedError);
      let inserted = 0;
      reader.onInserted = () => inserted++;
      card = startVirtualCard(cardFile, pcscd!.port);
      await reader.whenPresent();
      assert.equal(inserted, 1);
      await reader.powerOn();
      assert.equal(hex(await reader.transmit(bytes(SELECT))), '9000');
      await reader.powerOff();
    } finally {
      reader.close();
    }
  });

  it('benchmark (printed, not asserted): APDUs per second through pcscd, by latency mode', async function () {
    const modes: Array<[string, number]> = [['none', 10], ['nodelay', 20]];
    if (quickAckAvailable()) modes.push(['quickack', 500]);
    else console.log('      quickack: the tcp-quickack helper is not built; not measured');
    for (const [mode, count] of modes) {
      await insertCard(['--latency', mode]);
      const rate = await apdusPerSecond(count);
      console.log(`      ${mode.padEnd(8)} ${rate.toFixed(1).padStart(8)} APDU/s  (${(1000 / rate).toFixed(2)} ms per READ CARD DATA, ${count} commands)`);
      await removeCard();
    }
  });
});
