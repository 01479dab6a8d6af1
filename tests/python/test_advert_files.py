"""Local service advertisements against the real ecusimd, checked with an independent reader.

The reader below is written from the documented bpod-core file format (docs/advert.md,
shared/reference/platform.md section 4) with the standard library only: it does not share
code with ecusim, so it catches a format drift that ecusim's own parser would not.
"""

import fcntl
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid as uuidlib
from pathlib import Path

import grpc
import pytest

sys.path.insert(0, os.environ.get("ECUSIM_PY_STUBS", ""))
from ecusim.v1 import advertisement_pb2 as adv  # noqa: E402
from ecusim.v1 import advertisement_pb2_grpc as adv_grpc  # noqa: E402
from ecusim.v1 import observe_pb2 as obs  # noqa: E402
from ecusim.v1 import observe_pb2_grpc as obs_grpc  # noqa: E402

from harness import Ecusimd  # noqa: E402

KEYS = ["service_name", "service_type", "address", "pid", "uuid", "properties"]


# ---------------------------------------------------------------- the independent reader
def sanitize(service_type):
    return re.sub(r"[^a-zA-Z0-9_]", "_", service_type)


def pid_exists(pid):
    if pid < 0:
        return False
    if pid == 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def discover(root, service_type, properties=None):
    """bpod-core's LocalServiceAdvertisement.discover, from the documented format."""
    properties = properties or {}
    type_dir = Path(root) / sanitize(service_type)
    if not type_dir.exists():
        return []
    found = []
    for path in sorted(type_dir.glob("*.json")):
        lock = os.open(path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                info = json.loads(path.read_bytes())
            except (OSError, ValueError):
                continue
            if not isinstance(info, dict) or any(k not in info for k in KEYS):
                continue
            if not pid_exists(info["pid"]):
                path.unlink(missing_ok=True)
                continue
            if all(info["properties"].get(k) == v for k, v in properties.items()):
                found.append((path, info))
        finally:
            os.close(lock)
    return found


def advertise_as_bpod(root, name, service_type, address, properties, pid=None):
    """Writes a file the way bpod-core's LocalServiceAdvertisement.__init__ does."""
    uid = uuidlib.uuid4()
    info = {"service_name": name, "service_type": service_type, "address": address,
            "pid": os.getpid() if pid is None else pid, "uuid": str(uid),
            "properties": properties}
    path = Path(root) / sanitize(service_type) / f"{uid.hex}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(json.dumps(info, separators=(",", ":"), ensure_ascii=False).encode())
    tmp.replace(path)
    return path, uid


def dead_pid():
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


# ---------------------------------------------------------------- fixtures
@pytest.fixture
def root():
    with tempfile.TemporaryDirectory(prefix="ecusim-advert-") as d:
        yield os.path.join(d, "LocalServiceAdvertisements")


_ports = iter(range(50100, 50200, 2))


def start(root, *extra, advertise=True, demo=True):
    """An ecusimd on fresh ports (several may run in one test) using `root`."""
    port = next(_ports)
    args = [f"--advert_dir={root}"] + (["--advertise"] if advertise else []) + list(extra)
    d = Ecusimd(*args, grpc_port=port, metrics_port=port + 1, demo=demo)
    d.pid = d.proc.pid
    return d


@pytest.fixture
def daemon(root):
    d = start(root)
    yield d
    d.stop()


def stubs(d):
    return adv_grpc.AdvertisementServiceStub(d.channel), obs_grpc.ObserveServiceStub(d.channel)


def wait_for(pred, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.05)
    return pred()


# ---------------------------------------------------------------- tests
def test_reader_finds_what_ecusimd_registered_byte_exact(daemon, root):
    svc, _ = stubs(daemon)
    a = svc.Register(adv.RegisterRequest(advertisement=adv.Advertisement(
        service_name="bench rig", service_type="rig.local", address="tcp://127.0.0.1:5555",
        properties={"bench": "3", "caf\u00e9": "cr\u00e8me"}, null_properties=["spare"])))
    assert a.pid == daemon.pid
    found = discover(root, "rig.local", {"bench": "3", "spare": None, "missing": None})
    assert len(found) == 1
    path, info = found[0]
    assert str(path) == a.path
    assert path.name == uuidlib.UUID(a.uuid).hex + ".json"
    assert path.parent.name == "rig_local"
    assert list(info.keys()) == KEYS
    assert info["uuid"] == str(uuidlib.UUID(a.uuid))  # hyphenated
    assert info["service_type"] == "rig.local"  # unsanitized in the file
    assert info["pid"] == daemon.pid
    assert info["properties"] == {"bench": "3", "caf\u00e9": "cr\u00e8me", "spare": None}
    # Compact, raw UTF-8: what msgspec.json.encode writes.
    assert path.read_bytes() == json.dumps(info, separators=(",", ":"),
                                           ensure_ascii=False).encode()
    assert not list(path.parent.glob("*.tmp"))
    assert discover(root, "rig.local", {"bench": "4"}) == []


def test_ecusimd_advertises_its_control_endpoint(daemon, root):
    found = wait_for(lambda: discover(root, "ecusim"))
    assert len(found) == 1
    _, info = found[0]
    assert info["address"] == f"grpc://127.0.0.1:{daemon.grpc_port}"
    assert info["pid"] == daemon.pid
    assert info["properties"]["version"]
    ecus = info["properties"]["ecus"].split(",")
    assert ecus == sorted(ecus) and len(ecus) == int(info["properties"]["ecu_count"])
    # The advertised address is the real control endpoint.
    chan = grpc.insecure_channel(info["address"].removeprefix("grpc://"))
    listed = adv_grpc.AdvertisementServiceStub(chan).List(adv.ListAdvertisementsRequest())
    assert listed.root == root and listed.root_source == "--advert_dir"
    assert info["uuid"] in [x.uuid for x in listed.advertisements]


def test_discover_finds_a_file_python_wrote(daemon, root):
    svc, _ = stubs(daemon)
    path, uid = advertise_as_bpod(root, "Bpod 3", "bpod", "ipc://@REQ_REP_x",
                                  {"serial": "42", "opt": None})
    r = svc.Discover(adv.DiscoverRequest(service_type="bpod", properties={"serial": "42"}))
    assert [x.uuid for x in r.advertisements] == [str(uid)]
    got = r.advertisements[0]
    assert got.pid == os.getpid() and got.path == str(path) and got.service_name == "Bpod 3"
    assert dict(got.properties) == {"serial": "42"} and list(got.null_properties) == ["opt"]
    assert got.ecu_id == ""
    # bpod-core's None filter: null or absent both match, a value does not.
    r = svc.Discover(adv.DiscoverRequest(service_type="bpod", absent_properties=["opt", "x"]))
    assert len(r.advertisements) == 1
    r = svc.Discover(adv.DiscoverRequest(service_type="bpod", absent_properties=["serial"]))
    assert len(r.advertisements) == 0
    assert len(svc.Discover(adv.DiscoverRequest(service_type="bpod",
                                            properties={"serial": "7"})).advertisements) == 0


def test_discover_removes_stale_and_skips_corrupt(daemon, root):
    svc, _ = stubs(daemon)
    stale, _ = advertise_as_bpod(root, "gone", "bpod", "tcp://127.0.0.1:1", {}, pid=dead_pid())
    corrupt = Path(root) / "bpod" / "0123456789abcdef0123456789abcdef.json"
    corrupt.write_bytes(b'{"service_name": "half')
    live, _ = advertise_as_bpod(root, "live", "bpod", "tcp://127.0.0.1:2", {})
    r = svc.Discover(adv.DiscoverRequest(service_type="bpod"))
    assert [x.service_name for x in r.advertisements] == ["live"]
    assert not stale.exists()  # removed: its pid is dead
    assert corrupt.exists()  # skipped, never deleted
    assert live.exists()
    assert r.corrupt_skipped == 1
    assert daemon.metric_value("ecusim_advert_corrupt_skipped_total") >= 1
    # The watcher may have removed the stale file first; either way it is counted.
    assert daemon.metric_value("ecusim_advert_stale_removed_total") == 1


def test_discover_does_not_hang_on_a_held_lock(daemon, root):
    svc, _ = stubs(daemon)
    path, _ = advertise_as_bpod(root, "held", "bpod", "tcp://127.0.0.1:3", {})
    lock = os.open(path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        t0 = time.monotonic()
        r = svc.Discover(adv.DiscoverRequest(service_type="bpod"), timeout=10)
        assert time.monotonic() - t0 < 3
        assert r.lock_timeouts == 1 and len(r.advertisements) == 0
    finally:
        os.close(lock)
    r = svc.Discover(adv.DiscoverRequest(service_type="bpod"))
    assert len(r.advertisements) == 1


def test_unregister_removes_file_and_prunes(daemon, root):
    svc, _ = stubs(daemon)
    a = svc.Register(adv.RegisterRequest(advertisement=adv.Advertisement(
        service_name="x", service_type="solo.type", address="tcp://127.0.0.1:9")))
    assert Path(a.path).exists()
    svc.Unregister(adv.UnregisterRequest(uuid=a.uuid))
    assert not Path(a.path).exists()
    assert not (Path(root) / "solo_type").exists()  # empty type directory pruned
    with pytest.raises(grpc.RpcError) as e:
        svc.Unregister(adv.UnregisterRequest(uuid=a.uuid))
    assert e.value.code() == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize("field,advert", [
    ("service_name", dict(service_name="", service_type="t", address="tcp://h:1")),
    ("service_type", dict(service_name="n", service_type="", address="tcp://h:1")),
    ("service_type", dict(service_name="n", service_type="...", address="tcp://h:1")),
    ("address", dict(service_name="n", service_type="t", address="127.0.0.1:5555")),
    ("properties", dict(service_name="n", service_type="t", address="tcp://h:1",
                        properties={f"k{i}": "v" for i in range(65)})),
    ("properties", dict(service_name="n", service_type="t", address="tcp://h:1",
                        properties={"big": "x" * 4097})),
    ("uuid", dict(service_name="n", service_type="t", address="tcp://h:1", uuid="nope")),
])
def test_register_rejects_bad_input_naming_the_field(daemon, root, field, advert):
    svc, _ = stubs(daemon)
    with pytest.raises(grpc.RpcError) as e:
        svc.Register(adv.RegisterRequest(advertisement=adv.Advertisement(**advert)))
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in e.value.details()


def test_unwritable_directory_is_failed_precondition_with_path():
    with tempfile.TemporaryDirectory(prefix="ecusim-advert-") as d:
        blocker = os.path.join(d, "blocker")
        Path(blocker).write_text("a file where a directory should be")
        bad_root = os.path.join(blocker, "LocalServiceAdvertisements")
        daemon = start(bad_root, advertise=False, demo=False)
        try:
            svc, _ = stubs(daemon)
            with pytest.raises(grpc.RpcError) as e:
                svc.Register(adv.RegisterRequest(advertisement=adv.Advertisement(
                    service_name="n", service_type="t", address="tcp://h:1")))
            assert e.value.code() == grpc.StatusCode.FAILED_PRECONDITION
            assert bad_root in e.value.details()
        finally:
            daemon.stop()


def test_sigterm_removes_the_files(root):
    d = start(root)
    svc, _ = stubs(d)
    a = svc.Register(adv.RegisterRequest(advertisement=adv.Advertisement(
        service_name="x", service_type="bpod", address="tcp://127.0.0.1:9")))
    assert wait_for(lambda: discover(root, "ecusim"))
    code, took = d.stop(signal.SIGTERM)
    assert code == 0 and took < 2.5
    assert not Path(a.path).exists()
    assert discover(root, "ecusim") == [] and discover(root, "bpod") == []
    assert not Path(root).exists()  # everything pruned, root included


def test_sigkill_leaves_files_that_the_next_discovery_cleans(root):
    victim = start(root)
    svc, _ = stubs(victim)
    a = svc.Register(adv.RegisterRequest(advertisement=adv.Advertisement(
        service_name="x", service_type="bpod", address="tcp://127.0.0.1:9")))
    self_ad = wait_for(lambda: discover(root, "ecusim"))[0][0]
    victim.stop(signal.SIGKILL)
    assert Path(a.path).exists() and self_ad.exists()  # nobody removed them

    # The next discovery by another ecusimd removes them.
    other = start(root, advertise=False, demo=False)
    try:
        svc2, _ = stubs(other)
        r = svc2.Discover(adv.DiscoverRequest(service_type="bpod"))
        assert len(r.advertisements) == 0
        assert not Path(a.path).exists()
        r = svc2.Discover(adv.DiscoverRequest(service_type="ecusim"))
        assert len(r.advertisements) == 0
        assert not self_ad.exists()
    finally:
        other.stop()


def test_sigkill_files_cleaned_by_a_python_reader(root):
    victim = start(root)
    path = wait_for(lambda: discover(root, "ecusim"))[0][0]
    victim.stop(signal.SIGKILL)
    assert path.exists()
    assert discover(root, "ecusim") == []
    assert not path.exists()


def test_watch_sees_other_programs_files_appear_and_disappear(daemon, root):
    _, observe = stubs(daemon)
    call = observe.Watch(obs.WatchRequest(kind_prefixes=["advert."]), timeout=20)
    events = []
    synced = threading.Event()

    def read():
        try:
            for item in call:
                if item.HasField("sync"):
                    synced.set()
                elif item.HasField("observation"):
                    events.append(item.observation)
        except grpc.RpcError:
            pass

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert synced.wait(5)
    path, uid = advertise_as_bpod(root, "watched", "bpod", "tcp://127.0.0.1:4", {"k": "v"})
    added = wait_for(lambda: [e for e in events if e.kind == "advert.added"
                              and e.attributes.get("service_name") == "watched"], 3)
    assert added, [e.kind for e in events]
    assert added[0].resource == f"advertisements/{uid}"
    assert added[0].attributes["owned"] == "false"
    assert added[0].attributes["properties.k"] == "v"
    path.unlink()
    removed = wait_for(lambda: [e for e in events if e.kind == "advert.removed"
                                and e.attributes.get("service_name") == "watched"], 3)
    assert removed
    call.cancel()


def test_scenario_advertisements_are_idempotent_and_follow_the_ecu(root):
    from ecusim.v1 import ecu_pb2, ecu_pb2_grpc

    d = start(root, advertise=False, demo=False)
    try:
        ecus = ecu_pb2_grpc.EcuServiceStub(d.channel)
        svc, _ = stubs(d)

        def scenario(props):
            return ecu_pb2.Scenario(name="t", ecus=[ecu_pb2.ScenarioEcu(
                ecu=ecu_pb2.Ecu(id="brake", address="127.0.0.11"),
                advertisements=[adv.Advertisement(
                    service_name="{ecu_id} doip", service_type="ecusim.doip",
                    address="doip://{ecu_address}:13400", properties=props)])])

        r = ecus.ApplyScenario(ecu_pb2.ApplyScenarioRequest(scenario=scenario({"p": "1"})))
        assert list(r.created) == ["brake"]
        found = discover(root, "ecusim.doip")
        assert len(found) == 1
        path, info = found[0]
        assert info["service_name"] == "brake doip"
        assert info["address"] == "doip://127.0.0.11:13400"
        assert info["properties"] == {"ecu_id": "brake", "p": "1"}
        assert [a.ecu_id for a in svc.List(adv.ListAdvertisementsRequest()).advertisements] == [
            "brake"]

        # The same scenario again changes nothing: same file, same uuid.
        r = ecus.ApplyScenario(ecu_pb2.ApplyScenarioRequest(scenario=scenario({"p": "1"})))
        assert list(r.unchanged) == ["brake"]
        assert [p for p, _ in discover(root, "ecusim.doip")] == [path]

        # A changed advertisement replaces the old one.
        r = ecus.ApplyScenario(ecu_pb2.ApplyScenarioRequest(scenario=scenario({"p": "2"})))
        assert list(r.updated) == ["brake"]
        found = discover(root, "ecusim.doip")
        assert len(found) == 1 and found[0][1]["properties"]["p"] == "2"
        assert not path.exists()

        # Bad input in the scenario names the entry and field.
        bad = scenario({"p": "1"})
        bad.ecus[0].advertisements[0].address = "not a uri"
        with pytest.raises(grpc.RpcError) as e:
            ecus.ApplyScenario(ecu_pb2.ApplyScenarioRequest(scenario=bad))
        assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "ecus[0].advertisements[0].address" in e.value.details()

        # Deleting the ECU withdraws its advertisements.
        ecus.DeleteEcu(ecu_pb2.DeleteEcuRequest(ecu_id="brake"))
        assert wait_for(lambda: discover(root, "ecusim.doip") == [])
        assert len(svc.List(adv.ListAdvertisementsRequest()).advertisements) == 0
    finally:
        d.stop()
