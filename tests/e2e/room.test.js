'use strict';
// Three headless Chromiums in one room through the real daemon: everyone decodes
// everyone's video and receives their audio, continuously; a leaver disappears within
// 2 s and its media stops; it rejoins and media flows again. Join-to-first-frame times
// go to out/metrics.json (figures, not a pass bar); a screenshot to out/room.png.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { Daemon } = require('./lib/daemon.js');
const { closeAllBrowsers } = require('./lib/browser.js');
const tb = require('./lib/tb.js');
const { poll, log, outPath, writeMetrics, SLOW } = require('./lib/util.js');

const ROOM = 'e2e-room';
const NAMES = ['Анна', 'Boris', 'Clara'];
let daemon;
let clients = [];
let step = 0; // number of steps that passed; a step needs all before it

before(async () => {
  daemon = new Daemon('room', { anonymous: true });
  await daemon.start();
});

after(async () => {
  await closeAllBrowsers();
  if (daemon) {
    await daemon.stop();
    daemon.cleanup();
  }
});

const idsExcept = (me) => clients.filter((c) => c !== me).map((c) => c.participantId);

async function joinToFirstFrame(b) {
  return b.page.evaluate(() => {
    const t = window.tb;
    return typeof t.firstFrameAt === 'number' && typeof t.joinClickedAt === 'number'
      ? Math.round(t.firstFrameAt - t.joinClickedAt) : null;
  });
}

async function waitSeesExactly(b, ids, timeout) {
  const want = [...ids].sort();
  await poll(`${b.label} tb.participants() == [${want}]`, async () => {
    const got = (await tb.participants(b)).map((p) => p.id).sort();
    return JSON.stringify(got) === JSON.stringify(want);
  }, { timeout, interval: 50 });
}

test('three browsers join one room, one after another', { timeout: 120000 * SLOW }, async () => {
  for (const name of NAMES) clients.push(await tb.openClient(daemon, ROOM, name));
  const ids = clients.map((c) => c.participantId);
  assert.equal(new Set(ids).size, 3, `participant ids must differ: ${ids}`);
  for (const c of clients) await waitSeesExactly(c, idsExcept(c), 5000 * SLOW);
  for (const c of clients) {
    const names = (await tb.participants(c)).map((p) => p.name).sort();
    assert.deepEqual(names, NAMES.filter((n) => n !== c.label).sort(), `${c.label} sees names`);
  }
  step = 1;
});

test('each browser decodes video and receives audio from both others, still 5 s later',
     { timeout: 120000 * SLOW }, async (t) => {
  if (step < 1) return t.skip('needs the previous step');
  await allOk(clients.map((c) => tb.waitMediaFrom(c, idsExcept(c))));
  const metrics = {};
  for (const c of clients) {
    const ms = await joinToFirstFrame(c);
    metrics[c.label] = ms;
    log(`${c.label}: join_to_first_frame_ms=${ms}`);
    console.log(`join_to_first_frame_ms=${ms} browser=${c.label}`);
  }
  writeMetrics('room', {
    join_to_first_frame_ms: metrics,
    note: 'browsers joined one after another; the first ones wait for the later joiners, ' +
          'so the last joiner\'s figure is the one comparable to a join into a live room',
  });
  const grown = await allOk(clients.map((c) => tb.assertMediaGrowing(c, idsExcept(c), 5000)));
  grown.forEach(([, s2], i) => log(`${clients[i].label} stats: ${JSON.stringify(s2)}`));
  await clients[0].page.screenshot({ path: outPath('room.png') });
  log(`screenshot: ${outPath('room.png')}`);
  // 2-3 s after connecting, the relay connects each subscriber's socket to its browser
  // (relay/sendq.h): media must keep flowing on that pinned path.
  const pinned = (c) => new RegExp(`\\[${ROOM}/${c.participantId}/sub\\] path settled`);
  await poll('every subscribe connection pinned', async () => {
    const text = fs.readFileSync(daemon.logFile, 'utf8');
    return clients.every((c) => pinned(c).test(text));
  }, { timeout: 5000 * SLOW });
  await allOk(clients.map((c) => tb.assertMediaGrowing(c, idsExcept(c), 2000)));
  step = 2;
});

