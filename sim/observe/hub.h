// What every data-plane module reports into: the observation bus, the metrics registry and
// the clock. One per process (one per test in tests).
#ifndef ECUSIM_SIM_OBSERVE_HUB_H_
#define ECUSIM_SIM_OBSERVE_HUB_H_

#include "sim/core/clock.h"
#include "sim/observe/metrics.h"
#include "sim/observe/observation_bus.h"

namespace ecusim::observe {

struct Hub {
  explicit Hub(core::Clock& clock = core::Clock::Real()) : clock(clock) {
    auto& dropped = metrics
                        .Counters("ecusim_observations_dropped_total",
                                  "Observations dropped because a watcher's queue was full.")
                        .Add({});
    bus.SetDropHook([&dropped](uint64_t n) { dropped.Increment(static_cast<double>(n)); });
  }
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  core::Clock& clock;
  Metrics metrics;
  ObservationBus bus;
};

}  // namespace ecusim::observe

#endif  // ECUSIM_SIM_OBSERVE_HUB_H_
