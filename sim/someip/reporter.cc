#include "sim/someip/reporter.h"

namespace ecusim::someip {

const char* SentName(Sent s) {
  static const char* const kNames[] = {"offer",          "stop_offer",   "subscribe_ack",
                                       "subscribe_nack", "notification", "response",
                                       "error"};
  return kNames[static_cast<int>(s)];
}

const char* ReceivedName(Received r) {
  static const char* const kNames[] = {"find",    "subscribe",         "stop_subscribe",
                                       "request", "request_no_return", "ignored"};
  return kNames[static_cast<int>(r)];
}

const char* SubscriptionResultName(SubscriptionResult r) {
  static const char* const kNames[] = {"added", "renewed", "expired", "refused", "stopped"};
  return kNames[static_cast<int>(r)];
}

}  // namespace ecusim::someip
