// UDP discovery (ISO 13400-2:2012 9.1-9.4): vehicle identification requests (answered only on
// a match), entity status, diagnostic power mode, generic header NACKs.
#include <algorithm>

#include "sim/doip/entity.h"
#include "sim/doip/entity_internal.h"

namespace ecusim::doip {

Bytes Entity::Announcement(std::optional<uint8_t> further_action) const {
  VehicleAnnouncement a;
  a.vin = config_.vin;
  a.logical_address = config_.logical_address;
  a.eid = config_.eid;
  a.gid = config_.gid;
  a.further_action = further_action.value_or(config_.further_action);
  a.sync_status = config_.sync_status;
  return EncodeMessage(config_.protocol_version, a);
}

std::optional<Bytes> Entity::OnDatagram(core::TimePoint now, ByteSpan datagram) {
  auto nack = [this](GenericNackCode code, const std::string& detail) {
    observer_->OnGenericNack(static_cast<uint8_t>(code), Transport::kUdp, detail);
    return EncodeMessage(config_.protocol_version, GenericNack{static_cast<uint8_t>(code)});
  };
  absl::StatusOr<Header> header = DecodeHeader(datagram);
  if (!header.ok()) {
    if (datagram.size() < kHeaderSize) {
      return nack(GenericNackCode::kInvalidPayloadLength, std::string(header.status().message()));
    }
    return nack(GenericNackCode::kIncorrectPatternFormat, std::string(header.status().message()));
  }
  // Announcements of other entities and NACKs are never answered (no NACK storms).
  if (header->payload_type == static_cast<uint16_t>(PayloadType::kVehicleAnnouncement) ||
      header->payload_type == static_cast<uint16_t>(PayloadType::kGenericNack)) {
    return std::nullopt;
  }
  HeaderRules rules{config_.protocol_version, config_.max_data_size};
  if (std::optional<HeaderVerdict> v = CheckHeader(*header, rules, Transport::kUdp)) {
    return nack(v->code, v->detail);
  }
  // One DoIP message per datagram: the length must cover exactly the rest.
  if (header->payload_length != datagram.size() - kHeaderSize) {
    return nack(GenericNackCode::kInvalidPayloadLength,
                "payload length does not match the datagram size");
  }
  absl::StatusOr<Payload> payload =
      DecodePayload(header->payload_type, datagram.subspan(kHeaderSize));
  if (!payload.ok()) {
    return nack(GenericNackCode::kInvalidPayloadLength, std::string(payload.status().message()));
  }
  if (std::holds_alternative<VehicleIdRequest>(*payload)) {
    observer_->OnUdpRequest("plain", true);
    return Announcement();
  }
  if (auto* r = std::get_if<VehicleIdRequestEid>(&*payload)) {
    const bool match = r->eid == config_.eid;
    observer_->OnUdpRequest("eid", match);
    if (!match) return std::nullopt;
    return Announcement();
  }
  if (auto* r = std::get_if<VehicleIdRequestVin>(&*payload)) {
    const bool match = r->vin == config_.vin;
    observer_->OnUdpRequest("vin", match);
    if (!match) return std::nullopt;
    return Announcement();
  }
  if (std::holds_alternative<EntityStatusRequest>(*payload)) {
    observer_->OnUdpRequest("entity_status", true);
    EntityStatusResponse r;
    r.node_type = config_.is_gateway() ? kNodeTypeGateway : kNodeTypeNode;
    r.max_open_sockets = static_cast<uint8_t>(std::min<uint32_t>(config_.max_sockets, 255));
    r.open_sockets = static_cast<uint8_t>(std::min<size_t>(connections_.size(), 255));
    r.max_data_size = config_.max_data_size;
    return EncodeMessage(config_.protocol_version, r);
  }
  if (std::holds_alternative<PowerModeRequest>(*payload)) {
    observer_->OnUdpRequest("power_mode", true);
    return EncodeMessage(config_.protocol_version, PowerModeResponse{PowerMode(now)});
  }
  return std::nullopt;
}

}  // namespace ecusim::doip
