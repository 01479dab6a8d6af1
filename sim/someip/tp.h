// SOME/IP-TP (someip-tp.rst; `_N` below stands for feat_req_someiptp_N): segmentation of
// large payloads and bounded reassembly of segmented messages.
#ifndef ECUSIM_SIM_SOMEIP_TP_H_
#define ECUSIM_SIM_SOMEIP_TP_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/statusor.h"
#include "sim/core/clock.h"
#include "sim/someip/header.h"

namespace ecusim::someip {

inline constexpr size_t kTpHeaderSize = 4;
// _773: the largest segment that is a multiple of 16 and fits an unfragmented datagram.
inline constexpr size_t kDefaultMaxSegment = 1392;

struct TpHeader {
  uint32_t offset = 0;  // bytes; always a multiple of 16 (_768)
  bool more = false;    // more segments follow (_770)
};

// Decodes the 4-byte TP header at the start of a segment's payload.
absl::StatusOr<TpHeader> DecodeTpHeader(ByteSpan payload);

// Splits `payload` into TP segments, each a whole SOME/IP message with the TP flag set, the
// session of `h` (_763) and every non-last segment of `max_segment` bytes (_772, _778).
// REQUIRES: max_segment is a non-zero multiple of 16.
std::vector<Bytes> SegmentMessage(const Header& h, ByteSpan payload,
                                  size_t max_segment = kDefaultMaxSegment);

// Reassembles segmented messages, keyed by peer and the matching fields of _781. Bounded:
// at most `max_buffers` messages in progress (the oldest is evicted) and `max_message_size`
// bytes each; an incomplete message is dropped after `timeout`.
class TpReassembler {
 public:
  struct Limits {
    size_t max_message_size = 1 << 20;
    size_t max_buffers = 16;
    core::Duration timeout = std::chrono::seconds(2);
  };
  TpReassembler() : TpReassembler(Limits{}) {}
  explicit TpReassembler(Limits limits) : limits_(limits) {}

  // Feeds one segment (a message with the TP flag) from `peer`. Returns the reassembled
  // message (header without the TP flag, Length recomputed, return code of the last segment,
  // _784) when it is complete, nullopt while more is expected, or INVALID_ARGUMENT naming the
  // problem (the partial message is then discarded).
  absl::StatusOr<std::optional<Bytes>> Feed(core::TimePoint now, const std::string& peer,
                                            const MessageView& segment);
  // Drops incomplete messages older than the timeout.
  void Expire(core::TimePoint now);
  size_t in_progress() const { return buffers_.size(); }

 private:
  // Peer, message id, client, interface version, type: a new session restarts (_793).
  using Key = std::tuple<std::string, uint32_t, uint16_t, uint8_t, uint8_t>;
  struct Buffer {
    uint16_t session = 0;
    Header header;
    Bytes payload;
    size_t segment_size = 0;
    core::TimePoint started;
  };
  Limits limits_;
  std::map<Key, Buffer> buffers_;
};

}  // namespace ecusim::someip

#endif  // ECUSIM_SIM_SOMEIP_TP_H_
