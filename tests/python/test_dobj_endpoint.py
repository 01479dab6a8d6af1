"""DOIP v2 (Digital Object Interface Protocol) endpoint of ecusimd, seen by a client that
writes and reads segments exactly as doip_sdk's client example does (stdlib ssl + socket),
and by `openssl s_client`. Runs in a private network namespace (tests/in-netns.sh)."""
import hashlib
import json
import socket
import ssl
import subprocess

import grpc
import pytest

from ecusim.v1 import digital_object_pb2 as dobj_pb2
from ecusim.v1 import digital_object_pb2_grpc as dobj_grpc
from ecusim.v1 import ecu_pb2
from ecusim.v1 import ecu_pb2_grpc

ADDRESS = "127.0.0.11"
PORT = 9000
SERVICE = "20.500.123/service"


# --- doip_sdk's writers, byte for byte ---------------------------------------------------
def write_string_segment(sock, message):
    sock.sendall(message.encode() + b"\n#\n")


def write_file_segment(sock, data, chunk_size=1024):
    sock.sendall(b"@\n")
    for i in range(0, len(data), chunk_size):
        chunk = data[i:i + chunk_size]
        sock.sendall(f"{len(chunk)}\n".encode() + chunk + b"\n")
    sock.sendall(b"#\n")


def write_empty_segment(sock):
    sock.sendall(b"#\n")


# --- doip_sdk's SocketReader.get_chunks, line based ----------------------------------------
def read_message(sock):
    """One response message as a list: dict for JSON segments, bytes for bytes segments.
    Raises EOFError when the server closed the connection before a message."""
    f = sock.makefile("rb")
    segments, buffer = [], b""
    while True:
        line = f.readline()
        if not line:
            raise EOFError("connection closed")
        stripped = line.strip()
        if stripped == b"#":
            if not buffer:
                return segments
            segments.append(json.loads(buffer))
            buffer = b""
        elif stripped == b"@" and not buffer:
            data = b""
            while True:
                size_line = f.readline().strip()
                if size_line == b"#":
                    break
                data += f.read(int(size_line))
                f.readline()  # the newline after the chunk
            segments.append(data)
        else:
            buffer += stripped


def tls_connect(address=ADDRESS, port=PORT):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    # To ignore the self-signed certificate, as in doip_sdk's client example.
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    sock = socket.create_connection((address, port), timeout=5)
    return context.wrap_socket(sock, server_hostname=address)


def request(sock, first, *more):
    write_string_segment(sock, json.dumps(first))
    for m in more:
        if isinstance(m, bytes):
            write_file_segment(sock, m)
        else:
            write_string_segment(sock, json.dumps(m))
    write_empty_segment(sock)
    return read_message(sock)


def closed_by_server(sock):
    try:
        return sock.recv(1) == b""
    except (ssl.SSLError, OSError):
        return True


@pytest.fixture
def sim(ecusimd):
    d = ecusimd()
    ecus = d.stub(ecu_pb2_grpc.EcuServiceStub)
    ecus.CreateEcu(ecu_pb2.CreateEcuRequest(ecu=ecu_pb2.Ecu(id="brake", address=ADDRESS)))
    d.dobj = d.stub(dobj_grpc.DigitalObjectServiceStub)
    return d


def start(sim, **endpoint):
    endpoint.setdefault("service_id", SERVICE)
    return sim.dobj.StartEndpoint(dobj_pb2.StartEndpointRequest(
        ecu_id="brake", endpoint=dobj_pb2.DigitalObjectEndpoint(**endpoint)))


