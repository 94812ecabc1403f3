// The firmware's entry (DESIGN.md §6): a board's HAL, the terminal's provisioned configuration
// and the usage journal on the board's flash partition, wired to the terminal (claim 2). The
// terminal's run() is the one loop: it waits for a card, runs a session (figs. 4 and 5), and
// hands the quiet time between customers to the idle work (the daily upload, [0015]). Each
// platform's start module builds its Board and calls startFirmware(): hal/esp32/main.ts on the
// device, tools/moddable/simulator-main.ts on the Moddable simulator.
import type { TerminalHal } from '../hal/index.js';
import { UsageJournal } from './journal/usage-journal.js';
import type { TerminalConfig } from './terminal/config.js';
import type { TerminalEvent } from './terminal/events.js';
import { Terminal, type IdleWork } from './terminal/terminal.js';

/** What a platform brings: its hardware, the issuer's provisioning, where events go. */
export interface Board {
  readonly hal: TerminalHal;
  /** From the issuer's provision-terminal file (identity, keys, tariff, hotlist, local time). */
  readonly config: TerminalConfig;
  /** Told every terminal event (the device's log, the simulator's console). */
  readonly onEvent?: (event: TerminalEvent) => void;
  /** Work for the time nobody is at the terminal (the upload). */
  readonly idleWork?: IdleWork;
}

export interface Firmware {
  readonly terminal: Terminal;
  readonly journal: UsageJournal;
  /** Settles when the terminal has shut down (Terminal.shutdown()), or rejects on a fault. */
  readonly stopped: Promise<void>;
}

/**
 * Opens the usage journal on `board.hal.flash` (recovering whatever a power cut left) and starts
 * the terminal. Throws what UsageJournal.open throws for a partition it cannot use.
 */
export function startFirmware(board: Board): Firmware {
  const journal = UsageJournal.open(board.hal.flash, board.config.terminalId);
  const terminal = new Terminal(board.hal, board.config, journal, {
    ...(board.onEvent ? { onEvent: board.onEvent } : {}),
    ...(board.idleWork ? { idleWork: board.idleWork } : {}),
  });
  return { terminal, journal, stopped: terminal.run() };
}
