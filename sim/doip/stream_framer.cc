#include "sim/doip/stream_framer.h"

#include <algorithm>

#include "absl/strings/str_format.h"

namespace ecusim::doip {

bool EntityAccepts(uint16_t t, Transport transport) {
  switch (static_cast<PayloadType>(t)) {
    case PayloadType::kGenericNack:
      return true;  // accepted and ignored (a tester's NACK needs no answer)
    case PayloadType::kVehicleIdRequest:
    case PayloadType::kVehicleIdRequestEid:
    case PayloadType::kVehicleIdRequestVin:
    case PayloadType::kEntityStatusRequest:
    case PayloadType::kPowerModeRequest:
    case PayloadType::kVehicleAnnouncement:  // other entities' announcements: ignored
      return transport == Transport::kUdp;
    case PayloadType::kRoutingActivationRequest:
    case PayloadType::kAliveCheckRequest:
    case PayloadType::kAliveCheckResponse:
    case PayloadType::kDiagnosticMessage:
      return transport == Transport::kTcp;
    default:
      return false;
  }
}

std::optional<HeaderVerdict> CheckHeader(const Header& h, const HeaderRules& rules,
                                         Transport transport) {
  const bool inverse_ok = static_cast<uint8_t>(h.version ^ 0xFF) == h.inverse_version;
  // Version 0xFF is the default for vehicle identification requests only; those are
  // also accepted with any version 0x01..0x04 (python-doipclient sends 0x02).
  bool version_ok = h.version == rules.version;
  if (transport == Transport::kUdp && IsVehicleIdRequest(h.payload_type)) {
    version_ok = h.version == kVersionDefaultVir ||
                 (h.version >= kVersion2010 && h.version <= kVersion2019Amd1);
  }
  if (!inverse_ok || !version_ok) {
    return HeaderVerdict{GenericNackCode::kIncorrectPatternFormat, true,
                         absl::StrFormat("incorrect pattern: version 0x%02X inverse 0x%02X",
                                         h.version, h.inverse_version)};
  }
  if (!EntityAccepts(h.payload_type, transport)) {
    return HeaderVerdict{GenericNackCode::kUnknownPayloadType, false,
                         absl::StrFormat("unsupported payload type 0x%04X", h.payload_type)};
  }
  if (h.payload_length > rules.max_payload) {
    return HeaderVerdict{GenericNackCode::kMessageTooLarge, false,
                         absl::StrFormat("payload length %d above the maximum %d", h.payload_length,
                                         rules.max_payload)};
  }
  if (!IsValidPayloadLength(h.payload_type, h.payload_length)) {
    return HeaderVerdict{GenericNackCode::kInvalidPayloadLength, true,
                         absl::StrFormat("invalid payload length %d for %s", h.payload_length,
                                         PayloadTypeName(h.payload_type))};
  }
  return std::nullopt;
}

void StreamFramer::ReleaseReservation() {
  if (budget_ != nullptr && reserved_ > 0) budget_->Release(reserved_);
  reserved_ = 0;
}

void StreamFramer::OnHeader(std::vector<Event>& out) {
  header_have_ = 0;
  header_ = Header{header_buf_[0], header_buf_[1],
                   static_cast<uint16_t>((header_buf_[2] << 8) | header_buf_[3]),
                   (static_cast<uint32_t>(header_buf_[4]) << 24) |
                       (static_cast<uint32_t>(header_buf_[5]) << 16) |
                       (static_cast<uint32_t>(header_buf_[6]) << 8) | header_buf_[7]};
  std::optional<HeaderVerdict> verdict = CheckHeader(header_, rules_, Transport::kTcp);
  // Memory is checked before the payload length (ISO 13400-2 generic header handler).
  if (!verdict && budget_ != nullptr && !budget_->Reserve(header_.payload_length)) {
    verdict = HeaderVerdict{
        GenericNackCode::kOutOfMemory, false,
        absl::StrFormat("no memory for a %d byte payload (%d of %d in use)", header_.payload_length,
                        budget_->used(), budget_->capacity())};
  } else if (!verdict && budget_ != nullptr) {
    reserved_ = header_.payload_length;
  }
  if (verdict) {
    if (verdict->close) {
      dead_ = true;
    } else {
      skip_ = header_.payload_length;
    }
    out.emplace_back(std::move(*verdict));
    return;
  }
  in_payload_ = true;
  payload_.clear();
  payload_.reserve(header_.payload_length);
  if (header_.payload_length == 0) {
    in_payload_ = false;
    ReleaseReservation();
    out.emplace_back(Frame{header_, {}});
  }
}

void StreamFramer::Feed(ByteSpan data, std::vector<Event>& out) {
  size_t pos = 0;
  while (pos < data.size() && !dead_) {
    if (skip_ > 0) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(skip_, data.size() - pos));
      skip_ -= n;
      pos += n;
      continue;
    }
    if (!in_payload_) {
      const size_t n = std::min(kHeaderSize - header_have_, data.size() - pos);
      std::copy_n(data.begin() + static_cast<std::ptrdiff_t>(pos), n,
                  header_buf_.begin() + static_cast<std::ptrdiff_t>(header_have_));
      header_have_ += n;
      pos += n;
      if (header_have_ == kHeaderSize) OnHeader(out);
      continue;
    }
    const size_t n = std::min(header_.payload_length - payload_.size(), data.size() - pos);
    payload_.insert(payload_.end(), data.begin() + static_cast<std::ptrdiff_t>(pos),
                    data.begin() + static_cast<std::ptrdiff_t>(pos + n));
    pos += n;
    if (payload_.size() == header_.payload_length) {
      in_payload_ = false;
      ReleaseReservation();
      out.emplace_back(Frame{header_, std::move(payload_)});
      payload_ = Bytes();
    }
  }
}

}  // namespace ecusim::doip
