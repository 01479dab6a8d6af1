// DOIP v2.0 segment codec: an incremental decoder that accepts TCP reads split anywhere and
// follows the CNRI reference reader (InDoipMessageImpl) rule for rule, plus writers that
// produce the reference writer's bytes (OutDoipMessageImpl, doip_sdk write_*_segment).
#ifndef ECUSIM_SIM_DIGITAL_OBJECT_SEGMENT_CODEC_H_
#define ECUSIM_SIM_DIGITAL_OBJECT_SEGMENT_CODEC_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace ecusim::digital_object {

// Every way a byte stream can fail to be a DOIP message. The texts are the reference
// reader's BadDoipException messages where it has one.
enum class FramingError {
  kNone,
  kExpectedWhitespaceUntilNewline,  // "expected whitespace until newline"
  kZeroAtStartOfChunkSize,          // "zero at start of chunk size"
  kMissingChunkSize,                // "missing chunk size"
  kUnexpectedCharacterInChunkSize,  // "unexpected character in chunk size"
  kOverlongChunkSize,               // "overlong chunk size"
  kJsonSegmentTooLarge,             // our limit on one JSON segment
  kBytesSegmentTooLarge,            // our limit on one bytes segment
  kMessageTooLarge,                 // our limit on one message
  kTooManySegments,                 // our limit on segments per message
  kEndOfInputBeforeTerminalEmptySegment,
  kEndOfInputReadingJsonSegment,
  kEndOfInputReadingChunkSize,
  kEndOfInputReadingChunk,
  kEndOfInputBeforeNewline,
};

// The human text, e.g. "zero at start of chunk size".
std::string_view FramingErrorText(FramingError error);
// A metric-label-friendly name, e.g. "zero_at_start_of_chunk_size".
std::string_view FramingErrorName(FramingError error);

struct DecoderLimits {
  size_t max_json_segment_bytes = 1 << 20;
  size_t max_bytes_segment_bytes = 16 << 20;
  // Raw bytes of one message, framing included.
  size_t max_message_bytes = 32 << 20;
  size_t max_segments = 4096;
};

struct Segment {
  enum class Type { kJson, kBytes };
  Type type = Type::kJson;
  // JSON text without the terminator's newline, or the concatenated chunk bytes.
  std::string data;

  bool is_json() const { return type == Type::kJson; }
  bool operator==(const Segment&) const = default;
};

struct DecodeEvent {
  enum class Type { kSegment, kMessageEnd };
  Type type = Type::kSegment;
  Segment segment;  // for kSegment
};

class SegmentDecoder {
 public:
  explicit SegmentDecoder(DecoderLimits limits = {}) : limits_(limits) {}

  // Consumes `input`, appending one event per completed segment and per message end. On a
  // framing error returns INVALID_ARGUMENT with the error's text; events decoded before the
  // error are still appended. After an error every call returns the same error.
  absl::Status Feed(std::string_view input, std::vector<DecodeEvent>& events);

  // What the end of the input means here: OK between messages, otherwise the named
  // end-of-input error.
  FramingError ErrorAtEndOfInput() const;

  FramingError error() const { return error_; }
  // True between messages with nothing buffered.
  bool at_message_boundary() const { return state_ == State::kSegmentStart && segments_ == 0; }
  // True before the first byte of the current message's first segment.
  bool message_started() const { return message_bytes_ > 0; }

 private:
  enum class State {
    kSegmentStart,
    kJson,
    kChunkStart,
    kChunkSize,
    kChunkData,
    kSkipToNewline,
  };
  // What kSkipToNewline leads to.
  enum class AfterNewline {
    kMessageEnd,
    kJsonEnd,
    kBytesStart,
    kChunkData,
    kChunkStart,
    kBytesEnd
  };

  // Each consumes from input[pos] and advances pos; returns false on error.
  bool StepSegmentStart(char c, std::vector<DecodeEvent>& events);
  bool StepJson(std::string_view input, size_t& pos);
  bool StepChunkStart(char c);
  bool StepChunkSize(char c);
  void StepChunkData(std::string_view input, size_t& pos);
  bool StepSkipToNewline(char c, std::vector<DecodeEvent>& events);
  void SkipToNewline(AfterNewline next);
  bool Fail(FramingError error);
  bool StartSegment(Segment::Type type);
  void EmitSegment(std::vector<DecodeEvent>& events);

  DecoderLimits limits_;
  State state_ = State::kSegmentStart;
  AfterNewline after_newline_ = AfterNewline::kMessageEnd;
  FramingError error_ = FramingError::kNone;
  Segment current_;
  bool saw_newline_ = false;
  size_t chunk_remaining_ = 0;
  size_t size_digits_ = 0;
  size_t message_bytes_ = 0;
  size_t segments_ = 0;
};

// Writers. A JSON segment's text must not contain a line that starts with '#': compact
// JSON (no raw newlines) never does.
void AppendJsonSegment(std::string& out, std::string_view json);
// One chunk per `chunk_size` bytes; an empty payload is "@\n#\n" (no zero-size chunk, which
// the reference reader refuses).
void AppendBytesSegment(std::string& out, std::string_view bytes, size_t chunk_size = 65536);
void AppendEmptySegment(std::string& out);

// Convenience: a whole message from segments, ended by the empty segment.
std::string EncodeMessage(const std::vector<Segment>& segments);

}  // namespace ecusim::digital_object

#endif  // ECUSIM_SIM_DIGITAL_OBJECT_SEGMENT_CODEC_H_
