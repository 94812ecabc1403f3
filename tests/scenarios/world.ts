// A small world for scenario tests: an issuer, a provisioned terminal on the bench, and cards.
// Engine-neutral, so the same world is built under Node and inside XS.
import { decodeCardData, encodeCardData, type CardData } from '../../firmware/protocol/data-objects.js';
import { encodeCommand, parseResponse, encodeResponse } from '../../firmware/protocol/apdu.js';
import { COMMANDS } from '../../firmware/protocol/commands.js';
import type { TerminalConfig } from '../../firmware/terminal/config.js';
import { createIssuerKey, issueCard, provisionTerminal, type CardRequest, type IssuerKey } from '../../issuer/issuer.js';
import type { CardDevice } from '../../hal/sim/card-slot.js';
import { SeededRandom } from '../../hal/sim/random.js';
import { TerminalRig } from '../../hal/sim/rig.js';
import { SimLineReader, type SimLineOptions } from '../../hal/sim/line-slot.js';
import { SimFlash } from '../../hal/sim/flash.js';
import { SimCard } from '../../hal/sim/sim-card.js';
import { UsageJournal } from '../../firmware/journal/usage-journal.js';

export const START = Date.UTC(2026, 10, 23, 9, 0, 0); // 2026-11-23 09:00 UTC

/** The bench terminal's clock, seed and timings: the same in every world, and in the device flows. */
export const BENCH_RIG = Object.freeze({ startTime: START, seed: 'rig', terminal: Object.freeze({ keypadTimeoutMs: 30_000, messageMs: 3_000 }) });
/** Its NOR flash partition. */
export const BENCH_FLASH = Object.freeze({ sectorSize: 4096, sectorCount: 4 });

export interface World {
  readonly issuer: IssuerKey;
  readonly config: TerminalConfig;
  readonly rig: TerminalRig;
  readonly usage: UsageJournal;
  readonly random: SeededRandom;
  /** The byte line under the slot, when the world was made with `line`. */
  readonly line: SimLineReader | null;
  card(request: Partial<CardRequest> & { label: string }, issuer?: IssuerKey): SimCard;
}

export const ALICE = Object.freeze({ registrationNumber: '12345678', settingNumber: '1357', expiry: '2030-12-31' });

export interface WorldOptions {
  readonly suite?: number;
  readonly config?: (issuer: IssuerKey, random: SeededRandom) => TerminalConfig;
  readonly flashSectors?: number;
  /** Put the slot's contacts behind the simulated ISO 7816-3 byte line (ATR, PPS, T=1/T=0). */
  readonly line?: SimLineOptions;
}

export async function makeWorld(options: WorldOptions = {}): Promise<World> {
  const random = new SeededRandom(`world-${options.suite ?? 1}`);
  const issuer = createIssuerKey(options.suite ?? 1, 1, random.source);
  const config = options.config?.(issuer, random)
    ?? provisionTerminal(issuer, { terminalId: 'T0001', validFrom: '2026-01-01', validTo: '2031-12-31' }, random.source);
  const flash = new SimFlash({ ...BENCH_FLASH, sectorCount: options.flashSectors ?? BENCH_FLASH.sectorCount });
  const usage = UsageJournal.open(flash, config.terminalId);
  let line: SimLineReader | null = null;
  const rig = new TerminalRig({
    config, usage, flash, ...BENCH_RIG,
    ...(options.line ? { readerOverSlot: (slot) => (line = new SimLineReader(slot, options.line)) } : {}),
  });
  await rig.start();
  return {
    issuer, config, rig, usage, random, line,
    card(request, cardIssuer = issuer) {
      const issued = issueCard(cardIssuer, { ...ALICE, ...request }, random.source);
      return SimCard.personalise(issued.personalisation, request.label, random.source);
    },
  };
}

/** A forged card: passes every command to a real card but rewrites its READ CARD DATA answer. */
export function tampered(card: CardDevice, rewrite: (data: CardData) => CardData): CardDevice {
  const readCardData = encodeCommand(COMMANDS.readCardData());
  return {
    label: `${card.label} (tampered)`,
    reset: () => card.reset(),
    process(command: Uint8Array): Uint8Array {
      const answer = card.process(command);
      if (command.length !== readCardData.length || !command.every((b, i) => b === readCardData[i])) return answer;
      const response = parseResponse(answer);
      return encodeResponse({ data: encodeCardData(rewrite(decodeCardData(response.data))), sw: response.sw });
    },
  };
}

/** Registers `pin` on the card in the slot, from the PIN screen (fig. 4). */
export async function registerPin(rig: TerminalRig, pin: string, registration = ALICE.registrationNumber, setting = ALICE.settingNumber): Promise<void> {
  await rig.press('REGISTER');
  await rig.press(registration, 'ENTER');
  await rig.press(setting, 'ENTER');
  await rig.press(pin, 'ENTER');
  await rig.press(pin, 'ENTER');
}
