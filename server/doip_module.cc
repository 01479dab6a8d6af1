// Placeholder: the doip module has not landed; its RPCs answer UNIMPLEMENTED.
#include "absl/strings/str_cat.h"
#include "ecusim/v1/doip.grpc.pb.h"
#include "server/unimplemented.h"

namespace ecusim::server {
namespace {

class Service final : public v1::DoipService::CallbackService {
  grpc::ServerUnaryReactor* StartEntity(grpc::CallbackServerContext* ctx,
                                        const v1::StartEntityRequest*, v1::EntityStatus*) override {
    return UnimplementedUnary(ctx, "DoipService.StartEntity");
  }
  grpc::ServerUnaryReactor* StopEntity(grpc::CallbackServerContext* ctx,
                                       const v1::StopEntityRequest*,
                                       v1::StopEntityResponse*) override {
    return UnimplementedUnary(ctx, "DoipService.StopEntity");
  }
  grpc::ServerUnaryReactor* TriggerVehicleAnnouncement(
      grpc::CallbackServerContext* ctx, const v1::TriggerVehicleAnnouncementRequest*,
      v1::TriggerVehicleAnnouncementResponse*) override {
    return UnimplementedUnary(ctx, "DoipService.TriggerVehicleAnnouncement");
  }
  grpc::ServerUnaryReactor* SetPositiveResponding(grpc::CallbackServerContext* ctx,
                                                  const v1::SetPositiveRespondingRequest*,
                                                  v1::SetPositiveRespondingResponse*) override {
    return UnimplementedUnary(ctx, "DoipService.SetPositiveResponding");
  }
  grpc::ServerUnaryReactor* SetUdsBehavior(grpc::CallbackServerContext* ctx,
                                           const v1::SetUdsBehaviorRequest*,
                                           v1::SetUdsBehaviorResponse*) override {
    return UnimplementedUnary(ctx, "DoipService.SetUdsBehavior");
  }
  grpc::ServerBidiReactor<v1::DiagnosticReply, v1::DiagnosticRequest>* HandleDiagnostics(
      grpc::CallbackServerContext*) override {
    return new UnimplementedReactor<
        grpc::ServerBidiReactor<v1::DiagnosticReply, v1::DiagnosticRequest>>(
        "DoipService.HandleDiagnostics");
  }
  grpc::ServerUnaryReactor* ListConnections(grpc::CallbackServerContext* ctx,
                                            const v1::ListConnectionsRequest*,
                                            v1::ListConnectionsResponse*) override {
    return UnimplementedUnary(ctx, "DoipService.ListConnections");
  }
};

class Placeholder final : public PlaceholderModule {
 public:
  Placeholder() : PlaceholderModule("doip", std::make_unique<Service>()) {}
  absl::Status ValidateScenarioEcu(const v1::ScenarioEcu& entry, absl::string_view path) override {
    if (entry.has_doip()) {
      return absl::UnimplementedError(
          absl::StrCat(path, ": doip is not implemented in this build of ecusimd yet"));
    }
    return absl::OkStatus();
  }
};

}  // namespace

std::unique_ptr<Module> CreateDoipModule(Runtime&) { return std::make_unique<Placeholder>(); }

}  // namespace ecusim::server
