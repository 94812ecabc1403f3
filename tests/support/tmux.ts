// A real pseudo-terminal for tests: a private tmux server runs a command in a pane; the test
// types into it and reads the screen as a person would see it (capture-pane), so prompts,
// echoed input and in-place redraws are what is asserted, not the bytes a program wrote.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** Why tmux cannot be used here, or null. The tests that need it fail with this, never skip: CI installs tmux. */
export function tmuxMissing(): string | null {
  const run = spawnSync('tmux', ['-V'], { encoding: 'utf8' });
  return run.error ? 'tmux is not installed (apt install tmux; .ci/run installs it)' : null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class TmuxPane {
  readonly #socket: string;
  #closed = false;

  /** Starts `command` (a shell line) in `cwd`, in a pane of `columns` × `rows`; a private server on a socket in `dir`. */
  constructor(dir: string, cwd: string, command: string, columns = 200, rows = 60) {
    this.#socket = join(dir, 'tmux.sock');
    // After the program ends the pane stays, showing its exit status, until close().
    this.#tmux(['new-session', '-d', '-x', String(columns), '-y', String(rows), '-c', cwd, `${command}; echo "[exit $?]"; sleep 3600`]);
  }

  #tmux(args: readonly string[]): string {
    const run = spawnSync('tmux', ['-S', this.#socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`tmux ${args[0]} failed: ${run.stderr.trim()}`);
    return run.stdout;
  }

  /** Everything the pane shows and scrolled past, wrapped lines joined, trailing blanks cut. */
  screen(): string {
    return this.#tmux(['capture-pane', '-p', '-J', '-S', '-', '-t', '0']).replace(/\s+$/, '');
  }

  /**
   * The line the cursor is on (where typed input shows), up to the cursor: "> " is the prompt
   * with the cursor after it (tmux drops trailing blanks, the cursor position puts them back).
   */
  cursorLine(): string {
    const [x, y] = this.#tmux(['display-message', '-p', '-t', '0', '#{cursor_x} #{cursor_y}']).trim().split(' ').map(Number);
    const visible = this.#tmux(['capture-pane', '-p', '-t', '0']).split('\n');
    return (visible[y!] ?? '').replace(/\s+$/, '').padEnd(x!);
  }

  /** Types text literally (no key names), without ENTER. */
  type(text: string): void {
    this.#tmux(['send-keys', '-t', '0', '-l', text]);
  }

  /** Presses keys by tmux name: Enter, C-c, C-d, Tab, Up. */
  press(...keys: string[]): void {
    this.#tmux(['send-keys', '-t', '0', ...keys]);
  }

  /** Waits until `test` accepts the screen; fails with the screen after `timeoutMs`. */
  async waitFor(what: string, test: (screen: string) => boolean, timeoutMs = 20000): Promise<string> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const screen = this.screen();
      if (test(screen)) return screen;
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}; the screen:\n${screen}`);
      await sleep(100);
    }
  }

  /** Waits until the cursor line reads exactly `line` (the prompt with what was typed). */
  async waitForCursorLine(line: string, timeoutMs = 20000): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const current = this.cursorLine();
      if (current === line) return;
      if (Date.now() > until) throw new Error(`timed out waiting for the cursor line "${line}", it reads "${current}"; the screen:\n${this.screen()}`);
      await sleep(50);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    spawnSync('tmux', ['-S', this.#socket, 'kill-server']);
  }
}
