"""SomeIpService control paths a user relies on, checked on the wire with scapy: live method
handling (HandleMethods), PublishEvents with rejected events, fault injection (NACK, drop),
SetField notifications, and the observations Watch streams."""
import queue
import threading

import grpc
import pytest
from scapy.contrib.automotive.someip import SD  # noqa: F401

import harness  # noqa: F401
from ecusim.v1 import observe_pb2, observe_pb2_grpc, someip_pb2, someip_pb2_grpc
from someip_client import Client, method_of
from test_someip_wire import ECU, PORT, SERVICE, start


@pytest.fixture
def client():
    c = Client()
    yield c
    c.close()


def subscribe(client, counter=0):
    client.wait_sd(client.sd_multi, lambda e: e.type == 0x01 and e.ttl > 0)
    client.send_subscribe(ECU, SERVICE, 1, 1, eventgroup=1, ttl=30, counter=counter)
    _, ack, _ = client.wait_sd(client.sd_uni, lambda e: e.type == 0x07)
    return ack


def test_handle_methods_answers_live(ecusimd, client):
    d = ecusimd()
    someip = start(d)
    replies = queue.Queue()

    def outgoing():
        yield someip_pb2.MethodReply(filter=someip_pb2.MethodFilter(
            ecu_id="brake", service_id=SERVICE, instance_id=1, method_ids=[1]))
        while True:
            item = replies.get()
            if item is None:
                return
            yield item

    calls = someip.HandleMethods(outgoing())
    received = queue.Queue()

    def pump():
        try:
            for c in calls:
                received.put(c)
        except grpc.RpcError:
            pass  # the stream ends with the test

    threading.Thread(target=pump, daemon=True).start()
    # The filter is registered once the server has read it; retry the call until forwarded.
    call = None
    for _ in range(20):
        client.request(ECU, PORT, SERVICE, 0x0001, b"abc", session=0x55)
        try:
            call = received.get(timeout=0.25)
            break
        except queue.Empty:
            client.recv_someip(timeout=0.05)  # an early default RESPONSE, if any
    assert call is not None
    assert (call.method_id, call.payload, call.session_id) == (1, b"abc", 0x55)
    assert call.peer == "127.0.0.1:40000" and call.client_id == 0x0042
    replies.put(someip_pb2.MethodReply(call_id=call.call_id, behavior=someip_pb2.MethodBehavior(
        kind=someip_pb2.MethodBehavior.STATIC_REPLY, payload=b"xyz")))
    resp, _ = client.recv_someip()
    while resp is not None and resp.session_id != 0x55:
        resp, _ = client.recv_someip()
    assert resp.msg_type == 0x80 and bytes(resp.payload) == b"xyz"

    # A second stream for the same instance is refused.
    def second():
        yield someip_pb2.MethodReply(filter=someip_pb2.MethodFilter(
            ecu_id="brake", service_id=SERVICE, instance_id=1))
    with pytest.raises(grpc.RpcError) as e:
        list(someip.HandleMethods(second(), timeout=5))
    assert e.value.code() == grpc.StatusCode.ALREADY_EXISTS
    replies.put(None)


def test_publish_events_counts_and_rejects(ecusimd, client):
    d = ecusimd()
    someip = start(d)
    subscribe(client)
    client.recv_someip()  # field initial event

    def requests():
        yield someip_pb2.PublishEventsRequest(
            ecu_id="brake", service_id=SERVICE, instance_id=1,
            events=[someip_pb2.PublishedEvent(eventgroup_id=1, event_id=0x8001, payload=b"a"),
                    someip_pb2.PublishedEvent(eventgroup_id=1, event_id=0x8001, payload=b"b")])
        yield someip_pb2.PublishEventsRequest(
            events=[someip_pb2.PublishedEvent(eventgroup_id=1, event_id=0x8005, payload=b"x"),
                    someip_pb2.PublishedEvent(eventgroup_id=1, event_id=0x8001, payload=b"c")])

    result = someip.PublishEvents(requests())
    assert (result.sent, result.rejected) == (3, 1)
    assert "0x8005" in result.first_error
    got = []
    for _ in range(3):
        ev, _ = client.recv_someip()
        assert ev is not None and method_of(ev) == 0x8001
        got.append((bytes(ev.payload), ev.session_id))
    assert got == [(b"a", 1), (b"b", 2), (b"c", 3)]
    assert d.metric_value("ecusim_someip_notifications_dropped_total", reason="rejected") == 1

    with pytest.raises(grpc.RpcError) as e:
        someip.PublishEvents(iter([someip_pb2.PublishEventsRequest(
            ecu_id="brake", service_id=SERVICE, instance_id=9)]))
    assert e.value.code() == grpc.StatusCode.NOT_FOUND


