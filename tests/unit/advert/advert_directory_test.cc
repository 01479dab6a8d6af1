#include "sim/advert/advert_directory.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <set>

#include "tests/unit/advert/test_util.h"

namespace ecusim::advert {
namespace {

namespace fs = std::filesystem;
using ::ecusim::advert::testing::ReadRaw;
using ::ecusim::advert::testing::Record;
using ::ecusim::advert::testing::ScratchDir;
using ::ecusim::advert::testing::WriteRaw;
using ::testing::HasSubstr;

constexpr int64_t kLivePid = 4242;
constexpr int64_t kDeadPid = 4343;

DirectoryOptions FakeLiveness(
    std::chrono::milliseconds lock_timeout = std::chrono::milliseconds(250)) {
  DirectoryOptions o;
  o.lock_timeout = lock_timeout;
  o.is_alive = [](int64_t pid) { return pid != kDeadPid; };
  return o;
}

std::set<std::string> Names(const std::string& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  return names;
}

TEST(AdvertDirectory, PublishWritesBpodLayoutAndRoundTrips) {
  ScratchDir scratch;
  AdvertDirectory dir(scratch.root(), FakeLiveness());
  AdvertRecord r = Record("brake someip", "service_type.local", kLivePid, {{"ecu", "brake"}});
  auto path = dir.Publish(r);
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(*path, scratch.root() + "/service_type_local/" + r.uuid.Hex() + ".json");
  EXPECT_EQ(ReadRaw(*path), EncodeAdvertFile(r));
  // Only the .json remains: the .tmp was renamed, no lock is taken on write.
  EXPECT_EQ(Names(scratch.root() + "/service_type_local"),
            std::set<std::string>{r.uuid.Hex() + ".json"});

  ScanStats stats;
  auto found = dir.Discover("service_type.local", {}, stats);
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].path, *path);
  EXPECT_EQ((*found)[0].record.service_name, "brake someip");
  EXPECT_EQ((*found)[0].record.uuid, r.uuid);
  EXPECT_EQ((*found)[0].record.properties, r.properties);
  // The type is sanitized, so a differently spelled type with the same directory finds it.
  EXPECT_EQ(dir.Discover("service_type/local", {}, stats)->size(), 1u);
  EXPECT_EQ(dir.Discover("other", {}, stats)->size(), 0u);  // missing dir: nothing
}

TEST(AdvertDirectory, WithdrawRemovesFileLockAndPrunesUpToRoot) {
  ScratchDir scratch;
  AdvertDirectory dir(scratch.root(), FakeLiveness());
  AdvertRecord a = Record("a", "bpod", kLivePid);
  AdvertRecord b = Record("b", "bpod", kLivePid);
  std::string pa = *dir.Publish(a);
  std::string pb = *dir.Publish(b);
  ScanStats stats;
  ASSERT_EQ(dir.Discover("bpod", {}, stats)->size(), 2u);  // readers leave .lock files
  ASSERT_TRUE(fs::exists(SidecarPath(pa, ".lock")));

  ASSERT_TRUE(dir.Withdraw(pa).ok());
  EXPECT_FALSE(fs::exists(pa));
  EXPECT_FALSE(fs::exists(SidecarPath(pa, ".lock")));
  EXPECT_TRUE(fs::exists(pb));  // the directory still holds b: not pruned

  ASSERT_TRUE(dir.Withdraw(pb).ok());
  EXPECT_FALSE(fs::exists(scratch.root() + "/bpod"));
  EXPECT_FALSE(fs::exists(scratch.root()));  // remove_root=True as bpod-core
  EXPECT_TRUE(fs::exists(scratch.path()));
  EXPECT_TRUE(dir.Withdraw(pb).ok());  // already gone: fine
}

TEST(AdvertDirectory, PruneStopsAtANonEmptyRoot) {
  ScratchDir scratch;
  AdvertDirectory dir(scratch.root(), FakeLiveness());
  std::string pa = *dir.Publish(Record("a", "one", kLivePid));
  std::string pb = *dir.Publish(Record("b", "two", kLivePid));
  ASSERT_TRUE(dir.Withdraw(pa).ok());
  EXPECT_FALSE(fs::exists(scratch.root() + "/one"));
  EXPECT_TRUE(fs::exists(scratch.root() + "/two"));
  EXPECT_TRUE(fs::exists(pb));
}

