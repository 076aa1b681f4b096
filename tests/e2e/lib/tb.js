'use strict';
// Drives the web client through its test hooks (window.tb), as the browser tests need:
// joining, reading state and participants, and proving media per remote participant
// with tb.stats() (framesDecoded / packetsReceived that keep growing), not page loads.
const { launchBrowser } = require('./browser.js');
const { mint } = require('./token.js');
const { poll, sleep, log, SLOW } = require('./util.js');

// Launches a browser, opens `${daemon.url}/?room=&name=&autojoin=1` and waits for
// tb.state === 'joined'. Returns the browser object of browser.js plus `label`.
// With `role` (or `token`) the link carries a join token (lib/token.js) in its fragment,
// as `telebridge token` makes them; `state` is the state to wait for ('waiting' for a
// waiting room); `query` adds URL parameters (e.g. 'hall=1'); `args` adds Chromium flags.
async function openClient(daemon, room, name, { timeout = 20000 * SLOW, role, token, identity,
                                                 state = 'joined', query = '', autojoin = true,
                                                 args = [] } = {}) {
  const b = await launchBrowser(name, { extraArgs: args });
  b.label = name;
  b.room = room;
  await installStateRecorder(b.page);
  if (role && !token) token = mint(room, role, { name, identity });
  b.token = token;
  let url = `${daemon.url}/?room=${encodeURIComponent(room)}&name=${encodeURIComponent(name)}` +
            `${autojoin ? '&autojoin=1' : ''}${query ? `&${query}` : ''}`;
  log(`${name}: open ${url}${token ? ` (token, role ${role || '?'})` : ''}`);
  if (token) url += `#token=${token}`;
  await b.page.goto(url, { waitUntil: 'load', timeout: 20000 * SLOW });
  if (!state) return b;
  await waitState(b, state, { timeout });
  b.participantId = await b.page.evaluate(() => window.tb.participantId);
  log(`${name}: ${state} as ${b.participantId}`);
  return b;
}

// Records every tb.state the page goes through in window.__tbStates, so short-lived
// states ('reconnecting') are not missed by polling.
async function installStateRecorder(page) {
  await page.addInitScript(() => {
    window.__tbStates = [];
    const t0 = performance.now();
    setInterval(() => {
      const s = window.tb && window.tb.state;
      const last = window.__tbStates[window.__tbStates.length - 1];
      if (s && (!last || last.state !== s)) {
        window.__tbStates.push({ state: s, at: Math.round(performance.now() - t0) });
      }
    }, 20);
  });
}

const getState = (b) => b.page.evaluate(() => (window.tb ? window.tb.state : undefined));
const getStates = (b) => b.page.evaluate(() => window.__tbStates || []);
const participants = (b) => b.page.evaluate(() => window.tb.participants());
const stats = (b) => b.page.evaluate(() => window.tb.stats());

async function waitState(b, state, { timeout = 20000 * SLOW } = {}) {
  try {
    await poll(`${b.label} tb.state === '${state}'`, async () => (await getState(b)) === state,
               { timeout, interval: 100 });
  } catch (e) {
    throw new Error(`${e.message}\n${await diagnostics(b)}`);
  }
}

// True when `s` (one participant's entry of tb.stats()) shows decoded video and audio.
const hasMedia = (s) => !!s && s.videoFramesDecoded > 0 && s.audioPacketsReceived > 0;

// Waits until `b` decodes video and receives audio from every participant id in `ids`.
async function waitMediaFrom(b, ids, { timeout = 20000 * SLOW } = {}) {
  try {
    return await poll(`${b.label} decoding video+audio from ${ids.join(',')}`, async () => {
      const st = await stats(b);
      return ids.every((id) => hasMedia(st[id])) ? st : false;
    }, { timeout, interval: 250 });
  } catch (e) {
    throw new Error(`${e.message}\n${await diagnostics(b)}`);
  }
}

