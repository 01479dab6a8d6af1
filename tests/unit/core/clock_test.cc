#include "sim/core/clock.h"

#include <gtest/gtest.h>

#include <thread>

namespace ecusim::core {
namespace {

using std::chrono::milliseconds;

TEST(FakeClockTest, MovesOnlyWhenTold) {
  FakeClock clock;
  const TimePoint start = clock.Now();
  std::this_thread::sleep_for(milliseconds(5));
  EXPECT_EQ(clock.Now(), start);
  clock.Advance(milliseconds(250));
  EXPECT_EQ(clock.Now() - start, milliseconds(250));
  clock.Set(start + milliseconds(10));
  EXPECT_EQ(clock.Now() - start, milliseconds(10));
}

TEST(FakeClockTest, IsAClock) {
  FakeClock fake;
  Clock& clock = fake;
  const TimePoint t0 = clock.Now();
  fake.Advance(std::chrono::seconds(3));
  EXPECT_EQ(clock.Now() - t0, std::chrono::seconds(3));
}

TEST(RealClockTest, IsMonotonic) {
  Clock& clock = Clock::Real();
  TimePoint a = clock.Now();
  std::this_thread::sleep_for(milliseconds(2));
  TimePoint b = clock.Now();
  EXPECT_GE(b - a, milliseconds(2));
}

}  // namespace
}  // namespace ecusim::core
