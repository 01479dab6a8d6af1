"""The doip part of a scenario: applied idempotently, validated with field paths."""
import socket
import struct

import grpc
import pytest

import harness  # noqa: F401
from ecusim.v1 import doip_pb2, ecu_pb2, ecu_pb2_grpc

ADDRESS = "127.0.0.40"


def scenario(vin="ECUSIMSCEN0000001", logical_address=0x2000):
    return ecu_pb2.Scenario(name="t", ecus=[ecu_pb2.ScenarioEcu(
        ecu=ecu_pb2.Ecu(id="node", address=ADDRESS),
        doip=doip_pb2.DoipEntity(logical_address=logical_address, vin=vin,
                                 announcement_count=0))])


def activate(source=0x0E80):
    s = socket.create_connection((ADDRESS, 13400), timeout=2)
    s.sendall(struct.pack("!BBHIHB4x", 2, 0xFD, 5, 7, source, 0))
    reply = s.recv(64)
    assert reply[2:4] == b"\x00\x06" and reply[12] == 0x10, reply.hex()
    return s


def read_vin(s, target=0x2000, source=0x0E80):
    s.sendall(struct.pack("!BBHIHH", 2, 0xFD, 0x8001, 7, source, target) + b"\x22\xf1\x90")
    data = b""
    while len(data) < 13 + 32:
        chunk = s.recv(1024)
        assert chunk, "closed"
        data += chunk
    return data[13 + 8 + 4 + 3:]


def test_applying_the_same_scenario_twice_changes_nothing(ecusimd):
    d = ecusimd()
    ecus = d.stub(ecu_pb2_grpc.EcuServiceStub)
    r = ecus.ApplyScenario(ecu_pb2.ApplyScenarioRequest(scenario=scenario()))
    assert list(r.created) == ["node"]
    s = activate()
    assert read_vin(s) == b"ECUSIMSCEN0000001"
    r = ecus.ApplyScenario(ecu_pb2.ApplyScenarioRequest(scenario=scenario()))
    assert list(r.unchanged) == ["node"]
    # The tester's connection survived the second apply.
    assert read_vin(s) == b"ECUSIMSCEN0000001"
    r = ecus.ApplyScenario(ecu_pb2.ApplyScenarioRequest(scenario=scenario(vin="ECUSIMSCEN0000002")))
    assert list(r.updated) == ["node"]
    s.settimeout(2)
    assert s.recv(1) == b""  # the entity restarted with the new configuration
    s.close()
    s = activate()
    assert read_vin(s) == b"ECUSIMSCEN0000002"
    s.close()


def test_invalid_doip_part_names_the_field(ecusimd):
    d = ecusimd()
    ecus = d.stub(ecu_pb2_grpc.EcuServiceStub)
    with pytest.raises(grpc.RpcError) as e:
        ecus.ApplyScenario(ecu_pb2.ApplyScenarioRequest(scenario=scenario(logical_address=0x0E80)))
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "ecus[0].doip.logical_address 0x0E80" in e.value.details(), e.value.details()
    assert list(ecus.ListEcus(ecu_pb2.ListEcusRequest()).ecus) == []


def test_watch_streams_doip_observations(ecusimd):
    from ecusim.v1 import observe_pb2, observe_pb2_grpc
    d = ecusimd()
    ecus = d.stub(ecu_pb2_grpc.EcuServiceStub)
    ecus.ApplyScenario(ecu_pb2.ApplyScenarioRequest(scenario=scenario()))
    watch = d.stub(observe_pb2_grpc.ObserveServiceStub).Watch(
        observe_pb2.WatchRequest(kind_prefixes=["doip."], ecu_ids=["node"]), timeout=10)
    first = next(watch)
    # The snapshot shows the running entity before the sync marker.
    assert first.observation.kind == "doip.entity.running"
    assert first.observation.resource == "ecus/node/doip"
    while not next(watch).HasField("sync"):
        pass
    s = activate(0x0E85)
    assert read_vin(s, source=0x0E85) == b"ECUSIMSCEN0000001"
    kinds = []
    while "doip.diagnostic.response" not in kinds:
        o = next(watch).observation
        kinds.append(o.kind)
        if o.kind == "doip.routing_activation":
            assert o.attributes["code"] == "0x10"
            assert o.attributes["source_address"] == "0x0E85"
    assert kinds[:2] == ["doip.connection.opened", "doip.routing_activation"], kinds
    assert "doip.diagnostic.request" in kinds
    s.close()
    watch.cancel()
