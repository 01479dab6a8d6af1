#include "sim/doip/entity.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "sim/doip/entity_internal.h"

namespace ecusim::doip {

const char* ConnectionStateName(ConnectionState s) {
  switch (s) {
    case ConnectionState::kSocketInitialized:
      return "socket_initialized";
    case ConnectionState::kPendingAliveCheck:
      return "pending_alive_check";
    case ConnectionState::kPendingAuthentication:
      return "registered_pending_authentication";
    case ConnectionState::kPendingConfirmation:
      return "registered_pending_confirmation";
    case ConnectionState::kRoutingActive:
      return "registered_routing_active";
  }
  return "unknown";
}

Entity::Entity(EntityConfig config, EntityObserver* observer, uint64_t random_seed)
    : config_(std::move(config)),
      observer_(observer != nullptr ? observer : &null_observer_),
      budget_(config_.receive_buffer_bytes) {
  for (const LogicalEcuConfig& e : config_.ecus) {
    targets_.push_back(std::make_unique<Target>(e, random_seed++));
  }
}

Entity::~Entity() = default;

Entity::Connection* Entity::FindConnection(ConnId id) {
  auto it = connections_.find(id);
  return it == connections_.end() ? nullptr : it->second.get();
}

Entity::Target* Entity::FindTarget(uint16_t address) {
  for (auto& t : targets_) {
    if (t->config.address == address) return t.get();
  }
  return nullptr;
}

UdsServer* Entity::FindEcu(uint16_t address) {
  Target* t = FindTarget(address);
  return t == nullptr ? nullptr : &t->uds;
}

ConnectionInfo Entity::Info(const Connection& c) const {
  return ConnectionInfo{
      c.id, c.peer, c.tls, c.state, c.registered ? c.tester : uint16_t{0}, c.diagnostic_messages};
}

std::vector<ConnectionInfo> Entity::Connections() const {
  std::vector<ConnectionInfo> out;
  for (const auto& [id, c] : connections_) out.push_back(Info(*c));
  return out;
}

bool Entity::IsTesterAddress(uint16_t sa) const {
  return std::any_of(config_.tester_ranges.begin(), config_.tester_ranges.end(),
                     [sa](const auto& r) { return sa >= r.first && sa <= r.second; });
}

size_t Entity::RegisteredCount() const {
  return static_cast<size_t>(std::count_if(connections_.begin(), connections_.end(),
                                           [](const auto& kv) { return kv.second->registered; }));
}

uint8_t Entity::PowerMode(core::TimePoint now) const {
  for (const auto& t : targets_) {
    if (t->uds.Resetting(now)) return kPowerModeNotReady;
  }
  return config_.power_mode;
}

core::TimePoint Entity::InactivityDeadline(const Connection& c) const {
  // T_TCP_Initial_Inactivity runs until routing is active, T_TCP_General_Inactivity after.
  if (c.state == ConnectionState::kRoutingActive) {
    return c.last_activity + config_.general_inactivity;
  }
  return c.opened + config_.initial_inactivity;
}

void Entity::Rearm(Connection& c) {
  deadlines_.erase(c.deadline_key);
  core::TimePoint at = InactivityDeadline(c);
  if (c.alive_deadline && *c.alive_deadline < at) at = *c.alive_deadline;
  c.deadline_key = {at, c.id};
  deadlines_.insert(c.deadline_key);
}

void Entity::Touch(Connection& c, core::TimePoint now) {
  c.last_activity = now;
  Rearm(c);
}

void Entity::Send(ConnId conn, const Payload& payload, Actions& out) {
  // Consecutive sends to one connection share one buffer (one write).
  if (!out.empty() && out.back().kind == Action::Kind::kSend && out.back().conn == conn) {
    AppendMessage(config_.protocol_version, payload, out.back().bytes);
    return;
  }
  Action a;
  a.kind = Action::Kind::kSend;
  a.conn = conn;
  AppendMessage(config_.protocol_version, payload, a.bytes);
  out.push_back(std::move(a));
}

void Entity::OnAccept(ConnId id, core::TimePoint now, std::string peer, bool tls, Actions& out) {
  HeaderRules rules{config_.protocol_version, config_.max_data_size};
  auto c = std::make_unique<Connection>(id, std::move(peer), tls, rules, &budget_, now);
  Connection& ref = *c;
  connections_[id] = std::move(c);
  Rearm(ref);
  observer_->OnConnectionOpened(Info(ref));
  if (connections_.size() > config_.max_connections) {
    Close(id, now, "too many connections", out);
  }
}

void Entity::Forget(ConnId id, const std::string& reason) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  deadlines_.erase(it->second->deadline_key);
  observer_->OnConnectionClosed(Info(*it->second), reason);
  connections_.erase(it);
  for (auto e = external_.begin(); e != external_.end();) {
    if (e->second.conn != id) {
      ++e;
      continue;
    }
    if (Target* t = FindTarget(e->second.ecu); t != nullptr && t->outstanding > 0) {
      --t->outstanding;
    }
    e = external_.erase(e);
  }
}

void Entity::Close(ConnId id, core::TimePoint now, const std::string& reason, Actions& out) {
  if (FindConnection(id) == nullptr) return;
  Action a;
  a.kind = Action::Kind::kClose;
  a.conn = id;
  a.reason = reason;
  out.push_back(std::move(a));
  Forget(id, reason);
  ResolvePendingActivations(id, /*alive=*/false, now, out);
}

void Entity::OnClosed(ConnId id, core::TimePoint now, const std::string& reason, Actions& out) {
  if (FindConnection(id) == nullptr) return;
  Forget(id, reason);
  ResolvePendingActivations(id, /*alive=*/false, now, out);
}

