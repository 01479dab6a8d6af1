// SomeIpEcu: events, fields and generators (the hot path).
#include "absl/strings/str_format.h"
#include "sim/someip/someip_ecu.h"

namespace ecusim::someip {

bool SomeIpEcu::QueueEvent(ServiceInstance& instance, uint16_t eventgroup_id, uint16_t event_id,
                           ByteSpan payload, std::string* error) {
  if (auto s = instance.CheckEvent(eventgroup_id, event_id); !s.ok()) {
    if (error) *error = std::string(s.message());
    reporter_.CountNotificationDropped("rejected");
    return false;
  }
  int fd = FdForInstance(instance.key());
  bool segmented =
      instance.event_uses_tp(event_id) && payload.size() > instance.config().tp_max_segment;
  if (fd < 0 || segmented || !fan_out_.AddNotification(fd, instance, event_id, payload)) {
    Datagrams out;
    instance.AppendNotification(event_id, payload, out);
    FlushEvents();
    Dispatch(out);
  }
  return true;
}

void SomeIpEcu::FlushEvents() {
  fan_out_.Flush();
  FanOut::Totals t = fan_out_.TakeTotals();
  if (t.sent) reporter_.CountSent(Sent::kNotification, t.sent);
  if (t.failed) reporter_.CountNotificationDropped("send_error", t.failed);
  if (t.dropped_by_fault) reporter_.CountNotificationDropped("fault", t.dropped_by_fault);
}

absl::StatusOr<size_t> SomeIpEcu::SendEvent(uint16_t service_id, uint16_t instance_id,
                                            uint16_t eventgroup_id, uint16_t event_id,
                                            ByteSpan payload) {
  auto inst = Instance(service_id, instance_id);
  if (!inst.ok()) return inst.status();
  if (auto s = (*inst)->CheckEvent(eventgroup_id, event_id); !s.ok()) return s;
  size_t recipients = (*inst)->Recipients(event_id).size();
  QueueEvent(**inst, eventgroup_id, event_id, payload, nullptr);
  FlushEvents();
  if (reporter_.Watching()) {
    reporter_.Observe("someip.event.sent", (*inst)->key(),
                      {{"eventgroup", Hex16(eventgroup_id)},
                       {"event", Hex16(event_id)},
                       {"recipients", std::to_string(recipients)},
                       {"payload_size", std::to_string(payload.size())}});
  }
  return recipients;
}

absl::StatusOr<bool> SomeIpEcu::SetField(uint16_t service_id, uint16_t instance_id,
                                         uint16_t field_id, ByteSpan value, size_t* recipients) {
  auto inst = Instance(service_id, instance_id);
  if (!inst.ok()) return inst.status();
  Datagrams out;
  auto changed = (*inst)->SetField(field_id, value, out);
  if (!changed.ok()) return changed.status();
  if (recipients) *recipients = *changed ? (*inst)->Recipients(field_id).size() : 0;
  Dispatch(out);
  return changed;
}

absl::Status SomeIpEcu::SetGenerator(uint16_t service_id, uint16_t instance_id,
                                     uint16_t eventgroup_id, uint16_t event_id,
                                     std::optional<GeneratorConfig> config) {
  auto inst = Instance(service_id, instance_id);
  if (!inst.ok()) return inst.status();
  if (auto s = (*inst)->SetGenerator(ecu_.hub().clock.Now(), eventgroup_id, event_id, config);
      !s.ok()) {
    return s;
  }
  ArmGeneratorTimer();
  return absl::OkStatus();
}

void SomeIpEcu::ArmGeneratorTimer() {
  if (shut_down_) return;
  std::optional<core::TimePoint> next;
  for (ServiceInstance* inst : server_.Instances()) {
    auto t = inst->NextGeneratorDue();
    if (t && (!next || *t < *next)) next = t;
  }
  if (next == generator_at_) return;
  generator_at_ = next;
  generator_timer_.cancel();
  if (!next) return;
  generator_timer_.expires_at(std::chrono::steady_clock::time_point(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(next->time_since_epoch())));
  std::weak_ptr<bool> alive = alive_;
  generator_timer_.async_wait([this, alive](const asio::error_code& ec) {
    if (alive.expired() || ec == asio::error::operation_aborted) return;
    generator_at_.reset();
    RunGenerators();
    ArmGeneratorTimer();
  });
}

void SomeIpEcu::RunGenerators() {
  core::TimePoint now = ecu_.hub().clock.Now();
  uint64_t generated = 0;
  for (ServiceInstance* inst : server_.Instances()) {
    for (auto& g : inst->generators()) {
      if (g->done() || g->next_due() > now) continue;
      uint16_t group = g->eventgroup_id();
      uint16_t event = g->event_id();
      generated +=
          g->Run(now, [&](ByteSpan payload) { QueueEvent(*inst, group, event, payload, nullptr); });
    }
  }
  FlushEvents();
  reporter_.metrics().events_generated->Increment(static_cast<double>(generated));
}

}  // namespace ecusim::someip
