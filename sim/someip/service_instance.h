// One offered service instance: its subscribers, events, fields and methods. Sans-I/O: every
// entry point takes `now` and appends the datagrams to send to a Datagrams list; SdServer
// (sd_server.h) owns the instances and routes SD and service traffic to them.
#ifndef ECUSIM_SIM_SOMEIP_SERVICE_INSTANCE_H_
#define ECUSIM_SIM_SOMEIP_SERVICE_INSTANCE_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "asio/ip/udp.hpp"
#include "sim/someip/event_generator.h"
#include "sim/someip/header.h"
#include "sim/someip/instance_config.h"
#include "sim/someip/reporter.h"

namespace ecusim::someip {

using Endpoint = asio::ip::udp::endpoint;

struct Datagram {
  // 0 = the ECU's SD socket; otherwise the endpoint socket of that instance.
  InstanceKey from = 0;
  Endpoint to;
  Bytes bytes;
};
using Datagrams = std::vector<Datagram>;

struct MethodBehavior {
  enum class Kind {
    kDefault,      // RESPONSE with an empty payload (getter/setter: the field)
    kStaticReply,  // RESPONSE with `payload`
    kEcho,         // RESPONSE with the request's payload
    kError,        // ERROR with `return_code`
    kDrop,         // nothing
  };
  Kind kind = Kind::kDefault;
  Bytes payload;
  uint8_t return_code = 0;
  core::Duration delay{0};
};

struct Subscriber {
  uint16_t eventgroup_id = 0;
  Endpoint endpoint;  // where notifications go (the endpoint option)
  Endpoint sd_peer;   // who subscribed (SD source): for reboot detection
  uint32_t ttl_s = 0;
  uint8_t counter = 0;
  core::TimePoint expires;
};

// A call handed to the orchestrator (HandleMethods); answered with CompleteCall.
struct ForwardedCall {
  uint64_t call_id = 0;
  uint16_t method_id = 0;
  uint16_t client_id = 0;
  uint16_t session_id = 0;
  Endpoint peer;
  Bytes payload;
};

class ServiceInstance {
 public:
  // Bounds, so a misbehaving peer cannot grow state without limit.
  static constexpr size_t kMaxPendingReplies = 4096;
  static constexpr size_t kMaxForwardedCalls = 1024;
  static constexpr auto kForwardTimeout = std::chrono::seconds(5);

  ServiceInstance(InstanceConfig config, Reporter& reporter, uint64_t seed);

  const InstanceConfig& config() const { return config_; }
  InstanceKey key() const { return key_; }
  uint16_t service_id() const { return config_.service.id; }
  uint16_t instance_id() const { return config_.instance_id; }
  uint8_t major() const { return config_.service.major_version; }

  // --- Subscriptions (SD) ---
  const EventgroupConfig* FindEventgroup(uint16_t id) const;
  enum class SubscribeOutcome { kAdded, kRenewed, kLimitReached };
  SubscribeOutcome Subscribe(core::TimePoint now, const Subscriber& s);
  bool Unsubscribe(uint16_t eventgroup_id, const Endpoint& endpoint);
  // Removes the subscriptions an SD peer made (its reboot was detected). Returns how many.
  size_t DropSubscriptionsOf(const asio::ip::address& sd_peer);
  const std::vector<Subscriber>& subscribers() const { return subscribers_; }
  // Field notifiers of the eventgroup, sent by unicast to a new subscriber (_691).
  void AppendInitialEvents(uint16_t eventgroup_id, const Endpoint& to, Datagrams& out);

  // --- Events ---
  // INVALID_ARGUMENT/NOT_FOUND naming the id when the eventgroup or event is not in the
  // service or the event is not in the eventgroup (someipy's send_event raises ValueError).
  absl::Status CheckEvent(uint16_t eventgroup_id, uint16_t event_id) const;
  // Where a notification of `event_id` goes: each subscriber once even when it subscribed to
  // several eventgroups holding the event; a multicast eventgroup's group once.
  const std::vector<Endpoint>& Recipients(uint16_t event_id);
  // Encodes a notification into `out` (16 + payload bytes), using the next session id of the
  // event. Returns the message size.
  size_t EncodeNotification(uint16_t event_id, ByteSpan payload, uint8_t* out);
  // Slow path: one datagram per recipient (TP segmented when configured), drop fault
  // applied. Returns the number of recipients.
  size_t AppendNotification(uint16_t event_id, ByteSpan payload, Datagrams& out);
  // The drop-notifications fault: true when this copy is to be dropped.
  bool DropByFault();
  bool event_uses_tp(uint16_t event_id) const;

