#include "sim/someip/service_instance.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_format.h"
#include "sim/someip/tp.h"

namespace ecusim::someip {

ServiceInstance::ServiceInstance(InstanceConfig config, Reporter& reporter, uint64_t seed)
    : config_(std::move(config)),
      key_(MakeInstanceKey(config_.service.id, config_.instance_id)),
      reporter_(reporter),
      rng_(seed) {
  for (const auto& f : config_.service.fields) fields_.push_back(Field{f});
}

const EventgroupConfig* ServiceInstance::FindEventgroup(uint16_t id) const {
  for (const auto& g : config_.service.eventgroups) {
    if (g.id == id) return &g;
  }
  return nullptr;
}

ServiceInstance::SubscribeOutcome ServiceInstance::Subscribe(core::TimePoint now,
                                                             const Subscriber& s) {
  Subscriber* existing = nullptr;
  size_t in_group = 0;
  for (auto& sub : subscribers_) {
    if (sub.eventgroup_id != s.eventgroup_id) continue;
    ++in_group;
    if (sub.endpoint == s.endpoint) existing = &sub;
  }
  core::TimePoint expires =
      s.ttl_s == 0xFFFFFF ? core::TimePoint::max() : now + std::chrono::seconds(s.ttl_s);
  if (existing != nullptr) {
    existing->ttl_s = s.ttl_s;
    existing->counter = s.counter;
    existing->sd_peer = s.sd_peer;
    existing->expires = expires;
    return SubscribeOutcome::kRenewed;
  }
  if (config_.max_subscribers != 0 && in_group >= config_.max_subscribers) {
    return SubscribeOutcome::kLimitReached;
  }
  Subscriber added = s;
  added.expires = expires;
  subscribers_.push_back(added);
  recipients_dirty_ = true;
  return SubscribeOutcome::kAdded;
}

bool ServiceInstance::Unsubscribe(uint16_t eventgroup_id, const Endpoint& endpoint) {
  auto it = std::find_if(subscribers_.begin(), subscribers_.end(), [&](const Subscriber& s) {
    return s.eventgroup_id == eventgroup_id && s.endpoint == endpoint;
  });
  if (it == subscribers_.end()) return false;
  subscribers_.erase(it);
  recipients_dirty_ = true;
  return true;
}

size_t ServiceInstance::DropSubscriptionsOf(const asio::ip::address& sd_peer) {
  size_t before = subscribers_.size();
  std::erase_if(subscribers_, [&](const Subscriber& s) { return s.sd_peer.address() == sd_peer; });
  size_t n = before - subscribers_.size();
  if (n > 0) recipients_dirty_ = true;
  return n;
}

void ServiceInstance::ExpireSubscriptions(core::TimePoint now) {
  for (auto it = subscribers_.begin(); it != subscribers_.end();) {
    if (it->expires > now) {
      ++it;
      continue;
    }
    reporter_.CountSubscription(SubscriptionResult::kExpired);
    if (reporter_.Watching()) {
      reporter_.Observe("someip.subscription.expired", key_,
                        {{"eventgroup", Hex16(it->eventgroup_id)},
                         {"subscriber", it->endpoint.address().to_string() + ":" +
                                            std::to_string(it->endpoint.port())}});
    }
    it = subscribers_.erase(it);
    recipients_dirty_ = true;
  }
}

void ServiceInstance::AppendInitialEvents(uint16_t eventgroup_id, const Endpoint& to,
                                          Datagrams& out) {
  const EventgroupConfig* g = FindEventgroup(eventgroup_id);
  if (g == nullptr) return;
  for (const Field& f : fields_) {
    if (f.config.notifier_id == 0) continue;
    if (std::find(g->event_ids.begin(), g->event_ids.end(), f.config.notifier_id) ==
        g->event_ids.end()) {
      continue;
    }
    Bytes msg(kHeaderSize + f.config.value.size());
    size_t n = EncodeNotification(f.config.notifier_id, f.config.value, msg.data());
    msg.resize(n);
    if (event_uses_tp(f.config.notifier_id) && f.config.value.size() > config_.tp_max_segment) {
      auto h = *DecodeHeader(msg);
      for (auto& seg : SegmentMessage(h, f.config.value, config_.tp_max_segment)) {
        out.push_back({key_, to, std::move(seg)});
      }
    } else {
      out.push_back({key_, to, std::move(msg)});
    }
    reporter_.CountSent(Sent::kNotification);
  }
}

absl::Status ServiceInstance::CheckEvent(uint16_t eventgroup_id, uint16_t event_id) const {
  const EventgroupConfig* g = FindEventgroup(eventgroup_id);
  if (g == nullptr) {
    return absl::NotFoundError(
        absl::StrFormat("service 0x%04X has no eventgroup 0x%04X", service_id(), eventgroup_id));
  }
  if (std::find(g->event_ids.begin(), g->event_ids.end(), event_id) == g->event_ids.end()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("event 0x%04X is not in eventgroup 0x%04X of service 0x%04X", event_id,
                        eventgroup_id, service_id()));
  }
  return absl::OkStatus();
}

