// The main job as a person runs it: `npm start -- --script FILE` on a fresh data folder, and
// the interactive console through a pipe and in a real pseudo-terminal (tmux).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TmuxPane, tmuxMissing } from './support/tmux.js';
import { asciiHex, logHolds, readLineLog, type LoggedSession } from './support/line-log.js';

const MAIN = 'build/tools/simulator/main.js';
const mode = (path: string) => statSync(path).mode & 0o777;
const SESSION = 'tests/sessions/register-and-call.script';

interface Line {
  readonly t?: string;
  readonly lcd?: readonly string[];
  readonly event?: string;
  readonly script?: string;
  readonly [key: string]: unknown;
}

/** The records in a data folder, through the script verb `records`. */
function journal(data: string): Array<Record<string, unknown>> {
  const script = join(data, 'records.script');
  writeFileSync(script, 'records\n');
  const run = simulate(data, script);
  assert.equal(run.status, 0, run.stderr);
  return run.events.find((line) => line.event === 'records')!.records as Array<Record<string, unknown>>;
}

/** The interactive simulator with a pipe for stdin; `input` is written at once, the pipe stays open. */
function interactive(data: string) {
  const child = spawn(process.execPath, [MAIN, '--data', data], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return {
    child,
    exited,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    async waitFor(pattern: RegExp, timeoutMs = 20000): Promise<void> {
      const until = Date.now() + timeoutMs;
      while (!pattern.test(stdout)) {
        if (Date.now() > until) throw new Error(`timed out waiting for ${pattern}; output:\n${stdout}\n${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}

function simulate(data: string, script: string, extra: string[] = []) {
  const run = spawnSync(process.execPath, [MAIN, '--data', data, '--script', script, '--time', '2026-11-23T09:00:00Z', ...extra], { encoding: 'utf8' });
  const lines: Line[] = run.stdout.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as Line);
  return { status: run.status, stderr: run.stderr, lines, events: lines.filter((line) => line.event) };
}

describe('terminal simulator (npm start)', function () {
  let data: string;
  beforeEach(() => {
    data = mkdtempSync(join(tmpdir(), 'sim-'));
  });
  afterEach(() => rmSync(data, { recursive: true, force: true }));

  it('creates the demo on first run and replays the scripted session: PIN registered, call made, record written', () => {
    const run = simulate(data, SESSION);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /alice.*12345678.*1357/s, 'first run prints the demo cards with Nt and Ns');
    assert.equal(mode(join(data, 'cards', 'alice.card.json')), 0o600, 'card images hold secrets: 0600');
    const names = run.events.map((line) => line.event);
    for (const expected of ['card-inserted', 'card-accepted', 'pin-registered', 'pin-verified', 'service-started', 'service-ended', 'record-written', 'eject']) {
      assert.ok(names.includes(expected), `event ${expected} missing from ${names.join(', ')}`);
    }
    const ended = run.events.find((line) => line.event === 'service-ended')!;
    assert.equal(ended.durationSeconds, 125);
    assert.equal(ended.fee, 40);
    const record = run.events.find((line) => line.event === 'record-written')!;
    assert.equal(record.sequence, 1);
    assert.equal(record.registrationNumber, '12345678');
    const frames = run.lines.filter((line) => line.lcd);
    assert.ok(frames.length > 10, 'one line per LCD frame');
    for (const frame of frames) {
      assert.equal(frame.lcd!.length, 4);
      for (const row of frame.lcd!) assert.equal(row.length, 20);
    }
    assert.ok(frames.some((frame) => frame.lcd![0]!.startsWith('Enter PIN')));
    assert.deepEqual(frames[frames.length - 1]!.lcd![2], 'Please insert card'.padEnd(20));
    const line = run.lines.find((entry) => typeof entry.line === 'object')?.line as Record<string, unknown> | undefined;
    assert.ok(line, 'a summary of the card line');
    assert.equal(line.protocol, 'T=1', 'the card answered over T=1');
    assert.equal(line.pps, 'accepted', 'at the rate of its TA1');
    assert.ok((line.bytesToCard as number) > 200 && (line.bytesToTerminal as number) > 250, `bytes crossed the contacts: ${JSON.stringify(line)}`);
  });

  it('keeps card and journal state between runs: the PIN stays registered, sequence numbers go on', () => {
    assert.equal(simulate(data, SESSION).status, 0);
    const script = join(data, 'again.script');
    writeFileSync(script, 'insert alice\nkeys 2468 ENTER\nkeys 0312345678 ENTER\nwait 30\nkeys END\nremove\n');
    const run = simulate(data, script);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.events.find((line) => line.event === 'card-accepted')!.pinRegistered, true);
    assert.equal(run.events.find((line) => line.event === 'record-written')!.sequence, 2);
  });

  it('the encrypted card channel ([0021]) in the line log: carol\'s Ns and PIN never cross the contacts in clear, alice\'s (no agreement key) do', () => {
    const log = join(data, 'line.log');
    const run = simulate(data, 'tests/sessions/secure-channel.script', ['--line-log', log]);
    assert.equal(run.status, 0, run.stderr);
    const of = (event: string) => run.events.filter((line) => line.event === event);
    assert.equal(of('secure-channel-opened').length, 1, 'opened for carol only');
    assert.deepEqual(of('record-written').map((e) => e.registrationNumber), ['24681357', '12345678'], 'both calls given and recorded');
    assert.equal(mode(log), 0o600, 'a line log can hold PINs: 0600');
    const [carol, alice, ...more] = readLineLog(log);
    assert.equal(more.length, 0, 'two card sessions');
    const both = (session: LoggedSession) => [...session.toCard, ...session.toTerminal];
    assert.ok(logHolds(carol!.toTerminal, asciiHex('24681357')), "carol's card data (Nt) are read in clear, as the log must show them");
    assert.ok(logHolds(carol!.toCard, '80 88 00 13'), 'the key agreement crossed the contacts');
    assert.equal(logHolds(both(carol!), asciiHex('9753')), false, "carol's setting number Ns is never in clear");
    assert.equal(logHolds(both(carol!), asciiHex('8642')), false, "carol's PIN is never in clear");
    assert.ok(logHolds(alice!.toCard, asciiHex('1357')) && logHolds(alice!.toCard, asciiHex('2468')), "in clear the log shows alice's Ns and PIN: the check above can fail");
    assert.equal(logHolds(alice!.toCard, '80 88 00 13'), false, 'no key agreement with a card that has no agreement key');
  });

  it('--line-log needs the byte line and a file it can write', () => {
    let run = simulate(data, SESSION, ['--line-log', join(data, 'line.log'), '--reader', 'apdu']);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /--line-log needs --reader sim \(the byte line\), not --reader apdu/);
    run = simulate(data, SESSION, ['--line-log', join(data, 'no-such-folder', 'line.log')]);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /cannot write the line log .*no-such-folder\/line\.log: ENOENT/);
  });

  it('end to end (issue 11): two cards, calls, a power cut in one, uploads, a hotlist change reaching the terminal, the month\'s bill to the yen', () => {
    const cli = (args: string[]) => {
      const run = spawnSync(process.execPath, args, { encoding: 'utf8' });
      assert.equal(run.status, 0, `${args.join(' ')}: ${run.stderr}`);
    };
    const dayOne = simulate(data, 'tests/sessions/day-one.script');
    assert.equal(dayOne.status, 0, dayOne.stderr);
    assert.match(dayOne.stderr, /centre CENTRE-1 at http:\/\/127\.0\.0\.1:\d+, store SQLite/);
    const of = (run: typeof dayOne, event: string) => run.events.filter((line) => line.event === event);
    assert.deepEqual(of(dayOne, 'record-written').map((e) => [e.sequence, e.registrationNumber, e.fee]), [[1, '12345678', 40], [2, '87654321', 20]]);
    assert.deepEqual(of(dayOne, 'power-restored').map((e) => e.recovered), [[3]], 'the call the power cut is closed at boot');
    const [beforeUpload, afterUpload] = of(dayOne, 'records').map((e) => e.records as Array<Record<string, unknown>>);
    const cut = beforeUpload!.find((r) => r.sequence === 3)!;
    assert.equal(cut.cutShort, true);
    assert.equal(cut.fee, 30, 'connection fee + the two units the 65 s call had started');
    assert.deepEqual(beforeUpload!.map((r) => r.acknowledged), [false, false, false]);
    assert.deepEqual(of(dayOne, 'upload').map((e) => [e.reason, e.outcome, e.sent, e.acknowledged]), [['demand', 'acknowledged', 3, 3]]);
    assert.deepEqual(afterUpload!.map((r) => r.acknowledged), [true, true, true], '`records` shows what the centre holds');

    // The issuer lists bob's card; the centre keeps the signed change list to relay it.
    const change = join(data, 'hotlist-1.json');
    cli(['build/issuer/cli.js', 'hotlist-change', '--key', join(data, 'issuer'), '--version', '1', '--add', '0000000000000B0B', '--out', change]);
    cli(['build/center/cli.js', 'import-hotlist', change, '--data', join(data, 'centre'), '--issuer', join(data, 'issuer')]);

    const dayTwo = simulate(data, 'tests/sessions/day-two.script', ['--time', '2026-11-24T09:00:00Z']);
    assert.equal(dayTwo.status, 0, dayTwo.stderr);
    const uploads = of(dayTwo, 'upload');
    assert.deepEqual([uploads[0]!.outcome, uploads[0]!.sent, uploads[0]!.hotlistVersion], ['checked-in', 0, 1], 'nothing pending: a check-in brings hotlist version 1');
    assert.deepEqual(of(dayTwo, 'card-rejected').map((e) => e.reason), ['hotlisted'], "bob's card is refused once the change reached the terminal");
    assert.deepEqual(of(dayTwo, 'card-blocked').map((e) => [e.by, e.step]), [['terminal', 'hotlist']], 'and blocked in the card before it comes out ([0019])');
    assert.deepEqual([uploads[1]!.outcome, uploads[1]!.sent, uploads[1]!.acknowledged], ['acknowledged', 1, 4]);
    const records = of(dayTwo, 'records')[0]!.records as Array<{ registrationNumber: string; fee: number; acknowledged: boolean }>;
    assert.equal(records.length, 4);
    assert.ok(records.every((r) => r.acknowledged));
    // The bill equals the services given: every call's fee, summed per Nt, the cut-short one included.
    const bill = of(dayTwo, 'bill')[0]!.bill as { month: string; records: number; fee: number; registrations: Array<{ registrationNumber: string; records: number; fee: number }> };
    const given = new Map<string, { records: number; fee: number }>();
    for (const r of records) {
      const sum = given.get(r.registrationNumber) ?? { records: 0, fee: 0 };
      given.set(r.registrationNumber, { records: sum.records + 1, fee: sum.fee + r.fee });
    }
    assert.equal(bill.month, '2026-11');
    assert.deepEqual(bill.registrations, [...given].sort().map(([registrationNumber, sum]) => ({ registrationNumber, ...sum })));
    assert.equal(bill.fee, 40 + 20 + 30 + 20);
    assert.equal(bill.records, 4);
  });

  it('a script with a mistake is refused before anything runs, naming the line', () => {
    const script = join(data, 'bad.script');
    writeFileSync(script, 'insert alice\nkeys 12 ENTRE\n');
    const run = simulate(data, script);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /script line 2: "ENTRE" is not a key/);
    assert.equal(run.lines.length, 0);
  });

  it('an unknown card name stops the script with a clear error', () => {
    const script = join(data, 'nobody.script');
    writeFileSync(script, 'insert dave\n');
    const run = simulate(data, script);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /script line 1: no card called "dave" \(cards: alice, bob, carol\)/);
  });

  it('an unknown card name further down stops the script before its first line runs', () => {
    const script = join(data, 'later.script');
    writeFileSync(script, 'insert alice\nkeys 2468 ENTER\nremove\n# then\ninsert dave\n');
    const run = simulate(data, script);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /^simulator: script line 5: no card called "dave"/m);
    assert.equal(run.lines.length, 0, 'nothing ran: no LCD frame, no event');
  });

  it('scripts list the journal and the cards as JSON events; records carry UTC and the local time', () => {
    const script = join(data, 'look.script');
    writeFileSync(script, `${'records\n'}insert alice\nkeys REGISTER\nkeys 12345678 ENTER\nkeys 1357 ENTER\nkeys 2468 ENTER\nkeys 2468 ENTER\nkeys 2468 ENTER\n`
      + 'keys 0312345678 ENTER\nwait 61\nkeys END\nremove\nrecords\ncards\n');
    const run = simulate(data, script);
    assert.equal(run.status, 0, run.stderr);
    const lists = run.events.filter((line) => line.event === 'records');
    assert.equal(lists.length, 2);
    assert.deepEqual(lists[0]!.records, [], 'a fresh journal is empty');
    assert.deepEqual(lists[1]!.records, [{
      sequence: 1, registrationNumber: '12345678', cardNumber: '0000000000000A11',
      startedAt: '2026-11-23T09:00:00.000Z', localTime: '2026-11-23 18:00:00 +09:00',
      durationSeconds: 61, fee: 30, currency: 'JPY', dialled: '0312345678', cutShort: false, continuation: false, acknowledged: false,
    }]);
    const cards = run.events.find((line) => line.event === 'cards')!.cards as Array<Record<string, unknown>>;
    assert.deepEqual(cards.map((card) => [card.label, card.registrationNumber, card.settingNumber]), [['alice', '12345678', '1357'], ['bob', '87654321', '2468'], ['carol', '24681357', '9753']]);
    assert.ok(run.lines.findIndex((line) => line.script === 'cards') < run.lines.findIndex((line) => line.event === 'cards'), 'the script line comes first, then its answer');
  });

  it('three wrong registration numbers block the card: the LCD says why, `cards` shows it blocked, and it is refused when inserted again', () => {
    const script = join(data, 'block.script');
    writeFileSync(script, 'insert alice\nkeys REGISTER\nkeys 11111111 ENTER\nkeys 22222222 ENTER\nkeys 33333333 ENTER\nremove\ncards\ninsert alice\nremove\n');
    const run = simulate(data, script);
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(run.events.filter((line) => line.event === 'card-blocked').map((line) => [line.by, line.step]), [['terminal', 'registration-number']]);
    assert.ok(run.lines.some((line) => line.lcd?.[0]?.trim() === 'Card blocked' && line.lcd[1]?.trim() === '3 wrong reg. numbers'), 'the LCD says why');
    const cards = run.events.find((line) => line.event === 'cards')!.cards as Array<Record<string, unknown>>;
    assert.deepEqual(cards.map((card) => [card.label, card.blocked]), [['alice', true], ['bob', false], ['carol', false]]);
    assert.deepEqual(run.events.filter((line) => line.event === 'card-rejected').map((line) => line.reason), ['blocked'], 'refused at the next insertion');
  });

  it('a script that ends during a call ends the call: billed, recorded, then the terminal shuts down', () => {
    assert.equal(simulate(data, SESSION).status, 0);
    const script = join(data, 'hang.script');
    writeFileSync(script, 'insert alice\nkeys 2468 ENTER\nkeys 0312345678 ENTER\nwait 90\n');
    const run = simulate(data, script);
    assert.equal(run.status, 0, run.stderr);
    const ended = run.events.find((line) => line.event === 'service-ended')!;
    assert.equal(ended.endedBy, 'shutdown');
    assert.equal(ended.durationSeconds, 90);
    assert.equal(ended.fee, 30);
    assert.equal(run.events.find((line) => line.event === 'record-written')!.sequence, 2);
    assert.equal(run.events[run.events.length - 1]!.event, 'shutdown', 'the last event');
    assert.deepEqual(journal(data).map((record) => [record.sequence, record.durationSeconds]), [[1, 125], [2, 90]], 'saved to the flash file');
  });

  it('a broken card file is reported with its name, exit code 2', () => {
    assert.equal(simulate(data, SESSION).status, 0);
    const broken = join(data, 'cards', 'bob.card.json');
    writeFileSync(broken, '{"format": "icc-card-image/1", "label": "bob", "eeprom": "00"}');
    let run = simulate(data, SESSION);
    assert.equal(run.status, 2);
    assert.match(run.stderr, new RegExp(`^simulator: ${broken.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: `, 'm'));
    assert.equal(run.stderr.trim().split('\n').length, 1, `one line: ${run.stderr}`);
    writeFileSync(broken, '{ not json');
    run = simulate(data, SESSION);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /bob\.card\.json: not valid JSON/);
  });

  describe('interactive console', function () {
    this.timeout(60000);

    it('through a pipe: each line is shown as it runs; mistakes are named without a script line number', async () => {
      const sim = interactive(data);
      sim.child.stdin.end('insert alice\nfrobnicate\nkeys 12 ENTRE\ninsert dave\nwait ten\nremove\nquit\n');
      assert.equal(await sim.exited, 0, sim.stderr);
      assert.doesNotMatch(sim.stdout, /script line/);
      assert.match(sim.stdout, /^> frobnicate\nunknown command "frobnicate"; commands: insert NAME, remove, digits .*cards, records, upload, bill \[YYYY-MM\], power-cut, help, quit/m);
      assert.match(sim.stdout, /^> keys 12 ENTRE\n"ENTRE" is not a key/m);
      assert.match(sim.stdout, /^> insert dave\nno card called "dave" \(cards: alice, bob, carol\)/m);
      assert.match(sim.stdout, /^> wait ten\nwait takes a number of seconds/m);
      assert.match(sim.stdout, /No usage records written in this run\.\nSaved in .*\. Bye\.\n$/);
    });

    for (const [how, finish] of [
      ['quit', (sim: ReturnType<typeof interactive>) => sim.child.stdin.end('quit\n')],
      ['the end of input', (sim: ReturnType<typeof interactive>) => sim.child.stdin.end()],
      ['SIGTERM', (sim: ReturnType<typeof interactive>) => sim.child.kill('SIGTERM')],
      ['SIGINT', (sim: ReturnType<typeof interactive>) => sim.child.kill('SIGINT')],
    ] as const) {
      it(`${how} during a call ends the call, records it, then saves and exits`, async () => {
        assert.equal(simulate(data, SESSION).status, 0, 'a registered PIN');
        const sim = interactive(data);
        sim.child.stdin.write('insert alice\n2468\n0312345678\nwait 75\n');
        await sim.waitFor(/service-started number=0312345678/);
        await sim.waitFor(/^> wait 75\n/m);
        await new Promise((resolve) => setTimeout(resolve, 300)); // the 75 s pass on the virtual clock
        finish(sim);
        assert.equal(await sim.exited, 0, sim.stderr);
        // 75 s on the virtual clock plus the real time the run took (the clock follows the wall clock).
        const ended = /service-ended durationSeconds=(\d+) fee=30 currency=JPY endedBy=shutdown/.exec(sim.stdout);
        assert.ok(ended && Number(ended[1]) >= 75 && Number(ended[1]) < 120, `the call ended by ${how}:\n${sim.stdout}`);
        assert.match(sim.stdout, /record-written sequence=2 registrationNumber=12345678 fee=30 localTime=\S+ \S+ \+09:00/);
        assert.match(sim.stdout, new RegExp(`Usage records written in this run \\(start in the terminal's local time, UTC\\+09:00, and in UTC\\):\\n`
          + `  #2  Nt 12345678  \\S+ \\S+ \\+09:00 \\((\\S+ )?\\S+ UTC\\)  ${ended![1]} s  30 JPY  to 0312345678\\nSaved in `));
        assert.deepEqual(journal(data).map((record) => [record.sequence, record.fee]), [[1, 40], [2, 30]], 'the record is in the saved flash');
      });
    }

    it('kill -9 during a call leaves the call open on flash; the next start bills its started units, cut short, once', async () => {
      assert.equal(simulate(data, SESSION).status, 0, 'a registered PIN');
      const sim = interactive(data);
      sim.child.stdin.write('insert alice\n2468\n0312345678\nwait 130\n');
      await sim.waitFor(/\|2:1\d  40 JPY\s*\|/); // the third minute has started
      sim.child.kill('SIGKILL');
      assert.equal(await sim.exited, null, 'killed, no exit code');
      assert.doesNotMatch(sim.stdout, /record-written sequence=2/, 'nothing was written on the way down');
      const script = join(data, 'records.script');
      writeFileSync(script, 'records\n');
      const run = simulate(data, script);
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stderr, /simulator: call #2 \(Nt 12345678\) was cut short by the last run's end: billed 40 JPY for the 180 s its units show/);
      const records = run.events.find((line) => line.event === 'records')!.records as Array<Record<string, unknown>>;
      assert.deepEqual(records.map((record) => [record.sequence, record.fee, record.cutShort]), [[1, 40, false], [2, 40, true]]);
      const again = simulate(data, script);
      assert.doesNotMatch(again.stderr, /cut short/, 'closed once: the next start has nothing to recover');
      assert.equal((again.events.find((line) => line.event === 'records')!.records as unknown[]).length, 2);
    });

    it('in a real terminal: a prompt, the typed text echoed before ENTER, LCD redrawn in place; Ctrl-C mid-call records the call', async function () {
      const missing = tmuxMissing();
      if (missing) throw new Error(missing);
      assert.equal(simulate(data, SESSION).status, 0, 'a registered PIN');
      const pane = new TmuxPane(data, process.cwd(), `${JSON.stringify(process.execPath)} ${JSON.stringify(resolve(MAIN))} --data ${JSON.stringify(data)}`);
      try {
        await pane.waitForCursorLine('> ');
        pane.type('insert al');
        await pane.waitForCursorLine('> insert al');
        pane.press('Tab');
        await pane.waitForCursorLine('> insert alice'); // TAB completes card names
        pane.press('Enter');
        await pane.waitFor('the PIN screen', (screen) => /card-accepted[^\n]*pinRegistered=true/.test(screen) && /\|Enter PIN\s*\|/.test(screen));
        pane.type('2468');
        await pane.waitForCursorLine('> 2468');
        pane.press('Enter');
        await pane.waitFor('the dial screen', (screen) => /\|Dial number:\s*\|/.test(screen));
        pane.type('0312345678');
        pane.press('Enter');
        await pane.waitFor('the call', (screen) => /\|0:02  20 JPY\s*\|/.test(screen));
        const screen = pane.screen();
        assert.equal((screen.match(/\|Connected\s*\|/g) ?? []).length, 1, `the in-call LCD is redrawn in place, not once a second:\n${screen}`);
        pane.type('rec'); // half a command on the prompt line while the LCD ticks
        await pane.waitFor('a later tick', (text) => /\|0:0[3-9]  20 JPY\s*\|/.test(text));
        assert.equal(pane.cursorLine(), '> rec', 'output above the prompt keeps what was typed');
        pane.press('C-u'); // line editing: clear what was typed
        await pane.waitForCursorLine('> ');
        pane.press('Up');
        await pane.waitForCursorLine('> 0312345678'); // history
        pane.press('C-c');
        const end = await pane.waitFor('the exit', (text) => /\[exit \d+\]/.test(text));
        assert.match(end, /Ctrl-C: ending the session/);
        assert.match(end, /service-ended durationSeconds=\d+ fee=20 currency=JPY endedBy=shutdown/);
        assert.match(end, /Usage records written in this run[^\n]*\n  #2  Nt 12345678 /);
        assert.match(end, /\[exit 0\]/);
      } finally {
        pane.close();
      }
      assert.deepEqual(journal(data).map((record) => record.sequence), [1, 2], 'the call is in the saved journal');
    });
  });
});
