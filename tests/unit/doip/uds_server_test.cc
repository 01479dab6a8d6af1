#include "sim/doip/uds_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ecusim::doip {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using Bytes = std::vector<uint8_t>;
using namespace std::chrono_literals;

class UdsServerTest : public ::testing::Test {
 protected:
  UdsServerTest() {
    config_.dids[kDidVin] = DidConfig{Bytes{'W', 'V', 'W'}};
    config_.dids[0x0101] = DidConfig{Bytes{0x11, 0x22}, /*writable=*/true};
    config_.dids[0x0102] = DidConfig{Bytes{0x33}, true, 0, /*write_security_level=*/1};
    config_.dids[0x0103] = DidConfig{Bytes{0x44}, true, 0, 0, /*write_session=*/kSessionExtended};
    config_.dids[0x0104] = DidConfig{Bytes{0x55}, false, /*read_security_level=*/1};
  }
  UdsServer& server() {
    if (!server_) server_ = std::make_unique<UdsServer>(config_, 42);
    return *server_;
  }
  // The single answer to `req` (physical addressing), or empty when none.
  Bytes Ask(Bytes req, bool functional = false) {
    UdsReply r = server().Handle(clock_.Now(), req, functional);
    if (r.messages.empty()) return {};
    EXPECT_EQ(r.messages.size(), 1u);
    return r.messages.back().data;
  }
  void Unlock() {
    ASSERT_THAT(Ask({0x10, 0x03}), ::testing::SizeIs(6));
    Bytes seed = Ask({0x27, 0x01});
    ASSERT_EQ(seed.size(), 6u);
    Bytes key = server().ExpectedKey(std::span(seed).subspan(2));
    Bytes req{0x27, 0x02};
    req.insert(req.end(), key.begin(), key.end());
    ASSERT_THAT(Ask(req), ElementsAre(0x67, 0x02));
  }

  core::FakeClock clock_;
  UdsConfig config_;
  std::unique_ptr<UdsServer> server_;
};

TEST_F(UdsServerTest, SessionControlCarriesP2AndP2Star) {
  EXPECT_THAT(Ask({0x10, 0x01}), ElementsAre(0x50, 0x01, 0x00, 0x32, 0x01, 0xF4));
  EXPECT_THAT(Ask({0x10, 0x03}), ElementsAre(0x50, 0x03, 0x00, 0x32, 0x01, 0xF4));
  EXPECT_EQ(server().session(clock_.Now()), kSessionExtended);
}

TEST_F(UdsServerTest, SessionControlNrcs) {
  EXPECT_THAT(Ask({0x10}), ElementsAre(0x7F, 0x10, 0x13));
  EXPECT_THAT(Ask({0x10, 0x05}), ElementsAre(0x7F, 0x10, 0x12));
  EXPECT_THAT(Ask({0x10, 0x02}), ElementsAre(0x7F, 0x10, 0x7E));  // programming needs extended
  EXPECT_THAT(Ask({0x10, 0x03}), ::testing::SizeIs(6));
  EXPECT_THAT(Ask({0x10, 0x02}), ::testing::SizeIs(6));
}

TEST_F(UdsServerTest, SuppressPositiveResponseBit) {
  EXPECT_THAT(Ask({0x10, 0x83}), IsEmpty());
  EXPECT_EQ(server().session(clock_.Now()), kSessionExtended);
  EXPECT_THAT(Ask({0x3E, 0x80}), IsEmpty());
  EXPECT_THAT(Ask({0x3E, 0x00}), ElementsAre(0x7E, 0x00));
  // Negative responses are never suppressed by the bit.
  EXPECT_THAT(Ask({0x10, 0x85}), ElementsAre(0x7F, 0x10, 0x12));
}

TEST_F(UdsServerTest, TesterPresentNrcs) {
  EXPECT_THAT(Ask({0x3E}), ElementsAre(0x7F, 0x3E, 0x13));
  EXPECT_THAT(Ask({0x3E, 0x01}), ElementsAre(0x7F, 0x3E, 0x12));
}

TEST_F(UdsServerTest, S3TimeoutFallsBackToDefaultSession) {
  Ask({0x10, 0x03});
  clock_.Advance(4s);
  EXPECT_EQ(server().session(clock_.Now()), kSessionExtended);
  Ask({0x3E, 0x80});  // tester present keeps it alive
  clock_.Advance(4s);
  EXPECT_EQ(server().session(clock_.Now()), kSessionExtended);
  clock_.Advance(2s);
  EXPECT_EQ(server().session(clock_.Now()), kSessionDefault);
}

