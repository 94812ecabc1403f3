/// <reference types="node" />
/// <reference types="mocha" />
// The byte line on Node: the engine-neutral ISO 7816-3 scenarios run in tests/scenarios.test.ts
// (and on XS); here a longer fault soak and the line benchmark, printed, not asserted: bytes and
// modelled time for a whole service transaction at 9,600 bit/s (F 372, D 1, 3.5712 MHz, no PPS)
// and at the card's best PPS (TA1 96: F 512, D 32).
import assert from 'node:assert/strict';
import { FAULTS, SimCardLine, type FaultPlan } from '../hal/sim/card-line.js';
import { LINE, lineRunOf, type LineRun } from '../hal/card-line.js';
import type { ByteCard, CardContacts } from '../card/iso7816/contacts.js';
import { CardMuteError } from '../hal/reader.js';
import type { ApduCard } from '../card/iso7816/contacts.js';
import { fromHex, toHex } from '../firmware/protocol/bytes.js';
import { bench, cardAtr, CASES, echoCard, type Bench } from './scenarios/iso7816-scenarios.js';
import { makeWorld, registerPin } from './scenarios/world.js';

/** Command i of the soak: null when the answer is the card's own; the CardMuteError otherwise; a wrong answer fails. */
async function soakCommand(b: Bench, device: ApduCard, i: number): Promise<Error | null> {
  const command = fromHex(CASES[i % CASES.length]![1]);
  try {
    assert.equal(toHex(await b.reader.transmit(command)), toHex(device.process(command)), `never a wrong answer (command ${i})`);
    return null;
  } catch (error) {
    if (error instanceof assert.AssertionError) throw error;
    assert.ok(error instanceof CardMuteError, `${(error as Error).name}: ${(error as Error).message}`);
    return error;
  }
}

/** A new activation on a quiet line, then the faults again. */
async function reactivateQuietly(b: Bench, faults: FaultPlan): Promise<void> {
  b.line.faults = FAULTS.none;
  await b.reader.powerOn();
  b.line.faults = faults;
}

/** A card that answers the terminal's write with 5 characters, then 3 more after a pause of 100 etu. */
function pausingCard(): ByteCard {
  let contacts: CardContacts | null = null;
  return {
    label: 'pausing',
    reset(c) {
      contacts = c;
    },
    powerOff() {},
    sendFailed() {},
    receive() {},
    idle() {
      contacts?.send(Uint8Array.of(1, 2, 3, 4, 5), 22);
      contacts?.send(Uint8Array.of(6, 7, 8), 100);
    },
  };
}

/** The same run out of single receive() calls: what the protocol did before runs. */
async function singly(line: SimCardLine, count: number, first: number, gap: number): Promise<LineRun> {
  const chars: number[] = [];
  while (chars.length < count) {
    const next = await line.receive(chars.length === 0 ? first : gap);
    if (next === LINE.TIMEOUT) return lineRunOf(chars, true);
    chars.push(next);
  }
  return lineRunOf(chars, false);
}

