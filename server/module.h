// The seam between ecusimd and a protocol module (SOME/IP, DoIP, digital objects,
// advertisements): its gRPC service, its part of a scenario, its orderly shutdown.
// Modules are created in modules.cc.
#ifndef ECUSIM_SERVER_MODULE_H_
#define ECUSIM_SERVER_MODULE_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ecusim/v1/ecu.pb.h"
#include "server/runtime.h"

namespace ecusim::server {

class Module {
 public:
  virtual ~Module() = default;

  // "someip", "doip", "digital_object", "advert".
  virtual absl::string_view name() const = 0;

  // The gRPC service to register, or null.
  virtual grpc::Service* service() = 0;

  // Checks this module's part of one scenario ECU entry without changing anything.
  // `path` names the entry, e.g. "ecus[2]"; errors are INVALID_ARGUMENT naming
  // "<path>.<field>" and the value.
  virtual absl::Status ValidateScenarioEcu(const v1::ScenarioEcu& entry, absl::string_view path) {
    return absl::OkStatus();
  }

  // Brings the ECU's state for this module to what `entry` says; the ECU exists. Idempotent:
  // returns false when nothing had to change. Blocking; called from a worker thread, never
  // from a shard thread.
  virtual absl::StatusOr<bool> ApplyScenarioEcu(const v1::ScenarioEcu& entry) { return false; }

  // Orderly shutdown on SIGTERM, before the ECUs' components shut down. Blocking.
  virtual void Shutdown() {}
};

// The module factories, one per protocol module (server/<module>_module.cc).
std::unique_ptr<Module> CreateSomeIpModule(Runtime& runtime);
std::unique_ptr<Module> CreateDoipModule(Runtime& runtime);
std::unique_ptr<Module> CreateDigitalObjectModule(Runtime& runtime);
std::unique_ptr<Module> CreateAdvertModule(Runtime& runtime);

// Every module of this build, in registration order.
std::vector<std::unique_ptr<Module>> CreateModules(Runtime& runtime);

}  // namespace ecusim::server

#endif  // ECUSIM_SERVER_MODULE_H_
