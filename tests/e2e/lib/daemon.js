'use strict';
// Starts and stops a Telebridge daemon for one test.
//
// Each daemon gets its own port and its own temporary var dir, runs from the repository
// root (web_root is relative to the working directory), and has its stdout+stderr copied
// to out/logs/<name>.log. We only ever signal the PID we spawned. With TB_ASAN=1 the
// daemon's output is scanned for sanitizer reports when it stops, and any report fails
// the test (LeakSanitizer only reports on a clean exit, so stop() sends SIGTERM first).
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { REPO, outPath, log, sleep, SLOW } = require('./util.js');

const SANITIZER_RE = /ERROR: AddressSanitizer|runtime error:|LeakSanitizer/;
// The token key test daemons run with (-o auth.secret), so tests mint tokens (lib/token.js).
const TEST_SECRET = 'integration-test-secret-0123456789';
// Options that let anyone join any room with a name and publish: for tests of media, not
// of access.
const ANONYMOUS = ['-o', 'rooms.allow_anonymous=true', '-o', 'rooms.anonymous_role=speaker'];
const READY_RE = /join link: (https?:\/\/\S+)/;

function daemonBinary() {
  if (process.env.TB_BIN) return path.resolve(process.env.TB_BIN);
  const buildDir = process.env.TB_BUILD_DIR || 'build';
  return path.resolve(REPO, buildDir, 'telebridge');
}

