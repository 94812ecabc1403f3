// The firmware's entry (DESIGN.md §6): a board's HAL, the terminal's provisioned configuration,
// the usage journal and the hotlist on the board's flash partitions, wired to the terminal (claim 2). The
// terminal's run() is the one loop: it waits for a card, runs a session (figs. 4 and 5), and
// hands the quiet time between customers to the idle work (the daily upload, [0015]). Each
// platform's start module builds its Board and calls startFirmware(): hal/esp32/main.ts on the
// device, tools/moddable/simulator-main.ts on the Moddable simulator.
import type { TerminalHal } from '../hal/index.js';
import { UsageJournal } from './journal/usage-journal.js';
import { HotlistStore } from './hotlist/store.js';
import type { TerminalConfig } from './terminal/config.js';
import type { TerminalEvent } from './terminal/events.js';
import { decodeTerminalKeys } from './terminal/keys.js';
import { Terminal, type IdleWork } from './terminal/terminal.js';
import { createUploadWork, type UploadWork } from './upload/upload-work.js';

/** What a platform brings: its hardware, the issuer's provisioning, where events go. */
export interface Board {
  readonly hal: TerminalHal;
  /** From the issuer's provision-terminal file (identity, keys, tariff, hotlist, local time). */
  readonly config: TerminalConfig;
  /** Told every terminal event (the device's log, the simulator's console). */
  readonly onEvent?: (event: TerminalEvent) => void;
  /** Work for the time nobody is at the terminal, when not the upload below. */
  readonly idleWork?: IdleWork;
  /**
   * The daily upload through `hal.modem` to this centre endpoint (…/v1/batches), answers checked
   * with config.centreCertificate: the terminal's idle work, REGISTER at the idle screen its
   * service key. Without it (or without a modem) the records wait in the journal.
   */
  readonly upload?: { readonly url: string };
}

export interface Firmware {
  readonly terminal: Terminal;
  readonly journal: UsageJournal;
  /** The hotlist on `hal.hotlistFlash`, for the upload to apply change lists to; null without that partition. */
  readonly hotlist: HotlistStore | null;
  /** The upload as idle work, when the board asked for it. */
  readonly upload: UploadWork | null;
  /** Settles when the terminal has shut down (Terminal.shutdown()), or rejects on a fault. */
  readonly stopped: Promise<void>;
}

/**
 * Opens the usage journal on `board.hal.flash` (recovering whatever a power cut left) and the
 * hotlist on `board.hal.hotlistFlash` when the board has one (the provisioned list written as
 * version 0 the first time), and starts the terminal. Throws what UsageJournal.open throws for a
 * partition it cannot use, and what HotlistStore.open and provision() throw (HotlistLayoutError,
 * a provisioned list larger than the partition), and CentreCertificateError for an upload asked
 * of a config whose centre certificate is missing or not the issuer's.
 */
export function startFirmware(board: Board): Firmware {
  const journal = UsageJournal.open(board.hal.flash, board.config.terminalId);
  const hotlist = board.hal.hotlistFlash ? HotlistStore.open(board.hal.hotlistFlash) : null;
  hotlist?.provision(board.config.hotlist);
  const { hal, config, onEvent } = board;
  const keys = decodeTerminalKeys(config);
  const upload = board.upload && hal.modem
    ? createUploadWork({ config, keys, url: board.upload.url, journal, hotlist, modem: hal.modem, clock: hal.clock, random: hal.random, ...(onEvent ? { emit: onEvent } : {}) })
    : null;
  const idleWork = upload ?? board.idleWork;
  const terminal = new Terminal(hal, config, journal, {
    keys,
    ...(onEvent ? { onEvent } : {}),
    ...(idleWork ? { idleWork } : {}),
    ...(hotlist ? { hotlist } : {}),
  });
  return { terminal, journal, hotlist, upload, stopped: terminal.run() };
}