TEST_F(UdsServerTest, ReadDataByIdentifier) {
  EXPECT_THAT(Ask({0x22, 0xF1, 0x90}), ElementsAre(0x62, 0xF1, 0x90, 'W', 'V', 'W'));
  EXPECT_THAT(Ask({0x22, 0xF1, 0x90, 0x01, 0x01}),
              ElementsAre(0x62, 0xF1, 0x90, 'W', 'V', 'W', 0x01, 0x01, 0x11, 0x22));
  EXPECT_THAT(Ask({0x22, 0xF1, 0x86}), ElementsAre(0x62, 0xF1, 0x86, 0x01));
  EXPECT_THAT(Ask({0x22, 0x12, 0x34}), ElementsAre(0x7F, 0x22, 0x31));
  EXPECT_THAT(Ask({0x22, 0xF1}), ElementsAre(0x7F, 0x22, 0x13));
  EXPECT_THAT(Ask({0x22}), ElementsAre(0x7F, 0x22, 0x13));
  EXPECT_THAT(Ask({0x22, 0x01, 0x04}), ElementsAre(0x7F, 0x22, 0x33));
}

TEST_F(UdsServerTest, WriteThenReadDataByIdentifier) {
  EXPECT_THAT(Ask({0x2E, 0x01, 0x01, 0xAB, 0xCD}), ElementsAre(0x6E, 0x01, 0x01));
  EXPECT_THAT(Ask({0x22, 0x01, 0x01}), ElementsAre(0x62, 0x01, 0x01, 0xAB, 0xCD));
}

TEST_F(UdsServerTest, WriteDataByIdentifierNrcs) {
  EXPECT_THAT(Ask({0x2E, 0x01, 0x01}), ElementsAre(0x7F, 0x2E, 0x13));
  EXPECT_THAT(Ask({0x2E, 0x01, 0x01, 0xAB}), ElementsAre(0x7F, 0x2E, 0x13));     // wrong size
  EXPECT_THAT(Ask({0x2E, 0xF1, 0x90, 1, 2, 3}), ElementsAre(0x7F, 0x2E, 0x31));  // read-only
  EXPECT_THAT(Ask({0x2E, 0x99, 0x99, 0x00}), ElementsAre(0x7F, 0x2E, 0x31));
  EXPECT_THAT(Ask({0x2E, 0x01, 0x02, 0x00}), ElementsAre(0x7F, 0x2E, 0x33));  // locked
  EXPECT_THAT(Ask({0x2E, 0x01, 0x03, 0x00}), ElementsAre(0x7F, 0x2E, 0x22));  // session
  Unlock();
  EXPECT_THAT(Ask({0x2E, 0x01, 0x02, 0x77}), ElementsAre(0x6E, 0x01, 0x02));
  EXPECT_THAT(Ask({0x2E, 0x01, 0x03, 0x77}), ElementsAre(0x6E, 0x01, 0x03));
  EXPECT_THAT(Ask({0x22, 0x01, 0x04}), ElementsAre(0x62, 0x01, 0x04, 0x55));
}

TEST_F(UdsServerTest, SecurityAccessNeedsNonDefaultSession) {
  EXPECT_THAT(Ask({0x27, 0x01}), ElementsAre(0x7F, 0x27, 0x7F));
}

TEST_F(UdsServerTest, SecurityAccessXorKey) {
  config_.security_constant = 0x11223344;
  Ask({0x10, 0x03});
  Bytes seed = Ask({0x27, 0x01});
  ASSERT_EQ(seed.size(), 6u);
  Bytes req{0x27,
            0x02,
            static_cast<uint8_t>(seed[2] ^ 0x11),
            static_cast<uint8_t>(seed[3] ^ 0x22),
            static_cast<uint8_t>(seed[4] ^ 0x33),
            static_cast<uint8_t>(seed[5] ^ 0x44)};
  EXPECT_THAT(Ask(req), ElementsAre(0x67, 0x02));
  EXPECT_EQ(server().security_level(), 1);
  // Unlocked: a new seed request answers an all-zero seed.
  EXPECT_THAT(Ask({0x27, 0x01}), ElementsAre(0x67, 0x01, 0, 0, 0, 0));
}

TEST_F(UdsServerTest, SecurityAccessAddAndComplementAlgorithms) {
  config_.algorithm = SecurityAlgorithm::kAdd;
  config_.security_constant = 0x00000001;
  UdsServer s(config_);
  Bytes seed = {0x12, 0x34, 0x56, 0xFF};
  EXPECT_THAT(s.ExpectedKey(seed), ElementsAre(0x12, 0x34, 0x57, 0x00));
  config_.algorithm = SecurityAlgorithm::kComplement;
  UdsServer c(config_);
  EXPECT_THAT(c.ExpectedKey(seed), ElementsAre(0xED, 0xCB, 0xA9, 0x00));
}

TEST_F(UdsServerTest, SecurityAccessInvalidKeyThenExceededAttemptsThenDelay) {
  Ask({0x10, 0x03});
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(Ask({0x27, 0x01}).size(), 6u);
    EXPECT_THAT(Ask({0x27, 0x02, 0, 0, 0, 0}), ElementsAre(0x7F, 0x27, 0x35));
  }
  ASSERT_EQ(Ask({0x27, 0x01}).size(), 6u);
  EXPECT_THAT(Ask({0x27, 0x02, 0, 0, 0, 0}), ElementsAre(0x7F, 0x27, 0x36));
  EXPECT_THAT(Ask({0x27, 0x01}), ElementsAre(0x7F, 0x27, 0x37));
  clock_.Advance(4s);
  Ask({0x3E, 0x80});
  clock_.Advance(4s);
  Ask({0x3E, 0x80});
  clock_.Advance(3s);
  EXPECT_EQ(Ask({0x27, 0x01}).size(), 6u);
}

