// Watches the whole advertisement tree, other programs' files included, and reports
// advertisements appearing, changing and disappearing. Rescans on inotify events (debounced),
// on Poke() (a change we made ourselves) and, as a fallback and for pids that die without
// touching the tree, every `interval` (default 1 s, bpod-core ServiceIterator's poll). Every scan
// is a discovery: stale files are removed, corrupt files skipped (counted once per file version).
#ifndef ECUSIM_SIM_ADVERT_ADVERT_WATCHER_H_
#define ECUSIM_SIM_ADVERT_ADVERT_WATCHER_H_

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "sim/advert/advert_directory.h"

namespace ecusim::advert {

struct AdvertEvent {
  enum class Kind { kAdded, kUpdated, kRemoved };
  Kind kind = Kind::kAdded;
  FoundAdvert advert;  // for kRemoved: the last content seen
};

// "added", "updated", "removed".
const char* AdvertEventKindName(AdvertEvent::Kind kind);

// Live advertisements keyed by .json path.
using AdvertSet = std::map<std::string, AdvertRecord>;

// What changed from `before` to `after`, in path order. Pure.
std::vector<AdvertEvent> DiffAdvertSets(const AdvertSet& before, const AdvertSet& after);

bool operator==(const AdvertRecord& a, const AdvertRecord& b);

class AdvertWatcher {
 public:
  // Called on the watcher thread after each scan, with the changes (maybe none) and what
  // the scan ran into. Must not call back into the watcher's Stop().
  using Listener =
      std::function<void(const std::vector<AdvertEvent>& events, const ScanStats& stats)>;

  AdvertWatcher(const AdvertDirectory& directory, Listener listener,
                std::chrono::milliseconds interval = std::chrono::seconds(1));
  ~AdvertWatcher();
  AdvertWatcher(const AdvertWatcher&) = delete;
  AdvertWatcher& operator=(const AdvertWatcher&) = delete;

  // Scans once synchronously (so Current() is filled), then polls on a thread.
  void Start();
  void Stop();
  // Rescans now instead of at the next tick.
  void Poke();
  // Scans on the caller's thread (tests, or before Start()).
  void ScanNow();

  AdvertSet Current() const;

 private:
  void Run();

  const AdvertDirectory& directory_;
  const Listener listener_;
  const std::chrono::milliseconds interval_;

  absl::Mutex scan_mu_;  // one scan at a time
  ScanCache cache_ ABSL_GUARDED_BY(scan_mu_);

  mutable absl::Mutex mu_;
  AdvertSet current_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  int wake_fd_ = -1;  // eventfd: Poke() and Stop() interrupt the wait
  std::thread thread_;
};

}  // namespace ecusim::advert

#endif  // ECUSIM_SIM_ADVERT_ADVERT_WATCHER_H_
