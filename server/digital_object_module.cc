// Placeholder: the digital_object module has not landed; its RPCs answer UNIMPLEMENTED.
#include "absl/strings/str_cat.h"
#include "ecusim/v1/digital_object.grpc.pb.h"
#include "server/unimplemented.h"

namespace ecusim::server {
namespace {

class Service final : public v1::DigitalObjectService::CallbackService {
  grpc::ServerUnaryReactor* StartEndpoint(grpc::CallbackServerContext* ctx,
                                          const v1::StartEndpointRequest*,
                                          v1::EndpointStatus*) override {
    return UnimplementedUnary(ctx, "DigitalObjectService.StartEndpoint");
  }
  grpc::ServerUnaryReactor* StopEndpoint(grpc::CallbackServerContext* ctx,
                                         const v1::StopEndpointRequest*,
                                         v1::StopEndpointResponse*) override {
    return UnimplementedUnary(ctx, "DigitalObjectService.StopEndpoint");
  }
  grpc::ServerUnaryReactor* PutObject(grpc::CallbackServerContext* ctx, const v1::PutObjectRequest*,
                                      v1::DigitalObject*) override {
    return UnimplementedUnary(ctx, "DigitalObjectService.PutObject");
  }
  grpc::ServerUnaryReactor* DeleteObject(grpc::CallbackServerContext* ctx,
                                         const v1::DeleteObjectRequest*,
                                         v1::DeleteObjectResponse*) override {
    return UnimplementedUnary(ctx, "DigitalObjectService.DeleteObject");
  }
  grpc::ServerUnaryReactor* ListObjects(grpc::CallbackServerContext* ctx,
                                        const v1::ListObjectsRequest*,
                                        v1::ListObjectsResponse*) override {
    return UnimplementedUnary(ctx, "DigitalObjectService.ListObjects");
  }
};

class Placeholder final : public PlaceholderModule {
 public:
  Placeholder() : PlaceholderModule("digital_object", std::make_unique<Service>()) {}
  absl::Status ValidateScenarioEcu(const v1::ScenarioEcu& entry, absl::string_view path) override {
    if (entry.has_digital_object()) {
      return absl::UnimplementedError(
          absl::StrCat(path, ": digital_object is not implemented in this build of ecusimd yet"));
    }
    return absl::OkStatus();
  }
};

}  // namespace

std::unique_ptr<Module> CreateDigitalObjectModule(Runtime&) {
  return std::make_unique<Placeholder>();
}

}  // namespace ecusim::server
