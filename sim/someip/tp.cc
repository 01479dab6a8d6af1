#include "sim/someip/tp.h"

#include "absl/strings/str_format.h"

namespace ecusim::someip {

absl::StatusOr<TpHeader> DecodeTpHeader(ByteSpan payload) {
  if (payload.size() < kTpHeaderSize) {
    return absl::InvalidArgumentError(
        absl::StrFormat("SOME/IP-TP header truncated: %d payload bytes, need 4", payload.size()));
  }
  uint32_t word = (uint32_t{payload[0]} << 24) | (uint32_t{payload[1]} << 16) |
                  (uint32_t{payload[2]} << 8) | payload[3];
  return TpHeader{word & 0xFFFFFFF0u, (word & 0x1u) != 0};
}

std::vector<Bytes> SegmentMessage(const Header& h, ByteSpan payload, size_t max_segment) {
  std::vector<Bytes> out;
  size_t offset = 0;
  do {
    size_t n = std::min(max_segment, payload.size() - offset);
    bool more = offset + n < payload.size();
    Header s = h;
    s.message_type = h.message_type | kTpFlag;
    s.length = static_cast<uint32_t>(kLengthOffset + kTpHeaderSize + n);  // _771
    Bytes seg;
    seg.reserve(kHeaderSize + kTpHeaderSize + n);
    AppendHeader(s, seg);
    uint32_t word = static_cast<uint32_t>(offset) | (more ? 1u : 0u);
    for (int i = 0; i < 4; ++i) seg.push_back(static_cast<uint8_t>(word >> (24 - 8 * i)));
    seg.insert(seg.end(), payload.begin() + offset, payload.begin() + offset + n);
    out.push_back(std::move(seg));
    offset += n;
  } while (offset < payload.size());
  return out;
}

absl::StatusOr<std::optional<Bytes>> TpReassembler::Feed(core::TimePoint now,
                                                         const std::string& peer,
                                                         const MessageView& segment) {
  const Header& h = segment.header;
  auto tp = DecodeTpHeader(segment.payload);
  if (!tp.ok()) return tp.status();
  ByteSpan data = segment.payload.subspan(kTpHeaderSize);
  Key key{peer, h.message_id(), h.client_id, h.interface_version, h.base_type()};
  auto it = buffers_.find(key);
  if (it != buffers_.end() && (it->second.session != h.session_id || tp->offset == 0)) {
    buffers_.erase(it);  // _793: a new session (or a restart) discards the old message
    it = buffers_.end();
  }
  if (it == buffers_.end()) {
    if (tp->offset != 0) {
      return absl::InvalidArgumentError(
          absl::StrFormat("SOME/IP-TP segment at offset %d without its first segment", tp->offset));
    }
    if (buffers_.size() >= limits_.max_buffers) {
      auto oldest = buffers_.begin();
      for (auto b = buffers_.begin(); b != buffers_.end(); ++b) {
        if (b->second.started < oldest->second.started) oldest = b;
      }
      buffers_.erase(oldest);
    }
    Buffer b;
    b.session = h.session_id;
    b.header = h;
    b.started = now;
    b.segment_size = data.size();
    it = buffers_.emplace(key, std::move(b)).first;
  }
  Buffer& b = it->second;
  auto fail = [&](std::string why) -> absl::Status {
    buffers_.erase(it);
    return absl::InvalidArgumentError(why);
  };
  if (tp->offset != b.payload.size()) {
    return fail(
        absl::StrFormat("SOME/IP-TP segment offset %d, expected %d (out of order, "
                        "overlapping or missing segment)",
                        tp->offset, b.payload.size()));
  }
  if (tp->more && (data.size() % 16 != 0 || data.size() != b.segment_size)) {
    return fail(
        absl::StrFormat("SOME/IP-TP segment of %d bytes is not a multiple of 16 or "
                        "differs from the first (%d)",
                        data.size(), b.segment_size));
  }
  if (b.payload.size() + data.size() > limits_.max_message_size) {
    return fail(absl::StrFormat("SOME/IP-TP message exceeds the limit of %d bytes",
                                limits_.max_message_size));
  }
  b.payload.insert(b.payload.end(), data.begin(), data.end());
  if (tp->more) return std::optional<Bytes>();
  Header whole = b.header;
  whole.message_type = h.base_type();
  whole.return_code = h.return_code;  // _784
  Bytes out = EncodeMessage(whole, b.payload);
  buffers_.erase(it);
  return std::optional<Bytes>(std::move(out));
}

void TpReassembler::Expire(core::TimePoint now) {
  for (auto it = buffers_.begin(); it != buffers_.end();) {
    if (now - it->second.started >= limits_.timeout) {
      it = buffers_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace ecusim::someip