def test_operations_over_tls_as_doip_sdk_client(sim):
    status = start(sim)
    assert status.port == PORT and status.self_signed
    assert status.certificate_subject == f"CN={ADDRESS}"
    with tls_connect() as s:
        assert s.version() in ("TLSv1.2", "TLSv1.3")
        der = s.getpeercert(binary_form=True)
        assert hashlib.sha256(der).hexdigest() == status.certificate_sha256.replace(":", "").lower()

        hello = request(s, {"operationId": "0.DOIP/Op.Hello"})
        assert hello[0]["status"] == "0.DOIP/Status.001"
        assert hello[0]["output"]["id"] == SERVICE
        assert hello[0]["output"]["type"] == "0.TYPE/DOIPService"
        assert hello[0]["output"]["attributes"]["port"] == PORT
        assert hello[0]["output"]["attributes"]["protocolVersion"] == "2.0"

        created = request(
            s, {"requestId": "1", "targetId": SERVICE, "operationId": "0.DOIP/Op.Create"},
            {"id": "20.500.123/brake-1", "type": "Document",
             "attributes": {"content": {"name": "brake", "pressure": 42}},
             "elements": [{"id": "file", "type": "text/plain"}]},
            {"id": "file"}, b"hello" * 500)
        assert created[0]["requestId"] == "1"
        assert created[0]["status"] == "0.DOIP/Status.001", created
        assert created[0]["output"]["elements"][0]["length"] == 2500

        element = request(s, {"targetId": "20.500.123/brake-1",
                              "operationId": "0.DOIP/Op.Retrieve",
                              "attributes": {"element": "file"}})
        assert element[0]["status"] == "0.DOIP/Status.001"
        assert element[1] == b"hello" * 500

        found = request(s, {"targetId": SERVICE, "operationId": "0.DOIP/Op.Search",
                            "attributes": {"query": "type:Document AND /name:brake",
                                           "pageNum": 0, "pageSize": 10}})
        assert found[1]["size"] == 1
        assert found[1]["results"][0]["id"] == "20.500.123/brake-1"

        updated = request(s, {"targetId": "20.500.123/brake-1", "operationId": "0.DOIP/Op.Update"},
                          {"type": "Document", "attributes": {"content": {"name": "brake-v2"}},
                           "elements": [{"id": "file"}]}, {"id": "file"}, b"v2")
        assert updated[0]["output"]["attributes"]["content"]["name"] == "brake-v2"
        listed = sim.dobj.ListObjects(dobj_pb2.ListObjectsRequest(ecu_id="brake",
                                                                  include_element_data=True))
        assert [o.id for o in listed.objects] == ["20.500.123/brake-1"]
        assert listed.objects[0].elements[0].data == b"v2"

        ops = request(s, {"targetId": "20.500.123/brake-1",
                          "operationId": "0.DOIP/Op.ListOperations"})
        assert ops[0]["output"] == ["0.DOIP/Op.ListOperations", "0.DOIP/Op.Retrieve",
                                    "0.DOIP/Op.Update", "0.DOIP/Op.Delete"]
        service_ops = request(s, {"operationId": "0.DOIP/Op.ListOperations"})
        assert "0.DOIP/Op.Create" in service_ops[0]["output"]

        unknown = request(s, {"targetId": SERVICE, "operationId": "20.DOIP/Op.Calibrate"})
        assert unknown[0]["status"] == "0.DOIP/Status.200"

        deleted = request(s, {"targetId": "20.500.123/brake-1", "operationId": "0.DOIP/Op.Delete"})
        assert deleted[0]["status"] == "0.DOIP/Status.001"
        gone = request(s, {"targetId": "20.500.123/brake-1", "operationId": "0.DOIP/Op.Retrieve"})
        assert gone[0]["status"] == "0.DOIP/Status.104"
        assert gone[0]["attributes"]["message"] == "No such object 20.500.123/brake-1"
    assert sim.metric_value("ecusim_dobj_requests_total", operation="0.DOIP/Op.Hello",
                            status="0.DOIP/Status.001") == 1
    assert sim.metric_value("ecusim_dobj_requests_total", operation="extended",
                            status="0.DOIP/Status.200") == 1


BAD_REQUESTS = [
    ("unexpected property", b'{"operationId": "0.DOIP/Op.Hello", "color": "red"}\n#\n#\n',
     "Unexpected request property color"),
    ("compact input then a segment",
     b'{"operationId": "0.DOIP/Op.Create", "input": {"type": "T"}}\n#\n{"x": 1}\n#\n#\n',
     "Extra segments after initial JSON with compact input"),
    ("invalid JSON", b'{"operationId": \n#\n#\n', "Error parsing initial JSON of request"),
    ("zero chunk size", b'{"operationId": "0.DOIP/Op.Hello"}\n#\n@\n0\n#\n#\n',
     "zero at start of chunk size"),
]


