#include "sim/doip/uds_server.h"

#include <algorithm>

#include "absl/strings/str_format.h"

namespace ecusim::doip {
namespace {

using Bytes = std::vector<uint8_t>;

bool HasSubFunction(uint8_t sid) {
  return sid == kSidSessionControl || sid == kSidEcuReset || sid == kSidSecurityAccess ||
         sid == kSidTesterPresent;
}

// ISO 14229-1 7.5.3: NRCs a server must not send for functionally addressed requests.
bool SuppressedWhenFunctional(uint8_t nrc) {
  return nrc == kNrcServiceNotSupported || nrc == kNrcSubFunctionNotSupported ||
         nrc == kNrcRequestOutOfRange || nrc == kNrcSubFunctionNotSupportedInSession ||
         nrc == kNrcServiceNotSupportedInSession;
}

bool IsNegative(const Bytes& r) { return r.size() == 3 && r[0] == kSidNegativeResponse; }

}  // namespace

Bytes NegativeResponse(uint8_t sid, uint8_t nrc) { return {kSidNegativeResponse, sid, nrc}; }

absl::Status ValidateUdsConfig(const UdsConfig& c) {
  if (c.seed_length < 1 || c.seed_length > 32) {
    return absl::InvalidArgumentError(
        absl::StrFormat("security.seed_length %d must be 1..32", c.seed_length));
  }
  if (c.max_attempts < 1) {
    return absl::InvalidArgumentError("security.max_attempts must be at least 1");
  }
  for (uint8_t level : c.security_levels) {
    if (level % 2 == 0 || level > 0x41) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "security level 0x%02X must be an odd requestSeed sub-function 0x01..0x41", level));
    }
  }
  for (uint8_t s : c.sessions) {
    if (s == 0 || s > 0x7F) {
      return absl::InvalidArgumentError(absl::StrFormat("session 0x%02X must be 1..0x7F", s));
    }
  }
  if (c.p2_star_server_max_ms / 10 > 0xFFFF) {
    return absl::InvalidArgumentError(
        absl::StrFormat("p2_star_server_max_ms %d exceeds 655350", c.p2_star_server_max_ms));
  }
  for (const auto& [sid, nrc] : c.nrc_overrides) {
    if (nrc == 0 || nrc == kNrcResponsePending) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "nrc_overrides: NRC 0x%02X for service 0x%02X is not a final negative response", nrc,
          sid));
    }
  }
  for (const auto& [did, entry] : c.dids) {
    if (entry.value.empty()) {
      return absl::InvalidArgumentError(absl::StrFormat("did 0x%04X has an empty value", did));
    }
  }
  return absl::OkStatus();
}

UdsServer::UdsServer(UdsConfig config, uint64_t random_seed)
    : config_(std::move(config)), rng_(random_seed) {}

void UdsServer::Reconfigure(UdsConfig config) {
  config_ = std::move(config);
  if (!config_.sessions.contains(session_)) EnterDefaultSession();
}

void UdsServer::EnterDefaultSession() {
  session_ = kSessionDefault;
  unlocked_level_ = 0;
  seed_level_ = 0;
}

void UdsServer::ExpireSession(core::TimePoint now) {
  if (session_ != kSessionDefault && now - last_request_ > config_.s3) EnterDefaultSession();
}

uint8_t UdsServer::session(core::TimePoint now) {
  ExpireSession(now);
  return session_;
}

UdsReply UdsServer::Handle(core::TimePoint now, std::span<const uint8_t> req, bool functional) {
  UdsReply reply;
  if (req.empty()) return reply;
  ExpireSession(now);
  last_request_ = now;
  const uint8_t sid = req[0];
  const bool suppress =
      HasSubFunction(sid) && req.size() >= 2 && (req[1] & kSuppressPositiveResponse) != 0;

  Bytes answer;
  if (auto it = config_.nrc_overrides.find(sid); it != config_.nrc_overrides.end()) {
    answer = NegativeResponse(sid, it->second);
  } else {
    answer = Dispatch(now, req, reply.reset_started);
  }
  if (!IsNegative(answer) && !config_.positive_responding) {
    answer = NegativeResponse(sid, config_.negative_nrc);
    reply.reset_started = false;
  }
  if (reply.reset_started) reset_until_ = now + config_.reset_duration;
  const bool negative = IsNegative(answer);
  reply.final_nrc = negative ? answer[2] : 0;

  const bool pending =
      config_.response_pending_count > 0 && (config_.response_pending_services.empty() ||
                                             config_.response_pending_services.contains(sid));
  if (pending) {
    // ISO 14229-1 7.5.5: after 0x78 the final response is sent even when suppressed.
    for (uint32_t i = 0; i < config_.response_pending_count; ++i) {
      reply.messages.push_back({config_.response_delay + config_.response_pending_interval * i,
                                NegativeResponse(sid, kNrcResponsePending)});
    }
    reply.messages.push_back({config_.response_delay + config_.response_pending_interval *
                                                           config_.response_pending_count,
                              std::move(answer)});
    return reply;
  }
  if (negative && functional && SuppressedWhenFunctional(answer[2])) return reply;
  if (!negative && suppress) return reply;
  reply.messages.push_back({config_.response_delay, std::move(answer)});
  return reply;
}

