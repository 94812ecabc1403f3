/// <reference types="node" />
// The simulator's data folder: issuer key, terminal config, card images and the terminal's
// flash, so state carries from one run to the next. A folder that does not exist yet gets the
// demo: issuer, terminal T0001 and the cards alice and bob, made from a fixed seed.
//
// The hotlist has its own partition file, hotlist.bin, written through the same way.
// The flash file is written through: each flash write and erase reaches flash.bin before the
// journal goes on, as on the chip, so a simulator killed mid-call (kill -9, a crash) leaves what a
// power cut leaves: an open call record, which the next start closes with the units it shows.
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { decodeCardImage, encodeCardImage, readPersonalisation } from '../../card/image.js';
import { LAYOUT, LIFE_CYCLE } from '../../card/layout.js';
import { toHex } from '../../firmware/protocol/bytes.js';
import { formatUtcOffset, localTimeText } from '../../firmware/protocol/dates.js';
import type { UsageRecord } from '../../firmware/journal/record.js';
import type { TerminalConfig } from '../../firmware/terminal/config.js';
import { UsageJournal } from '../../firmware/journal/usage-journal.js';
import { HotlistStore } from '../../firmware/hotlist/store.js';
import type { Flash } from '../../hal/flash.js';
import { SimFlash } from '../../hal/sim/flash.js';
import { SeededRandom } from '../../hal/sim/random.js';
import { SimCard } from '../../hal/sim/sim-card.js';
import { createIssuerKey, issueCard, provisionTerminal } from '../../issuer/issuer.js';
import { FileFormatError, jsonText, loadIssuerKey, loadTerminalConfig, readJsonFile, saveIssuerKey, saveTerminalConfig, SECRET_FILE_MODE, writeNewFile } from '../../issuer/files.js';
import { DEMO } from './demo.js';

/** The terminal's flash partition for the usage journal: 16 sectors of 4 KiB, as on the ESP32 board. */
export const FLASH_GEOMETRY = Object.freeze({ sectorSize: 4096, sectorCount: 16 });

/** The hotlist's partition: 8 sectors of 4 KiB (two banks of a header and three data sectors: 1,530 cards). */
export const HOTLIST_GEOMETRY = Object.freeze({ sectorSize: 4096, sectorCount: 8 });

/** Card images hold Ns and the card's secret key: written as the issuer writes them, 0600. */
const CARD_FILE = Object.freeze({ force: true, mode: SECRET_FILE_MODE });

const FILES = Object.freeze({ issuer: 'issuer', terminal: 'terminal.json', cards: 'cards', flash: 'flash.bin', hotlist: 'hotlist.bin' });

export interface Simulation {
  readonly config: TerminalConfig;
  /** The journal's flash partition, written through to flash.bin. */
  readonly flash: Flash;
  /** The journal as opened at start or at the last power cut. */
  readonly usage: UsageJournal;
  /** The hotlist on its partition (hotlist.bin), provisioned from the config's list the first time. */
  readonly hotlist: HotlistStore;
  /** The power fails and comes back: the journal is opened again from flash, recovering a call it left open. */
  powerCut(): UsageJournal;
  /** The card with this label (the same object every time, so its state is kept). */
  card(label: string): SimCard | undefined;
  /** The labels of all cards, in the order `cards` lists them. */
  cardNames(): string[];
  /** Writes card images back to the data folder (`cards: false`: nothing, when the cards live
   *  elsewhere, e.g. in the PC/SC virtual card, which saves its own file); the flash is always saved. */
  save(options?: { readonly cards?: boolean }): void;
  introduction(): string;
  describeCards(): string;
  /** The journal for people; `sequences` picks some records (those written in this run, say). */
  describeRecords(sequences?: ReadonlySet<number>, title?: string): string;
  /** The cards as data, for the scripted JSON output. */
  cardsData(): CardSummary[];
  /** The journal as data, for the scripted JSON output. */
  recordsData(): RecordSummary[];
}

export interface CardSummary {
  readonly label: string;
  readonly registrationNumber: string;
  readonly settingNumber: string;
  readonly cardNumber: string;
  readonly expiry: string;
  /** Blocked for good (BLOCK CARD, or three wrong setting numbers): every terminal refuses it. */
  readonly blocked: boolean;
}