// Asserts that, for every id, video frames decoded and audio packets received grow
// over `ms`. Returns [before, after].
async function assertMediaGrowing(b, ids, ms = 5000) {
  const s1 = await stats(b);
  await sleep(ms);
  const s2 = await stats(b);
  const bad = [];
  for (const id of ids) {
    const a = s1[id] || {};
    const z = s2[id] || {};
    if (!(z.videoFramesDecoded > (a.videoFramesDecoded || 0))) {
      bad.push(`${id}: videoFramesDecoded ${a.videoFramesDecoded} -> ${z.videoFramesDecoded}`);
    }
    if (!(z.audioPacketsReceived > (a.audioPacketsReceived || 0))) {
      bad.push(`${id}: audioPacketsReceived ${a.audioPacketsReceived} -> ${z.audioPacketsReceived}`);
    }
  }
  if (bad.length) {
    throw new Error(`${b.label}: media from others did not grow over ${ms} ms: ${bad.join('; ')}\n` +
                    await diagnostics(b));
  }
  return [s1, s2];
}

// Media from `id` has stopped at `b`: gone from tb.stats(), or no growth over `window` ms.
async function waitMediaStopped(b, id, { timeout = 8000 * SLOW, window = 1500 } = {}) {
  return poll(`${b.label}: media from ${id} stopped`, async () => {
    const s1 = (await stats(b))[id];
    if (!s1) return 'gone from stats';
    await sleep(window);
    const s2 = (await stats(b))[id];
    if (!s2) return 'gone from stats';
    if (s2.videoFramesDecoded === s1.videoFramesDecoded &&
        s2.audioPacketsReceived === s1.audioPacketsReceived) return 'no growth';
    return false;
  }, { timeout, interval: 100 });
}

// A text block describing the client's view, for failure messages and the report.
async function diagnostics(b) {
  let d;
  try {
    d = await b.page.evaluate(async () => {
      const tb = window.tb;
      if (!tb) return { error: 'window.tb is not defined', url: location.href };
      const pcInfo = async (pc) => {
        if (!pc) return null;
        const out = {
          connectionState: pc.connectionState, iceConnectionState: pc.iceConnectionState,
          signalingState: pc.signalingState, iceGatheringState: pc.iceGatheringState,
          inbound: [], outbound: [], candidatePairs: [],
        };
        try {
          const st = await pc.getStats();
          st.forEach((r) => {
            if (r.type === 'inbound-rtp') {
              out.inbound.push({ kind: r.kind, mid: r.mid, ssrc: r.ssrc, packets: r.packetsReceived,
                                 framesDecoded: r.framesDecoded, trackIdentifier: r.trackIdentifier });
            } else if (r.type === 'outbound-rtp') {
              out.outbound.push({ kind: r.kind, mid: r.mid, packets: r.packetsSent, framesEncoded: r.framesEncoded });
            } else if (r.type === 'candidate-pair' && r.nominated) {
              out.candidatePairs.push({ state: r.state, bytesSent: r.bytesSent, bytesReceived: r.bytesReceived });
            }
          });
        } catch (e) { out.statsError = String(e); }
        return out;
      };
      let tbStats;
      try { tbStats = await tb.stats(); } catch (e) { tbStats = `error: ${e}`; }
      let parts;
      try { parts = tb.participants(); } catch (e) { parts = `error: ${e}`; }
      return {
        state: tb.state, participantId: tb.participantId, participants: parts,
        states: window.__tbStates, tbStats, pub: await pcInfo(tb.pubPc), sub: await pcInfo(tb.subPc),
      };
    });
  } catch (e) {
    d = { evaluateError: String(e) };
  }
  const consoleTail = (b.console || []).slice(-25).join('\n');
  return `--- ${b.label} diagnostics:\n${JSON.stringify(d, null, 1)}\n--- ${b.label} console (last 25):\n${consoleTail}`;
}

module.exports = {
  openClient, installStateRecorder, getState, getStates, participants, stats, waitState,
  hasMedia, waitMediaFrom, assertMediaGrowing, waitMediaStopped, diagnostics,
};
