// SdServer: offers, phases, sessions and FindService (someip-sd.rst, `_N` = feat_req_someipsd_N).
#include "sim/someip/sd_server.h"

#include "absl/strings/str_format.h"

namespace ecusim::someip {

std::pair<uint16_t, bool> SdSession::Take() {
  std::pair<uint16_t, bool> r{next, reboot};
  if (next == 0xFFFF) {
    next = 1;
    reboot = false;  // _41: the flag is cleared by the first wrap
  } else {
    ++next;
  }
  return r;
}

SdServer::SdServer(SdServerConfig config, Reporter& reporter)
    : config_(std::move(config)), reporter_(reporter), rng_(config_.seed) {}

const char* SdServer::PhaseName(Phase p) {
  switch (p) {
    case Phase::kInitialWait:
      return "initial_wait";
    case Phase::kRepetition:
      return "repetition";
    case Phase::kMain:
      return "main";
  }
  return "unknown";
}

core::Duration SdServer::RandomIn(core::Duration lo, core::Duration hi) {
  if (hi <= lo) return lo;
  std::uniform_int_distribution<int64_t> d(lo.count(), hi.count());
  return core::Duration(d(rng_));
}

absl::Status SdServer::Offer(core::TimePoint now, InstanceConfig config) {
  if (auto s = ValidateInstanceConfig(config); !s.ok()) return s;
  InstanceKey key = MakeInstanceKey(config.service.id, config.instance_id);
  if (offers_.count(key)) {
    return absl::AlreadyExistsError(
        absl::StrFormat("service 0x%04X instance 0x%04X is already "
                        "offered",
                        config.service.id, config.instance_id));
  }
  for (const auto& [k, s] : offers_) {
    const InstanceConfig& other = s.instance->config();
    if (other.endpoint_port == config.endpoint_port && other.service.id == config.service.id) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "port %d already serves instance 0x%04X of service 0x%04X; instances of one service "
          "need distinct ports",
          config.endpoint_port, other.instance_id, other.service.id));
    }
  }
  OfferState s;
  s.next = now + RandomIn(config.timing.initial_delay_min, config.timing.initial_delay_max);
  s.instance = std::make_unique<ServiceInstance>(std::move(config), reporter_, rng_());
  offers_.emplace(key, std::move(s));
  return absl::OkStatus();
}

ServiceInstance* SdServer::Find(uint16_t service_id, uint16_t instance_id) {
  auto it = offers_.find(MakeInstanceKey(service_id, instance_id));
  return it == offers_.end() ? nullptr : it->second.instance.get();
}

std::vector<ServiceInstance*> SdServer::Instances() {
  std::vector<ServiceInstance*> out;
  for (auto& [k, s] : offers_) out.push_back(s.instance.get());
  return out;
}

std::vector<ServiceInstance*> SdServer::InstancesOnPort(uint16_t port) {
  std::vector<ServiceInstance*> out;
  for (auto& [k, s] : offers_) {
    if (s.instance->config().endpoint_port == port) out.push_back(s.instance.get());
  }
  return out;
}

SdServer::Phase SdServer::phase(InstanceKey key) const {
  auto it = offers_.find(key);
  return it == offers_.end() ? Phase::kInitialWait : it->second.phase;
}

Entry SdServer::OfferEntry(const ServiceInstance& inst, bool stop) const {
  Entry e;
  e.type = EntryType::kOfferService;
  e.service_id = inst.service_id();
  e.instance_id = inst.instance_id();
  e.major_version = inst.major();
  e.minor_version = inst.config().service.minor_version;
  e.ttl = stop ? 0 : inst.config().EffectiveTtl();  // _262: Stop = the Offer with TTL 0
  return e;
}

void SdServer::AddOffer(SdMessage& m, const ServiceInstance& inst, bool stop) const {
  Entry e = OfferEntry(inst, stop);
  AttachOptions(m, e, {EndpointOption(config_.unicast, kL4Udp, inst.config().endpoint_port)});
  m.entries.push_back(e);
}

