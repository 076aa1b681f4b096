'use strict';
// Publication (issue "Record sessions to disk and publish them"): a recorded session is
// titled and published from the studio's API; /archive lists it in Chromium and its
// <video> plays and seeks (byte ranges answered 206); unpublished it is gone from the
// list and its URL answers 404; paths escaping the recordings folder (.., percent-encoded
// variants, symlinks) answer 404. Screenshots of /studio and /archive go to out/.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { Daemon } = require('./lib/daemon.js');
const { launchBrowser, closeAllBrowsers } = require('./lib/browser.js');
const { GstClient } = require('./lib/gstclient.js');
const rec = require('./lib/recording.js');
const { execFileSync } = require('node:child_process');
const { mint } = require('./lib/token.js');
const { poll, log, outPath, REPO, SLOW } = require('./lib/util.js');

let daemon;
let client;

before(async () => {
  daemon = new Daemon('recording_archive', { anonymous: true, extraArgs: rec.RECORDING_ARGS });
  await daemon.start();
});

after(async () => {
  if (client) await client.stop();
  await closeAllBrowsers();
  if (daemon) {
    await daemon.stop();
    daemon.cleanup();
  }
});

// A raw GET: the path goes out byte for byte (fetch would resolve "..").
function rawGet(p, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: daemon.port, path: p, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
  });
}

async function archiveList() {
  const res = await fetch(`${daemon.url}/archive/api/recordings`);
  return (await res.json()).recordings;
}

