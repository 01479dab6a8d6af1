#include "server/ecu_service.h"

#include "absl/strings/str_cat.h"
#include "server/grpc_util.h"

namespace ecusim::server {
namespace {

constexpr int kDefaultPageSize = 1000;
constexpr int kMaxPageSize = 10000;

absl::Status ValidateEcuIdField(absl::string_view id) {
  if (auto s = ecu::ValidateEcuId(id); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("ecu_id \"", id, "\" is invalid: want 1 to 63 of [a-z0-9-]"));
  }
  return absl::OkStatus();
}

}  // namespace

grpc::ServerUnaryReactor* EcuServiceImpl::CreateEcu(grpc::CallbackServerContext* ctx,
                                                    const v1::CreateEcuRequest* request,
                                                    v1::Ecu* response) {
  auto* reactor = ctx->DefaultReactor();
  if (!request->has_ecu()) {
    FinishUnary(reactor, absl::InvalidArgumentError("ecu is required"));
    return reactor;
  }
  auto made = runtime_.ecus.Create(IdentityFromProto(request->ecu()));
  if (made.ok()) EcuToProto(**made, response);
  FinishUnary(reactor, made.status());
  return reactor;
}

grpc::ServerUnaryReactor* EcuServiceImpl::GetEcu(grpc::CallbackServerContext* ctx,
                                                 const v1::GetEcuRequest* request,
                                                 v1::Ecu* response) {
  auto* reactor = ctx->DefaultReactor();
  absl::Status status = ValidateEcuIdField(request->ecu_id());
  if (status.ok()) {
    if (auto ecu = runtime_.ecus.Find(request->ecu_id())) {
      EcuToProto(*ecu, response);
    } else {
      status = absl::NotFoundError(absl::StrCat("ecu \"", request->ecu_id(), "\" does not exist"));
    }
  }
  FinishUnary(reactor, status);
  return reactor;
}

grpc::ServerUnaryReactor* EcuServiceImpl::ListEcus(grpc::CallbackServerContext* ctx,
                                                   const v1::ListEcusRequest* request,
                                                   v1::ListEcusResponse* response) {
  auto* reactor = ctx->DefaultReactor();
  if (request->page_size() < 0 || request->page_size() > kMaxPageSize) {
    FinishUnary(reactor,
                absl::InvalidArgumentError(absl::StrCat("page_size ", request->page_size(),
                                                        " is out of range 0..", kMaxPageSize)));
    return reactor;
  }
  // The page token is the id of the last ECU of the previous page.
  const std::string& after = request->page_token();
  if (!after.empty() && !ecu::ValidateEcuId(after).ok()) {
    FinishUnary(reactor, absl::InvalidArgumentError(
                             absl::StrCat("page_token \"", after, "\" is not from ListEcus")));
    return reactor;
  }
  const int page_size = request->page_size() == 0 ? kDefaultPageSize : request->page_size();
  for (const auto& ecu : runtime_.ecus.List()) {
    if (!after.empty() && ecu->id() <= after) continue;
    if (response->ecus_size() == page_size) {
      response->set_next_page_token(response->ecus(page_size - 1).id());
      break;
    }
    EcuToProto(*ecu, response->add_ecus());
  }
  FinishUnary(reactor, absl::OkStatus());
  return reactor;
}

grpc::ServerUnaryReactor* EcuServiceImpl::DeleteEcu(grpc::CallbackServerContext* ctx,
                                                    const v1::DeleteEcuRequest* request,
                                                    v1::DeleteEcuResponse* /*response*/) {
  auto* reactor = ctx->DefaultReactor();
  absl::Status status = ValidateEcuIdField(request->ecu_id());
  if (status.ok()) {
    // The call completes once the ECU's endpoints withdrew what they announced.
    status = runtime_.ecus.Delete(request->ecu_id(),
                                  [reactor] { FinishUnary(reactor, absl::OkStatus()); });
    if (status.ok()) return reactor;
  }
  FinishUnary(reactor, status);
  return reactor;
}

grpc::ServerUnaryReactor* EcuServiceImpl::ApplyScenario(grpc::CallbackServerContext* ctx,
                                                        const v1::ApplyScenarioRequest* request,
                                                        v1::ApplyScenarioResponse* response) {
  auto* reactor = ctx->DefaultReactor();
  worker_.Post([this, reactor, request, response] {
    auto result = applier_.Apply(*request);
    if (result.ok()) *response = std::move(*result);
    FinishUnary(reactor, result.status());
  });
  return reactor;
}

}  // namespace ecusim::server
