#include "sim/ecu/ecu_registry.h"

#include <latch>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"

namespace ecusim::ecu {
namespace {

observe::Observation EcuObservation(std::string kind, const Ecu& ecu) {
  observe::Observation o;
  o.kind = std::move(kind);
  o.ecu_id = ecu.id();
  o.resource = ecu.ResourceName();
  o.With("address", ecu.identity().address);
  if (!ecu.identity().interface_name.empty()) o.With("interface", ecu.identity().interface_name);
  o.With("shard", absl::StrCat(ecu.shard().index()));
  return o;
}

absl::Status NotFound(absl::string_view id) {
  return absl::NotFoundError(absl::StrCat("ecu \"", id, "\" does not exist"));
}

}  // namespace

EcuRegistry::EcuRegistry(core::ShardPool& shards, observe::Hub& hub)
    : shards_(shards),
      hub_(hub),
      ecus_gauge_(hub.metrics.Gauges("ecusim_ecus", "Virtual ECUs in this process.").Add({})) {
  snapshot_token_ = hub_.bus.AddSnapshotSource([this](std::vector<observe::Observation>& out) {
    for (const auto& ecu : List()) out.push_back(EcuObservation("ecu.created", *ecu));
  });
}

EcuRegistry::~EcuRegistry() { hub_.bus.RemoveSnapshotSource(snapshot_token_); }

absl::StatusOr<std::shared_ptr<Ecu>> EcuRegistry::Create(EcuIdentity identity) {
  if (auto s = ValidateIdentity(identity); !s.ok()) return s;
  auto address = asio::ip::make_address(identity.address);
  std::shared_ptr<Ecu> ecu;
  {
    absl::MutexLock lock(&mu_);
    if (ecus_.contains(identity.id)) {
      return absl::AlreadyExistsError(absl::StrCat("ecu \"", identity.id, "\" already exists"));
    }
    ecu = std::make_shared<Ecu>(std::move(identity), address, shards_.Next(), hub_);
    ecus_.emplace(ecu->id(), ecu);
    ecus_gauge_.Set(static_cast<double>(ecus_.size()));
  }
  hub_.bus.Publish(EcuObservation("ecu.created", *ecu));
  return ecu;
}

absl::Status EcuRegistry::Delete(absl::string_view id, std::function<void()> done) {
  std::shared_ptr<Ecu> ecu;
  {
    absl::MutexLock lock(&mu_);
    auto it = ecus_.find(id);
    if (it == ecus_.end()) return NotFound(id);
    ecu = std::move(it->second);
    ecus_.erase(it);
    ecus_gauge_.Set(static_cast<double>(ecus_.size()));
  }
  ecu->shard().Post([this, ecu, done = std::move(done)] {
    ecu->ShutdownAll();
    hub_.bus.Publish(EcuObservation("ecu.deleted", *ecu));
    if (done) done();
  });
  return absl::OkStatus();
}

std::shared_ptr<Ecu> EcuRegistry::Find(absl::string_view id) const {
  absl::MutexLock lock(&mu_);
  auto it = ecus_.find(id);
  return it == ecus_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<Ecu>> EcuRegistry::List() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::shared_ptr<Ecu>> out;
  out.reserve(ecus_.size());
  for (const auto& [id, ecu] : ecus_) out.push_back(ecu);
  return out;
}

size_t EcuRegistry::size() const {
  absl::MutexLock lock(&mu_);
  return ecus_.size();
}

void EcuRegistry::RunOn(absl::string_view id, std::function<absl::Status(Ecu&)> fn,
                        std::function<void(absl::Status)> done) {
  std::shared_ptr<Ecu> ecu = Find(id);
  if (!ecu) {
    done(NotFound(id));
    return;
  }
  ecu->shard().Post([ecu, fn = std::move(fn), done = std::move(done)] {
    if (ecu->deleted()) {
      done(NotFound(ecu->id()));
      return;
    }
    done(fn(*ecu));
  });
}

absl::Status EcuRegistry::RunOnAndWait(absl::string_view id, std::function<absl::Status(Ecu&)> fn) {
  absl::Notification done;
  absl::Status result;
  RunOn(id, std::move(fn), [&](absl::Status s) {
    result = std::move(s);
    done.Notify();
  });
  done.WaitForNotification();
  return result;
}

void EcuRegistry::ShutdownAll() {
  std::vector<std::shared_ptr<Ecu>> all;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [id, ecu] : ecus_) all.push_back(std::move(ecu));
    ecus_.clear();
    ecus_gauge_.Set(0);
  }
  std::latch finished(static_cast<std::ptrdiff_t>(all.size()));
  for (auto& ecu : all) {
    ecu->shard().Post([ecu, &finished] {
      ecu->ShutdownAll();
      finished.count_down();
    });
  }
  finished.wait();
}

}  // namespace ecusim::ecu
