// Fuzzes the SOME/IP header decoder, datagram splitting, TP reassembly and the request path
// of a service instance (every byte sequence a client could send to a service port).
#include <cstdint>
#include <cstdlib>

#include "sim/someip/header.h"
#include "sim/someip/sd_server.h"
#include "sim/someip/tp.h"

using namespace ecusim::someip;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteSpan in(data, size);
  SplitResult split = SplitDatagram(in);
  size_t covered = 0;
  for (const MessageView& m : split.messages) {
    if (m.bytes.size() != m.header.length + 8u) std::abort();
    covered += m.bytes.size();
    Bytes again = EncodeMessage(m.header, m.payload);
    if (!std::equal(again.begin(), again.end(), m.bytes.begin(), m.bytes.end())) std::abort();
  }
  if (split.errors.empty() && covered != size) std::abort();

  static ecusim::core::FakeClock clock;
  static Reporter reporter;
  static SdServer* server = [] {
    auto* s = new SdServer({asio::ip::make_address("127.0.0.2")}, reporter);
    InstanceConfig c;
    c.service.id = 0x1234;
    c.service.events = {{0x8001, true}};
    c.service.methods = {{0x0001, false, true}, {0x0002, true, false}};
    c.service.fields = {{0x0010, 0x0011, 0x8002, {1}}};
    c.service.eventgroups = {{1, {0x8001, 0x8002}, std::nullopt, 0}};
    c.instance_id = 1;
    c.endpoint_port = 30501;
    (void)s->Offer(clock.Now(), c);
    return s;
  }();
  clock.Advance(std::chrono::milliseconds(1));
  Datagrams out;
  server->OnServiceDatagram(clock.Now(), 30501, Endpoint(asio::ip::make_address("127.0.0.9"), 4000),
                            in, out);
  server->OnTimer(clock.Now(), out);
  for (const Datagram& d : out) {
    SplitResult r = SplitDatagram(d.bytes);
    if (!r.errors.empty()) std::abort();  // everything we send is well formed
  }
  return 0;
}
