#include "server/ecusim_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "server/build_info.h"

namespace ecusim::server {

int EffectiveShards(int requested) {
  if (requested > 0) return requested;
  return std::max(1u, std::thread::hardware_concurrency());
}

EcusimServer::EcusimServer(Settings settings)
    : settings_(std::move(settings)),
      shards_(EffectiveShards(settings_.shards)),
      ecus_(shards_, hub_),
      runtime_{settings_, shards_, hub_, ecus_},
      applier_(runtime_, modules_),
      request_counter_(hub_.metrics) {
  hub_.metrics.Gauges("ecusim_build_info", "Build of this ecusimd; the value is always 1.")
      .Add({{"version", ECUSIM_VERSION}, {"commit", ECUSIM_COMMIT}})
      .Set(1);
  shards_.Start();
  modules_ = CreateModules(runtime_);
}

EcusimServer::~EcusimServer() { Shutdown(); }

absl::Status EcusimServer::Start() {
  if (!settings_.metrics_address.empty()) {
    try {
      exposer_ = std::make_unique<prometheus::Exposer>(settings_.metrics_address);
    } catch (const std::exception& e) {
      return absl::FailedPreconditionError(
          absl::StrCat("--metrics: cannot listen on ", settings_.metrics_address, ": ", e.what()));
    }
    exposer_->RegisterCollectable(hub_.metrics.registry());
  }

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // gRPC sets SO_REUSEPORT by default, which lets a second ecusimd "bind" a port in use.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddListeningPort(settings_.grpc_address, grpc::InsecureServerCredentials(),
                           &runtime_.grpc_port);
  ecu_service_ = std::make_unique<EcuServiceImpl>(runtime_, applier_, worker_);
  observe_service_ = std::make_unique<ObserveServiceImpl>(runtime_);
  builder.RegisterService(ecu_service_.get());
  builder.RegisterService(observe_service_.get());
  for (auto& m : modules_) {
    if (grpc::Service* s = m->service()) builder.RegisterService(s);
  }
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> creators;
  creators.push_back(std::make_unique<MetricsInterceptorFactory>(request_counter_));
  builder.experimental().SetInterceptorCreators(std::move(creators));
  grpc_server_ = builder.BuildAndStart();
  if (!grpc_server_ || runtime_.grpc_port == 0) {
    grpc_server_.reset();
    return absl::FailedPreconditionError(
        absl::StrCat("--grpc: cannot listen on ", settings_.grpc_address,
                     " (address in use or not an address of this host)"));
  }
  // SERVING only once the initial scenario is applied (MarkServing).
  grpc_server_->GetHealthCheckService()->SetServingStatus(false);
  return absl::OkStatus();
}

void EcusimServer::MarkServing() {
  if (grpc_server_) grpc_server_->GetHealthCheckService()->SetServingStatus(true);
}

absl::StatusOr<v1::ApplyScenarioResponse> EcusimServer::ApplyScenario(
    const v1::Scenario& scenario) {
  v1::ApplyScenarioRequest request;
  *request.mutable_scenario() = scenario;
  return applier_.Apply(request);
}

int EcusimServer::metrics_port() const {
  if (!exposer_) return 0;
  auto ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

void EcusimServer::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  if (grpc_server_) {
    grpc_server_->GetHealthCheckService()->SetServingStatus(false);
    // Streams (Watch, PublishEvents, HandleMethods) are cancelled after a short grace.
    grpc_server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(300));
  }
  worker_.Stop();
  for (auto& m : modules_) m->Shutdown();
  ecus_.ShutdownAll();
  shards_.Stop();
}

}  // namespace ecusim::server
