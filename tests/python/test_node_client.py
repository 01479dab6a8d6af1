"""The Node.js client (clients/node) against the real ecusimd, with Node's own test runner.

The npm dependencies are installed at build time (target ecusim_node_client_deps) because this
test runs in a network namespace without registry access; without node_modules it tries
`npm ci` once (works where the registry is reachable) and fails with a clear message.
"""
import glob
import os
import shutil
import subprocess

import harness

NODE_DIR = os.path.join(harness.SOURCE_DIR, "clients", "node")


def ensure_node_modules():
    if os.path.isdir(os.path.join(NODE_DIR, "node_modules", "@grpc", "grpc-js")):
        return
    npm = shutil.which("npm")
    assert npm, "npm not on PATH: run deploy/install-deps.sh"
    r = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=NODE_DIR,
                       capture_output=True, text=True, timeout=240)
    assert r.returncode == 0, ("npm ci failed (offline? build target ecusim_node_client_deps "
                               f"first):\n{r.stdout}\n{r.stderr}")


def test_node_client():
    node = shutil.which("node")
    assert node, "node not on PATH: run deploy/install-deps.sh"
    ensure_node_modules()
    tests = sorted(glob.glob(os.path.join(NODE_DIR, "test", "*.test.js")))
    assert len(tests) >= 2, tests
    env = dict(os.environ, ECUSIMD=os.path.abspath(harness.ECUSIMD),
               ECUSIM_PROTO_DIR=os.path.join(harness.SOURCE_DIR, "proto"))
    # One file at a time: each starts an ecusimd with the demo vehicle on fixed protocol ports.
    r = subprocess.run([node, "--test", "--test-concurrency=1", "--test-reporter=tap", *tests],
                       cwd=NODE_DIR, env=env, capture_output=True, text=True, timeout=240)
    print(r.stdout)
    print(r.stderr)
    assert r.returncode == 0, f"node --test failed:\n{r.stdout}\n{r.stderr}"
    summary = dict(line[2:].split(" ", 1) for line in r.stdout.splitlines()
                   if line.startswith("# ") and line.count(" ") == 2)
    assert summary.get("fail") == "0", r.stdout
    assert int(summary.get("pass", "0")) >= 10, r.stdout
