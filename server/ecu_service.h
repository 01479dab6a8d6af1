// ecusim.v1.EcuService: virtual ECUs and scenarios.
#ifndef ECUSIM_SERVER_ECU_SERVICE_H_
#define ECUSIM_SERVER_ECU_SERVICE_H_

#include "ecusim/v1/ecu.grpc.pb.h"
#include "server/control_worker.h"
#include "server/runtime.h"
#include "server/scenario_applier.h"

namespace ecusim::server {

class EcuServiceImpl final : public v1::EcuService::CallbackService {
 public:
  EcuServiceImpl(Runtime& runtime, ScenarioApplier& applier, ControlWorker& worker)
      : runtime_(runtime), applier_(applier), worker_(worker) {}

  grpc::ServerUnaryReactor* CreateEcu(grpc::CallbackServerContext* ctx,
                                      const v1::CreateEcuRequest* request,
                                      v1::Ecu* response) override;
  grpc::ServerUnaryReactor* GetEcu(grpc::CallbackServerContext* ctx,
                                   const v1::GetEcuRequest* request, v1::Ecu* response) override;
  grpc::ServerUnaryReactor* ListEcus(grpc::CallbackServerContext* ctx,
                                     const v1::ListEcusRequest* request,
                                     v1::ListEcusResponse* response) override;
  grpc::ServerUnaryReactor* DeleteEcu(grpc::CallbackServerContext* ctx,
                                      const v1::DeleteEcuRequest* request,
                                      v1::DeleteEcuResponse* response) override;
  grpc::ServerUnaryReactor* ApplyScenario(grpc::CallbackServerContext* ctx,
                                          const v1::ApplyScenarioRequest* request,
                                          v1::ApplyScenarioResponse* response) override;

 private:
  Runtime& runtime_;
  ScenarioApplier& applier_;
  ControlWorker& worker_;
};

}  // namespace ecusim::server

#endif  // ECUSIM_SERVER_ECU_SERVICE_H_