const std::vector<Endpoint>& ServiceInstance::Recipients(uint16_t event_id) {
  if (recipients_dirty_) {
    recipients_.clear();
    for (const auto& g : config_.service.eventgroups) {
      bool any = false;
      for (const auto& s : subscribers_) any = any || s.eventgroup_id == g.id;
      if (!any) continue;
      for (uint16_t e : g.event_ids) {
        auto& list = recipients_[e];
        auto add = [&list](const Endpoint& ep) {
          if (std::find(list.begin(), list.end(), ep) == list.end()) list.push_back(ep);
        };
        if (g.multicast_address) {
          add(Endpoint(*g.multicast_address, g.multicast_port));
          continue;
        }
        for (const auto& s : subscribers_) {
          if (s.eventgroup_id == g.id) add(s.endpoint);
        }
      }
    }
    recipients_dirty_ = false;
  }
  static const std::vector<Endpoint> kNone;
  auto it = recipients_.find(event_id);
  return it == recipients_.end() ? kNone : it->second;
}

uint16_t ServiceInstance::NextSession(uint16_t event_id) {
  uint16_t& s = event_sessions_[event_id];
  s = s == 0xFFFF ? 1 : s + 1;  // _700: 1..0xFFFF, wrapping to 1
  return s;
}

size_t ServiceInstance::EncodeNotification(uint16_t event_id, ByteSpan payload, uint8_t* out) {
  Header h;
  h.service_id = service_id();
  h.method_id = event_id;
  h.length = static_cast<uint32_t>(kLengthOffset + payload.size());
  h.client_id = 0;
  h.session_id = NextSession(event_id);
  h.interface_version = major();  // _92
  h.message_type = static_cast<uint8_t>(MessageType::kNotification);
  EncodeHeader(h, out);
  if (!payload.empty()) std::memcpy(out + kHeaderSize, payload.data(), payload.size());
  return kHeaderSize + payload.size();
}

bool ServiceInstance::DropByFault() {
  double p = config_.faults.drop_notifications_percent;
  if (p <= 0) return false;
  return std::uniform_real_distribution<double>(0, 100)(rng_) < p;
}

bool ServiceInstance::event_uses_tp(uint16_t event_id) const {
  for (const auto& e : config_.service.events) {
    if (e.id == event_id) return e.tp;
  }
  return false;
}

size_t ServiceInstance::AppendNotification(uint16_t event_id, ByteSpan payload, Datagrams& out) {
  const std::vector<Endpoint>& to = Recipients(event_id);
  if (to.empty()) return 0;
  Bytes msg(kHeaderSize + payload.size());
  EncodeNotification(event_id, payload, msg.data());
  std::vector<Bytes> segments;
  if (event_uses_tp(event_id) && payload.size() > config_.tp_max_segment) {
    segments = SegmentMessage(*DecodeHeader(msg), payload, config_.tp_max_segment);
  }
  size_t sent = 0;
  for (const Endpoint& ep : to) {
    if (DropByFault()) {
      reporter_.CountNotificationDropped("fault");
      continue;
    }
    if (segments.empty()) {
      out.push_back({key_, ep, msg});
    } else {
      for (const auto& seg : segments) out.push_back({key_, ep, seg});
    }
    ++sent;
  }
  reporter_.CountSent(Sent::kNotification, sent);
  return to.size();
}

