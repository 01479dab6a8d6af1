#include "server/someip_convert.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sim/someip/sd_server.h"

namespace ecusim::server {
namespace {

using someip::milliseconds;

absl::Status Invalid(absl::string_view path, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ".", what));
}

absl::StatusOr<asio::ip::address> MulticastAddress(absl::string_view path,
                                                   const std::string& text) {
  asio::error_code ec;
  auto a = asio::ip::make_address(text, ec);
  if (ec || !a.is_multicast()) {
    return Invalid(path, absl::StrCat("\"", text, "\" is not a multicast address"));
  }
  return a;
}

absl::Status ServiceFromProto(const v1::ServiceInterface& p, absl::string_view path,
                              someip::ServiceConfig& s) {
  auto id = Id16(absl::StrCat(path, ".id"), p.id());
  if (!id.ok()) return id.status();
  s.id = *id;
  if (p.major_version() > 254) {
    return Invalid(path, absl::StrFormat("major_version %d is outside 0-254", p.major_version()));
  }
  s.major_version = static_cast<uint8_t>(p.major_version());
  s.minor_version = p.minor_version();
  for (int i = 0; i < p.events_size(); ++i) {
    auto e = Id16(absl::StrFormat("%s.events[%d].id", path, i), p.events(i).id());
    if (!e.ok()) return e.status();
    s.events.push_back({*e, p.events(i).tp()});
  }
  for (int i = 0; i < p.methods_size(); ++i) {
    auto m = Id16(absl::StrFormat("%s.methods[%d].id", path, i), p.methods(i).id());
    if (!m.ok()) return m.status();
    s.methods.push_back({*m, p.methods(i).fire_and_forget(), p.methods(i).tp()});
  }
  for (int i = 0; i < p.fields_size(); ++i) {
    const auto& f = p.fields(i);
    std::string fp = absl::StrFormat("%s.fields[%d]", path, i);
    auto g = Id16(fp + ".getter_id", f.getter_id());
    auto st = Id16(fp + ".setter_id", f.setter_id());
    auto n = Id16(fp + ".notifier_id", f.notifier_id());
    for (auto* r : {&g, &st, &n}) {
      if (!r->ok()) return r->status();
    }
    s.fields.push_back({*g, *st, *n, someip::Bytes(f.value().begin(), f.value().end())});
  }
  for (int i = 0; i < p.eventgroups_size(); ++i) {
    const auto& g = p.eventgroups(i);
    std::string gp = absl::StrFormat("%s.eventgroups[%d]", path, i);
    someip::EventgroupConfig eg;
    auto gid = Id16(gp + ".id", g.id());
    if (!gid.ok()) return gid.status();
    eg.id = *gid;
    for (int k = 0; k < g.event_ids_size(); ++k) {
      auto e = Id16(absl::StrFormat("%s.event_ids[%d]", gp, k), g.event_ids(k));
      if (!e.ok()) return e.status();
      eg.event_ids.push_back(*e);
    }
    if (!g.multicast_address().empty()) {
      auto a = MulticastAddress(gp, g.multicast_address());
      if (!a.ok()) return a.status();
      auto port = Id16(gp + ".multicast_port", g.multicast_port());
      if (!port.ok()) return port.status();
      if (*port == 0) return Invalid(gp, "multicast_port 0 is not a port");
      eg.multicast_address = *a;
      eg.multicast_port = *port;
    }
    s.eventgroups.push_back(std::move(eg));
  }
  return absl::OkStatus();
}

