#include "sim/observe/observation_bus.h"

#include <algorithm>

#include "absl/strings/match.h"

namespace ecusim::observe {

bool WatchFilter::Matches(const Observation& o) const {
  if (!ecu_ids.empty() && std::find(ecu_ids.begin(), ecu_ids.end(), o.ecu_id) == ecu_ids.end()) {
    return false;
  }
  if (kind_prefixes.empty()) return true;
  return std::any_of(kind_prefixes.begin(), kind_prefixes.end(),
                     [&](const std::string& p) { return absl::StartsWith(o.kind, p); });
}

size_t Watcher::Drain(size_t max, std::vector<Item>& out) {
  absl::MutexLock lock(&mu_);
  size_t n = 0;
  while (n < max && !queue_.empty()) {
    out.push_back(std::move(queue_.front()));
    queue_.pop_front();
    ++n;
  }
  if (queue_.empty()) armed_ = true;
  return n;
}

bool Watcher::Push(Item item, bool bounded) {
  std::function<void()> wake;
  {
    absl::MutexLock lock(&mu_);
    if (bounded && queue_.size() >= capacity_) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    queue_.push_back(std::move(item));
    if (armed_ && wakeup_) {
      armed_ = false;
      wake = wakeup_;
    }
  }
  if (wake) wake();
  return true;
}

void Watcher::SetWakeup(std::function<void()> wakeup) {
  absl::MutexLock lock(&mu_);
  wakeup_ = std::move(wakeup);
}

int ObservationBus::AddSnapshotSource(SnapshotSource source) {
  absl::MutexLock lock(&sources_mu_);
  int token = next_token_++;
  sources_.emplace(token, std::move(source));
  return token;
}

void ObservationBus::RemoveSnapshotSource(int token) {
  absl::MutexLock lock(&sources_mu_);
  sources_.erase(token);
}

void ObservationBus::Publish(Observation observation) {
  published_.fetch_add(1, std::memory_order_relaxed);
  if (!HasWatchers()) return;
  std::vector<std::shared_ptr<Watcher>> targets;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& w : watchers_) {
      if (w->filter().Matches(observation)) targets.push_back(w);
    }
  }
  for (size_t i = 0; i < targets.size(); ++i) {
    Watcher::Item item;
    item.observation = (i + 1 == targets.size()) ? std::move(observation) : observation;
    if (!targets[i]->Push(std::move(item), /*bounded=*/true) && drop_hook_) drop_hook_(1);
  }
}

std::shared_ptr<Watcher> ObservationBus::Watch(WatchFilter filter, size_t capacity,
                                               std::function<void()> wakeup) {
  auto watcher = std::make_shared<Watcher>(std::move(filter), std::max<size_t>(capacity, 1));
  // Changes that happen while the snapshot is taken must not be lost, so the watcher buffers
  // them from here on; they are queued behind the snapshot and the sync marker.
  auto pending = std::make_shared<Watcher>(watcher->filter(), watcher->capacity_);
  {
    absl::MutexLock lock(&mu_);
    watchers_.push_back(pending);
    watcher_count_.fetch_add(1);
  }
  std::vector<Observation> snapshot;
  {
    absl::MutexLock lock(&sources_mu_);
    for (auto& [token, source] : sources_) source(snapshot);
  }
  for (auto& o : snapshot) {
    o.snapshot = true;
    if (!watcher->filter().Matches(o)) continue;
    watcher->Push(Watcher::Item{Watcher::Item::Type::kObservation, std::move(o)},
                  /*bounded=*/false);
  }
  watcher->Push(Watcher::Item{Watcher::Item::Type::kSyncMarker, {}}, /*bounded=*/false);
  {
    // Swap the pending buffer for the real watcher atomically with respect to Publish.
    absl::MutexLock lock(&mu_);
    std::vector<Watcher::Item> buffered;
    pending->Drain(pending->capacity_, buffered);
    for (auto& item : buffered) watcher->Push(std::move(item), /*bounded=*/true);
    uint64_t lost = pending->dropped();
    watcher->dropped_.fetch_add(lost);
    if (lost > 0 && drop_hook_) drop_hook_(lost);
    std::replace(watchers_.begin(), watchers_.end(), pending, watcher);
  }
  watcher->SetWakeup(std::move(wakeup));
  return watcher;
}

void ObservationBus::Unwatch(const std::shared_ptr<Watcher>& watcher) {
  absl::MutexLock lock(&mu_);
  auto it = std::find(watchers_.begin(), watchers_.end(), watcher);
  if (it == watchers_.end()) return;
  watchers_.erase(it);
  watcher_count_.fetch_sub(1);
}

}  // namespace ecusim::observe