describe('ISO 7816-3 card line', function () {
  this.timeout(120_000);

  it('receiveRun takes what single receive() calls would: same characters, same timeouts, same modelled clock', async function () {
    for (const [count, first, gap] of [[8, 50, 20], [8, 50, 200], [3, 50, 20], [8, 10, 20], [0, 50, 20]] as const) {
      const lines = [new SimCardLine({ card: pausingCard() }), new SimCardLine({ card: pausingCard() })] as const;
      const runs: LineRun[] = [];
      for (const [i, line] of lines.entries()) {
        await line.activate();
        await line.send(Uint8Array.of(0));
        runs.push(i === 0 ? await line.receiveRun(count, first, gap) : await singly(line, count, first, gap));
      }
      const label = `count ${count}, first ${first} etu, gap ${gap} etu`;
      assert.deepEqual(runs[0], runs[1], label);
      assert.equal(lines[0].now, lines[1].now, `${label}: the clock`);
      if (count === 8 && first === 50 && gap === 20) assert.deepEqual(runs[0], { chars: Uint8Array.of(1, 2, 3, 4, 5), parityErrors: [], timedOut: true }, 'the pause of 100 etu ends a run whose gap is 20 etu');
      if (first === 10) assert.deepEqual(runs[0], { chars: new Uint8Array(0), parityErrors: [], timedOut: true }, 'nothing within 10 etu of the write (the card waits 22)');
      // What is left on the line is the same too.
      assert.deepEqual(await lines[0].receiveRun(8, 1000, 1000), await singly(lines[1], 8, 1000, 1000), `${label}: the rest`);
    }
  });

  it('T=1 fault soak: 150 commands per rate up to 10 %, LRC and CRC, every answer right or an error', async function () {
    const device = echoCard();
    const rows: string[] = [];
    // An EDC has blind spots, not the protocol: LRC (an XOR) passes a block where two faults flip
    // the same bits or a character moves, about one block in 10^4 at 5 % (a sweep of 60 seeds hit
    // 4 at 5 %); CRC catches those. The seeds here are fixed, so the runs are deterministic.
    for (const [rate, edc] of [[0.001, 'lrc'], [0.001, 'crc'], [0.005, 'crc'], [0.02, 'crc'], [0.05, 'lrc'], [0.05, 'crc'], [0.1, 'crc']] as const) {
      const b = await bench({ device, ...(edc === 'crc' ? { card: { atr: cardAtr({ edc }) } } : {}) });
      const faults = FAULTS.random(Math.round(rate * 1e4), rate, ['flip', 'corrupt', 'drop', 'extra']);
      b.line.faults = faults;
      let right = 0;
      let errors = 0;
      let reactivations = 0;
      const before = b.card.commands;
      for (let i = 0; i < 150; i++) {
        if (!(await soakCommand(b, device, i))) {
          right++;
        } else {
          errors++;
          if (b.reader.t1?.dead) {
            // The soak is about T=1: the new activation (ATR, PPS) runs on a quiet line, or a PPS
            // lost to noise would fall back to T=0 (§9.3).
            await reactivateQuietly(b, faults);
            reactivations++;
          }
        }
        assert.equal(b.reader.session?.protocol, 1, 'still T=1');
      }
      assert.equal(right + errors, 150);
      const c = b.reader.t1?.counters;
      rows.push(`rate ${rate} ${edc.toUpperCase()}: ${right} right, ${errors} errors, 0 wrong; ${b.line.stats.faults} faults injected, ` +
        `${c?.retransmissions} retransmissions, ${c?.resynchs} RESYNCH (last activation), ${reactivations} reactivations, ` +
        `${b.card.commands - before} commands run by the card`);
    }
    console.log(rows.map((r) => `      ${r}`).join('\n'));
  });

  it('T=0 fault soak: parity errors and dropped characters both ways up to 5 %, every answer right or an error', async function () {
    // T=0 has no EDC: a corruption that keeps the parity, or an extra character, can make a wrong
    // answer no terminal could tell from a right one (README); those are the T=1 soak's. Parity
    // errors are repaired by repetition (§7.3) or end in an error; a dropped character ends in WWT or
    // a procedure byte out of place.
    const device = echoCard();
    const rows: string[] = [];
    for (const rate of [0.01, 0.02, 0.05]) {
      const b = await bench({ device, reader: { preferT1: false } });
      const seed = Math.round(rate * 1e4);
      const faults = FAULTS.all(FAULTS.random(seed, rate, ['flip', 'drop'], ['to-terminal']), FAULTS.random(seed + 1, rate, ['flip', 'drop'], ['to-card']));
      b.line.faults = faults;
      let right = 0;
      const errors: Record<string, number> = {};
      for (let i = 0; i < 150; i++) {
        const error = await soakCommand(b, device, i);
        if (!error) {
          right++;
        } else {
          errors[error.name] = (errors[error.name] ?? 0) + 1;
          // After a T=0 error the reader refuses until the card is reset (§10: no way back into step).
          await reactivateQuietly(b, faults);
        }
      }
      const failed = Object.values(errors).reduce((n, e) => n + e, 0);
      assert.equal(right + failed, 150);
      rows.push(`T=0 rate ${rate}: ${right} right, ${failed} errors (${Object.entries(errors).map(([k, n]) => `${n} ${k}`).join(', ') || 'none'}), 0 wrong; ` +
        `${b.line.stats.faults} faults injected, ${b.line.stats.repetitions} repetitions`);
    }
    console.log(rows.map((r) => `      ${r}`).join('\n'));
  });

  it('line benchmark: a whole service transaction (insertion, PIN, call, record) at 9,600 bit/s and at TA1 96', async function () {
    const rows: string[] = [];
    for (const [name, readerOptions] of [
      ['T=0, 9,600 bit/s (F 372, D 1, no PPS)', { pps: false }],
      ['T=1, 9,600 bit/s (PPS for T=1, card keeps default rate)', {}],
      ['T=1, PPS TA1 96 (F 512, D 32, 223 kbit/s)', {}],
    ] as const) {
      const refuse = name.includes('keeps default');
      const world = await makeWorld({ line: { reader: readerOptions, ...(refuse ? { card: { pps: 'refuse' } } : {}) } });
      const { line, reader } = world.line!;
      const card = world.card({ label: 'alice' });
      await world.rig.insert(card);
      await registerPin(world.rig, '2468');
      await world.rig.remove();
      line.resetStats();
      await world.rig.insert(card); // the service transaction: insertion, PIN, call, record
      const protocol = reader.session?.protocol;
      const rate = `${reader.session?.fi}/${reader.session?.di}`;
      await world.rig.press('2468', 'ENTER');
      await world.rig.press('0312345678', 'ENTER');
      await world.rig.wait(60);
      await world.rig.press('END');
      assert.equal(world.usage.records().length, 1, 'usage record written');
      const s = line.stats;
      rows.push(`${name}: T=${protocol} at F/D ${rate}, ${s.toCard} bytes to the card, ${s.toTerminal} to the terminal, ${(s.seconds * 1000).toFixed(1)} ms modelled on the line`);
    }
    console.log(rows.map((r) => `      ${r}`).join('\n'));
  });
});