TEST_F(UdsServerTest, SecurityAccessSequenceAndFormatNrcs) {
  Ask({0x10, 0x03});
  EXPECT_THAT(Ask({0x27, 0x02, 1, 2, 3, 4}), ElementsAre(0x7F, 0x27, 0x24));  // no seed
  EXPECT_THAT(Ask({0x27, 0x03}), ElementsAre(0x7F, 0x27, 0x12));  // level 2 not configured
  EXPECT_THAT(Ask({0x27}), ElementsAre(0x7F, 0x27, 0x13));
  Ask({0x27, 0x01});
  EXPECT_THAT(Ask({0x27, 0x02, 1, 2}), ElementsAre(0x7F, 0x27, 0x13));
}

TEST_F(UdsServerTest, EcuResetReturnsToDefaultSessionLockedAndResets) {
  Unlock();
  UdsReply r = server().Handle(clock_.Now(), Bytes{0x11, 0x01}, false);
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_THAT(r.messages[0].data, ElementsAre(0x51, 0x01));
  EXPECT_TRUE(r.reset_started);
  EXPECT_TRUE(server().Resetting(clock_.Now()));
  EXPECT_EQ(server().session(clock_.Now()), kSessionDefault);
  EXPECT_EQ(server().security_level(), 0);
  clock_.Advance(600ms);
  EXPECT_FALSE(server().Resetting(clock_.Now()));
  EXPECT_THAT(Ask({0x11, 0x04}), ElementsAre(0x7F, 0x11, 0x12));
  EXPECT_THAT(Ask({0x11}), ElementsAre(0x7F, 0x11, 0x13));
}

TEST_F(UdsServerTest, UnsupportedServiceIsNrc11AndSuppressedWhenFunctional) {
  EXPECT_THAT(Ask({0x31, 0x01, 0x02, 0x03}), ElementsAre(0x7F, 0x31, 0x11));
  EXPECT_THAT(Ask({0x31, 0x01, 0x02, 0x03}, /*functional=*/true), IsEmpty());
  EXPECT_THAT(Ask({0x22, 0x12, 0x34}, true), IsEmpty());          // 0x31 suppressed
  EXPECT_THAT(Ask({0x10, 0x09}, true), IsEmpty());                // 0x12 suppressed
  EXPECT_THAT(Ask({0x27, 0x01}, true), IsEmpty());                // 0x7F suppressed
  EXPECT_THAT(Ask({0x10}, true), ElementsAre(0x7F, 0x10, 0x13));  // 0x13 is not
}

TEST_F(UdsServerTest, NrcOverride) {
  config_.nrc_overrides[0x22] = 0x22;
  EXPECT_THAT(Ask({0x22, 0xF1, 0x90}), ElementsAre(0x7F, 0x22, 0x22));
}

TEST_F(UdsServerTest, PositiveRespondingFalseTurnsPositiveAnswersNegative) {
  config_.positive_responding = false;
  EXPECT_THAT(Ask({0x22, 0xF1, 0x90}), ElementsAre(0x7F, 0x22, 0x11));
  EXPECT_THAT(Ask({0x3E, 0x80}), ElementsAre(0x7F, 0x3E, 0x11));
  EXPECT_THAT(Ask({0x22, 0xF1}), ElementsAre(0x7F, 0x22, 0x13));  // NRCs unchanged
}

TEST_F(UdsServerTest, ResponsePendingBurstBeforeTheFinalAnswer) {
  config_.response_pending_count = 2;
  config_.response_pending_interval = 100ms;
  config_.response_pending_services = {0x22};
  UdsReply r = server().Handle(clock_.Now(), Bytes{0x22, 0xF1, 0x90}, false);
  ASSERT_EQ(r.messages.size(), 3u);
  EXPECT_THAT(r.messages[0].data, ElementsAre(0x7F, 0x22, 0x78));
  EXPECT_EQ(r.messages[0].delay, 0ms);
  EXPECT_THAT(r.messages[1].data, ElementsAre(0x7F, 0x22, 0x78));
  EXPECT_EQ(r.messages[1].delay, 100ms);
  EXPECT_EQ(r.messages[2].data[0], 0x62);
  EXPECT_EQ(r.messages[2].delay, 200ms);
  EXPECT_THAT(Ask({0x3E, 0x00}), ElementsAre(0x7E, 0x00));  // not in the pending set
}

TEST(UdsConfigValidation, RejectsBadValues) {
  UdsConfig c;
  c.seed_length = 0;
  EXPECT_FALSE(ValidateUdsConfig(c).ok());
  c = UdsConfig();
  c.security_levels = {2};
  EXPECT_FALSE(ValidateUdsConfig(c).ok());
  c = UdsConfig();
  c.nrc_overrides[0x22] = 0x78;
  EXPECT_FALSE(ValidateUdsConfig(c).ok());
  EXPECT_TRUE(ValidateUdsConfig(UdsConfig()).ok());
}

}  // namespace
}  // namespace ecusim::doip
