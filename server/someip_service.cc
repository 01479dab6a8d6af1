#include "server/someip_service.h"

#include <atomic>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/grpc_util.h"

namespace ecusim::server {
namespace {

using someip::kComponentKey;
using someip::ServiceInstance;
using someip::SomeIpEcu;

absl::StatusOr<SomeIpEcu*> Component(ecu::Ecu& ecu) {
  auto* c = ecu.component_as<SomeIpEcu>(kComponentKey);
  if (c == nullptr) {
    return absl::NotFoundError(absl::StrCat("ecu \"", ecu.id(), "\" offers no SOME/IP service"));
  }
  return c;
}

// Runs `fn` on every ECU named (or all when `ecu_id` is empty) and calls `done` once, after
// the last, with the first error.
void ForEachEcu(Runtime& runtime, const std::string& ecu_id,
                std::function<absl::Status(ecu::Ecu&)> fn, std::function<void(absl::Status)> done) {
  std::vector<std::string> ids;
  if (!ecu_id.empty()) {
    ids.push_back(ecu_id);
  } else {
    for (const auto& e : runtime.ecus.List()) ids.push_back(e->id());
  }
  if (ids.empty()) return done(absl::OkStatus());
  struct State {
    std::atomic<size_t> left;
    absl::Mutex mu;
    absl::Status first;
  };
  auto st = std::make_shared<State>();
  st->left = ids.size();
  bool all = ecu_id.empty();
  for (const auto& id : ids) {
    runtime.ecus.RunOn(id, fn, [st, done, all](absl::Status s) {
      // An ECU deleted while listing all is simply not listed.
      if (!s.ok() && !(all && s.code() == absl::StatusCode::kNotFound)) {
        absl::MutexLock lock(&st->mu);
        if (st->first.ok()) st->first = s;
      }
      if (--st->left == 0) done(st->first);
    });
  }
}

std::string Endpoint(const someip::Endpoint& ep) {
  return absl::StrCat(ep.address().to_string(), ":", ep.port());
}

}  // namespace

SomeIpServiceImpl::SomeIpServiceImpl(Runtime& runtime) : runtime_(runtime) {
  snapshot_token_ =
      runtime_.hub.bus.AddSnapshotSource([this](std::vector<observe::Observation>& out) {
        absl::MutexLock lock(&mirror_mu_);
        for (const auto& [name, ecu_id] : mirror_) {
          observe::Observation o;
          o.kind = "someip.offer";
          o.ecu_id = ecu_id;
          o.resource = name;
          o.snapshot = true;
          out.push_back(std::move(o));
        }
      });
}

SomeIpServiceImpl::~SomeIpServiceImpl() { runtime_.hub.bus.RemoveSnapshotSource(snapshot_token_); }

void SomeIpServiceImpl::MirrorAdd(const std::string& ecu_id, const std::string& name) {
  absl::MutexLock lock(&mirror_mu_);
  mirror_[name] = ecu_id;
}

void SomeIpServiceImpl::MirrorRemove(const std::string& name) {
  absl::MutexLock lock(&mirror_mu_);
  mirror_.erase(name);
}

void SomeIpServiceImpl::MirrorRemoveEcu(const std::string& ecu_id) {
  absl::MutexLock lock(&mirror_mu_);
  std::erase_if(mirror_, [&](const auto& kv) { return kv.second == ecu_id; });
}

void SomeIpServiceImpl::FillOffer(ecu::Ecu& ecu, SomeIpEcu& c, ServiceInstance& inst,
                                  v1::Offer* out) {
  out->set_ecu_id(ecu.id());
  out->mutable_instance()->ParseFromString(inst.config().origin);
  out->set_name(InstanceName(ecu.id(), inst.service_id(), inst.instance_id()));
  out->set_phase(someip::SdServer::PhaseName(c.server().phase(inst.key())));
  out->set_subscribers(static_cast<uint32_t>(inst.subscribers().size()));
}

absl::Status SomeIpServiceImpl::StartOfferOnShard(ecu::Ecu& ecu, const v1::ServiceInstance& proto,
                                                  someip::InstanceConfig config,
                                                  const SdEndpointChoice& sd, v1::Offer* response) {
  auto* c = ecu.component_as<SomeIpEcu>(kComponentKey);
  bool created = false;
  if (c == nullptr) {
    auto made = SomeIpEcu::Create(ecu, sd.group, sd.port);
    if (!made.ok()) return made.status();
    c = made->get();
    std::string ecu_id = ecu.id();
    c->set_shutdown_hook([this, ecu_id] { MirrorRemoveEcu(ecu_id); });
    ecu.set_component(kComponentKey, std::move(*made));
    created = true;
  } else if (c->sd_multicast() != someip::Endpoint(sd.group, sd.port)) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "ecu \"%s\" already runs SD on %s; all its offers share one SD group and port", ecu.id(),
        Endpoint(c->sd_multicast())));
  }
  uint16_t service = config.service.id;
  uint16_t instance = config.instance_id;
  absl::Status s = c->StartOffer(std::move(config));
  if (!s.ok()) {
    if (created) ecu.erase_component(kComponentKey);
    return s;
  }
  ServiceInstance* inst = c->server().Find(service, instance);
  std::string name = InstanceName(ecu.id(), service, instance);
  MirrorAdd(ecu.id(), name);
  if (runtime_.hub.bus.HasWatchers()) {
    c->reporter().Observe(
        "someip.offer.started", inst->key(),
        {{"endpoint", Endpoint(someip::Endpoint(ecu.address(), inst->config().endpoint_port))},
         {"ttl", std::to_string(inst->config().EffectiveTtl())}});
  }
  if (response) FillOffer(ecu, *c, *inst, response);
  (void)proto;
  return absl::OkStatus();
}

