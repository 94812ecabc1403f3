/// <reference types="node" />
// The simulator's data folder: issuer key, terminal config, card images and the terminal's
// flash, so state carries from one run to the next. A folder that does not exist yet gets the
// demo: issuer, terminal T0001 and the cards alice and bob, made from a fixed seed.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeCardImage, encodeCardImage, readPersonalisation } from '../../card/image.js';
import { toHex } from '../../firmware/protocol/bytes.js';
import type { TerminalConfig } from '../../firmware/terminal/config.js';
import { UsageJournal } from '../../firmware/journal/usage-journal.js';
import { SimFlash } from '../../hal/sim/flash.js';
import { SeededRandom } from '../../hal/sim/random.js';
import { SimCard } from '../../hal/sim/sim-card.js';
import { createIssuerKey, issueCard, provisionTerminal } from '../../issuer/issuer.js';
import { jsonText, loadIssuerKey, loadTerminalConfig, readJsonFile, saveIssuerKey, saveTerminalConfig, SECRET_FILE_MODE, writeNewFile } from '../../issuer/files.js';

/** The terminal's flash partition for the usage journal: 16 sectors of 4 KiB, as on the ESP32 board. */
export const FLASH_GEOMETRY = Object.freeze({ sectorSize: 4096, sectorCount: 16 });

export const DEMO = Object.freeze({
  seed: 'ic-credit demo',
  terminal: Object.freeze({ terminalId: 'T0001', validFrom: '2026-01-01', validTo: '2031-12-31' }),
  cards: Object.freeze([
    Object.freeze({ label: 'alice', registrationNumber: '12345678', settingNumber: '1357', expiry: '2030-12-31', cardNumber: '0000000000000A11' }),
    Object.freeze({ label: 'bob', registrationNumber: '87654321', settingNumber: '2468', expiry: '2030-12-31', cardNumber: '0000000000000B0B' }),
  ]),
});

/** Card images hold Ns and the card's secret key: written as the issuer writes them, 0600. */
const CARD_FILE = Object.freeze({ force: true, mode: SECRET_FILE_MODE });

const FILES = Object.freeze({ issuer: 'issuer', terminal: 'terminal.json', cards: 'cards', flash: 'flash.bin' });

export interface Simulation {
  readonly config: TerminalConfig;
  readonly flash: SimFlash;
  readonly usage: UsageJournal;
  /** The card with this label (the same object every time, so its state is kept). */
  card(label: string): SimCard | undefined;
  /** Writes card images and the flash back to the data folder (`cards: false`: only the flash,
   *  when the cards live elsewhere, e.g. in the PC/SC virtual card, which saves its own file). */
  save(options?: { readonly cards?: boolean }): void;
  introduction(): string;
  describeCards(): string;
  describeRecords(): string;
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
    const image = decodeCardImage(readJsonFile(join(cardDir, name)));
    cards.set(image.label, SimCard.fromImage(image, cardRandom));
  }
  const flashPath = join(dir, FILES.flash);
  const flash = new SimFlash({ ...FLASH_GEOMETRY, ...(existsSync(flashPath) ? { image: new Uint8Array(readFileSync(flashPath)) } : {}) });
  const usage = UsageJournal.open(flash, config.terminalId);
  for (const damage of usage.damage) log(`simulator: journal damage: ${JSON.stringify(damage)}`);

  return {
    config,
    flash,
    usage,
    card: (label) => cards.get(label),
    save(options = {}) {
      if (options.cards !== false) for (const card of cards.values()) writeNewFile(join(cardDir, `${card.label}.card.json`), jsonText(encodeCardImage(card.image)), CARD_FILE);
      writeNewFile(flashPath, flash.image, { force: true });
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
      for (const card of cards.values()) {
        const p = readPersonalisation(card.eeprom.bytes);
        lines.push(`  ${card.label.padEnd(6)} Nt ${p.registrationNumber}  Ns ${p.settingNumber}  IDU ${toHex(p.cardNumber)}  expires ${p.expiry}`);
      }
      return lines.join('\n');
    },
    describeRecords() {
      const records = usage.records();
      if (records.length === 0) return 'No usage records in the journal.';
      return ['Usage records (sequence, Nt, start, duration, fee):', ...records.map((r) =>
        `  #${r.sequence}  Nt ${r.registrationNumber}  ${new Date(r.startedAt).toISOString()}  ${r.durationSeconds} s  ${r.fee} ${config.tariff.currency}  to ${r.dialled}`)].join('\n');
    },
  };
}
