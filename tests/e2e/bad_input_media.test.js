'use strict';
// Bad input during a live call: while two browsers are in a room, an attacker in the
// same room sends malformed JSON, oversize and binary messages, unusable SDP, candidates
// for connections that do not exist, stale answers, vanishes mid-negotiation, and throws
// garbage UDP (junk, RTP-, RTCP-, DTLS- and STUN-shaped) at the relay's media ports.
// Every request gets an error reply or a clean close, and the two participants' media
// keeps flowing throughout (getStats() counts keep growing); the daemon stays up.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const dgram = require('node:dgram');
const { Daemon } = require('./lib/daemon.js');
const { launchBrowser, closeAllBrowsers } = require('./lib/browser.js');
const tb = require('./lib/tb.js');
const { log, SLOW } = require('./lib/util.js');

const ROOM = 'e2e-bad';
let daemon;
let a;
let b;
let attacker;

before(async () => {
  daemon = new Daemon('bad_input_media', { anonymous: true });
  await daemon.start();
});

after(async () => {
  await closeAllBrowsers();
  if (daemon) {
    await daemon.stop();
    daemon.cleanup();
  }
});

// Runs in the attacker's page: a raw signaling client. Returns what each attack got.
async function attack(wsUrl, room) {
  const results = {};
  let ports = [];
  const open = () => new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl);
    ws.pending = new Map();
    ws.events = [];
    ws.closed = new Promise((r) => { ws.onclose = (e) => r(e.code); });
    ws.onmessage = (ev) => {
      const m = JSON.parse(ev.data);
      if ((m.type === 'reply' || m.type === 'error') && ws.pending.has(m.id)) {
        ws.pending.get(m.id)(m);
        ws.pending.delete(m.id);
      } else {
        ws.events.push(m);
        if (m.type === 'candidate' && m.candidate) {
          const f = m.candidate.split(' ');
          ports.push(Number(f[5]));
        }
      }
    };
    ws.onopen = () => resolve(ws);
    ws.onerror = reject;
  });
  let nextId = 1;
  const req = (ws, msg) => new Promise((resolve) => {
    const id = msg.id !== undefined ? msg.id : nextId++;
    ws.pending.set(id, resolve);
    ws.send(JSON.stringify({ ...msg, id }));
    setTimeout(() => resolve({ type: 'timeout' }), 5000);
  });
  const raw = (ws, text) => new Promise((resolve) => {
    ws.events.length = 0;
    ws.send(text);
    setTimeout(() => resolve(ws.events.find((e) => e.type === 'error') || { type: 'none' }), 300);
  });

  const ws = await open();
  results.malformed = (await raw(ws, '{"type": "join", ')).code;
  results.notObject = (await raw(ws, '[1,2,3]')).code;
  results.unknownType = (await req(ws, { type: 'teleport' })).code;
  results.beforeJoin = (await req(ws, { type: 'publish', sdp: 'v=0' })).code;
  results.join = (await req(ws, { type: 'join', room, name: 'Mallory' })).type;
  results.joinTwice = (await req(ws, { type: 'join', room, name: 'Mallory' })).code;
  results.garbageSdp = (await req(ws, { type: 'publish', sdp: 'v=0\r\nm=zzz\r\n' })).code;

  const pc = new RTCPeerConnection();
  pc.addTransceiver('audio', { direction: 'sendonly' });
  pc.addTransceiver('video', { direction: 'sendonly' });
  const offer = (await pc.createOffer()).sdp;
  const noBundle = offer.split('\r\n').filter((l) => !l.startsWith('a=group:BUNDLE')).join('\r\n');
  results.noBundle = (await req(ws, { type: 'publish', sdp: noBundle })).code;
  const noFp = offer.split('\r\n').filter((l) => !l.startsWith('a=fingerprint')).join('\r\n');
  results.noFingerprint = (await req(ws, { type: 'publish', sdp: noFp })).code;
  results.unknownPc = (await req(ws, { type: 'candidate', pc: 'nope', candidate: '' })).code;
  results.subBeforeOffer = (await req(ws, { type: 'answer', revision: 99, sdp: offer })).code;
  // A real publish, so that the relay gathers candidates we can aim UDP at.
  results.publish = (await req(ws, { type: 'publish', sdp: offer })).type;
  results.badCandidate = (await req(ws, { type: 'candidate', pc: 'pub',
                                          candidate: 'candidate:1 1 udp 1 999.0.0.1 1 typ host' })).code;
  results.wrongRevision = (await req(ws, { type: 'answer', revision: 12345, sdp: offer })).code;
  results.hugeClose = await (async () => {
    ws.send('x'.repeat(200 * 1024));
    return ws.closed;
  })();

  // A second attacker connection publishes and vanishes mid-negotiation.
  const ws2 = await open();
  await req(ws2, { type: 'join', room, name: 'Vanisher' });
  ws2.send(JSON.stringify({ type: 'publish', id: 1, sdp: offer }));
  ws2.close();
  pc.close();
  await new Promise((r) => setTimeout(r, 500));
  results.ports = [...new Set(ports)].filter((p) => p > 0);
  return results;
}

