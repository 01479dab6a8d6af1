#include "sim/doip/doip_message.h"

#include <algorithm>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"

namespace ecusim::doip {
namespace {

uint16_t Get16(ByteSpan b, size_t at) { return static_cast<uint16_t>((b[at] << 8) | b[at + 1]); }
uint32_t Get32(ByteSpan b, size_t at) {
  return (static_cast<uint32_t>(b[at]) << 24) | (static_cast<uint32_t>(b[at + 1]) << 16) |
         (static_cast<uint32_t>(b[at + 2]) << 8) | b[at + 3];
}
void Put16(Bytes& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}
void Put32(Bytes& out, uint32_t v) {
  Put16(out, static_cast<uint16_t>(v >> 16));
  Put16(out, static_cast<uint16_t>(v));
}
template <size_t N>
void PutArray(Bytes& out, const std::array<uint8_t, N>& a) {
  out.insert(out.end(), a.begin(), a.end());
}
template <size_t N>
std::array<uint8_t, N> GetArray(ByteSpan b, size_t at) {
  std::array<uint8_t, N> a{};
  std::copy_n(b.begin() + static_cast<std::ptrdiff_t>(at), N, a.begin());
  return a;
}

// Encodes the payload only (no header).
struct PayloadEncoder {
  Bytes& out;
  void operator()(const GenericNack& m) { out.push_back(m.code); }
  void operator()(const VehicleIdRequest&) {}
  void operator()(const VehicleIdRequestEid& m) { PutArray(out, m.eid); }
  void operator()(const VehicleIdRequestVin& m) { PutArray(out, m.vin); }
  void operator()(const VehicleAnnouncement& m) {
    PutArray(out, m.vin);
    Put16(out, m.logical_address);
    PutArray(out, m.eid);
    PutArray(out, m.gid);
    out.push_back(m.further_action);
    if (m.sync_status) out.push_back(*m.sync_status);
  }
  void operator()(const RoutingActivationRequest& m) {
    Put16(out, m.source_address);
    out.push_back(m.activation_type);
    Put32(out, m.reserved);
    if (m.oem_specific) Put32(out, *m.oem_specific);
  }
  void operator()(const RoutingActivationResponse& m) {
    Put16(out, m.tester_address);
    Put16(out, m.entity_address);
    out.push_back(m.code);
    Put32(out, m.reserved);
    if (m.oem_specific) Put32(out, *m.oem_specific);
  }
  void operator()(const AliveCheckRequest&) {}
  void operator()(const AliveCheckResponse& m) { Put16(out, m.source_address); }
  void operator()(const EntityStatusRequest&) {}
  void operator()(const EntityStatusResponse& m) {
    out.push_back(m.node_type);
    out.push_back(m.max_open_sockets);
    out.push_back(m.open_sockets);
    if (m.max_data_size) Put32(out, *m.max_data_size);
  }
  void operator()(const PowerModeRequest&) {}
  void operator()(const PowerModeResponse& m) { out.push_back(m.power_mode); }
  void operator()(const DiagnosticMessage& m) {
    Put16(out, m.source_address);
    Put16(out, m.target_address);
    out.insert(out.end(), m.user_data.begin(), m.user_data.end());
  }
  template <typename AckOrNack>
  void EncodeAck(const AckOrNack& m) {
    Put16(out, m.source_address);
    Put16(out, m.target_address);
    out.push_back(m.code);
    out.insert(out.end(), m.previous_message.begin(), m.previous_message.end());
  }
  void operator()(const DiagnosticAck& m) { EncodeAck(m); }
  void operator()(const DiagnosticNack& m) { EncodeAck(m); }
};

struct TypeVisitor {
  PayloadType operator()(const GenericNack&) { return PayloadType::kGenericNack; }
  PayloadType operator()(const VehicleIdRequest&) { return PayloadType::kVehicleIdRequest; }
  PayloadType operator()(const VehicleIdRequestEid&) { return PayloadType::kVehicleIdRequestEid; }
  PayloadType operator()(const VehicleIdRequestVin&) { return PayloadType::kVehicleIdRequestVin; }
  PayloadType operator()(const VehicleAnnouncement&) { return PayloadType::kVehicleAnnouncement; }
  PayloadType operator()(const RoutingActivationRequest&) {
    return PayloadType::kRoutingActivationRequest;
  }
  PayloadType operator()(const RoutingActivationResponse&) {
    return PayloadType::kRoutingActivationResponse;
  }
  PayloadType operator()(const AliveCheckRequest&) { return PayloadType::kAliveCheckRequest; }
  PayloadType operator()(const AliveCheckResponse&) { return PayloadType::kAliveCheckResponse; }
  PayloadType operator()(const EntityStatusRequest&) { return PayloadType::kEntityStatusRequest; }
  PayloadType operator()(const EntityStatusResponse&) { return PayloadType::kEntityStatusResponse; }
  PayloadType operator()(const PowerModeRequest&) { return PayloadType::kPowerModeRequest; }
  PayloadType operator()(const PowerModeResponse&) { return PayloadType::kPowerModeResponse; }
  PayloadType operator()(const DiagnosticMessage&) { return PayloadType::kDiagnosticMessage; }
  PayloadType operator()(const DiagnosticAck&) { return PayloadType::kDiagnosticAck; }
  PayloadType operator()(const DiagnosticNack&) { return PayloadType::kDiagnosticNack; }
};

absl::Status LengthError(uint16_t type, size_t length) {
  return absl::InvalidArgumentError(absl::StrFormat("invalid payload length %d for %s (0x%04X)",
                                                    length, PayloadTypeName(type), type));
}

template <typename AckOrNack>
AckOrNack DecodeAck(ByteSpan p) {
  AckOrNack m;
  m.source_address = Get16(p, 0);
  m.target_address = Get16(p, 2);
  m.code = p[4];
  m.previous_message.assign(p.begin() + 5, p.end());
  return m;
}

Payload DecodeValidated(uint16_t type, ByteSpan p) {
  switch (static_cast<PayloadType>(type)) {
    case PayloadType::kGenericNack:
      return GenericNack{p[0]};
    case PayloadType::kVehicleIdRequest:
      return VehicleIdRequest{};
    case PayloadType::kVehicleIdRequestEid:
      return VehicleIdRequestEid{GetArray<6>(p, 0)};
    case PayloadType::kVehicleIdRequestVin:
      return VehicleIdRequestVin{GetArray<17>(p, 0)};
    case PayloadType::kVehicleAnnouncement: {
      VehicleAnnouncement m;
      m.vin = GetArray<17>(p, 0);
      m.logical_address = Get16(p, 17);
      m.eid = GetArray<6>(p, 19);
      m.gid = GetArray<6>(p, 25);
      m.further_action = p[31];
      if (p.size() == 33) m.sync_status = p[32];
      return m;
    }
    case PayloadType::kRoutingActivationRequest: {
      RoutingActivationRequest m;
      m.source_address = Get16(p, 0);
      m.activation_type = p[2];
      m.reserved = Get32(p, 3);
      if (p.size() == 11) m.oem_specific = Get32(p, 7);
      return m;
    }
    case PayloadType::kRoutingActivationResponse: {
      RoutingActivationResponse m;
      m.tester_address = Get16(p, 0);
      m.entity_address = Get16(p, 2);
      m.code = p[4];
      m.reserved = Get32(p, 5);
      if (p.size() == 13) m.oem_specific = Get32(p, 9);
      return m;
    }
    case PayloadType::kAliveCheckRequest:
      return AliveCheckRequest{};
    case PayloadType::kAliveCheckResponse:
      return AliveCheckResponse{Get16(p, 0)};
    case PayloadType::kEntityStatusRequest:
      return EntityStatusRequest{};
    case PayloadType::kEntityStatusResponse: {
      EntityStatusResponse m{p[0], p[1], p[2], std::nullopt};
      if (p.size() == 7) m.max_data_size = Get32(p, 3);
      return m;
    }
    case PayloadType::kPowerModeRequest:
      return PowerModeRequest{};
    case PayloadType::kPowerModeResponse:
      return PowerModeResponse{p[0]};
    case PayloadType::kDiagnosticMessage: {
      DiagnosticMessage m;
      m.source_address = Get16(p, 0);
      m.target_address = Get16(p, 2);
      m.user_data.assign(p.begin() + 4, p.end());
      return m;
    }
    case PayloadType::kDiagnosticAck:
      return DecodeAck<DiagnosticAck>(p);
    case PayloadType::kDiagnosticNack:
      return DecodeAck<DiagnosticNack>(p);
  }
  return GenericNack{};  // unreachable: callers check IsKnownPayloadType first
}

}  // namespace

PayloadType TypeOf(const Payload& payload) { return std::visit(TypeVisitor{}, payload); }

const char* PayloadTypeName(uint16_t payload_type) {
  switch (static_cast<PayloadType>(payload_type)) {
    case PayloadType::kGenericNack:
      return "generic_header_nack";
    case PayloadType::kVehicleIdRequest:
      return "vehicle_identification_request";
    case PayloadType::kVehicleIdRequestEid:
      return "vehicle_identification_request_eid";
    case PayloadType::kVehicleIdRequestVin:
      return "vehicle_identification_request_vin";
    case PayloadType::kVehicleAnnouncement:
      return "vehicle_announcement";
    case PayloadType::kRoutingActivationRequest:
      return "routing_activation_request";
    case PayloadType::kRoutingActivationResponse:
      return "routing_activation_response";
    case PayloadType::kAliveCheckRequest:
      return "alive_check_request";
    case PayloadType::kAliveCheckResponse:
      return "alive_check_response";
    case PayloadType::kEntityStatusRequest:
      return "entity_status_request";
    case PayloadType::kEntityStatusResponse:
      return "entity_status_response";
    case PayloadType::kPowerModeRequest:
      return "diagnostic_power_mode_request";
    case PayloadType::kPowerModeResponse:
      return "diagnostic_power_mode_response";
    case PayloadType::kDiagnosticMessage:
      return "diagnostic_message";
    case PayloadType::kDiagnosticAck:
      return "diagnostic_message_ack";
    case PayloadType::kDiagnosticNack:
      return "diagnostic_message_nack";
  }
  return "unknown";
}

bool IsKnownPayloadType(uint16_t t) { return std::string_view(PayloadTypeName(t)) != "unknown"; }

bool IsVehicleIdRequest(uint16_t t) { return t >= 0x0001 && t <= 0x0003; }

bool IsValidPayloadLength(uint16_t payload_type, uint32_t n) {
  switch (static_cast<PayloadType>(payload_type)) {
    case PayloadType::kGenericNack:
      return n == 1;
    case PayloadType::kVehicleIdRequest:
      return n == 0;
    case PayloadType::kVehicleIdRequestEid:
      return n == 6;
    case PayloadType::kVehicleIdRequestVin:
      return n == 17;
    case PayloadType::kVehicleAnnouncement:
      return n == 32 || n == 33;
    case PayloadType::kRoutingActivationRequest:
      return n == 7 || n == 11;
    case PayloadType::kRoutingActivationResponse:
      return n == 9 || n == 13;
    case PayloadType::kAliveCheckRequest:
      return n == 0;
    case PayloadType::kAliveCheckResponse:
      return n == 2;
    case PayloadType::kEntityStatusRequest:
      return n == 0;
    case PayloadType::kEntityStatusResponse:
      return n == 3 || n == 7;
    case PayloadType::kPowerModeRequest:
      return n == 0;
    case PayloadType::kPowerModeResponse:
      return n == 1;
    // SA + TA + at least one byte of user data.
    case PayloadType::kDiagnosticMessage:
      return n >= 5;
    case PayloadType::kDiagnosticAck:
    case PayloadType::kDiagnosticNack:
      return n >= 5;
  }
  return false;
}

absl::StatusOr<Header> DecodeHeader(ByteSpan b) {
  if (b.size() < kHeaderSize) {
    return absl::InvalidArgumentError(
        absl::StrFormat("truncated header: %d of %d bytes", b.size(), kHeaderSize));
  }
  Header h{b[0], b[1], Get16(b, 2), Get32(b, 4)};
  if (static_cast<uint8_t>(h.version ^ 0xFF) != h.inverse_version) {
    return absl::InvalidArgumentError(
        absl::StrFormat("incorrect pattern: inverse version 0x%02X is not the inverse of "
                        "version 0x%02X",
                        h.inverse_version, h.version));
  }
  return h;
}

void EncodeHeader(const Header& h, Bytes& out) {
  out.push_back(h.version);
  out.push_back(h.inverse_version);
  Put16(out, h.payload_type);
  Put32(out, h.payload_length);
}

absl::StatusOr<Payload> DecodePayload(uint16_t payload_type, ByteSpan payload) {
  if (!IsKnownPayloadType(payload_type)) {
    return absl::InvalidArgumentError(absl::StrFormat("unknown payload type 0x%04X", payload_type));
  }
  if (!IsValidPayloadLength(payload_type, static_cast<uint32_t>(payload.size()))) {
    return LengthError(payload_type, payload.size());
  }
  return DecodeValidated(payload_type, payload);
}

absl::StatusOr<Message> DecodeMessage(ByteSpan bytes) {
  absl::StatusOr<Header> header = DecodeHeader(bytes);
  if (!header.ok()) return header.status();
  size_t after = bytes.size() - kHeaderSize;
  if (header->payload_length != after) {
    return absl::InvalidArgumentError(
        absl::StrFormat("payload length %d does not match the %d bytes after the header",
                        header->payload_length, after));
  }
  absl::StatusOr<Payload> payload = DecodePayload(header->payload_type, bytes.subspan(kHeaderSize));
  if (!payload.ok()) return payload.status();
  return Message{*header, std::move(*payload)};
}

void AppendMessage(uint8_t version, const Payload& payload, Bytes& out) {
  size_t start = out.size();
  EncodeHeader(Header{version, static_cast<uint8_t>(version ^ 0xFF),
                      static_cast<uint16_t>(TypeOf(payload)), 0},
               out);
  std::visit(PayloadEncoder{out}, payload);
  uint32_t length = static_cast<uint32_t>(out.size() - start - kHeaderSize);
  for (int i = 0; i < 4; ++i) out[start + 4 + i] = static_cast<uint8_t>(length >> (24 - 8 * i));
}

Bytes EncodeMessage(uint8_t version, const Payload& payload) {
  Bytes out;
  AppendMessage(version, payload, out);
  return out;
}

absl::StatusOr<Vin> VinFromString(const std::string& vin) {
  if (vin.size() != 17) {
    return absl::InvalidArgumentError(
        absl::StrFormat("vin \"%s\" has %d characters, want 17", vin, vin.size()));
  }
  for (char c : vin) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7E) {
      return absl::InvalidArgumentError(absl::StrFormat("vin \"%s\" must be printable ASCII", vin));
    }
  }
  Vin v{};
  std::memcpy(v.data(), vin.data(), 17);
  return v;
}

std::string VinToString(const Vin& vin) { return std::string(vin.begin(), vin.end()); }

}  // namespace ecusim::doip
