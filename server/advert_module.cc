// Placeholder: the advert module has not landed; its RPCs answer UNIMPLEMENTED.
#include "absl/strings/str_cat.h"
#include "ecusim/v1/advertisement.grpc.pb.h"
#include "server/unimplemented.h"

namespace ecusim::server {
namespace {

class Service final : public v1::AdvertisementService::CallbackService {
  grpc::ServerUnaryReactor* Register(grpc::CallbackServerContext* ctx, const v1::RegisterRequest*,
                                     v1::Advertisement*) override {
    return UnimplementedUnary(ctx, "AdvertisementService.Register");
  }
  grpc::ServerUnaryReactor* Unregister(grpc::CallbackServerContext* ctx,
                                       const v1::UnregisterRequest*,
                                       v1::UnregisterResponse*) override {
    return UnimplementedUnary(ctx, "AdvertisementService.Unregister");
  }
  grpc::ServerUnaryReactor* Discover(grpc::CallbackServerContext* ctx, const v1::DiscoverRequest*,
                                     v1::DiscoverResponse*) override {
    return UnimplementedUnary(ctx, "AdvertisementService.Discover");
  }
  grpc::ServerUnaryReactor* List(grpc::CallbackServerContext* ctx,
                                 const v1::ListAdvertisementsRequest*,
                                 v1::ListAdvertisementsResponse*) override {
    return UnimplementedUnary(ctx, "AdvertisementService.List");
  }
};

class Placeholder final : public PlaceholderModule {
 public:
  Placeholder() : PlaceholderModule("advert", std::make_unique<Service>()) {}
  absl::Status ValidateScenarioEcu(const v1::ScenarioEcu& entry, absl::string_view path) override {
    if (entry.advertisements_size() > 0) {
      return absl::UnimplementedError(
          absl::StrCat(path, ": advert is not implemented in this build of ecusimd yet"));
    }
    return absl::OkStatus();
  }
};

}  // namespace

std::unique_ptr<Module> CreateAdvertModule(Runtime&) { return std::make_unique<Placeholder>(); }

}  // namespace ecusim::server
