/// <reference types="node" />
/// <reference types="mocha" />
// The byte line on Node: the engine-neutral ISO 7816-3 scenarios run in tests/scenarios.test.ts
// (and on XS); here a longer fault soak and the line benchmark, printed, not asserted: bytes and
// modelled time for a whole service transaction at 9,600 bit/s (F 372, D 1, 3.5712 MHz, no PPS)
// and at the card's best PPS (TA1 96: F 512, D 32).
import assert from 'node:assert/strict';
import { FAULTS } from '../hal/sim/card-line.js';
import { routeSlotThroughLine } from '../hal/sim/line-slot.js';
import { CardMuteError } from '../hal/reader.js';
import { fromHex, toHex } from '../firmware/protocol/bytes.js';
import { bench, cardAtr, CASES, echoCard } from './scenarios/iso7816-scenarios.js';
import { makeWorld, registerPin } from './scenarios/world.js';

describe('ISO 7816-3 card line', function () {
  this.timeout(120_000);

  it('T=1 fault soak: 750 commands at fault rates up to 2 %, every answer right or an error', async function () {
    const device = echoCard();
    const rows: string[] = [];
    // LRC misses two identical bit errors in one block (an EDC limit, not a protocol one): the
    // high rates, where that happens within a 254-byte block, run with CRC (TC3 = 01).
    for (const [rate, edc] of [[0.001, 'lrc'], [0.001, 'crc'], [0.005, 'crc'], [0.02, 'crc']] as const) {
      const b = await bench({ device, ...(edc === 'crc' ? { card: { atr: cardAtr({ edc }) } } : {}) });
      b.line.faults = FAULTS.random(Math.round(rate * 1e4), rate, ['flip', 'corrupt', 'drop', 'extra']);
      let right = 0;
      let errors = 0;
      for (let i = 0; i < 150; i++) {
        const command = fromHex(CASES[i % CASES.length]![1]);
        try {
          assert.equal(toHex(await b.reader.transmit(command)), toHex(device.process(command)), 'never a wrong answer');
          right++;
        } catch (error) {
          if (error instanceof assert.AssertionError) throw error;
          assert.ok(error instanceof CardMuteError, `${(error as Error).name}: ${(error as Error).message}`);
          errors++;
          if (b.reader.t1?.dead) await b.reader.powerOn().catch(() => b.reader.powerOn());
        }
      }
      const c = b.reader.t1?.counters;
      rows.push(`rate ${rate} ${edc.toUpperCase()}: ${right} right, ${errors} errors, ${b.line.stats.faults} faults injected, ${c?.retransmissions} retransmissions, ${c?.resynchs} RESYNCH`);
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
      const world = await makeWorld();
      const refuse = name.includes('keeps default');
      const { line, reader } = routeSlotThroughLine(world.rig.slot, { reader: readerOptions, ...(refuse ? { card: { pps: 'refuse' } } : {}) });
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
