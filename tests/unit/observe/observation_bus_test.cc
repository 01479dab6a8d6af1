#include "sim/observe/observation_bus.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <atomic>
#include <thread>

#include "sim/observe/hub.h"

namespace ecusim::observe {
namespace {

using Item = Watcher::Item;

Observation Obs(std::string kind, std::string ecu = "brake") {
  Observation o;
  o.kind = std::move(kind);
  o.ecu_id = std::move(ecu);
  return o;
}

std::vector<Item> DrainAll(Watcher& w) {
  std::vector<Item> out;
  w.Drain(1000000, out);
  return out;
}

TEST(ObservationBusTest, SnapshotThenSyncMarkerThenChanges) {
  ObservationBus bus;
  bus.AddSnapshotSource([](std::vector<Observation>& out) {
    out.push_back(Obs("ecu.created", "a"));
    out.push_back(Obs("ecu.created", "b"));
  });
  auto w = bus.Watch({}, 16, nullptr);
  bus.Publish(Obs("ecu.deleted", "a"));
  auto items = DrainAll(*w);
  ASSERT_EQ(items.size(), 4u);
  EXPECT_EQ(items[0].observation.ecu_id, "a");
  EXPECT_TRUE(items[0].observation.snapshot);
  EXPECT_EQ(items[1].observation.ecu_id, "b");
  EXPECT_EQ(items[2].type, Item::Type::kSyncMarker);
  EXPECT_EQ(items[3].observation.kind, "ecu.deleted");
  EXPECT_FALSE(items[3].observation.snapshot);
}

TEST(ObservationBusTest, RemovedSnapshotSourceIsNotAsked) {
  ObservationBus bus;
  int token = bus.AddSnapshotSource(
      [](std::vector<Observation>& out) { out.push_back(Obs("ecu.created")); });
  bus.RemoveSnapshotSource(token);
  auto w = bus.Watch({}, 16, nullptr);
  auto items = DrainAll(*w);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].type, Item::Type::kSyncMarker);
}

TEST(ObservationBusTest, BoundedQueueDropsAndCounts) {
  Hub hub;
  auto w = hub.bus.Watch({}, 3, nullptr);
  for (int i = 0; i < 10; ++i) hub.bus.Publish(Obs("someip.event.sent"));
  // The sync marker took one place; two changes fit, eight were dropped.
  EXPECT_EQ(w->dropped(), 8u);
  EXPECT_EQ(DrainAll(*w).size(), 3u);
  auto families = hub.metrics.registry()->Collect();
  std::string text = prometheus::TextSerializer().Serialize(families);
  EXPECT_THAT(text, testing::HasSubstr("ecusim_observations_dropped_total 8"));
  // After draining there is room again.
  hub.bus.Publish(Obs("someip.event.sent"));
  EXPECT_EQ(DrainAll(*w).size(), 1u);
  EXPECT_EQ(w->dropped(), 8u);
}

TEST(ObservationBusTest, FilterByKindPrefixAndEcu) {
  ObservationBus bus;
  WatchFilter filter;
  filter.kind_prefixes = {"someip."};
  filter.ecu_ids = {"brake"};
  auto w = bus.Watch(filter, 16, nullptr);
  bus.Publish(Obs("someip.offer.sent", "brake"));
  bus.Publish(Obs("someip.offer.sent", "gateway"));
  bus.Publish(Obs("doip.routing_activation", "brake"));
  auto items = DrainAll(*w);
  ASSERT_EQ(items.size(), 2u);  // sync + one match
  EXPECT_EQ(items[1].observation.kind, "someip.offer.sent");
  EXPECT_EQ(items[1].observation.ecu_id, "brake");
}

TEST(ObservationBusTest, WakeupOnceWhenDrainedQueueGetsItems) {
  ObservationBus bus;
  std::atomic<int> wakeups{0};
  auto w = bus.Watch({}, 16, [&] { ++wakeups; });
  DrainAll(*w);  // snapshot and sync gone: armed
  bus.Publish(Obs("a"));
  bus.Publish(Obs("b"));
  EXPECT_EQ(wakeups, 1);  // not once per item
  DrainAll(*w);
  bus.Publish(Obs("c"));
  EXPECT_EQ(wakeups, 2);
}

TEST(ObservationBusTest, UnwatchedWatcherGetsNothing) {
  ObservationBus bus;
  auto w = bus.Watch({}, 16, nullptr);
  EXPECT_TRUE(bus.HasWatchers());
  bus.Unwatch(w);
  EXPECT_FALSE(bus.HasWatchers());
  DrainAll(*w);
  bus.Publish(Obs("a"));
  EXPECT_TRUE(DrainAll(*w).empty());
}

TEST(ObservationBusTest, ConcurrentPublishersLoseNothingWithRoom) {
  ObservationBus bus;
  auto w = bus.Watch({}, 100000, nullptr);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) bus.Publish(Obs("x"));
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(DrainAll(*w).size(), 4001u);
  EXPECT_EQ(w->dropped(), 0u);
  EXPECT_EQ(bus.published(), 4000u);
}

}  // namespace
}  // namespace ecusim::observe