test('a participant who leaves disappears from the others within 2 s and its media stops',
     { timeout: 60000 * SLOW }, async (t) => {
  if (step < 2) return t.skip('needs the previous step');
  const [a, b, c] = clients;
  const gone = b.participantId;
  await b.page.evaluate(() => { window.tb.leave(); });
  const t0 = Date.now();
  await Promise.all([a, c].map((x) => waitSeesExactly(x, idsExcept(x).filter((id) => id !== gone),
                                                      2000 * SLOW)));
  log(`leave seen by both others after ${Date.now() - t0} ms`);
  await tb.waitState(b, 'left', { timeout: 5000 * SLOW });
  for (const x of [a, c]) log(`${x.label}: media from ${gone}: ${await tb.waitMediaStopped(x, gone)}`);
  // The two who stayed still see each other's media.
  await tb.assertMediaGrowing(a, [c.participantId], 2000);
  await tb.assertMediaGrowing(c, [a.participantId], 2000);
  step = 3;
});

// Rejoin twice: as a person does (the "Rejoin" button of the left view, which restarts
// the camera preview first), then through the test API tb.join() after another leave.
async function leaveAgain(b) {
  const gone = b.participantId;
  await b.page.evaluate(() => { window.tb.leave(); });
  await tb.waitState(b, 'left', { timeout: 5000 * SLOW });
  for (const x of clients.filter((c) => c !== b)) {
    await waitSeesExactly(x, idsExcept(x).filter((id) => id !== gone), 2000 * SLOW);
  }
}

async function checkRejoined(b, how) {
  await tb.waitState(b, 'joined');
  b.participantId = await b.page.evaluate(() => window.tb.participantId);
  log(`${b.label}: rejoined (${how}) as ${b.participantId}`);
  for (const c of clients) await waitSeesExactly(c, idsExcept(c), 5000 * SLOW);
  await allOk(clients.map((c) => tb.waitMediaFrom(c, idsExcept(c))));
  await allOk(clients.map((c) => tb.assertMediaGrowing(c, idsExcept(c), 3000)));
  const ms = await joinToFirstFrame(b);
  console.log(`join_to_first_frame_ms=${ms} browser=${b.label} (rejoin via ${how}, into a live room)`);
  return ms;
}

// Like Promise.all, but waits for every promise and reports every failure.
async function allOk(promises) {
  const res = await Promise.allSettled(promises);
  const errs = res.filter((r) => r.status === 'rejected').map((r) => r.reason.message || String(r.reason));
  if (errs.length) throw new Error(`${errs.length} of ${res.length} failed:\n${errs.join('\n\n')}`);
  return res.map((r) => r.value);
}

let rejoinMetrics = {};

test('the leaver rejoins with the Rejoin button and media flows again in all directions',
     { timeout: 90000 * SLOW }, async (t) => {
  if (step < 3) return t.skip('needs the previous step');
  const b = clients[1];
  await b.page.click('#rejoin-btn');
  rejoinMetrics.rejoin_button = await checkRejoined(b, 'the Rejoin button');
  writeMetrics('room_rejoin', { join_to_first_frame_ms: rejoinMetrics });
  step = 4;
});

test('after another leave, tb.join() rejoins and media flows again in all directions',
     { timeout: 90000 * SLOW }, async (t) => {
  if (step < 3) return t.skip('needs the leave step');
  const b = clients[1];
  if (step >= 4) await leaveAgain(b);
  await b.page.evaluate(({ room, name }) => { window.tb.join({ room, name }); },
                        { room: ROOM, name: b.label });
  rejoinMetrics.tb_join = await checkRejoined(b, 'tb.join()');
  writeMetrics('room_rejoin', { join_to_first_frame_ms: rejoinMetrics });
});
