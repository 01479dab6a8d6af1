// ServiceInstance: methods and field getters/setters (seed 003 sections 2, 3 and 5).
#include <algorithm>

#include "absl/strings/str_format.h"
#include "sim/someip/service_instance.h"
#include "sim/someip/tp.h"

namespace ecusim::someip {
namespace {

std::string EndpointString(const Endpoint& ep) {
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

}  // namespace

const MethodConfig* ServiceInstance::FindMethod(uint16_t id) const {
  for (const auto& m : config_.service.methods) {
    if (m.id == id) return &m;
  }
  return nullptr;
}

ServiceInstance::Field* ServiceInstance::FindFieldByMethod(uint16_t id) {
  for (Field& f : fields_) {
    if (f.config.getter_id == id || f.config.setter_id == id) return &f;
  }
  return nullptr;
}

absl::Status ServiceInstance::SetMethodBehavior(uint16_t method_id, MethodBehavior behavior) {
  if (FindMethod(method_id) == nullptr && FindFieldByMethod(method_id) == nullptr) {
    return absl::NotFoundError(
        absl::StrFormat("service 0x%04X has no method 0x%04X", service_id(), method_id));
  }
  behaviors_[method_id] = std::move(behavior);
  return absl::OkStatus();
}

void ServiceInstance::SetForwarder(std::set<uint16_t> methods,
                                   std::function<void(const ForwardedCall&)> forward) {
  forward_methods_ = std::move(methods);
  forward_ = std::move(forward);
}

void ServiceInstance::ClearForwarder() {
  forward_ = nullptr;
  forward_methods_.clear();
}

void ServiceInstance::ReplyError(const Endpoint& to, const Header& req, ReturnCode rc,
                                 Datagrams& out) {
  Header h = req;
  h.protocol_version = kProtocolVersion;
  h.message_type = static_cast<uint8_t>(MessageType::kError);
  h.return_code = static_cast<uint8_t>(rc);
  out.push_back({key_, to, EncodeMessage(h, {})});  // _655: no payload
  reporter_.CountSent(Sent::kError);
  if (reporter_.Watching()) {
    reporter_.Observe("someip.method.error", key_,
                      {{"method", Hex16(req.method_id)},
                       {"return_code", absl::StrFormat("0x%02X", static_cast<int>(rc))},
                       {"peer", EndpointString(to)}});
  }
}

void ServiceInstance::Reply(core::TimePoint now, const Endpoint& to, const Header& req,
                            MessageType type, uint8_t return_code, ByteSpan payload,
                            core::Duration delay, Datagrams& out) {
  Header h = req;
  h.protocol_version = kProtocolVersion;
  h.message_type = static_cast<uint8_t>(type);
  h.return_code = return_code;
  const MethodConfig* m = FindMethod(req.method_id);
  std::vector<Bytes> messages;
  if (m != nullptr && m->tp && payload.size() > config_.tp_max_segment) {
    messages = SegmentMessage(h, payload, config_.tp_max_segment);
  } else {
    messages.push_back(EncodeMessage(h, payload));
  }
  reporter_.CountSent(type == MessageType::kError ? Sent::kError : Sent::kResponse);
  delay += config_.faults.response_delay;
  for (auto& msg : messages) {
    if (delay <= core::Duration::zero()) {
      out.push_back({key_, to, std::move(msg)});
    } else if (pending_replies_.size() < kMaxPendingReplies) {
      pending_replies_.emplace(now + delay, Datagram{key_, to, std::move(msg)});
    }
  }
}

void ServiceInstance::Answer(core::TimePoint now, const Endpoint& from, const MessageView& m,
                             const MethodBehavior& b, Datagrams& out) {
  switch (b.kind) {
    case MethodBehavior::Kind::kDefault:
      Reply(now, from, m.header, MessageType::kResponse, 0, {}, b.delay, out);
      break;
    case MethodBehavior::Kind::kStaticReply:
      Reply(now, from, m.header, MessageType::kResponse, 0, b.payload, b.delay, out);
      break;
    case MethodBehavior::Kind::kEcho:
      Reply(now, from, m.header, MessageType::kResponse, 0, m.payload, b.delay, out);
      break;
    case MethodBehavior::Kind::kError:
      Reply(now, from, m.header, MessageType::kError, b.return_code, {}, b.delay, out);
      break;
    case MethodBehavior::Kind::kDrop:
      break;
  }
}

// Getter: empty request, the value back. Setter: the value in, the value actually set back
// (_633-_635); subscribers hear about a change.
bool ServiceInstance::AnswerField(core::TimePoint now, const Endpoint& from, const MessageView& m,
                                  Datagrams& out) {
  Field* f = FindFieldByMethod(m.header.method_id);
  if (f == nullptr) return false;
  bool setter = f->config.setter_id == m.header.method_id;
  if (setter == m.payload.empty()) {
    reporter_.CountMalformed(Malformed::kBadFieldPayload);
    ReplyError(from, m.header, ReturnCode::kMalformedMessage, out);
    return true;
  }
  if (setter) {
    bool changed = !std::equal(m.payload.begin(), m.payload.end(), f->config.value.begin(),
                               f->config.value.end());
    f->config.value.assign(m.payload.begin(), m.payload.end());
    Bytes value = f->config.value;
    Reply(now, from, m.header, MessageType::kResponse, 0, value, core::Duration::zero(), out);
    if (changed && f->config.notifier_id != 0) {
      AppendNotification(f->config.notifier_id, value, out);
    }
  } else {
    Bytes value = f->config.value;
    Reply(now, from, m.header, MessageType::kResponse, 0, value, core::Duration::zero(), out);
  }
  return true;
}

void ServiceInstance::HandleRequest(core::TimePoint now, const Endpoint& from, const MessageView& m,
                                    Datagrams& out) {
  const Header& h = m.header;
  bool request = h.base_type() == static_cast<uint8_t>(MessageType::kRequest);
  reporter_.CountReceived(request ? Received::kRequest : Received::kRequestNoReturn);
  // Errors go back only for REQUEST (_718); fire&forget never gets an answer.
  auto error = [&](ReturnCode rc) {
    if (request) ReplyError(from, h, rc, out);
  };
  if (h.interface_version != major()) return error(ReturnCode::kWrongInterfaceVersion);
  const MethodConfig* method = FindMethod(h.method_id);
  bool field_method = FindFieldByMethod(h.method_id) != nullptr;
  if (method == nullptr && !field_method) return error(ReturnCode::kUnknownMethod);
  bool fire_and_forget = method != nullptr && method->fire_and_forget;
  if (fire_and_forget == request) return error(ReturnCode::kWrongMessageType);
  if (h.return_code != 0) {  // _683
    reporter_.CountMalformed(Malformed::kReturnCodeInRequest);
    return error(ReturnCode::kMalformedMessage);
  }
  if (reporter_.Watching()) {
    reporter_.Observe("someip.method.called", key_,
                      {{"method", Hex16(h.method_id)},
                       {"client", Hex16(h.client_id)},
                       {"session", Hex16(h.session_id)},
                       {"peer", EndpointString(from)},
                       {"payload_size", std::to_string(m.payload.size())}});
  }
  auto b = behaviors_.find(h.method_id);
  bool explicit_behavior = b != behaviors_.end();
  if (forward_ && request && (forward_methods_.empty() || forward_methods_.count(h.method_id))) {
    if (calls_.size() >= kMaxForwardedCalls) return error(ReturnCode::kNotReady);
    uint64_t id = next_call_id_++;
    calls_[id] =
        PendingCall{from, h, Bytes(m.payload.begin(), m.payload.end()), now + kForwardTimeout};
    forward_(ForwardedCall{id, h.method_id, h.client_id, h.session_id, from,
                           Bytes(m.payload.begin(), m.payload.end())});
    return;
  }
  if (field_method && !explicit_behavior) {
    AnswerField(now, from, m, out);
    return;
  }
  if (!request) return;
  Answer(now, from, m, explicit_behavior ? b->second : MethodBehavior{}, out);
}

absl::Status ServiceInstance::CompleteCall(core::TimePoint now, uint64_t call_id,
                                           const MethodBehavior& b, Datagrams& out) {
  auto it = calls_.find(call_id);
  if (it == calls_.end()) {
    return absl::NotFoundError(
        absl::StrFormat("call %d is unknown, already answered or timed out", call_id));
  }
  PendingCall call = std::move(it->second);
  calls_.erase(it);
  MessageView view;
  view.header = call.request;
  view.payload = call.payload;
  Answer(now, call.peer, view, b, out);
  return absl::OkStatus();
}

}  // namespace ecusim::someip
