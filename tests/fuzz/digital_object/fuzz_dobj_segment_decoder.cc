// Fuzzes the DOIP v2 segment decoder: any input must decode without crashing, give the same
// events and error whether fed whole or split at an input-chosen point, and every decoded
// message must survive a write-and-decode round trip.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "sim/digital_object/segment_codec.h"

namespace {

using ecusim::digital_object::DecodeEvent;
using ecusim::digital_object::DecoderLimits;
using ecusim::digital_object::EncodeMessage;
using ecusim::digital_object::FramingError;
using ecusim::digital_object::Segment;
using ecusim::digital_object::SegmentDecoder;

struct Result {
  std::vector<std::vector<Segment>> messages;
  FramingError error = FramingError::kNone;
};

Result Decode(const std::vector<std::string_view>& parts, const DecoderLimits& limits) {
  SegmentDecoder decoder(limits);
  Result r;
  std::vector<Segment> pending;
  for (std::string_view p : parts) {
    std::vector<DecodeEvent> events;
    bool ok = decoder.Feed(p, events).ok();
    for (DecodeEvent& e : events) {
      if (e.type == DecodeEvent::Type::kMessageEnd) {
        r.messages.push_back(std::move(pending));
        pending.clear();
      } else {
        pending.push_back(std::move(e.segment));
      }
    }
    if (!ok) break;
  }
  r.error = decoder.ErrorAtEndOfInput();
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  DecoderLimits limits;
  limits.max_json_segment_bytes = 4096;
  limits.max_bytes_segment_bytes = 8192;
  limits.max_message_bytes = 16384;
  limits.max_segments = 64;
  const size_t split = size == 0 ? 0 : data[0] % (size + 1);
  Result whole = Decode({in}, limits);
  Result parts = Decode({in.substr(0, split), in.substr(split)}, limits);
  if (whole.error != parts.error || whole.messages != parts.messages) std::abort();
  DecoderLimits roomy;
  for (const auto& message : whole.messages) {
    std::string wire = EncodeMessage(message);
    Result again = Decode({wire}, roomy);
    // A decoded JSON segment never holds a line starting with '#', so it always writes back.
    if (again.error != FramingError::kNone || again.messages.size() != 1 ||
        again.messages[0] != message) {
      std::abort();
    }
  }
  return 0;
}