absl::Status SomeIpServiceImpl::StopOfferOnShard(ecu::Ecu& ecu, uint16_t service,
                                                 uint16_t instance) {
  auto c = Component(ecu);
  if (!c.ok()) return c.status();
  if (auto s = (*c)->StopOffer(service, instance); !s.ok()) {
    return absl::NotFoundError(absl::StrCat("ecu \"", ecu.id(), "\": ", s.message()));
  }
  MirrorRemove(InstanceName(ecu.id(), service, instance));
  if ((*c)->server().Instances().empty()) ecu.erase_component(kComponentKey);
  return absl::OkStatus();
}

void SomeIpServiceImpl::RunOnInstance(const std::string& ecu_id, uint32_t service,
                                      uint32_t instance, InstanceFn fn,
                                      std::function<void(absl::Status)> done) {
  auto sid = Id16("service_id", service);
  auto iid = Id16("instance_id", instance);
  if (!sid.ok() || !iid.ok()) return done(sid.ok() ? iid.status() : sid.status());
  runtime_.ecus.RunOn(
      ecu_id,
      [fn = std::move(fn), s = *sid, i = *iid](ecu::Ecu& ecu) -> absl::Status {
        auto c = Component(ecu);
        if (!c.ok()) return c.status();
        auto inst = (*c)->Instance(s, i);
        if (!inst.ok()) return inst.status();
        return fn(**c, **inst);
      },
      std::move(done));
}

grpc::ServerUnaryReactor* SomeIpServiceImpl::StartOffer(grpc::CallbackServerContext* ctx,
                                                        const v1::StartOfferRequest* request,
                                                        v1::Offer* response) {
  auto* reactor = ctx->DefaultReactor();
  auto config = InstanceFromProto(request->instance(), "instance");
  if (!config.ok()) {
    FinishUnary(reactor, config.status());
    return reactor;
  }
  SdEndpointChoice sd = *SdEndpointFromProto(request->instance(), "instance");
  runtime_.ecus.RunOn(
      request->ecu_id(),
      [this, request, response, sd, c = std::move(*config)](ecu::Ecu& ecu) mutable {
        return StartOfferOnShard(ecu, request->instance(), std::move(c), sd, response);
      },
      [reactor](absl::Status s) { FinishUnary(reactor, s); });
  return reactor;
}

grpc::ServerUnaryReactor* SomeIpServiceImpl::StopOffer(grpc::CallbackServerContext* ctx,
                                                       const v1::StopOfferRequest* request,
                                                       v1::StopOfferResponse*) {
  auto* reactor = ctx->DefaultReactor();
  auto sid = Id16("service_id", request->service_id());
  auto iid = Id16("instance_id", request->instance_id());
  if (!sid.ok() || !iid.ok()) {
    FinishUnary(reactor, sid.ok() ? iid.status() : sid.status());
    return reactor;
  }
  runtime_.ecus.RunOn(
      request->ecu_id(),
      [this, s = *sid, i = *iid](ecu::Ecu& ecu) { return StopOfferOnShard(ecu, s, i); },
      [reactor](absl::Status s) { FinishUnary(reactor, s); });
  return reactor;
}

