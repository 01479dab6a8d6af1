# Regenerates the seed corpus of fuzz_doip_decoder (valid and edge-case DoIP messages).
import struct, os
d = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "corpus", "fuzz_doip_decoder")
def msg(t, p, v=2): return struct.pack("!BBHL", v, v ^ 0xFF, t, len(p)) + p
vin = b"WVWZZZ1JZXW000001"
cases = {
 "vir": msg(1, b""), "vir_ff": msg(1, b"", 0xFF),
 "vir_eid": msg(2, bytes([2,0,0,0,0x10,0])), "vir_vin": msg(3, vin),
 "announcement33": msg(4, vin + b"\x10\x00" + bytes(6) + bytes(6) + b"\x00\x00"),
 "announcement32": msg(4, vin + b"\x10\x00" + bytes(6) + bytes(6) + b"\x00"),
 "routing_activation": msg(5, b"\x0e\x80\x00\x00\x00\x00\x00"),
 "routing_activation_oem": msg(5, b"\x0e\x80\xe0\x00\x00\x00\x00\xca\xfe\xf0\x0d"),
 "routing_activation_response": msg(6, b"\x0e\x80\x10\x00\x10\x00\x00\x00\x00"),
 "alive_check_request": msg(7, b""), "alive_check_response": msg(8, b"\x0e\x80"),
 "entity_status": msg(0x4001, b""), "entity_status_response": msg(0x4002, b"\x00\x04\x01\x00\x00\x10\x00"),
 "power_mode": msg(0x4003, b""), "power_mode_response": msg(0x4004, b"\x01"),
 "diag_read_vin": msg(0x8001, b"\x0e\x80\x10\x01\x22\xf1\x90"),
 "diag_functional": msg(0x8001, b"\x0e\x80\xe4\x00\x3e\x00"),
 "diag_session_then_seed": msg(0x8001, b"\x0e\x80\x10\x01\x10\x03") + msg(0x8001, b"\x0e\x80\x10\x01\x27\x01") + msg(0x8001, b"\x0e\x80\x10\x01\x27\x02\x00\x00\x00\x00"),
 "diag_write": msg(0x8001, b"\x0e\x80\x10\x02\x2e\xf1\x90" + vin),
 "diag_reset": msg(0x8001, b"\x0e\x80\x10\x01\x11\x01") + msg(0x8001, b"\x0e\x80\x10\x01\x3e\x00"),
 "diag_ack": msg(0x8002, b"\x10\x01\x0e\x80\x00"), "diag_nack": msg(0x8003, b"\x10\x01\x0e\x80\x03"),
 "generic_nack": msg(0, b"\x04"),
 "bad_inverse": b"\x02\x02\x00\x01\x00\x00\x00\x00",
 "unknown_type": msg(0x5555, b"\xaa"),
 "too_large": struct.pack("!BBHL", 2, 0xFD, 0x8001, 0x10000) + b"\x0e\x80",
 "truncated_ra": msg(5, b"\x0e\x80"),
 "huge_length": b"\x02\xfd\x80\x01\xff\xff\xff\xff",
 "short": b"\x02\xfd\x00",
}
os.makedirs(d, exist_ok=True)
for k, v in cases.items():
    open(os.path.join(d, k + ".bin"), "wb").write(v)
print(len(cases))