function sprayUdp(ports, count = 400) {
  const sock = dgram.createSocket('udp4');
  const kinds = [
    () => Buffer.from(Array.from({ length: 1 + Math.floor(Math.random() * 1400) }, () => Math.floor(Math.random() * 256))),
    () => { const p = Buffer.alloc(100 + Math.floor(Math.random() * 1000)); p[0] = 0x80; p[1] = 96; p.writeUInt16BE(Math.floor(Math.random() * 65536), 2); return p; },
    () => { const p = Buffer.alloc(8 + Math.floor(Math.random() * 100)); p[0] = 0x81; p[1] = 200 + Math.floor(Math.random() * 8); p.writeUInt16BE(0xffff, 2); return p; },
    () => { const p = Buffer.alloc(13 + Math.floor(Math.random() * 200)); p[0] = 22; p[1] = 0xfe; p[2] = 0xfd; return p; },
    () => { const p = Buffer.alloc(20 + Math.floor(Math.random() * 80)); p.writeUInt16BE(0x0001, 0); p.writeUInt16BE(p.length - 20, 2); p.writeUInt32BE(0x2112a442, 4); return p; },
  ];
  let sent = 0;
  return new Promise((resolve) => {
    const tick = () => {
      for (let i = 0; i < 20 && sent < count; i++, sent++) {
        const port = ports[sent % ports.length];
        sock.send(kinds[sent % kinds.length](), port, '127.0.0.1');
      }
      if (sent < count) setTimeout(tick, 10); else setTimeout(() => { sock.close(); resolve(sent); }, 100);
    };
    tick();
  });
}

test('bad input during a call leaves the participants\' media flowing', { timeout: 180000 * SLOW }, async () => {
  a = await tb.openClient(daemon, ROOM, 'Алиса');
  b = await tb.openClient(daemon, ROOM, 'Борис');
  await tb.waitMediaFrom(a, [b.participantId]);
  await tb.waitMediaFrom(b, [a.participantId]);

  attacker = await launchBrowser('attacker');
  await attacker.page.goto(`${daemon.url}/favicon.svg`);
  await attacker.page.evaluate(`window.__attack = ${attack.toString()}`);
  const r = await attacker.page.evaluate(([u, room]) => window.__attack(u, room), [daemon.wsUrl, ROOM]);
  log(`attack results: ${JSON.stringify(r)}`);
  assert.equal(r.malformed, 'bad_json');
  assert.equal(r.notObject, 'bad_json');
  assert.equal(r.unknownType, 'unknown_type');
  assert.equal(r.beforeJoin, 'not_joined');
  assert.equal(r.join, 'reply');
  assert.equal(r.joinTwice, 'already_joined');
  assert.equal(r.garbageSdp, 'bad_sdp');
  assert.equal(r.noBundle, 'bad_sdp');
  assert.equal(r.noFingerprint, 'bad_sdp');
  assert.ok(['bad_candidate', 'bad_request'].includes(r.unknownPc), r.unknownPc);
  assert.equal(r.subBeforeOffer, 'wrong_state');
  assert.equal(r.publish, 'reply');
  assert.equal(r.badCandidate, 'bad_candidate');
  assert.equal(r.wrongRevision, 'wrong_state');
  assert.equal(r.hugeClose, 1009);
  assert.ok(r.ports.length > 0, 'the relay sent the attacker candidates');

  // Also aim at the relay ports that carry the real participants' media.
  const relayPorts = async (c) => c.page.evaluate(async () => {
    const out = [];
    for (const pc of [window.tb.pubPc, window.tb.subPc]) {
      if (!pc) continue;
      (await pc.getStats()).forEach((s) => { if (s.type === 'remote-candidate') out.push(s.port); });
    }
    return out;
  });
  const victimPorts = [...(await relayPorts(a)), ...(await relayPorts(b))];
  assert.ok(victimPorts.length >= 2, `relay ports of the participants: ${victimPorts}`);
  const sent = await sprayUdp([...new Set([...r.ports, ...victimPorts])], 800);
  log(`sprayed ${sent} garbage datagrams at relay ports ${r.ports} and ${victimPorts}`);
  // The two real participants never noticed.
  await tb.assertMediaGrowing(a, [b.participantId], 4000);
  await tb.assertMediaGrowing(b, [a.participantId], 4000);
  const seen = (await tb.participants(a)).map((p) => p.id);
  assert.deepEqual(seen, [b.participantId], 'attackers are gone from the room');
  assert.equal(daemon.proc.exitCode, null, 'the daemon is still running');
});
