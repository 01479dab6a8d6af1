#include "sim/advert/advert_file.h"

#include <nlohmann/json.hpp>
#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ecusim::advert {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Length of the UTF-8 sequence starting at s[i], or 1 for an invalid byte.
size_t CodePointLength(absl::string_view s, size_t i) {
  const auto lead = static_cast<unsigned char>(s[i]);
  size_t len = 1;
  if (lead >= 0xC2 && lead <= 0xDF) {
    len = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    len = 3;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    len = 4;
  } else {
    return 1;
  }
  if (i + len > s.size()) return 1;
  for (size_t k = 1; k < len; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 1;
  }
  return len;
}

size_t CountCodePoints(absl::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); i += CodePointLength(s, i)) ++n;
  return n;
}

std::string Quoted(absl::string_view s) {
  // Keeps error messages readable when a field is huge.
  if (s.size() > 80) return absl::StrCat("\"", s.substr(0, 77), "...\"");
  return absl::StrCat("\"", s, "\"");
}

absl::Status Invalid(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
}

}  // namespace

std::string Uuid::Hyphenated() const {
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHexDigits[bytes[i] >> 4]);
    out.push_back(kHexDigits[bytes[i] & 0x0F]);
  }
  return out;
}

std::string Uuid::Hex() const {
  std::string out;
  out.reserve(32);
  for (uint8_t b : bytes) {
    out.push_back(kHexDigits[b >> 4]);
    out.push_back(kHexDigits[b & 0x0F]);
  }
  return out;
}