grpc::ServerUnaryReactor* SomeIpServiceImpl::ListOffers(grpc::CallbackServerContext* ctx,
                                                        const v1::ListOffersRequest* request,
                                                        v1::ListOffersResponse* response) {
  auto* reactor = ctx->DefaultReactor();
  auto mu = std::make_shared<absl::Mutex>();
  ForEachEcu(
      runtime_, request->ecu_id(),
      [this, mu, response](ecu::Ecu& ecu) -> absl::Status {
        auto* c = ecu.component_as<SomeIpEcu>(kComponentKey);
        if (c == nullptr) return absl::OkStatus();
        std::vector<v1::Offer> offers;
        for (ServiceInstance* inst : c->server().Instances()) {
          FillOffer(ecu, *c, *inst, &offers.emplace_back());
        }
        absl::MutexLock lock(mu.get());
        for (auto& o : offers) *response->add_offers() = std::move(o);
        return absl::OkStatus();
      },
      [reactor, response, mu](absl::Status s) {
        {
          absl::MutexLock lock(mu.get());
          std::sort(response->mutable_offers()->begin(), response->mutable_offers()->end(),
                    [](const v1::Offer& a, const v1::Offer& b) { return a.name() < b.name(); });
        }
        FinishUnary(reactor, s);
      });
  return reactor;
}

grpc::ServerUnaryReactor* SomeIpServiceImpl::ListSubscriptions(
    grpc::CallbackServerContext* ctx, const v1::ListSubscriptionsRequest* request,
    v1::ListSubscriptionsResponse* response) {
  auto* reactor = ctx->DefaultReactor();
  auto mu = std::make_shared<absl::Mutex>();
  uint32_t want_service = request->service_id();
  uint32_t want_instance = request->instance_id();
  ForEachEcu(
      runtime_, request->ecu_id(),
      [mu, response, want_service, want_instance](ecu::Ecu& ecu) -> absl::Status {
        auto* c = ecu.component_as<SomeIpEcu>(kComponentKey);
        if (c == nullptr) return absl::OkStatus();
        core::TimePoint now = ecu.hub().clock.Now();
        std::vector<v1::Subscription> subs;
        for (ServiceInstance* inst : c->server().Instances()) {
          if (want_service != 0 && inst->service_id() != want_service) continue;
          if (want_instance != 0 && inst->instance_id() != want_instance) continue;
          for (const someip::Subscriber& s : inst->subscribers()) {
            v1::Subscription& o = subs.emplace_back();
            o.set_ecu_id(ecu.id());
            o.set_service_id(inst->service_id());
            o.set_instance_id(inst->instance_id());
            o.set_eventgroup_id(s.eventgroup_id);
            o.set_endpoint(Endpoint(s.endpoint));
            o.set_protocol("udp");
            o.set_ttl_s(s.ttl_s);
            o.set_counter(s.counter);
            o.set_remaining_ms(
                s.expires == core::TimePoint::max()
                    ? 0xFFFFFFFF
                    : static_cast<uint32_t>(std::max<int64_t>(
                          0, std::chrono::duration_cast<std::chrono::milliseconds>(s.expires - now)
                                 .count())));
          }
        }
        absl::MutexLock lock(mu.get());
        for (auto& o : subs) *response->add_subscriptions() = std::move(o);
        return absl::OkStatus();
      },
      [reactor](absl::Status s) { FinishUnary(reactor, s); });
  return reactor;
}

grpc::ServerUnaryReactor* SomeIpServiceImpl::SendEvent(grpc::CallbackServerContext* ctx,
                                                       const v1::SendEventRequest* request,
                                                       v1::SendEventResponse* response) {
  auto* reactor = ctx->DefaultReactor();
  auto eg = Id16("eventgroup_id", request->eventgroup_id());
  auto ev = Id16("event_id", request->event_id());
  if (!eg.ok() || !ev.ok()) {
    FinishUnary(reactor, eg.ok() ? ev.status() : eg.status());
    return reactor;
  }
  RunOnInstance(
      request->ecu_id(), request->service_id(), request->instance_id(),
      [request, response, g = *eg, e = *ev](SomeIpEcu& c, ServiceInstance& inst) -> absl::Status {
        const std::string& p = request->payload();
        auto n =
            c.SendEvent(inst.service_id(), inst.instance_id(), g, e,
                        someip::ByteSpan(reinterpret_cast<const uint8_t*>(p.data()), p.size()));
        if (!n.ok()) return n.status();
        response->set_recipients(static_cast<uint32_t>(*n));
        return absl::OkStatus();
      },
      [reactor](absl::Status s) { FinishUnary(reactor, s); });
  return reactor;
}