export interface RecordSummary {
  readonly sequence: number;
  readonly registrationNumber: string;
  readonly cardNumber: string;
  /** D as UTC, ISO 8601. */
  readonly startedAt: string;
  /** D in the terminal's local time, "YYYY-MM-DD hh:mm:ss +hh:mm". */
  readonly localTime: string;
  readonly durationSeconds: number;
  readonly fee: number;
  readonly currency: string;
  readonly dialled: string;
  /** The call ended with the power (or a killed simulator): billed for the units the journal showed. */
  readonly cutShort: boolean;
  /** The call went on from the record before (its slot had no room for more units). */
  readonly continuation: boolean;
  /** The centre holds it (an upload's answer said so): its sector may be reused. */
  readonly acknowledged: boolean;
}

function createDemo(dir: string, log: (line: string) => void): void {
  const random = new SeededRandom(DEMO.seed);
  const issuer = createIssuerKey(1, 1, random.source);
  mkdirSync(join(dir, FILES.cards), { recursive: true });
  saveIssuerKey(join(dir, FILES.issuer), issuer);
  saveTerminalConfig(join(dir, FILES.terminal), provisionTerminal(issuer, DEMO.terminal, random.source));
  log(`simulator: created the demo in ${dir}: issuer key 1 (ECDSA P-256), terminal ${DEMO.terminal.terminalId}, cards:`);
  for (const request of DEMO.cards) {
    const { personalisation } = issueCard(issuer, request, random.source);
    const card = SimCard.personalise(personalisation, request.label, random.source);
    writeNewFile(join(dir, FILES.cards, `${request.label}.card.json`), jsonText(encodeCardImage(card.image)), CARD_FILE);
    log(`  ${request.label.padEnd(6)} Nt ${request.registrationNumber}  Ns ${request.settingNumber}  (no PIN yet: press REGISTER at "Enter PIN")`);
  }
}

/**
 * The flash partition kept in `path` (created erased if missing): read once, then every write and
 * erase goes to the file at once, before the caller goes on. Throws FileFormatError for a file of
 * the wrong size.
 */
function writeThrough(path: string, geometry: { readonly sectorSize: number; readonly sectorCount: number }): Flash {
  const size = geometry.sectorSize * geometry.sectorCount;
  if (!existsSync(path)) writeNewFile(path, new Uint8Array(size).fill(0xff));
  const image = new Uint8Array(readFileSync(path));
  if (image.length !== size) throw new FileFormatError(`${path}: ${image.length} bytes, the partition is ${size}; delete the file to start it empty`);
  const chip = new SimFlash({ ...geometry, image });
  const persist = (offset: number, length: number) => {
    const fd = openSync(path, 'r+');
    try {
      writeSync(fd, chip.read(offset, length), 0, length, offset);
    } finally {
      closeSync(fd);
    }
  };
  return {
    sectorSize: chip.sectorSize,
    sectorCount: chip.sectorCount,
    read: (offset, length) => chip.read(offset, length),
    write(offset, data) {
      chip.write(offset, data);
      persist(offset, data.length);
    },
    eraseSector(sector) {
      chip.eraseSector(sector);
      persist(sector * chip.sectorSize, chip.sectorSize);
    },
  };
}

