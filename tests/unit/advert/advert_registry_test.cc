#include "sim/advert/advert_registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "tests/unit/advert/test_util.h"

namespace ecusim::advert {
namespace {

namespace fs = std::filesystem;
using ::ecusim::advert::testing::ReadRaw;
using ::ecusim::advert::testing::Record;
using ::ecusim::advert::testing::ScratchDir;
using ::ecusim::advert::testing::WriteRaw;
using ::testing::HasSubstr;

double Value(observe::Hub& hub, const std::string& name) {
  for (const auto& family : hub.metrics.registry()->Collect()) {
    if (family.name != name || family.metric.empty()) continue;
    const auto& m = family.metric[0];
    return family.type == prometheus::MetricType::Gauge ? m.gauge.value : m.counter.value;
  }
  return -1;
}

class AdvertRegistryTest : public ::testing::Test {
 protected:
  AdvertRegistryTest() {
    RegistryOptions o;
    o.root = {scratch_.root(), "--advert_dir"};
    o.start_watcher = false;
    registry_ = std::make_unique<AdvertRegistry>(hub_, o);
  }
  std::vector<observe::Observation> Drain(const std::shared_ptr<observe::Watcher>& w) {
    std::vector<observe::Watcher::Item> items;
    w->Drain(1000, items);
    std::vector<observe::Observation> out;
    for (auto& i : items) {
      if (i.type == observe::Watcher::Item::Type::kObservation) out.push_back(i.observation);
    }
    return out;
  }

  ScratchDir scratch_;
  observe::Hub hub_;
  std::unique_ptr<AdvertRegistry> registry_;
};

TEST_F(AdvertRegistryTest, RegisterOwnsAFileWithOurPidUntilUnregister) {
  AdvertRecord r = Record("ecusim control", "ecusim", 0, {{"version", "0.1.0"}});
  auto owned = registry_->Register(r, std::nullopt, "");
  ASSERT_TRUE(owned.ok()) << owned.status();
  EXPECT_EQ(owned->record.pid, ::getpid());
  EXPECT_EQ(owned->path, scratch_.root() + "/ecusim/" + owned->record.uuid.Hex() + ".json");
  EXPECT_EQ(ReadRaw(owned->path), EncodeAdvertFile(owned->record));
  EXPECT_EQ(registry_->List().size(), 1u);
  EXPECT_EQ(Value(hub_, "ecusim_advertisements"), 1);

  auto found = registry_->Discover("ecusim", {{"version", "0.1.0"}});
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1u);

  ASSERT_TRUE(registry_->Unregister(owned->record.uuid).ok());
  EXPECT_FALSE(fs::exists(owned->path));
  EXPECT_FALSE(fs::exists(scratch_.root()));
  EXPECT_EQ(Value(hub_, "ecusim_advertisements"), 0);
  absl::Status again = registry_->Unregister(owned->record.uuid);
  EXPECT_EQ(again.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(again.message()), HasSubstr(owned->record.uuid.Hyphenated()));
}

TEST_F(AdvertRegistryTest, CallerUuidIsKeptAndDuplicatesRefused) {
  const Uuid uuid = *Uuid::Parse("0f0e0d0c-0b0a-4908-8706-050403020100");
  auto owned = registry_->Register(Record("a", "bpod", 0), uuid);
  ASSERT_TRUE(owned.ok());
  EXPECT_EQ(owned->record.uuid, uuid);
  auto dup = registry_->Register(Record("b", "other", 0), uuid);
  EXPECT_EQ(dup.status().code(), absl::StatusCode::kAlreadyExists);

  // A live peer's file with the uuid we ask for.
  AdvertRecord peer = Record("peer", "bpod", 1);  // pid 1 is alive
  WriteRaw(scratch_.root() + "/bpod/" + peer.uuid.Hex() + ".json", EncodeAdvertFile(peer));
  auto taken = registry_->Register(Record("mine", "bpod", 0), peer.uuid);
  EXPECT_EQ(taken.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(taken.status().message()), HasSubstr("pid 1"));
}

TEST_F(AdvertRegistryTest, UpdateRewritesInPlace) {
  auto owned = registry_->Register(Record("ecusimd", "ecusim", 0, {{"ecus", "a"}}), std::nullopt);
  ASSERT_TRUE(owned.ok());
  registry_->watcher().ScanNow();
  auto w = hub_.bus.Watch({{"advert."}, {}}, 100, [] {});
  Drain(w);
  AdvertRecord next = owned->record;
  next.properties["ecus"] = "a,b";
  auto updated = registry_->Update(owned->record.uuid, next);
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(updated->path, owned->path);
  EXPECT_EQ(ParseAdvertFile(ReadRaw(owned->path))->properties.at("ecus"), "a,b");
  registry_->watcher().ScanNow();
  auto seen = Drain(w);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].kind, "advert.updated");
  hub_.bus.Unwatch(w);
  EXPECT_EQ(registry_->Update(Uuid::Random(), next).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(AdvertRegistryTest, InvalidInputIsRefusedAndCounted) {
  AdvertRecord r = Record("", "bpod", 0);
  auto s = registry_->Register(r, std::nullopt);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("service_name"));
  EXPECT_FALSE(fs::exists(scratch_.root()));
  EXPECT_EQ(Value(hub_, "ecusim_advert_rejected_total"), 1);
}

