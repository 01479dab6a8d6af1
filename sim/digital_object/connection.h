// One DOIP v2 connection, sans I/O: decrypted bytes in, response bytes out. Requests on a
// connection are sequential messages (CNRI DoipServer.handleMessagesThrowing).
//
// Like the reference server, a malformed message (framing error, a first segment that is
// not a JSON object with only the seven request properties, compact input followed by
// more segments) is answered with 0.DOIP/Status.101 and attributes.message, and the
// connection is closed: after a framing error the stream cannot be trusted. Errors inside a
// well-formed request (unknown target, bad input, ...) are answered and the connection
// stays open. An idle connection is answered 101 ("Read timed out") and closed.
#ifndef ECUSIM_SIM_DIGITAL_OBJECT_CONNECTION_H_
#define ECUSIM_SIM_DIGITAL_OBJECT_CONNECTION_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/clock.h"
#include "sim/digital_object/message.h"
#include "sim/digital_object/processor.h"
#include "sim/digital_object/segment_codec.h"

namespace ecusim::digital_object {

struct ConnectionLimits {
  DecoderLimits decoder;
  // CNRI DoipServerConfig maxIdleTimeMillis.
  core::Duration idle_timeout = std::chrono::minutes(5);
};

// One answered request, for metrics and observations.
struct RequestRecord {
  std::string operation;  // label: basic op id, "extended" or "none"
  std::string operation_id;
  std::string status;
  std::string target_id;
  std::string request_id;
  std::string object_id;
  bool store_changed = false;
};

struct ConnectionOutput {
  std::string bytes;   // to send, in order
  bool close = false;  // after sending `bytes`
  std::vector<RequestRecord> requests;
  // Set when the stream was not a DOIP message (also counted as a 101 request).
  FramingError framing_error = FramingError::kNone;
  // The 101 message when the connection is closed for a malformed request.
  std::string bad_request;
};

class Connection {
 public:
  Connection(Processor& processor, ConnectionLimits limits, core::TimePoint now);

  ConnectionOutput OnInput(core::TimePoint now, std::string_view bytes);
  // The peer finished sending. Nothing more can be answered: only closes.
  ConnectionOutput OnEndOfInput();
  // Call at or after deadline().
  ConnectionOutput OnTimer(core::TimePoint now);

  core::TimePoint deadline() const { return last_activity_ + limits_.idle_timeout; }
  bool closed() const { return closed_; }

 private:
  void OnSegment(Segment segment, ConnectionOutput& out);
  void OnMessageEnd(ConnectionOutput& out);
  // Answers 101 with `message`, closes, and records it.
  void RejectMessage(std::string_view message, ConnectionOutput& out);
  void ResetRequest();

  Processor& processor_;
  ConnectionLimits limits_;
  SegmentDecoder decoder_;
  core::TimePoint last_activity_;
  bool closed_ = false;
  // The request being read.
  bool have_header_ = false;
  Request request_;
};

}  // namespace ecusim::digital_object

#endif  // ECUSIM_SIM_DIGITAL_OBJECT_CONNECTION_H_
