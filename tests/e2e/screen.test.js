'use strict';
// Presenting and the current speaker, in real browsers:
// - a speaker shares a screen (a moving canvas stands in for getDisplayMedia, which
//   headless Chromium cannot capture); the others decode it as a separate track, beside
//   the speaker's camera, and show it large;
// - the relay's active speaker (RFC 6464 audio levels) follows whoever talks: with one
//   browser's fake microphone muted and the other's not, the `speaker` event names the
//   one not muted, and it follows when they swap. The speakers' fake microphones play a
//   continuous tone (--use-file-for-fake-audio-capture): Chromium's default fake device
//   only beeps briefly once a second, which no speaker detection takes for speech.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { Daemon } = require('./lib/daemon.js');
const { closeAllBrowsers } = require('./lib/browser.js');
const tb = require('./lib/tb.js');
const { poll, log, sleep, outPath, SLOW } = require('./lib/util.js');

const ROOM = 'e2e-screen';
let daemon;
let a;
let b;
let c;
let step = 0;

before(async () => {
  daemon = new Daemon('screen');
  await daemon.start();
});

after(async () => {
  await closeAllBrowsers();
  if (daemon) {
    await daemon.stop();
    daemon.cleanup();
  }
});

const trackStats = (x) => x.page.evaluate(() => window.tb.trackStats());

/** A 48 kHz mono WAV of a 440 Hz tone at -10 dBFS, `secs` long (Chromium loops it). */
function toneWav(file, secs = 4) {
  const rate = 48000;
  const n = rate * secs;
  const buf = Buffer.alloc(44 + n * 2);
  buf.write('RIFF', 0); buf.writeUInt32LE(36 + n * 2, 4); buf.write('WAVE', 8);
  buf.write('fmt ', 12); buf.writeUInt32LE(16, 16); buf.writeUInt16LE(1, 20); buf.writeUInt16LE(1, 22);
  buf.writeUInt32LE(rate, 24); buf.writeUInt32LE(rate * 2, 28); buf.writeUInt16LE(2, 32); buf.writeUInt16LE(16, 34);
  buf.write('data', 36); buf.writeUInt32LE(n * 2, 40);
  for (let i = 0; i < n; i++) buf.writeInt16LE(Math.round(0.316 * 32767 * Math.sin(2 * Math.PI * 440 * i / rate)), 44 + i * 2);
  fs.writeFileSync(file, buf);
  return file;
}

test('two speakers and a viewer join', { timeout: 120000 * SLOW }, async () => {
  const tone = toneWav(outPath('tone-440.wav'));
  const args = [`--use-file-for-fake-audio-capture=${tone}`];
  a = await tb.openClient(daemon, ROOM, 'Анна', { role: 'speaker', args });
  b = await tb.openClient(daemon, ROOM, 'Борис', { role: 'speaker', args });
  c = await tb.openClient(daemon, ROOM, 'Зал заседаний', { role: 'viewer' });
  await tb.waitMediaFrom(c, [a.participantId, b.participantId]);
  await tb.waitMediaFrom(b, [a.participantId]);
  step = 1;
});

test('a shared screen is a separate track that the others decode and show large',
     { timeout: 90000 * SLOW }, async (t) => {
  if (step < 1) return t.skip('needs the previous step');
  await a.page.evaluate(() => window.tb.shareScreen({ fake: true }));
  for (const x of [b, c]) {
    const screenId = await poll(`${x.label} sees a screen track of ${a.label}`, async () => {
      const p = (await tb.participants(x)).find((q) => q.id === a.participantId);
      const scr = p && p.tracks.find((tr) => tr.label === 'screen');
      return scr ? scr.id : false;
    }, { timeout: 10000 * SLOW });
    const camId = (await tb.participants(x)).find((q) => q.id === a.participantId).tracks
      .find((tr) => tr.label === 'camera').id;
    await poll(`${x.label} decodes ${a.label}'s screen and camera separately`, async () => {
      const s1 = await trackStats(x);
      await sleep(1000);
      const s2 = await trackStats(x);
      return s1[screenId] && s2[screenId].framesDecoded > s1[screenId].framesDecoded &&
             s1[camId] && s2[camId].framesDecoded > s1[camId].framesDecoded;
    }, { timeout: 20000 * SLOW, interval: 200 });
    const st = await trackStats(x);
    log(`${x.label}: screen ${JSON.stringify(st[screenId])}, camera ${JSON.stringify(st[camId])}`);
    assert.equal(await x.page.evaluate(() => window.tb.mainTile), `${a.participantId}#screen`,
                 `${x.label} shows the screen large`);
  }
  await c.page.screenshot({ path: outPath('screen-viewer.png') });
  await a.page.evaluate(() => window.tb.stopScreen());
  await poll('the screen is gone for the viewer', async () => {
    const p = (await tb.participants(c)).find((q) => q.id === a.participantId);
    return p && !p.tracks.some((tr) => tr.label === 'screen') &&
      !(await c.page.evaluate(() => window.tb.tiles())).some((id) => id.endsWith('#screen'));
  }, { timeout: 10000 * SLOW });
  step = 2;
});

async function waitSpeaker(x, id, timeout) {
  return poll(`${x.label}: current speaker is ${id}`, async () =>
    (await x.page.evaluate(() => window.tb.roomState.speaker)) === id, { timeout, interval: 100 });
}

test('the current speaker follows whoever talks', { timeout: 90000 * SLOW }, async (t) => {
  if (step < 1) return t.skip('needs the first step');
  // Fake microphones beep: mute one, keep the other.
  await b.page.evaluate(() => window.tb.setMic(false));
  await a.page.evaluate(() => window.tb.setMic(true));
  let t0 = Date.now();
  await waitSpeaker(c, a.participantId, 30000 * SLOW);
  log(`speaker -> ${a.label} after ${Date.now() - t0} ms`);
  await waitSpeaker(b, a.participantId, 3000 * SLOW);
  // In the speaker layout the viewer shows the speaker large.
  await c.page.evaluate(() => { if (window.tb.layout !== 'speaker') document.querySelector('#layout-btn').click(); });
  await poll('the viewer shows the speaker large', async () =>
    (await c.page.evaluate(() => window.tb.mainTile)) === a.participantId, { timeout: 3000 * SLOW });
  await c.page.screenshot({ path: outPath('speaker-a.png') });
  await a.page.evaluate(() => window.tb.setMic(false));
  await b.page.evaluate(() => window.tb.setMic(true));
  t0 = Date.now();
  await waitSpeaker(c, b.participantId, 30000 * SLOW);
  log(`speaker -> ${b.label} after ${Date.now() - t0} ms`);
  await poll('the viewer\'s large tile follows', async () =>
    (await c.page.evaluate(() => window.tb.mainTile)) === b.participantId, { timeout: 3000 * SLOW });
  await c.page.screenshot({ path: outPath('speaker-b.png') });
});
