#include "sim/doip/doip_component.h"

#include "absl/strings/str_format.h"

namespace ecusim::doip {

std::string Hex16(uint16_t v) { return absl::StrFormat("0x%04X", v); }

std::string HexBytes(ByteSpan bytes, size_t max) {
  std::string out;
  for (size_t i = 0; i < bytes.size() && i < max; ++i) {
    if (i > 0) out += ' ';
    absl::StrAppendFormat(&out, "%02X", bytes[i]);
  }
  if (bytes.size() > max) out += " ...";
  return out;
}

DoipMetrics::DoipMetrics(observe::Metrics& m)
    : announcements_sent(
          m.Counters("ecusim_doip_announcements_sent_total", "Vehicle announcements (0x0004) sent.")
              .Add({})),
      identification_requests(m.Counters("ecusim_doip_identification_requests_total",
                                         "Vehicle identification requests by type (plain, eid, "
                                         "vin) and result (answered, ignored).")),
      udp_requests(m.Counters("ecusim_doip_udp_requests_total",
                              "Entity status and diagnostic power mode requests by type.")),
      routing_activations(m.Counters("ecusim_doip_routing_activations_total",
                                     "Routing activation responses by response code.")),
      diagnostic_messages(m.Counters("ecusim_doip_diagnostic_messages_total",
                                     "Diagnostic messages (0x8001) by direction (rx, tx).")),
      diagnostic_nacks(m.Counters("ecusim_doip_diagnostic_nacks_total",
                                  "Diagnostic message NACKs (0x8003) sent by NACK code.")),
      generic_nacks(m.Counters("ecusim_doip_generic_nacks_total",
                               "Generic header NACKs sent by code and transport.")),
      alive_checks(m.Counters("ecusim_doip_alive_checks_total",
                              "Alive checks sent by the entity, by result (answered, timeout).")),
      tcp_connections(
          m.Gauges("ecusim_doip_tcp_connections", "Open DoIP TCP connections.").Add({})) {}

void DoipMirror::SetEntity(const std::string& ecu_id,
                           std::vector<std::pair<std::string, std::string>> attrs) {
  absl::MutexLock lock(&mu_);
  entries_[ecu_id].attrs = std::move(attrs);
}

void DoipMirror::EraseEntity(const std::string& ecu_id) {
  absl::MutexLock lock(&mu_);
  entries_.erase(ecu_id);
}

void DoipMirror::SetConnection(const std::string& ecu_id, const ConnectionInfo& c) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(ecu_id);
  if (it != entries_.end()) it->second.connections[c.id] = c;
}

void DoipMirror::EraseConnection(const std::string& ecu_id, ConnId id) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(ecu_id);
  if (it != entries_.end()) it->second.connections.erase(id);
}

void DoipMirror::Snapshot(std::vector<observe::Observation>& out) const {
  absl::MutexLock lock(&mu_);
  for (const auto& [ecu, e] : entries_) {
    observe::Observation o;
    o.kind = "doip.entity.running";
    o.ecu_id = ecu;
    o.resource = "ecus/" + ecu + "/doip";
    o.attributes = e.attrs;
    o.snapshot = true;
    out.push_back(std::move(o));
    for (const auto& [id, c] : e.connections) {
      observe::Observation co;
      co.kind = "doip.connection";
      co.ecu_id = ecu;
      co.resource = "ecus/" + ecu + "/doip";
      co.With("peer", c.peer)
          .With("state", ConnectionStateName(c.state))
          .With("tester_address", Hex16(c.tester_address))
          .With("tls", c.tls ? "true" : "false");
      co.snapshot = true;
      out.push_back(std::move(co));
    }
  }
}

DoipComponent::DoipComponent(ecu::Ecu& ecu, std::shared_ptr<DoipMirror> mirror)
    : ecu_id_(ecu.id()),
      resource_(ecu.ResourceName() + "/doip"),
      hub_(ecu.hub()),
      metrics_(ecu.hub().metrics),
      mirror_(std::move(mirror)),
      requests_rx_(metrics_.diagnostic_messages.Add({{"direction", "rx"}})),
      responses_tx_(metrics_.diagnostic_messages.Add({{"direction", "tx"}})) {}

absl::StatusOr<std::unique_ptr<DoipComponent>> DoipComponent::Start(
    ecu::Ecu& ecu, EntityConfig config, std::shared_ptr<DoipMirror> mirror) {
  std::unique_ptr<DoipComponent> c(new DoipComponent(ecu, std::move(mirror)));
  if (c->mirror_) {
    c->mirror_->SetEntity(c->ecu_id_, {{"logical_address", Hex16(config.logical_address)},
                                       {"vin", VinToString(config.vin)}});
  }
  absl::StatusOr<std::shared_ptr<EntityTransport>> t = EntityTransport::Start(
      ecu.shard().context(), ecu.hub().clock, ecu.address(), std::move(config), c.get());
  if (!t.ok()) {
    if (c->mirror_) c->mirror_->EraseEntity(c->ecu_id_);
    c->shut_down_ = true;
    return t.status();
  }
  c->transport_ = std::move(*t);
  c->Publish("doip.entity.started",
             {{"logical_address", Hex16(c->entity().config().logical_address)},
              {"tcp_port", std::to_string(c->transport_->tcp_port())},
              {"announcement_address", c->transport_->announcement_address().to_string()}});
  return c;
}

