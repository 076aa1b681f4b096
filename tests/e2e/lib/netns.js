'use strict';
// Network namespaces for the browser tests of real network paths (tests/e2e/network.test.js).
//
// A Topology makes named namespaces with `ip netns add` (names carry our PID, so parallel
// runs never meet), joins them with veth pairs, gives each its addresses (10.77.0.0/16,
// never routed anywhere else) and routes, filters each one's outgoing traffic with its own
// nftables table, runs processes inside one (`ip netns exec NS cmd...`, which execs, so the
// PID we get is the program's own), and starts coturn in one. destroy() — also run on
// process exit, so a failed or killed test leaves nothing behind — kills exactly the PIDs
// it started and deletes exactly the namespaces it made. Must run as root; the test itself
// runs inside run-system.sh's `unshare -n` namespace, and none of the namespaces made here
// has a link to it or to the host.
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { log, sleep, poll, outPath } = require('./util.js');

const IP = '/usr/sbin/ip';
const NFT = '/usr/sbin/nft';
const TURNSERVER = process.env.TB_TURNSERVER || '/usr/bin/turnserver';
const CHROMIUM = process.env.TB_CHROMIUM || '/usr/bin/chromium';

const live = new Set();
process.on('exit', () => { for (const t of live) t.destroySync(); });
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => { for (const t of live) t.destroySync(); process.exit(128 + (sig === 'SIGINT' ? 2 : 15)); });
}

function run(cmd, args, { input, timeout = 10000, allowFail = false } = {}) {
  try {
    return execFileSync(cmd, args, { input, timeout, stdio: ['pipe', 'pipe', 'pipe'] }).toString();
  } catch (e) {
    if (allowFail) return null;
    const err = e.stderr ? e.stderr.toString() : '';
    throw new Error(`${cmd} ${args.join(' ')} failed: ${e.message}\n${err}`);
  }
}

let counter = 0;

