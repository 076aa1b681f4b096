'use strict';
// The server goes away under two joined browsers and comes back on the same port: each
// client must show 'reconnecting', return to 'joined' by itself, and media must flow
// again. Round 1 stops the daemon with SIGTERM (a clean restart), round 2 with SIGKILL
// (a crash: no close frame, no goodbye).
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Daemon } = require('./lib/daemon.js');
const { closeAllBrowsers } = require('./lib/browser.js');
const tb = require('./lib/tb.js');
const { poll, log, writeMetrics, SLOW } = require('./lib/util.js');

const ROOM = 'e2e-reconnect';
let daemon;
let clients = [];
let ready = false;
const metrics = {};

before(async () => {
  daemon = new Daemon('reconnect', { anonymous: true });
  await daemon.start();
});

after(async () => {
  writeMetrics('reconnect', metrics);
  await closeAllBrowsers();
  if (daemon) {
    await daemon.stop();
    daemon.cleanup();
  }
});

const other = (me) => clients.find((c) => c !== me);

test('two browsers join and exchange media', { timeout: 90000 * SLOW }, async () => {
  clients.push(await tb.openClient(daemon, ROOM, 'Dana'));
  clients.push(await tb.openClient(daemon, ROOM, 'Egor'));
  await Promise.all(clients.map((c) => tb.waitMediaFrom(c, [other(c).participantId])));
  ready = true;
});

for (const signal of ['SIGTERM', 'SIGKILL']) {
  test(`after a server restart (${signal}) the clients reconnect by themselves with media`,
       { timeout: 120000 * SLOW }, async (t) => {
    if (!ready) return t.skip('needs two joined browsers with media');
    ready = false;
    const before = await Promise.all(clients.map((c) => tb.getStates(c)));
    const t0 = Date.now();
    await daemon.stop({ signal, grace: 10000 * SLOW });
    await daemon.start();
    log(`daemon restarted after ${signal} in ${Date.now() - t0} ms`);
    await Promise.all(clients.map(async (c, i) => {
      const seen = await poll(`${c.label} back to 'joined' after 'reconnecting'`, async () => {
        const states = (await tb.getStates(c)).slice(before[i].length).map((s) => s.state);
        const r = states.indexOf('reconnecting');
        return r >= 0 && states.slice(r).includes('joined') && (await tb.getState(c)) === 'joined'
          ? states : false;
      }, { timeout: 45000 * SLOW, interval: 200 }).catch(async (e) => {
        throw new Error(`${e.message}\nstates since restart: ` +
                        `${JSON.stringify((await tb.getStates(c)).slice(before[i].length))}\n` +
                        await tb.diagnostics(c));
      });
      log(`${c.label}: states since restart: ${seen.join(' -> ')}`);
      c.participantId = await c.page.evaluate(() => window.tb.participantId);
    }));
    await poll('both see each other again', async () => {
      for (const c of clients) {
        const ids = (await tb.participants(c)).map((p) => p.id);
        if (ids.length !== 1 || ids[0] !== other(c).participantId) return false;
      }
      return true;
    }, { timeout: 10000 * SLOW });
    await Promise.all(clients.map((c) => tb.waitMediaFrom(c, [other(c).participantId])));
    const ms = Date.now() - t0;
    metrics[`${signal}_restart_to_media_ms`] = ms;
    console.log(`restart_to_media_ms=${ms} signal=${signal}`);
    await Promise.all(clients.map((c) => tb.assertMediaGrowing(c, [other(c).participantId], 3000)));
    assert.equal(await tb.getState(clients[0]), 'joined');
    ready = true;
  });
}
