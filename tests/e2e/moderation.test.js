'use strict';
// Roles and moderation in real browsers, each joining with a token as `telebridge token`
// makes them:
// - a viewer's publish offer is refused and it sends no media at all, yet it receives;
// - a moderator mutes a speaker's microphone: the others' inbound audio from the speaker
//   stops growing within 1 s although the speaker's browser keeps sending it (its client
//   is told to ignore the moderator: the relay enforces the mute, not the client);
//   unmuting restores it;
// - a removed and banned speaker sees why, and cannot rejoin with the same token.
// The daemon runs two media workers and deals subscribers out over both
// (relay.spread_busy_percent=0): the mute, taken on the room's home worker, must hold for
// subscribers that either worker serves. It also runs ICE lite (relay.ice_lite=true: the
// relay says a=ice-lite and the browser controls ICE on every connection) where the other
// tests run the default, full ICE.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Daemon } = require('./lib/daemon.js');
const { closeAllBrowsers } = require('./lib/browser.js');
const tb = require('./lib/tb.js');
const { poll, log, sleep, outPath, SLOW } = require('./lib/util.js');

const ROOM = 'e2e-moderation';
let daemon;
let mod;
let speaker;
let viewer;
let step = 0;

before(async () => {
  daemon = new Daemon('moderation', {
    extraArgs: ['-o', 'relay.workers=2', '-o', 'relay.spread_busy_percent=0',
                '-o', 'relay.ice_lite=true'],
  });
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
const outbound = (b) => b.page.evaluate(() => window.tb.outboundStats());

async function lastAudioPacketAt(b, id) {
  const st = await b.page.evaluate(() => window.tb.trackStats());
  const a = Object.values(st).find((x) => x.participantId === id && x.kind === 'audio');
  return a ? a.lastPacketAt : null;
}

test('moderator, speaker and viewer join with tokens; the viewer only receives',
     { timeout: 120000 * SLOW }, async () => {
  mod = await tb.openClient(daemon, ROOM, 'Ведущая Ольга', { role: 'moderator' });
  speaker = await tb.openClient(daemon, ROOM, 'Докладчик Иван', { role: 'speaker', identity: 'ivan' });
  viewer = await tb.openClient(daemon, ROOM, 'Зритель Пётр', { role: 'viewer' });
  assert.equal(await viewer.page.evaluate(() => window.tb.role), 'viewer');
  await tb.waitMediaFrom(viewer, [mod.participantId, speaker.participantId]);
  await tb.waitMediaFrom(mod, [speaker.participantId]);
  // The viewer's client never publishes; a publish offer made by hand is refused.
  const refused = await viewer.page.evaluate(async () => {
    const pc = new RTCPeerConnection();
    const s = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    for (const tr of s.getTracks()) pc.addTransceiver(tr, { direction: 'sendonly' });
    await pc.setLocalDescription(await pc.createOffer());
    let code = null;
    try { await window.tb.request('publish', { sdp: pc.localDescription.sdp }); } catch (e) { code = e.code; }
    pc.close();
    for (const tr of s.getTracks()) tr.stop();
    return code;
  });
  assert.equal(refused, 'forbidden', 'a viewer\'s publish offer is refused');
  const out = await viewer.page.evaluate(async () => {
    const n = { pub: !!window.tb.pubPc, outbound: 0 };
    for (const pc of [window.tb.pubPc, window.tb.subPc]) {
      if (!pc) continue;
      (await pc.getStats()).forEach((r) => { if (r.type === 'outbound-rtp') n.outbound += r.packetsSent || 0; });
    }
    return n;
  });
  assert.deepEqual(out, { pub: false, outbound: 0 }, 'the viewer sends no media');
  // The others see no tile and no tracks for the viewer.
  const seen = (await tb.participants(mod)).find((p) => p.id === viewer.participantId);
  assert.equal(seen.role, 'viewer');
  assert.equal(seen.tracks.length, 0);
  step = 1;
});

test('a muted speaker is no longer forwarded within 1 s, though its browser still sends; ' +
     'unmute restores it', { timeout: 120000 * SLOW }, async (t) => {
  if (step < 1) return t.skip('needs the previous step');
  await speaker.page.evaluate(() => { window.tb.ignoreModeration = true; });
  const sid = speaker.participantId;
  const before = await outbound(speaker);
  // When did the last audio packet from the speaker reach each receiver? The browsers'
  // own receive timestamps (wall clock, shared by every process on this machine) tell,
  // however slowly a loaded machine lets the test poll.
  await sleep(300);
  // From the moment the moderator's page sends the request (the test harness's own
  // latency in reaching the page does not count).
  const mutedAt = await mod.page.evaluate(async (id) => {
    const t0 = Date.now();
    await window.tb.request('mute', { participant_id: id, kind: 'audio', muted: true });
    return t0;
  }, sid);
  await sleep(2500);
  for (const b of [viewer, mod]) {
    const last = await lastAudioPacketAt(b, sid);
    assert.ok(last, `${b.label}: no receive timestamp in the stats`);
    const after = Math.round(last - mutedAt);
    log(`${b.label}: the last audio packet from the muted speaker arrived ${after} ms after the mute`);
    assert.ok(after <= 1000, `${b.label}: audio still arrived ${after} ms after the mute`);
  }
  // It stays stopped, while the speaker's browser keeps sending.
  const v1 = await audioFrom(viewer, sid);
  await sleep(2000);
  assert.equal(await audioFrom(viewer, sid), v1, 'no audio from the muted speaker reaches the viewer');
  const after = await outbound(speaker);
  assert.ok(after.audio.packetsSent > before.audio.packetsSent + 50,
            `the speaker's browser still sends audio (${before.audio.packetsSent} -> ${after.audio.packetsSent})`);
  await tb.assertMediaGrowing(viewer, [mod.participantId], 1500);
  // Everyone sees it, video still flows.
  const p = (await tb.participants(viewer)).find((x) => x.id === sid);
  assert.equal(p.muted.audio, true);
  const vf = ((await tb.stats(viewer))[sid] || {}).videoFramesDecoded;
  await sleep(1000);
  assert.ok(((await tb.stats(viewer))[sid] || {}).videoFramesDecoded > vf, 'video of the muted speaker still flows');
  await speaker.page.screenshot({ path: outPath('moderation-muted-speaker.png') });
  await mod.page.click('#people-btn');
  await sleep(500);
  await mod.page.screenshot({ path: outPath('moderation-moderator.png') });

  await mod.page.evaluate((id) => window.tb.request('mute', { participant_id: id, kind: 'audio', muted: false }), sid);
  await poll('viewer hears the speaker again', async () => {
    const a = await audioFrom(viewer, sid);
    await sleep(300);
    return (await audioFrom(viewer, sid)) > a;
  }, { timeout: 5000 * SLOW, interval: 100 });
  // The moderator's subscribe connection ran on the other worker and the viewer's on the
  // home one (placement deals them out by connection count): the mute, taken on the home
  // worker, held on both paths.
  const away = (p) => new RegExp(`\\[${ROOM}/${p.participantId}/sub\\] on media worker 1 `)
    .test(daemon.allOutput);
  assert.ok(away(mod), 'the moderator was served away from the home worker');
  assert.ok(!away(viewer), 'the viewer was served by the home worker');
  step = 2;
});

test('conference: the viewer raises a hand, is brought on stage and heard, then back in the audience',
     { timeout: 90000 * SLOW }, async (t) => {
  if (step < 2) return t.skip('needs the previous step');
  const vid = viewer.participantId;
  await viewer.page.click('#hand-btn');
  await poll('the moderator sees the hand', async () =>
    (await tb.participants(mod)).some((p) => p.id === vid && p.hand), { timeout: 5000 * SLOW });
  await mod.page.evaluate((id) => window.tb.request('stage', { participant_id: id, on: true }), vid);
  await tb.waitMediaFrom(mod, [vid], { timeout: 20000 * SLOW });
  assert.equal(await viewer.page.evaluate(() => window.tb.role), 'speaker');
  assert.ok(await viewer.page.evaluate(() => !!window.tb.pubPc), 'on stage, the viewer publishes');
  await viewer.page.screenshot({ path: outPath('moderation-on-stage.png') });
  await mod.page.evaluate((id) => window.tb.request('stage', { participant_id: id, on: false }), vid);
  await poll('back in the audience: the viewer stops publishing', async () =>
    !(await viewer.page.evaluate(() => window.tb.pubPc || window.tb.localStream)), { timeout: 10000 * SLOW });
  await tb.waitMediaStopped(mod, vid);
  assert.equal(await viewer.page.evaluate(() => window.tb.role), 'viewer');
});

test('chat: the viewer writes, everyone reads, the moderator deletes', { timeout: 30000 * SLOW }, async (t) => {
  if (step < 2) return t.skip('needs the previous step');
  await viewer.page.click('#chat-btn');
  await viewer.page.fill('#chat-input', 'Вопрос из зала: когда перерыв?');
  await viewer.page.press('#chat-input', 'Enter');
  const msg = await poll('the others read it', async () => {
    const m = (await speaker.page.evaluate(() => window.tb.chat)).find((x) => x.text === 'Вопрос из зала: когда перерыв?');
    return m || false;
  }, { timeout: 5000 * SLOW });
  assert.equal(msg.name, 'Зритель Пётр');
  await mod.page.click('#chat-btn');
  await mod.page.click(`#panel-chat button[data-msg="${msg.id}"]`);
  await poll('deleted for everyone', async () =>
    !(await viewer.page.evaluate(() => window.tb.chat)).some((x) => x.id === msg.id) &&
    !(await speaker.page.evaluate(() => window.tb.chat)).some((x) => x.id === msg.id), { timeout: 5000 * SLOW });
});

test('a removed and banned speaker sees why and cannot rejoin with the same token',
     { timeout: 90000 * SLOW }, async (t) => {
  if (step < 2) return t.skip('needs the previous step');
  const sid = speaker.participantId;
  await mod.page.evaluate((id) => window.tb.request('remove', { participant_id: id, ban: true }), sid);
  await tb.waitState(speaker, 'left', { timeout: 5000 * SLOW });
  assert.equal(await speaker.page.evaluate(() => window.tb.finalReason), 'left.banned');
  assert.ok(await speaker.page.isHidden('#rejoin-btn'), 'no rejoin button for a banned participant');
  const reason = await speaker.page.textContent('#left-reason');
  assert.match(reason, /запрещ/i, `the reason is shown: ${reason}`);
  await speaker.page.screenshot({ path: outPath('moderation-banned.png') });
  await poll('the speaker is gone for the others', async () =>
    !(await tb.participants(viewer)).some((p) => p.id === sid), { timeout: 3000 * SLOW });
  // Same token again (the page keeps it): refused with `banned`.
  const code = await speaker.page.evaluate(async () => {
    try { await window.tb.join({}); return 'joined'; } catch (e) { return document.querySelector('#join-error').textContent; }
  });
  assert.match(code, /запретил/, `rejoin refused: ${code}`);
  assert.notEqual(await tb.getState(speaker), 'joined');
});
