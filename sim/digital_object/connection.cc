#include "sim/digital_object/connection.h"

#include "absl/strings/str_cat.h"

namespace ecusim::digital_object {
namespace {

// The requestId of a first segment the request parser refused, so the 101 can still carry
// it (the reference leaves it out; echoing it helps clients match the answer).
std::optional<std::string> SalvageRequestId(const Segment& first) {
  if (!first.is_json()) return std::nullopt;
  auto json = ParseJson(first.data);
  if (!json.ok()) return std::nullopt;
  auto id = StringField(*json, "requestId");
  if (!id.ok()) return std::nullopt;
  return *id;
}

}  // namespace

Connection::Connection(Processor& processor, ConnectionLimits limits, core::TimePoint now)
    : processor_(processor), limits_(limits), decoder_(limits.decoder), last_activity_(now) {}

ConnectionOutput Connection::OnInput(core::TimePoint now, std::string_view bytes) {
  ConnectionOutput out;
  if (closed_) return out;
  last_activity_ = now;
  std::vector<DecodeEvent> events;
  absl::Status status = decoder_.Feed(bytes, events);
  for (DecodeEvent& e : events) {
    if (closed_) break;
    if (e.type == DecodeEvent::Type::kSegment) {
      OnSegment(std::move(e.segment), out);
    } else {
      OnMessageEnd(out);
    }
  }
  if (!status.ok() && !closed_) {
    out.framing_error = decoder_.error();
    RejectMessage(std::string(status.message()), out);
  }
  return out;
}

ConnectionOutput Connection::OnEndOfInput() {
  ConnectionOutput out;
  if (closed_) return out;
  out.framing_error = decoder_.ErrorAtEndOfInput();
  out.close = true;
  closed_ = true;
  return out;
}

ConnectionOutput Connection::OnTimer(core::TimePoint now) {
  ConnectionOutput out;
  if (closed_ || now < deadline()) return out;
  RejectMessage("Read timed out", out);
  return out;
}

void Connection::OnSegment(Segment segment, ConnectionOutput& out) {
  if (!have_header_) {
    auto parsed = ParseRequestHeader(segment);
    if (!parsed.ok()) {
      request_.request_id = SalvageRequestId(segment);
      RejectMessage(std::string(parsed.status().message()), out);
      return;
    }
    request_ = std::move(*parsed);
    have_header_ = true;
    return;
  }
  if (request_.compact_input) {
    RejectMessage("Extra segments after initial JSON with compact input", out);
    return;
  }
  request_.input_segments.push_back(std::move(segment));
}

void Connection::OnMessageEnd(ConnectionOutput& out) {
  if (!have_header_) {
    RejectMessage("no initial segment in request", out);
    return;
  }
  ProcessResult result = processor_.Process(request_);
  out.bytes += EncodeResponse(request_.request_id, result.response);
  RequestRecord record;
  record.operation = std::move(result.operation);
  record.operation_id = request_.operation_id.value_or("");
  record.status = result.response.status;
  record.target_id = request_.target_id.value_or("");
  record.request_id = request_.request_id.value_or("");
  record.object_id = std::move(result.object_id);
  record.store_changed = result.store_changed;
  out.requests.push_back(std::move(record));
  ResetRequest();
}

void Connection::RejectMessage(std::string_view message, ConnectionOutput& out) {
  out.bytes += EncodeResponse(request_.request_id, Response::Error(kStatusBadRequest, message));
  RequestRecord record;
  record.operation = request_.operation_id ? Processor::OperationLabel(*request_.operation_id)
                                           : std::string("none");
  record.operation_id = request_.operation_id.value_or("");
  record.status = std::string(kStatusBadRequest);
  record.target_id = request_.target_id.value_or("");
  record.request_id = request_.request_id.value_or("");
  out.requests.push_back(std::move(record));
  out.bad_request = std::string(message);
  out.close = true;
  closed_ = true;
  ResetRequest();
}

void Connection::ResetRequest() {
  have_header_ = false;
  request_ = Request{};
}

}  // namespace ecusim::digital_object
