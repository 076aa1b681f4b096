'use strict';
// Small helpers shared by the browser tests: sleeping, polling, output paths.
const fs = require('node:fs');
const path = require('node:path');

const E2E_DIR = path.resolve(__dirname, '..');
const REPO = path.resolve(E2E_DIR, '..', '..');
const OUT_DIR = process.env.TB_OUT_DIR || path.join(E2E_DIR, 'out');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Calls `fn` every `interval` ms until it returns a truthy value (which is returned) or
// `timeout` ms pass; then throws with `what` and the last value/error seen.
async function poll(what, fn, { timeout = 15000, interval = 250 } = {}) {
  const t0 = Date.now();
  let last;
  let lastErr;
  for (;;) {
    try {
      last = await fn();
      lastErr = undefined;
      if (last) return last;
    } catch (e) {
      lastErr = e;
    }
    if (Date.now() - t0 > timeout) {
      const detail = lastErr ? `last error: ${lastErr.message || lastErr}`
                             : `last value: ${JSON.stringify(last)}`;
      throw new Error(`timed out after ${timeout} ms waiting for ${what} (${detail})`);
    }
    await sleep(interval);
  }
}

function outPath(...parts) {
  const p = path.join(OUT_DIR, ...parts);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  return p;
}

// Scale for timeouts: ASan builds are several times slower.
const SLOW = process.env.TB_ASAN === '1' ? 3 : 1;

function log(...args) {
  console.log(`[${new Date().toISOString().slice(11, 23)}]`, ...args);
}

module.exports = { sleep, poll, outPath, log, E2E_DIR, REPO, OUT_DIR, SLOW };

// Merges `values` into out/metrics.json under `section` (figures, never pass/fail).
function writeMetrics(section, values) {
  const file = outPath('metrics.json');
  let all = {};
  try { all = JSON.parse(fs.readFileSync(file, 'utf8')); } catch (_) { /* first writer */ }
  all[section] = { ...values, recorded_at: new Date().toISOString() };
  fs.writeFileSync(file, JSON.stringify(all, null, 2) + '\n');
  return file;
}

module.exports.writeMetrics = writeMetrics;
