// Reactors that finish at once with UNIMPLEMENTED, for modules whose feature has not landed.
// The message says what is missing, unlike gRPC's bare default.
#ifndef ECUSIM_SERVER_UNIMPLEMENTED_H_
#define ECUSIM_SERVER_UNIMPLEMENTED_H_

#include <grpcpp/grpcpp.h>

#include <string>

#include "server/module.h"

namespace ecusim::server {

inline grpc::Status Unimplemented(const std::string& what) {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                      what + " is not implemented in this build of ecusimd yet");
}

template <typename Reactor>
class UnimplementedReactor : public Reactor {
 public:
  explicit UnimplementedReactor(const std::string& what) { this->Finish(Unimplemented(what)); }
  void OnDone() override { delete this; }
};

inline grpc::ServerUnaryReactor* UnimplementedUnary(grpc::CallbackServerContext* ctx,
                                                    const std::string& what) {
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(Unimplemented(what));
  return reactor;
}

// A module that only registers its (unimplemented) gRPC service and refuses scenario parts.
class PlaceholderModule : public Module {
 public:
  PlaceholderModule(std::string name, std::unique_ptr<grpc::Service> service)
      : name_(std::move(name)), service_(std::move(service)) {}
  absl::string_view name() const override { return name_; }
  grpc::Service* service() override { return service_.get(); }

 private:
  std::string name_;
  std::unique_ptr<grpc::Service> service_;
};

}  // namespace ecusim::server

#endif  // ECUSIM_SERVER_UNIMPLEMENTED_H_
