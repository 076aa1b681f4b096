'use strict';
// A participant that vanishes (no close, no packets: its process frozen with SIGSTOP, as a
// laptop lid closing or a line cut looks to the server) is removed within ~30 s — its
// connection's ICE consent lapses (RFC 7675) and its WebSocket goes silent — and its tile
// is gone for the others, who keep their media.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Daemon } = require('./lib/daemon.js');
const { closeAllBrowsers } = require('./lib/browser.js');
const { GstClient } = require('./lib/gstclient.js');
const tb = require('./lib/tb.js');
const { poll, log, SLOW } = require('./lib/util.js');

let daemon;
let gone;

before(async () => {
  daemon = new Daemon('vanish', { anonymous: true });
  await daemon.start();
});

after(async () => {
  if (gone) {
    try { process.kill(gone.proc.pid, 'SIGKILL'); } catch (_) { /* gone */ }
    await gone.exit;
  }
  await closeAllBrowsers();
  if (daemon) {
    await daemon.stop();
    daemon.cleanup();
  }
});

test('a vanished publisher is removed within 30 s and its tile goes', { timeout: 150000 * SLOW }, async () => {
  const room = 'vanish';
  gone = new GstClient('gst-vanish', daemon, ['--room', room, '--publish', '--timeout', String(120 * SLOW)]);
  const id = (await gone.waitFor(/joined participant_id=(\S+)/, 'joined', 20000 * SLOW))[1];
  await gone.waitFor(/^published$/m, 'published', 20000 * SLOW);
  const a = await tb.openClient(daemon, room, 'Наблюдатель');
  const b = await tb.openClient(daemon, room, 'Соседка');
  await tb.waitMediaFrom(a, [id, b.participantId], { timeout: 30000 * SLOW });
  const tile = () => a.page.evaluate((pid) => !!document.querySelector(`[data-tile="${pid}"]`), id);
  assert.ok(await tile(), 'the publisher has a tile');

  process.kill(gone.proc.pid, 'SIGSTOP');
  const t0 = Date.now();
  log('publisher frozen (SIGSTOP)');
  // Its connection's consent lapses first: its audio and video go (no frozen last frame
  // on its tile)...
  await poll('the vanished publisher\'s tracks go', async () => {
    const p = (await tb.participants(a)).find((x) => x.id === id);
    return !p || p.tracks.length === 0;
  }, { timeout: 45000 * SLOW, interval: 250 });
  const tracksGone = (Date.now() - t0) / 1000;
  // ...then its silent WebSocket: it leaves the room.
  await poll('the vanished publisher is removed for the others', async () =>
    !(await tb.participants(a)).some((p) => p.id === id), { timeout: 45000 * SLOW, interval: 250 });
  const took = (Date.now() - t0) / 1000;
  log(`tracks gone ${tracksGone.toFixed(1)} s, removed ${took.toFixed(1)} s after it froze`);
  assert.ok(tracksGone <= 30 * SLOW, `tracks gone after ${tracksGone.toFixed(1)} s`);
  assert.ok(took <= 30 * SLOW, `removed after ${took.toFixed(1)} s`);
  assert.ok(!(await tile()), 'its tile is gone');
  // The others go on as before.
  await tb.assertMediaGrowing(a, [b.participantId], 2000);
});
