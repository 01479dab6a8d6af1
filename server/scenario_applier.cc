#include "server/scenario_applier.h"

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"

namespace ecusim::server {

ecu::EcuIdentity IdentityFromProto(const v1::Ecu& ecu) {
  ecu::EcuIdentity id;
  id.id = ecu.id();
  id.address = ecu.address();
  id.interface_name = ecu.interface();
  id.labels = {ecu.labels().begin(), ecu.labels().end()};
  return id;
}

void EcuToProto(const ecu::Ecu& ecu, v1::Ecu* out) {
  out->set_id(ecu.id());
  out->set_address(ecu.identity().address);
  out->set_interface(ecu.identity().interface_name);
  for (const auto& [k, v] : ecu.identity().labels) (*out->mutable_labels())[k] = v;
  out->set_shard(ecu.shard().index());
}

absl::Status ScenarioApplier::Validate(const v1::Scenario& scenario) const {
  std::map<std::string, int> seen;
  for (int i = 0; i < scenario.ecus_size(); ++i) {
    const auto& entry = scenario.ecus(i);
    const std::string path = absl::StrCat("ecus[", i, "]");
    if (!entry.has_ecu()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ".ecu is required"));
    }
    if (auto s = ecu::ValidateIdentity(IdentityFromProto(entry.ecu())); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat(path, ": ", s.message()));
    }
    auto [it, fresh] = seen.emplace(entry.ecu().id(), i);
    if (!fresh) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ".ecu.id \"", entry.ecu().id(), "\" repeats ecus[", it->second, "]"));
    }
    for (const auto& m : modules_) {
      if (auto s = m->ValidateScenarioEcu(entry, path); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

absl::Status ScenarioApplier::DeleteAndWait(const std::string& id) {
  absl::Notification done;
  if (auto s = runtime_.ecus.Delete(id, [&done] { done.Notify(); }); !s.ok()) return s;
  done.WaitForNotification();
  return absl::OkStatus();
}

absl::StatusOr<v1::ApplyScenarioResponse> ScenarioApplier::Apply(
    const v1::ApplyScenarioRequest& request) {
  absl::MutexLock lock(&apply_mu_);
  const v1::Scenario& scenario = request.scenario();
  if (auto s = Validate(scenario); !s.ok()) return s;

  v1::ApplyScenarioResponse response;
  std::set<std::string> wanted;
  for (const auto& entry : scenario.ecus()) {
    const ecu::EcuIdentity identity = IdentityFromProto(entry.ecu());
    wanted.insert(identity.id);
    auto existing = runtime_.ecus.Find(identity.id);
    bool created = false;
    bool updated = false;
    if (existing && !(existing->identity() == identity)) {
      // A new address or interface means new sockets: recreate the ECU with its endpoints.
      if (!request.validate_only()) {
        if (auto s = DeleteAndWait(identity.id); !s.ok()) return s;
      }
      existing = nullptr;
      updated = true;
    }
    if (!existing) {
      if (!request.validate_only()) {
        auto made = runtime_.ecus.Create(identity);
        if (!made.ok()) return made.status();
      }
      created = !updated;
    }
    if (!request.validate_only()) {
      for (const auto& m : modules_) {
        auto changed = m->ApplyScenarioEcu(entry);
        if (!changed.ok()) {
          return absl::Status(
              changed.status().code(),
              absl::StrCat("ecu \"", identity.id, "\": ", changed.status().message()));
        }
        updated = updated || (*changed && !created);
      }
    }
    if (created) {
      response.add_created(identity.id);
    } else if (updated) {
      response.add_updated(identity.id);
    } else {
      response.add_unchanged(identity.id);
    }
  }
  if (request.prune()) {
    for (const auto& ecu : runtime_.ecus.List()) {
      if (wanted.contains(ecu->id())) continue;
      if (!request.validate_only()) {
        if (auto s = DeleteAndWait(ecu->id()); !s.ok() && !absl::IsNotFound(s)) return s;
      }
      response.add_deleted(ecu->id());
    }
  }
  return response;
}

}  // namespace ecusim::server
