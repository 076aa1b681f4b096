'use strict';
// Crash safety of recording (issue "Record sessions to disk and publish them"):
//  1. SIGKILL the recorder mid-recording: the daemon restarts it (a new segment), the
//     killed files decode up to within 0.5 s of the kill, the catalog marks the
//     recording interrupted, and the composition is made of both segments.
//  2. SIGKILL the daemon mid-recording: the recorder closes its files by itself, they
//     decode up to within 0.5 s of the kill; the restarted daemon marks the recording
//     interrupted and composes it.
// A browser and a webrtcbin client publish (two participants, four tracks).
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { Daemon } = require('./lib/daemon.js');
const { closeAllBrowsers } = require('./lib/browser.js');
const { GstClient } = require('./lib/gstclient.js');
const tb = require('./lib/tb.js');
const rec = require('./lib/recording.js');
const { poll, sleep, log, writeMetrics, SLOW } = require('./lib/util.js');

const daemons = [];
const gsts = [];

after(async () => {
  for (const g of gsts) await g.stop();
  await closeAllBrowsers();
  for (const d of daemons) {
    if (d.running()) await d.stop();
    d.cleanup();
  }
});

// A browser and a webrtcbin publisher in `room`, recording; returns them and the session.
async function recordedRoom(daemon, room) {
  const a = await tb.openClient(daemon, room, 'Анна');
  const g = new GstClient(`${room}-hall`, daemon, ['--room', room, '--name', 'Зал', '--publish',
                                                   '--timeout', String(120 * SLOW)]);
  gsts.push(g);
  await g.waitFor(/^published$/m, 'published', 30000 * SLOW);
  await poll('Anna receives the hall', async () => (await tb.participants(a)).length === 1,
             { timeout: 20000 * SLOW });
  const st = await a.page.evaluate(() => window.tb.recording.start());
  await poll('recording', async () => (await a.page.evaluate(() => window.tb.recording.state)) === 'recording',
             { timeout: 15000 * SLOW, interval: 100 });
  const id = st.session_id;
  // Every track writing before the kill.
  await poll('four tracks writing', async () => {
    try {
      return rec.readManifest(daemon, id).tracks.filter((t) => t.state === 'recording').length === 4;
    } catch { return false; }
  }, { timeout: 20000 * SLOW, interval: 200 });
  return { a, g, id };
}

// Each file of segment `seg` decodes up to within 0.5 s of `killMs` (the last decoded
// frame: a killed Matroska file has no duration).
async function checkUpToKill(daemon, m, seg, killMs) {
  const lost = {};
  const tracks = m.tracks.filter((t) => t.segment === seg);
  assert.equal(tracks.length, 4, `four tracks in segment ${seg}`);
  for (const t of tracks) {
    const st = await rec.checkTrackFile(daemon, m.session, t);
    const endMs = t.start_us / 1000 + st.last_end * 1000;
    lost[`${t.name}/${t.kind}`] = (killMs - endMs) / 1000;
    assert.ok(endMs >= killMs - 500, `${t.name} ${t.kind}: decodes to ${((killMs - endMs) / 1000).toFixed(3)} s before the kill`);
    assert.ok(endMs <= killMs + 500, `${t.name} ${t.kind}: nothing after the kill`);
  }
  return lost;
}

test('SIGKILL of the recorder: files readable, restarted, interrupted, composed',
     { timeout: 360000 * SLOW }, async () => {
  const daemon = new Daemon('recording_crash_recorder', { anonymous: true, extraArgs: rec.RECORDING_ARGS });
  daemons.push(daemon);
  await daemon.start();
  const room = 'rec-kill-recorder';
  const { a, g, id } = await recordedRoom(daemon, room);
  await sleep(5000);
  const [pid] = rec.recorderPids(daemon);
  assert.ok(pid > 0, 'the daemon logged its recorder pid');
  log(`SIGKILL recorder pid ${pid}`);
  const killMs = Date.now();
  process.kill(pid, 'SIGKILL');

  // The daemon starts a new recorder: a second segment, all tracks again.
  await poll('a second recorder', () => rec.recorderPids(daemon).length === 2, { timeout: 15000 * SLOW });
  await poll('segment 1 writing', () => {
    const m = rec.readManifest(daemon, id);
    return m.segments.length === 2 && m.tracks.filter((t) => t.segment === 1 && t.state === 'recording').length === 4;
  }, { timeout: 30000 * SLOW, interval: 250 });
  assert.equal(await a.page.evaluate(() => window.tb.recording.state), 'recording', 'still recorded');
  await sleep(3000);
  await a.page.evaluate(() => window.tb.recording.stop());
  const m = await rec.waitFilesClosed(daemon, id);
  assert.equal(m.segments[0].state, 'interrupted');
  assert.equal(m.segments[1].state, 'done');
  const lost = await checkUpToKill(daemon, m, 0, killMs);
  log(`lost before the kill (s): ${JSON.stringify(lost)}`);

  const { data } = await rec.studio(daemon, `/${id}`);
  assert.equal(data.state, 'interrupted', 'the catalog marks the recording interrupted');
  assert.ok(data.interruptions >= 1);

  await a.page.evaluate(() => window.tb.leave());
  await g.stop();
  const r = await rec.waitComposition(daemon, id);
  const comp = await rec.probe(path.join(rec.sessionDir(daemon, id), r.composition.file));
  assert.equal(comp.error, null, 'the composition of an interrupted recording decodes');
  const v = comp.streams.find((s) => s.kind === 'video');
  assert.ok(v && comp.streams.some((s) => s.kind === 'audio'));
  // Both segments, laid end to end.
  const seg0 = Math.max(...m.tracks.filter((t) => t.segment === 0).map((t) => (t.end_us || 0) - t.start_us)) / 1e6;
  assert.ok(v.last_end > seg0 + 1, `composition ${v.last_end} s holds more than segment 0 (${seg0} s)`);
  writeMetrics('recording_crash_recorder', { lost_s: lost, composition_s: v.last_end });
});

test('SIGKILL of the daemon: files readable, interrupted after restart, composed',
     { timeout: 360000 * SLOW }, async () => {
  const daemon = new Daemon('recording_crash_daemon', { anonymous: true, extraArgs: rec.RECORDING_ARGS });
  daemons.push(daemon);
  await daemon.start();
  const room = 'rec-kill-daemon';
  const { a, g, id } = await recordedRoom(daemon, room);
  await sleep(5000);
  log(`SIGKILL daemon pid ${daemon.proc.pid}`);
  const killMs = Date.now();
  daemon.kill('SIGKILL');
  await daemon.exited;
  // The recorder sees its input end and closes the files on its own.
  const m = await rec.waitFilesClosed(daemon, id);
  await a.close();
  await g.stop();
  const lost = await checkUpToKill(daemon, m, 0, killMs);
  log(`lost before the kill (s): ${JSON.stringify(lost)}`);

  await daemon.start();
  const { data } = await rec.studio(daemon, `/${id}`);
  assert.equal(data.state, 'interrupted', 'the restarted daemon marks the recording interrupted');
  const r = await rec.waitComposition(daemon, id);
  const comp = await rec.probe(path.join(rec.sessionDir(daemon, id), r.composition.file));
  assert.equal(comp.error, null, 'the composition of the interrupted session decodes');
  assert.ok(comp.streams.some((s) => s.kind === 'video') && comp.streams.some((s) => s.kind === 'audio'));
  writeMetrics('recording_crash_daemon', { lost_s: lost });
});