Uuid Uuid::Random() {
  static thread_local std::mt19937_64 engine = [] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }();
  Uuid u;
  for (size_t i = 0; i < u.bytes.size(); i += 8) {
    uint64_t r = engine();
    for (size_t k = 0; k < 8; ++k) u.bytes[i + k] = static_cast<uint8_t>(r >> (8 * k));
  }
  u.bytes[6] = static_cast<uint8_t>((u.bytes[6] & 0x0F) | 0x40);  // RFC 4122 version 4
  u.bytes[8] = static_cast<uint8_t>((u.bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
  return u;
}

absl::StatusOr<Uuid> Uuid::Parse(absl::string_view text) {
  // Python: hex.replace('urn:', '').replace('uuid:', '').strip('{}').replace('-', '').
  absl::string_view s = text;
  if (absl::StartsWithIgnoreCase(s, "urn:uuid:")) s.remove_prefix(9);
  if (!s.empty() && s.front() == '{' && s.back() == '}' && s.size() >= 2) {
    s = s.substr(1, s.size() - 2);
  }
  std::string digits;
  for (char c : s) {
    if (c != '-') digits.push_back(c);
  }
  const bool hyphen_layout =
      s.size() == 36 && s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-';
  if (digits.size() != 32 || (s.size() != 32 && !hyphen_layout)) {
    return absl::InvalidArgumentError(
        absl::StrCat("uuid ", Quoted(text), " is not a UUID (32 hex digits, 8-4-4-4-12)"));
  }
  Uuid u;
  for (size_t i = 0; i < 16; ++i) {
    int hi = HexValue(digits[2 * i]);
    int lo = HexValue(digits[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("uuid ", Quoted(text), " is not a UUID (non-hex digit)"));
    }
    u.bytes[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return u;
}

std::string SanitizeServiceType(absl::string_view service_type) {
  std::string out;
  out.reserve(service_type.size());
  for (size_t i = 0; i < service_type.size();) {
    const size_t len = CodePointLength(service_type, i);
    const char c = service_type[i];
    const bool keep = len == 1 && (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_');
    out.push_back(keep ? c : '_');
    i += len;
  }
  return out;
}

bool IsUri(absl::string_view address) {
  const size_t colon = address.find(':');
  if (colon == absl::string_view::npos || colon == 0 || colon + 1 == address.size()) {
    return false;
  }
  if (!absl::ascii_isalpha(static_cast<unsigned char>(address[0]))) return false;
  for (size_t i = 1; i < colon; ++i) {
    const auto c = static_cast<unsigned char>(address[i]);
    if (!absl::ascii_isalnum(c) && c != '+' && c != '-' && c != '.') return false;
  }
  for (char ch : address) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7F) return false;
  }
  return true;
}

absl::Status ValidateRecord(const AdvertRecord& r) {
  if (r.service_name.empty()) return Invalid("service_name", "must not be empty");
  if (r.service_name.size() > kMaxFieldBytes) {
    return Invalid("service_name", absl::StrFormat("%d bytes, at most %d allowed",
                                                   r.service_name.size(), kMaxFieldBytes));
  }
  if (r.service_type.empty()) return Invalid("service_type", "must not be empty");
  const std::string sanitized = SanitizeServiceType(r.service_type);
  if (sanitized.find_first_not_of('_') == std::string::npos) {
    return Invalid("service_type",
                   absl::StrCat(Quoted(r.service_type), " sanitizes to ", Quoted(sanitized),
                                ", which has no letter or digit to name a directory"));
  }
  if (CountCodePoints(r.service_type) > kMaxTypeChars) {
    return Invalid("service_type", absl::StrFormat("%d characters, at most %d allowed",
                                                   CountCodePoints(r.service_type), kMaxTypeChars));
  }
  if (r.address.empty()) return Invalid("address", "must not be empty");
  if (r.address.size() > kMaxFieldBytes || !IsUri(r.address)) {
    return Invalid("address",
                   absl::StrCat(Quoted(r.address),
                                " is not a URI (scheme:rest, e.g. grpc://127.0.0.1:50051)"));
  }
  if (r.properties.size() > kMaxProperties) {
    return Invalid("properties", absl::StrFormat("%d entries, at most %d allowed",
                                                 r.properties.size(), kMaxProperties));
  }
  size_t bytes = 0;
  for (const auto& [k, v] : r.properties) {
    if (k.empty()) return Invalid("properties", "a key is empty");
    bytes += k.size() + (v ? v->size() : 0);
  }
  if (bytes > kMaxPropertiesBytes) {
    return Invalid("properties", absl::StrFormat("%d bytes of keys and values, at most %d allowed",
                                                 bytes, kMaxPropertiesBytes));
  }
  return absl::OkStatus();
}

bool MatchesProperties(const Properties& advertised, const Properties& filter) {
  for (const auto& [key, want] : filter) {
    auto it = advertised.find(key);
    const std::optional<std::string> have = it == advertised.end() ? std::nullopt : it->second;
    if (have != want) return false;
  }
  return true;
}

std::string EncodeAdvertFile(const AdvertRecord& r) {
  nlohmann::ordered_json props = nlohmann::ordered_json::object();
  for (const auto& [k, v] : r.properties) {
    if (v) {
      props[k] = *v;
    } else {
      props[k] = nullptr;
    }
  }
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  j["service_name"] = r.service_name;
  j["service_type"] = r.service_type;
  j["address"] = r.address;
  j["pid"] = r.pid;
  j["uuid"] = r.uuid.Hyphenated();
  j["properties"] = std::move(props);
  // Compact and raw UTF-8, as msgspec.json.encode; invalid UTF-8 is replaced, never thrown.
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

absl::StatusOr<AdvertRecord> ParseAdvertFile(absl::string_view content) {
  if (content.size() > kMaxFileBytes) {
    return absl::InvalidArgumentError(
        absl::StrFormat("file of %d bytes is larger than %d", content.size(), kMaxFileBytes));
  }
  const nlohmann::json j = nlohmann::json::parse(content.data(), content.data() + content.size(),
                                                 nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return absl::InvalidArgumentError("not JSON");
  if (!j.is_object()) return absl::InvalidArgumentError("not a JSON object");

  AdvertRecord r;
  auto string_field = [&j](const char* key, std::string& out) -> absl::Status {
    auto it = j.find(key);
    if (it == j.end()) return absl::InvalidArgumentError(absl::StrCat("key '", key, "' missing"));
    if (!it->is_string()) {
      return absl::InvalidArgumentError(absl::StrCat("key '", key, "' is not a string"));
    }
    out = it->get_ref<const std::string&>();
    return absl::OkStatus();
  };
  if (auto s = string_field("service_name", r.service_name); !s.ok()) return s;
  if (auto s = string_field("service_type", r.service_type); !s.ok()) return s;
  if (auto s = string_field("address", r.address); !s.ok()) return s;

  auto pid = j.find("pid");
  if (pid == j.end()) return absl::InvalidArgumentError("key 'pid' missing");
  if (pid->is_number_unsigned()) {
    const auto v = pid->get<uint64_t>();
    if (v > static_cast<uint64_t>(INT32_MAX)) {
      return absl::InvalidArgumentError(absl::StrCat("key 'pid' value ", v, " is out of range"));
    }
    r.pid = static_cast<int64_t>(v);
  } else if (pid->is_number_integer()) {
    const auto v = pid->get<int64_t>();
    if (v < INT32_MIN) {
      return absl::InvalidArgumentError(absl::StrCat("key 'pid' value ", v, " is out of range"));
    }
    r.pid = v;
  } else {
    return absl::InvalidArgumentError("key 'pid' is not an integer");
  }

  std::string uuid_text;
  if (auto s = string_field("uuid", uuid_text); !s.ok()) return s;
  auto uuid = Uuid::Parse(uuid_text);
  if (!uuid.ok()) return uuid.status();
  r.uuid = *uuid;

  auto props = j.find("properties");
  if (props == j.end()) return absl::InvalidArgumentError("key 'properties' missing");
  if (!props->is_object()) return absl::InvalidArgumentError("key 'properties' is not an object");
  for (auto it = props->begin(); it != props->end(); ++it) {
    if (it->is_null()) {
      r.properties[it.key()] = std::nullopt;
    } else if (it->is_string()) {
      r.properties[it.key()] = it->get_ref<const std::string&>();
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("property ", Quoted(it.key()), " is neither a string nor null"));
    }
  }
  return r;
}

}  // namespace ecusim::advert