void SdServer::Send(SdMessage m, bool multicast, const Endpoint& to, Datagrams& out) {
  if (m.entries.empty()) return;
  for (const Entry& e : m.entries) {
    if (e.type == EntryType::kOfferService) {
      reporter_.CountSent(e.ttl == 0 ? Sent::kStopOffer : Sent::kOffer);
    } else if (e.type == EntryType::kSubscribeEventgroupAck) {
      reporter_.CountSent(e.ttl == 0 ? Sent::kSubscribeNack : Sent::kSubscribeAck);
    }
  }
  // Keep every datagram within the UDP best-practice size: split the entries when needed.
  std::vector<SdMessage> parts;
  if (SdPayloadSize(m) <= kMaxUdpPayload) {
    parts.push_back(std::move(m));
  } else {
    SdMessage cur;
    for (const Entry& e : m.entries) {
      SdMessage trial = cur;
      Entry copy = e;
      std::vector<Option> opts;
      for (const Option* o : m.OptionsOf(e)) opts.push_back(*o);
      copy.num2 = 0;
      AttachOptions(trial, copy, opts);
      trial.entries.push_back(copy);
      if (!cur.entries.empty() && SdPayloadSize(trial) > kMaxUdpPayload) {
        parts.push_back(std::move(cur));
        cur = SdMessage();
        copy = e;
        copy.num2 = 0;
        AttachOptions(cur, copy, opts);
        cur.entries.push_back(copy);
      } else {
        cur = std::move(trial);
      }
    }
    parts.push_back(std::move(cur));
  }
  for (SdMessage& part : parts) {
    SdSession* session = &multicast_session_;
    if (!multicast) {
      auto it = unicast_sessions_.find(to);
      if (it == unicast_sessions_.end()) {
        if (unicast_sessions_.size() >= kMaxUnicastRelations) unicast_sessions_.clear();
        it = unicast_sessions_.emplace(to, SdSession{}).first;
      }
      session = &it->second;
    }
    auto [id, reboot] = session->Take();
    part.flags = kSdFlagUnicast | (reboot ? kSdFlagReboot : 0) |
                 (config_.explicit_initial_data_control ? kSdFlagExplicitInitialData : 0);
    out.push_back({0, multicast ? config_.multicast : to, EncodeSdMessage(part, id)});
  }
}

absl::Status SdServer::StopOffer(core::TimePoint now, uint16_t service_id, uint16_t instance_id,
                                 Datagrams& out) {
  auto it = offers_.find(MakeInstanceKey(service_id, instance_id));
  if (it == offers_.end()) {
    return absl::NotFoundError(
        absl::StrFormat("service 0x%04X instance 0x%04X is not offered", service_id, instance_id));
  }
  // Nothing was announced during the initial wait, so there is nothing to withdraw.
  if (it->second.phase != Phase::kInitialWait) {
    SdMessage m;
    AddOffer(m, *it->second.instance, /*stop=*/true);
    Send(std::move(m), true, config_.multicast, out);
  }
  for (size_t i = 0; i < it->second.instance->subscribers().size(); ++i) {
    reporter_.CountSubscription(SubscriptionResult::kStopped);
  }
  if (reporter_.Watching()) reporter_.Observe("someip.offer.stopped", it->first, {});
  offers_.erase(it);
  return absl::OkStatus();
}

void SdServer::StopAll(core::TimePoint now, Datagrams& out) {
  SdMessage m;
  for (auto& [key, s] : offers_) {
    if (s.phase != Phase::kInitialWait) AddOffer(m, *s.instance, /*stop=*/true);
    for (size_t i = 0; i < s.instance->subscribers().size(); ++i) {
      reporter_.CountSubscription(SubscriptionResult::kStopped);
    }
    if (reporter_.Watching()) reporter_.Observe("someip.offer.stopped", key, {});
  }
  Send(std::move(m), true, config_.multicast, out);
  offers_.clear();
}

void SdServer::AdvancePhase(core::TimePoint now, OfferState& s) {
  const SdTiming& t = s.instance->config().timing;
  auto enter_main = [&] {
    s.phase = Phase::kMain;
    if (t.cyclic_offer_delay <= core::Duration::zero()) {
      s.next = core::TimePoint::max();
      return;
    }
    s.next = now + t.cyclic_offer_delay;
    // Join the cycle of another main-phase offer with the same period, so one SD message
    // per cycle carries all of them (its next offer is at most one period away).
    for (auto& [k, other] : offers_) {
      if (&other == &s || other.phase != Phase::kMain) continue;
      if (other.instance->config().timing.cyclic_offer_delay == t.cyclic_offer_delay &&
          other.next > now && other.next < s.next) {
        s.next = other.next;
      }
    }
  };
  switch (s.phase) {
    case Phase::kInitialWait:
      if (t.repetitions_max == 0) {
        enter_main();
      } else {
        s.phase = Phase::kRepetition;
        s.repetitions = 0;
        s.next = now + t.repetitions_base_delay;
      }
      break;
    case Phase::kRepetition:
      if (++s.repetitions >= t.repetitions_max) {
        enter_main();
      } else {
        s.next = now + t.repetitions_base_delay * (1 << s.repetitions);  // _68-_81: doubling
      }
      break;
    case Phase::kMain:
      s.next += t.cyclic_offer_delay;
      if (s.next <= now) s.next = now + t.cyclic_offer_delay;
      break;
  }
}

