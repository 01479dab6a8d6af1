#include "sim/digital_object/segment_codec.h"

#include <algorithm>
#include <cstring>

#include "sim/digital_object/segment_format.h"

namespace ecusim::digital_object {
namespace {

bool IsLineSpace(char c) { return c == ' ' || c == '\t' || c == '\r'; }

}  // namespace

std::string_view FramingErrorText(FramingError error) {
  switch (error) {
    case FramingError::kNone:
      return "no error";
    case FramingError::kExpectedWhitespaceUntilNewline:
      return "expected whitespace until newline";
    case FramingError::kZeroAtStartOfChunkSize:
      return "zero at start of chunk size";
    case FramingError::kMissingChunkSize:
      return "missing chunk size";
    case FramingError::kUnexpectedCharacterInChunkSize:
      return "unexpected character in chunk size";
    case FramingError::kOverlongChunkSize:
      return "overlong chunk size";
    case FramingError::kJsonSegmentTooLarge:
      return "JSON segment too large";
    case FramingError::kBytesSegmentTooLarge:
      return "bytes segment too large";
    case FramingError::kMessageTooLarge:
      return "message too large";
    case FramingError::kTooManySegments:
      return "too many segments in message";
    case FramingError::kEndOfInputBeforeTerminalEmptySegment:
      return "end of input before terminal empty segment";
    case FramingError::kEndOfInputReadingJsonSegment:
      return "end of input reading JSON segment";
    case FramingError::kEndOfInputReadingChunkSize:
      return "end of input reading chunk size";
    case FramingError::kEndOfInputReadingChunk:
      return "end of input while reading chunk";
    case FramingError::kEndOfInputBeforeNewline:
      return "end of input before newline";
  }
  return "unknown framing error";
}

std::string_view FramingErrorName(FramingError error) {
  switch (error) {
    case FramingError::kNone:
      return "none";
    case FramingError::kExpectedWhitespaceUntilNewline:
      return "expected_whitespace_until_newline";
    case FramingError::kZeroAtStartOfChunkSize:
      return "zero_at_start_of_chunk_size";
    case FramingError::kMissingChunkSize:
      return "missing_chunk_size";
    case FramingError::kUnexpectedCharacterInChunkSize:
      return "unexpected_character_in_chunk_size";
    case FramingError::kOverlongChunkSize:
      return "overlong_chunk_size";
    case FramingError::kJsonSegmentTooLarge:
      return "json_segment_too_large";
    case FramingError::kBytesSegmentTooLarge:
      return "bytes_segment_too_large";
    case FramingError::kMessageTooLarge:
      return "message_too_large";
    case FramingError::kTooManySegments:
      return "too_many_segments";
    case FramingError::kEndOfInputBeforeTerminalEmptySegment:
      return "end_of_input_before_terminal_empty_segment";
    case FramingError::kEndOfInputReadingJsonSegment:
      return "end_of_input_reading_json_segment";
    case FramingError::kEndOfInputReadingChunkSize:
      return "end_of_input_reading_chunk_size";
    case FramingError::kEndOfInputReadingChunk:
      return "end_of_input_reading_chunk";
    case FramingError::kEndOfInputBeforeNewline:
      return "end_of_input_before_newline";
  }
  return "unknown";
}

absl::Status SegmentDecoder::Feed(std::string_view input, std::vector<DecodeEvent>& events) {
  if (error_ != FramingError::kNone) {
    return absl::InvalidArgumentError(std::string(FramingErrorText(error_)));
  }
  size_t pos = 0;
  while (pos < input.size()) {
    // Bytes consumed by the bulk steps are counted inside them.
    if (state_ == State::kJson) {
      if (!StepJson(input, pos)) break;
      continue;
    }
    if (state_ == State::kChunkData) {
      StepChunkData(input, pos);
      continue;
    }
    const char c = input[pos++];
    if (++message_bytes_ > limits_.max_message_bytes) {
      Fail(FramingError::kMessageTooLarge);
      break;
    }
    bool ok = true;
    switch (state_) {
      case State::kSegmentStart:
        ok = StepSegmentStart(c, events);
        break;
      case State::kChunkStart:
        ok = StepChunkStart(c);
        break;
      case State::kChunkSize:
        ok = StepChunkSize(c);
        break;
      case State::kSkipToNewline:
        ok = StepSkipToNewline(c, events);
        break;
      case State::kJson:
      case State::kChunkData:
        break;
    }
    if (!ok) break;
  }
  if (error_ != FramingError::kNone) {
    return absl::InvalidArgumentError(std::string(FramingErrorText(error_)));
  }
  return absl::OkStatus();
}

FramingError SegmentDecoder::ErrorAtEndOfInput() const {
  if (error_ != FramingError::kNone) return error_;
  switch (state_) {
    case State::kSegmentStart:
      return message_bytes_ == 0 ? FramingError::kNone
                                 : FramingError::kEndOfInputBeforeTerminalEmptySegment;
    case State::kJson:
      return FramingError::kEndOfInputReadingJsonSegment;
    case State::kChunkStart:
    case State::kChunkSize:
      return FramingError::kEndOfInputReadingChunkSize;
    case State::kChunkData:
      return FramingError::kEndOfInputReadingChunk;
    case State::kSkipToNewline:
      return FramingError::kEndOfInputBeforeNewline;
  }
  return FramingError::kEndOfInputBeforeTerminalEmptySegment;
}

bool SegmentDecoder::Fail(FramingError error) {
  error_ = error;
  current_.data.clear();
  return false;
}

bool SegmentDecoder::StartSegment(Segment::Type type) {
  if (++segments_ > limits_.max_segments) return Fail(FramingError::kTooManySegments);
  current_.type = type;
  current_.data.clear();
  return true;
}

void SegmentDecoder::EmitSegment(std::vector<DecodeEvent>& events) {
  DecodeEvent event;
  event.type = DecodeEvent::Type::kSegment;
  event.segment = std::move(current_);
  current_ = Segment{};
  events.push_back(std::move(event));
}

void SegmentDecoder::SkipToNewline(AfterNewline next) {
  after_newline_ = next;
  state_ = State::kSkipToNewline;
}

bool SegmentDecoder::StepSegmentStart(char c, std::vector<DecodeEvent>& events) {
  if (c == kSegmentMark) {
    SkipToNewline(AfterNewline::kMessageEnd);
    return true;
  }
  if (c == kBytesMark) {
    if (!StartSegment(Segment::Type::kBytes)) return false;
    SkipToNewline(AfterNewline::kBytesStart);
    return true;
  }
  // Anything else starts a JSON segment; this byte is its first byte.
  if (!StartSegment(Segment::Type::kJson)) return false;
  current_.data.push_back(c);
  saw_newline_ = c == '\n';
  state_ = State::kJson;
  return true;
}

bool SegmentDecoder::StepJson(std::string_view input, size_t& pos) {
  // A JSON segment ends at the first '#' directly after a newline.
  while (pos < input.size()) {
    const char c = input[pos];
    if (c == kSegmentMark && saw_newline_) {
      ++pos;
      if (++message_bytes_ > limits_.max_message_bytes) {
        return Fail(FramingError::kMessageTooLarge);
      }
      // The newline before '#' belongs to the terminator.
      current_.data.pop_back();
      SkipToNewline(AfterNewline::kJsonEnd);
      return true;
    }
    // Copy up to the next newline in one go.
    const size_t limit = input.size();
    const void* nl = std::memchr(input.data() + pos, '\n', limit - pos);
    const size_t end =
        nl ? static_cast<size_t>(static_cast<const char*>(nl) - input.data()) + 1 : limit;
    // Only the first byte after a newline can be the terminator.
    const size_t take = end - pos;
    if (current_.data.size() + take > limits_.max_json_segment_bytes + 1) {
      return Fail(FramingError::kJsonSegmentTooLarge);
    }
    if (message_bytes_ + take > limits_.max_message_bytes) {
      return Fail(FramingError::kMessageTooLarge);
    }
    current_.data.append(input.data() + pos, take);
    message_bytes_ += take;
    pos = end;
    saw_newline_ = nl != nullptr;
  }
  return true;
}

bool SegmentDecoder::StepChunkStart(char c) {
  if (c == kSegmentMark) {
    SkipToNewline(AfterNewline::kBytesEnd);
    return true;
  }
  if (c == '0') return Fail(FramingError::kZeroAtStartOfChunkSize);
  if (c == '\n' || IsLineSpace(c)) return Fail(FramingError::kMissingChunkSize);
  if (c < '0' || c > '9') return Fail(FramingError::kUnexpectedCharacterInChunkSize);
  chunk_remaining_ = static_cast<size_t>(c - '0');
  size_digits_ = 1;
  state_ = State::kChunkSize;
  return true;
}

bool SegmentDecoder::StepChunkSize(char c) {
  if (c == '\n' || IsLineSpace(c)) {
    if (current_.data.size() + chunk_remaining_ > limits_.max_bytes_segment_bytes) {
      return Fail(FramingError::kBytesSegmentTooLarge);
    }
    if (message_bytes_ + chunk_remaining_ > limits_.max_message_bytes) {
      return Fail(FramingError::kMessageTooLarge);
    }
    if (c == '\n') {
      state_ = State::kChunkData;
    } else {
      SkipToNewline(AfterNewline::kChunkData);
    }
    return true;
  }
  if (c < '0' || c > '9') return Fail(FramingError::kUnexpectedCharacterInChunkSize);
  if (++size_digits_ > kMaxChunkSizeDigits) return Fail(FramingError::kOverlongChunkSize);
  chunk_remaining_ = chunk_remaining_ * 10 + static_cast<size_t>(c - '0');
  return true;
}

void SegmentDecoder::StepChunkData(std::string_view input, size_t& pos) {
  const size_t take = std::min(chunk_remaining_, input.size() - pos);
  current_.data.append(input.data() + pos, take);
  pos += take;
  message_bytes_ += take;
  chunk_remaining_ -= take;
  // The newline after the chunk bytes is not counted in the size.
  if (chunk_remaining_ == 0) SkipToNewline(AfterNewline::kChunkStart);
}

bool SegmentDecoder::StepSkipToNewline(char c, std::vector<DecodeEvent>& events) {
  if (IsLineSpace(c)) return true;
  if (c != '\n') return Fail(FramingError::kExpectedWhitespaceUntilNewline);
  switch (after_newline_) {
    case AfterNewline::kMessageEnd: {
      DecodeEvent event;
      event.type = DecodeEvent::Type::kMessageEnd;
      events.push_back(std::move(event));
      message_bytes_ = 0;
      segments_ = 0;
      state_ = State::kSegmentStart;
      break;
    }
    case AfterNewline::kJsonEnd:
    case AfterNewline::kBytesEnd:
      EmitSegment(events);
      state_ = State::kSegmentStart;
      break;
    case AfterNewline::kBytesStart:
    case AfterNewline::kChunkStart:
      state_ = State::kChunkStart;
      break;
    case AfterNewline::kChunkData:
      state_ = State::kChunkData;
      break;
  }
  return true;
}

void AppendJsonSegment(std::string& out, std::string_view json) {
  out.append(json);
  out.append(kSegmentTerminator);
}

void AppendBytesSegment(std::string& out, std::string_view bytes, size_t chunk_size) {
  if (chunk_size == 0) chunk_size = bytes.size();
  out.push_back(kBytesMark);
  for (size_t pos = 0; pos < bytes.size(); pos += chunk_size) {
    const size_t n = std::min(chunk_size, bytes.size() - pos);
    out.push_back('\n');
    out.append(std::to_string(n));
    out.push_back('\n');
    out.append(bytes.substr(pos, n));
  }
  out.append(kSegmentTerminator);
}

void AppendEmptySegment(std::string& out) { out.append(kEmptySegment); }

std::string EncodeMessage(const std::vector<Segment>& segments) {
  std::string out;
  for (const Segment& s : segments) {
    if (s.is_json()) {
      AppendJsonSegment(out, s.data);
    } else {
      AppendBytesSegment(out, s.data);
    }
  }
  AppendEmptySegment(out);
  return out;
}

}  // namespace ecusim::digital_object
