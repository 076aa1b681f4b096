'use strict';
// Recording in real browsers (issue "Record sessions to disk and publish them"):
//  1. two participants, recording started from the room's control, ~10 s, stopped: one
//     file per track, each decodes with a duration within 1 s of the recorded span, the
//     manifest names every track; everyone saw the indicator; the composition decodes,
//     has video and audio, and its duration matches.
//  2. a participant who joins mid-recording and one who leaves early appear in the files
//     and the manifest at the right offsets (within 1 s).
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { Daemon } = require('./lib/daemon.js');
const { closeAllBrowsers } = require('./lib/browser.js');
const tb = require('./lib/tb.js');
const rec = require('./lib/recording.js');
const { poll, sleep, log, writeMetrics, SLOW } = require('./lib/util.js');

let daemon;

before(async () => {
  daemon = new Daemon('recording', { anonymous: true, extraArgs: rec.RECORDING_ARGS });
  await daemon.start();
});

after(async () => {
  await closeAllBrowsers();
  if (daemon) {
    await daemon.stop();
    rec.keepForInspection(daemon);
    daemon.cleanup();
  }
});

const recState = (b) => b.page.evaluate(() => window.tb.recording.state);

async function waitRecState(b, want, timeout = 10000 * SLOW) {
  await poll(`${b.label} sees recording ${want}`, async () => (await recState(b)) === want,
             { timeout, interval: 100 });
}

async function indicatorShown(b) {
  return b.page.evaluate(() => {
    const el = document.getElementById('rec-indicator');
    return !!el && !el.hidden && el.getBoundingClientRect().width > 0;
  });
}

// When `b` began sending audio and video to the relay (its publish connection's first
// packets), on this machine's clock: what the recorder sees of a late joiner.
async function sendingSince(b, timeout = 20000 * SLOW) {
  await poll(`${b.label} sending audio and video`, () => b.page.evaluate(async () => {
    const pc = window.tb.pubPc;
    if (!pc) return false;
    let a = 0, v = 0;
    (await pc.getStats()).forEach((r) => {
      if (r.type === 'outbound-rtp' && r.kind === 'audio') a += r.packetsSent || 0;
      if (r.type === 'outbound-rtp' && r.kind === 'video') v += r.framesEncoded || 0;
    });
    return a > 0 && v > 0;
  }), { timeout, interval: 50 });
  return Date.now();
}

// The tracks of participant `pid` in the manifest, by kind.
function tracksOf(m, pid) {
  const out = {};
  for (const t of m.tracks.filter((x) => x.participant_id === pid)) out[t.kind] = t;
  return out;
}

function checkNamed(m, client) {
  const t = tracksOf(m, client.participantId);
  assert.ok(t.audio && t.video, `${client.label}: an audio and a video track in the manifest: ${JSON.stringify(m.tracks)}`);
  for (const kind of ['audio', 'video']) {
    assert.equal(t[kind].name, client.label, `${kind} track named after ${client.label}`);
    assert.equal(t[kind].label, kind === 'audio' ? 'microphone' : 'camera');
    assert.match(t[kind].codec, kind === 'audio' ? /^opus$/i : /^(VP8|VP9|H264)$/i);
    assert.equal(t[kind].state, 'done', `${client.label} ${kind} closed cleanly`);
  }
  assert.ok(m.participants.some((p) => p.id === client.participantId && p.name === client.label),
            `${client.label} among the manifest's participants`);
  return t;
}

async function leaveAll(clients) {
  for (const c of clients) {
    await c.page.evaluate(() => window.tb.leave()).catch(() => {});
    await c.close();
  }
}