export function openSimulation(dir: string, log: (line: string) => void): Simulation {
  if (!existsSync(join(dir, FILES.terminal))) {
    mkdirSync(dir, { recursive: true });
    createDemo(dir, log);
  }
  const config = loadTerminalConfig(join(dir, FILES.terminal));
  // Checks the issuer key is readable too: a broken data folder is reported at start.
  loadIssuerKey(join(dir, FILES.issuer));
  const cardRandom = (length: number) => new Uint8Array(randomBytes(length));
  const cards = new Map<string, SimCard>();
  const cardDir = join(dir, FILES.cards);
  for (const name of existsSync(cardDir) ? readdirSync(cardDir).filter((file) => file.endsWith('.card.json')).sort() : []) {
    const path = join(cardDir, name);
    // readJsonFile names the file; the image decoder does not know it, so its complaints get it here.
    const json = readJsonFile(path);
    let card: SimCard;
    try {
      card = SimCard.fromImage(decodeCardImage(json), cardRandom);
      readPersonalisation(card.eeprom.bytes); // the EEPROM must hold a personalised card
    } catch (error) {
      throw new FileFormatError(`${path}: not a usable card image (${(error as Error).message}); fix or delete the file`);
    }
    cards.set(card.label, card);
  }
  const flash = writeThrough(join(dir, FILES.flash), FLASH_GEOMETRY);
  const openJournal = (cause: string): UsageJournal => {
    const journal = UsageJournal.open(flash, config.terminalId);
    for (const damage of journal.damage) log(`simulator: journal damage: ${JSON.stringify(damage)}`);
    for (const record of journal.recovered) {
      log(record.cutShort
        ? `simulator: call #${record.sequence} (Nt ${record.registrationNumber}) was cut short by ${cause}: billed ${record.fee} ${config.tariff.currency} for the ${record.durationSeconds} s its units show`
        : `simulator: call #${record.sequence} (Nt ${record.registrationNumber}) had ended before ${cause}: ${record.fee} ${config.tariff.currency}`);
    }
    return journal;
  };
  let usage = openJournal("the last run's end");
  const hotlist = HotlistStore.open(writeThrough(join(dir, FILES.hotlist), HOTLIST_GEOMETRY));
  for (const damage of hotlist.damage) log(`simulator: ${damage}`);
  hotlist.provision(config.hotlist);

  const offset = config.utcOffsetMinutes;
  const recordSummary = (r: UsageRecord, acknowledged: boolean): RecordSummary => ({
    sequence: r.sequence, registrationNumber: r.registrationNumber, cardNumber: toHex(r.cardNumber),
    startedAt: new Date(r.startedAt).toISOString(), localTime: localTimeText(r.startedAt, offset),
    durationSeconds: r.durationSeconds, fee: r.fee, currency: config.tariff.currency, dialled: r.dialled,
    cutShort: r.cutShort, continuation: r.continuation, acknowledged,
  });

  return {
    config,
    flash,
    get usage() {
      return usage;
    },
    hotlist,
    powerCut() {
      usage = openJournal('the power cut');
      return usage;
    },
    card: (label) => cards.get(label),
    cardNames: () => [...cards.keys()],
    save(options = {}) {
      if (options.cards !== false) for (const card of cards.values()) writeNewFile(join(cardDir, `${card.label}.card.json`), jsonText(encodeCardImage(card.image)), CARD_FILE);
    },
    introduction() {
      return [
        `IC credit terminal ${config.terminalId} (simulated). Data folder: ${dir}`,
        this.describeCards(),
        'Insert a card with "insert alice"; type digits and press ENTER; "register" at the PIN screen registers or changes the PIN.',
      ].join('\n');
    },
    describeCards() {
      const lines = ['Cards:'];
      for (const c of this.cardsData()) {
        lines.push(`  ${c.label.padEnd(6)} Nt ${c.registrationNumber}  Ns ${c.settingNumber}  IDU ${c.cardNumber}  expires ${c.expiry}${c.blocked ? '  BLOCKED' : ''}`);
      }
      return lines.join('\n');
    },
    describeRecords(sequences, title = 'Usage records') {
      const records = this.recordsData().filter((r) => !sequences || sequences.has(r.sequence));
      if (records.length === 0) return `${title}: none.`;
      return [`${title} (start in the terminal's local time, UTC${formatUtcOffset(offset)}, and in UTC):`, ...records.map((r) => {
        const utc = r.startedAt.slice(0, 19).replace('T', ' ');
        const utcShown = utc.slice(0, 10) === r.localTime.slice(0, 10) ? utc.slice(11) : utc;
        const notes = `${r.continuation ? '  (continued)' : ''}${r.cutShort ? '  (cut short)' : ''}${r.acknowledged ? '  (at the centre)' : ''}`;
        return `  #${r.sequence}  Nt ${r.registrationNumber}  ${r.localTime} (${utcShown} UTC)  ${r.durationSeconds} s  ${r.fee} ${r.currency}  to ${r.dialled}${notes}`;
      })].join('\n');
    },
    cardsData() {
      return [...cards.values()].map((card) => {
        const p = readPersonalisation(card.eeprom.bytes);
        const blocked = card.eeprom.read(LAYOUT.LIFE_CYCLE, 1)[0] !== LIFE_CYCLE.ACTIVE;
        return { label: card.label, registrationNumber: p.registrationNumber, settingNumber: p.settingNumber, cardNumber: toHex(p.cardNumber), expiry: p.expiry, blocked };
      });
    },
    recordsData() {
      const pending = new Set(usage.pending().map((r) => r.sequence));
      return usage.records().map((r) => recordSummary(r, !pending.has(r.sequence)));
    },
  };
}
