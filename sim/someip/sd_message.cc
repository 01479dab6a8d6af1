#include "sim/someip/sd_message.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_format.h"

namespace ecusim::someip {
namespace {

uint16_t Get16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
uint32_t Get24(const uint8_t* p) { return (uint32_t{p[0]} << 16) | (uint32_t{p[1]} << 8) | p[2]; }
uint32_t Get32(const uint8_t* p) { return (uint32_t{p[0]} << 24) | Get24(p + 1); }
void Put16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
void Put24(Bytes& b, uint32_t v) {
  b.push_back(static_cast<uint8_t>(v >> 16));
  Put16(b, static_cast<uint16_t>(v));
}
void Put32(Bytes& b, uint32_t v) {
  b.push_back(static_cast<uint8_t>(v >> 24));
  Put24(b, v);
}

absl::Status Bad(const std::string& what) {
  return absl::InvalidArgumentError("SOME/IP-SD message malformed: " + what);
}

bool KnownEntryType(uint8_t t) { return t == 0x00 || t == 0x01 || t == 0x06 || t == 0x07; }

Entry DecodeEntry(const uint8_t* p) {
  Entry e;
  e.type = static_cast<EntryType>(p[0]);
  e.index1 = p[1];
  e.index2 = p[2];
  e.num1 = p[3] >> 4;
  e.num2 = p[3] & 0x0F;
  e.service_id = Get16(p + 4);
  e.instance_id = Get16(p + 6);
  e.major_version = p[8];
  e.ttl = Get24(p + 9);
  if (e.is_service_entry()) {
    e.minor_version = Get32(p + 12);
  } else {
    e.initial_data_requested = (p[13] & 0x80) != 0;
    e.counter = p[13] & 0x0F;
    e.eventgroup_id = Get16(p + 14);
  }
  return e;
}

// Fixed sizes of the option bodies after the length field (length counts from the reserved
// byte after the type): IPv4 9 (_ipv4), IPv6 21, load balancing 5.
absl::StatusOr<Option> DecodeOption(uint8_t type, const uint8_t* body, size_t len, size_t at) {
  Option o;
  o.type = static_cast<OptionType>(type);
  o.reserved = body[0];
  const uint8_t* p = body + 1;
  size_t n = len - 1;
  auto want = [&](size_t need, const char* name) -> absl::Status {
    if (len != need) {
      return Bad(
          absl::StrFormat("%s option at offset %d has length %d, must be %d", name, at, len, need));
    }
    return absl::OkStatus();
  };
  switch (o.type) {
    case OptionType::kIpv4Endpoint:
    case OptionType::kIpv4Multicast:
    case OptionType::kIpv4SdEndpoint: {
      if (auto s = want(9, "IPv4"); !s.ok()) return s;
      asio::ip::address_v4::bytes_type a;
      std::memcpy(a.data(), p, 4);
      o.address = asio::ip::address_v4(a);
      o.l4_proto = p[5];
      o.port = Get16(p + 6);
      break;
    }
    case OptionType::kIpv6Endpoint:
    case OptionType::kIpv6Multicast:
    case OptionType::kIpv6SdEndpoint: {
      if (auto s = want(21, "IPv6"); !s.ok()) return s;
      asio::ip::address_v6::bytes_type a;
      std::memcpy(a.data(), p, 16);
      o.address = asio::ip::address_v6(a);
      o.l4_proto = p[17];
      o.port = Get16(p + 18);
      break;
    }
    case OptionType::kLoadBalancing:
      if (auto s = want(5, "load balancing"); !s.ok()) return s;
      o.priority = Get16(p);
      o.weight = Get16(p + 2);
      break;
    case OptionType::kConfiguration: {
      // _150/_152: length-prefixed strings ending with a zero length byte.
      size_t i = 0;
      bool terminated = false;
      while (i < n) {
        uint8_t l = p[i++];
        if (l == 0) {
          terminated = true;
          break;
        }
        if (i + l > n) {
          return Bad(absl::StrFormat(
              "configuration option at offset %d: item of %d bytes runs past the option", at, l));
        }
        o.config.emplace_back(reinterpret_cast<const char*>(p + i), l);
        i += l;
      }
      if (!terminated) {
        return Bad(absl::StrFormat(
            "configuration option at offset %d does not end with a zero length byte", at));
      }
      break;
    }
    default:
      o.known = false;
      break;
  }
  if ((o.type == OptionType::kIpv4Multicast || o.type == OptionType::kIpv6Multicast) &&
      o.l4_proto != kL4Udp) {
    return Bad(
        absl::StrFormat("multicast option at offset %d has L4 protocol 0x%02X, must be "
                        "UDP 0x11",
                        at, o.l4_proto));
  }
  return o;
}

absl::Status DecodeOptions(ByteSpan opts, size_t base, SdMessage& m) {
  size_t i = 0;
  while (i < opts.size()) {
    if (opts.size() - i < 4) {
      return Bad(absl::StrFormat("option header at offset %d truncated", base + i));
    }
    uint16_t len = Get16(opts.data() + i);
    uint8_t type = opts[i + 2];
    if (len == 0) {
      return Bad(absl::StrFormat("option at offset %d has length 0", base + i));
    }
    if (i + 3 + len > opts.size()) {
      return Bad(
          absl::StrFormat("option at offset %d (type 0x%02X, length %d) runs past the "
                          "options array",
                          base + i, type, len));
    }
    auto o = DecodeOption(type, opts.data() + i + 3, len, base + i);
    if (!o.ok()) return o.status();
    m.options.push_back(std::move(*o));
    i += 3 + len;
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<const Option*> SdMessage::OptionsOf(const Entry& e) const {
  std::vector<const Option*> out;
  for (int i = 0; i < e.num1; ++i) out.push_back(&options[e.index1 + i]);
  for (int i = 0; i < e.num2; ++i) out.push_back(&options[e.index2 + i]);
  return out;
}

absl::Status ValidateOptionRefs(const SdMessage& m) {
  for (size_t i = 0; i < m.entries.size(); ++i) {
    const Entry& e = m.entries[i];
    if ((e.num1 > 0 && size_t{e.index1} + e.num1 > m.options.size()) ||
        (e.num2 > 0 && size_t{e.index2} + e.num2 > m.options.size())) {
      return Bad(absl::StrFormat(
          "entry %d references options %d+%d and %d+%d but the message has %d options", i, e.index1,
          e.num1, e.index2, e.num2, m.options.size()));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<SdMessage> DecodeSdPayload(ByteSpan payload) {
  if (payload.size() < 12) {
    return Bad(absl::StrFormat("%d bytes, need at least 12", payload.size()));
  }
  SdMessage m;
  m.flags = payload[0];
  uint32_t entries_len = Get32(payload.data() + 4);
  if (entries_len % kSdEntrySize != 0) {
    return Bad(absl::StrFormat("entries array length %d is not a multiple of 16", entries_len));
  }
  if (uint64_t{entries_len} + 12 > payload.size()) {
    return Bad(absl::StrFormat("entries array length %d runs past the message (%d bytes)",
                               entries_len, payload.size()));
  }
  for (size_t i = 0; i < entries_len; i += kSdEntrySize) {
    const uint8_t* p = payload.data() + 8 + i;
    if (!KnownEntryType(p[0])) {
      ++m.skipped_entries;  // _302
      continue;
    }
    m.entries.push_back(DecodeEntry(p));
  }
  size_t opt_at = 8 + entries_len;
  uint32_t options_len = Get32(payload.data() + opt_at);
  if (uint64_t{options_len} + opt_at + 4 > payload.size()) {
    return Bad(absl::StrFormat("options array length %d runs past the message (%d bytes)",
                               options_len, payload.size()));
  }
  if (auto s = DecodeOptions(payload.subspan(opt_at + 4, options_len), opt_at + 4, m); !s.ok()) {
    return s;
  }
  if (auto s = ValidateOptionRefs(m); !s.ok()) return s;
  return m;
}

size_t SdPayloadSize(const SdMessage& m) {
  size_t n = 12 + m.entries.size() * kSdEntrySize;
  for (const Option& o : m.options) {
    switch (o.type) {
      case OptionType::kIpv4Endpoint:
      case OptionType::kIpv4Multicast:
      case OptionType::kIpv4SdEndpoint:
        n += 12;
        break;
      case OptionType::kIpv6Endpoint:
      case OptionType::kIpv6Multicast:
      case OptionType::kIpv6SdEndpoint:
        n += 24;
        break;
      case OptionType::kLoadBalancing:
        n += 8;
        break;
      case OptionType::kConfiguration: {
        n += 5;
        for (const auto& c : o.config) n += 1 + c.size();
        break;
      }
      default:
        n += 4;
        break;
    }
  }
  return n;
}

void AppendSdPayload(const SdMessage& m, Bytes& out) {
  out.push_back(m.flags);
  Put24(out, 0);
  Put32(out, static_cast<uint32_t>(m.entries.size() * kSdEntrySize));
  for (const Entry& e : m.entries) {
    out.push_back(static_cast<uint8_t>(e.type));
    out.push_back(e.index1);
    out.push_back(e.index2);
    out.push_back(static_cast<uint8_t>((e.num1 << 4) | (e.num2 & 0x0F)));
    Put16(out, e.service_id);
    Put16(out, e.instance_id);
    out.push_back(e.major_version);
    Put24(out, e.ttl & 0xFFFFFF);
    if (e.is_service_entry()) {
      Put32(out, e.minor_version);
    } else {
      out.push_back(0);
      out.push_back(
          static_cast<uint8_t>((e.initial_data_requested ? 0x80 : 0) | (e.counter & 0x0F)));
      Put16(out, e.eventgroup_id);
    }
  }
  size_t len_at = out.size();
  Put32(out, 0);
  for (const Option& o : m.options) {
    size_t start = out.size();
    Put16(out, 0);
    out.push_back(static_cast<uint8_t>(o.type));
    out.push_back(o.reserved);
    switch (o.type) {
      case OptionType::kIpv4Endpoint:
      case OptionType::kIpv4Multicast:
      case OptionType::kIpv4SdEndpoint: {
        auto a =
            o.address.is_v4() ? o.address.to_v4().to_bytes() : asio::ip::address_v4::bytes_type{};
        out.insert(out.end(), a.begin(), a.end());
        out.push_back(0);
        out.push_back(o.l4_proto);
        Put16(out, o.port);
        break;
      }
      case OptionType::kIpv6Endpoint:
      case OptionType::kIpv6Multicast:
      case OptionType::kIpv6SdEndpoint: {
        auto a =
            o.address.is_v6() ? o.address.to_v6().to_bytes() : asio::ip::address_v6::bytes_type{};
        out.insert(out.end(), a.begin(), a.end());
        out.push_back(0);
        out.push_back(o.l4_proto);
        Put16(out, o.port);
        break;
      }
      case OptionType::kLoadBalancing:
        Put16(out, o.priority);
        Put16(out, o.weight);
        break;
      case OptionType::kConfiguration:
        for (const auto& c : o.config) {
          out.push_back(static_cast<uint8_t>(c.size()));
          out.insert(out.end(), c.begin(), c.end());
        }
        out.push_back(0);
        break;
      default:
        break;
    }
    uint16_t len = static_cast<uint16_t>(out.size() - start - 3);
    out[start] = static_cast<uint8_t>(len >> 8);
    out[start + 1] = static_cast<uint8_t>(len);
  }
  uint32_t opts_len = static_cast<uint32_t>(out.size() - len_at - 4);
  for (int i = 0; i < 4; ++i) out[len_at + i] = static_cast<uint8_t>(opts_len >> (24 - 8 * i));
}

Bytes EncodeSdMessage(const SdMessage& m, uint16_t session_id) {
  Header h;
  h.service_id = kSdServiceId;
  h.method_id = kSdMethodId;
  h.session_id = session_id;
  h.interface_version = kSdInterfaceVersion;
  h.message_type = static_cast<uint8_t>(MessageType::kNotification);
  Bytes out;
  out.reserve(kHeaderSize + SdPayloadSize(m));
  AppendHeader(h, out);
  AppendSdPayload(m, out);
  uint32_t length = static_cast<uint32_t>(out.size() - kLengthOffset);
  for (int i = 0; i < 4; ++i) out[4 + i] = static_cast<uint8_t>(length >> (24 - 8 * i));
  return out;
}

Option EndpointOption(const asio::ip::address& address, uint8_t l4_proto, uint16_t port) {
  Option o;
  o.type = address.is_v6() ? OptionType::kIpv6Endpoint : OptionType::kIpv4Endpoint;
  o.address = address;
  o.l4_proto = l4_proto;
  o.port = port;
  return o;
}

Option MulticastOption(const asio::ip::address& group, uint16_t port) {
  Option o = EndpointOption(group, kL4Udp, port);
  o.type = group.is_v6() ? OptionType::kIpv6Multicast : OptionType::kIpv4Multicast;
  return o;
}

void AttachOptions(SdMessage& m, Entry& e, const std::vector<Option>& options) {
  if (options.empty()) return;
  for (size_t i = 0; i + options.size() <= m.options.size(); ++i) {
    if (std::equal(options.begin(), options.end(), m.options.begin() + i)) {
      e.index1 = static_cast<uint8_t>(i);
      e.num1 = static_cast<uint8_t>(options.size());
      return;
    }
  }
  e.index1 = static_cast<uint8_t>(m.options.size());
  e.num1 = static_cast<uint8_t>(options.size());
  m.options.insert(m.options.end(), options.begin(), options.end());
}

const char* EntryTypeName(const Entry& e) {
  bool stop = e.ttl == 0;
  switch (e.type) {
    case EntryType::kFindService:
      return "FindService";
    case EntryType::kOfferService:
      return stop ? "StopOfferService" : "OfferService";
    case EntryType::kSubscribeEventgroup:
      return stop ? "StopSubscribeEventgroup" : "SubscribeEventgroup";
    case EntryType::kSubscribeEventgroupAck:
      return stop ? "SubscribeEventgroupNack" : "SubscribeEventgroupAck";
  }
  return "Unknown";
}

}  // namespace ecusim::someip
