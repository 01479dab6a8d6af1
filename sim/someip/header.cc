#include "sim/someip/header.h"

#include "absl/strings/str_format.h"

namespace ecusim::someip {
namespace {

uint16_t Get16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
uint32_t Get32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

}  // namespace

const char* MalformedName(Malformed reason) {
  switch (reason) {
    case Malformed::kTruncatedHeader:
      return "truncated_header";
    case Malformed::kLengthTooShort:
      return "length_too_short";
    case Malformed::kLengthBeyondDatagram:
      return "length_beyond_datagram";
    case Malformed::kWrongProtocolVersion:
      return "wrong_protocol_version";
    case Malformed::kUnknownMessageType:
      return "unknown_message_type";
    case Malformed::kReturnCodeInRequest:
      return "return_code_in_request";
    case Malformed::kBadSdMessage:
      return "bad_sd_message";
    case Malformed::kBadTpSegment:
      return "bad_tp_segment";
    case Malformed::kBadFieldPayload:
      return "bad_field_payload";
  }
  return "unknown";
}

std::string Hex16(uint16_t v) { return absl::StrFormat("0x%04X", v); }

absl::StatusOr<Header> DecodeHeader(ByteSpan data) {
  if (data.size() < kHeaderSize) {
    return absl::InvalidArgumentError(
        absl::StrFormat("SOME/IP header truncated: %d bytes, need 16", data.size()));
  }
  const uint8_t* p = data.data();
  Header h;
  h.service_id = Get16(p);
  h.method_id = Get16(p + 2);
  h.length = Get32(p + 4);
  h.client_id = Get16(p + 8);
  h.session_id = Get16(p + 10);
  h.protocol_version = p[12];
  h.interface_version = p[13];
  h.message_type = p[14];
  h.return_code = p[15];
  return h;
}

void EncodeHeader(const Header& h, uint8_t* out) {
  out[0] = static_cast<uint8_t>(h.service_id >> 8);
  out[1] = static_cast<uint8_t>(h.service_id);
  out[2] = static_cast<uint8_t>(h.method_id >> 8);
  out[3] = static_cast<uint8_t>(h.method_id);
  out[4] = static_cast<uint8_t>(h.length >> 24);
  out[5] = static_cast<uint8_t>(h.length >> 16);
  out[6] = static_cast<uint8_t>(h.length >> 8);
  out[7] = static_cast<uint8_t>(h.length);
  out[8] = static_cast<uint8_t>(h.client_id >> 8);
  out[9] = static_cast<uint8_t>(h.client_id);
  out[10] = static_cast<uint8_t>(h.session_id >> 8);
  out[11] = static_cast<uint8_t>(h.session_id);
  out[12] = h.protocol_version;
  out[13] = h.interface_version;
  out[14] = h.message_type;
  out[15] = h.return_code;
}

void AppendHeader(const Header& h, Bytes& out) {
  size_t at = out.size();
  out.resize(at + kHeaderSize);
  EncodeHeader(h, out.data() + at);
}

bool IsKnownMessageType(uint8_t type) {
  switch (static_cast<MessageType>(type & static_cast<uint8_t>(~kTpFlag))) {
    case MessageType::kRequest:
    case MessageType::kRequestNoReturn:
    case MessageType::kNotification:
    case MessageType::kResponse:
    case MessageType::kError:
      return true;
  }
  return false;
}

SplitResult SplitDatagram(ByteSpan datagram) {
  SplitResult result;
  size_t at = 0;
  while (at < datagram.size()) {
    ByteSpan rest = datagram.subspan(at);
    if (rest.size() < kHeaderSize) {
      result.errors.push_back(
          {Malformed::kTruncatedHeader,
           absl::InvalidArgumentError(absl::StrFormat(
               "SOME/IP header truncated at offset %d: %d bytes, need 16", at, rest.size())),
           at});
      break;
    }
    Header h = *DecodeHeader(rest);
    if (h.length < kLengthOffset) {
      result.errors.push_back(
          {Malformed::kLengthTooShort,
           absl::InvalidArgumentError(absl::StrFormat(
               "SOME/IP length %d at offset %d is below the minimum 8", h.length, at)),
           at});
      break;
    }
    uint64_t total = uint64_t{h.length} + kLengthOffset;
    if (total > rest.size()) {
      result.errors.push_back(
          {Malformed::kLengthBeyondDatagram,
           absl::InvalidArgumentError(absl::StrFormat(
               "SOME/IP length %d at offset %d runs past the datagram end (%d bytes left)",
               h.length, at, rest.size())),
           at});
      break;
    }
    MessageView m;
    m.header = h;
    m.bytes = rest.first(static_cast<size_t>(total));
    m.payload = m.bytes.subspan(kHeaderSize);
    result.messages.push_back(m);
    at += static_cast<size_t>(total);
  }
  return result;
}

Bytes EncodeMessage(Header h, ByteSpan payload) {
  h.length = static_cast<uint32_t>(kLengthOffset + payload.size());
  Bytes out;
  out.reserve(kHeaderSize + payload.size());
  AppendHeader(h, out);
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

}  // namespace ecusim::someip
