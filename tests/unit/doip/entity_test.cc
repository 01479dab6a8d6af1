#include "sim/doip/entity.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/doip/entity_test_util.h"

namespace ecusim::doip {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using testing::EntityHarness;
using testing::GatewayConfig;
using testing::TestConfig;

RoutingActivationRequest Ra(uint16_t sa, uint8_t type = 0x00,
                            std::optional<uint32_t> oem = std::nullopt) {
  return RoutingActivationRequest{sa, type, 0, oem};
}

TEST(EntityRouting, SuccessAnswersTesterAndEntityAddress) {
  EntityHarness h(TestConfig());
  h.Connect(1);
  h.Send(1, Ra(0x0E80));
  auto r = h.Only<RoutingActivationResponse>(1);
  EXPECT_EQ(r.code, 0x10);
  EXPECT_EQ(r.tester_address, 0x0E80);
  EXPECT_EQ(r.entity_address, 0x1000);
  EXPECT_FALSE(h.closed(1));
  EXPECT_EQ(h.entity().Connections()[0].state, ConnectionState::kRoutingActive);
}

TEST(EntityRouting, UnknownSourceAddressIs0x00AndCloses) {
  EntityHarness h(TestConfig());
  h.Connect(1);
  h.Send(1, Ra(0x1234));
  EXPECT_EQ(h.Only<RoutingActivationResponse>(1).code, 0x00);
  EXPECT_TRUE(h.closed(1));
}

TEST(EntityRouting, ConfiguredTesterRangeIsHonoured) {
  EntityConfig c = TestConfig();
  c.tester_ranges = {{0x0E80, 0x0E8F}};
  EntityHarness h(c);
  h.Connect(1);
  h.Send(1, Ra(0x0E00));
  EXPECT_EQ(h.Only<RoutingActivationResponse>(1).code, 0x00);
  h.Connect(2);
  h.Send(2, Ra(0x0E8F));
  EXPECT_EQ(h.Only<RoutingActivationResponse>(2).code, 0x10);
}

TEST(EntityRouting, ActivationTypes) {
  EntityHarness h(TestConfig());
  h.Connect(1);
  h.Send(1, Ra(0x0E80, 0x01));  // WWH-OBD
  EXPECT_EQ(h.Only<RoutingActivationResponse>(1).code, 0x10);
  h.Connect(2);
  h.Send(2, Ra(0x0E81, 0xE0));  // central security
  EXPECT_EQ(h.Only<RoutingActivationResponse>(2).code, 0x10);
  h.Connect(3);
  h.Send(3, Ra(0x0E82, 0x02));
  EXPECT_EQ(h.Only<RoutingActivationResponse>(3).code, 0x06);
  EXPECT_TRUE(h.closed(3));
}

TEST(EntityRouting, CentralSecurityWithoutAuthenticationIs0x04AndKeepsSocket) {
  EntityConfig c = TestConfig();
  c.authentication_oem = 0xCAFEF00D;
  EntityHarness h(c);
  h.Connect(1);
  h.Send(1, Ra(0x0E80, 0xE0));
  EXPECT_EQ(h.Only<RoutingActivationResponse>(1).code, 0x04);
  EXPECT_FALSE(h.closed(1));
  h.Send(1, Ra(0x0E80, 0xE0, 0xCAFEF00D));
  EXPECT_EQ(h.Only<RoutingActivationResponse>(1).code, 0x10);
}

TEST(EntityRouting, ConfirmationRequiredThenSuccess) {
  EntityConfig c = TestConfig();
  c.confirmation = Confirmation::kRequired;
  EntityHarness h(c);
  h.Connect(1);
  h.Send(1, Ra(0x0E80));
  EXPECT_EQ(h.Only<RoutingActivationResponse>(1).code, 0x11);
  // Not routing yet: diagnostics are refused.
  EXPECT_EQ(h.entity().Connections()[0].state, ConnectionState::kPendingConfirmation);
  h.Send(1, Ra(0x0E80));
  EXPECT_EQ(h.Only<RoutingActivationResponse>(1).code, 0x10);
}

TEST(EntityRouting, ConfirmationRejectedIs0x05AndCloses) {
  EntityConfig c = TestConfig();
  c.confirmation = Confirmation::kRejected;
  EntityHarness h(c);
  h.Connect(1);
  h.Send(1, Ra(0x0E80));
  EXPECT_EQ(h.Only<RoutingActivationResponse>(1).code, 0x05);
  EXPECT_TRUE(h.closed(1));
}

TEST(EntityRouting, TlsMandatoryRefusesPlainSocketWith0x07) {
  EntityConfig c = TestConfig();
  c.tls_mode = TlsMode::kMandatory;
  EntityHarness h(c);
  h.Connect(1);
  h.Send(1, Ra(0x0E80));
  EXPECT_EQ(h.Only<RoutingActivationResponse>(1).code, 0x07);
  EXPECT_TRUE(h.closed(1));
  h.Connect(2, /*tls=*/true);
  h.Send(2, Ra(0x0E80));
  EXPECT_EQ(h.Only<RoutingActivationResponse>(2).code, 0x10);
}

TEST(EntityRouting, DifferentSourceOnRegisteredSocketIs0x02AndCloses) {
  EntityHarness h(TestConfig());
  h.Activate(1, 0x0E80);
  h.Send(1, Ra(0x0E81));
  EXPECT_EQ(h.Only<RoutingActivationResponse>(1).code, 0x02);
  EXPECT_TRUE(h.closed(1));
}

TEST(EntityRouting, SameSourceAgainOnSameSocketSucceeds) {
  EntityHarness h(TestConfig());
  h.Activate(1, 0x0E80);
  h.Send(1, Ra(0x0E80));
  EXPECT_EQ(h.Only<RoutingActivationResponse>(1).code, 0x10);
}

// DoIP-150: the tester reconnects while its old socket still answers: 0x03.
TEST(EntityRouting, SameTesterOnAnotherSocketAliveIs0x03) {
  EntityHarness h(TestConfig());
  h.Activate(1, 0x0E80);
  h.Connect(2);
  h.Send(2, Ra(0x0E80));
  EXPECT_TRUE(h.Received(2).empty());  // waits for the alive check
  auto check = h.Received(1);
  ASSERT_EQ(check.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<AliveCheckRequest>(check[0]));
  h.Send(1, AliveCheckResponse{0x0E80});
  EXPECT_EQ(h.Only<RoutingActivationResponse>(2).code, 0x03);
  EXPECT_TRUE(h.closed(2));
  EXPECT_FALSE(h.closed(1));
}

// The old socket is dead (silent for T_TCP_Alive_Check): closed, the new one is accepted.
TEST(EntityRouting, SameTesterOnAnotherSocketSilentTakesOver) {
  EntityHarness h(TestConfig());
  h.Activate(1, 0x0E80);
  h.Connect(2);
  h.Send(2, Ra(0x0E80));
  h.Advance(499ms);
  EXPECT_TRUE(h.Received(2).empty());
  h.Advance(2ms);
  EXPECT_TRUE(h.closed(1));
  EXPECT_EQ(h.Only<RoutingActivationResponse>(2).code, 0x10);
}

TEST(EntityRouting, AllSocketsRegisteredAndAliveIs0x01) {
  EntityHarness h(TestConfig());  // max_sockets 2
  h.Activate(1, 0x0E80);
  h.Activate(2, 0x0E81);
  h.Connect(3);
  h.Send(3, Ra(0x0E82));
  EXPECT_EQ(h.Received(1).size(), 1u);
  EXPECT_EQ(h.Received(2).size(), 1u);
  h.Send(1, AliveCheckResponse{0x0E80});
  EXPECT_TRUE(h.Received(3).empty());
  h.Send(2, AliveCheckResponse{0x0E81});
  EXPECT_EQ(h.Only<RoutingActivationResponse>(3).code, 0x01);
  EXPECT_TRUE(h.closed(3));
  EXPECT_FALSE(h.closed(1));
  EXPECT_FALSE(h.closed(2));
}

TEST(EntityRouting, AllSocketsRegisteredOneSilentFreesASocket) {
  EntityHarness h(TestConfig());
  h.Activate(1, 0x0E80);
  h.Activate(2, 0x0E81);
  h.Connect(3);
  h.Send(3, Ra(0x0E82));
  h.Received(1);
  h.Received(2);
  h.Send(1, AliveCheckResponse{0x0E80});
  h.Advance(600ms);
  EXPECT_TRUE(h.closed(2));
  EXPECT_EQ(h.Only<RoutingActivationResponse>(3).code, 0x10);
}

TEST(EntityTimers, InitialInactivityClosesSocketWithoutActivation) {
  EntityHarness h(TestConfig());
  h.Connect(1);
  h.Advance(1999ms);
  EXPECT_FALSE(h.closed(1));
  h.Advance(2ms);
  EXPECT_TRUE(h.closed(1));
}

TEST(EntityTimers, GeneralInactivityClosesIdleActivatedSocket) {
  EntityHarness h(TestConfig());
  h.Activate(1);
  h.Advance(4min);
  h.Send(1, DiagnosticMessage{0x0E80, 0x1000, {0x3E, 0x80}});
  h.Advance(4min);
  EXPECT_FALSE(h.closed(1));
  h.Advance(61s);
  EXPECT_TRUE(h.closed(1));
}

TEST(EntityTimers, UnansweredAliveCheckWithoutWaiterStillClosesOnlyThatSocket) {
  EntityHarness h(TestConfig());
  h.Activate(1, 0x0E80);
  h.Activate(2, 0x0E81);
  h.Connect(3);
  h.Send(3, Ra(0x0E80));
  h.PeerCloses(3);  // the new tester gave up
  h.Advance(600ms);
  EXPECT_TRUE(h.closed(1));
  EXPECT_FALSE(h.closed(2));
}

TEST(EntityAliveCheck, TesterProbeIsAnswered) {
  EntityHarness h(TestConfig());
  h.Activate(1);
  h.Send(1, AliveCheckRequest{});
  EXPECT_EQ(h.Only<AliveCheckResponse>(1).source_address, 0x1000);
}

TEST(EntityDiagnostic, AckThenResponseWithAddressesSwapped) {
  EntityHarness h(TestConfig());
  h.Activate(1);
  h.Send(1, DiagnosticMessage{0x0E80, 0x1000, {0x22, 0xF1, 0x90}});
  auto got = h.Received(1);
  ASSERT_EQ(got.size(), 2u);
  auto ack = std::get<DiagnosticAck>(got[0]);
  EXPECT_EQ(ack.source_address, 0x1000);
  EXPECT_EQ(ack.target_address, 0x0E80);
  EXPECT_EQ(ack.code, 0x00);
  auto resp = std::get<DiagnosticMessage>(got[1]);
  EXPECT_EQ(resp.source_address, 0x1000);
  EXPECT_EQ(resp.target_address, 0x0E80);
  Bytes want = {0x62, 0xF1, 0x90};
  std::string vin = "WVWZZZ1JZXW000001";
  want.insert(want.end(), vin.begin(), vin.end());
  EXPECT_EQ(resp.user_data, want);
}

TEST(EntityDiagnostic, BeforeRoutingActivationIsNack02AndCloses) {
  EntityHarness h(TestConfig());
  h.Connect(1);
  h.Send(1, DiagnosticMessage{0x0E80, 0x1000, {0x3E, 0x00}});
  auto nack = h.Only<DiagnosticNack>(1);
  EXPECT_EQ(nack.code, 0x02);
  EXPECT_EQ(nack.source_address, 0x1000);
  EXPECT_EQ(nack.target_address, 0x0E80);
  EXPECT_TRUE(h.closed(1));
}

TEST(EntityDiagnostic, WrongSourceAddressIsNack02AndOthersUntouched) {
  EntityHarness h(TestConfig());
  h.Activate(1, 0x0E80);
  h.Activate(2, 0x0E81);
  h.Send(1, DiagnosticMessage{0x0E81, 0x1000, {0x3E, 0x00}});
  EXPECT_EQ(h.Only<DiagnosticNack>(1).code, 0x02);
  EXPECT_TRUE(h.closed(1));
  h.Send(2, DiagnosticMessage{0x0E81, 0x1000, {0x3E, 0x00}});
  EXPECT_EQ(h.Received(2).size(), 2u);
  EXPECT_FALSE(h.closed(2));
}

TEST(EntityDiagnostic, UnknownTargetIsNack03AndSocketStays) {
  EntityHarness h(TestConfig());
  h.Activate(1);
  h.Send(1, DiagnosticMessage{0x0E80, 0x1777, {0x3E, 0x00}});
  auto nack = h.Only<DiagnosticNack>(1);
  EXPECT_EQ(nack.code, 0x03);
  EXPECT_EQ(nack.source_address, 0x1777);
  EXPECT_FALSE(h.closed(1));
}

TEST(EntityDiagnostic, TooLargeForTheEcuIsNack04) {
  EntityConfig c = GatewayConfig();
  c.ecus[0].max_request_size = 8;
  EntityHarness h(c);
  h.Activate(1);
  h.Send(1, DiagnosticMessage{0x0E80, 0x1001, Bytes(9, 0x2E)});
  EXPECT_EQ(h.Only<DiagnosticNack>(1).code, 0x04);
}

TEST(EntityDiagnostic, OutOfMemoryWhenTooManyRequestsPendingIsNack05) {
  EntityConfig c = TestConfig();
  c.uds.response_pending_count = 1;
  c.uds.response_pending_interval = 1s;
  c.ecus.clear();
  EntityHarness h(c);
  h.entity();
  // max_outstanding defaults to 8.
  h.Activate(1);
  for (int i = 0; i < 8; ++i) h.Send(1, DiagnosticMessage{0x0E80, 0x1000, {0x3E, 0x00}});
  EXPECT_EQ(h.Received(1).size(), 16u);  // ACK + 0x78 each
  h.Send(1, DiagnosticMessage{0x0E80, 0x1000, {0x3E, 0x00}});
  EXPECT_EQ(h.Only<DiagnosticNack>(1).code, 0x05);
  h.Advance(1s);
  EXPECT_EQ(h.Received(1).size(), 8u);  // the final answers
  h.Send(1, DiagnosticMessage{0x0E80, 0x1000, {0x3E, 0x00}});
  EXPECT_TRUE(std::holds_alternative<DiagnosticAck>(h.Received(1)[0]));
}

TEST(EntityDiagnostic, UnreachableEcuIsNack06) {
  EntityConfig c = GatewayConfig();
  c.ecus[1].reachable = false;
  EntityHarness h(c);
  h.Activate(1);
  h.Send(1, DiagnosticMessage{0x0E80, 0x1002, {0x3E, 0x00}});
  EXPECT_EQ(h.Only<DiagnosticNack>(1).code, 0x06);
}

TEST(EntityDiagnostic, EcuResetMakesTargetUnreachableAndPowerModeNotReady) {
  EntityHarness h(GatewayConfig());
  h.Activate(1);
  h.Send(1, DiagnosticMessage{0x0E80, 0x1001, {0x11, 0x01}});
  auto got = h.Received(1);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_THAT(std::get<DiagnosticMessage>(got[1]).user_data, ElementsAre(0x51, 0x01));
  EXPECT_EQ(h.entity().PowerMode(h.clock().Now()), kPowerModeNotReady);
  h.Send(1, DiagnosticMessage{0x0E80, 0x1001, {0x3E, 0x00}});
  EXPECT_EQ(h.Only<DiagnosticNack>(1).code, 0x06);
  h.Send(1, DiagnosticMessage{0x0E80, 0x1002, {0x3E, 0x00}});  // the other ECU is fine
  EXPECT_EQ(h.Received(1).size(), 2u);
  h.Advance(600ms);
  EXPECT_EQ(h.entity().PowerMode(h.clock().Now()), kPowerModeReady);
  h.Send(1, DiagnosticMessage{0x0E80, 0x1001, {0x3E, 0x00}});
  EXPECT_EQ(h.Received(1).size(), 2u);
}

TEST(EntityDiagnostic, FunctionalAddressReachesEveryEcuBehindTheGateway) {
  EntityHarness h(GatewayConfig());
  h.Activate(1);
  h.Send(1, DiagnosticMessage{0x0E80, 0xE400, {0x22, 0xF1, 0x90}});
  auto got = h.Received(1);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(std::get<DiagnosticAck>(got[0]).source_address, 0xE400);
  EXPECT_EQ(std::get<DiagnosticMessage>(got[1]).source_address, 0x1001);
  EXPECT_EQ(std::get<DiagnosticMessage>(got[2]).source_address, 0x1002);
  // Unsupported service functionally: NRC 0x11 suppressed, only the ACK.
  h.Send(1, DiagnosticMessage{0x0E80, 0xE400, {0x85, 0x01}});
  EXPECT_EQ(h.Received(1).size(), 1u);
}

TEST(EntityDiagnostic, ResponsePendingMessagesAreSentOnTime) {
  EntityConfig c = TestConfig();
  c.uds.response_pending_count = 2;
  c.uds.response_pending_interval = 100ms;
  EntityHarness h(c);
  h.Activate(1);
  h.Send(1, DiagnosticMessage{0x0E80, 0x1000, {0x3E, 0x00}});
  auto got = h.Received(1);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_THAT(std::get<DiagnosticMessage>(got[1]).user_data, ElementsAre(0x7F, 0x3E, 0x78));
  h.Advance(99ms);
  EXPECT_TRUE(h.Received(1).empty());
  h.Advance(1ms);
  EXPECT_THAT(std::get<DiagnosticMessage>(h.Received(1).at(0)).user_data,
              ElementsAre(0x7F, 0x3E, 0x78));
  h.Advance(100ms);
  EXPECT_THAT(std::get<DiagnosticMessage>(h.Received(1).at(0)).user_data, ElementsAre(0x7E, 0x00));
}

TEST(EntityDiagnostic, ResponseDelaySeparatesAckAndResponse) {
  EntityConfig c = TestConfig();
  c.uds.response_delay = 20ms;
  EntityHarness h(c);
  h.Activate(1);
  h.Send(1, DiagnosticMessage{0x0E80, 0x1000, {0x3E, 0x00}});
  EXPECT_EQ(h.Only<DiagnosticAck>(1).code, 0x00);
  h.Advance(19ms);
  EXPECT_TRUE(h.Received(1).empty());
  h.Advance(1ms);
  EXPECT_THAT(h.Only<DiagnosticMessage>(1).user_data, ElementsAre(0x7E, 0x00));
}

TEST(EntityDiagnostic, PositiveRespondingFalse) {
  EntityHarness h(TestConfig());
  h.entity().SetPositiveResponding(false, 0x22);
  h.Activate(1);
  h.Send(1, DiagnosticMessage{0x0E80, 0x1000, {0x22, 0xF1, 0x90}});
  auto got = h.Received(1);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_THAT(std::get<DiagnosticMessage>(got[1]).user_data, ElementsAre(0x7F, 0x22, 0x22));
}

TEST(EntityDiagnostic, ExternalHandlerAnswersOrModelAfterTimeout) {
  EntityHarness h(TestConfig());
  h.entity().SetExternalHandler(true, true, {});
  h.Activate(1);
  h.Send(1, DiagnosticMessage{0x0E80, 0x1000, {0x31, 0x01, 0xAA, 0xBB}});
  ASSERT_EQ(h.forwards().size(), 1u);
  EXPECT_EQ(h.Only<DiagnosticAck>(1).code, 0x00);
  EXPECT_EQ(h.forwards()[0].target_address, 0x1000);
  EXPECT_THAT(h.forwards()[0].bytes, ElementsAre(0x31, 0x01, 0xAA, 0xBB));
  Actions out;
  h.entity().OnExternalReply(h.forwards()[0].request_id, h.clock().Now(),
                             Bytes{0x71, 0x01, 0xAA, 0xBB}, out);
  ASSERT_EQ(out.size(), 1u);
  auto reply = DecodeMessage(out[0].bytes);
  ASSERT_TRUE(reply.ok());
  EXPECT_THAT(std::get<DiagnosticMessage>(reply->payload).user_data,
              ElementsAre(0x71, 0x01, 0xAA, 0xBB));
  h.Send(1, DiagnosticMessage{0x0E80, 0x1000, {0x3E, 0x00}});
  h.Received(1);
  h.Advance(2s);
  auto got = h.Received(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_THAT(std::get<DiagnosticMessage>(got[0]).user_data, ElementsAre(0x7E, 0x00));
}

TEST(EntityGenericNack, WrongInverseVersionIsNack00AndCloses) {
  EntityHarness h(TestConfig());
  h.Activate(1);
  h.SendRaw(1, Bytes{0x02, 0x02, 0x80, 0x01, 0, 0, 0, 6, 0x0E, 0x80, 0x10, 0x00, 0x3E, 0x00});
  EXPECT_EQ(h.Only<GenericNack>(1).code, 0x00);
  EXPECT_TRUE(h.closed(1));
}

TEST(EntityGenericNack, UnknownPayloadTypeIsNack01AndSocketStays) {
  EntityHarness h(TestConfig());
  h.Activate(1);
  h.SendRaw(1, Bytes{0x02, 0xFD, 0x55, 0x55, 0, 0, 0, 1, 0xAA});
  EXPECT_EQ(h.Only<GenericNack>(1).code, 0x01);
  EXPECT_FALSE(h.closed(1));
  h.Send(1, DiagnosticMessage{0x0E80, 0x1000, {0x3E, 0x00}});
  EXPECT_EQ(h.Received(1).size(), 2u);
}

TEST(EntityGenericNack, AboveMaxDataSizeIsNack02AndSocketStays) {
  EntityHarness h(TestConfig());
  h.Activate(1);
  h.Send(1, DiagnosticMessage{0x0E80, 0x1000, Bytes(4093, 0x22)});
  EXPECT_EQ(h.Only<GenericNack>(1).code, 0x02);
  EXPECT_FALSE(h.closed(1));
  EXPECT_THAT(h.observer().generic_nacks, ElementsAre(0x02));
}

TEST(EntityGenericNack, OutOfMemoryIsNack03) {
  EntityConfig c = TestConfig();
  c.receive_buffer_bytes = 64;
  EntityHarness h(c);
  h.Activate(1);
  h.Send(1, DiagnosticMessage{0x0E80, 0x1000, Bytes(100, 0x22)});
  EXPECT_EQ(h.Only<GenericNack>(1).code, 0x03);
  EXPECT_FALSE(h.closed(1));
}

TEST(EntityGenericNack, TruncatedRoutingActivationIsNack04AndCloses) {
  EntityHarness h(TestConfig());
  h.Connect(1);
  h.SendRaw(1, Bytes{0x02, 0xFD, 0x00, 0x05, 0, 0, 0, 2, 0x0E, 0x80});
  EXPECT_EQ(h.Only<GenericNack>(1).code, 0x04);
  EXPECT_TRUE(h.closed(1));
}

TEST(EntityConnections, TooManyConnectionsAreClosed) {
  EntityConfig c = TestConfig();
  c.max_connections = 2;
  EntityHarness h(c);
  h.Connect(1);
  h.Connect(2);
  h.Connect(3);
  EXPECT_FALSE(h.closed(2));
  EXPECT_TRUE(h.closed(3));
  EXPECT_EQ(h.entity().open_connections(), 2u);
}

TEST(EntityConfigValidation, RejectsBadValuesNamingTheField) {
  EntityConfig c = TestConfig();
  c.logical_address = 0x0E80;
  absl::Status s = NormalizeEntityConfig(c);
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("logical_address 0x0E80"));
  c = GatewayConfig();
  c.ecus[1].address = 0x1001;
  s = NormalizeEntityConfig(c);
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("used twice"));
  c = TestConfig();
  c.tester_ranges = {{0x0F00, 0x0E00}};
  EXPECT_FALSE(NormalizeEntityConfig(c).ok());
  c = TestConfig();
  c.protocol_version = 9;
  EXPECT_FALSE(NormalizeEntityConfig(c).ok());
}

}  // namespace
}  // namespace ecusim::doip
