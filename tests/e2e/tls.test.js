'use strict';
// The web client over TLS: the daemon serves https and wss with its --self-signed
// development certificate, and two browsers (told to accept that certificate) join over
// https, signal over wss and see and hear each other.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Daemon } = require('./lib/daemon.js');
const { closeAllBrowsers } = require('./lib/browser.js');
const tb = require('./lib/tb.js');
const { SLOW } = require('./lib/util.js');

let daemon;

before(async () => {
  daemon = new Daemon('tls', { extraArgs: ['--self-signed'] });
  await daemon.start();
  assert.match(daemon.joinLink, /^https:\/\/127\.0\.0\.1:\d+\/\?room=welcome$/);
  Object.defineProperty(daemon, 'url', { get() { return `https://127.0.0.1:${this.port}`; } });
});

after(async () => {
  await closeAllBrowsers();
  if (daemon) {
    await daemon.stop();
    daemon.cleanup();
  }
});

test('two browsers join over https and wss and exchange media', { timeout: 120000 * SLOW }, async () => {
  const args = ['--ignore-certificate-errors'];
  const a = await tb.openClient(daemon, 'welcome', 'Анна', { args });
  const b = await tb.openClient(daemon, 'welcome', 'Борис', { args });
  for (const x of [a, b]) {
    const info = await x.page.evaluate(() => ({ proto: location.protocol, secure: window.isSecureContext }));
    assert.deepEqual(info, { proto: 'https:', secure: true });
  }
  await tb.waitMediaFrom(a, [b.participantId]);
  await tb.waitMediaFrom(b, [a.participantId]);
  await tb.assertMediaGrowing(a, [b.participantId], 2000);
});
