// Private state of Entity shared by its .cc files (entity, routing, diagnostics, UDP).
#ifndef ECUSIM_SIM_DOIP_ENTITY_INTERNAL_H_
#define ECUSIM_SIM_DOIP_ENTITY_INTERNAL_H_

#include "sim/doip/entity.h"

namespace ecusim::doip {

struct Entity::Connection {
  Connection(ConnId id, std::string peer, bool tls, HeaderRules rules, BufferBudget* budget,
             core::TimePoint now)
      : id(id),
        peer(std::move(peer)),
        tls(tls),
        framer(rules, budget),
        opened(now),
        last_activity(now) {}
  ConnId id;
  std::string peer;
  bool tls;
  StreamFramer framer;
  ConnectionState state = ConnectionState::kSocketInitialized;
  bool registered = false;
  uint16_t tester = 0;
  core::TimePoint opened;
  core::TimePoint last_activity;
  // An alive check request was sent on this socket and is unanswered until then.
  std::optional<core::TimePoint> alive_deadline;
  // This socket's routing activation, waiting for the alive checks of `awaiting`.
  std::optional<RoutingActivationRequest> pending;
  std::set<ConnId> awaiting;
  bool awaiting_same_source = false;
  bool freed = false;
  uint64_t diagnostic_messages = 0;
  std::pair<core::TimePoint, ConnId> deadline_key{};
};

struct Entity::Target {
  Target(LogicalEcuConfig c, uint64_t seed) : config(c), uds(std::move(c.uds), seed) {}
  LogicalEcuConfig config;
  UdsServer uds;
  uint32_t outstanding = 0;
};

}  // namespace ecusim::doip

#endif  // ECUSIM_SIM_DOIP_ENTITY_INTERNAL_H_
