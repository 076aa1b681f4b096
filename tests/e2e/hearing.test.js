'use strict';
// A public hearing in real browsers: a participant raises a hand, the moderator gives it
// the floor for a few seconds, everyone hears and sees it with a countdown, the floor
// ends by itself and the relay stops forwarding its media (its client is told to ignore
// that, so only the relay's enforcement can stop it), and the register and speaking log
// exported for the record list all of it.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Daemon } = require('./lib/daemon.js');
const { closeAllBrowsers } = require('./lib/browser.js');
const tb = require('./lib/tb.js');
const { poll, log, sleep, outPath, SLOW } = require('./lib/util.js');

const ROOM = 'e2e-hearing';
const FLOOR_S = 8;
let daemon;
let mod;
let resident;
let viewer;
let step = 0;

before(async () => {
  daemon = new Daemon('hearing', { extraArgs: ['-o', `room:${ROOM}.kind=hearing`] });
  await daemon.start();
});

after(async () => {
  await closeAllBrowsers();
  if (daemon) {
    await daemon.stop();
    daemon.cleanup();
  }
});

const audioFrom = async (b, id) => ((await tb.stats(b))[id] || {}).audioPacketsReceived || 0;

test('moderator, a resident (participant) and a viewer join the hearing', { timeout: 120000 * SLOW }, async () => {
  mod = await tb.openClient(daemon, ROOM, 'Председатель', { role: 'moderator' });
  resident = await tb.openClient(daemon, ROOM, 'Жительница Мария', { role: 'participant' });
  viewer = await tb.openClient(daemon, ROOM, 'Зритель', { role: 'viewer' });
  assert.equal((await mod.page.evaluate(() => window.tb.roomState)).kind, 'hearing');
  // Without the floor the resident publishes nothing and keeps no devices open.
  assert.equal(await resident.page.evaluate(() => !!window.tb.pubPc), false);
  assert.equal(await resident.page.evaluate(() => !!window.tb.localStream), false);
  await tb.waitMediaFrom(resident, [mod.participantId]);
  step = 1;
});

test('hand raised, floor given: the resident is heard, with a countdown for everyone',
     { timeout: 90000 * SLOW }, async (t) => {
  if (step < 1) return t.skip('needs the previous step');
  const rid = resident.participantId;
  await resident.page.click('#hand-btn');
  await poll('the moderator sees the raised hand', async () =>
    (await tb.participants(mod)).some((p) => p.id === rid && p.hand), { timeout: 5000 * SLOW });
  await mod.page.click('#people-btn');
  await sleep(300);
  await mod.page.screenshot({ path: outPath('hearing-hand.png') });
  // The resident's client obeys the floor's start but not its end (see the file header).
  await resident.page.evaluate(() => { window.tb.ignoreModeration = true; });
  await mod.page.evaluate(([id, s]) => window.tb.request('floor_give', { participant_id: id, seconds: s }),
                          [rid, FLOOR_S]);
  const given = Date.now();
  for (const b of [mod, viewer]) {
    await tb.waitMediaFrom(b, [rid], { timeout: 15000 * SLOW });
  }
  log(`the resident is heard ${Date.now() - given} ms after the floor was given`);
  for (const b of [mod, viewer, resident]) {
    const st = await b.page.evaluate(() => window.tb.roomState);
    assert.equal(st.floor && st.floor.participant_id, rid, `${b.label} knows who has the floor`);
    assert.ok(await b.page.isVisible('#floor-pill'), `${b.label} shows the countdown`);
  }
  const pill = await viewer.page.textContent('#floor-pill .floor-time');
  assert.match(pill, /^0:0\d$/, `countdown shown: ${pill}`);
  assert.equal(await viewer.page.evaluate(() => window.tb.mainTile), rid, 'the floor holder is shown large');
  await viewer.page.screenshot({ path: outPath('hearing-floor-viewer.png') });
  await resident.page.screenshot({ path: outPath('hearing-floor-resident.png') });
  step = 2;
});

test('the floor ends by itself and the resident\'s media is no longer forwarded',
     { timeout: 60000 * SLOW }, async (t) => {
  if (step < 2) return t.skip('needs the previous step');
  const rid = resident.participantId;
  await poll('the floor ended for the viewer', async () =>
    !(await viewer.page.evaluate(() => window.tb.roomState)).floor, { timeout: (FLOOR_S + 6) * 1000 * SLOW, interval: 100 });
  assert.ok(await viewer.page.isHidden('#floor-pill'), 'the countdown is gone');
  // Stopped within a second of the end, while the resident's browser keeps sending.
  await sleep(1000);
  const out1 = await resident.page.evaluate(() => window.tb.outboundStats());
  const a1 = await audioFrom(viewer, rid);
  const m1 = await audioFrom(mod, rid);
  await sleep(2500);
  const out2 = await resident.page.evaluate(() => window.tb.outboundStats());
  assert.ok(out2.audio.packetsSent > out1.audio.packetsSent, 'the resident still sends');
  assert.equal(await audioFrom(viewer, rid), a1, 'the viewer no longer receives the resident\'s audio');
  assert.equal(await audioFrom(mod, rid), m1, 'the moderator no longer receives the resident\'s audio');
  const self = await resident.page.evaluate(() => window.tb.self);
  assert.equal(self.floor, false);
  step = 3;
});

test('the register and the speaking log list all of it', { timeout: 30000 * SLOW }, async (t) => {
  if (step < 3) return t.skip('needs the previous step');
  const rid = resident.participantId;
  const reg = await mod.page.evaluate(() => window.tb.request('export', { what: 'register', format: 'json' }));
  const rows = JSON.parse(reg.content).rows;
  assert.deepEqual(rows.map((r) => r.name).sort(), ['Жительница Мария', 'Зритель', 'Председатель']);
  assert.deepEqual(rows.map((r) => r.role).sort(), ['moderator', 'participant', 'viewer']);
  const csv = await mod.page.evaluate(() => window.tb.request('export', { what: 'speaking', format: 'csv' }));
  assert.match(csv.filename, /^e2e-hearing-speaking-\d{8}-\d{4}\.csv$/);
  const log1 = JSON.parse((await mod.page.evaluate(() => window.tb.request('export', { what: 'speaking', format: 'json' }))).content).rows;
  const mine = log1.filter((r) => r.participant_id === rid);
  const hand = mine.find((r) => r.kind === 'hand');
  const floor = mine.find((r) => r.kind === 'floor');
  assert.ok(hand && hand.end_reason === 'given the floor', `hand row: ${JSON.stringify(hand)}`);
  assert.ok(floor && floor.end_reason === 'expired' && floor.seconds === String(FLOOR_S) &&
            floor.granted_by === 'Председатель', `floor row: ${JSON.stringify(floor)}`);
  const dur = (Date.parse(floor.ended) - Date.parse(floor.started)) / 1000;
  assert.ok(dur >= FLOOR_S - 1 && dur <= FLOOR_S + 2, `the floor lasted ${dur} s`);
  log(`speaking log: ${JSON.stringify(log1)}`);
  log(`register CSV: ${csv.content.length} bytes`);
  const audit = JSON.parse((await mod.page.evaluate(() => window.tb.request('export', { what: 'audit', format: 'json' }))).content).rows;
  assert.ok(audit.some((r) => r.action === 'floor_give' && r.target_id === rid));
  assert.ok(audit.some((r) => r.action === 'floor_end' && r.actor_name === 'server'));
});
