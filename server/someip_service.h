// ecusim.v1.SomeIpService: thin gRPC callback handlers that validate, translate and post to
// the ECU's shard (sim/someip/someip_ecu.h does the work there).
#ifndef ECUSIM_SERVER_SOMEIP_SERVICE_H_
#define ECUSIM_SERVER_SOMEIP_SERVICE_H_

#include <functional>
#include <map>
#include <string>

#include "absl/synchronization/mutex.h"
#include "ecusim/v1/someip.grpc.pb.h"
#include "server/runtime.h"
#include "server/someip_convert.h"
#include "sim/someip/someip_ecu.h"

namespace ecusim::server {

// Runs `fn` with the ECU's SOME/IP component and one of its instances on the ECU's shard,
// then `done` with the status. NOT_FOUND names the ECU or the instance.
using InstanceFn = std::function<absl::Status(someip::SomeIpEcu&, someip::ServiceInstance&)>;

class SomeIpServiceImpl final : public v1::SomeIpService::CallbackService {
 public:
  explicit SomeIpServiceImpl(Runtime& runtime);
  ~SomeIpServiceImpl() override;

  grpc::ServerUnaryReactor* StartOffer(grpc::CallbackServerContext* ctx,
                                       const v1::StartOfferRequest* request,
                                       v1::Offer* response) override;
  grpc::ServerUnaryReactor* StopOffer(grpc::CallbackServerContext* ctx,
                                      const v1::StopOfferRequest* request,
                                      v1::StopOfferResponse* response) override;
  grpc::ServerUnaryReactor* ListOffers(grpc::CallbackServerContext* ctx,
                                       const v1::ListOffersRequest* request,
                                       v1::ListOffersResponse* response) override;
  grpc::ServerUnaryReactor* SendEvent(grpc::CallbackServerContext* ctx,
                                      const v1::SendEventRequest* request,
                                      v1::SendEventResponse* response) override;
  grpc::ServerReadReactor<v1::PublishEventsRequest>* PublishEvents(
      grpc::CallbackServerContext* ctx, v1::PublishEventsResponse* response) override;
  grpc::ServerUnaryReactor* SetField(grpc::CallbackServerContext* ctx,
                                     const v1::SetFieldRequest* request,
                                     v1::SetFieldResponse* response) override;
  grpc::ServerUnaryReactor* SetEventGenerator(grpc::CallbackServerContext* ctx,
                                              const v1::SetEventGeneratorRequest* request,
                                              v1::SetEventGeneratorResponse* response) override;
  grpc::ServerUnaryReactor* SetMethodBehavior(grpc::CallbackServerContext* ctx,
                                              const v1::SetMethodBehaviorRequest* request,
                                              v1::SetMethodBehaviorResponse* response) override;
  grpc::ServerBidiReactor<v1::MethodReply, v1::MethodCall>* HandleMethods(
      grpc::CallbackServerContext* ctx) override;
  grpc::ServerUnaryReactor* ListSubscriptions(grpc::CallbackServerContext* ctx,
                                              const v1::ListSubscriptionsRequest* request,
                                              v1::ListSubscriptionsResponse* response) override;
  grpc::ServerUnaryReactor* SetFaults(grpc::CallbackServerContext* ctx,
                                      const v1::SetFaultsRequest* request,
                                      v1::SetFaultsResponse* response) override;

  // Starts one offer on the ECU's shard (creating the ECU's SOME/IP component on first use).
  // REQUIRES: on the ECU's shard thread.
  absl::Status StartOfferOnShard(ecu::Ecu& ecu, const v1::ServiceInstance& proto,
                                 someip::InstanceConfig config, const SdEndpointChoice& sd,
                                 v1::Offer* response);
  absl::Status StopOfferOnShard(ecu::Ecu& ecu, uint16_t service, uint16_t instance);
  void RunOnInstance(const std::string& ecu_id, uint32_t service, uint32_t instance, InstanceFn fn,
                     std::function<void(absl::Status)> done);
  Runtime& runtime() { return runtime_; }

 private:
  void FillOffer(ecu::Ecu& ecu, someip::SomeIpEcu& c, someip::ServiceInstance& inst,
                 v1::Offer* out);
  void MirrorAdd(const std::string& ecu_id, const std::string& name);
  void MirrorRemove(const std::string& name);
  void MirrorRemoveEcu(const std::string& ecu_id);

  Runtime& runtime_;
  int snapshot_token_ = 0;
  absl::Mutex mirror_mu_;
  // Offer name -> ECU id, for Watch snapshots.
  std::map<std::string, std::string> mirror_ ABSL_GUARDED_BY(mirror_mu_);
};

}  // namespace ecusim::server

#endif  // ECUSIM_SERVER_SOMEIP_SERVICE_H_
