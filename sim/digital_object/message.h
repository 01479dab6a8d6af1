// DOIP v2 request and response messages: the first segment's fields and the input/output
// segments (CNRI DoipServerRequestImpl / DoipServerResponseImpl).
#ifndef ECUSIM_SIM_DIGITAL_OBJECT_MESSAGE_H_
#define ECUSIM_SIM_DIGITAL_OBJECT_MESSAGE_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "sim/digital_object/json_util.h"
#include "sim/digital_object/segment_codec.h"
#include "sim/digital_object/segment_format.h"

namespace ecusim::digital_object {

struct Request {
  std::optional<std::string> request_id;
  std::optional<std::string> client_id;
  std::optional<std::string> target_id;
  std::optional<std::string> operation_id;
  Json attributes;      // an object, or null when absent
  Json authentication;  // any JSON; null when absent
  // "Compact input": the input is this JSON and no further segments may follow.
  bool compact_input = false;
  Json input;
  // The input otherwise: every segment after the first.
  std::vector<Segment> input_segments;

  bool HasInput() const { return compact_input || !input_segments.empty(); }
  // The input as segments (the compact input as one JSON segment).
  std::vector<Segment> InputSegments() const;
};

// The seven request properties the reference accepts (DoipRequestHeadersWithRequestId).
bool IsAllowedRequestProperty(std::string_view key);

// Reads the first segment of a request. Errors carry the reference's 0.DOIP/Status.101
// message ("Unexpected request property x", "Request initial segment must be JSON", ...).
absl::StatusOr<Request> ParseRequestHeader(const Segment& first);

struct Response {
  std::string status = std::string(kStatusOk);
  Json attributes;  // null = left out
  // Compact output in the first segment, or output segments after it (or neither).
  std::optional<Json> compact_output;
  std::vector<Segment> output_segments;

  static Response Error(std::string_view status, std::string_view message);
  void SetMessage(std::string_view message);
};

// The response's bytes: first segment {"requestId","status","attributes","output"} (absent
// members left out, as Gson does), output segments, the empty segment.
std::string EncodeResponse(const std::optional<std::string>& request_id, const Response& response);

}  // namespace ecusim::digital_object

#endif  // ECUSIM_SIM_DIGITAL_OBJECT_MESSAGE_H_
