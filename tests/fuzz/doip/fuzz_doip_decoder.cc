// Fuzzes the DoIP decoder three ways: one complete message (DecodeMessage, re-encoded and
// compared), the TCP stream framer + entity state machine fed in chunks, and the UDP handler.
#include <cstdint>
#include <cstdlib>

#include "sim/doip/doip_message.h"
#include "sim/doip/entity.h"

namespace {

using namespace ecusim::doip;

void CheckRoundTrip(ByteSpan in) {
  absl::StatusOr<Message> m = DecodeMessage(in);
  if (!m.ok()) return;
  Bytes again = EncodeMessage(m->header.version, m->payload);
  // Decoding is lossless: re-encoding gives the same bytes.
  if (again.size() != in.size() || !std::equal(again.begin(), again.end(), in.begin())) {
    std::abort();
  }
}

void DriveEntity(ByteSpan in) {
  EntityConfig config;
  config.vin = *VinFromString("WVWZZZ1JZXW000001");
  config.max_sockets = 1;
  LogicalEcuConfig a;
  a.address = 0x1001;
  a.uds.response_pending_count = 1;
  LogicalEcuConfig b;
  b.address = 0x1002;
  config.ecus = {a, b};
  if (!NormalizeEntityConfig(config).ok()) std::abort();
  Entity entity(config, nullptr);
  ecusim::core::TimePoint now{};
  Actions out;
  entity.OnDatagram(now, in);
  entity.OnAccept(1, now, "fuzz", false, out);
  // Routing activation first so the diagnostic paths are reachable.
  entity.OnData(1, now, EncodeMessage(2, RoutingActivationRequest{0x0E80, 0, 0, {}}), out);
  size_t chunk = in.empty() ? 1 : (in[0] % 17) + 1;
  for (size_t i = 0; i < in.size(); i += chunk) {
    entity.OnData(1, now, in.subspan(i, std::min(chunk, in.size() - i)), out);
    now += std::chrono::milliseconds(50);
    entity.OnTimer(now, out);
  }
  now += std::chrono::seconds(10);
  entity.OnTimer(now, out);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteSpan in(data, size);
  CheckRoundTrip(in);
  DriveEntity(in);
  return 0;
}