function portIsFree(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

// The first free TCP port from TB_PORT_BASE (set per test by run-system.sh) or 18080.
async function pickPort(offset = 0) {
  const base = Number(process.env.TB_PORT_BASE || 18080) + offset;
  for (let p = base; p < base + 200; p++) if (await portIsFree(p)) return p;
  throw new Error(`no free port in ${base}..${base + 199}`);
}

const alive = new Set();
process.on('exit', () => {
  for (const d of alive) { try { process.kill(d.proc.pid, 'SIGKILL'); } catch (_) { /* gone */ } }
});

class Daemon {
  // name: used for the log file; port: fixed port or undefined to pick one;
  // anonymous: every room takes anonymous speakers (ANONYMOUS); listen: the address it
  // listens on (127.0.0.1); host: the address in url/wsUrl (listen); prefix: a command the
  // daemon is run under, e.g. ['ip', 'netns', 'exec', NS] (it must exec the daemon, so that
  // the PID we signal is the daemon's).
  constructor(name, { port, extraArgs = [], anonymous = false, secret = TEST_SECRET,
                      listen = '127.0.0.1', host, prefix = [] } = {}) {
    this.name = name;
    this.port = port;
    this.listen = listen;
    this.host = host || listen;
    this.prefix = prefix;
    this.extraArgs = [...(anonymous ? ANONYMOUS : []), ...extraArgs];
    this.secret = secret;
    this.bin = daemonBinary();
    this.varDir = fs.mkdtempSync(path.join(os.tmpdir(), `tb-var-${name}-`));
    this.logFile = outPath('logs', `${name}.daemon.log`);
    fs.writeFileSync(this.logFile, '');
    this.output = '';     // everything this daemon instance printed (current run)
    this.allOutput = '';  // across restarts
    this.runs = 0;
    this.proc = null;
  }

  get url() { return `http://${this.host}:${this.port}`; }
  get wsUrl() { return `ws://${this.host}:${this.port}/ws`; }

  args() {
    const a = ['serve', '--config', path.join(REPO, 'configs', 'telebridge.ini'),
               '--port', String(this.port), '--listen', this.listen,
               '-o', `server.var_dir=${this.varDir}`,
               '-o', `server.web_root=${path.join(REPO, 'web')}`];
    if (process.env.TB_LOG_LEVEL) a.push('-o', `server.log_level=${process.env.TB_LOG_LEVEL}`);
    if (this.secret) a.push('-o', `auth.secret=${this.secret}`);
    return a.concat(this.extraArgs);
  }

  env() {
    const env = { ...process.env };
    if (process.env.TB_ASAN === '1') {
      env.ASAN_OPTIONS = process.env.ASAN_OPTIONS || 'detect_leaks=1:abort_on_error=0';
      env.UBSAN_OPTIONS = process.env.UBSAN_OPTIONS || 'print_stacktrace=1';
    }
    return env;
  }

  // Starts the daemon and resolves with the join link once it printed one.
  async start({ timeout = 20000 * SLOW } = {}) {
    if (!fs.existsSync(this.bin)) throw new Error(`daemon binary not found: ${this.bin}`);
    if (this.port === undefined) this.port = await pickPort();
    this.runs++;
    this.output = '';
    const args = this.args();
    const header = `\n===== run ${this.runs}: ${[...this.prefix, this.bin].join(' ')} ${args.join(' ')}\n`;
    fs.appendFileSync(this.logFile, header);
    log(`${this.name}: starting daemon on port ${this.port}`);
    const [cmd, ...pre] = [...this.prefix, this.bin];
    const proc = spawn(cmd, [...pre, ...args], { cwd: REPO, env: this.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    alive.add(this);
    const exited = new Promise((resolve) => proc.once('exit', (code, signal) => {
      alive.delete(this);
      fs.appendFileSync(this.logFile, `===== exit code=${code} signal=${signal}\n`);
      resolve({ code, signal });
    }));
    this.exited = exited;
    return await new Promise((resolve, reject) => {
      let done = false;
      const onData = (chunk) => {
        const s = chunk.toString();
        this.output += s;
        this.allOutput += s;
        fs.appendFileSync(this.logFile, s);
        const m = this.output.match(READY_RE);
        if (m && !done) {
          done = true;
          clearTimeout(timer);
          this.joinLink = m[1];
          log(`${this.name}: daemon ready (pid ${proc.pid}): ${m[1]}`);
          resolve(m[1]);
        }
      };
      proc.stdout.on('data', onData);
      proc.stderr.on('data', onData);
      proc.once('error', (e) => { if (!done) { done = true; clearTimeout(timer); reject(e); } });
      exited.then(({ code, signal }) => {
        if (!done) {
          done = true;
          clearTimeout(timer);
          reject(new Error(`daemon exited before it was ready (code=${code} signal=${signal}); ` +
                           `output:\n${this.tail()}`));
        }
      });
      const timer = setTimeout(() => {
        if (done) return;
        done = true;
        this.kill('SIGKILL');
        reject(new Error(`daemon printed no "join link:" line within ${timeout} ms; output:\n${this.tail()}`));
      }, timeout);
    });
  }

  running() { return this.proc !== null && alive.has(this); }

  kill(signal) {
    if (this.running()) { try { process.kill(this.proc.pid, signal); } catch (_) { /* gone */ } }
  }

  // Stops the daemon: `signal` (SIGTERM by default), SIGKILL after `grace` ms.
  // Resolves with { code, signal, cleanExit }. Throws if sanitizers reported anything.
  async stop({ signal = 'SIGTERM', grace = 10000 * SLOW } = {}) {
    if (!this.proc) return { code: null, signal: null, cleanExit: true };
    let res;
    if (this.running()) {
      log(`${this.name}: stopping daemon pid ${this.proc.pid} with ${signal}`);
      this.kill(signal);
      const t = sleep(grace).then(() => null);
      res = await Promise.race([this.exited, t]);
      if (!res) {
        log(`${this.name}: daemon did not exit ${grace} ms after ${signal}: SIGKILL`);
        this.kill('SIGKILL');
        res = await this.exited;
        res.hung = true;
      }
    } else {
      res = await this.exited;
    }
    res.cleanExit = res.code === 0;
    if (signal === 'SIGTERM' && !res.cleanExit) {
      log(`${this.name}: WARNING: daemon did not exit cleanly on SIGTERM (code=${res.code} ` +
          `signal=${res.signal}${res.hung ? ', hung' : ''}); LeakSanitizer cannot report then`);
    }
    this.checkSanitizers();
    return res;
  }

  // Throws with an excerpt if the daemon's output holds a sanitizer report.
  checkSanitizers() {
    const m = this.allOutput.match(SANITIZER_RE);
    if (!m) return;
    const i = Math.max(0, m.index - 200);
    throw new Error(`sanitizer report in ${this.logFile}:\n${this.allOutput.slice(i, i + 4000)}`);
  }

  tail(n = 40) {
    return this.output.split('\n').slice(-n).join('\n');
  }

  cleanup() {
    fs.rmSync(this.varDir, { recursive: true, force: true });
  }
}

module.exports = { Daemon, pickPort, portIsFree, daemonBinary, SANITIZER_RE, TEST_SECRET, ANONYMOUS };
