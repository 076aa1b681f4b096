'use strict';
// Interop with an independent WebRTC stack: GStreamer's webrtcbin
// (tests/interop/webrtcbin_client.py) publishing to a browser through the relay, and a
// browser publishing to webrtcbin.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Daemon } = require('./lib/daemon.js');
const { closeAllBrowsers } = require('./lib/browser.js');
const { GstClient } = require('./lib/gstclient.js');
const tb = require('./lib/tb.js');
const { poll, log, sleep, SLOW } = require('./lib/util.js');

let daemon;
const gst = [];

before(async () => {
  daemon = new Daemon('interop', { anonymous: true });
  await daemon.start();
});

after(async () => {
  await Promise.all(gst.map((g) => g.stop()));
  await closeAllBrowsers();
  if (daemon) {
    await daemon.stop();
    daemon.cleanup();
  }
});

// max-compat: every m-line with its own port, all in one BUNDLE group. max-bundle (what
// webrtcbin applications normally use): m-lines after the first are offered with port 0
// and a=bundle-only (RFC 8843 section 6), which the relay must not take for "rejected".
for (const policy of ['max-compat', 'max-bundle']) {
  test(`webrtcbin (bundle-policy ${policy}) publishes VP8+Opus, a browser decodes its video ` +
       'and receives its audio', { timeout: 120000 * SLOW }, async () => {
    const room = `interop-gst-to-browser-${policy}`;
    const pub = new GstClient(`gst-pub-${policy}`, daemon, ['--room', room, '--publish', '--bundle-policy', policy,
                                                             '--timeout', String(100 * SLOW)]);
    gst.push(pub);
    const m = await pub.waitFor(/joined participant_id=(\S+)/, 'joined', 20000 * SLOW);
    const pubId = m[1];
    await pub.waitFor(/^published$/m, 'published (relay answered the offer)', 20000 * SLOW);
    const b = await tb.openClient(daemon, room, `Browser-sub-${policy}`);
    try {
      await poll(`browser sees gst-pub (${pubId})`, async () =>
        (await tb.participants(b)).some((p) => p.id === pubId), { timeout: 5000 * SLOW });
      await tb.waitMediaFrom(b, [pubId], { timeout: 30000 * SLOW }).catch((e) => {
        throw new Error(`${e.message}\n--- webrtcbin publisher output:\n${pub.tail()}`);
      });
      const [, s2] = await tb.assertMediaGrowing(b, [pubId], 3000);
      log(`browser stats for webrtcbin (${policy}): ${JSON.stringify(s2[pubId])}`);
    } finally {
      await b.close();
      await pub.stop();
    }
  });
}

test('a browser publishes, webrtcbin decodes 60 VP8 frames from it',
     { timeout: 120000 * SLOW }, async () => {
  const room = 'interop-browser-to-gst';
  const b = await tb.openClient(daemon, room, 'Browser-pub');
  const sub = new GstClient('gst-sub', daemon, ['--room', room, '--subscribe', '--frames', '60',
                                                '--from-name', 'Browser-pub', '--timeout', String(45 * SLOW)]);
  gst.push(sub);
  const { code } = await sub.exit;
  log(`gst-sub: ${sub.tail(3)}`);
  if (code !== 0) {
    throw new Error(`webrtcbin subscriber exited ${code}:\n${sub.tail()}\n${await tb.diagnostics(b)}`);
  }
  assert.match(sub.output, /done ok: decoded \d+ frames/);
  // The browser publisher kept sending meanwhile.
  const out = await b.page.evaluate(async () => {
    let n = 0;
    (await window.tb.pubPc.getStats()).forEach((r) => {
      if (r.type === 'outbound-rtp' && r.kind === 'video') n += r.framesEncoded || 0;
    });
    return n;
  });
  assert.ok(out > 0, 'browser encoded video frames');
  await sleep(0);
});
