"""DoIP (ISO 13400-2) entity against real testers: scapy's DoIP layer and DoIPSocket decode
our bytes, tshark checks the capture, ecusimd is driven over gRPC.

Runs in its own network namespace (tests/in-netns.sh): fixed ports, 127.0.0.x addresses.
"""
import socket
import struct
import subprocess
import tempfile
import threading
import time

import grpc
import pytest

import harness  # noqa: F401  (puts the stubs on sys.path)
from ecusim.v1 import doip_pb2, doip_pb2_grpc, ecu_pb2, ecu_pb2_grpc

from scapy.contrib.automotive.doip import DoIP, DoIPSocket
from scapy.contrib.automotive.uds import UDS, UDS_RDBI
from scapy.packet import Raw

ECU_IP = "127.0.0.20"
VIN = b"WVWZZZ1JZXW000001"
EID = bytes.fromhex("020000001000")
GATEWAY, ENGINE, BRAKE = 0x1000, 0x1001, 0x1002
TESTER = 0x0E80
# Linux's SO_TIMESTAMPNS (Python does not export it).
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)


def doip_bytes(payload_type, payload, version=2):
    return struct.pack("!BBHI", version, version ^ 0xFF, payload_type, len(payload)) + payload


def read_message(sock, timeout=2.0):
    """One DoIP message from a stream socket, split by its length field; None on EOF."""
    sock.settimeout(timeout)
    head = b""
    while len(head) < 8:
        chunk = sock.recv(8 - len(head))
        if not chunk:
            return None
        head += chunk
    length = struct.unpack("!I", head[4:8])[0]
    body = b""
    while len(body) < length:
        chunk = sock.recv(length - len(body))
        if not chunk:
            return None
        body += chunk
    return DoIP(head + body)


def recv_stamped(sock):
    """(kernel arrival time in s, peer, DoIP) of one datagram: SO_TIMESTAMPNS keeps the gaps
    free of this process's scheduling jitter."""
    data, anc, _, peer = sock.recvmsg(2048, socket.CMSG_SPACE(16))
    stamp = None
    for level, kind, raw in anc:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
            sec, nsec = struct.unpack("qq", raw[:16])
            stamp = sec + nsec / 1e9
    assert stamp is not None
    return stamp, peer, DoIP(data)


