'use strict';
// bin/ecusim-node.js against the real ecusimd running the demo vehicle.

const assert = require('node:assert/strict');
const { execFile, spawn } = require('node:child_process');
const path = require('node:path');
const { before, after, test } = require('node:test');
const { startEcusimd } = require('./ecusimd');

const CLI = path.resolve(__dirname, '..', 'bin', 'ecusim-node.js');
let daemon;

before(async () => {
  daemon = await startEcusimd({ demo: true });
});

after(async () => {
  assert.equal(await daemon.stop(), 0, daemon.log());
});

/** Runs the CLI; resolves with { code, stdout, stderr }. */
function cli(...args) {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, `--target=${daemon.target}`, ...args], { timeout: 20000 },
             (err, stdout, stderr) => resolve({ code: err ? err.code : 0, stdout, stderr }));
  });
}

test('list prints the demo ECUs', async () => {
  const r = await cli('list');
  assert.equal(r.code, 0, r.stderr);
  const ids = r.stdout.trim().split('\n').map((line) => line.split('\t')[0]);
  for (const id of ['brake', 'gateway', 'infotainment']) assert.ok(ids.includes(id), r.stdout);
});

test('create, duplicate create, delete, delete again', async () => {
  let r = await cli('create', 'cli-ecu', '127.0.0.88');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^created cli-ecu 127\.0\.0\.88 shard \d+$/m);
  assert.match((await cli('list')).stdout, /^cli-ecu\t127\.0\.0\.88\t/m);
  r = await cli('create', 'cli-ecu', '127.0.0.88');
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'ecusim-node: ALREADY_EXISTS: ecu "cli-ecu" already exists\n');
  r = await cli('delete', 'cli-ecu');
  assert.equal(r.code, 0, r.stderr);
  r = await cli('delete', 'cli-ecu');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^ecusim-node: NOT_FOUND: .*cli-ecu/);
});

test('bad usage exits 2', async () => {
  assert.equal((await cli()).code, 2);
  assert.equal((await cli('frobnicate')).code, 2);
  assert.equal((await cli('create', 'only-id')).code, 2);
  assert.equal((await cli('--bogus', 'list')).code, 2);
});

test('watch prints the snapshot, the sync line, live observations; SIGINT ends it with 0', async () => {
  const child = spawn(process.execPath, [CLI, `--target=${daemon.target}`, 'watch', 'ecu.']);
  let out = '';
  let err = '';
  const waiters = new Set();
  child.stdout.on('data', (d) => {
    out += d;
    for (const w of waiters) w();
  });
  child.stderr.on('data', (d) => { err += d; });
  const waitFor = (re) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      waiters.delete(check);
      reject(new Error(`no ${re} in: ${out} ${err}`));
    }, 10000);
    function check() {
      if (!re.test(out)) return;
      clearTimeout(timer);
      waiters.delete(check);
      resolve();
    }
    waiters.add(check);
    check();
  });
  await waitFor(/^-- sync: \d+ snapshot observations above/m);
  assert.match(out, /^\S+ ecu\.created brake ecus\/brake /m);
  await daemon.client.createEcu({ ecu: { id: 'cli-watch', address: '127.0.0.89' } });
  await waitFor(/-- sync[^]*\n\S+ ecu\.created cli-watch ecus\/cli-watch address=127\.0\.0\.89/);
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGINT');
  assert.equal(await exited, 0, err);
  await daemon.client.deleteEcu({ ecu_id: 'cli-watch' });
});
