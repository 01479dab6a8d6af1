// Incremental DoIP framing over a TCP byte stream, with the entity's generic header handler
// (ISO 13400-2:2012 Figure 7 order): pattern, payload type, maximum size, available memory,
// payload length. Partial reads of any size are fine; oversized payloads are skipped without
// being buffered.
#ifndef ECUSIM_SIM_DOIP_STREAM_FRAMER_H_
#define ECUSIM_SIM_DOIP_STREAM_FRAMER_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "sim/doip/doip_message.h"

namespace ecusim::doip {

// Receive memory shared by all connections of an entity: a message whose payload does not
// fit gets generic NACK 0x03 (out of memory).
class BufferBudget {
 public:
  explicit BufferBudget(size_t capacity) : capacity_(capacity) {}
  bool Reserve(size_t n) {
    if (n > capacity_ - used_) return false;
    used_ += n;
    return true;
  }
  void Release(size_t n) { used_ -= n; }
  size_t used() const { return used_; }
  size_t capacity() const { return capacity_; }

 private:
  size_t capacity_;
  size_t used_ = 0;
};

enum class Transport { kUdp, kTcp };

struct HeaderRules {
  uint8_t version = kVersion2012;
  // Maximum payload length (the entity status "max data size").
  uint32_t max_payload = 4096;
};

struct HeaderVerdict {
  GenericNackCode code;
  bool close;  // 0x00 and 0x04 close a TCP socket; the others discard the message
  std::string detail;
};

// The generic header handler: nullopt when the header is acceptable. Checks the supported
// payload types of the entity on `transport`. The memory check is the caller's.
std::optional<HeaderVerdict> CheckHeader(const Header& header, const HeaderRules& rules,
                                         Transport transport);

// True for payload types an entity accepts on `transport`.
bool EntityAccepts(uint16_t payload_type, Transport transport);

class StreamFramer {
 public:
  struct Frame {
    Header header;
    Bytes payload;
  };
  using Event = std::variant<Frame, HeaderVerdict>;

  // REQUIRES: budget outlives the framer (may be null: unlimited).
  StreamFramer(HeaderRules rules, BufferBudget* budget) : rules_(rules), budget_(budget) {}
  StreamFramer(const StreamFramer&) = delete;
  StreamFramer& operator=(const StreamFramer&) = delete;
  ~StreamFramer() { ReleaseReservation(); }

  // Consumes all of `data`. After a verdict that closes, everything else is ignored.
  void Feed(ByteSpan data, std::vector<Event>& out);

  size_t buffered_bytes() const { return header_have_ + payload_.size(); }
  bool dead() const { return dead_; }
  void set_rules(const HeaderRules& rules) { rules_ = rules; }

 private:
  void OnHeader(std::vector<Event>& out);
  void ReleaseReservation();

  HeaderRules rules_;
  BufferBudget* budget_;
  std::array<uint8_t, kHeaderSize> header_buf_{};
  size_t header_have_ = 0;
  Header header_;
  bool in_payload_ = false;
  Bytes payload_;
  size_t reserved_ = 0;
  uint64_t skip_ = 0;
  bool dead_ = false;
};

}  // namespace ecusim::doip

#endif  // ECUSIM_SIM_DOIP_STREAM_FRAMER_H_
