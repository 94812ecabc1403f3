// The terminal's upload (firmware/upload/uploader.ts) against a centre built from the codec and a
// real centre key C (uploadParties): batches of at most 64 records, acknowledgement in the journal
// on NOR flash, backoff after failures, a refused batch held, forged or stale answers ignored, the
// clock set only from a fresh answer. Engine-neutral: runs on Node and on XS.
import { asciiBytes } from '../../firmware/protocol/bytes.js';
import { suiteById } from '../../firmware/crypto/suites.js';
import { UsageJournal } from '../../firmware/journal/usage-journal.js';
import { issuerVerifiers } from '../../firmware/hotlist/change-list.js';
import { checkCentreCertificate } from '../../firmware/upload/centre-certificate.js';
import { decodeBatch, encodeAnswer, UPLOAD_LIMITS } from '../../firmware/upload/messages.js';
import { Uploader, type UploadStep } from '../../firmware/upload/uploader.js';
import { localDay, uploadDue } from '../../firmware/upload/schedule.js';
import { UploadWork } from '../../firmware/upload/upload-work.js';
import type { TerminalEvent } from '../../firmware/terminal/events.js';
import { SERVICE_KEY } from '../../firmware/terminal/terminal.js';
import { TerminalRig } from '../../hal/sim/rig.js';
import { ALICE, BENCH_FLASH, BENCH_RIG } from './world.js';
import type { Clock } from '../../hal/clock.js';
import { SimCard } from '../../hal/sim/sim-card.js';
import { issueCard } from '../../issuer/issuer.js';
import type { HttpAnswer, Modem } from '../../hal/modem.js';
import { SimFlash } from '../../hal/sim/flash.js';
import { VirtualClock } from '../../hal/sim/clock.js';
import { SeededRandom } from '../../hal/sim/random.js';
import { sampleEntry } from './journal-scenarios.js';
import { uploadParties, UPLOAD_TERMINAL_ID } from './upload-scenarios.js';
import { equal, ok, type Scenario } from './scenario.js';

const CENTRE_TIME = Date.UTC(2026, 11, 2, 6, 0, 0);

interface Rig {
  readonly journal: UsageJournal;
  readonly clock: VirtualClock;
  readonly uploader: Uploader;
  /** Every batch the centre received, decoded. */
  readonly received: ReturnType<typeof decodeBatch>[];
}

type Behaviour = (body: Uint8Array, answer: () => HttpAnswer) => Promise<HttpAnswer> | HttpAnswer;

/** A journal of `count` records, an uploader, and a centre answering as `behaviour` says. */
function rig(count: number, behaviour: Behaviour = (_body, answer) => answer(), centreTime: (clock: VirtualClock) => number = () => CENTRE_TIME): Rig {
  const parties = uploadParties();
  const journal = UsageJournal.open(new SimFlash({ sectorSize: 4096, sectorCount: 8 }), UPLOAD_TERMINAL_ID);
  for (let n = 1; n <= count; n++) journal.append(sampleEntry(n));
  const clock = new VirtualClock(Date.UTC(2026, 11, 2, 3, 0, 0));
  const received: ReturnType<typeof decodeBatch>[] = [];
  let held = 0;
  const modem: Modem = {
    attach: async () => {},
    powerCycle: async () => {},
    post: async (_url, body) => behaviour(body, () => {
      const batch = decodeBatch(body);
      ok(parties.terminalKey.verify(batch.signedMessage, batch.signature), 'the batch is signed with T');
      received.push(batch);
      for (const { record } of batch.records) if (record.sequence === held + 1) held++;
      return { status: 200, body: encodeAnswer({ terminalId: batch.terminalId, nonce: batch.nonce, acknowledged: held, centreTime: centreTime(clock), hotlistVersion: 0, changeLists: [] }, (m) => parties.centreSigner.sign(m)) };
    }),
  };
  const { centreKey } = checkCentreCertificate(parties.terminal.centreCertificate!, parties.terminal.issuerKeys);
  const uploader = new Uploader({
    terminalId: UPLOAD_TERMINAL_ID, url: 'http://centre/v1/batches', journal, hotlist: null,
    issuerKeys: issuerVerifiers(parties.terminal.issuerKeys), sign: (m) => suiteById(parties.terminal.suite).signer(parties.terminal.terminalSecretKey).sign(m),
    centreKey, modem, clock, random: new SeededRandom('uploader'),
  });
  return { journal, clock, uploader, received };
}

