#include "sim/advert/advert_registry.h"

#include <unistd.h>

#include <fstream>
#include <iterator>

#include "absl/strings/str_cat.h"

namespace ecusim::advert {
namespace {

// A live file already carrying `path`'s uuid (someone else's), or nullopt.
std::optional<AdvertRecord> LiveFileAt(const std::string& path, const DirectoryOptions& opts) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string content((std::istreambuf_iterator<char>(in)), {});
  auto record = ParseAdvertFile(content);
  if (!record.ok() || !opts.is_alive(record->pid)) return std::nullopt;
  return *std::move(record);
}

}  // namespace

AdvertRegistry::AdvertRegistry(observe::Hub& hub, RegistryOptions options)
    : hub_(hub),
      options_(std::move(options)),
      directory_(options_.root.path, options_.directory),
      owned_gauge_(
          hub.metrics
              .Gauges("ecusim_advertisements", "Local service advertisements this process owns.")
              .Add({})),
      stale_removed_(hub.metrics
                         .Counters("ecusim_advert_stale_removed_total",
                                   "Advertisement files removed because their pid was dead.")
                         .Add({})),
      corrupt_skipped_(hub.metrics
                           .Counters("ecusim_advert_corrupt_skipped_total",
                                     "Advertisement files skipped (left in place) as corrupt.")
                           .Add({})),
      lock_timeouts_(hub.metrics
                         .Counters("ecusim_advert_lock_timeouts_total",
                                   "Advertisement files skipped because their .lock stayed "
                                   "held past the bounded wait.")
                         .Add({})),
      rejected_(hub.metrics.Counters("ecusim_advert_rejected_total",
                                     "Advertisement requests refused, by gRPC status.")),
      watcher_(
          directory_,
          [this](const std::vector<AdvertEvent>& events, const ScanStats& stats) {
            OnScan(events, stats);
          },
          options_.watch_interval) {
  snapshot_token_ = hub_.bus.AddSnapshotSource(
      [this](std::vector<observe::Observation>& out) { SnapshotInto(out); });
  if (options_.start_watcher) watcher_.Start();
}

AdvertRegistry::~AdvertRegistry() {
  hub_.bus.RemoveSnapshotSource(snapshot_token_);
  watcher_.Stop();
}

void AdvertRegistry::CountRejected(absl::string_view reason) {
  rejected_.Add({{"reason", std::string(reason)}}).Increment();
}

absl::StatusOr<OwnedAdvert> AdvertRegistry::Register(AdvertRecord record, std::optional<Uuid> uuid,
                                                     std::string ecu_id) {
  if (absl::Status s = ValidateRecord(record); !s.ok()) {
    CountRejected("invalid_argument");
    return s;
  }
  record.uuid = uuid ? *uuid : Uuid::Random();
  record.pid = ::getpid();
  OwnedAdvert owned{record, directory_.FilePath(record.service_type, record.uuid),
                    std::move(ecu_id)};
  absl::MutexLock lock(&mu_);
  if (closed_) {
    CountRejected("unavailable");
    return absl::UnavailableError("advertisements are closed: ecusimd is shutting down");
  }
  if (owned_.count(record.uuid)) {
    CountRejected("already_exists");
    return absl::AlreadyExistsError(
        absl::StrCat("advertisement ", record.uuid.Hyphenated(), " is registered already"));
  }
  if (auto other = LiveFileAt(owned.path, options_.directory)) {
    CountRejected("already_exists");
    return absl::AlreadyExistsError(absl::StrCat("uuid ", record.uuid.Hyphenated(),
                                                 " is advertised by pid ", other->pid, " in ",
                                                 owned.path));
  }
  auto path = directory_.Publish(record);
  if (!path.ok()) {
    CountRejected("failed_precondition");
    return path.status();
  }
  if (!root_logged_) {
    // Said once, when the first file is written: which of the platformdirs candidates won.
    std::fprintf(stderr, "advert: advertisements in %s (from %s)\n", options_.root.path.c_str(),
                 options_.root.source.c_str());
    root_logged_ = true;
  }
  owned_.emplace(record.uuid, owned);
  if (!owned.ecu_id.empty()) ecu_of_path_[owned.path] = owned.ecu_id;
  owned_gauge_.Set(static_cast<double>(owned_.size()));
  watcher_.Poke();
  return owned;
}

absl::Status AdvertRegistry::WithdrawOwned(const OwnedAdvert& owned) {
  absl::Status s = directory_.Withdraw(owned.path);
  if (!s.ok()) {
    std::fprintf(stderr, "advert: withdrawing %s: %s\n", owned.path.c_str(),
                 std::string(s.message()).c_str());
  }
  return s;
}

absl::Status AdvertRegistry::Unregister(const Uuid& uuid) {
  OwnedAdvert owned;
  {
    absl::MutexLock lock(&mu_);
    auto it = owned_.find(uuid);
    if (it == owned_.end()) {
      CountRejected("not_found");
      return absl::NotFoundError(
          absl::StrCat("advertisement ", uuid.Hyphenated(), " is not registered by this process"));
    }
    owned = std::move(it->second);
    owned_.erase(it);
    owned_gauge_.Set(static_cast<double>(owned_.size()));
    // Withdraw under mu_, so a Register of the same uuid cannot interleave with the unlink.
    (void)WithdrawOwned(owned);
  }
  watcher_.Poke();
  return absl::OkStatus();
}

