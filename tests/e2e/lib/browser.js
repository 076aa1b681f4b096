'use strict';
// Launches Debian's headless Chromium for the Telebridge browser tests.
//
// Follows docs/testing.md exactly: playwright-core only (never `playwright install`),
// /usr/bin/chromium, ignoreDefaultArgs (Playwright's own --disable-features list would
// compete with ours), the documented flag list, and a fresh --user-data-dir per browser.
// Every browser we launch is recorded, so a test can close exactly its own browsers.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');

const CHROMIUM = process.env.TB_CHROMIUM || '/usr/bin/chromium';

const FLAGS = [
  '--no-sandbox', '--headless=new', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection', '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--remote-debugging-pipe', '--no-startup-window',
];

const launched = new Set();

// Returns { name, browser, context, page, userDataDir, pid, console: [lines], close() }.
// `console` collects the page's console messages and page errors, for failure reports.
// `executablePath` replaces CHROMIUM, e.g. with a wrapper that runs it in a network namespace.
async function launchBrowser(name = 'browser', { viewport = { width: 1280, height: 720 },
                                                extraArgs = [], executablePath = CHROMIUM } = {}) {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), `tb-chromium-${name}-`));
  const browser = await chromium.launch({
    executablePath,
    ignoreDefaultArgs: true,
    args: [...FLAGS, `--user-data-dir=${userDataDir}`, ...extraArgs],
    timeout: 60000,
  });
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const logs = [];
  page.on('console', (m) => logs.push(`[${name}] console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`[${name}] pageerror: ${e && e.stack || e}`));
  const b = {
    name, browser, context, page, userDataDir, console: logs,
    async close() {
      launched.delete(b);
      try { await browser.close(); } catch (_) { /* already gone */ }
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
  launched.add(b);
  return b;
}

async function closeAllBrowsers() {
  await Promise.all([...launched].map((b) => b.close()));
}

module.exports = { launchBrowser, closeAllBrowsers, CHROMIUM, FLAGS };
