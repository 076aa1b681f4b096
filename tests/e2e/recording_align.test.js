'use strict';
// Lip sync of the composition (issue "Record sessions to disk and publish them"): the
// webrtcbin client publishes a black picture with a white flash and a silence with a
// beep at the same instants, every 2 s, and asks for the room to be recorded. In the
// composition, each flash and its beep must be less than 100 ms apart.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { Daemon } = require('./lib/daemon.js');
const { GstClient } = require('./lib/gstclient.js');
const rec = require('./lib/recording.js');
const { poll, log, writeMetrics, SLOW } = require('./lib/util.js');

let daemon;
let client;

before(async () => {
  daemon = new Daemon('recording_align', { anonymous: true, extraArgs: rec.RECORDING_ARGS });
  await daemon.start();
});

after(async () => {
  if (client) await client.stop();
  if (daemon) {
    await daemon.stop();
    daemon.cleanup();
  }
});

test('a flash and a beep sent together land together in the composition (skew < 100 ms)',
     { timeout: 300000 * SLOW }, async () => {
  const room = 'rec-align';
  client = new GstClient('flashbeep', daemon, ['--room', room, '--name', 'Flash Beep', '--publish',
                                               '--flash-beep', '2', '--record', '--duration', '11',
                                               '--timeout', String(40 * SLOW)]);
  await client.waitFor(/^recording (starting|recording)$/m, 'recording started', 30000 * SLOW);
  const res = await client.exit; // leaves after --duration: the session ends
  assert.equal(res.code, 0, `webrtcbin client: ${client.tail()}`);
  const id = await poll('the recording in the studio', async () => {
    const { data } = await rec.studio(daemon);
    const r = data && data.recordings.find((x) => x.room === room);
    return r ? r.id : false;
  }, { timeout: 20000 * SLOW });
  const r = await rec.waitComposition(daemon, id);
  const file = path.join(rec.sessionDir(daemon, id), r.composition.file);
  // One participant fills the picture: watch its middle for the flashes.
  const out = await rec.probe(file, { mode: 'avsync', region: '0.35,0.35,0.3,0.3' });
  assert.equal(out.error, null, `composition decodes: ${out.error}`);
  log(`flash/beep pairs: ${JSON.stringify(out.pairs)}`);
  assert.ok(out.pairs.length >= 3, `at least 3 flashes with beeps: ${JSON.stringify(out.streams.map((s) => s.flashes || s.beeps))}`);
  for (const p of out.pairs) {
    assert.ok(Math.abs(p.skew) < 0.1, `flash at ${p.flash} s, beep at ${p.beep} s: skew ${(p.skew * 1000).toFixed(0)} ms`);
  }
  const skews = out.pairs.map((p) => Math.round(p.skew * 1000));
  writeMetrics('recording_align', { skew_ms: skews, max_abs_skew_ms: Math.max(...skews.map(Math.abs)) });
});
