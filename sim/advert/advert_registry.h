// The advertisements this process owns, plus discovery and the watch over everyone's: what
// AdvertisementService and the scenario drive. Reports into the hub:
//   ecusim_advertisements (gauge, owned), ecusim_advert_stale_removed_total,
//   ecusim_advert_corrupt_skipped_total, ecusim_advert_lock_timeouts_total,
//   ecusim_advert_rejected_total{reason}; observations advert.added / advert.updated /
//   advert.removed with resource "advertisements/{uuid}".
// Thread-safe; blocking file I/O, so call it from gRPC or worker threads, not shard threads.
#ifndef ECUSIM_SIM_ADVERT_ADVERT_REGISTRY_H_
#define ECUSIM_SIM_ADVERT_ADVERT_REGISTRY_H_

#include <prometheus/counter.h>
#include <prometheus/gauge.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "sim/advert/advert_directory.h"
#include "sim/advert/advert_root.h"
#include "sim/advert/advert_watcher.h"
#include "sim/observe/hub.h"

namespace ecusim::advert {

struct RegistryOptions {
  RootChoice root;
  DirectoryOptions directory;
  std::chrono::milliseconds watch_interval = std::chrono::seconds(1);
  // False in tests that drive the watcher by hand (ScanNow).
  bool start_watcher = true;
};

struct OwnedAdvert {
  AdvertRecord record;
  std::string path;
  // The ECU the advertisement belongs to (scenario), empty for process-wide ones.
  std::string ecu_id;
};

class AdvertRegistry {
 public:
  AdvertRegistry(observe::Hub& hub, RegistryOptions options);
  ~AdvertRegistry();
  AdvertRegistry(const AdvertRegistry&) = delete;
  AdvertRegistry& operator=(const AdvertRegistry&) = delete;

  const RootChoice& root() const { return options_.root; }
  const AdvertDirectory& directory() const { return directory_; }

  // Validates, writes the file with this process's pid and owns it. `uuid` nullopt = random.
  // INVALID_ARGUMENT naming the field, ALREADY_EXISTS when the uuid is owned already or a
  // live file with it exists, FAILED_PRECONDITION naming a directory that cannot be written.
  absl::StatusOr<OwnedAdvert> Register(AdvertRecord record, std::optional<Uuid> uuid,
                                       std::string ecu_id = "");
  // NOT_FOUND when this process does not own `uuid`.
  absl::Status Unregister(const Uuid& uuid);
  // Withdraws every advertisement of `ecu_id` (the ECU is going away).
  void UnregisterEcu(const std::string& ecu_id);
  // Rewrites an owned advertisement in place (same uuid, atomic rename), e.g. when ecusimd's
  // ECU list changes. Errors as Register; NOT_FOUND when `uuid` is not owned.
  absl::StatusOr<OwnedAdvert> Update(const Uuid& uuid, AdvertRecord record);
  // Withdraws everything this process owns and refuses further registrations (UNAVAILABLE):
  // SIGTERM. Stops the watcher.
  void Close();

  // Discovery by type and property subset (AdvertDirectory::Discover), counted in the
  // metrics; `stats` (optional) receives what this one discovery ran into.
  absl::StatusOr<std::vector<FoundAdvert>> Discover(absl::string_view service_type,
                                                    const Properties& filter,
                                                    ScanStats* stats = nullptr);
  std::vector<OwnedAdvert> List() const;
  std::vector<OwnedAdvert> ListEcu(const std::string& ecu_id) const;

  // Counts a request refused before it reached the files (reason: "invalid_argument", ...).
  void CountRejected(absl::string_view reason);

  AdvertWatcher& watcher() { return watcher_; }

 private:
  void OnScan(const std::vector<AdvertEvent>& events, const ScanStats& stats);
  void CountStats(const ScanStats& stats);
  observe::Observation ToObservation(const AdvertEvent& e) const;
  void SnapshotInto(std::vector<observe::Observation>& out) const;
  absl::Status WithdrawOwned(const OwnedAdvert& owned);

  observe::Hub& hub_;
  const RegistryOptions options_;
  AdvertDirectory directory_;

  prometheus::Gauge& owned_gauge_;
  prometheus::Counter& stale_removed_;
  prometheus::Counter& corrupt_skipped_;
  prometheus::Counter& lock_timeouts_;
  prometheus::Family<prometheus::Counter>& rejected_;

  mutable absl::Mutex mu_;
  std::map<Uuid, OwnedAdvert> owned_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool root_logged_ ABSL_GUARDED_BY(mu_) = false;
  // ECU of each owned file path, kept until the watcher reports the file removed, so
  // advert.removed observations still name the ECU after Unregister.
  std::map<std::string, std::string> ecu_of_path_ ABSL_GUARDED_BY(mu_);

  AdvertWatcher watcher_;
  int snapshot_token_ = 0;
};

}  // namespace ecusim::advert

#endif  // ECUSIM_SIM_ADVERT_ADVERT_REGISTRY_H_
