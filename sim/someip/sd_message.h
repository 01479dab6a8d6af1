// SOME/IP-SD message: flags, entries and options (someip-sd.rst; `_N` below stands for
// feat_req_someipsd_N). The SD message is the payload of a SOME/IP message with Message ID
// 0xFFFF8100; the codec here handles that payload and whole SD datagrams.
#ifndef ECUSIM_SIM_SOMEIP_SD_MESSAGE_H_
#define ECUSIM_SIM_SOMEIP_SD_MESSAGE_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "asio/ip/address.hpp"
#include "sim/someip/header.h"

namespace ecusim::someip {

// SD header flags (_100, _1187); undefined bits are 0 on send, ignored on receive (_1180).
inline constexpr uint8_t kSdFlagReboot = 0x80;
inline constexpr uint8_t kSdFlagUnicast = 0x40;
inline constexpr uint8_t kSdFlagExplicitInitialData = 0x20;

inline constexpr size_t kSdEntrySize = 16;
inline constexpr uint32_t kTtlInfinite = 0xFFFFFF;
inline constexpr uint16_t kAnyInstance = 0xFFFF;
inline constexpr uint8_t kAnyMajor = 0xFF;
inline constexpr uint32_t kAnyMinor = 0xFFFFFFFF;

enum class EntryType : uint8_t {
  kFindService = 0x00,
  kOfferService = 0x01,            // TTL 0 = StopOfferService
  kSubscribeEventgroup = 0x06,     // TTL 0 = StopSubscribeEventgroup
  kSubscribeEventgroupAck = 0x07,  // TTL 0 = SubscribeEventgroupNack
};

enum class OptionType : uint8_t {
  kConfiguration = 0x01,
  kLoadBalancing = 0x02,
  kIpv4Endpoint = 0x04,
  kIpv6Endpoint = 0x06,
  kIpv4Multicast = 0x14,
  kIpv6Multicast = 0x16,
  kIpv4SdEndpoint = 0x24,
  kIpv6SdEndpoint = 0x26,
};

inline constexpr uint8_t kL4Tcp = 0x06;
inline constexpr uint8_t kL4Udp = 0x11;

struct Entry {
  EntryType type = EntryType::kFindService;
  uint8_t index1 = 0;  // first option run
  uint8_t index2 = 0;  // second option run
  uint8_t num1 = 0;
  uint8_t num2 = 0;
  uint16_t service_id = 0;
  uint16_t instance_id = 0;
  uint8_t major_version = 0;
  uint32_t ttl = 0;  // 24 bits, seconds
  // Service entries (Find, Offer).
  uint32_t minor_version = 0;
  // Eventgroup entries (Subscribe, Ack).
  bool initial_data_requested = false;
  uint8_t counter = 0;  // 4 bits
  uint16_t eventgroup_id = 0;

  bool is_service_entry() const { return static_cast<uint8_t>(type) < 4; }
  bool operator==(const Entry&) const = default;
};

struct Option {
  OptionType type = OptionType::kIpv4Endpoint;
  // Known types decode into the fields below; other types are kept (so option indexes stay
  // right) with `known` false, and ignored.
  bool known = true;
  uint8_t reserved = 0;  // the byte after the type (bit 7: discardable)
  // Endpoint, multicast, SD endpoint.
  asio::ip::address address;
  uint8_t l4_proto = kL4Udp;
  uint16_t port = 0;
  // Configuration: "key=value" or "key" items.
  std::vector<std::string> config;
  // Load balancing.
  uint16_t priority = 0;
  uint16_t weight = 0;

  bool operator==(const Option&) const = default;
};

struct SdMessage {
  uint8_t flags = kSdFlagUnicast;
  std::vector<Entry> entries;
  std::vector<Option> options;
  // Entries of unknown type skipped while decoding.
  int skipped_entries = 0;

  bool reboot() const { return (flags & kSdFlagReboot) != 0; }
  bool unicast() const { return (flags & kSdFlagUnicast) != 0; }
  // The options the entry references (both runs), in order.
  // REQUIRES: the message passed DecodeSdPayload or ValidateOptionRefs.
  std::vector<const Option*> OptionsOf(const Entry& e) const;
  bool operator==(const SdMessage& o) const {
    return flags == o.flags && entries == o.entries && options == o.options;
  }
};

// Decodes the SD payload (after the 16-byte SOME/IP header). Entries of unknown type and
// options of unknown type are skipped (_302); anything that breaks framing or a known
// option's fixed layout is INVALID_ARGUMENT naming the field, value and offset.
absl::StatusOr<SdMessage> DecodeSdPayload(ByteSpan payload);
// Checks that every entry's option runs lie inside the options array.
absl::Status ValidateOptionRefs(const SdMessage& m);

// Appends the SD payload for `m`.
void AppendSdPayload(const SdMessage& m, Bytes& out);
// Size of the encoded SD payload.
size_t SdPayloadSize(const SdMessage& m);
// The whole SOME/IP-SD message: header (service 0xFFFF, method 0x8100, client 0, `session`,
// interface version 1, type NOTIFICATION) + payload.
Bytes EncodeSdMessage(const SdMessage& m, uint16_t session_id);

// Builders.
Option EndpointOption(const asio::ip::address& address, uint8_t l4_proto, uint16_t port);
Option MulticastOption(const asio::ip::address& group, uint16_t port);
// Appends `options` as the entry's first run, reusing an identical run already present.
void AttachOptions(SdMessage& m, Entry& e, const std::vector<Option>& options);

const char* EntryTypeName(const Entry& e);  // "OfferService", "StopOfferService", ...

}  // namespace ecusim::someip

#endif  // ECUSIM_SIM_SOMEIP_SD_MESSAGE_H_
