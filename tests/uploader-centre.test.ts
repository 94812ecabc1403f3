// The terminal's uploader (firmware/upload/uploader.ts) through the simulator's HTTP modem
// (tools/simulator/http-modem.ts) to a real centre (center/, SQLite in a temp folder) on the
// loopback: every record acknowledged in the journal; with the centre down the attempt fails and
// backs off, and the same records go once it is back.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suiteById } from '../firmware/crypto/suites.js';
import { issuerVerifiers } from '../firmware/hotlist/change-list.js';
import { UsageJournal } from '../firmware/journal/usage-journal.js';
import { checkCentreCertificate } from '../firmware/upload/centre-certificate.js';
import { Uploader } from '../firmware/upload/uploader.js';
import { SimFlash } from '../hal/sim/flash.js';
import { VirtualClock } from '../hal/sim/clock.js';
import { SeededRandom } from '../hal/sim/random.js';
import { startCentre } from '../center/server.js';
import { HttpModem } from '../tools/simulator/http-modem.js';
import { sampleEntry } from './scenarios/journal-scenarios.js';
import { uploadParties, UPLOAD_TERMINAL_ID } from './scenarios/upload-scenarios.js';

const parties = uploadParties('uploader centre');
const NOW = Date.UTC(2026, 11, 20, 3, 0, 0);

describe('uploader against the centre on loopback (SQLite)', function () {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'uploader-centre-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('uploads 70 records in two batches, survives the centre being down, and the rest goes once it is back', async () => {
    const database = `sqlite:${join(dir, 'centre.db')}`;
    const options = { database, port: 0, centreKey: parties.centre, terminals: [parties.terminal.certificate], now: () => NOW };
    let running = await startCentre(options);
    const journal = UsageJournal.open(new SimFlash({ sectorSize: 4096, sectorCount: 8 }), UPLOAD_TERMINAL_ID);
    for (let n = 1; n <= 70; n++) journal.append(sampleEntry(n));
    const clock = new VirtualClock(NOW - 60_000);
    const modem = new HttpModem({ timeoutMs: 10_000 });
    let url = `${running.url}/v1/batches`;
    const signer = suiteById(parties.terminal.suite).signer(parties.terminal.terminalSecretKey);
    const make = () => new Uploader({
      terminalId: UPLOAD_TERMINAL_ID, url, journal, hotlist: null, issuerKeys: issuerVerifiers(parties.terminal.issuerKeys),
      sign: (m) => signer.sign(m), centreKey: checkCentreCertificate(parties.terminal.centreCertificate!, parties.terminal.issuerKeys).centreKey,
      modem, clock, random: new SeededRandom('uploader centre'),
    });
    let uploader = make();
    const first = await uploader.step();
    assert.equal(first.kind, 'acknowledged');
    assert.equal(journal.pendingCount, 6);

    await running.close();
    const down = await uploader.step();
    assert.equal(down.kind, 'failed', 'centre down: the attempt fails');
    assert.match(down.kind === 'failed' ? down.detail : '', /modem: cannot reach/);
    assert.equal(journal.pendingCount, 6, 'nothing acknowledged while the centre is down');

    running = await startCentre(options);
    url = `${running.url}/v1/batches`;
    uploader = make();
    try {
      const steps = await uploader.uploadAll();
      assert.deepEqual(steps.map((s) => s.kind), ['acknowledged', 'idle']);
      assert.equal(journal.pendingCount, 0);
      const terminals = await (await fetch(`${running.url}/v1/terminals`)).json() as { terminals: { terminalId: string; acknowledged: number }[] };
      assert.equal(terminals.terminals.find((t) => t.terminalId === UPLOAD_TERMINAL_ID)?.acknowledged, 70, 'the centre holds 1..70');
    } finally {
      await running.close();
    }
  });
});
