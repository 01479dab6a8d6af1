#include "server/scenario_parser.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace ecusim::server {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

class Converter {
 public:
  explicit Converter(absl::string_view source) : source_(source) {}

  absl::Status Message(const YAML::Node& node, google::protobuf::Message& msg,
                       const std::string& path) {
    if (node.IsNull()) return absl::OkStatus();
    if (!node.IsMap()) {
      return Error(node, path, absl::StrCat("expected a mapping for ", msg.GetTypeName()));
    }
    const Descriptor* d = msg.GetDescriptor();
    for (const auto& kv : node) {
      std::string key = kv.first.as<std::string>();
      const FieldDescriptor* f = d->FindFieldByName(key);
      for (int i = 0; f == nullptr && i < d->field_count(); ++i) {
        if (d->field(i)->json_name() == key) f = d->field(i);
      }
      std::string field_path = path.empty() ? key : absl::StrCat(path, ".", key);
      if (f == nullptr) {
        return Error(kv.first, field_path,
                     absl::StrCat("unknown field (", d->full_name(), " has no such field)"));
      }
      if (auto s = Field(kv.second, msg, f, field_path); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

 private:
  absl::Status Error(const YAML::Node& node, const std::string& path, absl::string_view what) {
    const YAML::Mark m = node.Mark();
    std::string where(source_);
    if (!m.is_null()) absl::StrAppend(&where, ":", m.line + 1, ":", m.column + 1);
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", path, ": ", what));
  }

  absl::Status Field(const YAML::Node& node, google::protobuf::Message& msg,
                     const FieldDescriptor* f, const std::string& path) {
    if (f->is_map()) {
      if (node.IsNull()) return absl::OkStatus();
      if (!node.IsMap()) return Error(node, path, "expected a mapping");
      const FieldDescriptor* key_f = f->message_type()->map_key();
      const FieldDescriptor* value_f = f->message_type()->map_value();
      for (const auto& kv : node) {
        google::protobuf::Message* entry = msg.GetReflection()->AddMessage(&msg, f);
        std::string key = kv.first.as<std::string>();
        std::string entry_path = absl::StrCat(path, "[\"", key, "\"]");
        if (auto s = Singular(kv.first, *entry, key_f, entry_path); !s.ok()) return s;
        if (auto s = Singular(kv.second, *entry, value_f, entry_path); !s.ok()) return s;
      }
      return absl::OkStatus();
    }
    if (f->is_repeated()) {
      if (node.IsNull()) return absl::OkStatus();
      if (!node.IsSequence()) return Error(node, path, "expected a list");
      for (size_t i = 0; i < node.size(); ++i) {
        if (auto s = Singular(node[i], msg, f, absl::StrCat(path, "[", i, "]")); !s.ok()) {
          return s;
        }
      }
      return absl::OkStatus();
    }
    return Singular(node, msg, f, path);
  }

  // Sets (or, for repeated fields, adds) one value.
  absl::Status Singular(const YAML::Node& node, google::protobuf::Message& msg,
                        const FieldDescriptor* f, const std::string& path) {
    const Reflection* r = msg.GetReflection();
    const bool rep = f->is_repeated();
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      google::protobuf::Message* sub = rep ? r->AddMessage(&msg, f) : r->MutableMessage(&msg, f);
      return Message(node, *sub, path);
    }
    if (!node.IsScalar()) return Error(node, path, "expected a single value");
    const std::string text = node.Scalar();
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING: {
        std::string value = text;
        if (f->type() == FieldDescriptor::TYPE_BYTES) {
          auto bytes = Bytes(text);
          if (!bytes)
            return Error(node, path, absl::StrCat("\"", text, "\" is not base64 or hex:"));
          value = *bytes;
        }
        rep ? r->AddString(&msg, f, value) : r->SetString(&msg, f, value);
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_BOOL: {
        std::string t = absl::AsciiStrToLower(text);
        if (t != "true" && t != "false") {
          return Error(node, path, absl::StrCat("\"", text, "\" is not true or false"));
        }
        rep ? r->AddBool(&msg, f, t == "true") : r->SetBool(&msg, f, t == "true");
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_ENUM: {
        const auto* value = f->enum_type()->FindValueByName(text);
        if (value == nullptr) {
          auto n = Integer(text, std::numeric_limits<int32_t>::min(),
                           std::numeric_limits<int32_t>::max());
          if (n) value = f->enum_type()->FindValueByNumber(static_cast<int>(*n));
        }
        if (value == nullptr) {
          return Error(
              node, path,
              absl::StrCat("\"", text, "\" is not a value of ", f->enum_type()->full_name()));
        }
        rep ? r->AddEnum(&msg, f, value) : r->SetEnum(&msg, f, value);
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_DOUBLE:
      case FieldDescriptor::CPPTYPE_FLOAT: {
        char* end = nullptr;
        errno = 0;
        double d = std::strtod(text.c_str(), &end);
        if (text.empty() || *end != '\0' || errno != 0 || !std::isfinite(d)) {
          return Error(node, path, absl::StrCat("\"", text, "\" is not a number"));
        }
        if (f->cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE) {
          rep ? r->AddDouble(&msg, f, d) : r->SetDouble(&msg, f, d);
        } else {
          rep ? r->AddFloat(&msg, f, static_cast<float>(d))
              : r->SetFloat(&msg, f, static_cast<float>(d));
        }
        return absl::OkStatus();
      }
      default:
        return IntegerField(node, text, msg, f, path);
    }
  }

  absl::Status IntegerField(const YAML::Node& node, const std::string& text,
                            google::protobuf::Message& msg, const FieldDescriptor* f,
                            const std::string& path) {
    const Reflection* r = msg.GetReflection();
    const bool rep = f->is_repeated();
    __int128 lo = 0, hi = 0;
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        lo = std::numeric_limits<int32_t>::min(), hi = std::numeric_limits<int32_t>::max();
        break;
      case FieldDescriptor::CPPTYPE_UINT32:
        hi = std::numeric_limits<uint32_t>::max();
        break;
      case FieldDescriptor::CPPTYPE_INT64:
        lo = std::numeric_limits<int64_t>::min(), hi = std::numeric_limits<int64_t>::max();
        break;
      default:
        hi = std::numeric_limits<uint64_t>::max();
        break;
    }
    auto n = Integer(text, lo, hi);
    if (!n) {
      return Error(
          node, path,
          absl::StrCat("\"", text, "\" is not an integer in the range of ", f->cpp_type_name()));
    }
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        rep ? r->AddInt32(&msg, f, static_cast<int32_t>(*n))
            : r->SetInt32(&msg, f, static_cast<int32_t>(*n));
        break;
      case FieldDescriptor::CPPTYPE_UINT32:
        rep ? r->AddUInt32(&msg, f, static_cast<uint32_t>(*n))
            : r->SetUInt32(&msg, f, static_cast<uint32_t>(*n));
        break;
      case FieldDescriptor::CPPTYPE_INT64:
        rep ? r->AddInt64(&msg, f, static_cast<int64_t>(*n))
            : r->SetInt64(&msg, f, static_cast<int64_t>(*n));
        break;
      default:
        rep ? r->AddUInt64(&msg, f, static_cast<uint64_t>(*n))
            : r->SetUInt64(&msg, f, static_cast<uint64_t>(*n));
        break;
    }
    return absl::OkStatus();
  }

  // Decimal or 0x-hex, within [lo, hi].
  static std::optional<__int128> Integer(const std::string& text, __int128 lo, __int128 hi) {
    absl::string_view t = text;
    bool negative = absl::ConsumePrefix(&t, "-");
    int base = 10;
    if (absl::ConsumePrefix(&t, "0x") || absl::ConsumePrefix(&t, "0X")) base = 16;
    if (t.empty()) return std::nullopt;
    __int128 v = 0;
    for (char c : t) {
      int digit;
      if (c >= '0' && c <= '9') {
        digit = c - '0';
      } else if (base == 16 && absl::ascii_isxdigit(static_cast<unsigned char>(c))) {
        digit = absl::ascii_tolower(static_cast<unsigned char>(c)) - 'a' + 10;
      } else {
        return std::nullopt;
      }
      v = v * base + digit;
      if (v > (static_cast<__int128>(1) << 65)) return std::nullopt;
    }
    if (negative) v = -v;
    if (v < lo || v > hi) return std::nullopt;
    return v;
  }

  static std::optional<std::string> Bytes(const std::string& text) {
    std::string out;
    absl::string_view t = text;
    if (absl::ConsumePrefix(&t, "hex:")) {
      if (t.size() % 2 != 0) return std::nullopt;
      for (char c : t) {
        if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
      }
      return absl::HexStringToBytes(t);
    }
    if (!absl::Base64Unescape(t, &out)) return std::nullopt;
    return out;
  }

  absl::string_view source_;
};

}  // namespace

absl::Status ParseYamlToMessage(absl::string_view text, absl::string_view source,
                                google::protobuf::Message& message) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ":", e.mark.line + 1, ":", e.mark.column + 1, ": not YAML or JSON: ", e.msg));
  }
  try {
    return Converter(source).Message(root, message, "");
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(source, ":", e.mark.line + 1, ": ", e.msg));
  }
}

absl::StatusOr<v1::Scenario> ParseScenario(absl::string_view text, absl::string_view source) {
  v1::Scenario scenario;
  if (auto s = ParseYamlToMessage(text, source, scenario); !s.ok()) return s;
  return scenario;
}

absl::StatusOr<v1::Scenario> LoadScenarioFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read scenario file \"", path, "\""));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return ParseScenario(buffer.str(), path);
}

}  // namespace ecusim::server
