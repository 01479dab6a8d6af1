#include "sim/ecu/ecu_registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/synchronization/notification.h"

namespace ecusim::ecu {
namespace {

using testing::HasSubstr;

class RecordingComponent : public EcuComponent {
 public:
  explicit RecordingComponent(std::vector<std::string>* log) : log_(log) {}
  void Shutdown() override {
    static absl::Mutex mu;  // components of different ECUs shut down on different shards
    absl::MutexLock lock(&mu);
    log_->push_back("shutdown");
  }

 private:
  std::vector<std::string>* log_;
};

class EcuRegistryTest : public testing::Test {
 protected:
  EcuRegistryTest() { shards_.Start(); }
  observe::Hub hub_;
  core::ShardPool shards_{2};
  EcuRegistry registry_{shards_, hub_};
};

TEST_F(EcuRegistryTest, CreateFindListDelete) {
  ASSERT_TRUE(registry_.Create({"brake", "127.0.0.2", "", {}}).ok());
  ASSERT_TRUE(registry_.Create({"abs", "::1", "", {}}).ok());
  EXPECT_NE(registry_.Find("brake"), nullptr);
  auto all = registry_.List();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0]->id(), "abs");  // sorted by id
  absl::Notification done;
  ASSERT_TRUE(registry_.Delete("brake", [&] { done.Notify(); }).ok());
  EXPECT_EQ(registry_.Find("brake"), nullptr);
  done.WaitForNotification();
  EXPECT_EQ(registry_.size(), 1u);
}

TEST_F(EcuRegistryTest, DuplicateIdIsAlreadyExists) {
  ASSERT_TRUE(registry_.Create({"brake", "127.0.0.2", "", {}}).ok());
  auto again = registry_.Create({"brake", "127.0.0.3", "", {}});
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(again.status().message()), HasSubstr("\"brake\""));
}

TEST_F(EcuRegistryTest, BadIdentityIsInvalidArgumentNamingFieldAndValue) {
  struct Case {
    EcuIdentity identity;
    std::string expect;
  } cases[] = {
      {{"Brake", "127.0.0.2", "", {}}, "ecu.id \"Brake\""},
      {{"", "127.0.0.2", "", {}}, "ecu.id \"\""},
      {{std::string(64, 'a'), "127.0.0.2", "", {}}, "ecu.id"},
      {{"brake", "", "", {}}, "ecu.address is required"},
      {{"brake", "127.0.0.300", "", {}}, "ecu.address \"127.0.0.300\""},
      {{"brake", "224.0.0.1", "", {}}, "not a unicast address"},
      {{"brake", "0.0.0.0", "", {}}, "not a unicast address"},
      {{"brake", "255.255.255.255", "", {}}, "not a unicast address"},
      {{"brake", "127.0.0.2", "nosuchif0", {}}, "ecu.interface \"nosuchif0\""},
  };
  for (const auto& c : cases) {
    auto made = registry_.Create(c.identity);
    EXPECT_EQ(made.status().code(), absl::StatusCode::kInvalidArgument) << c.expect;
    EXPECT_THAT(std::string(made.status().message()), HasSubstr(c.expect));
  }
  EXPECT_EQ(registry_.size(), 0u);
}

TEST_F(EcuRegistryTest, DeleteShutsComponentsDownOnTheShardAndUnknownIsNotFound) {
  std::vector<std::string> log;
  ASSERT_TRUE(registry_.Create({"brake", "127.0.0.2", "", {}}).ok());
  absl::Notification set;
  registry_.RunOn(
      "brake",
      [&](Ecu& ecu) {
        EXPECT_TRUE(ecu.shard().InShardThread());
        ecu.set_component("test", std::make_unique<RecordingComponent>(&log));
        return absl::OkStatus();
      },
      [&](absl::Status s) {
        EXPECT_TRUE(s.ok());
        set.Notify();
      });
  set.WaitForNotification();
  absl::Notification deleted;
  ASSERT_TRUE(registry_.Delete("brake", [&] { deleted.Notify(); }).ok());
  deleted.WaitForNotification();
  EXPECT_EQ(log, std::vector<std::string>{"shutdown"});
  EXPECT_EQ(registry_.Delete("brake", nullptr).code(), absl::StatusCode::kNotFound);
}

TEST_F(EcuRegistryTest, RunOnUnknownEcuIsNotFound) {
  absl::Status got;
  registry_.RunOn(
      "ghost", [](Ecu&) { return absl::OkStatus(); }, [&](absl::Status s) { got = s; });
  EXPECT_EQ(got.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(got.message()), HasSubstr("\"ghost\""));
}

TEST_F(EcuRegistryTest, RunOnAndWaitReturnsAfterFnRanOnTheShard) {
  ASSERT_TRUE(registry_.Create({"brake", "127.0.0.2", "", {}}).ok());
  bool ran_on_shard = false;
  absl::Status s = registry_.RunOnAndWait("brake", [&](Ecu& ecu) {
    ran_on_shard = ecu.shard().InShardThread();
    return absl::FailedPreconditionError("from fn");
  });
  EXPECT_TRUE(ran_on_shard);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(registry_.RunOnAndWait("ghost", [](Ecu&) { return absl::OkStatus(); }).code(),
            absl::StatusCode::kNotFound);
}

TEST_F(EcuRegistryTest, WatchersSeeCreateAndDeleteAndTheGauge) {
  auto w = hub_.bus.Watch({}, 64, nullptr);
  ASSERT_TRUE(registry_.Create({"brake", "127.0.0.2", "", {}}).ok());
  absl::Notification deleted;
  ASSERT_TRUE(registry_.Delete("brake", [&] { deleted.Notify(); }).ok());
  deleted.WaitForNotification();
  std::vector<observe::Watcher::Item> items;
  w->Drain(100, items);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[1].observation.kind, "ecu.created");
  EXPECT_EQ(items[1].observation.resource, "ecus/brake");
  EXPECT_EQ(items[2].observation.kind, "ecu.deleted");
}

TEST_F(EcuRegistryTest, ShutdownAllShutsEveryComponent) {
  std::vector<std::string> log;
  for (std::string id : {"a", "b", "c"}) {
    ASSERT_TRUE(registry_.Create({id, "127.0.0.2", "", {}}).ok());
    absl::Notification set;
    registry_.RunOn(
        id,
        [&](Ecu& ecu) {
          ecu.set_component("test", std::make_unique<RecordingComponent>(&log));
          return absl::OkStatus();
        },
        [&](absl::Status) { set.Notify(); });
    set.WaitForNotification();
  }
  registry_.ShutdownAll();
  EXPECT_EQ(log.size(), 3u);
  EXPECT_EQ(registry_.size(), 0u);
}

}  // namespace
}  // namespace ecusim::ecu
