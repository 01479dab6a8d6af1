#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sim/doip/entity.h"
#include "tests/unit/doip/entity_test_util.h"

namespace ecusim::doip {
namespace {

using ::testing::ElementsAre;
using testing::EntityHarness;
using testing::GatewayConfig;
using testing::TestConfig;

Payload Ask(EntityHarness& h, const Bytes& datagram) {
  std::optional<Bytes> r = h.entity().OnDatagram(h.clock().Now(), datagram);
  if (!r) return GenericNack{0xEE};  // marker: no answer
  auto m = DecodeMessage(*r);
  EXPECT_TRUE(m.ok()) << m.status();
  return m->payload;
}

bool NoAnswer(const Payload& p) {
  return std::holds_alternative<GenericNack>(p) && std::get<GenericNack>(p).code == 0xEE;
}

TEST(EntityUdp, PlainIdentificationRequestGets33ByteAnnouncement) {
  EntityHarness h(TestConfig());
  std::optional<Bytes> r =
      h.entity().OnDatagram(h.clock().Now(), EncodeMessage(2, VehicleIdRequest{}));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->size(), 8u + 33u);
  auto a = std::get<VehicleAnnouncement>(DecodeMessage(*r)->payload);
  EXPECT_EQ(VinToString(a.vin), "WVWZZZ1JZXW000001");
  EXPECT_EQ(a.logical_address, 0x1000);
  EXPECT_EQ(a.sync_status, 0x00);
}

TEST(EntityUdp, DefaultVersionFFIsAcceptedAndAnsweredWithOwnVersion) {
  EntityHarness h(TestConfig());
  std::optional<Bytes> r =
      h.entity().OnDatagram(h.clock().Now(), EncodeMessage(0xFF, VehicleIdRequest{}));
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0], 0x02);
  EXPECT_EQ((*r)[1], 0xFD);
}

TEST(EntityUdp, EidAndVinRequestsAnswerOnlyOnMatch) {
  EntityHarness h(TestConfig());
  Eid eid = h.entity().config().eid;
  EXPECT_TRUE(std::holds_alternative<VehicleAnnouncement>(
      Ask(h, EncodeMessage(2, VehicleIdRequestEid{eid}))));
  EXPECT_TRUE(NoAnswer(Ask(h, EncodeMessage(2, VehicleIdRequestEid{{9, 9, 9, 9, 9, 9}}))));
  EXPECT_TRUE(std::holds_alternative<VehicleAnnouncement>(
      Ask(h, EncodeMessage(2, VehicleIdRequestVin{h.entity().config().vin}))));
  EXPECT_TRUE(
      NoAnswer(Ask(h, EncodeMessage(2, VehicleIdRequestVin{*VinFromString("XXXXXXXXXXXXXXXXX")}))));
  EXPECT_THAT(h.observer().udp, ElementsAre(std::pair<std::string, bool>{"eid", true},
                                            std::pair<std::string, bool>{"eid", false},
                                            std::pair<std::string, bool>{"vin", true},
                                            std::pair<std::string, bool>{"vin", false}));
}

TEST(EntityUdp, EntityStatusReportsNodeTypeSocketsAndMaxDataSize) {
  EntityHarness h(GatewayConfig());
  h.Activate(1);
  auto s = std::get<EntityStatusResponse>(Ask(h, EncodeMessage(2, EntityStatusRequest{})));
  EXPECT_EQ(s.node_type, kNodeTypeGateway);
  EXPECT_EQ(s.max_open_sockets, 2);
  EXPECT_EQ(s.open_sockets, 1);
  EXPECT_EQ(s.max_data_size, 4096u);
  EntityHarness node(TestConfig());
  EXPECT_EQ(
      std::get<EntityStatusResponse>(Ask(node, EncodeMessage(2, EntityStatusRequest{}))).node_type,
      kNodeTypeNode);
}

TEST(EntityUdp, PowerMode) {
  EntityHarness h(TestConfig());
  EXPECT_EQ(std::get<PowerModeResponse>(Ask(h, EncodeMessage(2, PowerModeRequest{}))).power_mode,
            kPowerModeReady);
}

TEST(EntityUdp, MalformedDatagramsGetGenericNacks) {
  EntityHarness h(TestConfig());
  // Wrong inverse version.
  EXPECT_EQ(std::get<GenericNack>(Ask(h, Bytes{0x02, 0x02, 0x00, 0x01, 0, 0, 0, 0})).code, 0x00);
  // Unknown payload type.
  EXPECT_EQ(std::get<GenericNack>(Ask(h, Bytes{0x02, 0xFD, 0x77, 0x77, 0, 0, 0, 0})).code, 0x01);
  // TCP-only payload type over UDP.
  EXPECT_EQ(std::get<GenericNack>(Ask(h, EncodeMessage(2, AliveCheckRequest{}))).code, 0x01);
  // Above the maximum.
  EXPECT_EQ(std::get<GenericNack>(Ask(h, Bytes{0x02, 0xFD, 0x00, 0x01, 0, 1, 0, 0})).code, 0x02);
  // Invalid length for the type.
  EXPECT_EQ(std::get<GenericNack>(Ask(h, Bytes{0x02, 0xFD, 0x00, 0x02, 0, 0, 0, 2, 1, 2})).code,
            0x04);
  // Header length disagrees with the datagram.
  EXPECT_EQ(std::get<GenericNack>(Ask(h, Bytes{0x02, 0xFD, 0x00, 0x01, 0, 0, 0, 0, 9})).code, 0x04);
  // Truncated header.
  EXPECT_EQ(std::get<GenericNack>(Ask(h, Bytes{0x02, 0xFD})).code, 0x04);
  EXPECT_THAT(h.observer().generic_nacks, ElementsAre(0x00, 0x01, 0x01, 0x02, 0x04, 0x04, 0x04));
  // Another entity's announcement is ignored.
  EXPECT_TRUE(NoAnswer(Ask(h, h.entity().Announcement())));
}

}  // namespace
}  // namespace ecusim::doip
