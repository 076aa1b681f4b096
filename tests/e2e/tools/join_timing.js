'use strict';
// Join timing in real Chromium, for docs/performance.md (a measurement, not a test):
// a publisher with the fake camera, then N viewers joining one after another; for each
// viewer's receiving connection it prints the time from applying the server's offer to
// ICE connected, to DTLS connected, and to the first decoded frame. Run it twice to
// compare server settings, inside a private network namespace. The daemon runs at debug
// level, and the tool also prints how long the relay's first DTLS reply waited for ICE to
// select a pair (from the "kept until ICE has a path" lines), per connection kind:
//
//   unshare -n sh -c 'ip link set lo up && node tests/e2e/tools/join_timing.js 5 -o relay.ice_lite=true'
const { Daemon } = require('../lib/daemon.js');
const { launchBrowser, closeAllBrowsers } = require('../lib/browser.js');
const tb = require('../lib/tb.js');
const { poll, sleep } = require('../lib/util.js');

const n = Number(process.argv[2] || 5);
const extraArgs = process.argv.slice(3);
const fs = require('node:fs');

// Per connection: from "DTLS record ... kept until ICE has a path" to "ICE connected", ms.
function dtlsHolds(logFile) {
  const kept = new Map();
  const holds = { pub: [], sub: [] };
  const ms = (t) => { const [h, m, s] = t.split(':'); return ((+h * 60 + +m) * 60 + +s) * 1000; };
  for (const line of fs.readFileSync(logFile, 'utf8').split('\n')) {
    const m = /^(\d\d:\d\d:\d\d\.\d+) .*\[(\S+\/(pub|sub))\] (DTLS record of \d+ bytes kept|ICE connected)/.exec(line);
    if (!m) continue;
    if (m[4].startsWith('DTLS')) { if (!kept.has(m[2])) kept.set(m[2], ms(m[1])); continue; }
    if (kept.has(m[2])) { holds[m[3]].push(ms(m[1]) - kept.get(m[2])); kept.delete(m[2]); }
  }
  return holds;
}

// Records, per RTCPeerConnection, when the remote offer was applied and when ICE, DTLS
// and the first video frame came.
function hook() {
  const Orig = window.RTCPeerConnection;
  window.__pcs = [];
  window.RTCPeerConnection = function (...args) {
    const pc = new Orig(...args);
    const rec = { offerAt: null, iceAt: null, connAt: null, frameAt: null };
    window.__pcs.push(rec);
    const srd = pc.setRemoteDescription.bind(pc);
    pc.setRemoteDescription = (d) => {
      if (d && d.type === 'offer' && rec.offerAt === null) rec.offerAt = performance.now();
      return srd(d);
    };
    pc.addEventListener('iceconnectionstatechange', () => {
      if (pc.iceConnectionState === 'connected' && rec.iceAt === null) rec.iceAt = performance.now();
    });
    pc.addEventListener('connectionstatechange', () => {
      if (pc.connectionState === 'connected' && rec.connAt === null) rec.connAt = performance.now();
    });
    const poller = setInterval(async () => {
      if (rec.connAt === null) return;
      const st = await pc.getStats();
      st.forEach((s) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video' && s.framesDecoded > 0 && rec.frameAt === null) {
          rec.frameAt = performance.now();
        }
      });
      if (rec.frameAt !== null) clearInterval(poller);
    }, 5);
    return pc;
  };
  window.RTCPeerConnection.prototype = Orig.prototype;
}

(async () => {
  const daemon = new Daemon('join-timing', { anonymous: true, extraArgs: ['--log-level', 'debug', ...extraArgs] });
  await daemon.start();
  try {
    await tb.openClient(daemon, 'timing', 'Publisher');
    const rows = [];
    for (let i = 0; i < n; i++) {
      const b = await launchBrowser(`viewer${i}`);
      await b.page.addInitScript(hook);
      await b.page.goto(`${daemon.url}/?room=timing&name=Viewer${i}&autojoin=1`);
      await poll('a receiving connection with a frame', async () => b.page.evaluate(
        () => window.__pcs.some((r) => r.offerAt !== null && r.frameAt !== null)), { timeout: 20000 });
      const r = await b.page.evaluate(() => window.__pcs.find((x) => x.offerAt !== null));
      rows.push({ ice: r.iceAt - r.offerAt, dtls: r.connAt - r.offerAt, frame: r.frameAt - r.offerAt });
      await b.close();
      await sleep(300);
    }
    const med = (k) => rows.map((r) => r[k]).sort((a, b) => a - b)[Math.floor(rows.length / 2)];
    for (const r of rows) console.log(`offer -> ICE ${r.ice.toFixed(1)} ms, DTLS ${r.dtls.toFixed(1)} ms, frame ${r.frame.toFixed(1)} ms`);
    console.log(`median of ${n} (${extraArgs.join(' ') || 'default config'}): ICE ${med('ice').toFixed(1)} ms, DTLS ${med('dtls').toFixed(1)} ms, first frame ${med('frame').toFixed(1)} ms`);
    const holds = dtlsHolds(daemon.logFile);
    for (const k of ['pub', 'sub']) {
      const v = holds[k].sort((a, b) => a - b);
      console.log(`relay's DTLS reply held for a selected pair (${k}): ${v.length} of the connections, ` +
                  `ms ${JSON.stringify(v.map(Math.round))}, median ${v.length ? Math.round(v[Math.floor(v.length / 2)]) : '-'}`);
    }
  } finally {
    await closeAllBrowsers();
    await daemon.stop();
    daemon.cleanup();
  }
})().catch((e) => { console.error(e); process.exit(1); });