class Topology {
  // tag: a few letters naming this topology in namespace names (tb<pid><tag><n>-<name>).
  constructor(tag = 't') {
    this.id = `tb${process.pid}${tag}${counter++}`;
    this.namespaces = new Map(); // short name -> full name
    this.procs = new Set();      // child processes started in a namespace
    this.links = [];             // [namespace, interface] of every veth end
    this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), `${this.id}-`));
    this.destroyed = false;
    live.add(this);
  }

  // Full `ip netns` name of the namespace `short` made by addNs.
  ns(short) {
    const n = this.namespaces.get(short);
    if (!n) throw new Error(`no namespace ${short} in ${this.id}`);
    return n;
  }

  // ip ... run inside namespace `short` (`ip -n NS ...`).
  ip(short, ...args) { return run(IP, ['-n', this.ns(short), ...args]); }

  // Runs a program in a namespace synchronously and returns its stdout.
  exec(short, cmd, args = [], opts = {}) {
    return run(IP, ['netns', 'exec', this.ns(short), cmd, ...args], opts);
  }

  addNs(short) {
    const full = `${this.id}-${short}`;
    run(IP, ['netns', 'add', full]);
    this.namespaces.set(short, full);
    // IPv4 only: no IPv6 link-local addresses appearing (DAD) after the links come up,
    // which Chromium would take for a network change (net::ERR_NETWORK_CHANGED).
    this.sysctl(short, 'net.ipv6.conf.all.disable_ipv6', 1);
    this.sysctl(short, 'net.ipv6.conf.default.disable_ipv6', 1);
    this.ip(short, 'link', 'set', 'lo', 'up');
    return full;
  }

  // A veth pair between namespaces a and b, named ifA in a and ifB in b, with the given
  // addresses (CIDR, e.g. 10.77.0.1/24), both ends up.
  link(a, ifA, addrA, b, ifB, addrB) {
    run(IP, ['link', 'add', ifA, 'netns', this.ns(a), 'type', 'veth', 'peer', 'name', ifB,
             'netns', this.ns(b)]);
    for (const [n, i, addr] of [[a, ifA, addrA], [b, ifB, addrB]]) {
      if (addr) this.ip(n, 'addr', 'add', addr, 'dev', i);
      this.ip(n, 'link', 'set', i, 'up');
      this.links.push([n, i]);
    }
  }

  // Resolves once every veth end is operationally up, plus `settle` ms: a browser started
  // while links still change sees net::ERR_NETWORK_CHANGED and loads nothing.
  async ready({ timeout = 10000, settle = 1000 } = {}) {
    await poll(`links up in ${this.id}`, async () => this.links.every(([n, i]) => {
      const j = JSON.parse(this.ip(n, '-j', 'link', 'show', 'dev', i));
      return j[0] && j[0].operstate === 'UP';
    }), { timeout, interval: 100 });
    await sleep(settle);
    return this;
  }

  route(short, dest, via) { this.ip(short, 'route', 'add', dest, 'via', via); }

  sysctl(short, key, value) { this.exec(short, '/usr/sbin/sysctl', ['-qw', `${key}=${value}`]); }

  // Replaces namespace `short`'s filter table (`inet tbnet`) with `body` (nft chain rules).
  nft(short, body) {
    this.clearFilter(short);
    const text = `table inet tbnet {\n${body}\n}\n`;
    fs.writeFileSync(path.join(this.tmp, `nft-${short}.conf`), text);
    this.exec(short, NFT, ['-f', '-'], { input: text });
    log(`netns ${short}: nftables\n${text.trim()}`);
  }

  clearFilter(short) {
    this.exec(short, NFT, ['delete', 'table', 'inet', 'tbnet'], { allowFail: true });
  }

  // Namespace `short` sends no UDP except on its own loopback.
  dropAllUdp(short) {
    this.nft(short, '  chain out {\n    type filter hook output priority 0; policy accept;\n' +
                    '    oifname "lo" accept\n    meta l4proto udp counter drop\n  }');
  }

  // Namespace `short` opens TCP connections only to the given destination ports (outgoing
  // packets to other ports dropped), and with udp: false sends no UDP at all.
  dropTcpExcept(short, ports, { udp = true } = {}) {
    const set = ports.map(Number).join(', ');
    this.nft(short, '  chain out {\n    type filter hook output priority 0; policy accept;\n' +
                    '    oifname "lo" accept\n' +
                    (udp ? '' : '    meta l4proto udp counter drop\n') +
                    `    tcp dport != { ${set} } counter drop\n  }`);
  }

  // The filter's counters, for the test log (what was actually dropped).
  counters(short) {
    return this.exec(short, NFT, ['list', 'table', 'inet', 'tbnet'], { allowFail: true }) || '(no table)';
  }

  // Starts `cmd args` inside namespace `short`; the child is tracked and killed by destroy().
  // The returned ChildProcess has .output (everything it printed) and .exited (a promise).
  spawnIn(short, cmd, args = [], { logName, env = process.env, cwd } = {}) {
    const child = spawn(IP, ['netns', 'exec', this.ns(short), cmd, ...args],
                        { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    child.output = '';
    const logFile = logName ? outPath('logs', `${logName}.log`) : null;
    if (logFile) fs.writeFileSync(logFile, `===== [${short}] ${cmd} ${args.join(' ')}\n`);
    const onData = (d) => {
      child.output += d.toString();
      if (logFile) fs.appendFileSync(logFile, d);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    this.procs.add(child);
    child.exited = new Promise((resolve) => child.once('exit', (code, signal) => {
      this.procs.delete(child);
      resolve({ code, signal });
    }));
    return child;
  }

  // Stops one process we started: SIGTERM, SIGKILL after `grace` ms.
  async stopProc(child, grace = 5000) {
    if (!this.procs.has(child)) return;
    try { process.kill(child.pid, 'SIGTERM'); } catch (_) { /* gone */ }
    const r = await Promise.race([child.exited, sleep(grace).then(() => null)]);
    if (!r) {
      try { process.kill(child.pid, 'SIGKILL'); } catch (_) { /* gone */ }
      await Promise.race([child.exited, sleep(2000)]);
    }
  }

  // An executable that runs Chromium inside namespace `short` (for launchBrowser's
  // executablePath): `ip netns exec` execs, so Playwright's --remote-debugging-pipe
  // descriptors (3 and 4) reach Chromium unchanged.
  chromiumWrapper(short) {
    const file = path.join(this.tmp, `chromium-${short}`);
    fs.writeFileSync(file, `#!/bin/sh\nexec ${IP} netns exec ${this.ns(short)} ${CHROMIUM} "$@"\n`,
                     { mode: 0o755 });
    return file;
  }

  // coturn in namespace `short`, listening on `ip` (UDP+TCP `port`, TLS `tlsPort` with a
  // self-signed certificate for that address), REST-API shared secret auth
  // (use-auth-secret, static-auth-secret), `allowed-peer-ip` for the relay's address.
  // Resolves when its listeners are open. Returns { proc, conf, logFile, stop() }.
  async startCoturn(short, { ip, port = 3478, tlsPort = 443, secret, realm = 'telebridge',
                             allowedPeers = [], minPort = 49152, maxPort = 49352,
                             timeout = 15000 } = {}) {
    const dir = fs.mkdtempSync(path.join(this.tmp, 'coturn-'));
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
                    '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${ip}`,
                    '-addext', `subjectAltName=IP:${ip}`]);
    // Chromium verifies a TURN server's TLS certificate: tests pass this SPKI hash as
    // --ignore-certificate-errors-spki-list (see spki below).
    const spki = run('sh', ['-c', `openssl x509 -in '${cert}' -noout -pubkey | openssl pkey -pubin -outform der | ` +
                              'openssl dgst -sha256 -binary | base64']).trim();
    const logFile = outPath('logs', `${this.id}-coturn.log`);
    fs.writeFileSync(logFile, '');
    const lines = [
      `listening-ip=${ip}`, `relay-ip=${ip}`, `listening-port=${port}`,
      `tls-listening-port=${tlsPort}`, `min-port=${minPort}`, `max-port=${maxPort}`,
      `cert=${cert}`, `pkey=${key}`, 'no-dtls',
      'use-auth-secret', `static-auth-secret=${secret}`, `realm=${realm}`, 'fingerprint',
      'no-cli', 'no-multicast-peers', 'no-software-attribute',
      ...allowedPeers.map((a) => `allowed-peer-ip=${a}`),
      `pidfile=${path.join(dir, 'turnserver.pid')}`, `log-file=${logFile}`, 'simple-log',
      'no-stdout-log', 'verbose',
      // No database: the default SQLite one may not exist or belong to someone else.
      `userdb=${path.join(dir, 'turndb')}`,
    ];
    const conf = path.join(dir, 'turnserver.conf');
    fs.writeFileSync(conf, lines.join('\n') + '\n');
    log(`netns ${short}: coturn config ${conf}:\n  ${lines.join('\n  ')}`);
    const proc = this.spawnIn(short, TURNSERVER, ['-c', conf], { logName: `${this.id}-coturn.out` });
    // coturn 4.6 logs e.g. "IPv4. TLS/TCP listener opened on : 10.77.0.1:3478" (one TCP
    // listener takes plain TURN and TLS) and "IPv4. UDP listener opened on: 10.77.0.1:3478".
    const want = [`TCP listener opened on : ${ip}:${port}`, `UDP listener opened on: ${ip}:${port}`,
                  `TCP listener opened on : ${ip}:${tlsPort}`];
    const text = () => { try { return fs.readFileSync(logFile, 'utf8'); } catch (_) { return ''; } };
    try {
      await poll(`coturn listening on ${ip}:${port}/${tlsPort}`, async () => {
        if (!this.procs.has(proc)) throw new Error(`coturn exited: ${proc.output}\n${text().slice(-2000)}`);
        const t = text();
        return want.every((w) => t.includes(w));
      }, { timeout, interval: 100 });
    } catch (e) {
      await this.stopProc(proc);
      throw new Error(`${e.message}\n--- coturn log tail:\n${text().slice(-3000)}`);
    }
    log(`netns ${short}: coturn ready (pid ${proc.pid}), log ${logFile}`);
    return { proc, conf, logFile, dir, cert, spki, log: text, stop: () => this.stopProc(proc) };
  }

  destroySync() {
    if (this.destroyed) return;
    this.destroyed = true;
    live.delete(this);
    for (const p of this.procs) { try { process.kill(p.pid, 'SIGKILL'); } catch (_) { /* gone */ } }
    for (const full of this.namespaces.values()) run(IP, ['netns', 'del', full], { allowFail: true });
    fs.rmSync(this.tmp, { recursive: true, force: true });
  }

  // Stops every process we started in our namespaces, then deletes the namespaces (their
  // veths go with them).
  async destroy() {
    if (this.destroyed) return;
    await Promise.all([...this.procs].map((p) => this.stopProc(p, 3000)));
    this.destroySync();
    log(`netns ${this.id}: removed`);
  }
}

