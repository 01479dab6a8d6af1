// The bus behind ObserveService.Watch. A new watcher gets a snapshot of current state, then a
// sync marker, then changes. Each watcher has a bounded queue: when it is full, new changes
// are dropped and counted, never buffered without limit.
//
// Delivery is at-least-once around the sync marker: a change that happens while the snapshot
// is being taken may appear both in the snapshot and after the marker.
#ifndef ECUSIM_SIM_OBSERVE_OBSERVATION_BUS_H_
#define ECUSIM_SIM_OBSERVE_OBSERVATION_BUS_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "sim/observe/observation.h"

namespace ecusim::observe {

struct WatchFilter {
  // Empty = every kind. Otherwise the kind must start with one of these ("someip." or
  // "doip.routing_activation").
  std::vector<std::string> kind_prefixes;
  // Empty = every ECU. Otherwise the observation's ecu_id must be one of these.
  std::vector<std::string> ecu_ids;

  bool Matches(const Observation& o) const;
};

class Watcher {
 public:
  struct Item {
    enum class Type { kObservation, kSyncMarker };
    Type type = Type::kObservation;
    Observation observation;
  };

  Watcher(WatchFilter filter, size_t capacity) : filter_(std::move(filter)), capacity_(capacity) {}

  // Moves up to `max` queued items into `out`. When nothing is queued, the next Push calls the
  // wakeup function once (outside any lock). Returns the number of items moved.
  size_t Drain(size_t max, std::vector<Item>& out);

  // Observations dropped because the queue was full, since the watch started.
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

  const WatchFilter& filter() const { return filter_; }

 private:
  friend class ObservationBus;
  // Returns false when the queue was full and the item was dropped.
  bool Push(Item item, bool bounded);
  void SetWakeup(std::function<void()> wakeup);

  const WatchFilter filter_;
  const size_t capacity_;
  std::atomic<uint64_t> dropped_{0};
  absl::Mutex mu_;
  std::deque<Item> queue_ ABSL_GUARDED_BY(mu_);
  bool armed_ ABSL_GUARDED_BY(mu_) = true;
  std::function<void()> wakeup_ ABSL_GUARDED_BY(mu_);
};

class ObservationBus {
 public:
  // Appends observations describing current state (with snapshot = true) to `out`.
  using SnapshotSource = std::function<void(std::vector<Observation>& out)>;

  ObservationBus() = default;
  ObservationBus(const ObservationBus&) = delete;
  ObservationBus& operator=(const ObservationBus&) = delete;

  // Returns a token for RemoveSnapshotSource. Sources may take their own locks; they are never
  // called with the bus lock held.
  int AddSnapshotSource(SnapshotSource source);
  void RemoveSnapshotSource(int token);

  // Cheap check for hot paths: false when nobody watches, so building an observation can be
  // skipped altogether.
  bool HasWatchers() const { return watcher_count_.load(std::memory_order_relaxed) > 0; }

  void Publish(Observation observation);

  // Starts a watch: the snapshot and the sync marker are queued before this returns. `wakeup`
  // is called when items arrive for a watcher whose queue had been drained empty.
  std::shared_ptr<Watcher> Watch(WatchFilter filter, size_t capacity, std::function<void()> wakeup);
  void Unwatch(const std::shared_ptr<Watcher>& watcher);

  // Called with the number of observations dropped, each time a watcher drops one.
  void SetDropHook(std::function<void(uint64_t)> hook) { drop_hook_ = std::move(hook); }

  uint64_t published() const { return published_.load(std::memory_order_relaxed); }

 private:
  absl::Mutex mu_;
  std::list<std::shared_ptr<Watcher>> watchers_ ABSL_GUARDED_BY(mu_);
  std::atomic<int> watcher_count_{0};
  absl::Mutex sources_mu_;
  std::map<int, SnapshotSource> sources_ ABSL_GUARDED_BY(sources_mu_);
  int next_token_ ABSL_GUARDED_BY(sources_mu_) = 1;
  std::function<void(uint64_t)> drop_hook_;
  std::atomic<uint64_t> published_{0};
};

}  // namespace ecusim::observe

#endif  // ECUSIM_SIM_OBSERVE_OBSERVATION_BUS_H_