def test_faults_and_field_and_observations(ecusimd, client):
    d = ecusimd()
    someip = start(d)
    watch = d.stub(observe_pb2_grpc.ObserveServiceStub).Watch(
        observe_pb2.WatchRequest(kind_prefixes=["someip."]), timeout=20)
    seen = queue.Queue()

    def pump():
        try:
            for r in watch:
                seen.put(r)
        except grpc.RpcError:
            pass  # cancelled when the test ends

    threading.Thread(target=pump, daemon=True).start()

    someip.SetFaults(someip_pb2.SetFaultsRequest(
        ecu_id="brake", service_id=SERVICE, instance_id=1,
        faults=someip_pb2.FaultInjection(nack_subscriptions=True)))
    nack = subscribe(client, counter=3)
    assert nack.ttl == 0 and nack.cnt == 3
    listed = someip.ListOffers(someip_pb2.ListOffersRequest(ecu_id="brake")).offers[0]
    assert listed.instance.faults.nack_subscriptions and listed.phase in ("repetition", "main")
    someip.SetFaults(someip_pb2.SetFaultsRequest(
        ecu_id="brake", service_id=SERVICE, instance_id=1,
        faults=someip_pb2.FaultInjection(drop_notifications_percent=100)))
    client.send_subscribe(ECU, SERVICE, 1, 1, eventgroup=1, ttl=30, counter=4)
    _, ack, _ = client.wait_sd(client.sd_uni, lambda e: e.type == 0x07)
    assert ack.ttl == 30
    client.recv_someip()  # initial event (not a notification subject to the drop fault)
    someip.SendEvent(someip_pb2.SendEventRequest(ecu_id="brake", service_id=SERVICE,
                                                 instance_id=1, eventgroup_id=1,
                                                 event_id=0x8001, payload=b"z"))
    ev, _ = client.recv_someip(timeout=0.5)
    assert ev is None
    assert d.metric_value("ecusim_someip_notifications_dropped_total", reason="fault") == 1
    someip.SetFaults(someip_pb2.SetFaultsRequest(ecu_id="brake", service_id=SERVICE,
                                                 instance_id=1))

    r = someip.SetField(someip_pb2.SetFieldRequest(ecu_id="brake", service_id=SERVICE,
                                                   instance_id=1, field_id=0x8002,
                                                   value=b"\x01\x02"))
    assert r.changed and r.recipients == 1
    note, _ = client.recv_someip()
    assert method_of(note) == 0x8002 and bytes(note.payload) == b"\x01\x02"
    r = someip.SetField(someip_pb2.SetFieldRequest(ecu_id="brake", service_id=SERVICE,
                                                   instance_id=1, field_id=0x8002,
                                                   value=b"\x01\x02"))
    assert not r.changed
    with pytest.raises(grpc.RpcError) as e:
        someip.SetField(someip_pb2.SetFieldRequest(ecu_id="brake", service_id=SERVICE,
                                                   instance_id=1, field_id=0x8009))
    assert e.value.code() == grpc.StatusCode.NOT_FOUND and "0x8009" in e.value.details()

    kinds = set()
    while True:
        try:
            item = seen.get(timeout=2)
        except queue.Empty:
            break
        if item.HasField("observation"):
            kinds.add(item.observation.kind)
            if item.observation.kind == "someip.subscription.refused":
                assert "nack_subscriptions" in item.observation.attributes["reason"]
        if {"someip.subscription.refused", "someip.subscription.added",
                "someip.event.sent"} <= kinds:
            break
    assert {"someip.offer", "someip.subscription.refused", "someip.subscription.added",
            "someip.event.sent"} <= kinds, kinds
