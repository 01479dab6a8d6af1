// An ISO 14229-1 (UDS) server model for one logical address: diagnostic sessions, ECU reset,
// data identifiers, security access, tester present, negative responses, response-pending
// bursts. Sans-I/O: Handle(now, request) returns the messages to send and when.
#ifndef ECUSIM_SIM_DOIP_UDS_SERVER_H_
#define ECUSIM_SIM_DOIP_UDS_SERVER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "sim/core/clock.h"

namespace ecusim::doip {

// Service identifiers.
inline constexpr uint8_t kSidSessionControl = 0x10;
inline constexpr uint8_t kSidEcuReset = 0x11;
inline constexpr uint8_t kSidReadDataByIdentifier = 0x22;
inline constexpr uint8_t kSidSecurityAccess = 0x27;
inline constexpr uint8_t kSidWriteDataByIdentifier = 0x2E;
inline constexpr uint8_t kSidTesterPresent = 0x3E;
inline constexpr uint8_t kSidNegativeResponse = 0x7F;
inline constexpr uint8_t kPositiveResponseOffset = 0x40;
inline constexpr uint8_t kSuppressPositiveResponse = 0x80;

// Negative response codes (ISO 14229-1 Annex A).
inline constexpr uint8_t kNrcGeneralReject = 0x10;
inline constexpr uint8_t kNrcServiceNotSupported = 0x11;
inline constexpr uint8_t kNrcSubFunctionNotSupported = 0x12;
inline constexpr uint8_t kNrcIncorrectMessageLength = 0x13;
inline constexpr uint8_t kNrcResponseTooLong = 0x14;
inline constexpr uint8_t kNrcConditionsNotCorrect = 0x22;
inline constexpr uint8_t kNrcRequestSequenceError = 0x24;
inline constexpr uint8_t kNrcRequestOutOfRange = 0x31;
inline constexpr uint8_t kNrcSecurityAccessDenied = 0x33;
inline constexpr uint8_t kNrcInvalidKey = 0x35;
inline constexpr uint8_t kNrcExceededNumberOfAttempts = 0x36;
inline constexpr uint8_t kNrcRequiredTimeDelayNotExpired = 0x37;
inline constexpr uint8_t kNrcResponsePending = 0x78;
inline constexpr uint8_t kNrcSubFunctionNotSupportedInSession = 0x7E;
inline constexpr uint8_t kNrcServiceNotSupportedInSession = 0x7F;

inline constexpr uint8_t kSessionDefault = 0x01;
inline constexpr uint8_t kSessionProgramming = 0x02;
inline constexpr uint8_t kSessionExtended = 0x03;
inline constexpr uint8_t kSessionSafety = 0x04;

inline constexpr uint16_t kDidVin = 0xF190;
inline constexpr uint16_t kDidActiveSession = 0xF186;

enum class SecurityAlgorithm {
  kXor,         // key = seed XOR constant (constant repeated big-endian over the seed)
  kAdd,         // key = (seed + constant) mod 2^(8 * seed_length), big-endian
  kComplement,  // key = ~seed
};

struct DidConfig {
  std::vector<uint8_t> value;
  bool writable = false;
  // Security level (1 = after 27 01/02, ...) needed to read / write; 0 = none.
  uint8_t read_security_level = 0;
  uint8_t write_security_level = 0;
  // Session required for writing (0 = any); otherwise NRC 0x22 conditionsNotCorrect.
  uint8_t write_session = 0;
};

struct UdsConfig {
  std::map<uint16_t, DidConfig> dids;
  // Sessions 0x10 accepts; others get 0x12.
  std::set<uint8_t> sessions = {kSessionDefault, kSessionProgramming, kSessionExtended};
  // 10 02 from the default session gets 0x7E (most ECUs want the extended session first).
  bool programming_requires_extended = true;
  // Services restricted to some sessions (others get 0x7F). Default: 0x27 outside default.
  std::map<uint8_t, std::set<uint8_t>> service_sessions = {
      {kSidSecurityAccess, {kSessionProgramming, kSessionExtended}}};
  // Reported in 50 xx: P2 in ms, P2* in ms (sent in units of 10 ms).
  uint16_t p2_server_max_ms = 50;
  uint32_t p2_star_server_max_ms = 5000;
  // S3 server: a non-default session falls back to default after this much silence.
  core::Duration s3 = std::chrono::seconds(5);
  // After a positive 0x11 the ECU is rebooting (unreachable) for this long.
  core::Duration reset_duration = std::chrono::milliseconds(500);

