// ecusimd as an object: the shards, the ECU registry, the modules, the gRPC server and the
// /metrics exporter. main() runs one; integration tests run one in-process on port 0.
#ifndef ECUSIM_SERVER_ECUSIM_SERVER_H_
#define ECUSIM_SERVER_ECUSIM_SERVER_H_

#include <grpcpp/grpcpp.h>
#include <prometheus/exposer.h>

#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "server/control_worker.h"
#include "server/ecu_service.h"
#include "server/metrics_interceptor.h"
#include "server/module.h"
#include "server/observe_service.h"
#include "server/runtime.h"
#include "server/scenario_applier.h"

namespace ecusim::server {

class EcusimServer {
 public:
  // An empty metrics_address in `settings` means no /metrics exporter.
  explicit EcusimServer(Settings settings);
  ~EcusimServer();

  // Binds the control API and /metrics and registers every service. FAILED_PRECONDITION
  // naming the address when a port cannot be bound.
  absl::Status Start();

  // Health turns SERVING (it is NOT_SERVING from Start until then).
  void MarkServing();

  // Checks a scenario as ApplyScenario would, without changing anything.
  absl::Status ValidateScenario(const v1::Scenario& scenario) const {
    return applier_.Validate(scenario);
  }

  // Applies a scenario through the same path as the ApplyScenario RPC. Blocking.
  absl::StatusOr<v1::ApplyScenarioResponse> ApplyScenario(const v1::Scenario& scenario);

  // Orderly shutdown: health NOT_SERVING, stop control calls, modules withdraw what they
  // announced, every ECU's endpoints shut down, shards stop. Idempotent.
  void Shutdown();

  int grpc_port() const { return runtime_.grpc_port; }
  int metrics_port() const;
  Runtime& runtime() { return runtime_; }
  prometheus::Exposer* exposer() { return exposer_.get(); }

 private:
  Settings settings_;
  observe::Hub hub_;
  core::ShardPool shards_;
  ecu::EcuRegistry ecus_;
  Runtime runtime_;
  std::vector<std::unique_ptr<Module>> modules_;
  ScenarioApplier applier_;
  ControlWorker worker_;
  GrpcRequestCounter request_counter_;
  std::unique_ptr<EcuServiceImpl> ecu_service_;
  std::unique_ptr<ObserveServiceImpl> observe_service_;
  std::unique_ptr<grpc::Server> grpc_server_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  bool shut_down_ = false;
};

// Shards to use for a --shards value: 0 means one per core.
int EffectiveShards(int requested);

}  // namespace ecusim::server

#endif  // ECUSIM_SERVER_ECUSIM_SERVER_H_