test('publish, play and seek in /archive; unpublish; no way out of the recordings folder',
     { timeout: 300000 * SLOW }, async () => {
  const room = 'rec-archive';
  client = new GstClient('archive-pub', daemon, ['--room', room, '--name', 'Зал 1', '--publish',
                                                 '--record', '--duration', '8',
                                                 '--timeout', String(40 * SLOW)]);
  await client.waitFor(/^recording (starting|recording)$/m, 'recording started', 30000 * SLOW);
  await client.exit;
  const id = await poll('the recording', async () => {
    const { data } = await rec.studio(daemon);
    const r = data && data.recordings.find((x) => x.room === room);
    return r ? r.id : false;
  }, { timeout: 20000 * SLOW });
  await rec.waitComposition(daemon, id);
  const media = `/archive/media/${id}.mp4`;

  // Not published: absent from the archive, its URL 404.
  assert.deepEqual(await archiveList(), []);
  assert.equal((await rawGet(media)).status, 404);
  assert.equal((await rec.studio(daemon, `/${id}/publish`, { method: 'POST' })).status, 200);
  assert.equal((await rec.studio(daemon, `/${id}`, {
    method: 'POST', body: { title: 'Публичные слушания', description: 'О бюджете района на 2027 год' },
  })).status, 200);
  const list = await archiveList();
  assert.equal(list.length, 1);
  // The same from the shell: `telebridge recordings`.
  const cli = (...args) => execFileSync(daemon.bin, ['recordings', '--config', path.join(REPO, 'configs', 'telebridge.ini'),
                                                     '-o', `server.var_dir=${daemon.varDir}`, ...args], { encoding: 'utf8' });
  assert.match(cli('list', '--published'), new RegExp(`${id} .*\\[published\\] Публичные слушания`));
  assert.match(cli('show', id), /composition: +done/);
  assert.equal(list[0].title, 'Публичные слушания');
  assert.equal(list[0].url, media);

  // Byte ranges, as <video> uses them to seek.
  const whole = await rawGet(media);
  assert.equal(whole.status, 200);
  assert.equal(whole.headers['content-type'], 'video/mp4');
  assert.equal(whole.headers['accept-ranges'], 'bytes');
  const part = await rawGet(media, { Range: 'bytes=100-1123' });
  assert.equal(part.status, 206);
  assert.equal(part.headers['content-range'], `bytes 100-1123/${whole.body.length}`);
  assert.deepEqual(part.body, whole.body.subarray(100, 1124));
  const tail = await rawGet(media, { Range: 'bytes=-500' });
  assert.equal(tail.status, 206);
  assert.deepEqual(tail.body, whole.body.subarray(whole.body.length - 500));
  assert.equal((await rawGet(media, { Range: `bytes=${whole.body.length}-` })).status, 416);

  // The archive page in Chromium: listed, plays, seeks.
  const b = await launchBrowser('archive-viewer');
  await b.page.goto(`${daemon.url}/archive/`, { waitUntil: 'load' });
  await poll('archive lists the recording', () => b.page.evaluate(() => window.archive && window.archive.list.length === 1),
             { timeout: 10000 * SLOW });
  const text = await b.page.evaluate(() => document.querySelector('.archive-list').textContent);
  assert.match(text, /Публичные слушания/);
  const played = await b.page.evaluate(async () => {
    const v = document.getElementById('player');
    v.muted = true;
    await v.play();
    const t0 = v.currentTime;
    await new Promise((r) => setTimeout(r, 2000));
    const t1 = v.currentTime;
    v.pause();
    v.currentTime = 5;
    await new Promise((r) => v.addEventListener('seeked', r, { once: true }));
    return { t0, t1, seeked: v.currentTime, duration: v.duration, w: v.videoWidth };
  });
  log(`<video>: ${JSON.stringify(played)}`);
  assert.ok(played.t1 > played.t0 + 0.5, `currentTime advances: ${played.t0} -> ${played.t1}`);
  assert.ok(Math.abs(played.seeked - 5) < 0.5, `seeks to 5 s: ${played.seeked}`);
  assert.equal(played.w, 1280);
  await b.page.screenshot({ path: outPath('archive.png') });
  // Staff sign in with a studio link (a moderator's token in the fragment).
  await b.page.goto(`${daemon.url}/studio/#token=${mint('studio', 'moderator', { name: 'Сотрудник' })}`,
                    { waitUntil: 'load' });
  await poll('signed in to the studio', () => b.page.evaluate(() => window.studio && window.studio.signedIn),
             { timeout: 10000 * SLOW });
  await b.page.evaluate((i) => { location.hash = i; }, id);
  await poll('studio shows the recording', () => b.page.evaluate(() => window.studio && window.studio.detail !== null),
             { timeout: 10000 * SLOW });
  await b.page.screenshot({ path: outPath('studio.png') });

  // Unpublished: gone.
  assert.equal((await rec.studio(daemon, `/${id}/unpublish`, { method: 'POST' })).status, 200);
  assert.deepEqual(await archiveList(), []);
  assert.equal((await rawGet(media)).status, 404);
  const { cookie } = await rec.staffSession(daemon);
  assert.equal((await rawGet(`/studio/media/${id}/composition.mp4`)).status, 401, 'not without signing in');
  assert.equal((await rawGet(`/studio/media/${id}/composition.mp4`, { cookie })).status, 200, 'staff still see it');

  // Escapes: all 404.
  const dir = rec.sessionDir(daemon, id);
  fs.symlinkSync('/etc/passwd', path.join(dir, 'leak.mp4'));
  fs.symlinkSync('/etc', path.join(rec.recordingsDir(daemon), 's0000000000000001'));
  const escapes = [
    `/archive/media/..%2f..%2f..%2fetc%2fpasswd`,
    `/archive/media/%2e%2e/%2e%2e/etc/passwd`,
    `/archive/media/${id}.mp4/../../../../etc/passwd`,
    `/archive/media/../../../../etc/passwd`,
    `/studio/media/${id}/../../../../etc/passwd`,
    `/studio/media/${id}/..%2f..%2f..%2fetc%2fpasswd`,
    `/studio/media/${id}/%2e%2e%2f%2e%2e%2ftelebridge.db`,
    `/studio/media/%2e%2e/telebridge.db`,
    `/studio/media/${id}/%252e%252e%252ftelebridge.db`,
    `/studio/media/${id}/leak.mp4`,
    `/studio/media/s0000000000000001/passwd`,
    `/studio/media/${id}/.`,
    `/studio/media/${id}/manifest.json%00.mp4`,
    `/studio/media/${id}\\..\\..\\telebridge.db`,
  ];
  for (const p of escapes) {
    // libwebsockets itself drops a connection whose URI decodes to a NUL: no answer at
    // all is as good as a 404 here.
    const res = await rawGet(p, { cookie }).catch((e) => ({ status: `closed (${e.code || e.message})`, body: Buffer.alloc(0) }));
    assert.ok(res.status === 404 || (p.includes('%00') && String(res.status).startsWith('closed')),
              `${p} answers ${res.status}`);
    assert.ok(!res.body.toString().includes('root:'), `${p} leaks nothing`);
  }
});
