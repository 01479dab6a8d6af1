// Fuzzes the SOME/IP-SD decoder (re-encoding what it accepts must decode to the same message)
// and the SD server's handling of any datagram on the SD port.
#include <cstdint>
#include <cstdlib>

#include "sim/someip/sd_message.h"
#include "sim/someip/sd_server.h"

using namespace ecusim::someip;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteSpan in(data, size);
  // The input as an SD payload and, when it has one, as a whole SOME/IP-SD datagram.
  for (ByteSpan payload : {in, size >= 16 ? in.subspan(16) : ByteSpan()}) {
    auto m = DecodeSdPayload(payload);
    if (!m.ok()) continue;
    bool all_known = true;
    for (const Option& o : m->options) all_known = all_known && o.known;
    if (!all_known) continue;  // unknown options are not re-encoded byte for byte
    Bytes again;
    AppendSdPayload(*m, again);
    auto m2 = DecodeSdPayload(again);
    if (!m2.ok() || !(*m2 == *m)) std::abort();
  }

  static ecusim::core::FakeClock clock;
  static Reporter reporter;
  static SdServer* server = [] {
    auto* s = new SdServer({asio::ip::make_address("127.0.0.2")}, reporter);
    InstanceConfig c;
    c.service.id = 0x1234;
    c.service.events = {{0x8001, false}};
    c.service.fields = {{0x0010, 0x0011, 0x8002, {1}}};
    c.service.eventgroups = {{1, {0x8001, 0x8002}, std::nullopt, 0}};
    c.instance_id = 1;
    c.endpoint_port = 30501;
    c.max_subscribers = 8;
    (void)s->Offer(clock.Now(), c);
    return s;
  }();
  clock.Advance(std::chrono::milliseconds(300));
  Datagrams out;
  server->OnSdDatagram(clock.Now(), Endpoint(asio::ip::make_address("127.0.0.9"), 30490),
                       size % 2 == 0, in, out);
  server->OnTimer(clock.Now(), out);
  for (const Datagram& d : out) {
    SplitResult r = SplitDatagram(d.bytes);
    if (!r.errors.empty() || r.messages.empty()) std::abort();
    if (d.from == 0 && !DecodeSdPayload(r.messages[0].payload).ok()) std::abort();
  }
  return 0;
}