TEST_F(AdvertRegistryTest, UnregisterEcuAndAllWithdrawOnlyWhatTheyShould) {
  auto a = registry_->Register(Record("a", "someip", 0), std::nullopt, "brake");
  auto b = registry_->Register(Record("b", "doip", 0), std::nullopt, "brake");
  auto c = registry_->Register(Record("c", "doip", 0), std::nullopt, "gateway");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(registry_->ListEcu("brake").size(), 2u);
  registry_->UnregisterEcu("brake");
  EXPECT_FALSE(fs::exists(a->path));
  EXPECT_FALSE(fs::exists(b->path));
  EXPECT_TRUE(fs::exists(c->path));
  registry_->Close();
  EXPECT_FALSE(fs::exists(c->path));
  EXPECT_TRUE(registry_->List().empty());
  EXPECT_EQ(Value(hub_, "ecusim_advertisements"), 0);
  EXPECT_EQ(registry_->Register(Record("late", "doip", 0), std::nullopt).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(AdvertRegistryTest, WatchSeesAddedAndRemovedWithSnapshot) {
  auto mine = registry_->Register(Record("mine", "ecusim", 0), std::nullopt, "brake");
  ASSERT_TRUE(mine.ok());
  registry_->watcher().ScanNow();

  auto w = hub_.bus.Watch({{"advert."}, {}}, 100, [] {});
  auto snapshot = Drain(w);
  ASSERT_EQ(snapshot.size(), 1u);
  EXPECT_TRUE(snapshot[0].snapshot);
  EXPECT_EQ(snapshot[0].kind, "advert.added");
  EXPECT_EQ(snapshot[0].ecu_id, "brake");
  EXPECT_EQ(snapshot[0].resource, "advertisements/" + mine->record.uuid.Hyphenated());

  AdvertRecord other = Record("bpod 1", "bpod", 1, {{"k", "v"}});
  const std::string path = scratch_.root() + "/bpod/" + other.uuid.Hex() + ".json";
  WriteRaw(path, EncodeAdvertFile(other));
  registry_->watcher().ScanNow();
  fs::remove(path);
  registry_->watcher().ScanNow();
  ASSERT_TRUE(registry_->Unregister(mine->record.uuid).ok());
  registry_->watcher().ScanNow();
  auto seen = Drain(w);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[2].kind, "advert.removed");
  EXPECT_EQ(seen[2].ecu_id, "brake");  // still named after Unregister
  EXPECT_EQ(seen[0].kind, "advert.added");
  EXPECT_EQ(seen[1].kind, "advert.removed");
  EXPECT_EQ(seen[0].ecu_id, "");
  EXPECT_THAT(seen[0].attributes,
              ::testing::Contains(std::make_pair(std::string("properties.k"), std::string("v"))));
  EXPECT_THAT(seen[0].attributes,
              ::testing::Contains(std::make_pair(std::string("owned"), std::string("false"))));
  hub_.bus.Unwatch(w);
}

TEST_F(AdvertRegistryTest, StaleAndCorruptCounters) {
  AdvertRecord dead = Record("dead", "bpod", -7);  // negative pid: dead, as psutil says
  WriteRaw(scratch_.root() + "/bpod/" + dead.uuid.Hex() + ".json", EncodeAdvertFile(dead));
  WriteRaw(scratch_.root() + "/bpod/junk.json", "]");
  auto found = registry_->Discover("bpod", {});
  ASSERT_TRUE(found.ok());
  EXPECT_TRUE(found->empty());
  EXPECT_EQ(Value(hub_, "ecusim_advert_stale_removed_total"), 1);
  EXPECT_EQ(Value(hub_, "ecusim_advert_corrupt_skipped_total"), 1);
}

}  // namespace
}  // namespace ecusim::advert