void SdServer::OnTimer(core::TimePoint now, Datagrams& out) {
  SdMessage offers;
  for (auto& [key, s] : offers_) {
    if (s.next > now) continue;
    AddOffer(offers, *s.instance, /*stop=*/false);
    if (reporter_.Watching()) {
      reporter_.Observe("someip.offer.sent", key,
                        {{"phase", PhaseName(s.phase)},
                         {"ttl", std::to_string(OfferEntry(*s.instance, false).ttl)}});
    }
    AdvancePhase(now, s);
  }
  Send(std::move(offers), true, config_.multicast, out);
  for (auto it = pending_answers_.begin(); it != pending_answers_.end();) {
    if (it->due > now) {
      ++it;
      continue;
    }
    Send(std::move(it->message), it->multicast, it->to, out);
    it = pending_answers_.erase(it);
  }
  for (auto& [key, s] : offers_) s.instance->OnTimer(now, out);
  tp_.Expire(now);
}

std::optional<core::TimePoint> SdServer::NextWakeup() const {
  std::optional<core::TimePoint> next;
  auto consider = [&next](core::TimePoint t) {
    if (t != core::TimePoint::max() && (!next || t < *next)) next = t;
  };
  for (const auto& [key, s] : offers_) {
    consider(s.next);
    if (auto t = s.instance->NextWakeup()) consider(*t);
  }
  for (const auto& p : pending_answers_) consider(p.due);
  return next;
}

bool SdServer::DetectReboot(const Endpoint& from, bool via_multicast, uint16_t session,
                            bool reboot) {
  auto key = std::make_pair(from.address(), via_multicast);
  auto it = peers_.find(key);
  if (it == peers_.end()) {
    if (peers_.size() >= kMaxUnicastRelations) peers_.clear();
    peers_[key] = PeerState{session, reboot};
    return false;
  }
  PeerState old = it->second;
  it->second = PeerState{session, reboot};
  return (!old.reboot && reboot) || (old.reboot && reboot && old.session >= session);
}

void SdServer::OnFind(core::TimePoint now, const Endpoint& from, bool via_multicast,
                      const SdMessage& m, Datagrams& out) {
  SdMessage answer;
  const ServiceInstance* first = nullptr;
  for (const Entry& e : m.entries) {
    if (e.type != EntryType::kFindService) continue;
    reporter_.CountReceived(Received::kFind);
    for (auto& [key, s] : offers_) {
      const ServiceInstance& inst = *s.instance;
      // Nothing is offered before the initial wait ends.
      if (s.phase == Phase::kInitialWait || e.service_id != inst.service_id()) continue;
      if (e.instance_id != kAnyInstance && e.instance_id != inst.instance_id()) continue;
      if (e.major_version != kAnyMajor && e.major_version != inst.major()) continue;
      if (e.minor_version != kAnyMinor && e.minor_version != inst.config().service.minor_version) {
        continue;
      }
      bool dup = false;
      for (const Entry& a : answer.entries)
        dup = dup || (a.service_id == inst.service_id() && a.instance_id == inst.instance_id());
      if (dup) continue;
      AddOffer(answer, inst, false);
      if (first == nullptr) first = &inst;
      if (reporter_.Watching()) {
        reporter_.Observe("someip.find.answered", key,
                          {{"peer", from.address().to_string() + ":" + std::to_string(from.port())},
                           {"unicast", m.unicast() ? "true" : "false"}});
      }
    }
  }
  if (first == nullptr) return;
  // PROTOCOLS.md: unicast flag set -> unicast answer, otherwise multicast (_91).
  bool multicast = !m.unicast();
  const SdTiming& t = first->config().timing;
  core::Duration delay = via_multicast
                             ? RandomIn(t.request_response_delay_min, t.request_response_delay_max)
                             : core::Duration::zero();
  if (delay <= core::Duration::zero()) {
    Send(std::move(answer), multicast, from, out);
  } else if (pending_answers_.size() < kMaxPendingAnswers) {
    pending_answers_.push_back({now + delay, multicast, from, std::move(answer)});
  }
}

}  // namespace ecusim::someip
