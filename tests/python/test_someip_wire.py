"""SOME/IP on the wire, end to end against ecusimd: a scapy client finds the service,
subscribes, gets the field's initial event and generated events, calls getter, setter and a
method, gets ERROR for an unknown method, and sees StopOffer after the StopOffer RPC and after
SIGTERM. A tshark capture of the whole session must decode as SOME/IP / SOME/IP-SD with no
malformed packet and no expert warning."""
import os
import signal
import subprocess
import tempfile
import time

import pytest
from scapy.contrib.automotive.someip import SD

import harness  # noqa: F401  (puts the stubs on sys.path)
from ecusim.v1 import ecu_pb2, ecu_pb2_grpc, someip_pb2, someip_pb2_grpc
from someip_client import SD_PORT, Client, method_of, sequence

ECU = "127.0.0.2"
PORT = 30501
SERVICE = 0x1234


def service_instance():
    svc = someip_pb2.ServiceInterface(
        id=SERVICE, major_version=1, minor_version=3,
        eventgroups=[someip_pb2.SomeIpEventgroup(id=1, event_ids=[0x8001, 0x8002])],
        events=[someip_pb2.SomeIpEvent(id=0x8001)],
        methods=[someip_pb2.SomeIpMethod(id=0x0001)],
        fields=[someip_pb2.SomeIpField(getter_id=0x0010, setter_id=0x0011, notifier_id=0x8002,
                                       value=b"\x00\x2a")])
    return someip_pb2.ServiceInstance(
        service=svc, instance_id=1, endpoint_port=PORT, cyclic_offer_delay_ms=1000,
        sd_timing=someip_pb2.SdTiming(repetitions_base_delay_ms=50))


class Capture:
    def __init__(self, path):
        self.path = path
        self.proc = subprocess.Popen(
            ["tshark", "-i", "lo", "-w", path, "-f", "udp"], stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        line = b""
        while time.monotonic() < deadline and b"Capturing on" not in line:
            line = self.proc.stderr.readline()
        assert b"Capturing on" in line, "tshark did not start"

    def stop(self):
        time.sleep(0.5)
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=10)

    def fields(self, *extra):
        args = ["tshark", "-r", self.path, "-d", "udp.port==30490,someip", "-d",
                f"udp.port=={PORT},someip", "-T", "fields", "-E", "separator=|",
                "-e", "frame.number", "-e", "_ws.col.Protocol"] + list(extra)
        out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
        return [line.split("|") for line in out.splitlines() if line]


@pytest.fixture
def client():
    c = Client()
    yield c
    c.close()


def start(d):
    ecus = d.stub(ecu_pb2_grpc.EcuServiceStub)
    ecus.CreateEcu(ecu_pb2.CreateEcuRequest(ecu=ecu_pb2.Ecu(id="brake", address=ECU)))
    someip = d.stub(someip_pb2_grpc.SomeIpServiceStub)
    offer = someip.StartOffer(someip_pb2.StartOfferRequest(ecu_id="brake",
                                                           instance=service_instance()))
    assert offer.name == "ecus/brake/someip/4660.1"
    return someip