absl::Status TimingFromProto(const v1::ServiceInstance& p, absl::string_view path,
                             someip::SdTiming& t) {
  const v1::SdTiming& sd = p.sd_timing();
  auto ms = [](uint32_t v) { return std::chrono::duration_cast<core::Duration>(milliseconds(v)); };
  if (sd.initial_delay_min_ms() || sd.initial_delay_max_ms()) {
    t.initial_delay_min = ms(sd.initial_delay_min_ms());
    t.initial_delay_max = ms(sd.initial_delay_max_ms());
  }
  if (sd.repetitions_base_delay_ms()) t.repetitions_base_delay = ms(sd.repetitions_base_delay_ms());
  if (sd.repetitions_max()) t.repetitions_max = sd.repetitions_max();
  if (sd.no_repetitions()) t.repetitions_max = 0;
  t.request_response_delay_min = ms(sd.request_response_delay_min_ms());
  t.request_response_delay_max = ms(sd.request_response_delay_max_ms());
  if (p.cyclic_offer_delay_ms()) t.cyclic_offer_delay = ms(p.cyclic_offer_delay_ms());
  for (uint32_t v : {sd.initial_delay_max_ms(), sd.repetitions_base_delay_ms(),
                     sd.request_response_delay_max_ms(), p.cyclic_offer_delay_ms()}) {
    if (v > 3600000) {
      return Invalid(path, absl::StrFormat("sd timing value %d ms is above one hour", v));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<uint16_t> Id16(absl::string_view field, uint32_t value) {
  if (value > 0xFFFF) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s 0x%X does not fit 16 bits", field, value));
  }
  return static_cast<uint16_t>(value);
}

std::string InstanceName(absl::string_view ecu_id, uint16_t service, uint16_t instance) {
  return absl::StrCat("ecus/", ecu_id, "/someip/", service, ".", instance);
}

absl::StatusOr<someip::FaultConfig> FaultsFromProto(const v1::FaultInjection& p,
                                                    absl::string_view path) {
  someip::FaultConfig f;
  f.nack_subscriptions = p.nack_subscriptions();
  if (!(p.drop_notifications_percent() >= 0 && p.drop_notifications_percent() <= 100)) {
    return Invalid(path, absl::StrFormat("drop_notifications_percent %g is outside 0-100",
                                         p.drop_notifications_percent()));
  }
  f.drop_notifications_percent = p.drop_notifications_percent();
  if (p.response_delay_ms() > 60000) {
    return Invalid(path,
                   absl::StrFormat("response_delay_ms %d is above 60000", p.response_delay_ms()));
  }
  f.response_delay = milliseconds(p.response_delay_ms());
  return f;
}

absl::StatusOr<someip::InstanceConfig> InstanceFromProto(const v1::ServiceInstance& p,
                                                         absl::string_view path) {
  if (!p.has_service()) return Invalid(path, "service is required");
  someip::InstanceConfig c;
  if (auto s = ServiceFromProto(p.service(), absl::StrCat(path, ".service"), c.service); !s.ok()) {
    return s;
  }
  auto inst = Id16(absl::StrCat(path, ".instance_id"), p.instance_id());
  if (!inst.ok()) return inst.status();
  c.instance_id = *inst;
  auto port = Id16(absl::StrCat(path, ".endpoint_port"), p.endpoint_port());
  if (!port.ok()) return port.status();
  c.endpoint_port = *port;
  if (p.tcp_port() != 0) {
    return Invalid(path, absl::StrFormat("tcp_port %d: TCP endpoints are not supported yet, "
                                         "leave it 0",
                                         p.tcp_port()));
  }
  c.ttl_s = p.ttl_s();
  if (auto s = TimingFromProto(p, absl::StrCat(path, ".sd_timing"), c.timing); !s.ok()) return s;
  c.max_subscribers = p.max_subscribers();
  auto faults = FaultsFromProto(p.faults(), absl::StrCat(path, ".faults"));
  if (!faults.ok()) return faults.status();
  c.faults = *faults;
  if (p.tp_segment_size() != 0) c.tp_max_segment = p.tp_segment_size();
  if (auto s = someip::ValidateInstanceConfig(c); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", s.message()));
  }
  if (auto sd = SdEndpointFromProto(p, path); !sd.ok()) return sd.status();
  c.origin = p.SerializeAsString();
  return c;
}

absl::StatusOr<SdEndpointChoice> SdEndpointFromProto(const v1::ServiceInstance& p,
                                                     absl::string_view path) {
  SdEndpointChoice c;
  c.group = asio::ip::make_address(someip::kDefaultSdMulticast);
  if (!p.sd_multicast_address().empty()) {
    auto a =
        MulticastAddress(absl::StrCat(path, ".sd_multicast_address"), p.sd_multicast_address());
    if (!a.ok()) return a.status();
    c.group = *a;
  }
  auto port = Id16(absl::StrCat(path, ".sd_port"), p.sd_port());
  if (!port.ok()) return port.status();
  c.port = *port == 0 ? someip::kSdPort : *port;
  return c;
}

absl::StatusOr<someip::GeneratorConfig> GeneratorFromProto(const v1::EventGenerator& p) {
  someip::GeneratorConfig g;
  switch (p.policy()) {
    case v1::EventGenerator::CYCLIC:
      g.policy = someip::GeneratorConfig::Policy::kCyclic;
      break;
    case v1::EventGenerator::ON_CHANGE:
      g.policy = someip::GeneratorConfig::Policy::kOnChange;
      break;
    case v1::EventGenerator::EPSILON_CHANGE:
      g.policy = someip::GeneratorConfig::Policy::kEpsilonChange;
      break;
    default:
      return absl::InvalidArgumentError(
          "generator.policy must be CYCLIC, ON_CHANGE or "
          "EPSILON_CHANGE");
  }
  g.period = milliseconds(p.period_ms());
  g.epsilon = p.epsilon();
  g.payload_size = p.payload_size() == 0
                       ? (g.policy == someip::GeneratorConfig::Policy::kCyclic ? 8 : 16)
                       : p.payload_size();
  g.count = p.count();
  g.burst = p.burst() == 0 ? 1 : p.burst();
  if (auto s = someip::ValidateGeneratorConfig(g); !s.ok()) return s;
  return g;
}

absl::StatusOr<someip::MethodBehavior> BehaviorFromProto(const v1::MethodBehavior& p,
                                                         absl::string_view path) {
  someip::MethodBehavior b;
  switch (p.kind()) {
    case v1::MethodBehavior::STATIC_REPLY:
      b.kind = someip::MethodBehavior::Kind::kStaticReply;
      break;
    case v1::MethodBehavior::ECHO:
      b.kind = someip::MethodBehavior::Kind::kEcho;
      break;
    case v1::MethodBehavior::ERROR:
      b.kind = someip::MethodBehavior::Kind::kError;
      if (p.return_code() == 0 || p.return_code() > 0xFF) {
        return Invalid(path, absl::StrFormat("return_code %d is outside 0x01-0xFF for ERROR",
                                             p.return_code()));
      }
      break;
    case v1::MethodBehavior::DROP:
      b.kind = someip::MethodBehavior::Kind::kDrop;
      break;
    default:
      return Invalid(path, "kind must be STATIC_REPLY, ECHO, ERROR or DROP");
  }
  if (p.delay_ms() > 60000) {
    return Invalid(path, absl::StrFormat("delay_ms %d is above 60000", p.delay_ms()));
  }
  b.payload.assign(p.payload().begin(), p.payload().end());
  b.return_code = static_cast<uint8_t>(p.return_code());
  b.delay = milliseconds(p.delay_ms());
  return b;
}

}  // namespace ecusim::server
