#include "sim/doip/doip_message.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ecusim::doip {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

Bytes Hex(std::initializer_list<int> v) {
  Bytes b;
  for (int x : v) b.push_back(static_cast<uint8_t>(x));
  return b;
}

Vin TestVin() { return *VinFromString("WVWZZZ1JZXW000001"); }

TEST(DoipHeader, EncodesVersionInverseTypeAndLength) {
  Bytes b = EncodeMessage(0x02, VehicleIdRequest{});
  EXPECT_THAT(b, ElementsAre(0x02, 0xFD, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00));
  b = EncodeMessage(0x03, AliveCheckResponse{0x0E80});
  EXPECT_THAT(b, ElementsAre(0x03, 0xFC, 0x00, 0x08, 0x00, 0x00, 0x00, 0x02, 0x0E, 0x80));
}

TEST(DoipHeader, TruncatedHeaderIsNamed) {
  auto h = DecodeHeader(Hex({0x02, 0xFD, 0x00}));
  ASSERT_FALSE(h.ok());
  EXPECT_THAT(h.status().message(), HasSubstr("truncated header"));
}

TEST(DoipHeader, WrongInverseVersionIsIncorrectPattern) {
  auto h = DecodeHeader(Hex({0x02, 0xFC, 0x00, 0x01, 0, 0, 0, 0}));
  ASSERT_FALSE(h.ok());
  EXPECT_THAT(h.status().message(), HasSubstr("incorrect pattern"));
}

TEST(DoipMessage, VehicleAnnouncementIs33BytesWithSyncStatus) {
  VehicleAnnouncement a;
  a.vin = TestVin();
  a.logical_address = 0x1001;
  a.eid = {0x02, 0x00, 0x00, 0x00, 0x10, 0x01};
  a.gid = {0x02, 0x00, 0x00, 0x00, 0x10, 0x00};
  a.further_action = 0x10;
  a.sync_status = 0x00;
  Bytes b = EncodeMessage(0x02, a);
  ASSERT_EQ(b.size(), 8u + 33u);
  EXPECT_EQ(b[7], 33);
  EXPECT_EQ(std::string(b.begin() + 8, b.begin() + 25), "WVWZZZ1JZXW000001");
  EXPECT_EQ(b[25], 0x10);
  EXPECT_EQ(b[26], 0x01);
  EXPECT_EQ(b[39], 0x10);  // further action
  EXPECT_EQ(b[40], 0x00);  // sync status
  auto m = DecodeMessage(b);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(std::get<VehicleAnnouncement>(m->payload), a);

  a.sync_status.reset();
  EXPECT_EQ(EncodeMessage(0x02, a).size(), 8u + 32u);
}

// Every payload type survives encode -> decode unchanged.
TEST(DoipMessage, RoundTripsEveryPayloadType) {
  std::vector<Payload> all = {
      GenericNack{0x04},
      VehicleIdRequest{},
      VehicleIdRequestEid{{1, 2, 3, 4, 5, 6}},
      VehicleIdRequestVin{TestVin()},
      VehicleAnnouncement{TestVin(), 0x1000, {1, 2, 3, 4, 5, 6}, {6, 5, 4, 3, 2, 1}, 0, 0x10},
      VehicleAnnouncement{TestVin(), 0x1000, {}, {}, 0x10, std::nullopt},
      RoutingActivationRequest{0x0E80, 0x00, 0, std::nullopt},
      RoutingActivationRequest{0x0E00, 0xE0, 0, 0xDEADBEEF},
      RoutingActivationResponse{0x0E80, 0x1000, 0x10, 0, std::nullopt},
      RoutingActivationResponse{0x0E80, 0x1000, 0x11, 0, 0x01020304},
      AliveCheckRequest{},
      AliveCheckResponse{0x0E80},
      EntityStatusRequest{},
      EntityStatusResponse{0x00, 4, 1, 4096},
      EntityStatusResponse{0x01, 1, 0, std::nullopt},
      PowerModeRequest{},
      PowerModeResponse{0x01},
      DiagnosticMessage{0x0E80, 0x1000, {0x22, 0xF1, 0x90}},
      DiagnosticAck{0x1000, 0x0E80, 0x00, {}},
      DiagnosticAck{0x1000, 0x0E80, 0x00, {0x22, 0xF1, 0x90}},
      DiagnosticNack{0x1000, 0x0E80, 0x03, {}},
  };
  for (const Payload& p : all) {
    Bytes b = EncodeMessage(0x02, p);
    auto m = DecodeMessage(b);
    ASSERT_TRUE(m.ok()) << PayloadTypeName(static_cast<uint16_t>(TypeOf(p))) << ": " << m.status();
    EXPECT_EQ(m->payload, p) << PayloadTypeName(static_cast<uint16_t>(TypeOf(p)));
    EXPECT_EQ(m->header.payload_type, static_cast<uint16_t>(TypeOf(p)));
    EXPECT_EQ(m->header.payload_length, b.size() - kHeaderSize);
  }
}