void Entity::CloseAll(core::TimePoint now, const std::string& reason, Actions& out) {
  while (!connections_.empty()) Close(connections_.begin()->first, now, reason, out);
}

void Entity::SendGenericNack(Connection& c, const HeaderVerdict& v, Actions& out) {
  Send(c.id, GenericNack{static_cast<uint8_t>(v.code)}, out);
  observer_->OnGenericNack(static_cast<uint8_t>(v.code), Transport::kTcp, v.detail);
}

void Entity::OnData(ConnId id, core::TimePoint now, ByteSpan data, Actions& out) {
  Connection* c = FindConnection(id);
  if (c == nullptr) return;
  std::vector<StreamFramer::Event> events;
  c->framer.Feed(data, events);
  for (auto& ev : events) {
    c = FindConnection(id);
    if (c == nullptr) return;
    if (auto* verdict = std::get_if<HeaderVerdict>(&ev)) {
      SendGenericNack(*c, *verdict, out);
      // ISO 13400-2: incorrect pattern and invalid length close the socket.
      if (verdict->close) Close(id, now, verdict->detail, out);
      continue;
    }
    HandleFrame(*c, now, std::get<StreamFramer::Frame>(ev), out);
  }
}

void Entity::HandleFrame(Connection& c, core::TimePoint now, const StreamFramer::Frame& f,
                         Actions& out) {
  Touch(c, now);
  absl::StatusOr<Payload> payload = DecodePayload(f.header.payload_type, f.payload);
  if (!payload.ok()) {
    HeaderVerdict v{GenericNackCode::kInvalidPayloadLength, true,
                    std::string(payload.status().message())};
    SendGenericNack(c, v, out);
    Close(c.id, now, v.detail, out);
    return;
  }
  if (auto* ra = std::get_if<RoutingActivationRequest>(&*payload)) {
    HandleRoutingActivation(c, now, *ra, out);
  } else if (std::holds_alternative<AliveCheckRequest>(*payload)) {
    // Some testers (python-doipclient request_alive_check) probe the entity this way.
    Send(c.id, AliveCheckResponse{config_.logical_address}, out);
  } else if (std::holds_alternative<AliveCheckResponse>(*payload)) {
    HandleAliveCheckResponse(c, now, out);
  } else if (auto* dm = std::get_if<DiagnosticMessage>(&*payload)) {
    HandleDiagnostic(c, now, *dm, out);
  }
  // Generic header NACKs from the tester need no answer.
}

std::optional<core::TimePoint> Entity::NextDeadline() const {
  std::optional<core::TimePoint> next;
  auto consider = [&next](core::TimePoint t) {
    if (!next || t < *next) next = t;
  };
  if (!deadlines_.empty()) consider(deadlines_.begin()->first);
  if (!scheduled_.empty()) consider(scheduled_.begin()->first);
  for (const auto& [id, p] : external_) consider(p.deadline);
  return next;
}

void Entity::OnTimer(core::TimePoint now, Actions& out) { RunDueTimers(now, out); }

void Entity::RunDueTimers(core::TimePoint now, Actions& out) {
  while (!scheduled_.empty() && scheduled_.begin()->first <= now) {
    Scheduled s = std::move(scheduled_.begin()->second);
    scheduled_.erase(scheduled_.begin());
    if (s.final && s.ecu != nullptr && s.ecu->outstanding > 0) --s.ecu->outstanding;
    if (FindConnection(s.conn) != nullptr) SendResponse(s.conn, s.source, s.target, s.uds, out);
  }
  std::vector<uint64_t> expired;
  for (const auto& [id, p] : external_) {
    if (p.deadline <= now) expired.push_back(id);
  }
  for (uint64_t id : expired) OnExternalReply(id, now, std::nullopt, out);
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    Connection* c = FindConnection(deadlines_.begin()->second);
    if (c == nullptr) {
      deadlines_.erase(deadlines_.begin());
      continue;
    }
    if (c->alive_deadline && *c->alive_deadline <= now) {
      observer_->OnAliveCheck(c->id, false);
      Close(c->id, now, "no alive check response", out);
    } else if (c->state == ConnectionState::kRoutingActive) {
      Close(c->id, now, "general inactivity timeout", out);
    } else {
      Close(c->id, now, "initial inactivity timeout (no routing activation)", out);
    }
  }
}

void Entity::SetPositiveResponding(bool positive, uint8_t nrc) {
  for (auto& t : targets_) {
    t->uds.mutable_config().positive_responding = positive;
    t->uds.mutable_config().negative_nrc = nrc;
  }
  for (auto& e : config_.ecus) {
    e.uds.positive_responding = positive;
    e.uds.negative_nrc = nrc;
  }
}

absl::Status Entity::SetUdsConfig(uint16_t address, UdsConfig uds) {
  Target* t = FindTarget(address);
  if (t == nullptr) {
    return absl::NotFoundError(
        absl::StrFormat("entity has no ECU with logical address 0x%04X", address));
  }
  if (absl::Status s = ValidateUdsConfig(uds); !s.ok()) return s;
  if (!uds.dids.contains(kDidVin)) {
    uds.dids[kDidVin] = DidConfig{std::vector<uint8_t>(config_.vin.begin(), config_.vin.end())};
  }
  for (auto& e : config_.ecus) {
    if (e.address == address) e.uds = uds;
  }
  t->config.uds = uds;
  t->uds.Reconfigure(std::move(uds));
  return absl::OkStatus();
}

void Entity::SetExternalHandler(bool enabled, bool all, std::set<uint16_t> addresses) {
  external_enabled_ = enabled;
  external_all_ = all;
  external_addresses_ = std::move(addresses);
}

}  // namespace ecusim::doip