/** Upload work over `r` in JST, with its events; daily at `dailyAtMinutes`, fill level `fillLevel`. */
function work(r: Rig, dailyAtMinutes: number, fillLevel = 1): { work: UploadWork; events: Extract<TerminalEvent, { event: 'upload' }>[] } {
  const events: Extract<TerminalEvent, { event: 'upload' }>[] = [];
  const upload = new UploadWork({
    uploader: r.uploader, journal: r.journal, clock: r.clock, schedule: { dailyAtMinutes, utcOffsetMinutes: 540, fillLevel },
    emit: (event) => {
      if (event.event === 'upload') events.push(event);
    },
  });
  return { work: upload, events };
}

/**
 * A terminal on the bench with two records in its journal and its upload as idle work, against a
 * centre answering with CENTRE_TIME; `clockValid` false: its clock lost the time.
 */
async function terminalWithUpload(clockValid: boolean) {
  const parties = uploadParties('service key');
  const flash = new SimFlash(BENCH_FLASH);
  const usage = UsageJournal.open(flash, parties.terminal.terminalId);
  for (let n = 1; n <= 2; n++) usage.append(sampleEntry(n));
  let posts = 0;
  const batches: ReturnType<typeof decodeBatch>[] = [];
  const frames: string[] = [];
  let rig: TerminalRig | null = null;
  const clock: Clock = {
    now: () => rig!.clock.now(), setTimer: (ms, callback) => rig!.clock.setTimer(ms, callback), clearTimer: (handle) => rig!.clock.clearTimer(handle),
    get valid() {
      return rig!.clock.valid;
    },
    set: (ms) => rig!.clock.set(ms),
  };
  const uploader = new Uploader({
    terminalId: UPLOAD_TERMINAL_ID, url: 'http://centre/v1/batches', journal: usage, hotlist: null,
    issuerKeys: issuerVerifiers(parties.terminal.issuerKeys), sign: (m) => parties.terminalSigner.sign(m),
    centreKey: checkCentreCertificate(parties.terminal.centreCertificate!, parties.terminal.issuerKeys).centreKey,
    modem: {
      attach: async () => {}, powerCycle: async () => {},
      post: async (_url, body) => {
        posts++;
        const batch = decodeBatch(body);
        batches.push(batch);
        return { status: 200, body: encodeAnswer({ terminalId: batch.terminalId, nonce: batch.nonce, acknowledged: 2, centreTime: CENTRE_TIME, hotlistVersion: 0, changeLists: [] }, (m) => parties.centreSigner.sign(m)) };
      },
    },
    clock, random: new SeededRandom('service key'),
  });
  const upload = new UploadWork({
    uploader, journal: usage, clock, schedule: { dailyAtMinutes: 1439, utcOffsetMinutes: 540, fillLevel: 1 }, emit: (event) => rig!.report(event),
  });
  rig = new TerminalRig({
    config: parties.terminal, usage, flash, ...BENCH_RIG, startTime: Date.UTC(2026, 11, 2, 3, 0, 0), clockValid,
    terminal: { ...BENCH_RIG.terminal, idleWork: upload },
    onOutput: (o) => {
      if (o.kind === 'lcd') frames.push(o.lines[1]!.trim());
    },
  });
  await rig.start();
  const card = async () => SimCard.personalise(issueCard(parties.issuer, { ...ALICE, cardNumber: '0000000000000A11' }, parties.random).personalisation, 'alice', parties.random);
  return { rig: rig as TerminalRig, usage, frames, batches, posts: () => posts, card };
}

