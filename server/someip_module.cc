// The SOME/IP module of ecusimd: SomeIpService plus the `someip_offers` part of scenarios.
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/module.h"
#include "server/someip_service.h"

namespace ecusim::server {
namespace {

using someip::kComponentKey;
using someip::SomeIpEcu;

class SomeIpModule final : public Module {
 public:
  explicit SomeIpModule(Runtime& runtime) : runtime_(runtime), service_(runtime) {}

  absl::string_view name() const override { return "someip"; }
  grpc::Service* service() override { return &service_; }

  absl::Status ValidateScenarioEcu(const v1::ScenarioEcu& entry, absl::string_view path) override {
    std::set<std::pair<uint32_t, uint32_t>> seen;
    std::optional<std::pair<std::string, uint16_t>> sd;
    for (int i = 0; i < entry.someip_offers_size(); ++i) {
      std::string p = absl::StrFormat("%s.someip_offers[%d]", path, i);
      const v1::ServiceInstance& o = entry.someip_offers(i);
      auto c = InstanceFromProto(o, p);
      if (!c.ok()) return c.status();
      if (!seen.insert({o.service().id(), o.instance_id()}).second) {
        return absl::InvalidArgumentError(
            absl::StrFormat("%s: service 0x%04X instance 0x%04X is listed twice", p,
                            o.service().id(), o.instance_id()));
      }
      auto choice = *SdEndpointFromProto(o, p);
      std::pair<std::string, uint16_t> key{choice.group.to_string(), choice.port};
      if (sd && *sd != key) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "%s.sd_multicast_address: %s:%d differs from the ECU's other offers (%s:%d)", p,
            key.first, key.second, sd->first, sd->second));
      }
      sd = key;
    }
    return absl::OkStatus();
  }

  absl::StatusOr<bool> ApplyScenarioEcu(const v1::ScenarioEcu& entry) override {
    std::vector<std::pair<someip::InstanceConfig, SdEndpointChoice>> wanted;
    for (int i = 0; i < entry.someip_offers_size(); ++i) {
      std::string p = absl::StrFormat("someip_offers[%d]", i);
      auto c = InstanceFromProto(entry.someip_offers(i), p);
      if (!c.ok()) return c.status();
      wanted.emplace_back(std::move(*c), *SdEndpointFromProto(entry.someip_offers(i), p));
    }
    auto changed = std::make_shared<bool>(false);
    absl::Status s = runtime_.ecus.RunOnAndWait(
        entry.ecu().id(),
        [this, &wanted, changed](ecu::Ecu& ecu) { return Apply(ecu, wanted, *changed); });
    if (!s.ok()) return s;
    return *changed;
  }

 private:
  // On the ECU's shard: stop offers that are gone or changed, start new or changed ones.
  absl::Status Apply(ecu::Ecu& ecu,
                     std::vector<std::pair<someip::InstanceConfig, SdEndpointChoice>>& wanted,
                     bool& changed) {
    std::map<someip::InstanceKey, const someip::InstanceConfig*> by_key;
    for (auto& [c, sd] : wanted) {
      by_key[someip::MakeInstanceKey(c.service.id, c.instance_id)] = &c;
    }
    std::set<someip::InstanceKey> keep;
    if (auto* comp = ecu.component_as<SomeIpEcu>(kComponentKey)) {
      bool same_sd =
          wanted.empty() ||
          comp->sd_multicast() == someip::Endpoint(wanted[0].second.group, wanted[0].second.port);
      for (someip::ServiceInstance* inst : comp->server().Instances()) {
        auto it = by_key.find(inst->key());
        if (same_sd && it != by_key.end() && it->second->origin == inst->config().origin) {
          keep.insert(inst->key());
        }
      }
      for (someip::ServiceInstance* inst : comp->server().Instances()) {
        if (keep.count(inst->key())) continue;
        if (auto s = service_.StopOfferOnShard(ecu, inst->service_id(), inst->instance_id());
            !s.ok()) {
          return s;
        }
        changed = true;
      }
    }
    for (auto& [c, sd] : wanted) {
      if (keep.count(someip::MakeInstanceKey(c.service.id, c.instance_id))) continue;
      if (auto s = service_.StartOfferOnShard(ecu, {}, c, sd, nullptr); !s.ok()) return s;
      changed = true;
    }
    return absl::OkStatus();
  }

  Runtime& runtime_;
  SomeIpServiceImpl service_;
};

}  // namespace

std::unique_ptr<Module> CreateSomeIpModule(Runtime& runtime) {
  return std::make_unique<SomeIpModule>(runtime);
}

}  // namespace ecusim::server
