#include "sim/advert/advert_watcher.h"

#include "absl/time/time.h"

namespace ecusim::advert {

const char* AdvertEventKindName(AdvertEvent::Kind kind) {
  switch (kind) {
    case AdvertEvent::Kind::kAdded:
      return "added";
    case AdvertEvent::Kind::kUpdated:
      return "updated";
    case AdvertEvent::Kind::kRemoved:
      return "removed";
  }
  return "unknown";
}

bool operator==(const AdvertRecord& a, const AdvertRecord& b) {
  return a.service_name == b.service_name && a.service_type == b.service_type &&
         a.address == b.address && a.pid == b.pid && a.uuid == b.uuid &&
         a.properties == b.properties;
}

std::vector<AdvertEvent> DiffAdvertSets(const AdvertSet& before, const AdvertSet& after) {
  std::vector<AdvertEvent> events;
  auto b = before.begin();
  auto a = after.begin();
  while (b != before.end() || a != after.end()) {
    if (a == after.end() || (b != before.end() && b->first < a->first)) {
      events.push_back({AdvertEvent::Kind::kRemoved, {b->second, b->first}});
      ++b;
    } else if (b == before.end() || a->first < b->first) {
      events.push_back({AdvertEvent::Kind::kAdded, {a->second, a->first}});
      ++a;
    } else {
      if (!(a->second == b->second)) {
        events.push_back({AdvertEvent::Kind::kUpdated, {a->second, a->first}});
      }
      ++a;
      ++b;
    }
  }
  return events;
}

AdvertWatcher::AdvertWatcher(const AdvertDirectory& directory, Listener listener,
                             std::chrono::milliseconds interval)
    : directory_(directory), listener_(std::move(listener)), interval_(interval) {}

AdvertWatcher::~AdvertWatcher() { Stop(); }

void AdvertWatcher::Start() {
  ScanNow();
  thread_ = std::thread([this] { Run(); });
}

void AdvertWatcher::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void AdvertWatcher::Poke() {
  absl::MutexLock lock(&mu_);
  poked_ = true;
}

AdvertSet AdvertWatcher::Current() const {
  absl::MutexLock lock(&mu_);
  return current_;
}

void AdvertWatcher::ScanNow() {
  absl::MutexLock scan_lock(&scan_mu_);
  ScanStats stats;
  directory_.ScanAll(cache_, stats);
  AdvertSet next;
  for (const auto& [path, entry] : cache_.entries) {
    if (entry.record) next.emplace(path, *entry.record);
  }
  std::vector<AdvertEvent> events;
  {
    absl::MutexLock lock(&mu_);
    events = DiffAdvertSets(current_, next);
    current_ = std::move(next);
  }
  // Under scan_mu_ so listeners see events in scan order.
  if (listener_) listener_(events, stats);
}

void AdvertWatcher::Run() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto wake = [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return stop_ || poked_; };
      mu_.AwaitWithTimeout(absl::Condition(&wake), absl::FromChrono(interval_));
      if (stop_) return;
      poked_ = false;
    }
    ScanNow();
  }
}

}  // namespace ecusim::advert
