// ISO 13400-2 (DoIP) wire format: the generic header, every payload type this simulator speaks
// and their constants. Pure encode/decode over byte spans; no sockets, no clocks.
//
// Layouts follow ISO 13400-2:2012/2019 as implemented by Wireshark (packet-doip.c), scapy
// (contrib/automotive/doip.py) and python-doipclient (messages.py); see
// shared/reference/doip.md A.2-A.3.
#ifndef ECUSIM_SIM_DOIP_DOIP_MESSAGE_H_
#define ECUSIM_SIM_DOIP_DOIP_MESSAGE_H_

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"

namespace ecusim::doip {

using Bytes = std::vector<uint8_t>;
using ByteSpan = std::span<const uint8_t>;

inline constexpr uint16_t kUdpDiscoveryPort = 13400;
inline constexpr uint16_t kTcpDataPort = 13400;
inline constexpr uint16_t kTcpDataTlsPort = 3496;  // ISO 13400-2:2019 Table 39
inline constexpr size_t kHeaderSize = 8;

// Protocol versions (byte 0 of the generic header).
inline constexpr uint8_t kVersion2010 = 0x01;
inline constexpr uint8_t kVersion2012 = 0x02;
inline constexpr uint8_t kVersion2019 = 0x03;
inline constexpr uint8_t kVersion2019Amd1 = 0x04;
// Only valid in vehicle identification requests.
inline constexpr uint8_t kVersionDefaultVir = 0xFF;

enum class PayloadType : uint16_t {
  kGenericNack = 0x0000,
  kVehicleIdRequest = 0x0001,
  kVehicleIdRequestEid = 0x0002,
  kVehicleIdRequestVin = 0x0003,
  kVehicleAnnouncement = 0x0004,  // also the vehicle identification response
  kRoutingActivationRequest = 0x0005,
  kRoutingActivationResponse = 0x0006,
  kAliveCheckRequest = 0x0007,
  kAliveCheckResponse = 0x0008,
  kEntityStatusRequest = 0x4001,
  kEntityStatusResponse = 0x4002,
  kPowerModeRequest = 0x4003,
  kPowerModeResponse = 0x4004,
  kDiagnosticMessage = 0x8001,
  kDiagnosticAck = 0x8002,
  kDiagnosticNack = 0x8003,
};

// Generic DoIP header negative acknowledgement codes (payload type 0x0000).
enum class GenericNackCode : uint8_t {
  kIncorrectPatternFormat = 0x00,  // close socket
  kUnknownPayloadType = 0x01,      // discard message
  kMessageTooLarge = 0x02,         // discard message
  kOutOfMemory = 0x03,             // discard message
  kInvalidPayloadLength = 0x04,    // close socket
};

// Routing activation response codes (payload type 0x0006).
enum class RoutingActivationCode : uint8_t {
  kUnknownSourceAddress = 0x00,
  kAllSocketsRegistered = 0x01,
  kDifferentSourceAddress = 0x02,
  kSourceAddressAlreadyActive = 0x03,
  kMissingAuthentication = 0x04,
  kRejectedConfirmation = 0x05,
  kUnsupportedActivationType = 0x06,
  kTlsRequired = 0x07,
  kSuccess = 0x10,
  kConfirmationRequired = 0x11,
};

// Diagnostic message negative acknowledgement codes (payload type 0x8003).
enum class DiagnosticNackCode : uint8_t {
  kInvalidSourceAddress = 0x02,
  kUnknownTargetAddress = 0x03,
  kMessageTooLarge = 0x04,
  kOutOfMemory = 0x05,
  kTargetUnreachable = 0x06,
  kUnknownNetwork = 0x07,
  kTransportProtocolError = 0x08,
};

inline constexpr uint8_t kActivationDefault = 0x00;
inline constexpr uint8_t kActivationWwhObd = 0x01;
inline constexpr uint8_t kActivationCentralSecurity = 0xE0;

inline constexpr uint8_t kNodeTypeGateway = 0x00;
inline constexpr uint8_t kNodeTypeNode = 0x01;

inline constexpr uint8_t kPowerModeNotReady = 0x00;
inline constexpr uint8_t kPowerModeReady = 0x01;
inline constexpr uint8_t kPowerModeNotSupported = 0x02;

inline constexpr uint8_t kSyncStatusSynchronized = 0x00;
inline constexpr uint8_t kSyncStatusIncomplete = 0x10;

using Vin = std::array<uint8_t, 17>;
using Eid = std::array<uint8_t, 6>;
using Gid = std::array<uint8_t, 6>;

struct Header {
  uint8_t version = kVersion2012;
  uint8_t inverse_version = 0xFD;
  uint16_t payload_type = 0;
  uint32_t payload_length = 0;
  bool operator==(const Header&) const = default;
};

struct GenericNack {
  uint8_t code = 0;
  bool operator==(const GenericNack&) const = default;
};
struct VehicleIdRequest {
  bool operator==(const VehicleIdRequest&) const = default;
};
struct VehicleIdRequestEid {
  Eid eid{};
  bool operator==(const VehicleIdRequestEid&) const = default;
};
struct VehicleIdRequestVin {
  Vin vin{};
  bool operator==(const VehicleIdRequestVin&) const = default;
};
// 32 bytes, or 33 with the VIN/GID sync status.
struct VehicleAnnouncement {
  Vin vin{};
  uint16_t logical_address = 0;
  Eid eid{};
  Gid gid{};
  uint8_t further_action = 0;
  std::optional<uint8_t> sync_status;
  bool operator==(const VehicleAnnouncement&) const = default;
};
// 7 bytes, or 11 with the OEM-specific field.
struct RoutingActivationRequest {
  uint16_t source_address = 0;
  uint8_t activation_type = 0;
  uint32_t reserved = 0;
  std::optional<uint32_t> oem_specific;
  bool operator==(const RoutingActivationRequest&) const = default;
};
// 9 bytes, or 13 with the OEM-specific field.
struct RoutingActivationResponse {
  uint16_t tester_address = 0;
  uint16_t entity_address = 0;
  uint8_t code = 0;
  uint32_t reserved = 0;
  std::optional<uint32_t> oem_specific;
  bool operator==(const RoutingActivationResponse&) const = default;
};
struct AliveCheckRequest {
  bool operator==(const AliveCheckRequest&) const = default;
};
struct AliveCheckResponse {
  uint16_t source_address = 0;
  bool operator==(const AliveCheckResponse&) const = default;
};
struct EntityStatusRequest {
  bool operator==(const EntityStatusRequest&) const = default;
};
// 3 bytes, or 7 with the maximum data size.
struct EntityStatusResponse {
  uint8_t node_type = kNodeTypeNode;
  uint8_t max_open_sockets = 1;
  uint8_t open_sockets = 0;
  std::optional<uint32_t> max_data_size;
  bool operator==(const EntityStatusResponse&) const = default;
};
struct PowerModeRequest {
  bool operator==(const PowerModeRequest&) const = default;
};
struct PowerModeResponse {
  uint8_t power_mode = kPowerModeReady;
  bool operator==(const PowerModeResponse&) const = default;
};
struct DiagnosticMessage {
  uint16_t source_address = 0;
  uint16_t target_address = 0;
  Bytes user_data;
  bool operator==(const DiagnosticMessage&) const = default;
};
// 0x8002 and 0x8003 share a layout: SA, TA, code, optional copy of the previous message.
struct DiagnosticAck {
  uint16_t source_address = 0;
  uint16_t target_address = 0;
  uint8_t code = 0;
  Bytes previous_message;
  bool operator==(const DiagnosticAck&) const = default;
};
struct DiagnosticNack {
  uint16_t source_address = 0;
  uint16_t target_address = 0;
  uint8_t code = 0;
  Bytes previous_message;
  bool operator==(const DiagnosticNack&) const = default;
};

using Payload = std::variant<GenericNack, VehicleIdRequest, VehicleIdRequestEid,
                             VehicleIdRequestVin, VehicleAnnouncement, RoutingActivationRequest,
                             RoutingActivationResponse, AliveCheckRequest, AliveCheckResponse,
                             EntityStatusRequest, EntityStatusResponse, PowerModeRequest,
                             PowerModeResponse, DiagnosticMessage, DiagnosticAck, DiagnosticNack>;

struct Message {
  Header header;
  Payload payload;
};

// The payload type code of a payload alternative.
PayloadType TypeOf(const Payload& payload);
// "routing_activation_request", ... (stable, for logs and observations).
const char* PayloadTypeName(uint16_t payload_type);
bool IsKnownPayloadType(uint16_t payload_type);
// True for 0x0001-0x0003, the only types that may carry version 0xFF.
bool IsVehicleIdRequest(uint16_t payload_type);

// Whether `length` is a valid payload length for `payload_type` (exact sizes, the optional
// trailing fields, the minimum of diagnostic messages).
bool IsValidPayloadLength(uint16_t payload_type, uint32_t length);

// Decodes the first 8 bytes. Errors: "truncated header" (fewer than 8 bytes), "incorrect
// pattern" (inverse version is not ~version). Does not judge the payload type or length.
absl::StatusOr<Header> DecodeHeader(ByteSpan bytes);
void EncodeHeader(const Header& header, Bytes& out);

// Decodes a payload of the given type. Errors name the payload type and the length.
absl::StatusOr<Payload> DecodePayload(uint16_t payload_type, ByteSpan payload);

// Decodes exactly one complete message (header + payload, nothing after it). Errors: the
// header errors above, "unknown payload type 0x....", "payload length N does not match the
// M bytes after the header", "invalid payload length N for <type>".
absl::StatusOr<Message> DecodeMessage(ByteSpan bytes);

// Encodes header (with the given protocol version) and payload; the length is computed.
Bytes EncodeMessage(uint8_t version, const Payload& payload);
void AppendMessage(uint8_t version, const Payload& payload, Bytes& out);

// Convenience for VIN fields: 17 ASCII characters exactly.
absl::StatusOr<Vin> VinFromString(const std::string& vin);
std::string VinToString(const Vin& vin);

}  // namespace ecusim::doip

#endif  // ECUSIM_SIM_DOIP_DOIP_MESSAGE_H_