TEST(AdvertDirectory, DiscoverFiltersBySubset) {
  ScratchDir scratch;
  AdvertDirectory dir(scratch.root(), FakeLiveness());
  dir.Publish(Record("a", "bpod", kLivePid, {{"ecu", "brake"}, {"proto", "someip"}})).IgnoreError();
  dir.Publish(Record("b", "bpod", kLivePid, {{"ecu", "gateway"}, {"opt", std::nullopt}}))
      .IgnoreError();
  ScanStats stats;
  auto names = [&](const Properties& filter) {
    std::set<std::string> out;
    auto found = dir.Discover("bpod", filter, stats);
    for (const auto& f : *found) out.insert(f.record.service_name);
    return out;
  };
  EXPECT_EQ(names({}), (std::set<std::string>{"a", "b"}));
  EXPECT_EQ(names({{"ecu", "brake"}}), std::set<std::string>{"a"});
  EXPECT_EQ(names({{"ecu", "brake"}, {"proto", "doip"}}), std::set<std::string>{});
  EXPECT_EQ(names({{"opt", std::nullopt}}), (std::set<std::string>{"a", "b"}));  // None rule
  EXPECT_EQ(names({{"proto", std::nullopt}}), std::set<std::string>{"b"});
}

TEST(AdvertDirectory, DiscoverRemovesStaleFiles) {
  ScratchDir scratch;
  AdvertDirectory dir(scratch.root(), FakeLiveness());
  std::string live = *dir.Publish(Record("live", "bpod", kLivePid));
  std::string dead = *dir.Publish(Record("dead", "bpod", kDeadPid));
  ScanStats stats;
  auto found = dir.Discover("bpod", {}, stats);
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].record.service_name, "live");
  EXPECT_EQ(stats.stale_removed, 1u);
  EXPECT_FALSE(fs::exists(dead));
  EXPECT_FALSE(fs::exists(SidecarPath(dead, ".lock")));
  EXPECT_TRUE(fs::exists(live));
}

TEST(AdvertDirectory, RealLivenessUsesKillZero) {
  EXPECT_TRUE(ProcessAlive(::getpid()));
  EXPECT_TRUE(ProcessAlive(1));  // exists; EPERM counts as alive for non-root
  EXPECT_FALSE(ProcessAlive(-5));
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ASSERT_GT(child, 0);
  ::waitpid(child, nullptr, 0);
  EXPECT_FALSE(ProcessAlive(child));  // reaped: gone (pid reuse within the test is unlikely)

  ScratchDir scratch;
  AdvertDirectory dir(scratch.root());
  AdvertRecord r = Record("crashed", "bpod", child);
  std::string path = *dir.Publish(r);
  ScanStats stats;
  EXPECT_TRUE(dir.Discover("bpod", {}, stats)->empty());
  EXPECT_EQ(stats.stale_removed, 1u);
  EXPECT_FALSE(fs::exists(path));
}

TEST(AdvertDirectory, CorruptFilesAreSkippedAndLeftAlone) {
  ScratchDir scratch;
  AdvertDirectory dir(scratch.root(), FakeLiveness());
  std::string good = *dir.Publish(Record("good", "bpod", kLivePid));
  const std::string type_dir = scratch.root() + "/bpod";
  const std::string corrupt[] = {"{\"service_name\":", "not json at all", "[]", "",
                                 R"({"service_name":"x","pid":"1"})"};
  int i = 0;
  for (const std::string& content : corrupt) {
    WriteRaw(type_dir + "/corrupt" + std::to_string(i++) + ".json", content);
  }
  WriteRaw(type_dir + "/ignored.tmp", "{");   // not *.json: not even looked at
  WriteRaw(type_dir + "/.hidden.json", "{");  // glob('*.json') skips dot files
  fs::create_directories(type_dir + "/adir.json");

  ScanStats stats;
  auto found = dir.Discover("bpod", {}, stats);
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].path, good);
  EXPECT_EQ(stats.corrupt_skipped, 5u);
  EXPECT_EQ(stats.stale_removed, 0u);
  for (int k = 0; k < 5; ++k) {
    EXPECT_TRUE(fs::exists(type_dir + "/corrupt" + std::to_string(k) + ".json"));
  }
}

