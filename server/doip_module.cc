// DoipService and the DoIP part of scenarios: thin validation and translation, then the work
// runs on the ECU's shard (EcuRegistry::RunOn) and the call completes from there.
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ecusim/v1/doip.grpc.pb.h"
#include "server/doip_convert.h"
#include "server/doip_stream.h"
#include "server/grpc_util.h"
#include "server/module.h"
#include "sim/doip/doip_component.h"

namespace ecusim::server {
namespace {

using doip::DoipComponent;

absl::Status CheckEcuId(const std::string& id) {
  if (!ecu::ValidateEcuId(id).ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("ecu_id \"", id, "\" is invalid: want 1 to 63 of [a-z0-9-]"));
  }
  return absl::OkStatus();
}

void FillStatus(ecu::Ecu& ecu, DoipComponent& c, v1::EntityStatus* out) {
  v1::DoipEntity requested;
  requested.ParseFromString(c.tag());
  out->set_ecu_id(ecu.id());
  out->set_name(ecu.ResourceName() + "/doip");
  *out->mutable_entity() = EntityConfigToProto(requested, c.entity().config());
  out->set_open_connections(static_cast<uint32_t>(c.entity().open_connections()));
  const auto& ecus = c.entity().config().ecus;
  bool positive = true;
  for (const auto& e : ecus) {
    if (doip::UdsServer* s = c.entity().FindEcu(e.address)) {
      positive = positive && s->config().positive_responding;
    }
  }
  out->set_positive_responding(positive);
  out->set_tcp_port(c.transport().tcp_port());
  out->set_udp_port(c.transport().udp_port());
  out->set_tls_port(c.transport().tls_port());
  out->set_announcement_address(c.transport().announcement_address().to_string());
  out->set_tls_fingerprint(c.transport().tls_fingerprint());
}

// Starts (or replaces) the entity on `ecu`. Shard thread.
absl::Status StartOn(ecu::Ecu& ecu, const v1::DoipEntity& proto, doip::EntityConfig config,
                     const std::shared_ptr<doip::DoipMirror>& mirror) {
  ecu.erase_component(doip::kComponentKey);
  absl::StatusOr<std::unique_ptr<DoipComponent>> c =
      DoipComponent::Start(ecu, std::move(config), mirror);
  if (!c.ok()) return c.status();
  (*c)->set_tag(proto.SerializeAsString());
  ecu.set_component(doip::kComponentKey, std::move(*c));
  return absl::OkStatus();
}

class DoipServiceImpl final : public v1::DoipService::CallbackService {
 public:
  DoipServiceImpl(Runtime& runtime, std::shared_ptr<doip::DoipMirror> mirror)
      : runtime_(runtime), mirror_(std::move(mirror)) {}

  grpc::ServerUnaryReactor* StartEntity(grpc::CallbackServerContext* ctx,
                                        const v1::StartEntityRequest* req,
                                        v1::EntityStatus* resp) override {
    auto* reactor = ctx->DefaultReactor();
    absl::Status s = CheckEcuId(req->ecu_id());
    absl::StatusOr<doip::EntityConfig> config = absl::InvalidArgumentError("entity is required");
    if (s.ok() && req->has_entity()) config = EntityConfigFromProto(req->entity(), "entity");
    if (s.ok()) s = config.status();
    if (!s.ok()) {
      FinishUnary(reactor, s);
      return reactor;
    }
    runtime_.ecus.RunOn(
        req->ecu_id(),
        [this, req, resp, config = std::move(*config)](ecu::Ecu& ecu) mutable -> absl::Status {
          if (ecu.component(doip::kComponentKey) != nullptr) {
            return absl::AlreadyExistsError(absl::StrCat(
                "ecu \"", ecu.id(), "\" already runs a DoIP entity (StopEntity first)"));
          }
          if (auto st = StartOn(ecu, req->entity(), std::move(config), mirror_); !st.ok()) {
            return st;
          }
          FillStatus(ecu, *ecu.component_as<DoipComponent>(doip::kComponentKey), resp);
          return absl::OkStatus();
        },
        [reactor](absl::Status st) { FinishUnary(reactor, st); });
    return reactor;
  }

  grpc::ServerUnaryReactor* StopEntity(grpc::CallbackServerContext* ctx,
                                       const v1::StopEntityRequest* req,
                                       v1::StopEntityResponse*) override {
    return OnEntity(ctx, req->ecu_id(), [](ecu::Ecu& ecu, DoipComponent&) {
      ecu.erase_component(doip::kComponentKey);
      return absl::OkStatus();
    });
  }

