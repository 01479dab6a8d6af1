// JSON helpers for DOIP v2 segments: parsing that never throws and bounds nesting depth,
// and compact serialization that never throws on invalid UTF-8.
#ifndef ECUSIM_SIM_DIGITAL_OBJECT_JSON_UTIL_H_
#define ECUSIM_SIM_DIGITAL_OBJECT_JSON_UTIL_H_

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace ecusim::digital_object {

// Keys keep their insertion order, so responses read like the reference's (requestId,
// status, attributes, output).
using Json = nlohmann::ordered_json;

inline constexpr size_t kMaxJsonDepth = 128;

// INVALID_ARGUMENT naming the parser's complaint, or nesting deeper than `max_depth`.
absl::StatusOr<Json> ParseJson(std::string_view text, size_t max_depth = kMaxJsonDepth);

// Compact text; invalid UTF-8 in strings is replaced by U+FFFD.
std::string DumpJson(const Json& json);

// A header field the reference reads into a String: strings as they are, numbers and
// booleans as their text (Gson's lenient coercion). nullopt for absent or null;
// INVALID_ARGUMENT for arrays and objects.
absl::StatusOr<std::optional<std::string>> StringField(const Json& object, std::string_view key);

// An integer attribute given as a number or numeric string (Gson getAsInt).
absl::StatusOr<std::optional<long long>> IntegerField(const Json& object, std::string_view key);

}  // namespace ecusim::digital_object

#endif  // ECUSIM_SIM_DIGITAL_OBJECT_JSON_UTIL_H_
