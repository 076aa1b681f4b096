'use strict';
// The daemon restarts (SIGTERM, then a new process on the same port and state folder)
// during a meeting: the clients are told (server_shutdown, close 1001), show that they
// reconnect, rejoin by themselves once the server is back, and see and hear each other
// again (getStats: frames decoded and packets received growing).
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Daemon } = require('./lib/daemon.js');
const { closeAllBrowsers } = require('./lib/browser.js');
const tb = require('./lib/tb.js');
const { poll, log, sleep, SLOW } = require('./lib/util.js');

let daemon;

before(async () => {
  daemon = new Daemon('restart', { anonymous: true });
  await daemon.start();
});

after(async () => {
  await closeAllBrowsers();
  if (daemon) {
    await daemon.stop();
    daemon.cleanup();
  }
});

test('clients rejoin a restarted server by themselves and media flows again',
     { timeout: 180000 * SLOW }, async () => {
  const room = 'restart';
  const a = await tb.openClient(daemon, room, 'Анна');
  const b = await tb.openClient(daemon, room, 'Борис');
  await tb.waitMediaFrom(a, [b.participantId], { timeout: 30000 * SLOW });
  await tb.waitMediaFrom(b, [a.participantId], { timeout: 30000 * SLOW });

  const t0 = Date.now();
  await daemon.stop();
  log(`daemon stopped in ${Date.now() - t0} ms`);
  assert.ok(Date.now() - t0 < 5000 * SLOW, 'the daemon is gone within 5 s of SIGTERM');
  const reconnecting = async (x) => (await tb.getStates(x)).some((e) => e.state === 'reconnecting');
  await poll('both show that they reconnect', async () => (await reconnecting(a)) && (await reconnecting(b)),
             { timeout: 10000 * SLOW });
  await sleep(1000);
  await daemon.start();

  await tb.waitState(a, 'joined', { timeout: 60000 * SLOW });
  await tb.waitState(b, 'joined', { timeout: 60000 * SLOW });
  const ida = await a.page.evaluate(() => window.tb.participantId);
  const idb = await b.page.evaluate(() => window.tb.participantId);
  log(`rejoined as ${ida} and ${idb}`);
  await tb.waitMediaFrom(a, [idb], { timeout: 60000 * SLOW });
  await tb.waitMediaFrom(b, [ida], { timeout: 60000 * SLOW });
  await tb.assertMediaGrowing(a, [idb], 2000);
  await tb.assertMediaGrowing(b, [ida], 2000);
});
