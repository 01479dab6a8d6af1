// What the SOME/IP state machines report: counts for Prometheus and observations for Watch.
// The state machines stay free of the metrics library; HubReporter (hub_reporter.h) is the
// production implementation, tests use a recording one.
#ifndef ECUSIM_SIM_SOMEIP_REPORTER_H_
#define ECUSIM_SIM_SOMEIP_REPORTER_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sim/someip/header.h"

namespace ecusim::someip {

// (service << 16) | instance.
using InstanceKey = uint32_t;
inline InstanceKey MakeInstanceKey(uint16_t service, uint16_t instance) {
  return (uint32_t{service} << 16) | instance;
}

// Label values of ecusim_someip_messages_sent_total{type}.
enum class Sent {
  kOffer,
  kStopOffer,
  kSubscribeAck,
  kSubscribeNack,
  kNotification,
  kResponse,
  kError,
  kCount_,
};
const char* SentName(Sent s);

// Label values of ecusim_someip_messages_received_total{type}.
enum class Received {
  kFind,
  kSubscribe,
  kStopSubscribe,
  kRequest,
  kRequestNoReturn,
  kIgnored,  // offers of other ECUs, responses, notifications: not for a server
  kCount_,
};
const char* ReceivedName(Received r);

// Label values of ecusim_someip_subscriptions_total{result}.
enum class SubscriptionResult { kAdded, kRenewed, kExpired, kRefused, kStopped, kCount_ };
const char* SubscriptionResultName(SubscriptionResult r);

using Attributes = std::vector<std::pair<std::string, std::string>>;

class Reporter {
 public:
  virtual ~Reporter() = default;
  virtual void CountSent(Sent type, uint64_t n = 1) {}
  virtual void CountReceived(Received type) {}
  virtual void CountMalformed(Malformed reason) {}
  virtual void CountSubscription(SubscriptionResult result) {}
  // Notifications not sent: "fault" (drop injection), "send_error", "rejected".
  virtual void CountNotificationDropped(const char* reason, uint64_t n = 1) {}
  // Cheap check before building an observation.
  virtual bool Watching() const { return false; }
  // `kind` like "someip.offer.sent"; `instance` 0 = the ECU's SD as a whole.
  virtual void Observe(const char* kind, InstanceKey instance, Attributes attributes) {}
};

}  // namespace ecusim::someip

#endif  // ECUSIM_SIM_SOMEIP_REPORTER_H_
