// The time seam of the data plane. State machines never read a clock themselves: they take
// `now` as an argument; the transport glue asks a Clock. Tests use FakeClock.
#ifndef ECUSIM_SIM_CORE_CLOCK_H_
#define ECUSIM_SIM_CORE_CLOCK_H_

#include <atomic>
#include <chrono>

namespace ecusim::core {

using Duration = std::chrono::nanoseconds;
using TimePoint = std::chrono::time_point<std::chrono::steady_clock, Duration>;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;

  // The process-wide monotonic clock (std::chrono::steady_clock).
  static Clock& Real();
};

// A clock that only moves when told to. Thread-safe.
class FakeClock : public Clock {
 public:
  explicit FakeClock(TimePoint start = TimePoint(std::chrono::seconds(1000))) : now_(start) {}
  TimePoint Now() const override { return now_.load(); }
  void Advance(Duration d) { now_.store(now_.load() + d); }
  void Set(TimePoint t) { now_.store(t); }

 private:
  std::atomic<TimePoint> now_;
};

}  // namespace ecusim::core

#endif  // ECUSIM_SIM_CORE_CLOCK_H_