  grpc::ServerUnaryReactor* TriggerVehicleAnnouncement(
      grpc::CallbackServerContext* ctx, const v1::TriggerVehicleAnnouncementRequest* req,
      v1::TriggerVehicleAnnouncementResponse*) override {
    absl::Status s = absl::OkStatus();
    asio::ip::address target;
    if (!req->target_ip().empty()) {
      asio::error_code ec;
      target = asio::ip::make_address(req->target_ip(), ec);
      if (ec)
        s = absl::InvalidArgumentError(
            absl::StrCat("target_ip \"", req->target_ip(), "\" is not an IPv4 or IPv6 address"));
    }
    if (req->occurrence() > 10000) {
      s = absl::InvalidArgumentError(
          absl::StrFormat("occurrence %d exceeds 10000", req->occurrence()));
    }
    if (req->port() > 0xFFFF) {
      s = absl::InvalidArgumentError(absl::StrFormat("port %d exceeds 65535", req->port()));
    }
    if (req->has_further_action() && req->further_action() > 0xFF) {
      s = absl::InvalidArgumentError(
          absl::StrFormat("further_action %d exceeds 0xFF", req->further_action()));
    }
    if (req->cycle_ms() > 3600000) {
      s = absl::InvalidArgumentError(absl::StrFormat("cycle_ms %d exceeds 1 h", req->cycle_ms()));
    }
    return OnEntity(
        ctx, req->ecu_id(),
        [req, target](ecu::Ecu& ecu, DoipComponent& c) -> absl::Status {
          const uint16_t port =
              req->port() == 0 ? doip::kUdpDiscoveryPort : static_cast<uint16_t>(req->port());
          asio::ip::udp::endpoint to = c.transport().DefaultAnnouncementTarget(port);
          if (!req->target_ip().empty()) {
            if (target.is_v4() != ecu.address().is_v4()) {
              return absl::InvalidArgumentError(absl::StrCat(
                  "target_ip \"", req->target_ip(), "\" is not of the ECU address family (",
                  ecu.address().to_string(), ")"));
            }
            to = asio::ip::udp::endpoint(target, port);
          }
          std::optional<uint8_t> fa;
          if (req->has_further_action()) fa = static_cast<uint8_t>(req->further_action());
          c.transport().TriggerAnnouncement(to, std::max<uint32_t>(1, req->occurrence()),
                                            std::chrono::milliseconds(req->cycle_ms()), fa);
          return absl::OkStatus();
        },
        s);
  }

  grpc::ServerUnaryReactor* SetPositiveResponding(grpc::CallbackServerContext* ctx,
                                                  const v1::SetPositiveRespondingRequest* req,
                                                  v1::SetPositiveRespondingResponse*) override {
    const uint32_t nrc = req->negative_response_code() == 0 ? doip::kNrcServiceNotSupported
                                                            : req->negative_response_code();
    absl::Status s = absl::OkStatus();
    if (nrc > 0xFF || nrc == doip::kNrcResponsePending) {
      s = absl::InvalidArgumentError(absl::StrFormat(
          "negative_response_code 0x%02X is not a final negative response code", nrc));
    }
    return OnEntity(
        ctx, req->ecu_id(),
        [positive = req->positive_responding(), nrc](ecu::Ecu&, DoipComponent& c) {
          c.entity().SetPositiveResponding(positive, static_cast<uint8_t>(nrc));
          return absl::OkStatus();
        },
        s);
  }

  grpc::ServerUnaryReactor* SetUdsBehavior(grpc::CallbackServerContext* ctx,
                                           const v1::SetUdsBehaviorRequest* req,
                                           v1::SetUdsBehaviorResponse*) override {
    absl::StatusOr<doip::UdsConfig> uds = UdsConfigFromProto(req->uds(), "uds");
    absl::Status s = uds.status();
    if (s.ok() && req->logical_address() > 0xFFFF) {
      s = absl::InvalidArgumentError(
          absl::StrFormat("logical_address %d exceeds 0xFFFF", req->logical_address()));
    }
    doip::UdsConfig config = uds.ok() ? *uds : doip::UdsConfig();
    return OnEntity(
        ctx, req->ecu_id(),
        [address = static_cast<uint16_t>(req->logical_address()), config](
            ecu::Ecu& ecu, DoipComponent& c) mutable {
          // positive_responding is state set by SetPositiveResponding, not part of the model.
          if (doip::UdsServer* old = c.entity().FindEcu(address)) {
            config.positive_responding = old->config().positive_responding;
            config.negative_nrc = old->config().negative_nrc;
          }
          absl::Status st = c.entity().SetUdsConfig(address, std::move(config));
          if (absl::IsNotFound(st)) {
            return absl::NotFoundError(absl::StrFormat(
                "ecu \"%s\": the DoIP entity has no logical address 0x%04X", ecu.id(), address));
          }
          return st;
        },
        s);
  }

