'use strict';
// The English interface, end to end: a moderator opens the join page, switches it to
// English with the header's language button (the choice a user makes), joins; a speaker
// joins with ?lang=en. Both see and hear each other, and no Cyrillic is left anywhere on
// either screen (participant names are Latin here, so any Cyrillic is an untranslated
// string). Screenshots: out/english-join.png, out/english-room.png.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Daemon } = require('./lib/daemon.js');
const { closeAllBrowsers } = require('./lib/browser.js');
const tb = require('./lib/tb.js');
const { outPath, log, SLOW } = require('./lib/util.js');

const ROOM = 'e2e-english';
let daemon;

before(async () => {
  daemon = new Daemon('english');
  await daemon.start();
});

after(async () => {
  await closeAllBrowsers();
  if (daemon) {
    await daemon.stop();
    daemon.cleanup();
  }
});

// Every visible text of the page, with what is Cyrillic in it.
async function cyrillic(b) {
  return b.page.evaluate(() => {
    const text = document.body.innerText;
    const titles = [...document.querySelectorAll('[title],[aria-label],[placeholder]')]
      .filter((el) => el.offsetParent !== null)
      .map((el) => [el.title, el.getAttribute('aria-label'), el.placeholder].filter(Boolean).join(' '));
    const all = `${text}\n${titles.join('\n')}\n${document.title}`;
    return all.split('\n').filter((l) => /[\u0400-\u04FF]/.test(l))
      // The switch back to Russian is labelled in Russian, as language choices are.
      .filter((l) => !/^(Русский|RU|Переключить интерфейс на русский язык)$/.test(l.trim()));
  });
}

test('the English switch: join and room in English, media both ways', { timeout: 180000 * SLOW }, async () => {
  const mod = await tb.openClient(daemon, ROOM, 'Anna', { role: 'moderator', autojoin: false, state: null });
  await mod.page.waitForSelector('#join-form', { state: 'visible', timeout: 20000 * SLOW });
  await mod.page.click('#lang-btn');
  await mod.page.waitForFunction(() => document.documentElement.lang === 'en', null, { timeout: 5000 * SLOW });
  const joinLeft = await cyrillic(mod);
  await mod.page.screenshot({ path: outPath('english-join.png') });
  log(`screenshot: ${outPath('english-join.png')}`);
  assert.deepEqual(joinLeft, [], 'Russian left on the English join page');
  assert.match(await mod.page.textContent('#join-button'), /[A-Za-z]/, 'the join button speaks English');
  await mod.page.click('#join-button');
  await tb.waitState(mod, 'joined');
  mod.participantId = await mod.page.evaluate(() => window.tb.participantId);

  const spk = await tb.openClient(daemon, ROOM, 'Boris', { role: 'speaker', query: 'lang=en' });
  await tb.waitMediaFrom(mod, [spk.participantId], { timeout: 30000 * SLOW });
  await tb.waitMediaFrom(spk, [mod.participantId], { timeout: 30000 * SLOW });
  for (const b of [mod, spk]) {
    const left = await cyrillic(b);
    assert.deepEqual(left, [], `Russian left on ${b.label}'s English room screen`);
  }
  await mod.page.screenshot({ path: outPath('english-room.png') });
  log(`screenshot: ${outPath('english-room.png')}`);
  // The choice is kept: a reload of the moderator's page stays English.
  assert.equal(await mod.page.evaluate(() => localStorage.getItem('tb.lang')), 'en');
});
