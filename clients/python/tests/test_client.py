"""The Python client against the real ecusimd.

Run (from the repository root, after building):
  ECUSIMD=build/default/server/ecusimd ECUSIM_PY_STUBS=build/default/python \
    tests/in-netns.sh /usr/bin/python3 -m pytest -q clients/python/tests
"""
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import ecusim  # noqa: E402
import grpc  # noqa: E402
from ecusim.v1 import ecu_pb2  # noqa: E402

ECUSIMD = os.environ.get("ECUSIMD", "")


@pytest.fixture
def runtime_dir():
    with tempfile.TemporaryDirectory(prefix="ecusim-client-") as d:
        old = os.environ.get("XDG_RUNTIME_DIR")
        os.environ["XDG_RUNTIME_DIR"] = d
        yield d
        if old is None:
            del os.environ["XDG_RUNTIME_DIR"]
        else:
            os.environ["XDG_RUNTIME_DIR"] = old


@pytest.fixture
def daemon(runtime_dir):
    # No --advert_dir: ecusimd resolves $XDG_RUNTIME_DIR as the client does.
    p = subprocess.Popen([ECUSIMD, "--grpc=127.0.0.1:50161", "--metrics=127.0.0.1:9561",
                          "--demo=false", "--advertise"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         env=dict(os.environ, XDG_RUNTIME_DIR=runtime_dir))
    yield p
    p.terminate()
    p.wait(timeout=10)


def test_connect_finds_the_advertised_ecusimd(daemon, runtime_dir):
    with ecusim.connect(timeout=10) as sim:
        assert sim.target == "127.0.0.1:50161"
        assert sim.list_ecus() == []
    found = ecusim.discover_local("ecusim")
    assert [s.pid for s in found] == [daemon.pid]
    assert found[0].path.parent == Path(runtime_dir) / "LocalServiceAdvertisements" / "ecusim"


def test_connect_without_ecusimd_times_out(runtime_dir):
    with pytest.raises(TimeoutError):
        ecusim.connect(timeout=0.3)


def test_create_list_delete_and_watch(daemon):
    sim = ecusim.connect(timeout=10)
    seen = []
    ready = threading.Event()

    def watch():
        for o in sim.watch(kinds=["ecu."], snapshot=False, timeout=10):
            seen.append((o.kind, o.ecu_id))
            if o.kind == "ecu.deleted":
                return

    t = threading.Thread(target=watch)
    t.start()
    time.sleep(0.5)  # the watch is open before the changes
    ecu = sim.create_ecu("brake", "127.0.0.11", labels={"role": "chassis"})
    assert ecu.id == "brake" and ecu.labels["role"] == "chassis"
    assert [e.id for e in sim.list_ecus()] == ["brake"]
    with pytest.raises(grpc.RpcError) as e:
        sim.create_ecu("brake", "127.0.0.11")
    assert e.value.code() == grpc.StatusCode.ALREADY_EXISTS
    sim.delete_ecu("brake")
    t.join(timeout=10)
    kinds = [k for k, _ in seen]
    assert "ecu.created" in kinds and "ecu.deleted" in kinds
    assert all(ecu_id == "brake" for _, ecu_id in seen)
    sim.close()


def test_advertisements_round_trip(daemon):
    with ecusim.connect(timeout=10) as sim:
        a = sim.register("rig", "rig.local", "tcp://127.0.0.1:5555", {"bench": "3", "x": None})
        assert list(a.null_properties) == ["x"]
        assert [d.uuid for d in sim.discover("rig.local", {"bench": "3", "x": None})] == [a.uuid]
        local = ecusim.discover_local("rig.local", {"bench": "3"})
        assert [s.uuid for s in local] == [a.uuid] and local[0].properties["x"] is None
        sim.unregister(a.uuid)
        assert sim.discover("rig.local") == []


def test_apply_scenario(daemon):
    with ecusim.connect(timeout=10) as sim:
        scenario = ecu_pb2.Scenario(name="t", ecus=[
            ecu_pb2.ScenarioEcu(ecu=ecu_pb2.Ecu(id="gw", address="127.0.0.10"))])
        assert list(sim.apply_scenario(scenario).created) == ["gw"]
        assert list(sim.apply_scenario(scenario).unchanged) == ["gw"]
