'use strict';
// Real network paths between browsers and the relay, in network namespaces made by the
// test (lib/netns.js): the daemon and coturn in ns `srv` (10.77.0.1), two headless
// Chromiums in ns `cli` (10.77.0.2), the client side's outgoing traffic filtered with
// nftables per case. For each case both browsers must decode each other's video and
// receive audio through the relay, and getStats() must show that the path the case is
// about carried it: each browser's publish and subscribe connection's selected candidate
// pair (transport.selectedCandidatePairId → local/remote candidate type and protocol, the
// local candidate's relayProtocol for TURN).
//
//   1. cli sends no UDP                      → ICE-TCP to the relay (host tcp, RFC 6544)
//   2. cli: no UDP, TCP only to signaling and coturn's 3478 → TURN over TCP (relay, tcp)
//   3. cli: TCP only to signaling and 443    → TURN over TLS, turns: on 443 (relay, tls)
//   4. no filter                             → UDP host both ways (UDP stays preferred)
//   5. relay.public_addresses: the relay binds a private 10.77.1.1 behind a 1:1 NAT
//      (ns `nat`, DNAT+SNAT) that publishes it as 10.77.0.1; its candidates carry the
//      public address and media flows: over UDP with `10.77.1.1=10.77.0.1`, and over
//      ICE-TCP (no UDP from cli) with the single-address form `10.77.0.1`.
// Join-to-first-frame per path goes to out/metrics.json (`network`), for the record.
// At most two browsers at a time. Needs root (ip netns, nft) and coturn (/usr/bin/turnserver).
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { Daemon, pickPort } = require('./lib/daemon.js');
const { launchBrowser, closeAllBrowsers } = require('./lib/browser.js');
const tb = require('./lib/tb.js');
const { twoHosts, natHosts } = require('./lib/netns.js');
const { log, writeMetrics, SLOW } = require('./lib/util.js');

const SRV = '10.77.0.1';
const TURN_PORT = 3478;
const TURNS_PORT = 443;
const TURN_SECRET = `net-test-${crypto.randomBytes(12).toString('hex')}`;
const TURN_URLS = [`turn:${SRV}:${TURN_PORT}?transport=udp`, `turn:${SRV}:${TURN_PORT}?transport=tcp`,
                   `turns:${SRV}:${TURNS_PORT}?transport=tcp`];
const MEDIA_TIMEOUT = 45000 * SLOW;

let topo;
let coturn;
let daemon;
const metrics = {};
const paths = {};

const daemonIn = (t, ns, name, opts) => new Daemon(name, {
  anonymous: true, prefix: ['/usr/sbin/ip', 'netns', 'exec', t.ns(ns)], ...opts,
});

before(async () => {
  topo = await twoHosts('n').ready();
  coturn = await topo.startCoturn('srv', { ip: SRV, port: TURN_PORT, tlsPort: TURNS_PORT,
                                           secret: TURN_SECRET, allowedPeers: [SRV] });
  daemon = daemonIn(topo, 'srv', 'network', {
    listen: SRV,
    extraArgs: ['-o', `relay.ice_addresses=${SRV}`, '-o', `turn.urls=${TURN_URLS.join(',')}`,
                '-o', `turn.secret=${TURN_SECRET}`],
  });
  await daemon.start();
});

after(async () => {
  await closeAllBrowsers();
  if (daemon) { await daemon.stop(); daemon.cleanup(); }
  if (coturn) await coturn.stop();
  if (topo) await topo.destroy();
  writeMetrics('network', {
    join_to_first_frame_ms: metrics,
    selected_paths: Object.fromEntries(Object.entries(paths).map(([k, v]) => [k, Object.fromEntries(
      Object.entries(v).map(([label, p]) => [label, { pub: describePath(p.pub), sub: describePath(p.sub) }]))])),
    note: 'second joiner of a two-browser room, per network path; both browsers in ns cli',
  });
});