def is_closed(sock, timeout=2.0):
    sock.settimeout(timeout)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def udp_ask(payload_type, payload=b"", version=2, timeout=1.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    s.bind(("127.0.0.1", 0))
    s.sendto(doip_bytes(payload_type, payload, version), (ECU_IP, 13400))
    try:
        data, _ = s.recvfrom(2048)
        return DoIP(data)
    except socket.timeout:
        return None
    finally:
        s.close()


class DoipTester:
    """A routing-activated tester: scapy's DoIPSocket, responses split by length."""

    def __init__(self, source=TESTER):
        self.sock = DoIPSocket(ECU_IP, 13400, activate_routing=True, source_address=source)
        assert self.sock.target_address == GATEWAY, "routing activation failed"
        self.source = source

    def uds(self, target, request, expect_response=True):
        pkt = DoIP(payload_type=0x8001, source_address=self.source, target_address=target)
        self.sock.send(pkt / Raw(request))
        ack = read_message(self.sock.ins)
        assert ack.payload_type == 0x8002, ack.show(dump=True)
        assert (ack.source_address, ack.target_address, ack.ack_code) == (target, self.source, 0)
        if not expect_response:
            return None
        resp = read_message(self.sock.ins)
        assert resp.payload_type == 0x8001, resp.show(dump=True)
        assert (resp.source_address, resp.target_address) == (target, self.source)
        return bytes(resp.payload)

    def close(self):
        self.sock.close()


@pytest.fixture(scope="module")
def env():
    # Start-up announcements go to 127.255.255.255:13400; listen before the entity starts.
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    listener.bind(("0.0.0.0", 13400))
    pcap = tempfile.NamedTemporaryFile(suffix=".pcap", delete=False).name
    tshark = subprocess.Popen(["tshark", "-i", "lo", "-w", pcap, "-f", "port 13400"],
                              stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    line = b""
    while b"Capturing on" not in line:
        line = tshark.stderr.readline()
        assert line, "tshark did not start"
    d = harness.Ecusimd(demo=False)
    ecus = d.stub(ecu_pb2_grpc.EcuServiceStub)
    doip = d.stub(doip_pb2_grpc.DoipServiceStub)
    ecus.CreateEcu(ecu_pb2.CreateEcuRequest(ecu=ecu_pb2.Ecu(id="gw", address=ECU_IP)))
    entity = doip_pb2.DoipEntity(
        logical_address=GATEWAY, vin=VIN.decode(), eid=EID, gid=bytes(6),
        announcement_interval_ms=200, announcement_wait_ms=100,
        ecus=[
            doip_pb2.LogicalEcu(logical_address=ENGINE, uds=doip_pb2.UdsModel(
                dids=[doip_pb2.DidEntry(did=0x0100, value=b"\x00\x00", writable=True)],
                security=doip_pb2.SecurityAccess(xor_constant=0x11223344))),
            # scapy's sr1 needs a gap between ACK and response (see UdsModel.response_delay_ms).
            doip_pb2.LogicalEcu(logical_address=BRAKE,
                                uds=doip_pb2.UdsModel(response_delay_ms=20)),
        ])
    status = doip.StartEntity(doip_pb2.StartEntityRequest(ecu_id="gw", entity=entity))
    yield {"d": d, "doip": doip, "status": status, "listener": listener, "pcap": pcap,
           "tshark": tshark}
    if tshark.poll() is None:
        tshark.terminate()
        tshark.wait()
    listener.close()
    d.stop()


def test_start_entity_reports_ports_and_defaults(env):
    st = env["status"]
    assert st.name == "ecus/gw/doip"
    assert (st.tcp_port, st.udp_port) == (13400, 13400)
    assert st.announcement_address == "127.255.255.255"
    assert st.entity.protocol_version == 2 and st.entity.functional_address == 0xE400


def test_startup_announcements_are_received(env):
    listener = env["listener"]
    listener.settimeout(2.0)
    got = []
    while len(got) < 3:
        got.append(recv_stamped(listener))
    for _, peer, pkt in got:
        assert peer == (ECU_IP, 13400)
        assert pkt.payload_type == 4 and pkt.payload_length == 33
        assert pkt.vin == VIN and pkt.logical_address == GATEWAY and pkt.eid == EID
        assert pkt.further_action == 0 and pkt.vin_gid_status == 0
    gaps = [b[0] - a[0] for a, b in zip(got, got[1:])]
    assert all(0.12 < g < 0.3 for g in gaps), gaps
    assert env["d"].metric_value("ecusim_doip_announcements_sent_total") == 3


def test_vehicle_identification_requests(env):
    for version in (2, 0xFF):
        r = udp_ask(1, version=version)
        assert r is not None and r.payload_type == 4 and r.vin == VIN
        assert r.protocol_version == 2
    r = udp_ask(2, EID)
    assert r is not None and r.logical_address == GATEWAY
    assert udp_ask(2, bytes.fromhex("0a0b0c0d0e0f"), timeout=0.5) is None
    r = udp_ask(3, VIN)
    assert r is not None and r.eid == EID
    assert udp_ask(3, b"XXXXXXXXXXXXXXXXX", timeout=0.5) is None
    m = env["d"].metric_value
    assert m("ecusim_doip_identification_requests_total", type="eid", result="ignored") == 1
    assert m("ecusim_doip_identification_requests_total", type="vin", result="answered") == 1


def test_entity_status_and_power_mode(env):
    r = udp_ask(0x4001)
    assert r.payload_type == 0x4002
    assert (r.node_type, r.max_open_sockets, r.max_data_size) == (0, 4, 4096)
    r = udp_ask(0x4003)
    assert r.payload_type == 0x4004 and r.diagnostic_power_mode == 1


def test_routing_activation_and_uds(env):
    t = DoipTester()
    try:
        assert t.uds(ENGINE, b"\x10\x03") == bytes.fromhex("5003003201f4")
        assert t.uds(ENGINE, b"\x22\xf1\x90") == b"\x62\xf1\x90" + VIN
        assert t.uds(ENGINE, b"\x2e\x01\x00\xbe\xef") == b"\x6e\x01\x00"
        assert t.uds(ENGINE, b"\x22\x01\x00") == b"\x62\x01\x00\xbe\xef"
        seed = t.uds(ENGINE, b"\x27\x01")
        assert seed[:2] == b"\x67\x01" and len(seed) == 6
        key = bytes(s ^ c for s, c in zip(seed[2:], bytes.fromhex("11223344")))
        assert t.uds(ENGINE, b"\x27\x02" + key) == b"\x67\x02"
        assert t.uds(ENGINE, b"\x3e\x00") == b"\x7e\x00"
        assert t.uds(ENGINE, b"\x3e\x80", expect_response=False) is None
        assert t.uds(ENGINE, b"\x85\x01") == b"\x7f\x85\x11"
        assert t.uds(ENGINE, b"\x22\x12\x34") == b"\x7f\x22\x31"
    finally:
        t.close()
    m = env["d"].metric_value
    assert m("ecusim_doip_routing_activations_total", code="0x10") >= 1
    assert m("ecusim_doip_diagnostic_messages_total", direction="rx") >= 10


def test_scapy_sr1_gets_the_uds_answer(env):
    """The plain scapy flow: sr1 skips the ACK and returns the 0x8001 response."""
    sock = DoIPSocket(ECU_IP, 13400, activate_routing=True, source_address=0x0E81)
    try:
        req = DoIP(payload_type=0x8001, source_address=0x0E81, target_address=BRAKE) / \
            UDS() / UDS_RDBI(identifiers=[0xF190])
        resp = sock.sr1(req, timeout=2, verbose=False)
        assert resp is not None and resp.payload_type == 0x8001
        assert resp[UDS].service == 0x62
        assert bytes(resp.payload) == b"\x62\xf1\x90" + VIN
    finally:
        sock.close()


def test_functional_request_reaches_both_ecus(env):
    t = DoipTester()
    try:
        pkt = DoIP(payload_type=0x8001, source_address=TESTER, target_address=0xE400)
        t.sock.send(pkt / Raw(b"\x3e\x00"))
        ack = read_message(t.sock.ins)
        assert ack.payload_type == 0x8002 and ack.source_address == 0xE400
        sources = sorted(read_message(t.sock.ins).source_address for _ in range(2))
        assert sources == [ENGINE, BRAKE]
    finally:
        t.close()


def test_trigger_vehicle_announcement_occurrence_3_cycle_100ms(env):
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    rx.bind(("127.0.0.30", 0))
    rx.settimeout(1.0)
    env["doip"].TriggerVehicleAnnouncement(doip_pb2.TriggerVehicleAnnouncementRequest(
        ecu_id="gw", target_ip="127.0.0.30", occurrence=3, cycle_ms=100,
        port=rx.getsockname()[1], further_action=0x10))
    got = []
    for _ in range(3):
        stamp, _, pkt = recv_stamped(rx)
        got.append((stamp, pkt))
    with pytest.raises(socket.timeout):
        rx.recvfrom(2048)
    rx.close()
    assert all(p.payload_type == 4 and p.further_action == 0x10 for _, p in got)
    gaps = [b[0] - a[0] for a, b in zip(got, got[1:])]
    assert all(0.06 < g < 0.16 for g in gaps), gaps


def test_list_connections_and_positive_responding(env):
    doip = env["doip"]
    t = DoipTester(0x0E90)
    try:
        conns = doip.ListConnections(doip_pb2.ListConnectionsRequest(ecu_id="gw")).connections
        mine = [c for c in conns if c.tester_address == 0x0E90]
        assert len(mine) == 1 and mine[0].state == "registered_routing_active"
        doip.SetPositiveResponding(doip_pb2.SetPositiveRespondingRequest(
            ecu_id="gw", positive_responding=False))
        assert t.uds(ENGINE, b"\x22\xf1\x90") == b"\x7f\x22\x11"
        doip.SetPositiveResponding(doip_pb2.SetPositiveRespondingRequest(
            ecu_id="gw", positive_responding=True))
        assert t.uds(ENGINE, b"\x22\xf1\x90")[:3] == b"\x62\xf1\x90"
    finally:
        t.close()


def test_set_uds_behavior_response_pending_and_nrc(env):
    doip = env["doip"]
    doip.SetUdsBehavior(doip_pb2.SetUdsBehaviorRequest(
        ecu_id="gw", logical_address=BRAKE, uds=doip_pb2.UdsModel(
            response_pending_count=2, response_pending_interval_ms=50,
            response_pending_services=[0x22],
            nrc_overrides=[doip_pb2.NrcOverride(service_id=0x11, nrc=0x22)])))
    t = DoipTester(0x0E91)
    try:
        first = t.uds(BRAKE, b"\x22\xf1\x90")
        assert first == b"\x7f\x22\x78"
        assert bytes(read_message(t.sock.ins).payload) == b"\x7f\x22\x78"
        assert bytes(read_message(t.sock.ins).payload) == b"\x62\xf1\x90" + VIN
        assert t.uds(BRAKE, b"\x11\x01") == b"\x7f\x11\x22"
    finally:
        t.close()
        doip.SetUdsBehavior(doip_pb2.SetUdsBehaviorRequest(
            ecu_id="gw", logical_address=BRAKE, uds=doip_pb2.UdsModel(response_delay_ms=20)))


def test_handle_diagnostics_stream_answers_live(env):
    doip = env["doip"]
    replies = []
    first = threading.Event()

    def outgoing():
        yield doip_pb2.DiagnosticReply(ecu_id="gw", logical_addresses=[ENGINE])
        first.wait(5)
        while not replies:
            time.sleep(0.01)
        yield replies[0]

    stream = doip.HandleDiagnostics(outgoing())
    time.sleep(1.0)  # the stream is bound once its first message is applied
    t = DoipTester(0x0E92)
    try:
        result = {}

        def ask():
            result["r"] = t.uds(ENGINE, b"\x31\x01\xab\xcd")

        th = threading.Thread(target=ask)
        th.start()
        req = next(stream)
        assert (req.source_address, req.target_address, req.uds) == (0x0E92, ENGINE,
                                                                     b"\x31\x01\xab\xcd")
        replies.append(doip_pb2.DiagnosticReply(request_id=req.request_id,
                                                uds=b"\x71\x01\xab\xcd\x00"))
        first.set()
        th.join(5)
        assert result["r"] == b"\x71\x01\xab\xcd\x00"
    finally:
        t.close()
        stream.cancel()


def test_tshark_decodes_everything_as_doip_and_uds(env):
    """Stops the capture of the well-formed traffic above and checks it with tshark."""
    time.sleep(0.3)
    env["tshark"].terminate()
    env["tshark"].wait()
    fields = subprocess.run(
        ["tshark", "-r", env["pcap"], "-Y", "doip", "-T", "fields", "-e", "doip.type"],
        capture_output=True, text=True, check=True).stdout.split()
    types = {int(t, 16) for line in fields for t in line.split(",")}
    assert {0x0001, 0x0002, 0x0003, 0x0004, 0x0005, 0x0006, 0x4001, 0x4002, 0x4003, 0x4004,
            0x8001, 0x8002} <= types, types
    uds = subprocess.run(["tshark", "-r", env["pcap"], "-Y", "uds"], capture_output=True,
                         text=True, check=True).stdout.splitlines()
    assert len(uds) >= 20
    bad = subprocess.run(["tshark", "-r", env["pcap"], "-Y",
                          "_ws.malformed || _ws.expert.severity == error"],
                         capture_output=True, text=True, check=True).stdout.strip()
    assert bad == "", bad


# --- Bad input: the standard's answer, counted, other connections untouched. ---

def raw_connect():
    s = socket.create_connection((ECU_IP, 13400), timeout=2)
    return s


def test_bad_input_gets_the_standards_answer(env):
    m = env["d"].metric_value
    bystander = DoipTester(0x0EA0)
    try:
        # Wrong inverse version: generic NACK 0x00, socket closed.
        s = raw_connect()
        s.sendall(b"\x02\x02\x00\x05\x00\x00\x00\x07" + struct.pack("!HB4x", TESTER, 0))
        r = read_message(s)
        assert r.payload_type == 0 and r.nack == 0x00
        assert is_closed(s)
        s.close()
        # Unknown payload type: NACK 0x01, the socket stays usable.
        s = raw_connect()
        s.sendall(doip_bytes(0x5555, b"\xaa\xbb"))
        assert read_message(s).nack == 0x01
        s.sendall(doip_bytes(5, struct.pack("!HB4x", 0x0EA1, 0)))
        r = read_message(s)
        assert r.payload_type == 6 and r.routing_activation_response == 0x10
        # Above the maximum (4 KiB): NACK 0x02, still usable.
        s.sendall(doip_bytes(0x8001, struct.pack("!HH", 0x0EA1, ENGINE) + b"\x22" * 5000))
        assert read_message(s).nack == 0x02
        s.sendall(doip_bytes(0x8001, struct.pack("!HH", 0x0EA1, 0x1777) + b"\x3e\x00"))
        r = read_message(s)
        assert r.payload_type == 0x8003 and r.nack_code == 0x03  # unknown target
        s.close()
        # Truncated routing activation: NACK 0x04 and closed.
        s = raw_connect()
        s.sendall(doip_bytes(5, b"\x0e\x80"))
        assert read_message(s).nack == 0x04
        assert is_closed(s)
        s.close()
        # Diagnostic message before routing activation: diagnostic NACK 0x02 and closed.
        s = raw_connect()
        s.sendall(doip_bytes(0x8001, struct.pack("!HH", TESTER, ENGINE) + b"\x3e\x00"))
        r = read_message(s)
        assert r.payload_type == 0x8003 and r.nack_code == 0x02
        assert is_closed(s)
        s.close()
        # Unknown source address: routing activation denied 0x00 and closed.
        s = raw_connect()
        s.sendall(doip_bytes(5, struct.pack("!HB4x", 0x1234, 0)))
        r = read_message(s)
        assert r.payload_type == 6 and r.routing_activation_response == 0x00
        assert is_closed(s)
        s.close()
        # Unsupported activation type: 0x06.
        s = raw_connect()
        s.sendall(doip_bytes(5, struct.pack("!HB4x", TESTER, 0x42)))
        assert read_message(s).routing_activation_response == 0x06
        s.close()
        # UDP: wrong inverse version -> NACK 0x00.
        r = udp_ask(1, version=0x02)
        assert r.payload_type == 4
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(1)
        s.sendto(b"\x02\x03\x00\x01\x00\x00\x00\x00", (ECU_IP, 13400))
        assert DoIP(s.recvfrom(100)[0]).nack == 0x00
        s.close()
        # The bystander is untouched.
        assert bystander.uds(ENGINE, b"\x3e\x00") == b"\x7e\x00"
    finally:
        bystander.close()
    assert m("ecusim_doip_generic_nacks_total", code="0x00", transport="tcp") == 1
    assert m("ecusim_doip_generic_nacks_total", code="0x01", transport="tcp") == 1
    assert m("ecusim_doip_generic_nacks_total", code="0x02", transport="tcp") == 1
    assert m("ecusim_doip_generic_nacks_total", code="0x04", transport="tcp") == 1
    assert m("ecusim_doip_generic_nacks_total", code="0x00", transport="udp") == 1
    assert m("ecusim_doip_diagnostic_nacks_total", code="0x02") == 1
    assert m("ecusim_doip_diagnostic_nacks_total", code="0x03") == 1
    assert m("ecusim_doip_routing_activations_total", code="0x00") == 1
    assert m("ecusim_doip_routing_activations_total", code="0x06") == 1


def test_grpc_errors_name_the_field(env):
    doip = env["doip"]
    with pytest.raises(grpc.RpcError) as e:
        doip.StartEntity(doip_pb2.StartEntityRequest(
            ecu_id="gw", entity=doip_pb2.DoipEntity(logical_address=0x1000, vin="SHORT")))
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "vin" in e.value.details()
    with pytest.raises(grpc.RpcError) as e:
        doip.StartEntity(doip_pb2.StartEntityRequest(
            ecu_id="gw", entity=doip_pb2.DoipEntity(logical_address=0x1000)))
    assert e.value.code() == grpc.StatusCode.ALREADY_EXISTS
    with pytest.raises(grpc.RpcError) as e:
        doip.ListConnections(doip_pb2.ListConnectionsRequest(ecu_id="nope"))
    assert e.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as e:
        doip.SetUdsBehavior(doip_pb2.SetUdsBehaviorRequest(ecu_id="gw", logical_address=0x1777))
    assert e.value.code() == grpc.StatusCode.NOT_FOUND and "0x1777" in e.value.details()
    with pytest.raises(grpc.RpcError) as e:
        doip.TriggerVehicleAnnouncement(doip_pb2.TriggerVehicleAnnouncementRequest(
            ecu_id="gw", target_ip="not-an-ip"))
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_stop_entity_closes_connections(env):
    doip = env["doip"]
    t = DoipTester(0x0EB0)
    doip.StopEntity(doip_pb2.StopEntityRequest(ecu_id="gw"))
    assert is_closed(t.sock.ins)
    t.close()
    assert udp_ask(1, timeout=0.5) is None
    with pytest.raises(grpc.RpcError) as e:
        doip.StopEntity(doip_pb2.StopEntityRequest(ecu_id="gw"))
    assert e.value.code() == grpc.StatusCode.NOT_FOUND


def test_demo_scenario_has_a_doip_gateway_with_two_ecus(ecusimd):
    # A second ecusimd on other ports, with the embedded demo vehicle.
    d = ecusimd(demo=True, grpc_port=50061, metrics_port=9474)
    deadline = time.monotonic() + 5
    while True:
        try:
            s = DoIPSocket("127.0.0.10", 13400, activate_routing=True, source_address=0x0E80)
            break
        except OSError:
            assert time.monotonic() < deadline
            time.sleep(0.1)
    try:
        for target, serial in ((0x1001, b"ENG001"), (0x1002, b"BRK001")):
            s.send(DoIP(payload_type=0x8001, source_address=0x0E80, target_address=target) /
                   Raw(b"\x22\xf1\x8c"))
            assert read_message(s.ins).payload_type == 0x8002
            assert bytes(read_message(s.ins).payload) == b"\x62\xf1\x8c" + serial
    finally:
        s.close()
    assert d.metric_value("ecusim_doip_routing_activations_total", code="0x10") == 1