void AdvertRegistry::UnregisterEcu(const std::string& ecu_id) {
  {
    absl::MutexLock lock(&mu_);
    for (auto it = owned_.begin(); it != owned_.end();) {
      if (it->second.ecu_id != ecu_id) {
        ++it;
        continue;
      }
      (void)WithdrawOwned(it->second);
      it = owned_.erase(it);
    }
    owned_gauge_.Set(static_cast<double>(owned_.size()));
  }
  watcher_.Poke();
}

absl::StatusOr<OwnedAdvert> AdvertRegistry::Update(const Uuid& uuid, AdvertRecord record) {
  if (absl::Status s = ValidateRecord(record); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  auto it = owned_.find(uuid);
  if (it == owned_.end()) {
    return absl::NotFoundError(
        absl::StrCat("advertisement ", uuid.Hyphenated(), " is not registered by this process"));
  }
  record.uuid = uuid;
  record.pid = ::getpid();
  OwnedAdvert next{record, directory_.FilePath(record.service_type, uuid), it->second.ecu_id};
  auto path = directory_.Publish(record);
  if (!path.ok()) return path.status();
  if (next.path != it->second.path) (void)WithdrawOwned(it->second);  // the type changed
  it->second = next;
  watcher_.Poke();
  return next;
}

void AdvertRegistry::Close() {
  {
    absl::MutexLock lock(&mu_);
    closed_ = true;
    for (const auto& [uuid, owned] : owned_) (void)WithdrawOwned(owned);
    owned_.clear();
    owned_gauge_.Set(0);
  }
  watcher_.Stop();
}

absl::StatusOr<std::vector<FoundAdvert>> AdvertRegistry::Discover(absl::string_view service_type,
                                                                  const Properties& filter,
                                                                  ScanStats* out_stats) {
  ScanStats stats;
  auto found = directory_.Discover(service_type, filter, stats);
  CountStats(stats);
  if (out_stats != nullptr) *out_stats = stats;
  if (!found.ok()) CountRejected("invalid_argument");
  if (stats.stale_removed > 0) watcher_.Poke();
  return found;
}

std::vector<OwnedAdvert> AdvertRegistry::List() const {
  absl::MutexLock lock(&mu_);
  std::vector<OwnedAdvert> out;
  out.reserve(owned_.size());
  for (const auto& [uuid, owned] : owned_) out.push_back(owned);
  return out;
}

std::vector<OwnedAdvert> AdvertRegistry::ListEcu(const std::string& ecu_id) const {
  absl::MutexLock lock(&mu_);
  std::vector<OwnedAdvert> out;
  for (const auto& [uuid, owned] : owned_) {
    if (owned.ecu_id == ecu_id) out.push_back(owned);
  }
  return out;
}

void AdvertRegistry::CountStats(const ScanStats& stats) {
  if (stats.stale_removed) stale_removed_.Increment(static_cast<double>(stats.stale_removed));
  if (stats.corrupt_skipped) {
    corrupt_skipped_.Increment(static_cast<double>(stats.corrupt_skipped));
  }
  if (stats.lock_timeouts) lock_timeouts_.Increment(static_cast<double>(stats.lock_timeouts));
}

observe::Observation AdvertRegistry::ToObservation(const AdvertEvent& e) const {
  const AdvertRecord& r = e.advert.record;
  observe::Observation o;
  o.kind = absl::StrCat("advert.", AdvertEventKindName(e.kind));
  o.resource = absl::StrCat("advertisements/", r.uuid.Hyphenated());
  {
    absl::MutexLock lock(&mu_);
    auto it = ecu_of_path_.find(e.advert.path);
    if (it != ecu_of_path_.end()) o.ecu_id = it->second;
  }
  o.With("service_name", r.service_name)
      .With("service_type", r.service_type)
      .With("address", r.address)
      .With("pid", absl::StrCat(r.pid))
      .With("owned", r.pid == ::getpid() ? "true" : "false")
      .With("path", e.advert.path);
  for (const auto& [k, v] : r.properties) {
    o.With(absl::StrCat("properties.", k), v ? *v : "null");
  }
  return o;
}

void AdvertRegistry::OnScan(const std::vector<AdvertEvent>& events, const ScanStats& stats) {
  CountStats(stats);
  for (const AdvertEvent& e : events) {
    hub_.bus.Publish(ToObservation(e));
    if (e.kind == AdvertEvent::Kind::kRemoved) {
      absl::MutexLock lock(&mu_);
      // Not if the same path was registered again meanwhile.
      bool owned_again = false;
      for (const auto& [uuid, owned] : owned_) owned_again |= owned.path == e.advert.path;
      if (!owned_again) ecu_of_path_.erase(e.advert.path);
    }
  }
}

void AdvertRegistry::SnapshotInto(std::vector<observe::Observation>& out) const {
  for (const auto& [path, record] : watcher_.Current()) {
    observe::Observation o = ToObservation({AdvertEvent::Kind::kAdded, {record, path}});
    o.snapshot = true;
    out.push_back(std::move(o));
  }
}

}  // namespace ecusim::advert
