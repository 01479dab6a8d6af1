// ecusim.v1.DigitalObjectService and the digital_object part of scenarios: thin glue that
// validates, converts and runs each call on the ECU's shard.
#include <future>
#include <memory>

#include "absl/strings/str_cat.h"
#include "ecusim/v1/digital_object.grpc.pb.h"
#include "server/digital_object_convert.h"
#include "server/grpc_util.h"
#include "server/module.h"
#include "sim/digital_object/endpoint.h"

namespace ecusim::server {

namespace {

namespace dobj = ::ecusim::digital_object;

dobj::Endpoint* EndpointOf(ecu::Ecu& ecu) {
  return ecu.component_as<dobj::Endpoint>(dobj::kComponentKey);
}

absl::Status NoEndpoint(const ecu::Ecu& ecu) {
  return absl::NotFoundError(absl::StrCat("ECU ", ecu.id(), " has no DOIP v2 endpoint"));
}

absl::Status CheckEcuId(const std::string& id) {
  if (id.empty()) return absl::InvalidArgumentError("ecu_id must not be empty");
  return absl::OkStatus();
}

void Publish(ecu::Ecu& ecu, std::string kind, const std::string& object_id) {
  observe::Observation o;
  o.kind = std::move(kind);
  o.ecu_id = ecu.id();
  o.resource = absl::StrCat(ecu.ResourceName(), "/digital-objects/", object_id);
  o.With("source", "control");
  ecu.hub().bus.Publish(std::move(o));
}

class DigitalObjectServiceImpl final : public v1::DigitalObjectService::CallbackService {
 public:
  explicit DigitalObjectServiceImpl(Runtime& runtime) : runtime_(runtime) {}

  grpc::ServerUnaryReactor* StartEndpoint(grpc::CallbackServerContext* ctx,
                                          const v1::StartEndpointRequest* req,
                                          v1::EndpointStatus* resp) override {
    auto* reactor = ctx->DefaultReactor();
    if (absl::Status s = CheckEcuId(req->ecu_id()); !s.ok()) return Done(reactor, s);
    auto config = EndpointConfigFromProto(req->endpoint(), "endpoint");
    if (!config.ok()) return Done(reactor, config.status());
    auto shared = std::make_shared<dobj::EndpointConfig>(std::move(*config));
    Run(reactor, req->ecu_id(), [shared, resp](ecu::Ecu& ecu) -> absl::Status {
      if (dobj::Endpoint* running = EndpointOf(ecu)) {
        return absl::AlreadyExistsError(absl::StrCat(
            "ECU ", ecu.id(), " already runs a DOIP v2 endpoint on port ", running->Info().port));
      }
      auto endpoint = dobj::Endpoint::Start(ecu, std::move(*shared));
      if (!endpoint.ok()) return endpoint.status();
      *resp = EndpointStatusToProto((*endpoint)->Info());
      ecu.set_component(std::string(dobj::kComponentKey), std::move(*endpoint));
      return absl::OkStatus();
    });
    return reactor;
  }

  grpc::ServerUnaryReactor* GetEndpoint(grpc::CallbackServerContext* ctx,
                                        const v1::GetEndpointRequest* req,
                                        v1::EndpointStatus* resp) override {
    auto* reactor = ctx->DefaultReactor();
    if (absl::Status s = CheckEcuId(req->ecu_id()); !s.ok()) return Done(reactor, s);
    Run(reactor, req->ecu_id(), [resp](ecu::Ecu& ecu) -> absl::Status {
      dobj::Endpoint* endpoint = EndpointOf(ecu);
      if (!endpoint) return NoEndpoint(ecu);
      *resp = EndpointStatusToProto(endpoint->Info());
      return absl::OkStatus();
    });
    return reactor;
  }

  grpc::ServerUnaryReactor* StopEndpoint(grpc::CallbackServerContext* ctx,
                                         const v1::StopEndpointRequest* req,
                                         v1::StopEndpointResponse*) override {
    auto* reactor = ctx->DefaultReactor();
    if (absl::Status s = CheckEcuId(req->ecu_id()); !s.ok()) return Done(reactor, s);
    Run(reactor, req->ecu_id(), [](ecu::Ecu& ecu) -> absl::Status {
      if (!EndpointOf(ecu)) return NoEndpoint(ecu);
      ecu.erase_component(dobj::kComponentKey);
      return absl::OkStatus();
    });
    return reactor;
  }

  grpc::ServerUnaryReactor* PutObject(grpc::CallbackServerContext* ctx,
                                      const v1::PutObjectRequest* req,
                                      v1::DigitalObject* resp) override {
    auto* reactor = ctx->DefaultReactor();
    if (absl::Status s = CheckEcuId(req->ecu_id()); !s.ok()) return Done(reactor, s);
    auto object = ObjectFromProto(req->object(), "object");
    if (!object.ok()) return Done(reactor, object.status());
    auto shared = std::make_shared<dobj::DigitalObject>(std::move(*object));
    Run(reactor, req->ecu_id(), [shared, resp](ecu::Ecu& ecu) -> absl::Status {
      dobj::Endpoint* endpoint = EndpointOf(ecu);
      if (!endpoint) return NoEndpoint(ecu);
      *resp = ObjectToProto(*shared, true);
      const std::string id = shared->id;
      endpoint->store().Put(std::move(*shared));
      endpoint->NotifyStoreChanged();
      Publish(ecu, "dobj.object.put", id);
      return absl::OkStatus();
    });
    return reactor;
  }