TEST(DoipMessage, RoutingActivationLayouts) {
  EXPECT_THAT(EncodeMessage(0x02, RoutingActivationRequest{0x0E80, 0x00, 0, std::nullopt}),
              ElementsAre(0x02, 0xFD, 0x00, 0x05, 0, 0, 0, 7, 0x0E, 0x80, 0x00, 0, 0, 0, 0));
  EXPECT_THAT(
      EncodeMessage(0x02, RoutingActivationResponse{0x0E80, 0x1000, 0x10, 0, {}}),
      ElementsAre(0x02, 0xFD, 0x00, 0x06, 0, 0, 0, 9, 0x0E, 0x80, 0x10, 0x00, 0x10, 0, 0, 0, 0));
  EXPECT_THAT(EncodeMessage(0x02, EntityStatusResponse{0x00, 4, 2, 4096}),
              ElementsAre(0x02, 0xFD, 0x40, 0x02, 0, 0, 0, 7, 0x00, 4, 2, 0, 0, 0x10, 0x00));
  EXPECT_THAT(EncodeMessage(0x02, DiagnosticNack{0x1000, 0x0E80, 0x03, {}}),
              ElementsAre(0x02, 0xFD, 0x80, 0x03, 0, 0, 0, 5, 0x10, 0x00, 0x0E, 0x80, 0x03));
}

TEST(DoipMessage, UnknownPayloadTypeIsNamed) {
  auto m = DecodeMessage(Hex({0x02, 0xFD, 0x12, 0x34, 0, 0, 0, 0}));
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(m.status().message(), HasSubstr("unknown payload type 0x1234"));
}

TEST(DoipMessage, LengthMismatchIsNamed) {
  auto m = DecodeMessage(Hex({0x02, 0xFD, 0x00, 0x08, 0, 0, 0, 2, 0x0E}));
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(m.status().message(), HasSubstr("does not match"));
}

TEST(DoipMessage, EveryFixedSizeTypeRejectsOtherLengths) {
  struct Case {
    uint16_t type;
    std::vector<uint32_t> bad;
  };
  std::vector<Case> cases = {
      {0x0000, {0, 2}},   {0x0001, {1}},        {0x0002, {5, 7}},      {0x0003, {16, 18}},
      {0x0004, {31, 34}}, {0x0005, {6, 8, 12}}, {0x0006, {8, 10, 14}}, {0x0007, {1}},
      {0x0008, {1, 3}},   {0x4001, {1}},        {0x4002, {2, 4, 8}},   {0x4003, {1}},
      {0x4004, {0, 2}},   {0x8001, {0, 4}},     {0x8002, {4}},         {0x8003, {3}},
  };
  for (const Case& c : cases) {
    for (uint32_t n : c.bad) {
      Bytes payload(n, 0);
      auto p = DecodePayload(c.type, payload);
      ASSERT_FALSE(p.ok()) << std::hex << c.type << " len " << std::dec << n;
      EXPECT_THAT(p.status().message(), HasSubstr("invalid payload length"));
    }
  }
}

TEST(DoipMessage, VinMustBe17PrintableCharacters) {
  EXPECT_FALSE(VinFromString("SHORT").ok());
  EXPECT_FALSE(VinFromString(std::string(17, '\x01')).ok());
  EXPECT_EQ(VinToString(TestVin()), "WVWZZZ1JZXW000001");
}

}  // namespace
}  // namespace ecusim::doip