test('two participants, ~10 s recorded: a decodable file per track, manifest, composition',
     { timeout: 300000 * SLOW }, async () => {
  const room = 'rec-two';
  const a = await tb.openClient(daemon, room, 'Анна');
  const b = await tb.openClient(daemon, room, 'Boris');
  await tb.waitMediaFrom(a, [b.participantId]);
  await tb.waitMediaFrom(b, [a.participantId]);
  assert.equal(await a.page.evaluate(() => window.tb.recording.canControl), true);

  const started = await a.page.evaluate(() => window.tb.recording.start());
  const id = started.session_id;
  assert.match(id, /^s[0-9a-f]{16}$/);
  await waitRecState(a, 'recording');
  await waitRecState(b, 'recording');
  assert.ok(await indicatorShown(b), 'Boris sees the recording indicator');
  assert.ok(await indicatorShown(a), 'Anna sees the recording indicator');
  await sleep(10000);
  const stopMs = Date.now();
  await a.page.evaluate(() => window.tb.recording.stop());
  await waitRecState(b, 'off');
  assert.equal(await indicatorShown(b), false, 'the indicator goes when recording stops');

  const m = await rec.waitFilesClosed(daemon, id);
  const seg = m.segments[0];
  assert.equal(m.segments.length, 1);
  assert.equal(seg.state, 'done');
  // From the moment the recorder began (the room was told "recording") to the stop.
  const span = (stopMs - seg.started_us / 1000) / 1000;
  log(`recorded span ${span.toFixed(3)} s; tracks: ${m.tracks.map((t) => `${t.name}/${t.kind}`).join(', ')}`);
  assert.equal(m.tracks.length, 4, 'two tracks per participant');
  assert.equal(m.room, room);
  assert.equal(m.session, id);
  const durations = {};
  for (const c of [a, b]) {
    const t = checkNamed(m, c);
    for (const kind of ['audio', 'video']) {
      // A segment's files share time 0 (its start): a file's duration is its last frame's end.
      const st = await rec.checkTrackFile(daemon, id, t[kind]);
      durations[`${c.label}/${kind}`] = st.last_end;
      assert.ok(Math.abs(st.last_end - span) < 1.0, `${c.label} ${kind}: decoded to ${st.last_end.toFixed(3)} s vs span ${span.toFixed(3)} s`);
      assert.ok(Math.abs(st.first - t[kind].offset_us / 1e6) < 0.05, `${c.label} ${kind}: first frame at the manifest's offset`);
      // At least 2 frames a second (a browser starved of CPU drops its frame rate) and
      // 8 of the 10 s of sound.
      assert.ok(st.frames > (kind === 'video' ? 10 * 2 : 16000 * 8), `${c.label} ${kind}: enough media (${st.frames})`);
    }
  }

  // The session ends when both leave: the composition follows by itself.
  await leaveAll([a, b]);
  const r = await rec.waitComposition(daemon, id);
  const comp = await rec.probe(path.join(rec.sessionDir(daemon, id), r.composition.file));
  assert.equal(comp.error, null, `composition decodes: ${comp.error}`);
  const v = comp.streams.find((s) => s.kind === 'video');
  const au = comp.streams.find((s) => s.kind === 'audio');
  assert.ok(v && au, `composition has video and audio: ${JSON.stringify(comp.streams)}`);
  const vd = v.last_end - v.first, ad = au.last_end - au.first;
  log(`composition: video ${vd.toFixed(3)} s (${v.frames} frames), audio ${ad.toFixed(3)} s, container ${comp.duration}`);
  assert.ok(Math.abs(vd - span) < 1.0, `composition video ${vd} s vs span ${span} s`);
  assert.ok(Math.abs(ad - span) < 1.0, `composition audio ${ad} s vs span ${span} s`);
  assert.match(v.caps, /width=\(int\)1280, height=\(int\)720/);
  writeMetrics('recording', { span_s: span, track_durations_s: durations, composition_video_s: vd,
                              composition_audio_s: ad });
});

