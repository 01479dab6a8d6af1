"""ecusimctl against a real ecusimd."""
import os
import subprocess

import harness

ECUSIMCTL = os.path.join(os.path.dirname(harness.ECUSIMD), "..", "clients", "ecusimctl",
                         "ecusimctl")


def ctl(d, *args):
    return subprocess.run([ECUSIMCTL, f"--target={d.target}", *args], capture_output=True,
                          text=True, timeout=20)


def test_create_list_get_delete(ecusimd):
    d = ecusimd()
    r = ctl(d, "create", "brake", "127.0.0.2")
    assert r.returncode == 0, r.stderr
    assert ctl(d, "ecus").stdout.split()[0:2] == ["brake", "127.0.0.2"]
    assert "127.0.0.2" in ctl(d, "get", "brake").stdout
    assert ctl(d, "delete", "brake").returncode == 0
    r = ctl(d, "get", "brake")
    assert r.returncode == 1
    assert r.stderr.strip() == 'ecusimctl: NOT_FOUND: ecu "brake" does not exist'


def test_apply_twice_is_unchanged_and_errors_name_the_field(ecusimd, tmp_path):
    d = ecusimd()
    cfg = tmp_path / "car.yaml"
    cfg.write_text("ecus:\n  - ecu: {id: a, address: 127.0.0.2}\n")
    assert "created:   a" in ctl(d, "apply", str(cfg)).stdout
    assert "unchanged: a" in ctl(d, "apply", str(cfg)).stdout
    cfg.write_text("ecus:\n  - ecu: {id: a, adress: 127.0.0.2}\n")
    r = ctl(d, "apply", str(cfg))
    assert r.returncode == 2
    assert "ecus[0].ecu.adress: unknown field" in r.stderr


def test_bad_usage_and_stats(ecusimd):
    d = ecusimd(demo=True)
    assert ctl(d, "frobnicate").returncode == 2
    r = ctl(d, "stats")
    assert r.returncode == 0
    assert "ecus 3" in r.stdout