grpc::ServerUnaryReactor* SomeIpServiceImpl::SetField(grpc::CallbackServerContext* ctx,
                                                      const v1::SetFieldRequest* request,
                                                      v1::SetFieldResponse* response) {
  auto* reactor = ctx->DefaultReactor();
  auto f = Id16("field_id", request->field_id());
  if (!f.ok()) {
    FinishUnary(reactor, f.status());
    return reactor;
  }
  RunOnInstance(
      request->ecu_id(), request->service_id(), request->instance_id(),
      [request, response, id = *f](SomeIpEcu& c, ServiceInstance& inst) -> absl::Status {
        const std::string& v = request->value();
        size_t recipients = 0;
        auto changed = c.SetField(
            inst.service_id(), inst.instance_id(), id,
            someip::ByteSpan(reinterpret_cast<const uint8_t*>(v.data()), v.size()), &recipients);
        if (!changed.ok()) return changed.status();
        response->set_changed(*changed);
        response->set_recipients(static_cast<uint32_t>(recipients));
        return absl::OkStatus();
      },
      [reactor](absl::Status s) { FinishUnary(reactor, s); });
  return reactor;
}

grpc::ServerUnaryReactor* SomeIpServiceImpl::SetEventGenerator(
    grpc::CallbackServerContext* ctx, const v1::SetEventGeneratorRequest* request,
    v1::SetEventGeneratorResponse*) {
  auto* reactor = ctx->DefaultReactor();
  auto eg = Id16("eventgroup_id", request->eventgroup_id());
  auto ev = Id16("event_id", request->event_id());
  std::optional<someip::GeneratorConfig> config;
  absl::Status bad = eg.ok() ? ev.status() : eg.status();
  if (bad.ok() && request->has_generator()) {
    auto g = GeneratorFromProto(request->generator());
    if (g.ok()) config = *g;
    bad = g.status();
  }
  if (!bad.ok()) {
    FinishUnary(reactor, bad);
    return reactor;
  }
  RunOnInstance(
      request->ecu_id(), request->service_id(), request->instance_id(),
      [config, g = *eg, e = *ev](SomeIpEcu& c, ServiceInstance& inst) {
        return c.SetGenerator(inst.service_id(), inst.instance_id(), g, e, config);
      },
      [reactor](absl::Status s) { FinishUnary(reactor, s); });
  return reactor;
}

grpc::ServerUnaryReactor* SomeIpServiceImpl::SetMethodBehavior(
    grpc::CallbackServerContext* ctx, const v1::SetMethodBehaviorRequest* request,
    v1::SetMethodBehaviorResponse*) {
  auto* reactor = ctx->DefaultReactor();
  auto m = Id16("method_id", request->method_id());
  auto b = BehaviorFromProto(request->behavior(), "behavior");
  if (!m.ok() || !b.ok()) {
    FinishUnary(reactor, m.ok() ? b.status() : m.status());
    return reactor;
  }
  RunOnInstance(
      request->ecu_id(), request->service_id(), request->instance_id(),
      [id = *m, behavior = *b](SomeIpEcu&, ServiceInstance& inst) {
        return inst.SetMethodBehavior(id, behavior);
      },
      [reactor](absl::Status s) { FinishUnary(reactor, s); });
  return reactor;
}

grpc::ServerUnaryReactor* SomeIpServiceImpl::SetFaults(grpc::CallbackServerContext* ctx,
                                                       const v1::SetFaultsRequest* request,
                                                       v1::SetFaultsResponse*) {
  auto* reactor = ctx->DefaultReactor();
  auto f = FaultsFromProto(request->faults(), "faults");
  if (!f.ok()) {
    FinishUnary(reactor, f.status());
    return reactor;
  }
  RunOnInstance(
      request->ecu_id(), request->service_id(), request->instance_id(),
      [faults = *f, proto = request->faults()](SomeIpEcu&, ServiceInstance& inst) {
        inst.SetFaults(faults);
        // ListOffers shows what runs; re-applying a scenario restores the scenario's faults.
        v1::ServiceInstance origin;
        origin.ParseFromString(inst.config().origin);
        *origin.mutable_faults() = proto;
        inst.set_origin(origin.SerializeAsString());
        return absl::OkStatus();
      },
      [reactor](absl::Status s) { FinishUnary(reactor, s); });
  return reactor;
}

}  // namespace ecusim::server
