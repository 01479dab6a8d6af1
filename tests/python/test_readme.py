"""The README's examples run as written against a real ecusimd."""
import os
import re
import subprocess

import harness


def readme_blocks():
    text = open(os.path.join(harness.SOURCE_DIR, "README.md")).read()
    return re.findall(r"^(/usr/bin/python3 - <<'EOF'\n.*?\nEOF)$", text, re.S | re.M)


def run_block(ecusimd, marker):
    """Runs the README's Python block containing `marker` against the demo vehicle."""
    blocks = [b for b in readme_blocks() if marker in b]
    assert blocks, f"README lost its example with {marker!r}"
    ecusimd(demo=True, grpc_port=50051)
    # The README names the default preset's stubs; use this build's (asan, debug...).
    script = blocks[0].replace("build/default/python", os.environ["ECUSIM_PY_STUBS"])
    r = subprocess.run(["sh", "-c", script], cwd=harness.SOURCE_DIR, capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_talking_to_it_example(ecusimd):
    out = run_block(ecusimd, "EcuServiceStub(channel)")
    assert "door-left" in out
    assert 'INVALID_ARGUMENT ecu.id "Door!"' in out
    assert "snapshot: ecu.created gateway" in out
    assert "live: ecu.deleted" in out


def test_someip_example(ecusimd):
    out = run_block(ecusimd, "SomeIpServiceStub")
    assert "ecus/brake/someip/4660.1" in out
    assert "0x80 0 b'ping'" in out


def test_doip_example(ecusimd):
    out = run_block(ecusimd, "routing activation")
    assert out.splitlines() == ["0x6 0x10", "0x8002", "0x8001 62 f1 8c 45 4e 47 30 30 31"]
