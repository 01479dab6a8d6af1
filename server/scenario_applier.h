// ApplyScenario: the one code path for vehicle files (--config), the embedded demo and the
// ApplyScenario RPC. Validates the whole scenario first, then brings every ECU and its
// modules to what it says. Idempotent: applying the same scenario twice changes nothing.
#ifndef ECUSIM_SERVER_SCENARIO_APPLIER_H_
#define ECUSIM_SERVER_SCENARIO_APPLIER_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "ecusim/v1/ecu.pb.h"
#include "server/module.h"
#include "server/runtime.h"

namespace ecusim::server {

ecu::EcuIdentity IdentityFromProto(const v1::Ecu& ecu);
void EcuToProto(const ecu::Ecu& ecu, v1::Ecu* out);

class ScenarioApplier {
 public:
  ScenarioApplier(Runtime& runtime, const std::vector<std::unique_ptr<Module>>& modules)
      : runtime_(runtime), modules_(modules) {}

  // INVALID_ARGUMENT naming "ecus[i].<field>" and the value; UNIMPLEMENTED for a module part
  // this build cannot run.
  absl::Status Validate(const v1::Scenario& scenario) const;

  // Blocking; must not run on a shard thread. Concurrent calls are serialized.
  absl::StatusOr<v1::ApplyScenarioResponse> Apply(const v1::ApplyScenarioRequest& request);

 private:
  absl::Status DeleteAndWait(const std::string& id);

  Runtime& runtime_;
  const std::vector<std::unique_ptr<Module>>& modules_;
  absl::Mutex apply_mu_;
};

}  // namespace ecusim::server

#endif  // ECUSIM_SERVER_SCENARIO_APPLIER_H_
