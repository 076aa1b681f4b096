'use strict';
// Helpers of the recording tests: the session folder and manifest a daemon wrote, the
// studio API, and decoding files with tools/mediaprobe.py (GStreamer, /usr/bin/python3).
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { E2E_DIR, poll, log, outPath, SLOW } = require('./util.js');
const { mint } = require('./token.js');

const PYTHON = process.env.TB_PYTHON || '/usr/bin/python3';
const PROBE = path.join(E2E_DIR, 'tools', 'mediaprobe.py');

// Recording flags for a Daemon: anyone may record; an empty room closes (and its
// recording is composed) one second after the last one leaves.
const RECORDING_ARGS = ['-o', 'rooms.recording=allowed', '-o', 'rooms.empty_timeout=1',
                        '-o', 'recording.min_free_mb=0'];

function recordingsDir(daemon) { return path.join(daemon.varDir, 'recordings'); }
function sessionDir(daemon, id) { return path.join(recordingsDir(daemon), id); }

function readManifest(daemon, id) {
  return JSON.parse(fs.readFileSync(path.join(sessionDir(daemon, id), 'manifest.json'), 'utf8'));
}

// Decodes `file` to its end; resolves with mediaprobe's JSON (streams with first/last
// timestamps, frames; avsync: flash and beep onsets).
function probe(file, { mode = 'info', region } = {}) {
  const args = [PROBE, mode, file];
  if (region) args.push('--region', region);
  return new Promise((resolve, reject) => {
    execFile(PYTHON, args, { timeout: 180000 * SLOW, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      let out;
      try { out = JSON.parse(stdout); } catch (e) {
        reject(new Error(`mediaprobe ${file}: ${err ? err.message : e.message}\n${stderr.slice(-2000)}`));
        return;
      }
      resolve(out);
    });
  });
}

// A staff session on `daemon`'s studio: signed in with a moderator's token, as a studio
// link does; its cookie and CSRF token go with every request (signaling/staff_http.c).
async function staffSession(daemon, { fresh = false } = {}) {
  if (daemon.staff && !fresh) return daemon.staff;
  const res = await fetch(`${daemon.url}/studio/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: daemon.url },
    body: JSON.stringify({ token: mint('studio', 'moderator', { name: 'Сотрудник' }) }),
  });
  const data = await res.json().catch(() => null);
  if (res.status !== 200) throw new Error(`studio sign-in: ${res.status} ${JSON.stringify(data)}`);
  const cookie = (res.headers.get('set-cookie') || '').split(';')[0];
  daemon.staff = { cookie, csrf: data.csrf };
  return daemon.staff;
}

// The studio's JSON API of `daemon`, as signed-in staff.
async function studio(daemon, p = '', { method = 'GET', body } = {}) {
  const call = async (s) => {
    const headers = { cookie: s.cookie };
    if (body) headers['content-type'] = 'application/json';
    if (method !== 'GET') Object.assign(headers, { 'x-csrf-token': s.csrf, origin: daemon.url });
    return fetch(`${daemon.url}/studio/api/recordings${p}`, {
      method, headers, body: body ? JSON.stringify(body) : (method === 'POST' ? '{}' : undefined),
    });
  };
  let res = await call(await staffSession(daemon));
  // Sessions live in the daemon's memory: after a restart, sign in again.
  if (res.status === 401) res = await call(await staffSession(daemon, { fresh: true }));
  const data = await res.json().catch(() => null);
  return { status: res.status, data };
}

// Waits until the session's composition is done (or fails the test).
async function waitComposition(daemon, id, { timeout = 180000 * SLOW } = {}) {
  return poll(`composition of ${id}`, async () => {
    const { data } = await studio(daemon, `/${id}`);
    const c = data && data.composition;
    if (c && c.state === 'failed') throw new Error(`composition failed: ${c.error}`);
    return c && c.state === 'done' ? data : false;
  }, { timeout, interval: 500 });
}

// Waits until the recorder has closed every file of the session (tracks done).
async function waitFilesClosed(daemon, id, { timeout = 30000 * SLOW } = {}) {
  return poll(`files of ${id} closed`, async () => {
    const m = readManifest(daemon, id);
    const open = m.tracks.filter((t) => t.state === 'recording' || t.state === 'waiting');
    return open.length === 0 && m.segments.every((s) => s.state !== 'recording') ? m : false;
  }, { timeout, interval: 250 });
}

// The pids of the recorder processes this daemon started, in order (from its log).
function recorderPids(daemon) {
  return [...daemon.allOutput.matchAll(/recorder started \(pid (\d+)\)/g)].map((m) => Number(m[1]));
}

// Checks a track file: it decodes, its decoded span (first to last frame) and the
// manifest agree. Returns the probe's stream.
async function checkTrackFile(daemon, id, track) {
  const file = path.join(sessionDir(daemon, id), track.file);
  const info = await probe(file);
  if (info.error) throw new Error(`${track.file} does not decode: ${info.error}`);
  const st = info.streams[0];
  if (!st || st.kind !== track.kind) throw new Error(`${track.file}: expected one ${track.kind} stream, got ${JSON.stringify(info.streams)}`);
  log(`${track.file} (${track.name} ${track.kind}): ${st.frames} ${track.kind === 'video' ? 'frames' : 'samples'}, ` +
      `${st.first}..${st.last_end} s, container duration ${info.duration}`);
  return st;
}

// With TB_KEEP_RECORDINGS=1 the daemon's recordings are copied to out/recordings-<name>
// before its var dir goes, for looking at the files after a failure.
function keepForInspection(daemon) {
  if (process.env.TB_KEEP_RECORDINGS !== '1') return;
  const dst = outPath(`recordings-${daemon.name}`);
  fs.rmSync(dst, { recursive: true, force: true });
  fs.cpSync(recordingsDir(daemon), dst, { recursive: true, dereference: false });
  log(`recordings kept in ${dst}`);
}

module.exports = {
  keepForInspection,
  RECORDING_ARGS, recordingsDir, sessionDir, readManifest, probe, studio, staffSession,
  waitComposition,
  waitFilesClosed, recorderPids, checkTrackFile,
};
