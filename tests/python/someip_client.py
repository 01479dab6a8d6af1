"""A minimal SOME/IP(-SD) client for the tests: plain UDP sockets on loopback, packets built
and parsed by scapy (an independent implementation), never by ecusim's own codec."""
import select
import socket
import struct
import time

from scapy.contrib.automotive.someip import (SOMEIP, SD, SDEntry_Service, SDEntry_EventGroup,
                                              SDOption_IP4_EndPoint)

SD_GROUP = "224.224.224.245"
SD_PORT = 30490


def _sd_socket(bind_addr, port, group=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((bind_addr, port))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("127.0.0.1"))
    if group:
        mreq = socket.inet_aton(group) + socket.inet_aton("127.0.0.1")
        s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    return s


class Client:
    def __init__(self, events_port=40000):
        self.sd_uni = _sd_socket("127.0.0.1", SD_PORT)
        self.sd_multi = _sd_socket(SD_GROUP, SD_PORT, SD_GROUP)
        self.events = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.events.bind(("127.0.0.1", events_port))
        self.events_port = events_port
        self.session = 0

    def close(self):
        for s in (self.sd_uni, self.sd_multi, self.events):
            s.close()

    @staticmethod
    def recv(sock, timeout):
        r, _, _ = select.select([sock], [], [], timeout)
        if not r:
            return None, None
        return sock.recvfrom(65536)

    def _next_session(self):
        self.session += 1
        return self.session

    def sd_packet(self, entries, options, unicast_flag=True):
        flags = 0x80 | (0x40 if unicast_flag else 0)
        return SOMEIP(srv_id=0xFFFF, sub_id=1, event_id=0x100, client_id=0,
                      session_id=self._next_session(), iface_ver=1, msg_type=2,
                      retcode=0) / SD(flags=flags, entry_array=entries, option_array=options)

    def send_find(self, service, instance=0xFFFF, major=0xFF, unicast_flag=True, to=None):
        e = SDEntry_Service(type=0x00, srv_id=service, inst_id=instance, major_ver=major, ttl=3,
                            minor_ver=0xFFFFFFFF)
        self.sd_uni.sendto(bytes(self.sd_packet([e], [], unicast_flag)), to or (SD_GROUP, SD_PORT))

    def send_subscribe(self, ecu_addr, service, instance, major, eventgroup, ttl=10, counter=0):
        e = SDEntry_EventGroup(type=0x06, srv_id=service, inst_id=instance, major_ver=major,
                               ttl=ttl, cnt=counter, eventgroup_id=eventgroup, index_1=0,
                               n_opt_1=1)
        o = SDOption_IP4_EndPoint(addr="127.0.0.1", l4_proto=0x11, port=self.events_port)
        self.sd_uni.sendto(bytes(self.sd_packet([e], [o])), (ecu_addr, SD_PORT))

    def wait_sd(self, sock, pred, timeout=5.0):
        """The first SD message on `sock` with an entry satisfying pred(entry): (packet, entry,
        sender)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            data, sender = self.recv(sock, max(0.0, deadline - time.monotonic()))
            if data is None:
                break
            pkt = SOMEIP(data)
            if pkt.srv_id != 0xFFFF or SD not in pkt:
                continue
            for e in pkt[SD].entry_array:
                if pred(e):
                    return pkt, e, sender
        raise TimeoutError("no matching SD entry")

    def request(self, ecu_addr, port, service, method, payload=b"", iface=1, msg_type=0x00,
                session=None):
        p = SOMEIP(srv_id=service, sub_id=0, method_id=method, client_id=0x0042,
                   session_id=session or self._next_session(), iface_ver=iface,
                   msg_type=msg_type, retcode=0) / payload
        self.events.sendto(bytes(p), (ecu_addr, port))
        return p

    def recv_someip(self, timeout=5.0):
        data, sender = self.recv(self.events, timeout)
        if data is None:
            return None, None
        return SOMEIP(data), sender


def sequence(payload):
    return struct.unpack(">Q", bytes(payload)[:8])[0]


def method_of(pkt):
    """The 16-bit Method/Event ID (scapy splits it into sub_id + method_id/event_id)."""
    return (0x8000 | pkt.event_id) if pkt.sub_id else pkt.method_id
