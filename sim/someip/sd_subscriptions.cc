// SdServer: incoming SD (Find, SubscribeEventgroup, StopSubscribeEventgroup) and the routing
// of service traffic (someip-sd.rst, `_N` = feat_req_someipsd_N; someip-rpc.rst _718).
#include "absl/strings/str_format.h"
#include "sim/someip/sd_server.h"

namespace ecusim::someip {
namespace {

std::string EndpointString(const Endpoint& ep) {
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

bool IsEndpointOption(const Option& o) {
  return o.type == OptionType::kIpv4Endpoint || o.type == OptionType::kIpv6Endpoint;
}

bool IsSdEndpointOption(const Option& o) {
  return o.type == OptionType::kIpv4SdEndpoint || o.type == OptionType::kIpv6SdEndpoint;
}

// _1084: an SD Endpoint option replaces the source address and port for replies.
Endpoint ReplyEndpoint(const SdMessage& m, const Entry& e, const Endpoint& from) {
  for (const Option* o : m.OptionsOf(e)) {
    if (IsSdEndpointOption(*o)) return Endpoint(o->address, o->port);
  }
  return from;
}

}  // namespace

void SdServer::OnSdDatagram(core::TimePoint now, const Endpoint& from, bool via_multicast,
                            ByteSpan datagram, Datagrams& out) {
  SplitResult split = SplitDatagram(datagram);
  for (const DecodeError& e : split.errors) reporter_.CountMalformed(e.reason);
  for (const MessageView& msg : split.messages) {
    const Header& h = msg.header;
    if (h.service_id != kSdServiceId || h.method_id != kSdMethodId) {
      reporter_.CountReceived(Received::kIgnored);
      continue;
    }
    if (h.protocol_version != kProtocolVersion) {
      reporter_.CountMalformed(Malformed::kWrongProtocolVersion);
      continue;
    }
    auto sd = DecodeSdPayload(msg.payload);
    if (!sd.ok()) {
      reporter_.CountMalformed(Malformed::kBadSdMessage);
      if (reporter_.Watching()) {
        reporter_.Observe(
            "someip.sd.malformed", 0,
            {{"peer", EndpointString(from)}, {"error", std::string(sd.status().message())}});
      }
      continue;
    }
    if (DetectReboot(from, via_multicast, h.session_id, sd->reboot())) {
      // _871: a rebooted client's subscriptions are gone.
      for (auto& [key, s] : offers_) {
        size_t n = s.instance->DropSubscriptionsOf(from.address());
        for (size_t i = 0; i < n; ++i) reporter_.CountSubscription(SubscriptionResult::kExpired);
      }
      if (reporter_.Watching()) {
        reporter_.Observe("someip.peer.rebooted", 0, {{"peer", from.address().to_string()}});
      }
    }
    for (int i = 0; i < sd->skipped_entries; ++i) reporter_.CountReceived(Received::kIgnored);
    OnFind(now, from, via_multicast, *sd, out);
    OnSubscribe(now, from, *sd, out);
  }
}

void SdServer::HandleStopSubscribe(const SdMessage& m, const Entry& e, const Endpoint& from) {
  reporter_.CountReceived(Received::kStopSubscribe);
  ServiceInstance* inst = Find(e.service_id, e.instance_id);
  if (inst == nullptr) return;
  for (const Option* o : m.OptionsOf(e)) {
    if (!IsEndpointOption(*o) || o->l4_proto != kL4Udp) continue;
    Endpoint ep(o->address.is_unspecified() ? from.address() : o->address, o->port);
    if (inst->Unsubscribe(e.eventgroup_id, ep)) {
      reporter_.CountSubscription(SubscriptionResult::kStopped);
      if (reporter_.Watching()) {
        reporter_.Observe(
            "someip.subscription.stopped", inst->key(),
            {{"eventgroup", Hex16(e.eventgroup_id)}, {"subscriber", EndpointString(ep)}});
      }
    }
  }
}

Entry SdServer::HandleSubscribe(core::TimePoint now, const Endpoint& from, const SdMessage& m,
                                const Entry& e, std::vector<Option>& ack_options, bool& initial,
                                Endpoint& subscriber) {
  // _614/_619: Ack and Nack copy service, instance, major, counter and eventgroup.
  Entry reply;
  reply.type = EntryType::kSubscribeEventgroupAck;
  reply.service_id = e.service_id;
  reply.instance_id = e.instance_id;
  reply.major_version = e.major_version;
  reply.counter = e.counter;
  reply.eventgroup_id = e.eventgroup_id;
  reply.ttl = 0;
  initial = false;
  std::string why;
  auto it = offers_.find(MakeInstanceKey(e.service_id, e.instance_id));
  ServiceInstance* inst = it == offers_.end() || it->second.phase == Phase::kInitialWait
                              ? nullptr
                              : it->second.instance.get();
  std::vector<const Option*> udp;
  for (const Option* o : m.OptionsOf(e)) {
    if (IsEndpointOption(*o) && o->l4_proto == kL4Udp) udp.push_back(o);
  }
  const EventgroupConfig* group = inst ? inst->FindEventgroup(e.eventgroup_id) : nullptr;
  if (inst == nullptr) {
    why = absl::StrFormat("service 0x%04X instance 0x%04X is not offered", e.service_id,
                          e.instance_id);
  } else if (e.major_version != inst->major()) {
    why = absl::StrFormat("major version %d, offered %d", e.major_version, inst->major());
  } else if (group == nullptr) {
    why = absl::StrFormat("no eventgroup 0x%04X", e.eventgroup_id);
  } else if (udp.empty()) {
    why = "no UDP endpoint option (TCP subscriptions are not supported)";
  } else if (udp.size() > 1) {
    why = "two UDP endpoint options";  // _1145
  } else if (inst->config().faults.nack_subscriptions) {
    why = "fault injection: nack_subscriptions";
  } else {
    subscriber =
        Endpoint(udp[0]->address.is_unspecified() ? from.address() : udp[0]->address, udp[0]->port);
    Subscriber s;
    s.eventgroup_id = e.eventgroup_id;
    s.endpoint = subscriber;
    s.sd_peer = from;
    s.ttl_s = e.ttl;
    s.counter = e.counter;
    auto outcome = inst->Subscribe(now, s);
    if (outcome == ServiceInstance::SubscribeOutcome::kLimitReached) {
      why = absl::StrFormat("subscriber limit %d reached", inst->config().max_subscribers);
    } else {
      bool added = outcome == ServiceInstance::SubscribeOutcome::kAdded;
      // _833: a renewal sends no initial events unless explicitly requested (_1187).
      initial = added || (config_.explicit_initial_data_control && e.initial_data_requested);
      reporter_.CountSubscription(added ? SubscriptionResult::kAdded
                                        : SubscriptionResult::kRenewed);
      if (reporter_.Watching()) {
        reporter_.Observe(added ? "someip.subscription.added" : "someip.subscription.renewed",
                          inst->key(),
                          {{"eventgroup", Hex16(e.eventgroup_id)},
                           {"subscriber", EndpointString(subscriber)},
                           {"ttl", std::to_string(e.ttl)},
                           {"counter", std::to_string(e.counter)}});
      }
      reply.ttl = e.ttl;
      if (group->multicast_address) {
        ack_options.push_back(MulticastOption(*group->multicast_address, group->multicast_port));
      }
      return reply;
    }
  }
  reporter_.CountSubscription(SubscriptionResult::kRefused);
  if (reporter_.Watching()) {
    reporter_.Observe(
        "someip.subscription.refused", MakeInstanceKey(e.service_id, e.instance_id),
        {{"eventgroup", Hex16(e.eventgroup_id)}, {"peer", EndpointString(from)}, {"reason", why}});
  }
  return reply;
}

void SdServer::OnSubscribe(core::TimePoint now, const Endpoint& from, const SdMessage& m,
                           Datagrams& out) {
  struct Initial {
    ServiceInstance* inst;
    uint16_t eventgroup;
    Endpoint to;
  };
  // _836: all Acks/Nacks of one message in one reply, per reply endpoint (_818: unicast).
  std::map<Endpoint, SdMessage> replies;
  std::vector<Initial> initial_events;
  for (const Entry& e : m.entries) {
    if (e.type != EntryType::kSubscribeEventgroup) {
      if (e.type != EntryType::kFindService) reporter_.CountReceived(Received::kIgnored);
      continue;
    }
    if (e.ttl == 0) {
      HandleStopSubscribe(m, e, from);
      continue;
    }
    reporter_.CountReceived(Received::kSubscribe);
    std::vector<Option> options;
    bool initial = false;
    Endpoint subscriber;
    Entry reply = HandleSubscribe(now, from, m, e, options, initial, subscriber);
    SdMessage& r = replies[ReplyEndpoint(m, e, from)];
    AttachOptions(r, reply, options);
    r.entries.push_back(reply);
    if (initial)
      initial_events.push_back({Find(e.service_id, e.instance_id), e.eventgroup_id, subscriber});
  }
  for (auto& [to, r] : replies) Send(std::move(r), false, to, out);
  // _691/_793: initial field values right after the Ack, by unicast.
  for (const Initial& i : initial_events) i.inst->AppendInitialEvents(i.eventgroup, i.to, out);
}

void SdServer::OnServiceDatagram(core::TimePoint now, uint16_t port, const Endpoint& from,
                                 ByteSpan datagram, Datagrams& out) {
  SplitResult split = SplitDatagram(datagram);
  for (const MessageView& m : split.messages) DispatchRequest(now, port, from, m, out);
  for (const DecodeError& e : split.errors) {
    reporter_.CountMalformed(e.reason);
    // A complete header whose Length overruns the datagram: a REQUEST still gets
    // E_MALFORMED_MESSAGE, so the client is not left waiting.
    if (e.reason != Malformed::kLengthBeyondDatagram) continue;
    Header h = *DecodeHeader(datagram.subspan(e.offset));
    auto on_port = InstancesOnPort(port);
    if (h.message_type != static_cast<uint8_t>(MessageType::kRequest) || on_port.empty() ||
        h.protocol_version != kProtocolVersion) {
      continue;
    }
    h.message_type = static_cast<uint8_t>(MessageType::kError);
    h.return_code = static_cast<uint8_t>(ReturnCode::kMalformedMessage);
    out.push_back({on_port[0]->key(), from, EncodeMessage(h, {})});
    reporter_.CountSent(Sent::kError);
  }
}

void SdServer::DispatchRequest(core::TimePoint now, uint16_t port, const Endpoint& from,
                               const MessageView& msg, Datagrams& out) {
  const Header& h = msg.header;
  auto on_port = InstancesOnPort(port);
  if (on_port.empty()) return;
  bool request = h.base_type() == static_cast<uint8_t>(MessageType::kRequest);
  auto error = [&](ReturnCode rc) {
    if (!request) return;
    Header e = h;
    e.protocol_version = kProtocolVersion;
    e.message_type = static_cast<uint8_t>(MessageType::kError);
    e.return_code = static_cast<uint8_t>(rc);
    out.push_back({on_port[0]->key(), from, EncodeMessage(e, {})});
    reporter_.CountSent(Sent::kError);
  };
  if (!IsKnownMessageType(h.message_type)) {
    reporter_.CountMalformed(Malformed::kUnknownMessageType);
    return;
  }
  if (!request && h.base_type() != static_cast<uint8_t>(MessageType::kRequestNoReturn)) {
    reporter_.CountReceived(Received::kIgnored);  // no request of ours is outstanding
    return;
  }
  if (h.protocol_version != kProtocolVersion) {
    reporter_.CountMalformed(Malformed::kWrongProtocolVersion);
    return error(ReturnCode::kWrongProtocolVersion);
  }
  if (h.tp()) {
    auto whole = tp_.Feed(now, EndpointString(from) + ">" + std::to_string(port), msg);
    if (!whole.ok()) {
      reporter_.CountMalformed(Malformed::kBadTpSegment);
      return;
    }
    if (!whole->has_value()) return;
    Bytes bytes = std::move(**whole);
    SplitResult again = SplitDatagram(bytes);
    if (again.messages.size() == 1) DispatchRequest(now, port, from, again.messages[0], out);
    return;
  }
  for (ServiceInstance* inst : on_port) {
    if (inst->service_id() == h.service_id) {
      inst->HandleRequest(now, from, msg, out);
      return;
    }
  }
  error(ReturnCode::kUnknownService);
}

}  // namespace ecusim::someip