@pytest.mark.parametrize("name,wire,message", BAD_REQUESTS, ids=[b[0] for b in BAD_REQUESTS])
def test_bad_request_answers_101_and_closes(sim, name, wire, message):
    start(sim)
    with tls_connect() as s:
        s.sendall(wire)
        reply = read_message(s)
        assert reply[0]["status"] == "0.DOIP/Status.101"
        assert message in reply[0]["attributes"]["message"]
        assert closed_by_server(s)
    # The endpoint still serves others.
    with tls_connect() as s:
        assert request(s, {"operationId": "0.DOIP/Op.Hello"})[0]["status"] == "0.DOIP/Status.001"
    assert sim.metric_value("ecusim_dobj_requests_total", status="0.DOIP/Status.101") >= 1


def test_status_codes_104_105_102_103(sim):
    start(sim, credentials=[dobj_pb2.Credential(username="admin", password="secret"),
                            dobj_pb2.Credential(username="viewer", password="v", read_only=True)],
          objects=[dobj_pb2.DigitalObject(id="20.500.123/x", type="T")])
    admin = {"username": "admin", "password": "secret"}
    with tls_connect() as s:
        create = {"targetId": SERVICE, "operationId": "0.DOIP/Op.Create",
                  "input": {"id": "20.500.123/x", "type": "T"}}
        assert request(s, create)[0]["status"] == "0.DOIP/Status.102"
        assert request(s, dict(create, authentication={"username": "admin", "password": "no"})
                       )[0]["status"] == "0.DOIP/Status.102"
        assert request(s, dict(create, authentication={"username": "viewer", "password": "v"})
                       )[0]["status"] == "0.DOIP/Status.103"
        conflict = request(s, dict(create, authentication=admin))
        assert conflict[0]["status"] == "0.DOIP/Status.105"
        missing = request(s, {"targetId": "20.500.123/nope", "operationId": "0.DOIP/Op.Retrieve",
                              "authentication": admin})
        assert missing[0]["status"] == "0.DOIP/Status.104"
        assert request(s, {"operationId": "0.DOIP/Op.Hello"})[0]["status"] == "0.DOIP/Status.001"


def test_openssl_s_client_sees_tls12_plus_and_self_signed_subject(sim):
    status = start(sim)
    for version in ("-tls1_2", "-tls1_3"):
        out = subprocess.run(["openssl", "s_client", "-connect", f"{ADDRESS}:{PORT}", version,
                              "-brief"], input=b"", capture_output=True, timeout=20)
        text = (out.stdout + out.stderr).decode()
        assert f"Protocol version: {'TLSv1.2' if version == '-tls1_2' else 'TLSv1.3'}" in text, text
        assert f"CN = {ADDRESS}" in text, text
    old = subprocess.run(["openssl", "s_client", "-connect", f"{ADDRESS}:{PORT}", "-tls1_1",
                          "-brief"], input=b"", capture_output=True, timeout=20)
    assert old.returncode != 0
    pem = subprocess.run(["openssl", "s_client", "-connect", f"{ADDRESS}:{PORT}", "-showcerts"],
                         input=b"", capture_output=True, timeout=20).stdout
    fp = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256"], input=pem,
                        capture_output=True, timeout=20).stdout.decode()
    assert fp.strip().split("=", 1)[1] == status.certificate_sha256


def test_handshake_failure_is_counted_and_closes_only_that_connection(sim):
    start(sim)
    with tls_connect() as good:
        with socket.create_connection((ADDRESS, PORT), timeout=5) as plain:
            plain.sendall(b"GET / HTTP/1.0\r\n\r\n")
            while plain.recv(4096):
                pass
        assert request(good, {"operationId": "0.DOIP/Op.Hello"})[0]["status"] == \
            "0.DOIP/Status.001"
    assert sim.metric_value("ecusim_dobj_tls_handshake_failures_total") >= 1


