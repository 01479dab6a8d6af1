// SOME/IP message header (16 bytes, big-endian) and the splitting of a UDP datagram into
// SOME/IP messages. Constants follow the Open SOME/IP Specification (someip-rpc.rst);
// `_N` below stands for feat_req_someip_N.
#ifndef ECUSIM_SIM_SOMEIP_HEADER_H_
#define ECUSIM_SIM_SOMEIP_HEADER_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ecusim::someip {

using Bytes = std::vector<uint8_t>;
using ByteSpan = std::span<const uint8_t>;

inline constexpr size_t kHeaderSize = 16;
// Length counts the bytes after the Length field: Request ID (4) + versions/type/code (4).
inline constexpr uint32_t kLengthOffset = 8;
inline constexpr uint8_t kProtocolVersion = 0x01;  // _90
inline constexpr uint16_t kSdServiceId = 0xFFFF;
inline constexpr uint16_t kSdMethodId = 0x8100;
inline constexpr uint8_t kSdInterfaceVersion = 0x01;
inline constexpr uint16_t kSdPort = 30490;
// Best practice: no IP fragmentation, at most 1400 bytes of payload per UDP datagram (_36).
inline constexpr size_t kMaxUdpPayload = 1400;

// _684. The TP flag (0x20) is a bit, never an enumerator of its own (_761).
enum class MessageType : uint8_t {
  kRequest = 0x00,
  kRequestNoReturn = 0x01,
  kNotification = 0x02,
  kResponse = 0x80,
  kError = 0x81,
};
inline constexpr uint8_t kTpFlag = 0x20;

// _371.
enum class ReturnCode : uint8_t {
  kOk = 0x00,
  kNotOk = 0x01,
  kUnknownService = 0x02,
  kUnknownMethod = 0x03,
  kNotReady = 0x04,
  kNotReachable = 0x05,
  kTimeout = 0x06,
  kWrongProtocolVersion = 0x07,
  kWrongInterfaceVersion = 0x08,
  kMalformedMessage = 0x09,
  kWrongMessageType = 0x0A,
};

struct Header {
  uint16_t service_id = 0;
  uint16_t method_id = 0;
  // 8 + payload size (+ 4 for the TP header of a segment).
  uint32_t length = kLengthOffset;
  uint16_t client_id = 0;
  uint16_t session_id = 0;
  uint8_t protocol_version = kProtocolVersion;
  uint8_t interface_version = 0;
  uint8_t message_type = 0;  // raw byte: MessageType, possibly | kTpFlag
  uint8_t return_code = 0;

  uint32_t message_id() const { return (uint32_t{service_id} << 16) | method_id; }
  bool tp() const { return (message_type & kTpFlag) != 0; }
  // The message type without the TP flag.
  uint8_t base_type() const { return message_type & static_cast<uint8_t>(~kTpFlag); }
  bool operator==(const Header&) const = default;
};

// Why a message was refused; also the `reason` label of ecusim_someip_malformed_total.
enum class Malformed {
  kTruncatedHeader,       // fewer than 16 bytes left in the datagram
  kLengthTooShort,        // Length < 8: ignored (_77, _798)
  kLengthBeyondDatagram,  // Length runs past the end of the datagram
  kWrongProtocolVersion,
  kUnknownMessageType,
  kReturnCodeInRequest,  // _683: requests carry return code 0
  kBadSdMessage,
  kBadTpSegment,
  kBadFieldPayload,  // getter with a payload, setter without one
};
const char* MalformedName(Malformed reason);

// The error of a failed decode: an absl::Status whose message names the field and value, and
// the machine-readable reason.
struct DecodeError {
  Malformed reason;
  absl::Status status;
  size_t offset = 0;  // where in the datagram the bad message starts
};

// Decodes the 16-byte header at the start of `data`; the payload is not checked.
// Errors: INVALID_ARGUMENT "SOME/IP header truncated: 7 bytes, need 16".
absl::StatusOr<Header> DecodeHeader(ByteSpan data);
void EncodeHeader(const Header& h, uint8_t* out);  // REQUIRES: 16 writable bytes
void AppendHeader(const Header& h, Bytes& out);

// Whether `type` is one of the five defined message types (TP flag ignored).
bool IsKnownMessageType(uint8_t type);

// One SOME/IP message inside a datagram. `payload` points into the datagram.
struct MessageView {
  Header header;
  ByteSpan payload;
  ByteSpan bytes;  // header + payload
};

// A datagram split by the Length fields (_319). Messages before the first framing error are
// kept; `errors` (at most one) tells why the rest of the datagram was dropped. Versions and
// types are not checked here: the receiver answers those with the protocol's own errors.
struct SplitResult {
  std::vector<MessageView> messages;
  std::vector<DecodeError> errors;
};
SplitResult SplitDatagram(ByteSpan datagram);

// A whole message: header (Length computed) + payload.
Bytes EncodeMessage(Header h, ByteSpan payload);

std::string Hex16(uint16_t v);  // "0x1234"

}  // namespace ecusim::someip

#endif  // ECUSIM_SIM_SOMEIP_HEADER_H_
