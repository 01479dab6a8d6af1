#include "sim/someip/event_generator.h"

#include <cmath>
#include <cstring>

#include "absl/strings/str_format.h"

namespace ecusim::someip {

absl::Status ValidateGeneratorConfig(const GeneratorConfig& c) {
  if (c.period <= core::Duration::zero()) {
    return absl::InvalidArgumentError("generator.period_ms must be at least 1");
  }
  bool change = c.policy != GeneratorConfig::Policy::kCyclic;
  uint32_t min_size = change ? 16 : 8;
  if (c.payload_size < min_size || c.payload_size > 65000) {
    return absl::InvalidArgumentError(
        absl::StrFormat("generator.payload_size %d is outside %d-65000 (the payload carries an "
                        "8-byte sequence number%s)",
                        c.payload_size, min_size, change ? " and an 8-byte value" : ""));
  }
  if (c.burst == 0 || c.burst > 100000) {
    return absl::InvalidArgumentError(
        absl::StrFormat("generator.burst %d is outside 1-100000", c.burst));
  }
  if (c.policy == GeneratorConfig::Policy::kEpsilonChange && !(c.epsilon > 0)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("generator.epsilon %g must be positive for EPSILON_CHANGE", c.epsilon));
  }
  return absl::OkStatus();
}

EventGenerator::EventGenerator(uint16_t eventgroup_id, uint16_t event_id, GeneratorConfig config,
                               core::TimePoint now, uint64_t seed)
    : eventgroup_id_(eventgroup_id),
      event_id_(event_id),
      config_(config),
      next_due_(now + config.period),
      rng_(seed),
      payload_(config.payload_size, 0) {}

bool EventGenerator::Sample() {
  static constexpr double kSteps[] = {-0.5, 0, 0, 0.5};
  double before = value_;
  value_ += kSteps[rng_() & 3];
  switch (config_.policy) {
    case GeneratorConfig::Policy::kCyclic:
      return true;
    case GeneratorConfig::Policy::kOnChange:
      return value_ != before || !sent_any_;
    case GeneratorConfig::Policy::kEpsilonChange:
      return !sent_any_ || std::fabs(value_ - last_sent_value_) > config_.epsilon;
  }
  return true;
}

ByteSpan EventGenerator::FillPayload() {
  uint64_t seq = ++sent_;
  for (int i = 0; i < 8; ++i) payload_[i] = static_cast<uint8_t>(seq >> (56 - 8 * i));
  if (config_.policy != GeneratorConfig::Policy::kCyclic) {
    uint64_t bits;
    std::memcpy(&bits, &value_, 8);
    for (int i = 0; i < 8; ++i) payload_[8 + i] = static_cast<uint8_t>(bits >> (56 - 8 * i));
    last_sent_value_ = value_;
    sent_any_ = true;
  }
  return payload_;
}

}  // namespace ecusim::someip
