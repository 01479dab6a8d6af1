// Placeholder: the someip module has not landed; its RPCs answer UNIMPLEMENTED.
#include "absl/strings/str_cat.h"
#include "ecusim/v1/someip.grpc.pb.h"
#include "server/unimplemented.h"

namespace ecusim::server {
namespace {

class Service final : public v1::SomeIpService::CallbackService {
  grpc::ServerUnaryReactor* StartOffer(grpc::CallbackServerContext* ctx,
                                       const v1::StartOfferRequest*, v1::Offer*) override {
    return UnimplementedUnary(ctx, "SomeIpService.StartOffer");
  }
  grpc::ServerUnaryReactor* StopOffer(grpc::CallbackServerContext* ctx, const v1::StopOfferRequest*,
                                      v1::StopOfferResponse*) override {
    return UnimplementedUnary(ctx, "SomeIpService.StopOffer");
  }
  grpc::ServerUnaryReactor* ListOffers(grpc::CallbackServerContext* ctx,
                                       const v1::ListOffersRequest*,
                                       v1::ListOffersResponse*) override {
    return UnimplementedUnary(ctx, "SomeIpService.ListOffers");
  }
  grpc::ServerUnaryReactor* SendEvent(grpc::CallbackServerContext* ctx, const v1::SendEventRequest*,
                                      v1::SendEventResponse*) override {
    return UnimplementedUnary(ctx, "SomeIpService.SendEvent");
  }
  grpc::ServerReadReactor<v1::PublishEventsRequest>* PublishEvents(
      grpc::CallbackServerContext*, v1::PublishEventsResponse*) override {
    return new UnimplementedReactor<grpc::ServerReadReactor<v1::PublishEventsRequest>>(
        "SomeIpService.PublishEvents");
  }
  grpc::ServerUnaryReactor* SetField(grpc::CallbackServerContext* ctx, const v1::SetFieldRequest*,
                                     v1::SetFieldResponse*) override {
    return UnimplementedUnary(ctx, "SomeIpService.SetField");
  }
  grpc::ServerUnaryReactor* SetEventGenerator(grpc::CallbackServerContext* ctx,
                                              const v1::SetEventGeneratorRequest*,
                                              v1::SetEventGeneratorResponse*) override {
    return UnimplementedUnary(ctx, "SomeIpService.SetEventGenerator");
  }
  grpc::ServerUnaryReactor* SetMethodBehavior(grpc::CallbackServerContext* ctx,
                                              const v1::SetMethodBehaviorRequest*,
                                              v1::SetMethodBehaviorResponse*) override {
    return UnimplementedUnary(ctx, "SomeIpService.SetMethodBehavior");
  }
  grpc::ServerBidiReactor<v1::MethodReply, v1::MethodCall>* HandleMethods(
      grpc::CallbackServerContext*) override {
    return new UnimplementedReactor<grpc::ServerBidiReactor<v1::MethodReply, v1::MethodCall>>(
        "SomeIpService.HandleMethods");
  }
  grpc::ServerUnaryReactor* ListSubscriptions(grpc::CallbackServerContext* ctx,
                                              const v1::ListSubscriptionsRequest*,
                                              v1::ListSubscriptionsResponse*) override {
    return UnimplementedUnary(ctx, "SomeIpService.ListSubscriptions");
  }
};

class Placeholder final : public PlaceholderModule {
 public:
  Placeholder() : PlaceholderModule("someip", std::make_unique<Service>()) {}
  absl::Status ValidateScenarioEcu(const v1::ScenarioEcu& entry, absl::string_view path) override {
    if (entry.someip_offers_size() > 0) {
      return absl::UnimplementedError(
          absl::StrCat(path, ": someip is not implemented in this build of ecusimd yet"));
    }
    return absl::OkStatus();
  }
};

}  // namespace

std::unique_ptr<Module> CreateSomeIpModule(Runtime&) { return std::make_unique<Placeholder>(); }

}  // namespace ecusim::server
