// Routing activation handler and socket handling (ISO 13400-2:2012 9.2, DoIP-149/DoIP-150):
// source address, activation type, TLS, socket handler with alive checks, authentication,
// confirmation.
#include "absl/strings/str_format.h"
#include "sim/doip/entity.h"
#include "sim/doip/entity_internal.h"

namespace ecusim::doip {

void Entity::RespondActivation(Connection& c, uint16_t source, uint8_t type,
                               RoutingActivationCode code, Actions& out) {
  RoutingActivationResponse r;
  r.tester_address = source;
  r.entity_address = config_.logical_address;
  r.code = static_cast<uint8_t>(code);
  Send(c.id, r, out);
  observer_->OnRoutingActivation(Info(c), source, type, static_cast<uint8_t>(code));
}

void Entity::HandleRoutingActivation(Connection& c, core::TimePoint now,
                                     const RoutingActivationRequest& req, Actions& out) {
  const uint16_t sa = req.source_address;
  const uint8_t type = req.activation_type;
  auto deny = [&](RoutingActivationCode code, const char* why) {
    RespondActivation(c, sa, type, code, out);
    Close(c.id, now, absl::StrFormat("routing activation denied: %s", why), out);
  };
  // A second request while alive checks run on our behalf is dropped (one at a time).
  if (c.state == ConnectionState::kPendingAliveCheck) return;
  if (!IsTesterAddress(sa))
    return deny(RoutingActivationCode::kUnknownSourceAddress, "unknown source address");
  if (!config_.activation_types.contains(type)) {
    return deny(RoutingActivationCode::kUnsupportedActivationType, "unsupported activation type");
  }
  if (config_.tls_mode == TlsMode::kMandatory && !c.tls) {
    return deny(RoutingActivationCode::kTlsRequired, "TLS required");
  }
  if (c.registered && c.tester != sa) {
    return deny(RoutingActivationCode::kDifferentSourceAddress,
                "socket registered to a different source address");
  }
  if (c.registered) return FinishActivation(c, now, req, out);

  // DoIP-150: the address is registered on another socket: alive check that socket only.
  std::set<ConnId> to_check;
  bool same_source = false;
  for (auto& [id, o] : connections_) {
    if (id != c.id && o->registered && o->tester == sa) {
      to_check.insert(id);
      same_source = true;
    }
  }
  // All sockets registered: alive check every registered socket.
  if (!same_source && RegisteredCount() >= config_.max_sockets) {
    for (auto& [id, o] : connections_) {
      if (o->registered) to_check.insert(id);
    }
  }
  if (to_check.empty()) return FinishActivation(c, now, req, out);

  c.state = ConnectionState::kPendingAliveCheck;
  c.pending = req;
  c.awaiting = to_check;
  c.awaiting_same_source = same_source;
  c.freed = false;
  for (ConnId id : to_check) {
    Connection* o = FindConnection(id);
    if (o->alive_deadline) continue;  // already being checked
    o->alive_deadline = now + config_.alive_check_timeout;
    Rearm(*o);
    Send(id, AliveCheckRequest{}, out);
  }
}

void Entity::FinishActivation(Connection& c, core::TimePoint now,
                              const RoutingActivationRequest& req, Actions& out) {
  const uint16_t sa = req.source_address;
  const uint8_t type = req.activation_type;
  c.pending.reset();
  c.awaiting.clear();
  c.registered = true;
  c.tester = sa;
  if (type == config_.central_security_type && config_.authentication_oem &&
      req.oem_specific != config_.authentication_oem) {
    c.state = ConnectionState::kPendingAuthentication;
    Rearm(c);
    return RespondActivation(c, sa, type, RoutingActivationCode::kMissingAuthentication, out);
  }
  if (config_.confirmation == Confirmation::kRejected) {
    RespondActivation(c, sa, type, RoutingActivationCode::kRejectedConfirmation, out);
    return Close(c.id, now, "routing activation denied: confirmation rejected", out);
  }
  if (config_.confirmation == Confirmation::kRequired &&
      c.state != ConnectionState::kPendingConfirmation &&
      c.state != ConnectionState::kRoutingActive) {
    c.state = ConnectionState::kPendingConfirmation;
    Rearm(c);
    return RespondActivation(c, sa, type, RoutingActivationCode::kConfirmationRequired, out);
  }
  c.state = ConnectionState::kRoutingActive;
  Touch(c, now);
  RespondActivation(c, sa, type, RoutingActivationCode::kSuccess, out);
}

void Entity::HandleAliveCheckResponse(Connection& c, core::TimePoint now, Actions& out) {
  if (!c.alive_deadline) return;  // unsolicited: nothing waits for it
  c.alive_deadline.reset();
  Rearm(c);
  observer_->OnAliveCheck(c.id, true);
  ResolvePendingActivations(c.id, /*alive=*/true, now, out);
}

void Entity::ResolvePendingActivations(ConnId subject, bool alive, core::TimePoint now,
                                       Actions& out) {
  enum class Outcome { kWait, kDenyActive, kDenyAllRegistered, kAccept };
  std::vector<std::pair<ConnId, Outcome>> decisions;
  for (auto& [id, c] : connections_) {
    if (!c->pending || c->awaiting.erase(subject) == 0) continue;
    if (!alive) c->freed = true;
    Outcome o = Outcome::kWait;
    if (alive && c->awaiting_same_source) {
      o = Outcome::kDenyActive;
    } else if (c->awaiting.empty()) {
      o = (c->awaiting_same_source || c->freed) ? Outcome::kAccept : Outcome::kDenyAllRegistered;
    }
    decisions.emplace_back(id, o);
  }
  for (auto [id, outcome] : decisions) {
    Connection* c = FindConnection(id);
    if (c == nullptr || !c->pending || outcome == Outcome::kWait) continue;
    RoutingActivationRequest req = *c->pending;
    c->state = ConnectionState::kSocketInitialized;
    switch (outcome) {
      case Outcome::kDenyActive:
        c->pending.reset();
        RespondActivation(*c, req.source_address, req.activation_type,
                          RoutingActivationCode::kSourceAddressAlreadyActive, out);
        Close(id, now, "routing activation denied: source address active on another socket", out);
        break;
      case Outcome::kDenyAllRegistered:
        c->pending.reset();
        RespondActivation(*c, req.source_address, req.activation_type,
                          RoutingActivationCode::kAllSocketsRegistered, out);
        Close(id, now, "routing activation denied: all sockets registered and active", out);
        break;
      case Outcome::kAccept:
        // Another waiting socket may have taken the freed place meanwhile.
        if (RegisteredCount() >= config_.max_sockets) {
          c->pending.reset();
          RespondActivation(*c, req.source_address, req.activation_type,
                            RoutingActivationCode::kAllSocketsRegistered, out);
          Close(id, now, "routing activation denied: all sockets registered and active", out);
        } else {
          FinishActivation(*c, now, req, out);
        }
        break;
      case Outcome::kWait:
        break;
    }
  }
}

}  // namespace ecusim::doip