  // --- Fields ---
  // `field_id` is the notifier id, or the getter id of a field without notifier. Returns
  // whether the value changed (then subscribers are notified). NOT_FOUND naming the id.
  absl::StatusOr<bool> SetField(uint16_t field_id, ByteSpan value, Datagrams& out);
  absl::StatusOr<Bytes> GetField(uint16_t field_id) const;

  // --- Methods ---
  // Handles a REQUEST / REQUEST_NO_RETURN whose service id is this instance's service.
  void HandleRequest(core::TimePoint now, const Endpoint& from, const MessageView& m,
                     Datagrams& out);
  // NOT_FOUND naming the method when it is not a method of the service.
  absl::Status SetMethodBehavior(uint16_t method_id, MethodBehavior behavior);
  void SetFaults(const FaultConfig& faults) { config_.faults = faults; }
  void set_origin(std::string origin) { config_.origin = std::move(origin); }
  // Live handling: calls of `methods` (empty = all) go to `forward` instead of behaviours.
  void SetForwarder(std::set<uint16_t> methods, std::function<void(const ForwardedCall&)> forward);
  void ClearForwarder();
  bool has_forwarder() const { return static_cast<bool>(forward_); }
  // Answers a forwarded call. NOT_FOUND when the call is unknown or timed out.
  absl::Status CompleteCall(core::TimePoint now, uint64_t call_id, const MethodBehavior& b,
                            Datagrams& out);

  // --- Generators ---
  // nullopt stops the generator of the event.
  absl::Status SetGenerator(core::TimePoint now, uint16_t eventgroup_id, uint16_t event_id,
                            std::optional<GeneratorConfig> config);
  std::vector<std::unique_ptr<EventGenerator>>& generators() { return generators_; }
  std::optional<core::TimePoint> NextGeneratorDue() const;

  // --- Timers: subscription TTL expiry, delayed replies, forwarded-call timeouts ---
  std::optional<core::TimePoint> NextWakeup() const;
  void OnTimer(core::TimePoint now, Datagrams& out);

 private:
  struct Field {
    FieldConfig config;
  };
  const MethodConfig* FindMethod(uint16_t id) const;
  Field* FindFieldByMethod(uint16_t id);
  Field* FindField(uint16_t field_id);
  const Field* FindField(uint16_t field_id) const;
  void Reply(core::TimePoint now, const Endpoint& to, const Header& req, MessageType type,
             uint8_t return_code, ByteSpan payload, core::Duration delay, Datagrams& out);
  void ReplyError(const Endpoint& to, const Header& req, ReturnCode rc, Datagrams& out);
  void Answer(core::TimePoint now, const Endpoint& from, const MessageView& m,
              const MethodBehavior& b, Datagrams& out);
  bool AnswerField(core::TimePoint now, const Endpoint& from, const MessageView& m, Datagrams& out);
  uint16_t NextSession(uint16_t event_id);
  void ExpireSubscriptions(core::TimePoint now);

  InstanceConfig config_;
  const InstanceKey key_;
  Reporter& reporter_;
  std::mt19937_64 rng_;
  std::vector<Field> fields_;
  std::map<uint16_t, MethodBehavior> behaviors_;
  std::vector<Subscriber> subscribers_;
  std::unordered_map<uint16_t, std::vector<Endpoint>> recipients_;
  bool recipients_dirty_ = true;
  std::unordered_map<uint16_t, uint16_t> event_sessions_;
  std::multimap<core::TimePoint, Datagram> pending_replies_;
  std::vector<std::unique_ptr<EventGenerator>> generators_;
  // Live handling.
  std::set<uint16_t> forward_methods_;
  std::function<void(const ForwardedCall&)> forward_;
  struct PendingCall {
    Endpoint peer;
    Header request;
    Bytes payload;
    core::TimePoint deadline;
  };
  std::map<uint64_t, PendingCall> calls_;
  uint64_t next_call_id_ = 1;
};

}  // namespace ecusim::someip

#endif  // ECUSIM_SIM_SOMEIP_SERVICE_INSTANCE_H_