Bytes UdsServer::Dispatch(core::TimePoint now, Req req, bool& reset) {
  const uint8_t sid = req[0];
  if (auto it = config_.service_sessions.find(sid);
      it != config_.service_sessions.end() && !it->second.contains(session_)) {
    switch (sid) {
      case kSidSessionControl:
      case kSidEcuReset:
      case kSidReadDataByIdentifier:
      case kSidWriteDataByIdentifier:
      case kSidSecurityAccess:
      case kSidTesterPresent:
        return NegativeResponse(sid, kNrcServiceNotSupportedInSession);
      default:
        break;
    }
  }
  switch (sid) {
    case kSidSessionControl:
      return SessionControl(req);
    case kSidEcuReset:
      return EcuReset(now, req, reset);
    case kSidReadDataByIdentifier:
      return ReadDataByIdentifier(req);
    case kSidWriteDataByIdentifier:
      return WriteDataByIdentifier(req);
    case kSidSecurityAccess:
      return SecurityAccess(now, req);
    case kSidTesterPresent:
      return TesterPresent(req);
    default:
      return NegativeResponse(sid, kNrcServiceNotSupported);
  }
}

Bytes UdsServer::SessionControl(Req req) {
  if (req.size() != 2) return NegativeResponse(kSidSessionControl, kNrcIncorrectMessageLength);
  const uint8_t target = req[1] & 0x7F;
  if (!config_.sessions.contains(target)) {
    return NegativeResponse(kSidSessionControl, kNrcSubFunctionNotSupported);
  }
  if (target == kSessionProgramming && session_ == kSessionDefault &&
      config_.programming_requires_extended) {
    return NegativeResponse(kSidSessionControl, kNrcSubFunctionNotSupportedInSession);
  }
  // ISO 14229-1 9.2.1: every session transition locks security again (except to itself).
  if (target != session_ || target == kSessionDefault) {
    unlocked_level_ = 0;
    seed_level_ = 0;
  }
  session_ = target;
  const uint16_t p2 = config_.p2_server_max_ms;
  const uint16_t p2_star = static_cast<uint16_t>(config_.p2_star_server_max_ms / 10);
  return {0x50,
          target,
          static_cast<uint8_t>(p2 >> 8),
          static_cast<uint8_t>(p2),
          static_cast<uint8_t>(p2_star >> 8),
          static_cast<uint8_t>(p2_star)};
}

Bytes UdsServer::EcuReset(core::TimePoint now, Req req, bool& reset) {
  if (req.size() != 2) return NegativeResponse(kSidEcuReset, kNrcIncorrectMessageLength);
  const uint8_t type = req[1] & 0x7F;
  // 01 hardReset, 02 keyOffOnReset, 03 softReset; 04/05 (rapid power shutdown) unsupported.
  if (type < 0x01 || type > 0x03) {
    return NegativeResponse(kSidEcuReset, kNrcSubFunctionNotSupported);
  }
  reset = true;
  EnterDefaultSession();
  return {0x51, type};
}

std::optional<Bytes> UdsServer::DidValue(uint16_t did) {
  if (did == kDidActiveSession) {
    auto it = config_.dids.find(did);
    if (it == config_.dids.end()) return Bytes{session_};
  }
  auto it = config_.dids.find(did);
  if (it == config_.dids.end()) return std::nullopt;
  return it->second.value;
}

Bytes UdsServer::ReadDataByIdentifier(Req req) {
  if (req.size() < 3 || (req.size() - 1) % 2 != 0) {
    return NegativeResponse(kSidReadDataByIdentifier, kNrcIncorrectMessageLength);
  }
  Bytes out{0x62};
  bool any = false;
  for (size_t i = 1; i + 1 < req.size(); i += 2) {
    const uint16_t did = static_cast<uint16_t>((req[i] << 8) | req[i + 1]);
    std::optional<Bytes> value = DidValue(did);
    if (!value) continue;  // ISO 14229-1 10.2.2: unsupported DIDs are skipped
    auto it = config_.dids.find(did);
    if (it != config_.dids.end() && it->second.read_security_level > unlocked_level_) {
      return NegativeResponse(kSidReadDataByIdentifier, kNrcSecurityAccessDenied);
    }
    out.push_back(req[i]);
    out.push_back(req[i + 1]);
    out.insert(out.end(), value->begin(), value->end());
    any = true;
  }
  if (!any) return NegativeResponse(kSidReadDataByIdentifier, kNrcRequestOutOfRange);
  return out;
}