def test_whole_session_on_the_wire(ecusimd, client):
    workdir = tempfile.mkdtemp()
    cap = Capture(os.path.join(workdir, "someip.pcapng"))
    d = ecusimd()
    someip = start(d)

    # Offer on the multicast group, from ECU:30490, with the endpoint option.
    pkt, offer, sender = client.wait_sd(client.sd_multi, lambda e: e.type == 0x01)
    assert sender == (ECU, SD_PORT)
    assert (offer.srv_id, offer.inst_id, offer.major_ver, offer.minor_ver) == (SERVICE, 1, 1, 3)
    assert offer.ttl == 3
    assert pkt[SD].flags & 0x40  # unicast flag always set
    opt = pkt[SD].option_array[offer.index_1]
    assert (opt.addr, opt.l4_proto, opt.port) == (ECU, 0x11, PORT)

    # FindService with the unicast flag: answered by unicast.
    client.send_find(SERVICE)
    _, found, sender = client.wait_sd(client.sd_uni, lambda e: e.type == 0x01)
    assert sender == (ECU, SD_PORT) and found.srv_id == SERVICE and found.ttl > 0

    # Subscribe: Ack by unicast echoing counter and eventgroup, then the field's initial value.
    client.send_subscribe(ECU, SERVICE, 1, 1, eventgroup=1, ttl=10, counter=5)
    _, ack, sender = client.wait_sd(client.sd_uni, lambda e: e.type == 0x07)
    assert sender == (ECU, SD_PORT)
    assert (ack.ttl, ack.cnt, ack.eventgroup_id, ack.srv_id, ack.inst_id) == (10, 5, 1, SERVICE, 1)
    initial, sender = client.recv_someip()
    assert sender == (ECU, PORT)
    assert (initial.srv_id, method_of(initial), initial.msg_type) == (SERVICE, 0x8002, 0x02)
    assert initial.client_id == 0 and initial.iface_ver == 1 and initial.retcode == 0
    assert bytes(initial.payload) == b"\x00\x2a"

    # Generated events: sequence numbers 1..20, session ids per event.
    someip.SetEventGenerator(someip_pb2.SetEventGeneratorRequest(
        ecu_id="brake", service_id=SERVICE, instance_id=1, eventgroup_id=1, event_id=0x8001,
        generator=someip_pb2.EventGenerator(policy=someip_pb2.EventGenerator.CYCLIC,
                                            period_ms=10, payload_size=16, count=20)))
    seqs = []
    while len(seqs) < 20:
        ev, _ = client.recv_someip()
        assert ev is not None, f"only {len(seqs)} events"
        assert method_of(ev) == 0x8001 and ev.msg_type == 0x02
        seqs.append(sequence(ev.payload))
    assert seqs == list(range(1, 21))

    # Getter, setter (value back + notification), method, unknown method.
    client.request(ECU, PORT, SERVICE, 0x0010, session=0x100)
    resp, _ = client.recv_someip()
    assert (resp.msg_type, resp.retcode, resp.session_id) == (0x80, 0x00, 0x100)
    assert bytes(resp.payload) == b"\x00\x2a"
    client.request(ECU, PORT, SERVICE, 0x0011, b"\x00\x07")
    resp, _ = client.recv_someip()
    assert resp.msg_type == 0x80 and bytes(resp.payload) == b"\x00\x07"
    note, _ = client.recv_someip()
    assert note.msg_type == 0x02 and method_of(note) == 0x8002
    assert bytes(note.payload) == b"\x00\x07"

    someip.SetMethodBehavior(someip_pb2.SetMethodBehaviorRequest(
        ecu_id="brake", service_id=SERVICE, instance_id=1, method_id=1,
        behavior=someip_pb2.MethodBehavior(kind=someip_pb2.MethodBehavior.ECHO)))
    client.request(ECU, PORT, SERVICE, 0x0001, b"ping")
    resp, _ = client.recv_someip()
    assert resp.msg_type == 0x80 and bytes(resp.payload) == b"ping"
    client.request(ECU, PORT, SERVICE, 0x0042, b"?", session=0x77)
    err, _ = client.recv_someip()
    assert (err.msg_type, err.retcode, method_of(err), err.session_id) == (0x81, 0x03, 0x42, 0x77)
    assert err.client_id == 0x0042 and len(bytes(err.payload)) == 0

    subs = someip.ListSubscriptions(someip_pb2.ListSubscriptionsRequest(ecu_id="brake"))
    assert [(s.eventgroup_id, s.endpoint, s.counter) for s in subs.subscriptions] == \
        [(1, "127.0.0.1:40000", 5)]

    # StopOffer RPC: TTL 0 offer on the group.
    someip.StopOffer(someip_pb2.StopOfferRequest(ecu_id="brake", service_id=SERVICE,
                                                 instance_id=1))
    _, stop, _ = client.wait_sd(client.sd_multi, lambda e: e.type == 0x01 and e.ttl == 0)
    assert stop.srv_id == SERVICE

    # Offer again, then SIGTERM: StopOffer on the wire before exit.
    someip.StartOffer(someip_pb2.StartOfferRequest(ecu_id="brake", instance=service_instance()))
    client.wait_sd(client.sd_multi, lambda e: e.type == 0x01 and e.ttl > 0)
    assert d.metric_value("ecusim_someip_messages_sent_total", type="error") == 1
    assert d.metric_value("ecusim_someip_messages_sent_total", type="subscribe_ack") == 1
    assert d.metric_value("ecusim_someip_subscriptions_total", result="added") == 1
    code, took = d.stop(signal.SIGTERM)
    assert code == 0 and took < 2.0
    client.wait_sd(client.sd_multi, lambda e: e.type == 0x01 and e.ttl == 0, timeout=2)
    cap.stop()

    rows = cap.fields("-e", "_ws.malformed", "-e", "_ws.expert.severity", "-e", "_ws.expert.message")
    assert len(rows) > 30
    for row in rows:
        frame, proto, malformed, severity, message = (row + [""] * 5)[:5]
        assert proto in ("SOME/IP", "SOME/IP-SD"), row
        assert not malformed, row
        assert not severity, row


