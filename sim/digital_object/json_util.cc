#include "sim/digital_object/json_util.h"

#include <charconv>

#include "absl/strings/str_cat.h"

namespace ecusim::digital_object {
namespace {

// nlohmann's parser is iterative but the DOM it builds is freed recursively; refuse deep
// nesting before building it.
bool NestingWithin(std::string_view text, size_t max_depth) {
  size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return true;
}

}  // namespace

absl::StatusOr<Json> ParseJson(std::string_view text, size_t max_depth) {
  if (!NestingWithin(text, max_depth)) {
    return absl::InvalidArgumentError(
        absl::StrCat("JSON nested deeper than ", max_depth, " levels"));
  }
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError(e.what());
  }
}

std::string DumpJson(const Json& json) {
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

absl::StatusOr<std::optional<std::string>> StringField(const Json& object, std::string_view key) {
  if (!object.is_object()) return std::optional<std::string>();
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::optional<std::string>();
  if (it->is_string()) return std::optional<std::string>(it->get<std::string>());
  if (it->is_number() || it->is_boolean()) return std::optional<std::string>(DumpJson(*it));
  return absl::InvalidArgumentError(absl::StrCat("\"", std::string(key), "\" must be a string"));
}

absl::StatusOr<std::optional<long long>> IntegerField(const Json& object, std::string_view key) {
  if (!object.is_object()) return std::optional<long long>();
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::optional<long long>();
  if (it->is_number_integer()) return std::optional<long long>(it->get<long long>());
  if (it->is_string()) {
    const std::string& s = it->get_ref<const std::string&>();
    long long v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc() && end == s.data() + s.size() && !s.empty()) {
      return std::optional<long long>(v);
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("\"", std::string(key), "\" must be an integer, got ", DumpJson(*it)));
}

}  // namespace ecusim::digital_object