TEST(AdvertDirectory, HeldLockMeansBoundedWaitThenSkip) {
  ScratchDir scratch;
  AdvertDirectory dir(scratch.root(), FakeLiveness(std::chrono::milliseconds(100)));
  std::string held = *dir.Publish(Record("held", "bpod", kLivePid));
  std::string free = *dir.Publish(Record("free", "bpod", kLivePid));
  // Another open file description holding LOCK_EX, as a peer stuck in close() would.
  const int fd = ::open(SidecarPath(held, ".lock").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);

  ScanStats stats;
  const auto start = std::chrono::steady_clock::now();
  auto found = dir.Discover("bpod", {}, stats);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].path, free);
  EXPECT_EQ(stats.lock_timeouts, 1u);
  EXPECT_GE(took, std::chrono::milliseconds(100));
  EXPECT_LT(took, std::chrono::seconds(2));
  EXPECT_TRUE(fs::exists(held));

  ::flock(fd, LOCK_UN);
  ::close(fd);
  stats = {};
  EXPECT_EQ(dir.Discover("bpod", {}, stats)->size(), 2u);
  EXPECT_EQ(stats.lock_timeouts, 0u);
}

TEST(AdvertDirectory, UnwritableDirectoryIsFailedPreconditionWithPath) {
  ScratchDir scratch;
  // A regular file where the root directory should be: no user can create below it.
  WriteRaw(scratch.path() + "/blocker", "x");
  AdvertDirectory blocked(scratch.path() + "/blocker/LocalServiceAdvertisements");
  auto path = blocked.Publish(Record("a", "bpod", kLivePid));
  ASSERT_FALSE(path.ok());
  EXPECT_EQ(path.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(path.status().message()),
              HasSubstr(scratch.path() + "/blocker/LocalServiceAdvertisements/bpod"));
}

TEST(AdvertDirectory, ReadOnlyDirectoryIsFailedPreconditionWithPath) {
  ScratchDir scratch;
  const std::string root = scratch.path() + "/ro/LocalServiceAdvertisements";
  fs::create_directories(root + "/bpod");
  ::chmod((root + "/bpod").c_str(), 0555);
  // Root ignores directory permissions: try as an unprivileged user in a child then.
  const pid_t child = ::fork();
  if (child == 0) {
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(3);
    auto path = AdvertDirectory(root).Publish(Record("a", "bpod", kLivePid));
    if (path.ok()) ::_exit(1);
    const std::string msg(path.status().message());
    const bool named = msg.find(root + "/bpod") != std::string::npos;
    ::_exit(path.status().code() == absl::StatusCode::kFailedPrecondition && named ? 0 : 2);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ::chmod((root + "/bpod").c_str(), 0755);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: published anyway, 2: wrong status, 3: setuid failed";
}

TEST(AdvertDirectory, DiscoverRejectsTypesThatNameNothing) {
  ScratchDir scratch;
  AdvertDirectory dir(scratch.root(), FakeLiveness());
  ScanStats stats;
  EXPECT_EQ(dir.Discover("", {}, stats).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(dir.Discover("..", {}, stats).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(AdvertDirectory, ScanAllSeesEveryTypeAndCountsCorruptOnce) {
  ScratchDir scratch;
  AdvertDirectory dir(scratch.root(), FakeLiveness());
  std::string a = *dir.Publish(Record("a", "one", kLivePid));
  std::string b = *dir.Publish(Record("b", "two", kLivePid));
  std::string dead = *dir.Publish(Record("dead", "two", kDeadPid));
  WriteRaw(scratch.root() + "/two/bad.json", "{");
  ScanCache cache;
  ScanStats stats;
  dir.ScanAll(cache, stats);
  EXPECT_EQ(stats.corrupt_skipped, 1u);
  EXPECT_EQ(stats.stale_removed, 1u);
  EXPECT_FALSE(fs::exists(dead));
  std::set<std::string> live;
  for (const auto& [path, e] : cache.entries) {
    if (e.record) live.insert(path);
  }
  EXPECT_EQ(live, (std::set<std::string>{a, b}));
  stats = {};
  dir.ScanAll(cache, stats);  // unchanged corrupt file: not counted again
  EXPECT_EQ(stats.corrupt_skipped, 0u);
  fs::remove(a);
  dir.ScanAll(cache, stats);
  EXPECT_EQ(cache.entries.count(a), 0u);
}

}  // namespace
}  // namespace ecusim::advert