  grpc::ServerBidiReactor<v1::DiagnosticReply, v1::DiagnosticRequest>* HandleDiagnostics(
      grpc::CallbackServerContext*) override {
    return NewDiagnosticsStream(runtime_);
  }

  grpc::ServerUnaryReactor* ListConnections(grpc::CallbackServerContext* ctx,
                                            const v1::ListConnectionsRequest* req,
                                            v1::ListConnectionsResponse* resp) override {
    return OnEntity(ctx, req->ecu_id(), [resp](ecu::Ecu&, DoipComponent& c) {
      for (const doip::ConnectionInfo& info : c.entity().Connections()) {
        v1::DoipConnection* out = resp->add_connections();
        out->set_peer(info.peer);
        out->set_tester_address(info.tester_address);
        out->set_state(doip::ConnectionStateName(info.state));
        out->set_tls(info.tls);
        out->set_diagnostic_messages(info.diagnostic_messages);
      }
      return absl::OkStatus();
    });
  }

 private:
  // Validates ecu_id (and `pre`), runs `fn` on the ECU's shard with its entity, finishes.
  template <typename Fn>
  grpc::ServerUnaryReactor* OnEntity(grpc::CallbackServerContext* ctx, const std::string& ecu_id,
                                     Fn fn, absl::Status pre = absl::OkStatus()) {
    auto* reactor = ctx->DefaultReactor();
    absl::Status s = CheckEcuId(ecu_id);
    if (s.ok()) s = pre;
    if (!s.ok()) {
      FinishUnary(reactor, s);
      return reactor;
    }
    runtime_.ecus.RunOn(
        ecu_id,
        [fn = std::move(fn)](ecu::Ecu& ecu) mutable -> absl::Status {
          auto* c = ecu.component_as<DoipComponent>(doip::kComponentKey);
          if (c == nullptr) {
            return absl::NotFoundError(
                absl::StrCat("ecu \"", ecu.id(), "\" has no DoIP entity (StartEntity first)"));
          }
          return fn(ecu, *c);
        },
        [reactor](absl::Status st) { FinishUnary(reactor, st); });
    return reactor;
  }

  Runtime& runtime_;
  std::shared_ptr<doip::DoipMirror> mirror_;
};

class DoipModule final : public Module {
 public:
  explicit DoipModule(Runtime& runtime)
      : runtime_(runtime),
        mirror_(std::make_shared<doip::DoipMirror>()),
        service_(runtime, mirror_) {
    token_ = runtime_.hub.bus.AddSnapshotSource(
        [mirror = mirror_](std::vector<observe::Observation>& out) { mirror->Snapshot(out); });
  }
  ~DoipModule() override { runtime_.hub.bus.RemoveSnapshotSource(token_); }

  absl::string_view name() const override { return "doip"; }
  grpc::Service* service() override { return &service_; }

  absl::Status ValidateScenarioEcu(const v1::ScenarioEcu& entry, absl::string_view path) override {
    if (!entry.has_doip()) return absl::OkStatus();
    return EntityConfigFromProto(entry.doip(), absl::StrCat(path, ".doip")).status();
  }

  absl::StatusOr<bool> ApplyScenarioEcu(const v1::ScenarioEcu& entry) override {
    std::optional<doip::EntityConfig> config;
    if (entry.has_doip()) {
      absl::StatusOr<doip::EntityConfig> c = EntityConfigFromProto(entry.doip(), "doip");
      if (!c.ok()) return c.status();
      config = std::move(*c);
    }
    const std::string tag = entry.has_doip() ? entry.doip().SerializeAsString() : "";
    bool changed = false;
    absl::Status result =
        runtime_.ecus.RunOnAndWait(entry.ecu().id(), [&](ecu::Ecu& ecu) -> absl::Status {
          auto* c = ecu.component_as<DoipComponent>(doip::kComponentKey);
          if (!config) {
            changed = c != nullptr;
            ecu.erase_component(doip::kComponentKey);
            return absl::OkStatus();
          }
          if (c != nullptr && c->tag() == tag) return absl::OkStatus();
          changed = true;
          return StartOn(ecu, entry.doip(), std::move(*config), mirror_);
        });
    if (!result.ok()) {
      return absl::Status(result.code(), absl::StrCat("doip: ", result.message()));
    }
    return changed;
  }

 private:
  Runtime& runtime_;
  std::shared_ptr<doip::DoipMirror> mirror_;
  DoipServiceImpl service_;
  int token_ = 0;
};

}  // namespace

std::unique_ptr<Module> CreateDoipModule(Runtime& runtime) {
  return std::make_unique<DoipModule>(runtime);
}

}  // namespace ecusim::server
