'use strict';
// Retransmission: inside the test's private network namespace, nftables drops 5 % of the
// relay's large outgoing UDP datagrams (video packets to subscribers). The subscribing
// browser NACKs the gaps; the relay must answer from its retransmission buffer, so the
// browser's packetsLost stays far below what was dropped, and video keeps decoding.
// Two media workers, subscribers placed away from the room's home worker
// (relay.spread_busy_percent=0): the retransmissions come from the buffer of the worker
// that serves the subscriber, fed through its inbox (relay/inbox.c).
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const { Daemon } = require('./lib/daemon.js');
const { closeAllBrowsers } = require('./lib/browser.js');
const tb = require('./lib/tb.js');
const { log, sleep, writeMetrics, SLOW } = require('./lib/util.js');

const ROOM = 'e2e-nack';
const PORTS = [41000, 41999];
let daemon;

function nft(...args) { execFileSync('nft', args, { stdio: 'pipe' }); }

before(async () => {
  daemon = new Daemon('nack', {
    anonymous: true,
    extraArgs: ['-o', `relay.port_min=${PORTS[0]}`, '-o', `relay.port_max=${PORTS[1]}`,
                '-o', 'relay.workers=2', '-o', 'relay.spread_busy_percent=0'],
  });
  await daemon.start();
});

after(async () => {
  try { nft('delete', 'table', 'inet', 'tbnack'); } catch (_) { /* not created */ }
  await closeAllBrowsers();
  if (daemon) {
    await daemon.stop();
    daemon.cleanup();
  }
});

const videoIn = (b) => b.page.evaluate(async () => {
  let v = null;
  (await window.tb.subPc.getStats()).forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'video') v = s;
  });
  return v && { nack: v.nackCount, lost: v.packetsLost, received: v.packetsReceived,
                frames: v.framesDecoded };
});

test('NACKed video packets are retransmitted by the relay', { timeout: 120000 * SLOW }, async () => {
  const a = await tb.openClient(daemon, ROOM, 'Sender');
  const b = await tb.openClient(daemon, ROOM, 'Receiver');
  await tb.waitMediaFrom(b, [a.participantId]);
  // Only the relay's media ports, only big datagrams: ICE, DTLS and RTCP are spared.
  nft('add', 'table', 'inet', 'tbnack');
  nft('add', 'chain', 'inet', 'tbnack', 'out', '{ type filter hook output priority 0; }');
  nft('add', 'rule', 'inet', 'tbnack', 'out', 'udp', 'sport', `${PORTS[0]}-${PORTS[1]}`,
      'meta', 'length', 'gt', '600', 'numgen', 'random', 'mod', '100', '<', '5', 'drop');
  const s1 = await videoIn(b);
  await sleep(10000);
  const s2 = await videoIn(b);
  nft('delete', 'table', 'inet', 'tbnack');
  const d = { nack: s2.nack - s1.nack, lost: s2.lost - s1.lost, received: s2.received - s1.received,
              frames: s2.frames - s1.frames };
  log(`with 5% loss of large relay datagrams over 10 s: ${JSON.stringify(d)}`);
  writeMetrics('nack', d);
  assert.ok(d.frames > 50, `video kept decoding: ${d.frames} frames`);
  // nackCount counts NACK packets, each of which may name several lost packets.
  assert.ok(d.nack >= 1, `the browser sent NACKs: ${d.nack}`);
  // About 5 % of the video packets were dropped (~0.05 * received; a little less, as
  // small packets are spared); with the relay's retransmissions almost none stay lost.
  // Without them packetsLost comes out near the dropped count (checked by disabling
  // the NACK answer in relay/feedback.c: lost 10 of ~12 at 3 %).
  const dropped = Math.max(1, Math.round(d.received * 0.05));
  assert.ok(d.lost <= dropped / 4, `packetsLost ${d.lost} should be far below ~${dropped} dropped`);
  // The receiver's retransmissions came from another worker's buffer, not the home one's.
  const away = daemon.allOutput.match(new RegExp(`\\[${ROOM}/${b.participantId}/sub\\] on media worker 1 `));
  assert.ok(away, `the receiver's subscribe connection ran away from the room's home worker`);
});