function kinds(steps: readonly UploadStep[]): string {
  return steps.map((step) => step.kind).join(',');
}

export const uploaderScenarios: readonly Scenario[] = [
  {
    name: 'upload: 70 records go as batches of 64 and 6, all acknowledged, sectors reclaimed',
    async run() {
      const { journal, uploader, received, clock } = rig(70);
      const steps = await uploader.uploadAll();
      equal(kinds(steps), 'acknowledged,acknowledged,idle', 'two batches then nothing pending');
      equal(received.map((batch) => batch.records.length), [UPLOAD_LIMITS.records, 6], 'batch sizes');
      equal(journal.pendingCount, 0, 'nothing pending');
      ok(received.every((batch) => batch.signedMessage.length <= UPLOAD_LIMITS.batchBytes), 'each batch within 16,384 bytes');
      equal(clock.now(), CENTRE_TIME, 'a fresh answer sets the clock');
    },
  },
  {
    name: 'upload: a modem failing 3 times backs off, doubling with jitter, and the same batch goes again',
    async run() {
      let failures = 3;
      const { journal, uploader, received, clock } = rig(5, (_body, answer) => {
        if (failures-- > 0) throw new Error('no carrier');
        return answer();
      });
      const waits: number[] = [];
      for (let i = 0; i < 3; i++) {
        const before = clock.now();
        const step = await uploader.step();
        equal(step.kind, 'failed', `attempt ${i + 1} fails`);
        if (step.kind !== 'failed') return;
        waits.push(step.retryAtMs - before);
        equal((await uploader.step()).kind, 'waiting', 'no attempt before the backoff passes');
        clock.moveTo(step.retryAtMs);
      }
      waits.forEach((wait, i) => ok(wait >= 5_000 * 2 ** i && wait < 10_000 * 2 ** i, `wait ${i + 1} is ${wait} ms, within [0.5, 1) of ${10_000 * 2 ** i}`));
      equal((await uploader.step()).kind, 'acknowledged', 'the fourth attempt lands');
      equal(received.length, 1, 'one batch reached the centre');
      equal(journal.pendingCount, 0, 'all acknowledged');
    },
  },
  {
    name: 'upload: a refused batch (403) is reported with the centre\'s error and not sent again until retry()',
    async run() {
      let posts = 0;
      const { journal, uploader } = rig(3, () => {
        posts++;
        return { status: 403, body: asciiBytes(JSON.stringify({ error: 'unknown-terminal', message: 'register the terminal certificate' })) };
      });
      const step = await uploader.step();
      equal(step, { kind: 'refused', status: 403, error: 'unknown-terminal', message: 'register the terminal certificate' }, 'the refusal');
      equal((await uploader.step()).kind, 'refused', 'held');
      equal(posts, 1, 'not sent again blindly');
      uploader.retry();
      await uploader.step();
      equal(posts, 2, 'sent again after retry()');
      equal(journal.pendingCount, 3, 'nothing acknowledged');
    },
  },
  {
    name: 'upload: an answer with a bad signature or another nonce acknowledges nothing and leaves the clock',
    async run() {
      for (const spoil of ['signature', 'nonce'] as const) {
        const { journal, uploader, clock } = rig(4, (_body, answer) => {
          const good = answer();
          const body = good.body.slice();
          if (spoil === 'signature') body[body.length - 1]! ^= 1;
          else body[body.findIndex((b, i) => b === 0xdb && body[i + 1] === UPLOAD_LIMITS.nonceBytes) + 2]! ^= 1; // first nonce byte
          return { status: 200, body };
        });
        const before = clock.now();
        const step = await uploader.step();
        equal(step.kind, 'failed', `${spoil}: the answer is ignored`);
        equal(journal.pendingCount, 4, `${spoil}: nothing acknowledged`);
        equal(clock.now(), before, `${spoil}: clock untouched`);
      }
    },
  },
  {
    name: 'upload: an answer later than 30 s after sending acknowledges but does not set the clock',
    async run() {
      const holder: { clock?: VirtualClock } = {};
      const { journal, uploader, clock } = rig(2, (_body, answer) => {
        holder.clock!.moveTo(holder.clock!.now() + 30_001);
        return answer();
      });
      holder.clock = clock;
      const before = clock.now();
      const step = await uploader.step();
      ok(step.kind === 'acknowledged' && !step.clockSet, 'acknowledged, clock not set');
      equal(clock.now(), before + 30_001, 'the clock kept its own time');
      equal(journal.pendingCount, 0, 'acknowledged');
    },
  },
  {
    name: 'upload schedule: the daily time in local time once a day, the fill level, bad settings refused',
    run() {
      const config = { dailyAtMinutes: 180, utcOffsetMinutes: 540, fillLevel: 0.5 };
      const quiet = { pendingCount: 1, capacity: 100 };
      const before = Date.UTC(2026, 11, 1, 17, 59); // 02:59 on 2 December in Japan
      const after = Date.UTC(2026, 11, 1, 18, 0); // 03:00
      equal(uploadDue(config, before, -1, quiet), null, 'not before 03:00 local');
      equal(uploadDue(config, after, -1, quiet), 'daily', 'due at 03:00 local');
      equal(uploadDue(config, after + 3_600_000, localDay(after, 540), quiet), null, 'once that day');
      equal(uploadDue(config, after + 86_400_000, localDay(after, 540), quiet), 'daily', 'again the next day');
      equal(uploadDue(config, before, -1, { pendingCount: 50, capacity: 100 }), 'fill', 'half full');
      equal(uploadDue(config, before, -1, { pendingCount: 49, capacity: 100 }), null, 'below the fill level');
      let refused = 0;
      for (const bad of [{ ...config, dailyAtMinutes: 1440 }, { ...config, fillLevel: 1.5 }]) {
        try {
          uploadDue(bad, after, -1, quiet);
        } catch (error) {
          if (error instanceof RangeError) refused++;
        }
      }
      equal(refused, 2, 'both bad settings refused with RangeError');
    },
  },
  {
    name: 'upload work: the service key uploads at once, batch after batch; with nothing pending it checks in, still a signed batch',
    async run() {
      const r = rig(70);
      const { work: upload, events } = work(r, 1439);
      await upload.run();
      equal(r.received.length, 0, 'not due: before 23:59 and below the fill level');
      upload.demand();
      await upload.run();
      equal(upload.busy, true, '64 sent, 6 to go');
      await upload.run();
      equal(upload.busy, false, 'upload.busy');
      equal(events.map((e) => `${e.reason}:${e.outcome}:${e.sent}`).join(','), 'demand:acknowledged:64,demand:acknowledged:6', 'two batches, each reported');
      equal(r.journal.pendingCount, 0, 'r.journal.pendingCount');
      upload.demand();
      await upload.run();
      equal(r.received.length, 3, 'r.received.length');
      equal(r.received[2]!.records.length, 0, 'a check-in carries no records');
      equal(events[2]!.outcome, 'checked-in', 'events[2]!.outcome');
    },
  },
  {
    name: 'upload work: the daily upload at 03:00 local time once a day; a failed attempt goes again after the backoff until acknowledged',
    async run() {
      let posts = 0;
      // The centre's clock agrees with the terminal's: setting the clock from its answers moves nothing.
      const r = rig(3, (_body, answer) => (++posts <= 2 ? { status: 503, body: new Uint8Array(0) } : answer()), (clock) => clock.now());
      const { work: upload, events } = work(r, 180);
      r.clock.moveTo(Date.UTC(2026, 11, 2, 17, 0, 0)); // 02:00 on 3 December in Japan
      await upload.run();
      equal(posts, 0, 'before 03:00 local: nothing');
      r.clock.moveTo(Date.UTC(2026, 11, 2, 18, 0, 0)); // 03:00 JST
      await upload.run();
      equal(events[0]!.outcome, 'failed', 'events[0]!.outcome');
      equal(upload.busy, true, 'a failed upload stays under way');
      await upload.run();
      equal(posts, 1, 'within the backoff: no second attempt');
      for (let attempt = 0; attempt < 2; attempt++) {
        r.clock.moveTo(events[events.length - 1]!.retryAt!);
        await upload.run();
      }
      equal(events.map((e) => `${e.reason}:${e.outcome}`).join(','), 'daily:failed,daily:failed,daily:acknowledged', 'tried again after each backoff');
      equal(r.journal.pendingCount, 0, 'the same records went again until acknowledged');
      r.clock.moveTo(Date.UTC(2026, 11, 3, 14, 0, 0)); // 23:00 JST, the same day
      await upload.run();
      equal(posts, 3, 'once a day');
      r.clock.moveTo(Date.UTC(2026, 11, 3, 18, 0, 0)); // 03:00 JST the next day
      await upload.run();
      equal(posts, 4, 'posts');
      equal(events[3]!.outcome, 'checked-in', 'the next day, nothing pending: a check-in');
    },
  },
  {
    name: 'upload work: the journal past its fill level uploads without being asked',
    async run() {
      const r = rig(70);
      const { work: upload, events } = work(r, 1439, 0.25);
      ok(70 >= 0.25 * r.journal.capacity, `70 records fill a quarter of ${r.journal.capacity} slots`);
      await upload.run();
      await upload.run();
      equal(events.map((e) => `${e.reason}:${e.sent}`).join(','), 'fill:64,fill:6', 'the fill level started it');
    },
  },
  {
    name: 'upload work: REGISTER at the idle screen is the service key: the LCD says so and the upload runs at once',
    async run() {
      const t = await terminalWithUpload(true);
      await t.rig.press(SERVICE_KEY);
      equal(t.rig.eventsOf('service-key').length, 1, 'service-key event');
      equal(t.posts(), 1, 'uploaded at once, no interval waited');
      ok(t.frames.includes('Uploading records'), `the LCD said so: ${t.frames.join(' | ')}`);
      equal(t.rig.eventsOf('upload')[0]!.outcome, 'acknowledged', 'acknowledged');
      equal(t.usage.pendingCount, 0, 'nothing pending');
      ok(t.rig.screen.includes('Please insert card'), 'the idle screen again');
      await t.rig.shutdown();
    },
  },
  {
    name: 'clock never set: the LCD says so and every card is refused until a fresh upload answer sets the clock; the batch says clock 0',
    async run() {
      const t = await terminalWithUpload(false);
      ok(t.rig.screen.includes('Clock not set'), `the idle screen says why: ${t.rig.screen}`);
      const card = await t.card();
      await t.rig.insert(card);
      equal(t.rig.eventsOf('card-rejected')[0]?.reason, 'clock-not-set', 'refused: no expiry check possible');
      equal(t.rig.eventsOf('card-accepted').length, 0, 'not accepted');
      await t.rig.remove();
      await t.rig.press(SERVICE_KEY);
      equal(t.batches[0]!.terminalClock, 0, 'the batch tells the centre the clock was never set');
      equal(t.rig.eventsOf('upload')[0]!.clockSet, true, 'the fresh answer set the clock');
      equal(t.rig.clock.now(), CENTRE_TIME, 'to the centre time');
      equal(t.rig.clock.valid, true, 'valid from now on');
      ok(t.rig.screen.includes('Please insert card'), `in service again: ${t.rig.screen}`);
      await t.rig.insert(card);
      equal(t.rig.eventsOf('card-accepted').length, 1, 'the card is served once the clock is set');
      await t.rig.remove();
      await t.rig.shutdown();
    },
  },
];