def test_errors_name_the_id(ecusimd):
    d = ecusimd()
    someip = start(d)
    import grpc
    with pytest.raises(grpc.RpcError) as e:
        someip.SendEvent(someip_pb2.SendEventRequest(ecu_id="brake", service_id=SERVICE,
                                                     instance_id=1, eventgroup_id=1,
                                                     event_id=0x8005, payload=b"x"))
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "0x8005" in e.value.details()
    with pytest.raises(grpc.RpcError) as e:
        someip.SendEvent(someip_pb2.SendEventRequest(ecu_id="brake", service_id=SERVICE,
                                                     instance_id=1, eventgroup_id=7,
                                                     event_id=0x8001))
    assert e.value.code() == grpc.StatusCode.NOT_FOUND and "0x0007" in e.value.details()
    with pytest.raises(grpc.RpcError) as e:
        someip.StopOffer(someip_pb2.StopOfferRequest(ecu_id="nope", service_id=1, instance_id=1))
    assert e.value.code() == grpc.StatusCode.NOT_FOUND and "nope" in e.value.details()
    with pytest.raises(grpc.RpcError) as e:
        someip.StartOffer(someip_pb2.StartOfferRequest(ecu_id="brake",
                                                       instance=service_instance()))
    assert e.value.code() == grpc.StatusCode.ALREADY_EXISTS
    bad = service_instance()
    bad.service.eventgroups[0].event_ids.append(0x8009)
    bad.instance_id = 2
    bad.endpoint_port = 30502
    with pytest.raises(grpc.RpcError) as e:
        someip.StartOffer(someip_pb2.StartOfferRequest(ecu_id="brake", instance=bad))
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "0x8009" in e.value.details()
    sent = someip.SendEvent(someip_pb2.SendEventRequest(ecu_id="brake", service_id=SERVICE,
                                                        instance_id=1, eventgroup_id=1,
                                                        event_id=0x8001, payload=b"x"))
    assert sent.recipients == 0
    offers = someip.ListOffers(someip_pb2.ListOffersRequest())
    assert [o.name for o in offers.offers] == ["ecus/brake/someip/4660.1"]
    assert offers.offers[0].instance.service.id == SERVICE


def test_demo_vehicle_offers_and_scenario_is_idempotent(ecusimd, client):
    d = ecusimd(demo=True)
    _, offer, sender = client.wait_sd(client.sd_multi, lambda e: e.type == 0x01)
    assert sender == ("127.0.0.11", SD_PORT) and offer.srv_id == 0x1234
    someip = d.stub(someip_pb2_grpc.SomeIpServiceStub)
    offers = someip.ListOffers(someip_pb2.ListOffersRequest(ecu_id="brake"))
    assert [o.name for o in offers.offers] == ["ecus/brake/someip/4660.1"]

    ecus = d.stub(ecu_pb2_grpc.EcuServiceStub)
    scenario = ecu_pb2.Scenario(name="t", ecus=[ecu_pb2.ScenarioEcu(
        ecu=ecu_pb2.Ecu(id="door", address="127.0.0.20"), someip_offers=[service_instance()])])
    first = ecus.ApplyScenario(ecu_pb2.ApplyScenarioRequest(scenario=scenario))
    assert "door" in first.created
    second = ecus.ApplyScenario(ecu_pb2.ApplyScenarioRequest(scenario=scenario))
    assert "door" in second.unchanged
    scenario.ecus[0].someip_offers[0].ttl_s = 9
    third = ecus.ApplyScenario(ecu_pb2.ApplyScenarioRequest(scenario=scenario))
    assert "door" in third.updated
    _, e, sender = client.wait_sd(client.sd_multi,
                                  lambda e: e.type == 0x01 and e.ttl == 9, timeout=5)
    assert e.srv_id == SERVICE
