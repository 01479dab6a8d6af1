#include "sim/advert/advert_watcher.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "absl/synchronization/notification.h"
#include "tests/unit/advert/test_util.h"

namespace ecusim::advert {
namespace {

namespace fs = std::filesystem;
using ::ecusim::advert::testing::Record;
using ::ecusim::advert::testing::ScratchDir;
using ::ecusim::advert::testing::WriteRaw;

constexpr int64_t kDeadPid = 4343;

DirectoryOptions FakeLiveness() {
  DirectoryOptions o;
  o.is_alive = [](int64_t pid) { return pid != kDeadPid; };
  return o;
}

TEST(DiffAdvertSets, AddedUpdatedRemoved) {
  AdvertRecord a = Record("a", "t", 1);
  AdvertRecord b = Record("b", "t", 1);
  AdvertRecord b2 = b;
  b2.properties["k"] = "v";
  AdvertRecord c = Record("c", "t", 1);
  const AdvertSet before = {{"/r/t/a.json", a}, {"/r/t/b.json", b}};
  const AdvertSet after = {{"/r/t/b.json", b2}, {"/r/t/c.json", c}};
  auto events = DiffAdvertSets(before, after);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].kind, AdvertEvent::Kind::kRemoved);
  EXPECT_EQ(events[0].advert.path, "/r/t/a.json");
  EXPECT_EQ(events[1].kind, AdvertEvent::Kind::kUpdated);
  EXPECT_EQ(events[1].advert.record.properties.at("k"), "v");
  EXPECT_EQ(events[2].kind, AdvertEvent::Kind::kAdded);
  EXPECT_EQ(events[2].advert.record.service_name, "c");
  EXPECT_TRUE(DiffAdvertSets(after, after).empty());
}

struct Recorded {
  std::vector<std::pair<std::string, std::string>> events;  // kind, service_name
  ScanStats stats;
};

TEST(AdvertWatcher, ReportsOtherProgramsFilesAppearingAndDisappearing) {
  ScratchDir scratch;
  AdvertDirectory dir(scratch.root(), FakeLiveness());
  Recorded rec;
  AdvertWatcher watcher(
      dir, [&rec](const std::vector<AdvertEvent>& events, const ScanStats& stats) {
        for (const auto& e : events) {
          rec.events.emplace_back(AdvertEventKindName(e.kind), e.advert.record.service_name);
        }
        rec.stats += stats;
      });
  watcher.ScanNow();  // no root yet: nothing, no error
  EXPECT_TRUE(rec.events.empty());

  // Written the way bpod-core writes it, without our Publish.
  AdvertRecord other = Record("bpod 3", "bpod", 777);
  const std::string path = scratch.root() + "/bpod/" + other.uuid.Hex() + ".json";
  WriteRaw(path, EncodeAdvertFile(other));
  watcher.ScanNow();
  ASSERT_EQ(rec.events.size(), 1u);
  EXPECT_EQ(rec.events[0], std::make_pair(std::string("added"), std::string("bpod 3")));
  EXPECT_EQ(watcher.Current().count(path), 1u);

  watcher.ScanNow();  // unchanged: no event
  EXPECT_EQ(rec.events.size(), 1u);

  fs::remove(path);
  watcher.ScanNow();
  ASSERT_EQ(rec.events.size(), 2u);
  EXPECT_EQ(rec.events[1], std::make_pair(std::string("removed"), std::string("bpod 3")));
  EXPECT_TRUE(watcher.Current().empty());
}

TEST(AdvertWatcher, StaleFilesAreRemovedAndNeverReportedLive) {
  ScratchDir scratch;
  AdvertDirectory dir(scratch.root(), FakeLiveness());
  Recorded rec;
  AdvertWatcher watcher(
      dir, [&rec](const std::vector<AdvertEvent>& events, const ScanStats& stats) {
        for (const auto& e : events) {
          rec.events.emplace_back(AdvertEventKindName(e.kind), e.advert.record.service_name);
        }
        rec.stats += stats;
      });
  std::string dead = *dir.Publish(Record("dead", "bpod", kDeadPid));
  WriteRaw(scratch.root() + "/bpod/corrupt.json", "{{");
  watcher.ScanNow();
  watcher.ScanNow();
  EXPECT_TRUE(rec.events.empty());
  EXPECT_FALSE(fs::exists(dead));
  EXPECT_EQ(rec.stats.stale_removed, 1u);
  EXPECT_EQ(rec.stats.corrupt_skipped, 1u);
}

TEST(AdvertWatcher, PollingThreadPicksUpChangesAndPokeIsImmediate) {
  ScratchDir scratch;
  AdvertDirectory dir(scratch.root(), FakeLiveness());
  absl::Mutex mu;
  std::vector<std::string> kinds;
  AdvertWatcher watcher(
      dir,
      [&](const std::vector<AdvertEvent>& events, const ScanStats&) {
        absl::MutexLock lock(&mu);
        for (const auto& e : events) kinds.push_back(AdvertEventKindName(e.kind));
      },
      std::chrono::hours(1));  // only pokes can wake it in this test
  watcher.Start();
  std::string path = *dir.Publish(Record("x", "bpod", 1));
  watcher.Poke();
  auto has = [&](size_t n) {
    return [&, n]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return kinds.size() >= n; };
  };
  {
    absl::MutexLock lock(&mu);
    auto cond = has(1);
    ASSERT_TRUE(mu.AwaitWithTimeout(absl::Condition(&cond), absl::Seconds(5)));
    EXPECT_EQ(kinds[0], "added");
  }
  ASSERT_TRUE(dir.Withdraw(path).ok());
  watcher.Poke();
  {
    absl::MutexLock lock(&mu);
    auto cond = has(2);
    ASSERT_TRUE(mu.AwaitWithTimeout(absl::Condition(&cond), absl::Seconds(5)));
    EXPECT_EQ(kinds[1], "removed");
  }
  watcher.Stop();
}

TEST(AdvertWatcher, InotifySeesAnotherProgramsFileWithoutPolling) {
  ScratchDir scratch;
  AdvertDirectory dir(scratch.root(), FakeLiveness());
  absl::Mutex mu;
  std::vector<std::string> kinds;
  AdvertWatcher watcher(
      dir,
      [&](const std::vector<AdvertEvent>& events, const ScanStats&) {
        absl::MutexLock lock(&mu);
        for (const auto& e : events) kinds.push_back(AdvertEventKindName(e.kind));
      },
      std::chrono::hours(1));  // no poll tick during the test: only inotify can wake it
  watcher.Start();             // the root does not exist yet: its parent is watched
  AdvertRecord other = Record("bpod 3", "bpod", 777);
  const std::string path = scratch.root() + "/bpod/" + other.uuid.Hex() + ".json";
  WriteRaw(path, EncodeAdvertFile(other));
  auto count_is = [&](size_t n) {
    return [&, n]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return kinds.size() >= n; };
  };
  {
    absl::MutexLock lock(&mu);
    // Root created, then the type directory, then the file: may take a rescan per level.
    auto cond = count_is(1);
    ASSERT_TRUE(mu.AwaitWithTimeout(absl::Condition(&cond), absl::Seconds(5)));
    EXPECT_EQ(kinds[0], "added");
  }
  fs::remove(path);
  {
    absl::MutexLock lock(&mu);
    auto cond = count_is(2);
    ASSERT_TRUE(mu.AwaitWithTimeout(absl::Condition(&cond), absl::Seconds(5)));
    EXPECT_EQ(kinds[1], "removed");
  }
  watcher.Stop();
}

}  // namespace
}  // namespace ecusim::advert
