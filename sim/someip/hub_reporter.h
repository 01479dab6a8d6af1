// Reporter into the process's observe::Hub: Prometheus counters (cached references, never
// looked up per packet) and observations for Watch.
#ifndef ECUSIM_SIM_SOMEIP_HUB_REPORTER_H_
#define ECUSIM_SIM_SOMEIP_HUB_REPORTER_H_

#include <array>
#include <map>
#include <string>

#include "sim/observe/hub.h"
#include "sim/someip/reporter.h"

namespace ecusim::someip {

// The ecusim_someip_* metric families, shared by every ECU of the process.
struct SomeIpMetrics {
  explicit SomeIpMetrics(observe::Metrics& m);
  std::array<prometheus::Counter*, static_cast<int>(Sent::kCount_)> sent;
  std::array<prometheus::Counter*, static_cast<int>(Received::kCount_)> received;
  std::array<prometheus::Counter*, static_cast<int>(Malformed::kBadFieldPayload) + 1> malformed;
  std::array<prometheus::Counter*, static_cast<int>(SubscriptionResult::kCount_)> subscriptions;
  prometheus::Gauge* subscribers;
  prometheus::Gauge* offers;
  prometheus::Counter* dropped_fault;
  prometheus::Counter* dropped_send_error;
  prometheus::Counter* dropped_rejected;
  prometheus::Counter* events_generated;
};

class HubReporter : public Reporter {
 public:
  HubReporter(observe::Hub& hub, std::string ecu_id);

  void CountSent(Sent type, uint64_t n = 1) override;
  void CountReceived(Received type) override;
  void CountMalformed(Malformed reason) override;
  void CountSubscription(SubscriptionResult result) override;
  void CountNotificationDropped(const char* reason, uint64_t n = 1) override;
  bool Watching() const override { return hub_.bus.HasWatchers(); }
  void Observe(const char* kind, InstanceKey instance, Attributes attributes) override;

  SomeIpMetrics& metrics() { return metrics_; }
  observe::Hub& hub() { return hub_; }
  // "ecus/{ecu}/someip/{service}.{instance}" with decimal ids; "ecus/{ecu}/someip" for 0.
  std::string Resource(InstanceKey instance) const;

 private:
  observe::Hub& hub_;
  const std::string ecu_id_;
  SomeIpMetrics metrics_;
};

}  // namespace ecusim::someip

#endif  // ECUSIM_SIM_SOMEIP_HUB_REPORTER_H_
