'use strict';
// A private legal consultation with a waiting room, in real browsers: a resident who
// arrives before the lawyer waits and receives nothing (no participants, no media) —
// arriving early does not bypass the waiting room; the lawyer (moderator) admits them and
// both see and hear each other; a second resident is denied and never receives media.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Daemon } = require('./lib/daemon.js');
const { closeAllBrowsers } = require('./lib/browser.js');
const tb = require('./lib/tb.js');
const { poll, sleep, outPath, SLOW } = require('./lib/util.js');

const ROOM = 'e2e-consult';
let daemon;
let early;
let lawyer;
let other;
let step = 0;

before(async () => {
  daemon = new Daemon('waiting', { extraArgs: ['-o', `room:${ROOM}.kind=consultation`] });
  await daemon.start();
});

after(async () => {
  await closeAllBrowsers();
  if (daemon) {
    await daemon.stop();
    daemon.cleanup();
  }
});

/** Everything the page received: no participants, no inbound media, no offer applied. */
async function receivesNothing(b) {
  return b.page.evaluate(async () => {
    const out = { participants: window.tb.participants().length, inbound: 0, remote: !!(window.tb.subPc && window.tb.subPc.remoteDescription) };
    if (window.tb.subPc) {
      (await window.tb.subPc.getStats()).forEach((r) => { if (r.type === 'inbound-rtp') out.inbound += r.packetsReceived || 0; });
    }
    return out;
  });
}

test('a resident who comes before the lawyer waits and receives nothing', { timeout: 90000 * SLOW }, async () => {
  early = await tb.openClient(daemon, ROOM, 'Житель Сергей', { role: 'speaker', state: 'waiting' });
  assert.ok(await early.page.isVisible('#view-waiting'), 'the waiting room is shown');
  await early.page.screenshot({ path: outPath('waiting-room.png') });
  lawyer = await tb.openClient(daemon, ROOM, 'Юрист Анна', { role: 'moderator' });
  await poll('the lawyer sees the waiting resident', async () =>
    (await lawyer.page.evaluate(() => window.tb.lobby)).some((w) => w.id === early.participantId),
  { timeout: 5000 * SLOW });
  await sleep(3000); // the lawyer publishes meanwhile: nothing of it reaches the waiting one
  assert.equal(await tb.getState(early), 'waiting');
  assert.deepEqual(await receivesNothing(early), { participants: 0, inbound: 0, remote: false });
  assert.deepEqual(await tb.participants(lawyer), [], 'a waiting person is not a participant');
  await lawyer.page.click('#people-btn');
  await sleep(400);
  await lawyer.page.screenshot({ path: outPath('waiting-lawyer-lobby.png') });
  step = 1;
});

test('admitted by the lawyer, both see and hear each other', { timeout: 90000 * SLOW }, async (t) => {
  if (step < 1) return t.skip('needs the previous step');
  await lawyer.page.click(`#panel-people button[data-action="admit"][data-pid="${early.participantId}"]`);
  await tb.waitState(early, 'joined', { timeout: 10000 * SLOW });
  await tb.waitMediaFrom(early, [lawyer.participantId]);
  await tb.waitMediaFrom(lawyer, [early.participantId]);
  await tb.assertMediaGrowing(early, [lawyer.participantId], 2000);
  step = 2;
});

test('a denied resident never receives media and is told so', { timeout: 60000 * SLOW }, async (t) => {
  if (step < 2) return t.skip('needs the previous step');
  other = await tb.openClient(daemon, ROOM, 'Незнакомец', { role: 'speaker', state: 'waiting' });
  await poll('the lawyer sees the second resident', async () =>
    (await lawyer.page.evaluate(() => window.tb.lobby)).some((w) => w.id === other.participantId),
  { timeout: 5000 * SLOW });
  await sleep(1500);
  assert.deepEqual(await receivesNothing(other), { participants: 0, inbound: 0, remote: false });
  await lawyer.page.evaluate((id) => window.tb.request('deny', { participant_id: id }), other.participantId);
  await tb.waitState(other, 'left', { timeout: 5000 * SLOW });
  assert.equal(await other.page.evaluate(() => window.tb.finalReason), 'left.denied');
  assert.deepEqual(await receivesNothing(other), { participants: 0, inbound: 0, remote: false });
  const states = (await tb.getStates(other)).map((s) => s.state);
  assert.ok(!states.includes('joined'), `never joined: ${states}`);
  await other.page.screenshot({ path: outPath('waiting-denied.png') });
  // The admitted pair keep their media.
  await tb.assertMediaGrowing(lawyer, [early.participantId], 1500);
});
