#!/usr/bin/python3
"""Writes the SOME/IP fuzz seed corpora with scapy (an independent encoder): valid SD
messages of every entry and option type, requests, TP segments, and edge cases."""
import os
from scapy.contrib.automotive.someip import (SOMEIP, SD, SDEntry_Service, SDEntry_EventGroup,
                                              SDOption_IP4_EndPoint, SDOption_IP6_EndPoint,
                                              SDOption_IP4_Multicast, SDOption_IP6_Multicast,
                                              SDOption_Config, SDOption_LoadBalance,
                                              SDOption_IP4_SD_EndPoint)

here = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    d = os.path.join(here, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(bytes(data))


def sd(entries, options, flags=0xC0, session=1):
    p = SD(flags=flags, entry_array=entries, option_array=options)
    return SOMEIP(srv_id=0xFFFF, sub_id=1, event_id=0x100, session_id=session, iface_ver=1,
                  msg_type=2) / p


ep4 = SDOption_IP4_EndPoint(addr="127.0.0.9", l4_proto=0x11, port=40000)
ep6 = SDOption_IP6_EndPoint(addr="fe80::1", l4_proto=0x11, port=40000)
mc4 = SDOption_IP4_Multicast(addr="239.1.1.1", l4_proto=0x11, port=5000)
mc6 = SDOption_IP6_Multicast(addr="ff14::1", l4_proto=0x11, port=5000)
cfg = SDOption_Config(cfg_str="abc=x")
lb = SDOption_LoadBalance(priority=1, weight=2)
sdep = SDOption_IP4_SD_EndPoint(addr="127.0.0.9", l4_proto=0x11, port=30490)

find = SDEntry_Service(type=0x00, srv_id=0x1234, inst_id=0xFFFF, major_ver=0xFF, ttl=3,
                       minor_ver=0xFFFFFFFF)
offer = SDEntry_Service(type=0x01, srv_id=0x1234, inst_id=1, major_ver=1, ttl=3,
                        index_1=0, n_opt_1=1)
sub = SDEntry_EventGroup(type=0x06, srv_id=0x1234, inst_id=1, major_ver=1, ttl=5, cnt=3,
                         eventgroup_id=1, index_1=0, n_opt_1=1)
stop_sub = SDEntry_EventGroup(type=0x06, srv_id=0x1234, inst_id=1, major_ver=1, ttl=0,
                              eventgroup_id=1, index_1=0, n_opt_1=1)
ack = SDEntry_EventGroup(type=0x07, srv_id=0x1234, inst_id=1, major_ver=1, ttl=5,
                         eventgroup_id=1)

cases = {
    "find": sd([find], []),
    "find_multicast_flag0": sd([find], [], flags=0x80),
    "offer": sd([offer], [ep4]),
    "subscribe": sd([sub], [ep4]),
    "subscribe_ipv6": sd([sub], [ep6]),
    "stop_subscribe": sd([stop_sub], [ep4]),
    "subscribe_and_find": sd([find, sub], [ep4]),
    "ack_multicast": sd([ack], [mc4, mc6]),
    "all_options": sd([sub], [ep4, cfg, lb, sdep, mc6]),
    "subscribe_bad_eventgroup": sd([SDEntry_EventGroup(type=0x06, srv_id=0x1234, inst_id=1,
                                                       major_ver=1, ttl=5, eventgroup_id=9,
                                                       index_1=0, n_opt_1=1)], [ep4]),
}
for name, pkt in cases.items():
    write("fuzz_someip_sd", name + ".bin", bytes(pkt))
raw = bytes(cases["subscribe"])
write("fuzz_someip_sd", "truncated.bin", raw[:30])
write("fuzz_someip_sd", "unknown_entry.bin", raw[:24] + b"\x09" + raw[25:])
write("fuzz_someip_sd", "two_messages.bin", raw + bytes(cases["find"]))

req = SOMEIP(srv_id=0x1234, sub_id=0, method_id=1, client_id=0x10, session_id=1, iface_ver=1,
             msg_type=0)
write("fuzz_someip_header", "request.bin", bytes(req))
write("fuzz_someip_header", "request_payload.bin", bytes(req / b"\x01\x02\x03"))
write("fuzz_someip_header", "fire_forget.bin",
      bytes(SOMEIP(srv_id=0x1234, method_id=2, iface_ver=1, msg_type=1)))
write("fuzz_someip_header", "getter.bin",
      bytes(SOMEIP(srv_id=0x1234, method_id=0x10, iface_ver=1, msg_type=0)))
write("fuzz_someip_header", "setter.bin",
      bytes(SOMEIP(srv_id=0x1234, method_id=0x11, iface_ver=1, msg_type=0) / b"\x05"))
write("fuzz_someip_header", "two_requests.bin", bytes(req) * 2)
write("fuzz_someip_header", "length_short.bin", bytes(req)[:7] + b"\x07" + bytes(req)[8:])
write("fuzz_someip_header", "length_long.bin", bytes(req)[:7] + b"\x40" + bytes(req)[8:])
write("fuzz_someip_header", "short.bin", bytes(req)[:10])
big = SOMEIP(srv_id=0x1234, method_id=1, iface_ver=1, msg_type=0x20, session_id=5, offset=0) / (b"\x42" * 3000)
for i, seg in enumerate(big.fragment(fragsize=1392)):
    write("fuzz_someip_header", "tp_segment_%d.bin" % i, bytes(seg))