// srv (10.77.0.1) -- cli (10.77.0.2) on one veth pair. (await t.ready() before use.)
function twoHosts(tag = 'n') {
  const t = new Topology(tag);
  t.addNs('srv');
  t.addNs('cli');
  t.link('srv', 'eth0', '10.77.0.1/24', 'cli', 'eth0', '10.77.0.2/24');
  return t;
}

// cli (10.77.0.2) -- (10.77.0.1) nat (10.77.1.254) -- srv (10.77.1.1): `nat` is a 1:1 NAT
// that publishes srv's private 10.77.1.1 as 10.77.0.1 (DNAT in, SNAT out, UDP and TCP).
// (await t.ready() before use.)
function natHosts(tag = 'x') {
  const t = new Topology(tag);
  t.addNs('srv');
  t.addNs('nat');
  t.addNs('cli');
  t.link('cli', 'eth0', '10.77.0.2/24', 'nat', 'pub0', '10.77.0.1/24');
  t.link('nat', 'priv0', '10.77.1.254/24', 'srv', 'eth0', '10.77.1.1/24');
  t.ip('srv', 'route', 'add', 'default', 'via', '10.77.1.254');
  t.sysctl('nat', 'net.ipv4.ip_forward', 1);
  const text = 'table ip tbnat {\n' +
    '  chain pre {\n    type nat hook prerouting priority dstnat; policy accept;\n' +
    '    iifname "pub0" ip daddr 10.77.0.1 meta l4proto { tcp, udp } counter dnat to 10.77.1.1\n  }\n' +
    '  chain post {\n    type nat hook postrouting priority srcnat; policy accept;\n' +
    '    oifname "pub0" ip saddr 10.77.1.1 meta l4proto { tcp, udp } counter snat to 10.77.0.1\n  }\n' +
    '}\n';
  t.exec('nat', NFT, ['-f', '-'], { input: text });
  log(`netns nat: nftables\n${text.trim()}`);
  return t;
}

module.exports = { Topology, twoHosts, natHosts };
