#include "sim/advert/advert_watcher.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>

#include "sim/advert/advert_notify.h"

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

namespace {

// Lets a burst of writes (a .tmp, then the rename) settle into one scan, and keeps a busy
// ancestor directory (watched while the root does not exist) from causing more than a few
// scans per second.
constexpr std::chrono::milliseconds kDebounce(20);
constexpr std::chrono::milliseconds kMinEventScanSpacing(200);

}  // namespace

AdvertWatcher::AdvertWatcher(const AdvertDirectory& directory, Listener listener,
                             std::chrono::milliseconds interval)
    : directory_(directory),
      listener_(std::move(listener)),
      interval_(interval),
      wake_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

AdvertWatcher::~AdvertWatcher() {
  Stop();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void AdvertWatcher::Start() {
  ScanNow();
  thread_ = std::thread([this] { Run(); });
}

void AdvertWatcher::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  Poke();
  if (thread_.joinable()) thread_.join();
}

void AdvertWatcher::Poke() {
  const uint64_t one = 1;
  if (wake_fd_ >= 0) (void)!::write(wake_fd_, &one, sizeof(one));
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
  TreeNotifier notifier(directory_.root());
  while (true) {
    // Watches first, then the scan: whatever changes after the watches exist is an event,
    // whatever changed before is seen by the scan.
    notifier.Rearm();
    ScanNow();
    const auto last_scan = std::chrono::steady_clock::now();
    TreeNotifier::Wake wake;
    auto deadline = last_scan + interval_;
    do {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      wake = notifier.Wait(wake_fd_, std::max(left, std::chrono::milliseconds(0)));
    } while (wake == TreeNotifier::Wake::kIrrelevant);
    {
      absl::MutexLock lock(&mu_);
      if (stop_) return;
    }
    if (wake == TreeNotifier::Wake::kTreeChanged) {
      const auto since = std::chrono::steady_clock::now() - last_scan;
      std::this_thread::sleep_for(
          std::max<std::chrono::nanoseconds>(kDebounce, kMinEventScanSpacing - since));
    }
  }
}

}  // namespace ecusim::advert
