// The advertisement tree on disk: publish, withdraw, discover, scan. Behaves like bpod-core's
// LocalServiceAdvertisement (publish = mkdir -p, write .tmp, rename; withdraw = lock, unlink
// .json and .lock, prune empty directories up to and including the root; discover = read
// every *.json under its .lock, skip corrupt files, remove files whose pid is dead).
//
// Thread-safe: it keeps no state besides its options; the file system is the state.
#ifndef ECUSIM_SIM_ADVERT_ADVERT_DIRECTORY_H_
#define ECUSIM_SIM_ADVERT_ADVERT_DIRECTORY_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "sim/advert/advert_file.h"

namespace ecusim::advert {

// kill(pid, 0) succeeds or fails with EPERM (exists, not ours); a negative pid is dead (as
// psutil.pid_exists). Only meaningful inside one PID namespace.
bool ProcessAlive(int64_t pid);

struct DirectoryOptions {
  // Bounded wait for a .lock held by someone else; then the file is skipped and counted.
  std::chrono::milliseconds lock_timeout{250};
  std::function<bool(int64_t pid)> is_alive = ProcessAlive;
};

// What one discovery or scan ran into; the caller turns these into metrics.
struct ScanStats {
  uint64_t stale_removed = 0;
  uint64_t corrupt_skipped = 0;
  uint64_t lock_timeouts = 0;

  ScanStats& operator+=(const ScanStats& o) {
    stale_removed += o.stale_removed;
    corrupt_skipped += o.corrupt_skipped;
    lock_timeouts += o.lock_timeouts;
    return *this;
  }
};

// Identifies one version of a file, so an unchanged file is not read again.
struct FileIdentity {
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = 0;
  int64_t mtime_ns = 0;
  friend bool operator==(const FileIdentity&, const FileIdentity&) = default;
};

struct FoundAdvert {
  AdvertRecord record;
  std::string path;  // the .json file
};

// Remembers what a previous scan read, keyed by .json path. nullopt = corrupt (counted once
// per file version, not on every scan).
struct ScanCache {
  struct Entry {
    FileIdentity identity;
    std::optional<AdvertRecord> record;
  };
  std::map<std::string, Entry> entries;
};

class AdvertDirectory {
 public:
  explicit AdvertDirectory(std::string root, DirectoryOptions options = {});

  const std::string& root() const { return root_; }
  std::string TypeDirectory(absl::string_view service_type) const;
  std::string FilePath(absl::string_view service_type, const Uuid& uuid) const;

  // Writes the record's file (creating directories) and returns its path. The record must
  // have passed ValidateRecord. FAILED_PRECONDITION naming the directory when it cannot be
  // created or written.
  absl::StatusOr<std::string> Publish(const AdvertRecord& record) const;

  // Removes `json_path` and its .lock under the lock, then prunes empty directories up to and
  // including the root. A missing file is not an error. DEADLINE_EXCEEDED when the lock stays
  // held (the file is then removed anyway: withdrawing our own advertisement must not fail
  // because a reader hangs).
  absl::Status Withdraw(const std::string& json_path) const;

  // Every live advertisement of `service_type` whose properties match `filter`. INVALID_ARGUMENT
  // for an empty type or one that sanitizes to nothing.
  absl::StatusOr<std::vector<FoundAdvert>> Discover(absl::string_view service_type,
                                                    const Properties& filter,
                                                    ScanStats& stats) const;

  // Brings `cache` to the live advertisements of every type (for the watcher): reads new or
  // changed files, drops vanished ones, removes stale ones. A file whose lock timed out keeps
  // its previous entry (if any) until the next scan.
  void ScanAll(ScanCache& cache, ScanStats& stats) const;

 private:
  enum class ReadOutcome { kOk, kCorrupt, kGone, kLockTimeout };
  struct ReadResult {
    ReadOutcome outcome = ReadOutcome::kGone;
    AdvertRecord record;
    FileIdentity identity;
  };

  ReadResult ReadLocked(const std::string& json_path) const;
  // Re-checks under the lock that the file still names a dead pid, then removes it and its
  // .lock. Returns true when it removed the file.
  bool RemoveStale(const std::string& json_path, ScanStats& stats) const;
  void ScanTypeDirectory(const std::string& dir, ScanCache& cache, std::vector<std::string>& seen,
                         ScanStats& stats) const;
  void PruneEmptyDirectories(const std::string& type_dir) const;

  std::string root_;
  DirectoryOptions options_;
};

// "<dir>/<uuid hex>.json" -> "<dir>/<uuid hex>.lock" (and ".tmp").
std::string SidecarPath(const std::string& json_path, absl::string_view suffix);

}  // namespace ecusim::advert

#endif  // ECUSIM_SIM_ADVERT_ADVERT_DIRECTORY_H_
