// Shared helpers for the SOME/IP unit tests: a recording Reporter and a scripted SD client.
#ifndef ECUSIM_TESTS_UNIT_SOMEIP_TEST_UTIL_H_
#define ECUSIM_TESTS_UNIT_SOMEIP_TEST_UTIL_H_

#include <map>
#include <string>
#include <vector>

#include "sim/someip/reporter.h"
#include "sim/someip/sd_message.h"
#include "sim/someip/service_instance.h"

namespace ecusim::someip::testing {

class RecordingReporter : public Reporter {
 public:
  void CountSent(Sent type, uint64_t n) override { sent[type] += n; }
  void CountReceived(Received type) override { received[type]++; }
  void CountMalformed(Malformed reason) override { malformed[reason]++; }
  void CountSubscription(SubscriptionResult r) override { subscriptions[r]++; }
  void CountNotificationDropped(const char* reason, uint64_t n) override { dropped += n; }
  bool Watching() const override { return true; }
  void Observe(const char* kind, InstanceKey, Attributes) override { kinds.push_back(kind); }

  std::map<Sent, uint64_t> sent;
  std::map<Received, uint64_t> received;
  std::map<Malformed, uint64_t> malformed;
  std::map<SubscriptionResult, uint64_t> subscriptions;
  uint64_t dropped = 0;
  std::vector<std::string> kinds;
};

inline Endpoint Ep(const char* addr, uint16_t port) {
  return Endpoint(asio::ip::make_address(addr), port);
}

// A decoded SD datagram, asserting it is well formed.
inline SdMessage DecodeSd(const Bytes& datagram, Header* header = nullptr) {
  auto h = DecodeHeader(datagram);
  if (header) *header = *h;
  auto m = DecodeSdPayload(ByteSpan(datagram).subspan(kHeaderSize));
  return m.ok() ? *m : SdMessage{};
}

inline Bytes SubscribeDatagram(uint16_t session, uint16_t service, uint16_t instance, uint8_t major,
                               uint16_t eventgroup, uint32_t ttl, uint8_t counter,
                               const Endpoint& endpoint, bool reboot = true,
                               bool initial_data_requested = false) {
  SdMessage m;
  m.flags = kSdFlagUnicast | (reboot ? kSdFlagReboot : 0);
  Entry e;
  e.type = EntryType::kSubscribeEventgroup;
  e.service_id = service;
  e.instance_id = instance;
  e.major_version = major;
  e.ttl = ttl;
  e.counter = counter;
  e.eventgroup_id = eventgroup;
  e.initial_data_requested = initial_data_requested;
  AttachOptions(m, e, {EndpointOption(endpoint.address(), kL4Udp, endpoint.port())});
  m.entries.push_back(e);
  return EncodeSdMessage(m, session);
}

inline Bytes FindDatagram(uint16_t session, uint16_t service, uint16_t instance, uint8_t major,
                          bool unicast_flag) {
  SdMessage m;
  m.flags = (unicast_flag ? kSdFlagUnicast : 0) | kSdFlagReboot;
  Entry e;
  e.type = EntryType::kFindService;
  e.service_id = service;
  e.instance_id = instance;
  e.major_version = major;
  e.ttl = 3;
  e.minor_version = kAnyMinor;
  m.entries.push_back(e);
  return EncodeSdMessage(m, session);
}

inline Bytes Request(uint16_t service, uint16_t method, uint8_t iface, MessageType type,
                     Bytes payload = {}, uint16_t session = 1) {
  Header h;
  h.service_id = service;
  h.method_id = method;
  h.client_id = 0x1234;
  h.session_id = session;
  h.interface_version = iface;
  h.message_type = static_cast<uint8_t>(type);
  return EncodeMessage(h, payload);
}

}  // namespace ecusim::someip::testing

#endif  // ECUSIM_TESTS_UNIT_SOMEIP_TEST_UTIL_H_
