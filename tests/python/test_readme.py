"""The README's examples run as written against a real ecusimd."""
import os
import re
import subprocess

import harness


def readme_blocks():
    text = open(os.path.join(harness.SOURCE_DIR, "README.md")).read()
    return re.findall(r"^(/usr/bin/python3 - <<'EOF'\n.*?\nEOF)$", text, re.S | re.M)


def test_talking_to_it_example(ecusimd):
    blocks = readme_blocks()
    assert blocks, "README lost its Python example"
    ecusimd(demo=True, grpc_port=50051)
    # The README names the default preset's stubs; use this build's (asan, debug...).
    script = blocks[0].replace("build/default/python", os.environ["ECUSIM_PY_STUBS"])
    r = subprocess.run(["sh", "-c", script], cwd=harness.SOURCE_DIR, capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert "door-left" in r.stdout
    assert 'INVALID_ARGUMENT ecu.id "Door!"' in r.stdout
    assert "snapshot: ecu.created gateway" in r.stdout
    assert "live: ecu.deleted" in r.stdout


def test_someip_example(ecusimd):
    blocks = [b for b in readme_blocks() if "SomeIpServiceStub" in b]
    assert blocks, "README lost its SOME/IP example"
    ecusimd(demo=True, grpc_port=50051)
    script = blocks[0].replace("build/default/python", os.environ["ECUSIM_PY_STUBS"])
    r = subprocess.run(["sh", "-c", script], cwd=harness.SOURCE_DIR, capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert "ecus/brake/someip/4660.1" in r.stdout
    assert "0x80 0 b'ping'" in r.stdout


def test_doip_example(ecusimd):
    blocks = [b for b in readme_blocks() if "routing activation" in b]
    assert blocks, "README lost its DoIP example"
    ecusimd(demo=True, grpc_port=50051)
    r = subprocess.run(["sh", "-c", blocks[0]], cwd=harness.SOURCE_DIR, capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["0x6 0x10", "0x8002", "0x8001 62 f1 8c 45 4e 47 30 30 31"]
