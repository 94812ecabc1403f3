// README.md as a newcomer uses it: every line of its ```sh blocks is run as written (bash, in a
// scratch copy of the project, so the developer's sim-data/ and demo/ stay untouched), and the
// console session (the "> insert alice" block) is typed into `npm start` in a real terminal
// (tmux), checking the prompt, the echo of what is typed, and that each line does what the
// README says. Commands that need root or run until stopped (pcscd, the virtual card, the PC/SC
// tools, npm install, npm test itself) are run elsewhere: COVERED_ELSEWHERE says where, and this
// test checks that the file named really runs them. A README command in neither table fails.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TmuxPane, tmuxMissing } from './support/tmux.js';
import { asciiHex, logHolds, readLineLog } from './support/line-log.js';

const ROOT = resolve('.');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

interface Block {
  readonly lang: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly lines: readonly string[];
}

function fencedBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  let open: { lang: string; line: number; lines: string[] } | null = null;
  markdown.split('\n').forEach((text, index) => {
    const fence = /^```(\S*)\s*$/.exec(text);
    if (fence && !open) open = { lang: fence[1]!, line: index + 1, lines: [] };
    else if (fence && open) {
      blocks.push(open);
      open = null;
    } else open?.lines.push(text);
  });
  return blocks;
}

/** A shell line without its trailing comment: the key the tables below use. */
function commandOf(line: string): string {
  return line.replace(/\s+#\s.*$/, '').trim();
}

type Step =
  | { readonly kind: 'sh'; readonly text: string; readonly command: string; readonly line: number }
  | { readonly kind: 'session'; readonly commands: readonly string[]; readonly line: number };

/** The README's commands in reading order: shell lines one by one, the console session as one step. */
function readmeSteps(): Step[] {
  const steps: Step[] = [];
  for (const block of fencedBlocks(README)) {
    const nonEmpty = block.lines.filter((text) => text.trim() !== '');
    if (block.lang === 'sh') {
      block.lines.forEach((text, i) => {
        if (text.trim() !== '') steps.push({ kind: 'sh', text, command: commandOf(text), line: block.line + 1 + i });
      });
    } else if (block.lang === '' && nonEmpty.length > 0 && nonEmpty.every((text) => text.startsWith('> '))) {
      // "> insert alice        the card goes in; ...": the command, then two or more spaces, then what it does.
      steps.push({ kind: 'session', commands: nonEmpty.map((text) => text.slice(2).split(/\s{2,}/)[0]!.trim()), line: block.line });
    }
  }
  return steps;
}

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function jsonLines(stdout: string): Array<Record<string, unknown>> {
  return stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
}

const mode = (path: string) => statSync(path).mode & 0o777;

/** README lines run here, each with what it must have done (exit status 0 is checked for all). */
const RUN_HERE: Readonly<Record<string, (run: Run, dir: string) => void>> = {
  'npm start -- --data demo/scripted --script tests/sessions/register-and-call.script --time 2026-11-23T09:00:00Z': (run, dir) => {
    const events = jsonLines(run.stdout).filter((line) => line.event);
    assert.match(run.stderr, /created the demo in demo\/scripted/);
    const record = events.find((line) => line.event === 'record-written');
    assert.deepEqual(record && [record.sequence, record.registrationNumber, record.fee, record.localTime], [1, '12345678', 40, '2026-11-23 18:00:00 +09:00']);
    assert.equal(events[events.length - 1]!.event, 'shutdown');
    assert.ok(existsSync(join(dir, 'demo/scripted/flash.bin')));
  },
  'npm start -- --data demo/secure --script tests/sessions/secure-channel.script --line-log demo/secure-line.log --time 2026-11-23T09:00:00Z': (run, dir) => {
    assert.equal(jsonLines(run.stdout).filter((line) => line.event === 'secure-channel-opened').length, 1, 'carol through the channel');
    const [carol, alice] = readLineLog(join(dir, 'demo/secure-line.log'));
    assert.ok(logHolds(carol!.toCard, '80 88 00 13'), 'the key agreement is in the log');
    assert.equal(logHolds([...carol!.toCard, ...carol!.toTerminal], asciiHex('9753')) || logHolds(carol!.toCard, asciiHex('8642')), false, "carol's Ns and PIN are not in clear");
    assert.ok(logHolds(alice!.toCard, asciiHex('1357')) && logHolds(alice!.toCard, asciiHex('2468')), "alice's are, as the README says");
  },
  'npm run issuer -- create-key --suite p256 --key-id 1 --out demo/keys/': (run, dir) => {
    assert.match(run.stdout, /issuer key 1, suite 1 \(/);
    assert.equal(mode(join(dir, 'demo/keys/issuer-key.json')), 0o600);
    assert.ok(existsSync(join(dir, 'demo/keys/issuer-public-key.json')));
  },
  'npm run issuer -- issue-card --key demo/keys/ --nt 12345678 --ns 1357 --expiry 2030-12-31 --label alice --out demo/alice.card.json': (run, dir) => {
    const printed = run.stdout.split('\n').filter((line) => !line.startsWith('> ')).join('\n'); // npm's banner repeats the command
    assert.match(printed, /12345678/);
    assert.doesNotMatch(printed, /1357/, 'Ns is not printed without --print-ns');
    assert.equal(mode(join(dir, 'demo/alice.card.json')), 0o600);
  },
  'npm run issuer -- provision-terminal --key demo/keys/ --terminal-id T0002 --valid-from 2026-01-01 --valid-to 2031-12-31 --out demo/t2.json': (run, dir) => {
    assert.match(run.stdout, /terminal T0002 config written to demo\/t2\.json/);
    assert.equal(mode(join(dir, 'demo/t2.json')), 0o600);
  },
  'npm run issuer -- show demo/alice.card.json --issuer demo/keys/': (run) => {
    assert.match(run.stdout, /card image "alice"/);
    assert.match(run.stdout, /SA1: valid, SA2: valid \(with issuer key 1\)/);
  },
  'npm run build': (_run, dir) => {
    // Built only what changed: straight after a build, both projects are up to date.
    const again = spawnSync('npm', ['run', 'build', '--', '--verbose'], { cwd: dir, encoding: 'utf8' });
    assert.equal(again.status, 0, again.stderr);
    for (const project of ['tsconfig.neutral.json', 'tsconfig.json']) {
      assert.match(again.stdout + again.stderr, new RegExp(`Project '${project.replaceAll('.', '\\.')}' is up to date`), again.stdout + again.stderr);
    }
  },
  'mkdir -p demo && cp sim-data/cards/alice.card.json demo/reader-alice.card.json': (_run, dir) => {
    assert.deepEqual(readFileSync(join(dir, 'demo/reader-alice.card.json')), readFileSync(join(dir, 'sim-data/cards/alice.card.json')));
  },
  "printf '00 A4 04 00 06 F0 49 43 43 52 01\\n80 CA 00 01 00\\n00 20 00 82\\n' > demo/card.scriptor": (_run, dir) => {
    assert.equal(readFileSync(join(dir, 'demo/card.scriptor'), 'utf8'), '00 A4 04 00 06 F0 49 43 43 52 01\n80 CA 00 01 00\n00 20 00 82\n');
  },
  'npm run atr -- 3B 94 96 80 31 FE 45 49 43 43 52 13': (run) => {
    const atr = JSON.parse(run.stdout.slice(run.stdout.indexOf('{'))) as Record<string, unknown>; // after npm's banner
    assert.equal(atr.valid, true, run.stdout);
    assert.deepEqual(atr.protocols, ['T=0', 'T=1']);
  },
  'npm run atr -- --compact 3BDA18FF81B1FE751F030031C573C001400090000C': (run) => {
    const atr = JSON.parse(run.stdout.slice(run.stdout.indexOf('{'))) as Record<string, unknown>;
    assert.equal(atr.valid, true, run.stdout);
  },
};

interface Elsewhere {
  /** The file that runs the command (or its equivalent). */
  readonly file: string;
  /** Text that file must contain: the invocation itself. */
  readonly evidence: readonly string[];
  /** Why not here. */
  readonly why: string;
}

const PCSC_TEST = 'tests/pcsc.test.ts';
const ROOT_AND_VPCD = 'needs root and a pcscd with the vpcd reader; the PC/SC tests start their own';

/** README lines not run here, and where they are. */
const COVERED_ELSEWHERE: Readonly<Record<string, Elsewhere>> = {
  'npm install && npm start': {
    file: '.ci/run',
    evidence: ['npm ci --no-audit --no-fund --engine-strict'],
    why: 'installing would change the shared node_modules; .ci/run installs from the same lock (npm ci, engine warnings fatal), '
      + 'tests/install.test.ts checks the lock against the README\'s Node, and `npm start` is the console session below',
  },
  'npm test': { file: '.ci/run', evidence: ['step "npm test" npm test'], why: 'it is the command running this test' },
  'sudo apt install pcscd vsmartcard-vpcd pcsc-tools opensc libpcsclite-dev': {
    file: '.ci/run',
    evidence: ['pcscd ', 'vsmartcard-vpcd ', 'pcsc-tools ', 'opensc ', 'libpcsclite-dev '],
    why: 'installs system packages as root: .ci/run has each in SYSTEM_PACKAGES',
  },
  'sudo pcscd -f': { file: PCSC_TEST, evidence: ["spawn('pcscd', ['--foreground'"], why: `runs until stopped; ${ROOT_AND_VPCD}` },
  'npm run virtual-card -- --card demo/reader-alice.card.json': {
    file: PCSC_TEST, evidence: ["[VIRTUAL_CARD, '--card', card"], why: `runs until stopped (as build/tools/pcsc/virtual-card.js, what the npm script runs); ${ROOT_AND_VPCD}`,
  },
  'opensc-tool -l': { file: PCSC_TEST, evidence: ["spawnSync('opensc-tool', ['-l']"], why: ROOT_AND_VPCD },
  "opensc-tool -r 'Virtual PCD 00 00' -c default -s 00A4040006F04943435201 -s 80CA000100": {
    file: PCSC_TEST,
    evidence: ["const READER = 'Virtual PCD 00 00'", "const SELECT = '00A4040006F04943435201'", "const READ_CARD_DATA = '80CA000100'",
      "spawnSync('opensc-tool', ['-r', READER, '-c', 'default', '-s', SELECT, '-s', READ_CARD_DATA]"],
    why: ROOT_AND_VPCD,
  },
  "scriptor -r 'Virtual PCD 00 00' demo/card.scriptor": {
    file: PCSC_TEST, evidence: ['00 A4 04 00 06 F0 49 43 43 52 01\\n80 CA 00 01 00\\n00 20 00 82\\n', "spawnSync('scriptor', ['-r', READER, script]"], why: ROOT_AND_VPCD,
  },
  'npm start -- --reader pcsc': {
    file: PCSC_TEST, evidence: ["'--reader', 'pcsc'"], why: `waits for a card in a PC/SC reader; ${ROOT_AND_VPCD} (there with --reader-name and a script)`,
  },
  "npm start -- --reader pcsc --reader-name 'Virtual PCD 00 00' --script tests/sessions/register-and-call.script": {
    file: PCSC_TEST, evidence: ["'--reader', 'pcsc', '--reader-name', READER, '--script', script", "readFileSync('tests/sessions/register-and-call.script'"], why: ROOT_AND_VPCD,
  },
};

/**
 * The console session, line by line: what must show after each line, as the README's text next
 * to it says. `after` is the screen below the echoed line.
 */
const SESSION: ReadonlyArray<{ readonly command: string; readonly what: string; readonly after: readonly RegExp[] }> = [
  { command: 'insert alice', what: 'checks SA1, SA2, expiry, hotlist; "Enter PIN"', after: [/card-accepted registrationNumber=12345678 .*pinRegistered=false/, /\|Enter PIN\s*\|/] },
  { command: 'register', what: 'PIN registration', after: [/\|PIN registration\s*\|\n\|Registration no\.:/] },
  { command: '12345678', what: 'Nt', after: [/\|Setting number:/] },
  { command: '1357', what: 'Ns, checked by the card', after: [/\|New PIN:/] },
  { command: '2468', what: 'the new PIN', after: [/\|New PIN again:/] },
  { command: '2468', what: 'once more', after: [/pin-registered change=false[\s\S]*\|Enter PIN\s*\|/] },
  { command: '2468', what: 'the card checks the PIN', after: [/pin-verified/, /\|Dial number:/] },
  { command: '0312345678', what: 'a metered call starts', after: [/service-started number=0312345678/, /\|Connected\s*\|/] },
  {
    command: 'end', what: 'fee shown, usage record written, card ejected',
    after: [/service-ended durationSeconds=\d+ fee=20 currency=JPY endedBy=end/, /record-written sequence=1 registrationNumber=12345678 fee=20/, /eject reason=Fee 20 JPY/, /\|Fee 20 JPY\s*\|/],
  },
  { command: 'records', what: 'the usage journal', after: [/#1  Nt 12345678  \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+09:00 \((\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d UTC\)  \d+ s  20 JPY  to 0312345678/] },
  { command: 'remove', what: 'take the card', after: [/\|Please insert card\s*\|/] },
  { command: 'upload', what: 'the records go to the centre now', after: [/service-key/, /upload reason=demand outcome=acknowledged sent=1 acknowledged=1/] },
  { command: 'bill', what: "this month's bill per Nt", after: [/Bill \d{4}-\d\d \(UTC\+09:00\), from the centre: 1 record, 20 JPY\n  Nt 12345678  1 record  20 JPY/] },
  { command: 'quit', what: 'saved', after: [/Usage records written in this run[^\n]*\n  #1  Nt 12345678/, /Saved in sim-data\. Bye\./, /\[exit 0\]/] },
];

/** A copy of the project as the README's reader has it, with this build (timestamps kept, so `tsc -b` finds it up to date). */
function scratchCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'readme-'));
  const skip = new Set(['node_modules', 'build', 'sim-data', 'demo', '.git']);
  // Everything at the top but the skipped and the hidden: a new folder of the project (center/, say) comes along.
  for (const name of readdirSync(ROOT).filter((entry) => !skip.has(entry) && !entry.startsWith('.'))) {
    cpSync(join(ROOT, name), join(dir, name), { recursive: true, preserveTimestamps: true, filter: (source) => !skip.has(source.split('/').pop()!) || source === join(ROOT, name) });
  }
  for (const name of readdirSync(join(ROOT, 'build'))) {
    if (name === 'xs' || name === 'device' || name === 'bench') continue; // the XS engine and bench: not what the README runs
    cpSync(join(ROOT, 'build', name), join(dir, 'build', name), { recursive: true, preserveTimestamps: true });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

describe('README.md, run as written', function () {
  this.timeout(180000);
  const steps = readmeSteps();
  let dir: string;
  before(() => {
    dir = scratchCopy();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('every command it shows is run below or listed as covered elsewhere, and those files run it', () => {
    const commands = steps.flatMap((step) => (step.kind === 'sh' ? [step.command] : []));
    assert.ok(commands.length >= 20, `found ${commands.length} shell lines: the README parser is broken`);
    const unknown = commands.filter((command) => !(command in RUN_HERE) && !(command in COVERED_ELSEWHERE));
    assert.deepEqual(unknown, [], 'README commands neither run here nor covered elsewhere: add them to RUN_HERE or COVERED_ELSEWHERE');
    const stale = [...Object.keys(RUN_HERE), ...Object.keys(COVERED_ELSEWHERE)].filter((command) => !commands.includes(command));
    assert.deepEqual(stale, [], 'commands listed here that the README no longer shows');
    assert.equal(steps.filter((step) => step.kind === 'session').length, 1, 'one console session');
  });

  for (const step of steps) {
    if (step.kind === 'session') {
      it(`README line ${step.line}: the console session, typed into \`npm start\` in a real terminal`, async () => {
        assert.deepEqual(step.commands, SESSION.map((entry) => entry.command), 'the session in the README and the checks here list the same lines');
        const missing = tmuxMissing();
        if (missing) throw new Error(missing);
        const pane = new TmuxPane(dir, dir, 'npm start');
        try {
          const intro = await pane.waitFor('the first prompt', (screen) => /\|Please insert card\s*\|/.test(screen) && pane.cursorLine() === '> ');
          assert.match(intro, /created the demo in sim-data/, 'the first run creates sim-data/');
          assert.match(intro, /alice\s+Nt 12345678\s+Ns 1357/);
          assert.match(intro, /bob\s+Nt 87654321\s+Ns 2468/);
          for (const [index, entry] of SESSION.entries()) {
            await pane.waitForCursorLine('> ');
            pane.type(entry.command);
            await pane.waitForCursorLine(`> ${entry.command}`); // the prompt, and what was typed, before ENTER
            pane.press('Enter');
            const echoed = `\n> ${entry.command}\n`;
            for (const pattern of entry.after) {
              await pane.waitFor(`line ${index + 1} "${entry.command}" (${entry.what}): ${pattern}`, (screen) => {
                const from = screen.lastIndexOf(echoed);
                return from >= 0 && pattern.test(screen.slice(from + echoed.length - 1));
              });
            }
          }
        } finally {
          pane.close();
        }
      });
    } else if (step.command in RUN_HERE) {
      it(`README line ${step.line}: ${step.text.trim()}`, () => {
        const run = spawnSync('bash', ['-c', step.text], { cwd: dir, encoding: 'utf8', timeout: 120000 });
        assert.equal(run.status, 0, `exit ${run.status}\n${run.stdout}\n${run.stderr}`);
        RUN_HERE[step.command]!(run, dir);
      });
    } else {
      const elsewhere = COVERED_ELSEWHERE[step.command];
      it(`README line ${step.line}: ${step.command} — run by ${elsewhere?.file ?? '(nothing!)'}: ${elsewhere?.why ?? ''}`, () => {
        assert.ok(elsewhere, 'neither run here nor covered elsewhere');
        const text = readFileSync(join(ROOT, elsewhere.file), 'utf8');
        for (const piece of elsewhere.evidence) assert.ok(text.includes(piece), `${elsewhere.file} does not contain ${JSON.stringify(piece)}`);
      });
    }
  }
});