// A browser in namespace `ns` of topology `t`, joined to `room` on `d` (as tb.openClient,
// but with Chromium started through an `ip netns exec` wrapper). http://10.77.x.x is not a
// secure context, so the daemon's origin is declared one for getUserMedia.
// With coturn running, its self-signed certificate is accepted for turns: by its SPKI hash.
async function openIn(t, ns, d, room, name) {
  const args = [`--unsafely-treat-insecure-origin-as-secure=${d.url}`];
  if (coturn && t === topo) args.push(`--ignore-certificate-errors-spki-list=${coturn.spki}`);
  const b = await launchBrowser(name, { executablePath: t.chromiumWrapper(ns), extraArgs: args });
  b.label = name;
  b.room = room;
  await tb.installStateRecorder(b.page);
  const url = `${d.url}/?room=${encodeURIComponent(room)}&name=${encodeURIComponent(name)}&autojoin=1`;
  log(`${name}: open ${url} in ns ${ns}`);
  // Longer than tb.openClient's 20 s: each browser starts through ip netns exec, and on a
  // loaded 2-core machine a page has been seen to take 10 s before it even began to join.
  await b.page.goto(url, { waitUntil: 'load', timeout: 40000 * SLOW });
  await tb.waitState(b, 'joined', { timeout: 40000 * SLOW });
  b.participantId = await b.page.evaluate(() => window.tb.participantId);
  log(`${name}: joined as ${b.participantId}`);
  return b;
}

// The selected candidate pair of the publish and the subscribe connection of `b`.
async function selectedPaths(b) {
  return b.page.evaluate(async () => {
    const one = async (pc) => {
      if (!pc) return { error: 'no peer connection' };
      const st = await pc.getStats();
      const byId = new Map();
      st.forEach((r) => byId.set(r.id, r));
      let pair = null;
      st.forEach((r) => {
        if (r.type === 'transport' && r.selectedCandidatePairId) pair = byId.get(r.selectedCandidatePairId);
      });
      if (!pair) {
        st.forEach((r) => {
          if (r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded' &&
              (!pair || r.bytesReceived > pair.bytesReceived)) pair = r;
        });
      }
      if (!pair) return { error: 'no selected candidate pair' };
      const c = (x) => x && {
        candidateType: x.candidateType, protocol: x.protocol, address: x.address || x.ip,
        port: x.port, tcpType: x.tcpType, relayProtocol: x.relayProtocol, url: x.url,
      };
      const remoteCandidates = [];
      st.forEach((r) => {
        if (r.type === 'remote-candidate') {
          remoteCandidates.push(`${r.address || r.ip}:${r.port}/${r.protocol}/${r.candidateType}`);
        }
      });
      return {
        remoteCandidates, state: pair.state, nominated: pair.nominated, bytesSent: pair.bytesSent,
        bytesReceived: pair.bytesReceived, local: c(byId.get(pair.localCandidateId)),
        remote: c(byId.get(pair.remoteCandidateId)),
      };
    };
    return { pub: await one(window.tb.pubPc), sub: await one(window.tb.subPc) };
  });
}

const describePath = (p) => (p.error ? p.error
  : `local ${p.local.candidateType}/${p.local.protocol}${p.local.relayProtocol ? `(relay ${p.local.relayProtocol})` : ''}` +
    ` ${p.local.address}:${p.local.port} -> remote ${p.remote.candidateType}/${p.remote.protocol}` +
    ` ${p.remote.address}:${p.remote.port}, ${p.bytesSent} B sent, ${p.bytesReceived} B received`);

async function joinToFirstFrame(b) {
  return b.page.evaluate(() => {
    const t = window.tb;
    return typeof t.firstFrameAt === 'number' && typeof t.joinClickedAt === 'number'
      ? Math.round(t.firstFrameAt - t.joinClickedAt) : null;
  });
}

