#include "sim/someip/hub_reporter.h"

#include <cstring>

namespace ecusim::someip {

SomeIpMetrics::SomeIpMetrics(observe::Metrics& m) {
  auto& sent_family = m.Counters("ecusim_someip_messages_sent_total",
                                 "SOME/IP messages and SD entries sent, by type.");
  for (int i = 0; i < static_cast<int>(Sent::kCount_); ++i) {
    sent[i] = &sent_family.Add({{"type", SentName(static_cast<Sent>(i))}});
  }
  auto& recv_family = m.Counters("ecusim_someip_messages_received_total",
                                 "SOME/IP messages and SD entries received, by type.");
  for (int i = 0; i < static_cast<int>(Received::kCount_); ++i) {
    received[i] = &recv_family.Add({{"type", ReceivedName(static_cast<Received>(i))}});
  }
  auto& bad =
      m.Counters("ecusim_someip_malformed_total", "Malformed or refused SOME/IP input, by reason.");
  for (size_t i = 0; i < malformed.size(); ++i) {
    malformed[i] = &bad.Add({{"reason", MalformedName(static_cast<Malformed>(i))}});
  }
  auto& subs =
      m.Counters("ecusim_someip_subscriptions_total", "Eventgroup subscriptions by outcome.");
  for (int i = 0; i < static_cast<int>(SubscriptionResult::kCount_); ++i) {
    subscriptions[i] =
        &subs.Add({{"result", SubscriptionResultName(static_cast<SubscriptionResult>(i))}});
  }
  subscribers = &m.Gauges("ecusim_someip_subscribers", "Current eventgroup subscriptions.").Add({});
  offers = &m.Gauges("ecusim_someip_offers", "Service instances currently offered.").Add({});
  auto& dropped =
      m.Counters("ecusim_someip_notifications_dropped_total", "Notifications not sent, by reason.");
  dropped_fault = &dropped.Add({{"reason", "fault"}});
  dropped_send_error = &dropped.Add({{"reason", "send_error"}});
  dropped_rejected = &dropped.Add({{"reason", "rejected"}});
  events_generated =
      &m.Counters("ecusim_someip_generated_events_total", "Events produced by in-sim generators.")
           .Add({});
}

HubReporter::HubReporter(observe::Hub& hub, std::string ecu_id)
    : hub_(hub), ecu_id_(std::move(ecu_id)), metrics_(hub.metrics) {}

void HubReporter::CountSent(Sent type, uint64_t n) {
  metrics_.sent[static_cast<int>(type)]->Increment(static_cast<double>(n));
}

void HubReporter::CountReceived(Received type) {
  metrics_.received[static_cast<int>(type)]->Increment();
}

void HubReporter::CountMalformed(Malformed reason) {
  metrics_.malformed[static_cast<int>(reason)]->Increment();
}

void HubReporter::CountSubscription(SubscriptionResult result) {
  metrics_.subscriptions[static_cast<int>(result)]->Increment();
  switch (result) {
    case SubscriptionResult::kAdded:
      metrics_.subscribers->Increment();
      break;
    case SubscriptionResult::kExpired:
    case SubscriptionResult::kStopped:
      metrics_.subscribers->Decrement();
      break;
    default:
      break;
  }
}

void HubReporter::CountNotificationDropped(const char* reason, uint64_t n) {
  prometheus::Counter* c = metrics_.dropped_rejected;
  if (std::strcmp(reason, "fault") == 0) c = metrics_.dropped_fault;
  if (std::strcmp(reason, "send_error") == 0) c = metrics_.dropped_send_error;
  c->Increment(static_cast<double>(n));
}

std::string HubReporter::Resource(InstanceKey instance) const {
  std::string r = "ecus/" + ecu_id_ + "/someip";
  if (instance != 0) {
    r += "/" + std::to_string(instance >> 16) + "." + std::to_string(instance & 0xFFFF);
  }
  return r;
}

void HubReporter::Observe(const char* kind, InstanceKey instance, Attributes attributes) {
  observe::Observation o;
  o.kind = kind;
  o.ecu_id = ecu_id_;
  o.resource = Resource(instance);
  o.attributes = std::move(attributes);
  hub_.bus.Publish(std::move(o));
}

}  // namespace ecusim::someip