DoipComponent::~DoipComponent() { Shutdown(); }

void DoipComponent::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  if (transport_) transport_->Stop();
  if (mirror_) mirror_->EraseEntity(ecu_id_);
  Publish("doip.entity.stopped", {});
}

void DoipComponent::Publish(const char* kind,
                            std::vector<std::pair<std::string, std::string>> attrs) {
  if (!hub_.bus.HasWatchers()) return;
  observe::Observation o;
  o.kind = kind;
  o.ecu_id = ecu_id_;
  o.resource = resource_;
  o.attributes = std::move(attrs);
  hub_.bus.Publish(std::move(o));
}

prometheus::Counter& DoipComponent::CodeCounter(prometheus::Family<prometheus::Counter>& family,
                                                std::map<uint32_t, prometheus::Counter*>& cache,
                                                uint32_t key,
                                                std::map<std::string, std::string> labels) {
  auto it = cache.find(key);
  if (it != cache.end()) return *it->second;
  prometheus::Counter& c = family.Add(labels);
  cache[key] = &c;
  return c;
}

void DoipComponent::OnConnectionOpened(const ConnectionInfo& c) {
  metrics_.tcp_connections.Increment();
  if (mirror_) mirror_->SetConnection(ecu_id_, c);
  Publish("doip.connection.opened", {{"peer", c.peer}, {"tls", c.tls ? "true" : "false"}});
}

void DoipComponent::OnConnectionClosed(const ConnectionInfo& c, const std::string& reason) {
  metrics_.tcp_connections.Decrement();
  if (mirror_) mirror_->EraseConnection(ecu_id_, c.id);
  Publish("doip.connection.closed", {{"peer", c.peer}, {"reason", reason}});
}

void DoipComponent::OnRoutingActivation(const ConnectionInfo& c, uint16_t source, uint8_t type,
                                        uint8_t code) {
  CodeCounter(metrics_.routing_activations, activation_counters_, code,
              {{"code", absl::StrFormat("0x%02X", code)}})
      .Increment();
  if (mirror_) mirror_->SetConnection(ecu_id_, c);
  Publish("doip.routing_activation", {{"peer", c.peer},
                                      {"source_address", Hex16(source)},
                                      {"activation_type", absl::StrFormat("0x%02X", type)},
                                      {"code", absl::StrFormat("0x%02X", code)}});
}

void DoipComponent::OnAliveCheck(ConnId, bool answered) {
  metrics_.alive_checks.Add({{"result", answered ? "answered" : "timeout"}}).Increment();
  Publish("doip.alive_check", {{"result", answered ? "answered" : "timeout"}});
}

void DoipComponent::OnDiagnosticRequest(uint16_t source, uint16_t target, ByteSpan uds) {
  requests_rx_.Increment();
  if (!hub_.bus.HasWatchers()) return;
  Publish("doip.diagnostic.request", {{"source_address", Hex16(source)},
                                      {"target_address", Hex16(target)},
                                      {"uds", HexBytes(uds)}});
}

void DoipComponent::OnDiagnosticResponse(uint16_t source, uint16_t target, ByteSpan uds) {
  responses_tx_.Increment();
  if (!hub_.bus.HasWatchers()) return;
  Publish("doip.diagnostic.response", {{"source_address", Hex16(source)},
                                       {"target_address", Hex16(target)},
                                       {"uds", HexBytes(uds)}});
}

void DoipComponent::OnDiagnosticNack(uint16_t source, uint16_t target, uint8_t code) {
  CodeCounter(metrics_.diagnostic_nacks, diag_nack_counters_, code,
              {{"code", absl::StrFormat("0x%02X", code)}})
      .Increment();
  Publish("doip.diagnostic.nack", {{"source_address", Hex16(source)},
                                   {"target_address", Hex16(target)},
                                   {"code", absl::StrFormat("0x%02X", code)}});
}

void DoipComponent::OnGenericNack(uint8_t code, Transport transport, const std::string& detail) {
  const char* t = transport == Transport::kUdp ? "udp" : "tcp";
  CodeCounter(metrics_.generic_nacks, generic_nack_counters_,
              code | (transport == Transport::kUdp ? 0x100u : 0u),
              {{"code", absl::StrFormat("0x%02X", code)}, {"transport", t}})
      .Increment();
  Publish("doip.generic_nack",
          {{"code", absl::StrFormat("0x%02X", code)}, {"transport", t}, {"detail", detail}});
}

void DoipComponent::OnUdpRequest(const char* type, bool answered) {
  const std::string t = type;
  if (t == "entity_status" || t == "power_mode") {
    metrics_.udp_requests.Add({{"type", t}}).Increment();
  } else {
    metrics_.identification_requests
        .Add({{"type", t}, {"result", answered ? "answered" : "ignored"}})
        .Increment();
  }
  Publish("doip.udp_request", {{"type", t}, {"answered", answered ? "true" : "false"}});
}

void DoipComponent::OnAnnouncementSent(const std::string& target, uint8_t further_action) {
  metrics_.announcements_sent.Increment();
  Publish("doip.announcement.sent",
          {{"target", target}, {"further_action", absl::StrFormat("0x%02X", further_action)}});
}

}  // namespace ecusim::doip
