#include "sim/doip/stream_framer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ecusim::doip {
namespace {

using Frame = StreamFramer::Frame;

std::vector<StreamFramer::Event> FeedAll(StreamFramer& f, const Bytes& b, size_t chunk) {
  std::vector<StreamFramer::Event> out;
  for (size_t i = 0; i < b.size(); i += chunk) {
    size_t n = std::min(chunk, b.size() - i);
    f.Feed(ByteSpan(b).subspan(i, n), out);
  }
  return out;
}

TEST(StreamFramer, ReassemblesMessagesSplitAtEveryByte) {
  Bytes stream = EncodeMessage(2, RoutingActivationRequest{0x0E80, 0, 0, {}});
  AppendMessage(2, DiagnosticMessage{0x0E80, 0x1000, {0x22, 0xF1, 0x90}}, stream);
  AppendMessage(2, AliveCheckResponse{0x0E80}, stream);
  for (size_t chunk = 1; chunk <= stream.size(); ++chunk) {
    StreamFramer f(HeaderRules{2, 4096}, nullptr);
    auto events = FeedAll(f, stream, chunk);
    ASSERT_EQ(events.size(), 3u) << "chunk " << chunk;
    EXPECT_EQ(std::get<Frame>(events[0]).header.payload_type, 0x0005);
    EXPECT_EQ(std::get<Frame>(events[1]).payload.size(), 7u);
    EXPECT_EQ(std::get<Frame>(events[2]).header.payload_type, 0x0008);
    EXPECT_EQ(f.buffered_bytes(), 0u);
  }
}

TEST(StreamFramer, IncorrectPatternClosesAndStopsParsing) {
  StreamFramer f(HeaderRules{2, 4096}, nullptr);
  Bytes b = {0x02, 0xFE, 0x00, 0x05, 0, 0, 0, 7};
  Bytes more = EncodeMessage(2, AliveCheckResponse{0x0E80});
  b.insert(b.end(), more.begin(), more.end());
  std::vector<StreamFramer::Event> out;
  f.Feed(b, out);
  ASSERT_EQ(out.size(), 1u);
  auto& v = std::get<HeaderVerdict>(out[0]);
  EXPECT_EQ(v.code, GenericNackCode::kIncorrectPatternFormat);
  EXPECT_TRUE(v.close);
  EXPECT_TRUE(f.dead());
}

TEST(StreamFramer, WrongProtocolVersionIsIncorrectPattern) {
  StreamFramer f(HeaderRules{2, 4096}, nullptr);
  std::vector<StreamFramer::Event> out;
  f.Feed(EncodeMessage(3, AliveCheckResponse{0x0E80}), out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(std::get<HeaderVerdict>(out[0]).code, GenericNackCode::kIncorrectPatternFormat);
}

TEST(StreamFramer, UnknownPayloadTypeIsSkippedAndParsingContinues) {
  StreamFramer f(HeaderRules{2, 4096}, nullptr);
  Bytes b = {0x02, 0xFD, 0x12, 0x34, 0, 0, 0, 3, 0xAA, 0xBB, 0xCC};
  Bytes next = EncodeMessage(2, AliveCheckResponse{0x0E80});
  b.insert(b.end(), next.begin(), next.end());
  auto out = FeedAll(f, b, 2);
  ASSERT_EQ(out.size(), 2u);
  auto& v = std::get<HeaderVerdict>(out[0]);
  EXPECT_EQ(v.code, GenericNackCode::kUnknownPayloadType);
  EXPECT_FALSE(v.close);
  EXPECT_EQ(std::get<Frame>(out[1]).header.payload_type, 0x0008);
}

TEST(StreamFramer, UdpOnlyTypeOnTcpIsUnknownPayloadType) {
  StreamFramer f(HeaderRules{2, 4096}, nullptr);
  std::vector<StreamFramer::Event> out;
  f.Feed(EncodeMessage(2, EntityStatusRequest{}), out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(std::get<HeaderVerdict>(out[0]).code, GenericNackCode::kUnknownPayloadType);
}

TEST(StreamFramer, TooLargeIsSkippedWithoutBuffering) {
  StreamFramer f(HeaderRules{2, 4096}, nullptr);
  Bytes big = EncodeMessage(2, DiagnosticMessage{0x0E80, 0x1000, Bytes(5000, 0x22)});
  AppendMessage(2, AliveCheckResponse{0x0E80}, big);
  auto out = FeedAll(f, big, 1000);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(std::get<HeaderVerdict>(out[0]).code, GenericNackCode::kMessageTooLarge);
  EXPECT_FALSE(std::get<HeaderVerdict>(out[0]).close);
  EXPECT_EQ(std::get<Frame>(out[1]).header.payload_type, 0x0008);
}

TEST(StreamFramer, OutOfMemoryWhenTheSharedBudgetIsExhausted) {
  BufferBudget budget(100);
  StreamFramer a(HeaderRules{2, 4096}, &budget);
  StreamFramer b(HeaderRules{2, 4096}, &budget);
  Bytes msg = EncodeMessage(2, DiagnosticMessage{0x0E80, 0x1000, Bytes(80, 0x22)});
  std::vector<StreamFramer::Event> out;
  a.Feed(ByteSpan(msg).subspan(0, 20), out);  // header read: 84 bytes reserved
  EXPECT_EQ(budget.used(), 84u);
  b.Feed(msg, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(std::get<HeaderVerdict>(out[0]).code, GenericNackCode::kOutOfMemory);
  a.Feed(ByteSpan(msg).subspan(20), out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<Frame>(out[1]));
  EXPECT_EQ(budget.used(), 0u);
}

TEST(StreamFramer, InvalidPayloadLengthCloses) {
  StreamFramer f(HeaderRules{2, 4096}, nullptr);
  Bytes b = {0x02, 0xFD, 0x00, 0x05, 0, 0, 0, 3, 0x0E, 0x80, 0x00};
  std::vector<StreamFramer::Event> out;
  f.Feed(b, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(std::get<HeaderVerdict>(out[0]).code, GenericNackCode::kInvalidPayloadLength);
  EXPECT_TRUE(std::get<HeaderVerdict>(out[0]).close);
}

TEST(CheckHeader, VehicleIdRequestAcceptsDefaultVersionFFOnUdpOnly) {
  HeaderRules rules{2, 4096};
  EXPECT_FALSE(CheckHeader(Header{0xFF, 0x00, 0x0001, 0}, rules, Transport::kUdp));
  EXPECT_FALSE(CheckHeader(Header{0x03, 0xFC, 0x0001, 0}, rules, Transport::kUdp));
  EXPECT_TRUE(CheckHeader(Header{0xFF, 0x00, 0x4001, 0}, rules, Transport::kUdp));
  EXPECT_TRUE(CheckHeader(Header{0xFF, 0x00, 0x0005, 7}, rules, Transport::kTcp));
}

}  // namespace
}  // namespace ecusim::doip
