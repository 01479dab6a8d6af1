// DoipService.HandleDiagnostics: the orchestrator answers diagnostic requests live.
#ifndef ECUSIM_SERVER_DOIP_STREAM_H_
#define ECUSIM_SERVER_DOIP_STREAM_H_

#include <grpcpp/grpcpp.h>

#include "ecusim/v1/doip.grpc.pb.h"
#include "server/runtime.h"

namespace ecusim::server {

grpc::ServerBidiReactor<v1::DiagnosticReply, v1::DiagnosticRequest>* NewDiagnosticsStream(
    Runtime& runtime);

}  // namespace ecusim::server

#endif  // ECUSIM_SERVER_DOIP_STREAM_H_