// Two browsers in ns cli join `room`; both decode each other; then `check(path, label)`
// runs on each browser's publish and subscribe path. Browsers are closed at the end.
async function twoBrowsersCase(key, t, d, room, check) {
  const clients = [];
  try {
    clients.push(await openIn(t, 'cli', d, room, `${key}-a`));
    clients.push(await openIn(t, 'cli', d, room, `${key}-b`));
    const [a, b] = clients;
    await Promise.all([tb.waitMediaFrom(a, [b.participantId], { timeout: MEDIA_TIMEOUT }),
                       tb.waitMediaFrom(b, [a.participantId], { timeout: MEDIA_TIMEOUT })]);
    metrics[key] = await joinToFirstFrame(b);
    log(`${key}: join_to_first_frame_ms=${metrics[key]} (second joiner)`);
    await Promise.all([tb.assertMediaGrowing(a, [b.participantId], 3000),
                       tb.assertMediaGrowing(b, [a.participantId], 3000)]);
    paths[key] = {};
    for (const c of clients) {
      const p = await selectedPaths(c);
      paths[key][c.label] = p;
      for (const dir of ['pub', 'sub']) {
        log(`${key}: ${c.label} ${dir}: ${describePath(p[dir])}`);
        assert.ok(!p[dir].error, `${c.label} ${dir}: ${p[dir].error}\n${await tb.diagnostics(c)}`);
        assert.ok(p[dir].bytesReceived > 0 && p[dir].bytesSent > 0,
                  `${c.label} ${dir}: no bytes on the selected pair: ${describePath(p[dir])}`);
        check(p[dir], `${c.label} ${dir} (${describePath(p[dir])})`);
      }
    }
    log(`${key}: what cli's filter dropped:\n${t.counters('cli')}`);
  } catch (e) {
    log(`${key}: what cli's filter dropped:\n${t.counters('cli')}`);
    throw e;
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
}

// Without any TURN (a daemon of its own, no [turn]): ICE-TCP alone must carry the call.
// With TURN on offer as well, the relay (controlling on subscribe connections, aggressive
// nomination) may settle on whichever pair answers first, TURN/TCP included.
test('no UDP from the client: media over ICE-TCP to the relay (host tcp)',
     { timeout: 180000 * SLOW }, async () => {
  topo.dropAllUdp('cli');
  // Its own port: a free one here may be the first daemon's in the server namespace.
  const plain = daemonIn(topo, 'srv', 'network-noturn', {
    listen: SRV, port: daemon.port + 1, extraArgs: ['-o', `relay.ice_addresses=${SRV}`],
  });
  await plain.start();
  try {
    await iceTcpCase(plain);
  } finally {
    await plain.stop();
    plain.cleanup();
  }
});

async function iceTcpCase(d) {
  await twoBrowsersCase('ice_tcp', topo, d, 'net-tcp', (p, what) => {
    assert.equal(p.remote.protocol, 'tcp', `${what}: remote protocol`);
    assert.equal(p.remote.candidateType, 'host', `${what}: remote candidate type`);
    assert.equal(p.remote.address, SRV, `${what}: remote address`);
    assert.equal(p.local.protocol, 'tcp', `${what}: local protocol`);
    // Chromium's active TCP candidate is signalled with port 9; the connection's real local
    // port shows up as a peer-reflexive candidate. Either way not TURN.
    assert.ok(['host', 'prflx'].includes(p.local.candidateType), `${what}: local candidate type (not TURN)`);
    assert.equal(p.local.relayProtocol, undefined, `${what}: no relayProtocol`);
    assert.equal(p.local.address, '10.77.0.2', `${what}: local address`);
  });
}

test('no UDP, TCP only to signaling and 3478: media over TURN/TCP',
     { timeout: 180000 * SLOW }, async () => {
  topo.dropTcpExcept('cli', [daemon.port, TURN_PORT], { udp: false });
  await twoBrowsersCase('turn_tcp', topo, daemon, 'net-turn-tcp', (p, what) => {
    assert.equal(p.local.candidateType, 'relay', `${what}: local candidate type`);
    assert.equal(p.local.relayProtocol, 'tcp', `${what}: relayProtocol`);
    assert.equal(p.remote.address, SRV, `${what}: remote address`);
    assert.equal(p.remote.protocol, 'udp', `${what}: remote protocol (coturn relays over UDP)`);
  });
  assert.match(coturn.log(), /ALLOCATE processed, success/, 'coturn allocated');
});

test('TCP only to signaling and 443: media over TURN/TLS (turns:)',
     { timeout: 180000 * SLOW }, async () => {
  topo.dropTcpExcept('cli', [daemon.port, TURNS_PORT], { udp: false });
  await twoBrowsersCase('turns_tls', topo, daemon, 'net-turns', (p, what) => {
    assert.equal(p.local.candidateType, 'relay', `${what}: local candidate type`);
    assert.equal(p.local.relayProtocol, 'tls', `${what}: relayProtocol`);
    assert.equal(p.remote.address, SRV, `${what}: remote address`);
    assert.equal(p.remote.protocol, 'udp', `${what}: remote protocol (coturn relays over UDP)`);
  });
});

test('no filter: UDP host candidates both ways (UDP preferred over TCP and TURN)',
     { timeout: 180000 * SLOW }, async () => {
  topo.clearFilter('cli');
  await twoBrowsersCase('udp', topo, daemon, 'net-udp', (p, what) => {
    assert.equal(p.local.protocol, 'udp', `${what}: local protocol`);
    assert.equal(p.local.candidateType, 'host', `${what}: local candidate type`);
    assert.equal(p.remote.protocol, 'udp', `${what}: remote protocol`);
    assert.equal(p.remote.candidateType, 'host', `${what}: remote candidate type`);
    assert.equal(p.remote.address, SRV, `${what}: remote address`);
  });
});

test('relay.public_addresses behind a 1:1 NAT: candidates carry the public address',
     { timeout: 200000 * SLOW }, async () => {
  await closeAllBrowsers();
  const nat = natHosts('x');
  await nat.ready();
  let d;
  try {
    // The NAT publishes srv's 10.77.1.1 as 10.77.0.1: the browsers open the public address.
    // The server's own origin check needs its public URL (server.public_url), as it would
    // behind any NAT.
    const port = await pickPort(50);
    d = daemonIn(nat, 'srv', 'network-nat', {
      listen: '10.77.1.1', host: SRV, port,
      extraArgs: ['-o', 'relay.ice_addresses=10.77.1.1', '-o', `relay.public_addresses=10.77.1.1=${SRV}`,
                  '-o', `server.public_url=http://${SRV}:${port}`],
    });
    await d.start();
    await twoBrowsersCase('public_address', nat, d, 'net-nat', (p, what) => {
      assert.equal(p.remote.address, SRV, `${what}: remote (relay) address is the public one`);
      assert.equal(p.remote.candidateType, 'host', `${what}: remote candidate type`);
      assert.equal(p.remote.protocol, 'udp', `${what}: remote protocol`);
    });
    // The same through the NAT over ICE-TCP, with the other form of the key (one PUBLIC
    // address for every ICE address): the passive TCP candidates carry the public address
    // too, and the DNAT'd TCP connection carries the media.
    await d.stop();
    d.extraArgs = d.extraArgs.map((a) => (a.startsWith('relay.public_addresses=')
      ? `relay.public_addresses=${SRV}` : a));
    await d.start();
    nat.dropAllUdp('cli');
    await twoBrowsersCase('public_address_tcp', nat, d, 'net-nat-tcp', (p, what) => {
      assert.equal(p.remote.address, SRV, `${what}: remote (relay) address is the public one`);
      assert.equal(p.remote.candidateType, 'host', `${what}: remote candidate type`);
      assert.equal(p.remote.protocol, 'tcp', `${what}: remote protocol`);
    });
    for (const key of ['public_address', 'public_address_tcp']) {
      for (const [label, p] of Object.entries(paths[key])) {
        for (const dir of ['pub', 'sub']) {
          assert.ok(!p[dir].remoteCandidates.some((c) => c.startsWith('10.77.1.1:')),
                    `${label} ${dir}: the relay's private address is in no candidate: ` +
                    `${p[dir].remoteCandidates.join(' ')}`);
        }
      }
    }
  } finally {
    if (d) { await d.stop(); d.cleanup(); }
    await nat.destroy();
  }
});