Bytes UdsServer::WriteDataByIdentifier(Req req) {
  if (req.size() < 4)
    return NegativeResponse(kSidWriteDataByIdentifier, kNrcIncorrectMessageLength);
  const uint16_t did = static_cast<uint16_t>((req[1] << 8) | req[2]);
  auto it = config_.dids.find(did);
  if (it == config_.dids.end() || !it->second.writable) {
    return NegativeResponse(kSidWriteDataByIdentifier, kNrcRequestOutOfRange);
  }
  DidConfig& entry = it->second;
  if (req.size() - 3 != entry.value.size()) {
    return NegativeResponse(kSidWriteDataByIdentifier, kNrcIncorrectMessageLength);
  }
  if (entry.write_session != 0 && entry.write_session != session_) {
    return NegativeResponse(kSidWriteDataByIdentifier, kNrcConditionsNotCorrect);
  }
  if (entry.write_security_level > unlocked_level_) {
    return NegativeResponse(kSidWriteDataByIdentifier, kNrcSecurityAccessDenied);
  }
  entry.value.assign(req.begin() + 3, req.end());
  return {0x6E, req[1], req[2]};
}

Bytes UdsServer::ExpectedKey(std::span<const uint8_t> seed) const {
  Bytes key(seed.begin(), seed.end());
  const uint32_t c = config_.security_constant;
  const size_t n = key.size();
  switch (config_.algorithm) {
    case SecurityAlgorithm::kXor:
      for (size_t i = 0; i < n; ++i) key[i] ^= static_cast<uint8_t>(c >> (8 * (3 - i % 4)));
      break;
    case SecurityAlgorithm::kAdd: {
      unsigned carry = 0;
      for (size_t k = 0; k < n; ++k) {
        const size_t i = n - 1 - k;
        const unsigned addend = k < 4 ? static_cast<uint8_t>(c >> (8 * k)) : 0;
        const unsigned sum = key[i] + addend + carry;
        key[i] = static_cast<uint8_t>(sum);
        carry = sum >> 8;
      }
      break;
    }
    case SecurityAlgorithm::kComplement:
      for (auto& b : key) b = static_cast<uint8_t>(~b);
      break;
  }
  return key;
}

Bytes UdsServer::SecurityAccess(core::TimePoint now, Req req) {
  if (req.size() < 2) return NegativeResponse(kSidSecurityAccess, kNrcIncorrectMessageLength);
  const uint8_t sub = req[1] & 0x7F;
  const bool request_seed = (sub % 2) == 1;
  const uint8_t seed_sub = request_seed ? sub : static_cast<uint8_t>(sub - 1);
  if (sub == 0 || sub > 0x42 || !config_.security_levels.contains(seed_sub)) {
    return NegativeResponse(kSidSecurityAccess, kNrcSubFunctionNotSupported);
  }
  const uint8_t level = static_cast<uint8_t>((seed_sub + 1) / 2);
  if (request_seed) {
    if (req.size() != 2) return NegativeResponse(kSidSecurityAccess, kNrcIncorrectMessageLength);
    if (now < locked_until_) {
      return NegativeResponse(kSidSecurityAccess, kNrcRequiredTimeDelayNotExpired);
    }
    Bytes out{0x67, sub};
    if (unlocked_level_ == level) {
      // ISO 14229-1 9.4.2: an already unlocked level answers with an all-zero seed.
      out.resize(2 + config_.seed_length, 0);
      seed_level_ = 0;
      return out;
    }
    seed_.assign(config_.seed_length, 0);
    for (auto& b : seed_) b = static_cast<uint8_t>(rng_() % 255 + 1);
    seed_level_ = sub;
    out.insert(out.end(), seed_.begin(), seed_.end());
    return out;
  }
  if (req.size() != 2u + config_.seed_length) {
    return NegativeResponse(kSidSecurityAccess, kNrcIncorrectMessageLength);
  }
  if (seed_level_ != seed_sub) {
    return NegativeResponse(kSidSecurityAccess, kNrcRequestSequenceError);
  }
  seed_level_ = 0;
  Bytes expected = ExpectedKey(seed_);
  if (!std::equal(expected.begin(), expected.end(), req.begin() + 2)) {
    ++failed_attempts_;
    if (failed_attempts_ >= config_.max_attempts) {
      failed_attempts_ = 0;
      locked_until_ = now + config_.security_delay;
      return NegativeResponse(kSidSecurityAccess, kNrcExceededNumberOfAttempts);
    }
    return NegativeResponse(kSidSecurityAccess, kNrcInvalidKey);
  }
  failed_attempts_ = 0;
  unlocked_level_ = level;
  return {0x67, sub};
}

Bytes UdsServer::TesterPresent(Req req) {
  if (req.size() != 2) return NegativeResponse(kSidTesterPresent, kNrcIncorrectMessageLength);
  if ((req[1] & 0x7F) != 0x00) {
    return NegativeResponse(kSidTesterPresent, kNrcSubFunctionNotSupported);
  }
  return {0x7E, 0x00};
}

}  // namespace ecusim::doip
