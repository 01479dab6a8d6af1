#include "sim/digital_object/message.h"

#include <array>

#include "absl/strings/str_cat.h"

namespace ecusim::digital_object {
namespace {

constexpr std::array<std::string_view, 7> kRequestProperties = {
    "requestId", "clientId", "targetId", "operationId", "attributes", "authentication", "input"};

}  // namespace

bool IsAllowedRequestProperty(std::string_view key) {
  for (std::string_view k : kRequestProperties) {
    if (k == key) return true;
  }
  return false;
}

std::vector<Segment> Request::InputSegments() const {
  if (compact_input) return {Segment{Segment::Type::kJson, DumpJson(input)}};
  return input_segments;
}

absl::StatusOr<Request> ParseRequestHeader(const Segment& first) {
  if (!first.is_json()) {
    return absl::InvalidArgumentError("Request initial segment must be JSON");
  }
  auto json = ParseJson(first.data);
  if (!json.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("Error parsing initial JSON of request: ", json.status().message()));
  }
  if (!json->is_object()) {
    return absl::InvalidArgumentError("Request initial segment must be a JSON object");
  }
  for (const auto& [key, value] : json->items()) {
    if (!IsAllowedRequestProperty(key)) {
      return absl::InvalidArgumentError(absl::StrCat("Unexpected request property ", key));
    }
  }
  Request r;
  struct {
    std::string_view key;
    std::optional<std::string>* out;
  } strings[] = {{"requestId", &r.request_id},
                 {"clientId", &r.client_id},
                 {"targetId", &r.target_id},
                 {"operationId", &r.operation_id}};
  for (auto& [key, out] : strings) {
    auto v = StringField(*json, key);
    if (!v.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("Error parsing initial JSON of request: ", v.status().message()));
    }
    *out = std::move(*v);
  }
  if (auto it = json->find("attributes"); it != json->end() && !it->is_null()) {
    if (!it->is_object()) {
      return absl::InvalidArgumentError(
          "Error parsing initial JSON of request: \"attributes\" must be an object");
    }
    r.attributes = *it;
  }
  if (auto it = json->find("authentication"); it != json->end()) r.authentication = *it;
  if (auto it = json->find("input"); it != json->end() && !it->is_null()) {
    r.compact_input = true;
    r.input = *it;
  }
  return r;
}

Response Response::Error(std::string_view status, std::string_view message) {
  Response r;
  r.status = std::string(status);
  r.SetMessage(message);
  return r;
}

void Response::SetMessage(std::string_view message) {
  if (!attributes.is_object()) attributes = Json::object();
  attributes["message"] = std::string(message);
}

std::string EncodeResponse(const std::optional<std::string>& request_id, const Response& response) {
  Json first = Json::object();
  if (request_id) first["requestId"] = *request_id;
  first["status"] = response.status;
  if (!response.attributes.is_null()) first["attributes"] = response.attributes;
  if (response.compact_output) first["output"] = *response.compact_output;
  std::string out;
  AppendJsonSegment(out, DumpJson(first));
  if (!response.compact_output) {
    for (const Segment& s : response.output_segments) {
      if (s.is_json()) {
        AppendJsonSegment(out, s.data);
      } else {
        AppendBytesSegment(out, s.data);
      }
    }
  }
  AppendEmptySegment(out);
  return out;
}

}  // namespace ecusim::digital_object