test('a late joiner and an early leaver appear at their offsets', { timeout: 300000 * SLOW }, async () => {
  const room = 'rec-mid';
  const a = await tb.openClient(daemon, room, 'Анна');
  const b = await tb.openClient(daemon, room, 'Boris');
  await tb.waitMediaFrom(a, [b.participantId]);
  const started = await a.page.evaluate(() => window.tb.recording.start());
  const id = started.session_id;
  await waitRecState(a, 'recording');

  await sleep(3000);
  const cOpenMs = Date.now();
  const c = await tb.openClient(daemon, room, 'Clara');
  const cMediaMs = await sendingSince(c);
  await tb.waitMediaFrom(a, [c.participantId]);
  await waitRecState(c, 'recording');
  assert.ok(await indicatorShown(c), 'a late joiner sees the indicator');

  await sleep(3000);
  const bLeftMs = Date.now();
  await b.page.evaluate(() => window.tb.leave());
  await b.close();

  await sleep(3000);
  const stopMsMid = Date.now();
  await a.page.evaluate(() => window.tb.recording.stop());
  const m = await rec.waitFilesClosed(daemon, id);
  const seg = m.segments[0];
  const startMs = seg.started_us / 1000, stopMs = stopMsMid;
  log(`segment ${((stopMs - startMs) / 1000).toFixed(3)} s; Clara's media from +${((cMediaMs - startMs) / 1000).toFixed(3)} s, ` +
      `Boris left at +${((bLeftMs - startMs) / 1000).toFixed(3)} s`);

  const tc = checkNamed(m, c);
  const tbo = checkNamed(m, b);
  checkNamed(m, a);
  // The daemon's record of the join and the leave, against what the test did.
  const pc = m.participants.find((p) => p.id === c.participantId);
  const pb = m.participants.find((p) => p.id === b.participantId);
  const cJoin = pc.joined_us / 1000, bLeave = pb.left_us / 1000;
  assert.ok(cJoin >= cOpenMs - 50 && cJoin <= cMediaMs + 50, 'Clara joined mid-recording, when she opened the page');
  assert.ok(pb.left_us && bLeave >= bLeftMs - 50 && bLeave < bLeftMs + 3000 * SLOW, 'Boris left early, when he clicked');
  const offsets = { clara_joined_s: (cJoin - startMs) / 1000, boris_left_s: (bLeave - startMs) / 1000,
                    clara_sending_s: (cMediaMs - startMs) / 1000 };
  for (const kind of ['audio', 'video']) {
    // Clara's files begin at her offset: after she joined, once her media flowed.
    const cst = await rec.checkTrackFile(daemon, id, tc[kind]);
    offsets[`clara_${kind}_first_s`] = cst.first;
    assert.ok(cst.first >= (cJoin - startMs) / 1000 && cst.first < (cJoin - startMs) / 1000 + 5 * SLOW,
              `Clara ${kind}: first frame at ${cst.first} s, she joined at ${((cJoin - startMs) / 1000).toFixed(3)} s`);
    assert.ok(Math.abs(cst.first - tc[kind].offset_us / 1e6) < 0.05, `Clara ${kind}: the manifest's offset`);
    assert.ok(Math.abs(cst.last_end - (stopMs - startMs) / 1000) < 1.0, `Clara ${kind}: runs to the stop (${cst.last_end} s)`);
    // Boris's files end when he left: his media stops between his click on "leave" and
    // the server's seeing him go (a loaded browser may stop sending a little earlier).
    const bst = await rec.checkTrackFile(daemon, id, tbo[kind]);
    offsets[`boris_${kind}_end_s`] = bst.last_end;
    const endMs = startMs + bst.last_end * 1000;
    assert.ok(endMs > bLeftMs - 1000 && endMs < bLeave + 1000,
              `Boris ${kind}: last frame ends at ${bst.last_end} s; he clicked at ` +
              `${((bLeftMs - startMs) / 1000).toFixed(3)} s, left at ${((bLeave - startMs) / 1000).toFixed(3)} s`);
    assert.ok(Math.abs(tbo[kind].end_us / 1000 - endMs) < 100, `Boris ${kind}: the manifest's end`);
    assert.ok(bst.first < 2 * SLOW, `Boris ${kind}: recorded from the start (${bst.first} s)`);
  }
  log(`offsets: ${JSON.stringify(offsets)}`);

  await leaveAll([a, c]);
  const r = await rec.waitComposition(daemon, id);
  const comp = await rec.probe(path.join(rec.sessionDir(daemon, id), r.composition.file));
  assert.equal(comp.error, null);
  assert.ok(comp.streams.some((s) => s.kind === 'video') && comp.streams.some((s) => s.kind === 'audio'));
  writeMetrics('recording_offsets', offsets);
});
