'use strict';
// README.md's example runs as written and prints what the README says.

const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { before, after, test } = require('node:test');
const { startEcusimd } = require('./ecusimd');

const README = fs.readFileSync(path.resolve(__dirname, '..', 'README.md'), 'utf8');
let daemon;

before(async () => {
  daemon = await startEcusimd({ demo: true });
});

after(async () => {
  assert.equal(await daemon.stop(), 0, daemon.log());
});

test('the README example prints the documented output', async () => {
  const script = /^```sh\n(node - <<'EOF'\n[^]*?\nEOF)\n```$/m.exec(README);
  assert.ok(script, 'README lost its example');
  const expected = /^prints\n\n```\n([^]*?)```$/m.exec(README);
  assert.ok(expected, 'README lost the example output');
  const env = { ...process.env, ECUSIM_TARGET: daemon.target };
  const { stdout } = await new Promise((resolve, reject) => {
    execFile('sh', ['-c', script[1]], { cwd: path.resolve(__dirname, '..'), env, timeout: 30000 },
             (err, out, errOut) => (err ? reject(new Error(`${err.message}\n${errOut}`))
                                        : resolve({ stdout: out })));
  });
  assert.equal(stdout, expected[1]);
});