def test_control_api(sim):
    status = start(sim)
    got = sim.dobj.GetEndpoint(dobj_pb2.GetEndpointRequest(ecu_id="brake"))
    assert got.certificate_sha256 == status.certificate_sha256
    with pytest.raises(grpc.RpcError) as e:
        start(sim)
    assert e.value.code() == grpc.StatusCode.ALREADY_EXISTS
    with pytest.raises(grpc.RpcError) as e:
        sim.dobj.StartEndpoint(dobj_pb2.StartEndpointRequest(ecu_id="nope"))
    assert e.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as e:
        sim.dobj.PutObject(dobj_pb2.PutObjectRequest(
            ecu_id="brake", object=dobj_pb2.DigitalObject(id="a", attributes_json="[1]")))
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "object.attributes_json" in e.value.details()
    sim.dobj.PutObject(dobj_pb2.PutObjectRequest(ecu_id="brake", object=dobj_pb2.DigitalObject(
        id="20.500.123/put", type="Sensor", attributes_json='{"content": {"unit": "bar"}}',
        elements=[dobj_pb2.DigitalObjectElement(id="raw", data=b"\x00\x01")])))
    with tls_connect() as s:
        raw = request(s, {"targetId": "20.500.123/put", "operationId": "0.DOIP/Op.Retrieve",
                          "attributes": {"element": "raw"}})
        assert raw[1] == b"\x00\x01"
    sim.dobj.DeleteObject(dobj_pb2.DeleteObjectRequest(ecu_id="brake", object_id="20.500.123/put"))
    with pytest.raises(grpc.RpcError) as e:
        sim.dobj.DeleteObject(dobj_pb2.DeleteObjectRequest(ecu_id="brake",
                                                           object_id="20.500.123/put"))
    assert e.value.code() == grpc.StatusCode.NOT_FOUND
    sim.dobj.StopEndpoint(dobj_pb2.StopEndpointRequest(ecu_id="brake"))
    with pytest.raises(OSError):
        socket.create_connection((ADDRESS, PORT), timeout=2)


def test_demo_scenario_serves_the_owner_manual(ecusimd):
    d = ecusimd(demo=True)
    status = d.stub(dobj_grpc.DigitalObjectServiceStub).GetEndpoint(
        dobj_pb2.GetEndpointRequest(ecu_id="infotainment"))
    assert status.port == PORT
    with tls_connect("127.0.0.12") as s:
        reply = request(s, {"targetId": "20.500.123/owner-manual",
                            "operationId": "0.DOIP/Op.Retrieve", "attributes": {"element": "file"}})
        assert reply[1] == b"Owner manual of the demo vehicle.\n"


def test_scenario_is_idempotent(ecusimd):
    d = ecusimd()
    ecus = d.stub(ecu_pb2_grpc.EcuServiceStub)
    scenario = ecu_pb2.Scenario(name="t", ecus=[ecu_pb2.ScenarioEcu(
        ecu=ecu_pb2.Ecu(id="brake", address=ADDRESS),
        digital_object=dobj_pb2.DigitalObjectEndpoint(
            objects=[dobj_pb2.DigitalObject(id="x/1", type="T")]))])
    first = ecus.ApplyScenario(ecu_pb2.ApplyScenarioRequest(scenario=scenario))
    assert list(first.created) == ["brake"]
    fp = d.stub(dobj_grpc.DigitalObjectServiceStub).GetEndpoint(
        dobj_pb2.GetEndpointRequest(ecu_id="brake")).certificate_sha256
    second = ecus.ApplyScenario(ecu_pb2.ApplyScenarioRequest(scenario=scenario))
    assert list(second.unchanged) == ["brake"]
    # Not restarted: same self-signed certificate.
    assert d.stub(dobj_grpc.DigitalObjectServiceStub).GetEndpoint(
        dobj_pb2.GetEndpointRequest(ecu_id="brake")).certificate_sha256 == fp
    bad = ecu_pb2.Scenario(name="t", ecus=[ecu_pb2.ScenarioEcu(
        ecu=ecu_pb2.Ecu(id="brake", address=ADDRESS),
        digital_object=dobj_pb2.DigitalObjectEndpoint(
            objects=[dobj_pb2.DigitalObject(id="x/1", attributes_json="nope")]))])
    with pytest.raises(grpc.RpcError) as e:
        ecus.ApplyScenario(ecu_pb2.ApplyScenarioRequest(scenario=bad))
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "digital_object.objects[0].attributes_json" in e.value.details()
