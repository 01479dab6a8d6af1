// The advertisement file format of bpod-core's LocalServiceAdvertisement (bpod_core/ipc.py),
// reproduced byte for byte so bpod-core peers and ecusim discover each other:
//
//   <root>/<sanitized service_type>/<uuid hex>.json
//   {"service_name":"...","service_type":"...","address":"...","pid":123,
//    "uuid":"<8-4-4-4-12>","properties":{"k":"v","n":null}}
//
// Compact JSON (msgspec), keys in that order, service_type unsanitized, property values a
// string or null. Written to `<uuid hex>.tmp` then renamed; `<uuid hex>.lock` is the flock
// sidecar taken while reading or removing. See shared/reference/platform.md section 4.
#ifndef ECUSIM_SIM_ADVERT_ADVERT_FILE_H_
#define ECUSIM_SIM_ADVERT_ADVERT_FILE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ecusim::advert {

// platformdirs.user_runtime_path('LocalServiceAdvertisements'): the app-name component.
inline constexpr char kRootDirName[] = "LocalServiceAdvertisements";
inline constexpr char kAdvertSuffix[] = ".json";
inline constexpr char kTempSuffix[] = ".tmp";
inline constexpr char kLockSuffix[] = ".lock";

// Limits on what we write (bad input is INVALID_ARGUMENT naming the field).
inline constexpr size_t kMaxProperties = 64;
inline constexpr size_t kMaxPropertiesBytes = 4096;  // sum of key and value bytes
inline constexpr size_t kMaxFieldBytes = 1024;       // service_name, address
inline constexpr size_t kMaxTypeChars = 200;         // keeps the directory name under 255 bytes
// Files larger than this written by others are treated as corrupt (never read whole).
inline constexpr size_t kMaxFileBytes = 1 << 20;

// A 128-bit UUID. Written hyphenated in the JSON and as 32 hex digits in the file name.
struct Uuid {
  std::array<uint8_t, 16> bytes{};

  // 8-4-4-4-12 lowercase, as Python's str(uuid.UUID).
  std::string Hyphenated() const;
  // 32 lowercase hex digits, as uuid.UUID.hex.
  std::string Hex() const;

  // A random version-4 UUID (as uuid.uuid4()).
  static Uuid Random();
  // Accepts the forms Python's uuid.UUID() accepts that matter here: 32 hex digits, with
  // or without hyphens in 8-4-4-4-12, optionally in braces or with a "urn:uuid:" prefix.
  static absl::StatusOr<Uuid> Parse(absl::string_view text);

  friend bool operator==(const Uuid& a, const Uuid& b) { return a.bytes == b.bytes; }
  friend bool operator<(const Uuid& a, const Uuid& b) { return a.bytes < b.bytes; }
};

// Property values are a string or null (bpod-core: dict[str, str | None]).
using Properties = std::map<std::string, std::optional<std::string>>;

// One advertisement as stored in a file (LocalServiceInfo).
struct AdvertRecord {
  std::string service_name;
  std::string service_type;  // unsanitized
  std::string address;
  int64_t pid = 0;
  Uuid uuid;
  Properties properties;
};

// bpod-core's sanitizer: every code point outside [A-Za-z0-9_] becomes one '_' (Python's
// re.sub works on code points, so "é" is one '_'). Invalid UTF-8 bytes count one each.
std::string SanitizeServiceType(absl::string_view service_type);

// Checks what Register accepts. Errors are INVALID_ARGUMENT naming the field and value:
// empty service_name/service_type, a type that sanitizes to no letter or digit, an address
// that is not a URI, more than kMaxProperties properties or more than kMaxPropertiesBytes.
absl::Status ValidateRecord(const AdvertRecord& record);

// True when `address` is an absolute URI: scheme ":" rest (RFC 3986 section 3.1 scheme),
// non-empty rest, no whitespace or control characters.
bool IsUri(absl::string_view address);

// Subset equality exactly as bpod-core's discover(): every filter entry must equal the
// advertisement's value, where an absent key reads as null, so a null filter value matches
// both a null value and a missing key.
bool MatchesProperties(const Properties& advertised, const Properties& filter);

// The file content bpod-core's msgspec encoder would write for `record`.
std::string EncodeAdvertFile(const AdvertRecord& record);

// Decodes a file as msgspec would decode LocalServiceInfo: unknown keys ignored, every
// known key required with the right type. Errors are INVALID_ARGUMENT naming what is wrong
// ("not JSON", "key 'pid' is not an integer", ...). Never throws.
absl::StatusOr<AdvertRecord> ParseAdvertFile(absl::string_view content);

}  // namespace ecusim::advert

#endif  // ECUSIM_SIM_ADVERT_ADVERT_FILE_H_
