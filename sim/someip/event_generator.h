// In-sim event generators (seed 003 section 4.3): cyclic, on-change and epsilon-change
// update policies. Every payload starts with a big-endian 64-bit sequence number (1, 2, ...)
// so a receiver can count loss; on-change and epsilon-change payloads carry the simulated
// signal value after it (big-endian IEEE 754 double).
#ifndef ECUSIM_SIM_SOMEIP_EVENT_GENERATOR_H_
#define ECUSIM_SIM_SOMEIP_EVENT_GENERATOR_H_

#include <cstdint>
#include <random>

#include "absl/status/status.h"
#include "sim/core/clock.h"
#include "sim/someip/header.h"

namespace ecusim::someip {

struct GeneratorConfig {
  enum class Policy { kCyclic, kOnChange, kEpsilonChange };
  Policy policy = Policy::kCyclic;
  // Cyclic: send period. On/epsilon change: the signal is sampled every period.
  core::Duration period = std::chrono::milliseconds(100);
  double epsilon = 0;
  uint32_t payload_size = 8;  // >= 8 (16 for the change policies)
  uint64_t count = 0;         // stop after this many events, 0 = never
  uint32_t burst = 1;         // events per period (cyclic)
};

absl::Status ValidateGeneratorConfig(const GeneratorConfig& c);

// One running generator. The simulated signal is a random walk: each sample moves by -1, 0,
// 0 or +1 (x 0.5), so on-change sends about half the samples and epsilon-change fewer.
class EventGenerator {
 public:
  EventGenerator(uint16_t eventgroup_id, uint16_t event_id, GeneratorConfig config,
                 core::TimePoint now, uint64_t seed);

  uint16_t eventgroup_id() const { return eventgroup_id_; }
  uint16_t event_id() const { return event_id_; }
  const GeneratorConfig& config() const { return config_; }
  core::TimePoint next_due() const { return next_due_; }
  bool done() const { return config_.count != 0 && sent_ >= config_.count; }
  uint64_t sent() const { return sent_; }

  // Runs the samples due at `now`, calling `emit(payload)` for each event to send. Returns
  // the number of events emitted. Catches up at most `max_periods` missed periods (a stalled
  // shard must not cause an unbounded burst).
  template <typename Emit>
  uint64_t Run(core::TimePoint now, Emit&& emit, int max_periods = 4) {
    uint64_t n = 0;
    int periods = 0;
    while (next_due_ <= now && !done()) {
      if (++periods > max_periods) {
        next_due_ = now + config_.period;  // skip the backlog instead of bursting
        break;
      }
      if (config_.policy == GeneratorConfig::Policy::kCyclic) {
        for (uint32_t i = 0; i < config_.burst && !done(); ++i) {
          emit(FillPayload());
          ++n;
        }
      } else if (Sample()) {
        emit(FillPayload());
        ++n;
      }
      next_due_ += config_.period;
    }
    return n;
  }

 private:
  // Advances the signal; true when the policy says to send.
  bool Sample();
  ByteSpan FillPayload();

  const uint16_t eventgroup_id_;
  const uint16_t event_id_;
  const GeneratorConfig config_;
  core::TimePoint next_due_;
  uint64_t sent_ = 0;
  double value_ = 0;
  double last_sent_value_ = 0;
  bool sent_any_ = false;
  std::mt19937_64 rng_;
  Bytes payload_;
};

}  // namespace ecusim::someip

#endif  // ECUSIM_SIM_SOMEIP_EVENT_GENERATOR_H_
