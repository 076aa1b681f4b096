'use strict';
// Runs tests/interop/webrtcbin_client.py (GStreamer webrtcbin) as a child process.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { REPO, outPath, log, sleep } = require('./util.js');

const PYTHON = process.env.TB_PYTHON || '/usr/bin/python3'; // Debian's, which has gi
const SCRIPT = path.join(REPO, 'tests', 'interop', 'webrtcbin_client.py');

class GstClient {
  constructor(name, daemon, args) {
    this.name = name;
    this.logFile = outPath('logs', `${name}.webrtcbin.log`);
    this.output = '';
    const argv = [SCRIPT, '--url', daemon.wsUrl, '--name', name, ...args];
    fs.writeFileSync(this.logFile, `${PYTHON} ${argv.join(' ')}\n`);
    log(`${name}: ${PYTHON} ${argv.join(' ')}`);
    this.proc = spawn(PYTHON, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    const onData = (d) => { this.output += d; fs.appendFileSync(this.logFile, d); };
    this.proc.stdout.on('data', onData);
    this.proc.stderr.on('data', onData);
    this.exit = new Promise((resolve) => this.proc.once('exit', (code, signal) => {
      this.exitCode = code;
      fs.appendFileSync(this.logFile, `===== exit code=${code} signal=${signal}\n`);
      resolve({ code, signal });
    }));
  }

  // Resolves with the match once the output matches `re`; rejects at once if the client
  // exits first, or after `timeout` ms.
  async waitFor(re, what, timeout) {
    const t0 = Date.now();
    for (;;) {
      const m = this.output.match(re);
      if (m) return m;
      if (this.exitCode !== undefined) {
        throw new Error(`${this.name} exited (code ${this.exitCode}) before ${what}:\n${this.tail()}`);
      }
      if (Date.now() - t0 > timeout) {
        throw new Error(`${this.name}: no ${what} within ${timeout} ms:\n${this.tail()}`);
      }
      await sleep(100);
    }
  }

  tail(n = 30) { return this.output.split('\n').slice(-n).join('\n'); }

  async stop() {
    if (this.exitCode === undefined) {
      try { process.kill(this.proc.pid, 'SIGTERM'); } catch (_) { /* gone */ }
      const t = setTimeout(() => { try { process.kill(this.proc.pid, 'SIGKILL'); } catch (_) { /* gone */ } }, 5000);
      await this.exit;
      clearTimeout(t);
    }
  }
}

module.exports = { GstClient, PYTHON, SCRIPT };
