"""The real ecusimd binary as a subprocess: health, reflection, metrics, config, signals."""
import signal
import socket
import subprocess

import grpc
import pytest

import harness
import reflection_pb2
import reflection_pb2_grpc
from ecusim.v1 import ecu_pb2, ecu_pb2_grpc, observe_pb2, observe_pb2_grpc

ALL_SERVICES = {
    "ecusim.v1.EcuService", "ecusim.v1.ObserveService", "ecusim.v1.SomeIpService",
    "ecusim.v1.DoipService", "ecusim.v1.DigitalObjectService", "ecusim.v1.AdvertisementService",
}


def run_ecusimd(*args, timeout=10):
    return subprocess.run([harness.ECUSIMD, "--grpc=127.0.0.1:50071",
                           "--metrics=127.0.0.1:9471", *args],
                          capture_output=True, text=True, timeout=timeout)


def test_health_is_serving_and_demo_vehicle_runs(ecusimd):
    d = ecusimd(demo=True)
    ecus = d.stub(ecu_pb2_grpc.EcuServiceStub).ListEcus(ecu_pb2.ListEcusRequest())
    ids = [e.id for e in ecus.ecus]
    assert {"gateway", "brake"} <= set(ids)
    assert all(e.address.startswith("127.0.0.") for e in ecus.ecus)


def test_reflection_lists_every_ecusim_service(ecusimd):
    d = ecusimd()
    stub = reflection_pb2_grpc.ServerReflectionStub(d.channel)
    replies = stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(
        list_services="")]))
    names = {s.name for r in replies for s in r.list_services_response.service}
    assert ALL_SERVICES <= names
    assert "grpc.health.v1.Health" in names


def test_metrics_has_build_info_ecus_and_counts_requests(ecusimd):
    d = ecusimd()
    stub = d.stub(ecu_pb2_grpc.EcuServiceStub)
    stub.CreateEcu(ecu_pb2.CreateEcuRequest(ecu=ecu_pb2.Ecu(id="brake", address="127.0.0.2")))
    with pytest.raises(grpc.RpcError) as e:
        stub.CreateEcu(ecu_pb2.CreateEcuRequest(ecu=ecu_pb2.Ecu(id="brake",
                                                                address="127.0.0.2")))
    assert e.value.code() == grpc.StatusCode.ALREADY_EXISTS
    text = d.metrics()
    assert 'ecusim_build_info{commit="' in text
    assert d.metric_value("ecusim_build_info") == 1
    assert d.metric_value("ecusim_ecus") == 1
    assert d.metric_value("ecusim_grpc_requests_total", service="ecusim.v1.EcuService",
                          method="CreateEcu", code="OK") == 1
    assert d.metric_value("ecusim_grpc_requests_total", service="ecusim.v1.EcuService",
                          method="CreateEcu", code="ALREADY_EXISTS") == 1
    assert d.metric_value("ecusim_observations_dropped_total") == 0


def test_sigterm_exits_zero_within_two_seconds(ecusimd):
    d = ecusimd(demo=True)
    code, took = d.stop(signal.SIGTERM)
    assert code == 0
    assert took < 2.0


def test_sigint_exits_zero(ecusimd):
    d = ecusimd()
    code, took = d.stop(signal.SIGINT)
    assert code == 0
    assert took < 2.0


def test_config_file_is_applied(ecusimd, tmp_path):
    cfg = tmp_path / "vehicle.yaml"
    cfg.write_text("name: t\necus:\n  - ecu: {id: door, address: 127.0.0.7}\n")
    d = ecusimd(f"--config={cfg}")
    got = d.stub(ecu_pb2_grpc.EcuServiceStub).GetEcu(ecu_pb2.GetEcuRequest(ecu_id="door"))
    assert got.address == "127.0.0.7"


def test_json_config_file_is_applied(ecusimd, tmp_path):
    cfg = tmp_path / "vehicle.json"
    cfg.write_text('{"ecus": [{"ecu": {"id": "door", "address": "127.0.0.7"}}]}')
    d = ecusimd(f"--config={cfg}")
    ecus = d.stub(ecu_pb2_grpc.EcuServiceStub).ListEcus(ecu_pb2.ListEcusRequest()).ecus
    assert [e.id for e in ecus] == ["door"]


@pytest.mark.parametrize("text,expect", [
    ("ecus:\n  - ecu: {id: a, adress: 127.0.0.2}\n", "ecus[0].ecu.adress: unknown field"),
    ("ecus:\n  - ecu: {id: a, address: 127.0.0.2, shard: many}\n", '"many" is not an integer'),
    ("ecus:\n  - ecu: {id: A!, address: 127.0.0.2}\n", 'ecus[0]: ecu.id "A!" is invalid'),
    ("ecus: [\n", "not YAML or JSON"),
])
def test_bad_config_exits_2_naming_file_and_field(tmp_path, text, expect):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(text)
    r = run_ecusimd(f"--config={cfg}")
    assert r.returncode == 2, r.stderr
    assert expect in r.stderr
    assert str(cfg) in r.stderr or "ecus[0]" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_check_config(tmp_path):
    cfg = tmp_path / "good.yaml"
    cfg.write_text("ecus:\n  - ecu: {id: a, address: 127.0.0.2}\n")
    r = run_ecusimd(f"--config={cfg}", "--check_config")
    assert r.returncode == 0, r.stderr
    assert "valid, 1 ECUs" in r.stdout


def test_missing_config_exits_2():
    r = run_ecusimd("--config=/nonexistent.yaml")
    assert r.returncode == 2
    assert "/nonexistent.yaml" in r.stderr


def test_port_in_use_is_a_one_line_error_and_exit_1():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 50071))
        busy.listen()
        r = run_ecusimd("--demo=false")
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == [
        "ecusimd: --grpc: cannot listen on 127.0.0.1:50071 "
        "(address in use or not an address of this host)"]
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 9471))
        busy.listen()
        r = run_ecusimd("--demo=false")
    assert r.returncode == 1
    assert len(r.stderr.strip().splitlines()) == 1
    assert "--metrics: cannot listen on 127.0.0.1:9471" in r.stderr


def test_help_describes_the_flags():
    r = subprocess.run([harness.ECUSIMD, "--help"], capture_output=True, text=True)
    for flag in ["--grpc", "--metrics", "--config", "--shards", "--log_level", "--demo"]:
        assert flag in r.stdout + r.stderr


def test_print_demo_scenario_is_a_valid_config(tmp_path):
    r = subprocess.run([harness.ECUSIMD, "--print_demo_scenario"], capture_output=True,
                       text=True)
    assert r.returncode == 0
    cfg = tmp_path / "demo.yaml"
    cfg.write_text(r.stdout)
    check = run_ecusimd(f"--config={cfg}", "--check_config")
    assert check.returncode == 0, check.stderr


def test_watch_streams_snapshot_sync_and_changes(ecusimd):
    d = ecusimd(demo=True)
    stream = d.stub(observe_pb2_grpc.ObserveServiceStub).Watch(
        observe_pb2.WatchRequest(kind_prefixes=["ecu."]), timeout=10)
    snapshot = []
    for msg in stream:
        if msg.HasField("sync"):
            break
        snapshot.append(msg.observation.ecu_id)
    assert {"gateway", "brake"} <= set(snapshot)
    d.stub(ecu_pb2_grpc.EcuServiceStub).DeleteEcu(ecu_pb2.DeleteEcuRequest(ecu_id="brake"))
    msg = next(stream)
    assert msg.observation.kind == "ecu.deleted"
    assert msg.observation.ecu_id == "brake"
    stream.cancel()