  SecurityAlgorithm algorithm = SecurityAlgorithm::kXor;
  uint32_t security_constant = 0x5A5A5A5A;
  uint8_t seed_length = 4;
  // Odd requestSeed sub-functions accepted (1 = 27 01 / 27 02).
  std::set<uint8_t> security_levels = {1};
  uint8_t max_attempts = 3;
  // After max_attempts failures, requestSeed answers 0x37 for this long.
  core::Duration security_delay = std::chrono::seconds(10);

  // Fixed NRC per service, instead of the normal behaviour.
  std::map<uint8_t, uint8_t> nrc_overrides;
  // 7F sid 78 messages before each final answer, `response_pending_interval` apart; limited
  // to `response_pending_services` when not empty.
  uint32_t response_pending_count = 0;
  core::Duration response_pending_interval = std::chrono::milliseconds(500);
  std::set<uint8_t> response_pending_services;

  // Processing time before the first response message (0 = answer at once, in the same TCP
  // write as the ACK). Real ECUs take a few ms; scapy 2.5's DoIPSocket.sr1 needs a gap
  // between the ACK and the response because it cannot split coalesced DoIP messages.
  core::Duration response_delay{0};

  // Seed's DoipServer.positive_responding: when false every request that would get a
  // positive answer gets 7F sid negative_nrc instead.
  bool positive_responding = true;
  uint8_t negative_nrc = kNrcServiceNotSupported;
};

// Checks value ranges; INVALID_ARGUMENT names the field and value.
absl::Status ValidateUdsConfig(const UdsConfig& config);

struct UdsMessage {
  core::Duration delay{0};  // after the request
  std::vector<uint8_t> data;
};

struct UdsReply {
  std::vector<UdsMessage> messages;  // empty = no response (suppressed or functional NRC)
  bool reset_started = false;
  // Negative response code of the final answer (0 for positive, none).
  uint8_t final_nrc = 0;
};

class UdsServer {
 public:
  explicit UdsServer(UdsConfig config, uint64_t random_seed = 1);

  // Answers one request. `functional`: sent to the functional address, which suppresses the
  // NRCs 0x11, 0x12, 0x31, 0x7E and 0x7F (ISO 14229-1 7.5).
  UdsReply Handle(core::TimePoint now, std::span<const uint8_t> request, bool functional);

  // Replaces the configuration, keeping session and security state when still valid.
  void Reconfigure(UdsConfig config);
  const UdsConfig& config() const { return config_; }
  UdsConfig& mutable_config() { return config_; }

  // True between a positive ECUReset and the end of reset_duration.
  bool Resetting(core::TimePoint now) const { return now < reset_until_; }
  uint8_t session(core::TimePoint now);
  uint8_t security_level() const { return unlocked_level_; }

  // The key the configured algorithm expects for `seed`.
  std::vector<uint8_t> ExpectedKey(std::span<const uint8_t> seed) const;

 private:
  using Req = std::span<const uint8_t>;
  std::vector<uint8_t> Dispatch(core::TimePoint now, Req req, bool& reset);
  std::vector<uint8_t> SessionControl(Req req);
  std::vector<uint8_t> EcuReset(core::TimePoint now, Req req, bool& reset);
  std::vector<uint8_t> ReadDataByIdentifier(Req req);
  std::vector<uint8_t> WriteDataByIdentifier(Req req);
  std::vector<uint8_t> SecurityAccess(core::TimePoint now, Req req);
  std::vector<uint8_t> TesterPresent(Req req);
  std::optional<std::vector<uint8_t>> DidValue(uint16_t did);
  void ExpireSession(core::TimePoint now);
  void EnterDefaultSession();

  UdsConfig config_;
  std::mt19937_64 rng_;
  uint8_t session_ = kSessionDefault;
  core::TimePoint last_request_{};
  core::TimePoint reset_until_{};
  uint8_t unlocked_level_ = 0;
  // Level (odd sub-function) of the outstanding seed, 0 when none.
  uint8_t seed_level_ = 0;
  std::vector<uint8_t> seed_;
  uint8_t failed_attempts_ = 0;
  core::TimePoint locked_until_{};
};

// "7F sid nrc"
std::vector<uint8_t> NegativeResponse(uint8_t sid, uint8_t nrc);

}  // namespace ecusim::doip

#endif  // ECUSIM_SIM_DOIP_UDS_SERVER_H_