  grpc::ServerUnaryReactor* DeleteObject(grpc::CallbackServerContext* ctx,
                                         const v1::DeleteObjectRequest* req,
                                         v1::DeleteObjectResponse*) override {
    auto* reactor = ctx->DefaultReactor();
    if (absl::Status s = CheckEcuId(req->ecu_id()); !s.ok()) return Done(reactor, s);
    if (req->object_id().empty()) {
      return Done(reactor, absl::InvalidArgumentError("object_id must not be empty"));
    }
    std::string id = req->object_id();
    Run(reactor, req->ecu_id(), [id](ecu::Ecu& ecu) -> absl::Status {
      dobj::Endpoint* endpoint = EndpointOf(ecu);
      if (!endpoint) return NoEndpoint(ecu);
      if (!endpoint->store().Erase(id)) {
        return absl::NotFoundError(
            absl::StrCat("ECU ", ecu.id(), " has no digital object \"", id, "\""));
      }
      endpoint->NotifyStoreChanged();
      Publish(ecu, "dobj.object.deleted", id);
      return absl::OkStatus();
    });
    return reactor;
  }

  grpc::ServerUnaryReactor* ListObjects(grpc::CallbackServerContext* ctx,
                                        const v1::ListObjectsRequest* req,
                                        v1::ListObjectsResponse* resp) override {
    auto* reactor = ctx->DefaultReactor();
    if (absl::Status s = CheckEcuId(req->ecu_id()); !s.ok()) return Done(reactor, s);
    const bool with_data = req->include_element_data();
    Run(reactor, req->ecu_id(), [resp, with_data](ecu::Ecu& ecu) -> absl::Status {
      dobj::Endpoint* endpoint = EndpointOf(ecu);
      if (!endpoint) return NoEndpoint(ecu);
      for (const dobj::DigitalObject* o : endpoint->store().All()) {
        *resp->add_objects() = ObjectToProto(*o, with_data);
      }
      return absl::OkStatus();
    });
    return reactor;
  }

 private:
  static grpc::ServerUnaryReactor* Done(grpc::ServerUnaryReactor* reactor, absl::Status s) {
    FinishUnary(reactor, s);
    return reactor;
  }

  void Run(grpc::ServerUnaryReactor* reactor, const std::string& ecu_id,
           std::function<absl::Status(ecu::Ecu&)> fn) {
    runtime_.ecus.RunOn(ecu_id, std::move(fn),
                        [reactor](absl::Status s) { FinishUnary(reactor, s); });
  }

  Runtime& runtime_;
};

class DigitalObjectModule final : public Module {
 public:
  explicit DigitalObjectModule(Runtime& runtime) : runtime_(runtime), service_(runtime) {}

  absl::string_view name() const override { return "digital_object"; }
  grpc::Service* service() override { return &service_; }

  absl::Status ValidateScenarioEcu(const v1::ScenarioEcu& entry, absl::string_view path) override {
    if (!entry.has_digital_object()) return absl::OkStatus();
    return EndpointConfigFromProto(entry.digital_object(), absl::StrCat(path, ".digital_object"))
        .status();
  }

  // Desired state: an entry without digital_object stops a running endpoint; one with it
  // (re)starts the endpoint unless it already runs exactly that configuration.
  absl::StatusOr<bool> ApplyScenarioEcu(const v1::ScenarioEcu& entry) override {
    std::shared_ptr<dobj::EndpointConfig> wanted;
    if (entry.has_digital_object()) {
      auto config = EndpointConfigFromProto(
          entry.digital_object(), absl::StrCat("ecus[", entry.ecu().id(), "].digital_object"));
      if (!config.ok()) return config.status();
      wanted = std::make_shared<dobj::EndpointConfig>(std::move(*config));
    }
    auto changed = std::make_shared<bool>(false);
    absl::Status s = runtime_.ecus.RunOnAndWait(
        entry.ecu().id(), [wanted, changed](ecu::Ecu& ecu) -> absl::Status {
          dobj::Endpoint* running = EndpointOf(ecu);
          if (!wanted) {
            if (running) ecu.erase_component(dobj::kComponentKey);
            *changed = running != nullptr;
            return absl::OkStatus();
          }
          if (running && running->config().origin == wanted->origin) return absl::OkStatus();
          if (running) ecu.erase_component(dobj::kComponentKey);
          *changed = true;
          auto endpoint = dobj::Endpoint::Start(ecu, std::move(*wanted));
          if (!endpoint.ok()) return endpoint.status();
          ecu.set_component(std::string(dobj::kComponentKey), std::move(*endpoint));
          return absl::OkStatus();
        });
    if (!s.ok()) return s;
    return *changed;
  }

  // Closes every endpoint (close_notify to each client) before the ECUs go away.
  void Shutdown() override {
    std::vector<std::future<absl::Status>> pending;
    for (const auto& ecu : runtime_.ecus.List()) {
      auto promise = std::make_shared<std::promise<absl::Status>>();
      pending.push_back(promise->get_future());
      runtime_.ecus.RunOn(
          ecu->id(),
          [](ecu::Ecu& e) {
            if (EndpointOf(e)) e.erase_component(dobj::kComponentKey);
            return absl::OkStatus();
          },
          [promise](absl::Status s) { promise->set_value(std::move(s)); });
    }
    for (auto& f : pending) f.wait();
  }

 private:
  Runtime& runtime_;
  DigitalObjectServiceImpl service_;
};

}  // namespace

std::unique_ptr<Module> CreateDigitalObjectModule(Runtime& runtime) {
  return std::make_unique<DigitalObjectModule>(runtime);
}

}  // namespace ecusim::server