ServiceInstance::Field* ServiceInstance::FindField(uint16_t field_id) {
  for (Field& f : fields_) {
    if (f.config.notifier_id == field_id ||
        (f.config.notifier_id == 0 && f.config.getter_id == field_id)) {
      return &f;
    }
  }
  return nullptr;
}

const ServiceInstance::Field* ServiceInstance::FindField(uint16_t field_id) const {
  return const_cast<ServiceInstance*>(this)->FindField(field_id);
}

absl::StatusOr<bool> ServiceInstance::SetField(uint16_t field_id, ByteSpan value, Datagrams& out) {
  Field* f = FindField(field_id);
  if (f == nullptr) {
    return absl::NotFoundError(absl::StrFormat(
        "service 0x%04X has no field with notifier (or getter) id 0x%04X", service_id(), field_id));
  }
  if (std::equal(value.begin(), value.end(), f->config.value.begin(), f->config.value.end())) {
    return false;
  }
  f->config.value.assign(value.begin(), value.end());
  if (f->config.notifier_id != 0) AppendNotification(f->config.notifier_id, value, out);
  return true;
}

absl::StatusOr<Bytes> ServiceInstance::GetField(uint16_t field_id) const {
  const Field* f = FindField(field_id);
  if (f == nullptr) {
    return absl::NotFoundError(absl::StrFormat(
        "service 0x%04X has no field with notifier (or getter) id 0x%04X", service_id(), field_id));
  }
  return f->config.value;
}

absl::Status ServiceInstance::SetGenerator(core::TimePoint now, uint16_t eventgroup_id,
                                           uint16_t event_id,
                                           std::optional<GeneratorConfig> config) {
  if (auto s = CheckEvent(eventgroup_id, event_id); !s.ok()) return s;
  std::erase_if(generators_, [&](const auto& g) { return g->event_id() == event_id; });
  if (!config) return absl::OkStatus();
  if (auto s = ValidateGeneratorConfig(*config); !s.ok()) return s;
  generators_.push_back(
      std::make_unique<EventGenerator>(eventgroup_id, event_id, *config, now, rng_()));
  return absl::OkStatus();
}

std::optional<core::TimePoint> ServiceInstance::NextGeneratorDue() const {
  std::optional<core::TimePoint> next;
  for (const auto& g : generators_) {
    if (g->done()) continue;
    if (!next || g->next_due() < *next) next = g->next_due();
  }
  return next;
}

std::optional<core::TimePoint> ServiceInstance::NextWakeup() const {
  std::optional<core::TimePoint> next;
  auto consider = [&next](core::TimePoint t) {
    if (!next || t < *next) next = t;
  };
  for (const auto& s : subscribers_) {
    if (s.expires != core::TimePoint::max()) consider(s.expires);
  }
  if (!pending_replies_.empty()) consider(pending_replies_.begin()->first);
  for (const auto& [id, c] : calls_) consider(c.deadline);
  return next;
}

void ServiceInstance::OnTimer(core::TimePoint now, Datagrams& out) {
  ExpireSubscriptions(now);
  while (!pending_replies_.empty() && pending_replies_.begin()->first <= now) {
    out.push_back(std::move(pending_replies_.begin()->second));
    pending_replies_.erase(pending_replies_.begin());
  }
  for (auto it = calls_.begin(); it != calls_.end();) {
    if (it->second.deadline > now) {
      ++it;
      continue;
    }
    // Nobody answered in time: the client gets E_NOT_OK rather than silence.
    ReplyError(it->second.peer, it->second.request, ReturnCode::kNotOk, out);
    it = calls_.erase(it);
  }
}

}  // namespace ecusim::someip
