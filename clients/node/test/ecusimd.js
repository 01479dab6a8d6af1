'use strict';
// Starts the real ecusimd (path in $ECUSIMD) for the tests. Not a test file itself: the test
// command names test/*.test.js explicitly.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');
const { connect } = require('..');

/**
 * Starts ecusimd on a kernel-chosen loopback port (--grpc=127.0.0.1:0, the port is read from
 * its log) with the Prometheus exporter off and a private advertisement directory (the
 * default one is shared by every ecusimd on the host), and waits until health says SERVING.
 * The demo vehicle binds fixed protocol ports: run test files one at a time
 * (--test-concurrency=1), and outside ctest inside a private network namespace
 * (tests/in-netns.sh).
 */
async function startEcusimd({ demo = true, args = [], timeoutMs = 15000 } = {}) {
  const bin = process.env.ECUSIMD;
  if (!bin) throw new Error('set ECUSIMD to the ecusimd binary (build/default/server/ecusimd)');
  const advertDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ecusim-node-test-'));
  const proc = spawn(bin, ['--grpc=127.0.0.1:0', '--metrics=', `--demo=${demo}`,
                           `--advert_dir=${advertDir}`, ...args],
                     { stdio: ['ignore', 'ignore', 'pipe'] });
  proc.once('exit', () => fs.rmSync(advertDir, { recursive: true, force: true }));
  let log = '';
  proc.stderr.setEncoding('utf8');
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ecusimd reported no port: ${log}`)), timeoutMs);
    proc.stderr.on('data', (chunk) => {
      log += chunk;
      const m = /control API on port (\d+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    proc.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`ecusimd exited (${code ?? signal}): ${log}`));
    });
  });
  const exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal)));
  const target = `127.0.0.1:${port}`;
  const client = connect(target, { timeoutMs: 5000 });

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let status = 'UNREACHABLE';
    try {
      status = await client.health('', { timeoutMs: 1000 });
    } catch (err) {
      status = err.code || err.message;
    }
    if (status === 'SERVING') break;
    if (proc.exitCode !== null || Date.now() > deadline) {
      client.close();
      proc.kill('SIGKILL');
      throw new Error(`ecusimd not SERVING (last: ${status}): ${log}`);
    }
    await sleep(50);
  }

  return {
    target,
    client,
    advertDir,
    log: () => log,
    /** SIGTERM, then SIGKILL after 5 s; resolves with the exit code or signal. */
    async stop() {
      client.close();
      if (proc.exitCode !== null || proc.signalCode !== null) return exited;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

module.exports = { startEcusimd };
