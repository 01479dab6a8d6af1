// Small helpers shared by the gRPC services.
#ifndef ECUSIM_SERVER_GRPC_UTIL_H_
#define ECUSIM_SERVER_GRPC_UTIL_H_

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"

namespace ecusim::server {

// absl::Status -> grpc::Status with the same code and message.
inline grpc::Status ToGrpcStatus(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

// Finishes a unary reactor with an absl::Status. Safe from any thread (e.g. a shard's).
inline void FinishUnary(grpc::ServerUnaryReactor* reactor, const absl::Status& s) {
  reactor->Finish(ToGrpcStatus(s));
}

}  // namespace ecusim::server

#endif  // ECUSIM_SERVER_GRPC_UTIL_H_
