#include "sim/digital_object/segment_codec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ecusim::digital_object {
namespace {

using ::testing::ElementsAre;

Segment Json(std::string s) { return Segment{Segment::Type::kJson, std::move(s)}; }
Segment Bytes(std::string s) { return Segment{Segment::Type::kBytes, std::move(s)}; }

// A flattened view of decode events: segments, and an empty "END" marker per message.
struct Decoded {
  std::vector<std::vector<Segment>> messages;
  std::vector<Segment> pending;
  FramingError error = FramingError::kNone;
};

void Collect(const std::vector<DecodeEvent>& events, Decoded& out) {
  for (const DecodeEvent& e : events) {
    if (e.type == DecodeEvent::Type::kMessageEnd) {
      out.messages.push_back(std::move(out.pending));
      out.pending.clear();
    } else {
      out.pending.push_back(e.segment);
    }
  }
}

Decoded DecodeParts(const std::vector<std::string_view>& parts, DecoderLimits limits = {}) {
  SegmentDecoder decoder(limits);
  Decoded out;
  for (std::string_view p : parts) {
    std::vector<DecodeEvent> events;
    absl::Status s = decoder.Feed(p, events);
    Collect(events, out);
    if (!s.ok()) break;
  }
  out.error = decoder.error();
  if (out.error == FramingError::kNone) out.error = decoder.ErrorAtEndOfInput();
  return out;
}

Decoded Decode(std::string_view all, DecoderLimits limits = {}) {
  return DecodeParts({all}, limits);
}

FramingError ErrorOf(std::string_view all, DecoderLimits limits = {}) {
  return Decode(all, limits).error;
}

// The Create request of shared/reference/doip.md B.3, byte for byte.
constexpr std::string_view kCreateRequest =
    "{\"requestId\":\"1\",\"targetId\":\"20.500.123/service\",\"operationId\":\"0.DOIP/Op."
    "Create\",\"authentication\":{\"username\":\"u\",\"password\":\"p\"}}\n#\n"
    "{\"type\":\"Document\",\"attributes\":{\"content\":{}},\"elements\":[{\"id\":\"file\"}]}\n"
    "#\n"
    "{\"id\":\"file\"}\n#\n"
    "@\n5\nhello\n#\n"
    "#\n";

TEST(SegmentCodecTest, DecodesReferenceCreateRequest) {
  Decoded d = Decode(kCreateRequest);
  EXPECT_EQ(d.error, FramingError::kNone);
  ASSERT_EQ(d.messages.size(), 1u);
  ASSERT_EQ(d.messages[0].size(), 4u);
  EXPECT_EQ(d.messages[0][0].type, Segment::Type::kJson);
  EXPECT_EQ(d.messages[0][2], Json("{\"id\":\"file\"}"));
  EXPECT_EQ(d.messages[0][3], Bytes("hello"));
}

TEST(SegmentCodecTest, WriterMatchesReferenceBytes) {
  std::string out;
  AppendJsonSegment(out, "{\"operationId\":\"0.DOIP/Op.Hello\"}");
  AppendBytesSegment(out, "hello");
  AppendBytesSegment(out, "");
  AppendEmptySegment(out);
  EXPECT_EQ(out, "{\"operationId\":\"0.DOIP/Op.Hello\"}\n#\n@\n5\nhello\n#\n@\n#\n#\n");
  // doip_sdk write_file_segment with chunk_size=2.
  std::string chunked;
  AppendBytesSegment(chunked, "hello", 2);
  EXPECT_EQ(chunked, "@\n2\nhe\n2\nll\n1\no\n#\n");
}

TEST(SegmentCodecTest, RoundTripsSegmentsIncludingTerminatorLookalikes) {
  std::string binary;
  for (int i = 0; i < 256; ++i) binary.push_back(static_cast<char>(i));
  binary += "\n#\n#\n@\n0\n";
  std::vector<Segment> segments = {Json("{\"a\":\"#not-an-end\"}"), Bytes(binary), Bytes(""),
                                   Json("[1,\n2]"), Bytes(std::string(200000, 'x'))};
  Decoded d = Decode(EncodeMessage(segments) + EncodeMessage({Json("{}")}));
  EXPECT_EQ(d.error, FramingError::kNone);
  ASSERT_EQ(d.messages.size(), 2u);
  EXPECT_EQ(d.messages[0], segments);
  EXPECT_THAT(d.messages[1], ElementsAre(Json("{}")));
}

TEST(SegmentCodecTest, EveryTwoWaySplitGivesTheSameResult) {
  const std::string wire =
      std::string(kCreateRequest) + "{\"operationId\":\"0.DOIP/Op.Hello\"}\n#\n#\r\n";
  const Decoded whole = Decode(wire);
  ASSERT_EQ(whole.messages.size(), 2u);
  for (size_t i = 0; i <= wire.size(); ++i) {
    std::string_view w(wire);
    Decoded split = DecodeParts({w.substr(0, i), w.substr(i)});
    EXPECT_EQ(split.error, FramingError::kNone) << "split at " << i;
    EXPECT_EQ(split.messages, whole.messages) << "split at " << i;
  }
}

TEST(SegmentCodecTest, ByteByByteGivesTheSameResult) {
  const std::string wire = std::string(kCreateRequest) + "@\n3 \t\r\nabc \r\n#  \n#\n";
  std::vector<std::string_view> parts;
  for (size_t i = 0; i < wire.size(); ++i) parts.push_back(std::string_view(wire).substr(i, 1));
  Decoded bytes = DecodeParts(parts);
  Decoded whole = Decode(wire);
  EXPECT_EQ(bytes.error, FramingError::kNone);
  ASSERT_EQ(bytes.messages.size(), 2u);
  EXPECT_EQ(bytes.messages, whole.messages);
  EXPECT_THAT(bytes.messages[1], ElementsAre(Bytes("abc")));
}

TEST(SegmentCodecTest, ToleratesWhitespaceBeforeNewlinesAsTheReferenceDoes) {
  Decoded d = Decode("{}\n#  \r\n@ \n2\t\nab\r\n# \n#\t\n");
  EXPECT_EQ(d.error, FramingError::kNone);
  ASSERT_EQ(d.messages.size(), 1u);
  EXPECT_THAT(d.messages[0], ElementsAre(Json("{}"), Bytes("ab")));
}

TEST(SegmentCodecTest, HashOnlyEndsJsonAfterNewline) {
  Decoded d = Decode("{\"x\":\n\"a#b\"}\n#\n#\n");
  ASSERT_EQ(d.messages.size(), 1u);
  EXPECT_THAT(d.messages[0], ElementsAre(Json("{\"x\":\n\"a#b\"}")));
  // A line that starts with '#' inside the text ends the segment there.
  EXPECT_EQ(ErrorOf("{\"x\":\n#oops\n"), FramingError::kExpectedWhitespaceUntilNewline);
}

TEST(SegmentCodecTest, EmptyMessageIsOneEndEvent) {
  Decoded d = Decode("#\n");
  EXPECT_EQ(d.error, FramingError::kNone);
  ASSERT_EQ(d.messages.size(), 1u);
  EXPECT_TRUE(d.messages[0].empty());
}

TEST(SegmentCodecTest, FramingErrors) {
  EXPECT_EQ(ErrorOf("#x\n"), FramingError::kExpectedWhitespaceUntilNewline);
  EXPECT_EQ(ErrorOf("@x\n"), FramingError::kExpectedWhitespaceUntilNewline);
  EXPECT_EQ(ErrorOf("{}\n# }\n"), FramingError::kExpectedWhitespaceUntilNewline);
  EXPECT_EQ(ErrorOf("@\n2\nabX#\n"), FramingError::kExpectedWhitespaceUntilNewline);
  EXPECT_EQ(ErrorOf("@\n0\n#\n"), FramingError::kZeroAtStartOfChunkSize);
  EXPECT_EQ(ErrorOf("@\n05\nhello\n#\n"), FramingError::kZeroAtStartOfChunkSize);
  EXPECT_EQ(ErrorOf("@\n\n"), FramingError::kMissingChunkSize);
  EXPECT_EQ(ErrorOf("@\n 5\n"), FramingError::kMissingChunkSize);
  EXPECT_EQ(ErrorOf("@\n-5\n"), FramingError::kUnexpectedCharacterInChunkSize);
  EXPECT_EQ(ErrorOf("@\n5x\n"), FramingError::kUnexpectedCharacterInChunkSize);
  EXPECT_EQ(ErrorOf("@\n1234567890\n"), FramingError::kOverlongChunkSize);
  EXPECT_EQ(ErrorOf("@\n123456789 x"), FramingError::kBytesSegmentTooLarge);
  DecoderLimits huge;
  huge.max_bytes_segment_bytes = huge.max_message_bytes = size_t{1} << 30;
  EXPECT_EQ(ErrorOf("@\n123456789 x", huge), FramingError::kExpectedWhitespaceUntilNewline);
}

TEST(SegmentCodecTest, EndOfInputErrorsNameWhereTheStreamStopped) {
  EXPECT_EQ(ErrorOf(""), FramingError::kNone);
  EXPECT_EQ(ErrorOf("{}\n#\n"), FramingError::kEndOfInputBeforeTerminalEmptySegment);
  EXPECT_EQ(ErrorOf("{\"a\":1}"), FramingError::kEndOfInputReadingJsonSegment);
  EXPECT_EQ(ErrorOf("@\n"), FramingError::kEndOfInputReadingChunkSize);
  EXPECT_EQ(ErrorOf("@\n12"), FramingError::kEndOfInputReadingChunkSize);
  EXPECT_EQ(ErrorOf("@\n5\nhel"), FramingError::kEndOfInputReadingChunk);
  EXPECT_EQ(ErrorOf("#"), FramingError::kEndOfInputBeforeNewline);
  EXPECT_EQ(ErrorOf("{}\n#\n#\n{"), FramingError::kEndOfInputReadingJsonSegment);
}

TEST(SegmentCodecTest, LimitsAreEnforcedBeforeBuffering) {
  DecoderLimits limits;
  limits.max_json_segment_bytes = 8;
  limits.max_bytes_segment_bytes = 4;
  limits.max_message_bytes = 64;
  limits.max_segments = 2;
  EXPECT_EQ(ErrorOf("{\"a\":12}\n#\n#\n", limits), FramingError::kNone);
  EXPECT_EQ(ErrorOf("{\"a\":123}\n#\n", limits), FramingError::kJsonSegmentTooLarge);
  EXPECT_EQ(ErrorOf("@\n4\nabcd\n#\n#\n", limits), FramingError::kNone);
  // Refused at the size line, before the 5 bytes arrive.
  EXPECT_EQ(ErrorOf("@\n5\n", limits), FramingError::kBytesSegmentTooLarge);
  EXPECT_EQ(ErrorOf("@\n3\nabc\n2\nde", limits), FramingError::kBytesSegmentTooLarge);
  EXPECT_EQ(ErrorOf("{}\n#\n{}\n#\n{}\n#\n", limits), FramingError::kTooManySegments);
  // The message limit counts framing bytes; it resets per message.
  limits.max_segments = 100;
  std::string many;
  for (int i = 0; i < 15; ++i) many += "{}\n#\n";
  EXPECT_EQ(ErrorOf(many, limits), FramingError::kMessageTooLarge);
  std::string ok;
  for (int i = 0; i < 20; ++i) ok += "{}\n#\n#\n";
  EXPECT_EQ(ErrorOf(ok, limits), FramingError::kNone);
}

TEST(SegmentCodecTest, ErrorIsSticky) {
  SegmentDecoder decoder;
  std::vector<DecodeEvent> events;
  EXPECT_FALSE(decoder.Feed("@\n0\n", events).ok());
  absl::Status again = decoder.Feed("{}\n#\n#\n", events);
  EXPECT_EQ(again.message(), "zero at start of chunk size");
  EXPECT_TRUE(events.empty());
  EXPECT_EQ(FramingErrorName(decoder.error()), "zero_at_start_of_chunk_size");
}

TEST(SegmentCodecTest, EventsBeforeAnErrorAreKept) {
  Decoded d = Decode("{\"operationId\":\"x\"}\n#\n@\n0\n");
  EXPECT_EQ(d.error, FramingError::kZeroAtStartOfChunkSize);
  EXPECT_THAT(d.pending, ElementsAre(Json("{\"operationId\":\"x\"}")));
}

}  // namespace
}  // namespace ecusim::digital_object
