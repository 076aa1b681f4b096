'use strict';
// A telebridge hall (role `site`) in its hall-screen layout: it joins by itself from its
// link, shows the other hall large with no controls, and when its WebSocket and media
// are cut (the test takes the network namespace's loopback down for a while: every TCP
// and UDP packet is lost, as when a hall's line drops) it rejoins by itself once the
// network is back, and media flows again both ways.
//
// Needs root in a private network namespace (tests/run-system.sh provides both).
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const { Daemon } = require('./lib/daemon.js');
const { closeAllBrowsers } = require('./lib/browser.js');
const tb = require('./lib/tb.js');
const { poll, log, sleep, outPath, writeMetrics, SLOW } = require('./lib/util.js');

const ROOM = 'e2e-telebridge';
// Long enough that the connections really die (the client's ping times out after 20 s,
// its ICE gives up 10 s after going 'disconnected'), as in a real line failure; a cut of
// a few seconds is simply bridged by TCP retransmission and ICE.
const CUT_S = 25;
let daemon;
let hall;
let studio;
let step = 0;

function lo(state) { execFileSync('ip', ['link', 'set', 'lo', state], { stdio: 'pipe' }); }

before(async () => {
  if (!process.env.TB_IN_NETNS) throw new Error('run through tests/run-system.sh (it cuts the loopback)');
  daemon = new Daemon('site', { extraArgs: ['-o', `room:${ROOM}.kind=telebridge`] });
  await daemon.start();
});

after(async () => {
  try { lo('up'); } catch (_) { /* up already */ }
  await closeAllBrowsers();
  if (daemon) {
    await daemon.stop();
    daemon.cleanup();
  }
});

test('a hall endpoint joins by itself in the hall-screen layout', { timeout: 90000 * SLOW }, async () => {
  studio = await tb.openClient(daemon, ROOM, 'Студия САО', { role: 'speaker' });
  // The hall's link has no autojoin: the page joins by itself because of its role.
  hall = await tb.openClient(daemon, ROOM, 'Зал Зеленограда', { role: 'site', identity: 'hall-zel', autojoin: false });
  assert.equal(await hall.page.evaluate(() => window.tb.hall), true);
  assert.ok(await hall.page.isHidden('.toolbar'), 'no controls on a hall screen');
  assert.ok(await hall.page.isHidden('.topbar'), 'no header on a hall screen');
  await tb.waitMediaFrom(hall, [studio.participantId]);
  await tb.waitMediaFrom(studio, [hall.participantId]);
  assert.equal(await hall.page.evaluate(() => window.tb.mainTile), studio.participantId, 'the other hall is large');
  await hall.page.screenshot({ path: outPath('site-hall.png') });
  step = 1;
});

test('cut off from the network, the hall rejoins by itself and media flows again',
     { timeout: 180000 * SLOW }, async (t) => {
  if (step < 1) return t.skip('needs the previous step');
  const before = (await tb.getStates(hall)).length;
  const oldId = hall.participantId;
  const t0 = Date.now();
  lo('down');
  log(`loopback down for ${CUT_S} s`);
  await sleep(CUT_S * 1000);
  const during = (await tb.getStates(hall)).slice(before).map((x) => x.state);
  const status = await hall.page.textContent('#hall-status');
  await hall.page.screenshot({ path: outPath('site-hall-cut.png') });
  lo('up');
  log(`loopback up; the hall went through ${during.join(' -> ')}, showing "${status}"`);
  assert.ok(during.includes('reconnecting'), 'the hall noticed the cut');
  log('loopback up');
  await poll('the hall went reconnecting and came back joined', async () => {
    const states = (await tb.getStates(hall)).slice(before).map((s) => s.state);
    const r = states.indexOf('reconnecting');
    return r >= 0 && states.slice(r).includes('joined') && (await tb.getState(hall)) === 'joined' ? states : false;
  }, { timeout: 90000 * SLOW, interval: 250 });
  hall.participantId = await hall.page.evaluate(() => window.tb.participantId);
  log(`hall rejoined as ${hall.participantId} (was ${oldId})`);
  // The studio was cut off too and reconnects as a normal client does; then each sees
  // exactly the other (the hall's identity replaced its ghost at once) and media flows
  // both ways.
  await poll('the studio is joined and sees exactly one hall', async () => {
    if ((await tb.getState(studio)) !== 'joined') return false;
    studio.participantId = await studio.page.evaluate(() => window.tb.participantId);
    const ps = await tb.participants(studio);
    return ps.length === 1 && ps[0].id === hall.participantId;
  }, { timeout: 60000 * SLOW, interval: 250 });
  await tb.waitMediaFrom(hall, [studio.participantId], { timeout: 45000 * SLOW });
  await tb.waitMediaFrom(studio, [hall.participantId], { timeout: 45000 * SLOW });
  await tb.assertMediaGrowing(hall, [studio.participantId], 2000);
  const ms = Date.now() - t0;
  writeMetrics('site_rejoin', { cut_seconds: CUT_S, cut_to_media_ms: ms });
  console.log(`site_cut_to_media_ms=${ms} (cut ${CUT_S} s)`);
  await hall.page.screenshot({ path: outPath('site-hall-after.png') });
});
