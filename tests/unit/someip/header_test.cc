#include "sim/someip/header.h"

#include <gtest/gtest.h>

namespace ecusim::someip {
namespace {

TEST(HeaderTest, EncodesBigEndianFieldsAtTheirOffsets) {
  Header h;
  h.service_id = 0x1234;
  h.method_id = 0x8001;
  h.client_id = 0xABCD;
  h.session_id = 0x0102;
  h.interface_version = 0x03;
  h.message_type = static_cast<uint8_t>(MessageType::kNotification);
  Bytes payload = {0xDE, 0xAD};
  Bytes b = EncodeMessage(h, payload);
  Bytes want = {0x12, 0x34, 0x80, 0x01, 0x00, 0x00, 0x00, 0x0A, 0xAB,
                0xCD, 0x01, 0x02, 0x01, 0x03, 0x02, 0x00, 0xDE, 0xAD};
  EXPECT_EQ(b, want);
  auto d = DecodeHeader(b);
  ASSERT_TRUE(d.ok());
  h.length = 10;
  EXPECT_EQ(*d, h);
  EXPECT_EQ(d->message_id(), 0x12348001u);
}

TEST(HeaderTest, TruncatedHeaderIsANamedError) {
  Bytes b(15, 0);
  auto d = DecodeHeader(b);
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(d.status().message().find("15 bytes, need 16"), std::string::npos);
}

TEST(HeaderTest, TpFlagIsABit) {
  Header h;
  h.message_type = 0xA0;
  EXPECT_TRUE(h.tp());
  EXPECT_EQ(h.base_type(), 0x80);
  EXPECT_TRUE(IsKnownMessageType(0x21));
  EXPECT_TRUE(IsKnownMessageType(0xA1));
  EXPECT_FALSE(IsKnownMessageType(0x40));  // reserved ACK variants
  EXPECT_FALSE(IsKnownMessageType(0x03));
}

Bytes Msg(uint16_t method, size_t payload) {
  Header h;
  h.service_id = 0x1111;
  h.method_id = method;
  h.interface_version = 1;
  return EncodeMessage(h, Bytes(payload, 0x55));
}

TEST(SplitDatagramTest, SplitsSeveralMessagesByLength) {
  Bytes d = Msg(1, 3);
  Bytes b = Msg(2, 0);
  Bytes c = Msg(3, 100);
  d.insert(d.end(), b.begin(), b.end());
  d.insert(d.end(), c.begin(), c.end());
  SplitResult r = SplitDatagram(d);
  ASSERT_EQ(r.messages.size(), 3u);
  EXPECT_TRUE(r.errors.empty());
  EXPECT_EQ(r.messages[0].header.method_id, 1);
  EXPECT_EQ(r.messages[0].payload.size(), 3u);
  EXPECT_EQ(r.messages[1].payload.size(), 0u);
  EXPECT_EQ(r.messages[2].payload.size(), 100u);
  EXPECT_EQ(r.messages[2].bytes.size(), 116u);
}

TEST(SplitDatagramTest, TrailingPartialHeaderKeepsEarlierMessages) {
  Bytes d = Msg(1, 4);
  d.insert(d.end(), 5, 0xFF);
  SplitResult r = SplitDatagram(d);
  ASSERT_EQ(r.messages.size(), 1u);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].reason, Malformed::kTruncatedHeader);
  EXPECT_EQ(r.errors[0].offset, 20u);
}

TEST(SplitDatagramTest, LengthBelowEightIsRefused) {
  Bytes d = Msg(1, 0);
  d[7] = 7;
  SplitResult r = SplitDatagram(d);
  EXPECT_TRUE(r.messages.empty());
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].reason, Malformed::kLengthTooShort);
  EXPECT_NE(r.errors[0].status.message().find("length 7"), std::string::npos);
}

TEST(SplitDatagramTest, LengthBeyondDatagramIsRefused) {
  Bytes d = Msg(1, 4);
  d[7] = 200;
  SplitResult r = SplitDatagram(d);
  EXPECT_TRUE(r.messages.empty());
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].reason, Malformed::kLengthBeyondDatagram);
}

TEST(SplitDatagramTest, HugeLengthDoesNotOverflow) {
  Bytes d = Msg(1, 0);
  d[4] = d[5] = d[6] = d[7] = 0xFF;
  SplitResult r = SplitDatagram(d);
  EXPECT_TRUE(r.messages.empty());
  EXPECT_EQ(r.errors[0].reason, Malformed::kLengthBeyondDatagram);
}

TEST(SplitDatagramTest, EmptyDatagramHasNothing) {
  SplitResult r = SplitDatagram({});
  EXPECT_TRUE(r.messages.empty());
  EXPECT_TRUE(r.errors.empty());
}

}  // namespace
}  // namespace ecusim::someip
