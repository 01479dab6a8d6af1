// Diagnostic message handler (ISO 13400-2:2012 9.5): source address, target address, size,
// memory, reachability checks with their NACK codes; ACK 0x8002 first, then the UDS answer as
// 0x8001 with source and target swapped.
#include "absl/strings/str_format.h"
#include "sim/doip/entity.h"
#include "sim/doip/entity_internal.h"

namespace ecusim::doip {

void Entity::SendDiagnosticNack(Connection& c, uint16_t source, uint16_t target,
                                DiagnosticNackCode code, Actions& out) {
  Send(c.id, DiagnosticNack{source, target, static_cast<uint8_t>(code), {}}, out);
  observer_->OnDiagnosticNack(source, target, static_cast<uint8_t>(code));
}

void Entity::SendResponse(ConnId conn, uint16_t source, uint16_t target, const Bytes& uds,
                          Actions& out) {
  Send(conn, DiagnosticMessage{source, target, uds}, out);
  observer_->OnDiagnosticResponse(source, target, uds);
}

void Entity::AnswerWithModel(Target& t, ConnId conn, uint16_t tester, ByteSpan uds, bool functional,
                             core::TimePoint now, Actions& out) {
  UdsReply reply = t.uds.Handle(now, uds, functional);
  const uint16_t source = t.config.address;
  for (size_t i = 0; i < reply.messages.size(); ++i) {
    UdsMessage& m = reply.messages[i];
    const bool final = i + 1 == reply.messages.size();
    if (m.delay.count() == 0) {
      SendResponse(conn, source, tester, m.data, out);
      continue;
    }
    if (final) ++t.outstanding;
    scheduled_.emplace(now + m.delay, Scheduled{now + m.delay, conn, source, tester,
                                                std::move(m.data), final ? &t : nullptr, final});
  }
}

void Entity::HandleDiagnostic(Connection& c, core::TimePoint now, const DiagnosticMessage& m,
                              Actions& out) {
  const uint16_t sa = m.source_address;
  const uint16_t ta = m.target_address;
  observer_->OnDiagnosticRequest(sa, ta, m.user_data);
  if (c.state != ConnectionState::kRoutingActive || sa != c.tester) {
    SendDiagnosticNack(c, ta, sa, DiagnosticNackCode::kInvalidSourceAddress, out);
    // ISO 13400-2 (DoIP-070) / AUTOSAR SWS_DoIP_00123: invalid source closes the socket.
    return Close(c.id, now,
                 absl::StrFormat("diagnostic message from source 0x%04X not activated on this "
                                 "socket",
                                 sa),
                 out);
  }
  ++c.diagnostic_messages;
  if (ta == config_.functional_address) {
    Send(c.id, DiagnosticAck{ta, sa, 0x00, {}}, out);
    for (auto& t : targets_) {
      if (!t->config.reachable || t->uds.Resetting(now)) continue;
      if (t->config.max_request_size != 0 && m.user_data.size() > t->config.max_request_size) {
        continue;
      }
      AnswerWithModel(*t, c.id, sa, m.user_data, /*functional=*/true, now, out);
    }
    return;
  }
  Target* t = FindTarget(ta);
  if (t == nullptr) {
    return SendDiagnosticNack(c, ta, sa, DiagnosticNackCode::kUnknownTargetAddress, out);
  }
  if (t->config.max_request_size != 0 && m.user_data.size() > t->config.max_request_size) {
    return SendDiagnosticNack(c, ta, sa, DiagnosticNackCode::kMessageTooLarge, out);
  }
  if (t->outstanding >= t->config.max_outstanding) {
    return SendDiagnosticNack(c, ta, sa, DiagnosticNackCode::kOutOfMemory, out);
  }
  if (!t->config.reachable || t->uds.Resetting(now)) {
    return SendDiagnosticNack(c, ta, sa, DiagnosticNackCode::kTargetUnreachable, out);
  }
  Send(c.id, DiagnosticAck{ta, sa, 0x00, {}}, out);
  if (external_enabled_ && (external_all_ || external_addresses_.contains(ta))) {
    const uint64_t id = next_request_id_++;
    ++t->outstanding;
    external_[id] =
        PendingExternal{c.id, sa, ta, m.user_data, now + config_.external_reply_timeout};
    Action a;
    a.kind = Action::Kind::kForward;
    a.conn = c.id;
    a.request_id = id;
    a.source_address = sa;
    a.target_address = ta;
    a.bytes = m.user_data;
    out.push_back(std::move(a));
    return;
  }
  AnswerWithModel(*t, c.id, sa, m.user_data, /*functional=*/false, now, out);
}

void Entity::ReleaseExternal(core::TimePoint now, Actions& out) {
  std::vector<uint64_t> ids;
  for (const auto& [id, p] : external_) ids.push_back(id);
  for (uint64_t id : ids) OnExternalReply(id, now, std::nullopt, out);
}

void Entity::OnExternalReply(uint64_t request_id, core::TimePoint now, std::optional<Bytes> uds,
                             Actions& out) {
  auto it = external_.find(request_id);
  if (it == external_.end()) return;  // answered already, timed out, or connection gone
  PendingExternal p = std::move(it->second);
  external_.erase(it);
  Target* t = FindTarget(p.ecu);
  if (t != nullptr && t->outstanding > 0) --t->outstanding;
  if (FindConnection(p.conn) == nullptr || t == nullptr) return;
  if (uds && !uds->empty()) {
    SendResponse(p.conn, p.ecu, p.tester, *uds, out);
    return;
  }
  AnswerWithModel(*t, p.conn, p.tester, p.request, /*functional=*/false, now, out);
}

}  // namespace ecusim::doip
