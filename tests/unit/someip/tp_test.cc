#include "sim/someip/tp.h"

#include <gtest/gtest.h>

namespace ecusim::someip {
namespace {

using std::chrono::seconds;

Header RequestHeader() {
  Header h;
  h.service_id = 0x1234;
  h.method_id = 0x0001;
  h.client_id = 0x10;
  h.session_id = 7;
  h.interface_version = 1;
  h.message_type = static_cast<uint8_t>(MessageType::kRequest);
  return h;
}

Bytes Pattern(size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 7);
  return b;
}

TEST(TpTest, SegmentsAreMultiplesOf16WithOffsetsAndMoreFlag) {
  Bytes payload = Pattern(3000);
  auto segs = SegmentMessage(RequestHeader(), payload, 1392);
  ASSERT_EQ(segs.size(), 3u);
  size_t offset = 0;
  for (size_t i = 0; i < segs.size(); ++i) {
    auto h = DecodeHeader(segs[i]);
    ASSERT_TRUE(h.ok());
    EXPECT_EQ(h->message_type, 0x20);  // REQUEST | TP
    EXPECT_EQ(h->session_id, 7);       // _763
    EXPECT_EQ(h->length, segs[i].size() - 8);
    auto tp = DecodeTpHeader(ByteSpan(segs[i]).subspan(16));
    ASSERT_TRUE(tp.ok());
    EXPECT_EQ(tp->offset, offset);
    EXPECT_EQ(tp->more, i + 1 < segs.size());
    size_t data = segs[i].size() - 20;
    if (i + 1 < segs.size()) {
      EXPECT_EQ(data, 1392u);
    }
    offset += data;
  }
  EXPECT_EQ(offset, 3000u);
}

MessageView View(const Bytes& b) { return SplitDatagram(b).messages.at(0); }

TEST(TpTest, ReassemblesInOrderSegments) {
  core::FakeClock clock;
  TpReassembler r;
  Bytes payload = Pattern(3000);
  auto segs = SegmentMessage(RequestHeader(), payload, 1392);
  for (size_t i = 0; i < segs.size(); ++i) {
    auto out = r.Feed(clock.Now(), "peer", View(segs[i]));
    ASSERT_TRUE(out.ok()) << out.status();
    if (i + 1 < segs.size()) {
      EXPECT_FALSE(out->has_value());
    } else {
      ASSERT_TRUE(out->has_value());
      auto h = DecodeHeader(**out);
      EXPECT_EQ(h->message_type, 0x00);
      EXPECT_EQ(h->length, 3008u);
      EXPECT_EQ(Bytes((*out)->begin() + 16, (*out)->end()), payload);
    }
  }
  EXPECT_EQ(r.in_progress(), 0u);
}

TEST(TpTest, OutOfOrderSegmentIsRefusedAndDiscardsTheMessage) {
  core::FakeClock clock;
  TpReassembler r;
  auto segs = SegmentMessage(RequestHeader(), Pattern(3000), 1392);
  ASSERT_TRUE(r.Feed(clock.Now(), "p", View(segs[0])).ok());
  auto out = r.Feed(clock.Now(), "p", View(segs[2]));
  EXPECT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("expected 1392"), std::string::npos);
  EXPECT_EQ(r.in_progress(), 0u);
}

TEST(TpTest, SegmentWithoutFirstIsRefused) {
  core::FakeClock clock;
  TpReassembler r;
  auto segs = SegmentMessage(RequestHeader(), Pattern(3000), 1392);
  EXPECT_FALSE(r.Feed(clock.Now(), "p", View(segs[1])).ok());
}

TEST(TpTest, NewSessionRestartsReassembly) {
  core::FakeClock clock;
  TpReassembler r;
  auto a = SegmentMessage(RequestHeader(), Pattern(3000), 1392);
  Header h2 = RequestHeader();
  h2.session_id = 8;
  auto b = SegmentMessage(h2, Pattern(2000), 1392);
  ASSERT_TRUE(r.Feed(clock.Now(), "p", View(a[0])).ok());
  ASSERT_TRUE(r.Feed(clock.Now(), "p", View(b[0])).ok());  // _793
  auto out = r.Feed(clock.Now(), "p", View(b[1]));
  ASSERT_TRUE(out.ok() && out->has_value());
  EXPECT_EQ(DecodeHeader(**out)->session_id, 8);
}

TEST(TpTest, BoundsSizeBuffersAndTime) {
  core::FakeClock clock;
  TpReassembler r({.max_message_size = 2000, .max_buffers = 2, .timeout = seconds(1)});
  auto big = SegmentMessage(RequestHeader(), Pattern(3000), 1392);
  ASSERT_TRUE(r.Feed(clock.Now(), "p", View(big[0])).ok());
  auto out = r.Feed(clock.Now(), "p", View(big[1]));
  EXPECT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("limit of 2000"), std::string::npos);
  for (const char* peer : {"a", "b", "c"}) {
    ASSERT_TRUE(r.Feed(clock.Now(), peer, View(big[0])).ok());
  }
  EXPECT_EQ(r.in_progress(), 2u);
  clock.Advance(seconds(2));
  r.Expire(clock.Now());
  EXPECT_EQ(r.in_progress(), 0u);
}

TEST(TpTest, TruncatedTpHeaderIsRefused) {
  Bytes b = {0, 0, 1};
  EXPECT_FALSE(DecodeTpHeader(b).ok());
}

}  // namespace
}  // namespace ecusim::someip
