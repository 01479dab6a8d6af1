// The SOME/IP server side of one ECU: SD offer phases (initial wait, repetition, main),
// FindService answers, SubscribeEventgroup handling, per-relation SD sessions, and the routing
// of service traffic to its ServiceInstances. Sans-I/O: `now` and inputs in, datagrams out;
// the transport (udp_transport.h) owns the sockets and the timer.
#ifndef ECUSIM_SIM_SOMEIP_SD_SERVER_H_
#define ECUSIM_SIM_SOMEIP_SD_SERVER_H_

#include <map>
#include <memory>
#include <optional>
#include <random>
#include <vector>

#include "absl/status/status.h"
#include "sim/someip/sd_message.h"
#include "sim/someip/service_instance.h"
#include "sim/someip/tp.h"

namespace ecusim::someip {

inline constexpr const char* kDefaultSdMulticast = "224.224.224.245";

struct SdServerConfig {
  // The ECU's unicast address: SD source and service endpoints.
  asio::ip::address unicast;
  // SD multicast group and port.
  Endpoint multicast{asio::ip::make_address("224.224.224.245"), kSdPort};
  // Announce Explicit Initial Data Control (_1187) and honour Initial-Data-Requested.
  bool explicit_initial_data_control = true;
  uint64_t seed = 1;
};

// Session ids of one SD communication relation (_41, _700): 1..0xFFFF, wrapping to 1; the
// reboot flag stays set from start until the first wrap.
struct SdSession {
  uint16_t next = 1;
  bool reboot = true;
  // Returns the session id to use and the reboot flag to send with it.
  std::pair<uint16_t, bool> Take();
};

class SdServer {
 public:
  enum class Phase { kInitialWait, kRepetition, kMain };
  static constexpr size_t kMaxPendingAnswers = 256;
  static constexpr size_t kMaxUnicastRelations = 4096;

  SdServer(SdServerConfig config, Reporter& reporter);
  SdServer(const SdServer&) = delete;
  SdServer& operator=(const SdServer&) = delete;

  const SdServerConfig& config() const { return config_; }

  // Starts the offer: initial wait random in its window. Errors: INVALID_ARGUMENT (config),
  // ALREADY_EXISTS (same service and instance), FAILED_PRECONDITION (another instance of the
  // same service already uses the port).
  absl::Status Offer(core::TimePoint now, InstanceConfig config);
  // Sends StopOfferService (TTL 0) by multicast and removes the instance. NOT_FOUND.
  absl::Status StopOffer(core::TimePoint now, uint16_t service_id, uint16_t instance_id,
                         Datagrams& out);
  // Stops every offer with one SD message (_820), e.g. on shutdown.
  void StopAll(core::TimePoint now, Datagrams& out);

  ServiceInstance* Find(uint16_t service_id, uint16_t instance_id);
  std::vector<ServiceInstance*> Instances();
  Phase phase(InstanceKey key) const;
  static const char* PhaseName(Phase p);
  // Instances whose endpoint is `port` (they share the socket).
  std::vector<ServiceInstance*> InstancesOnPort(uint16_t port);

  // An SD datagram received on the SD port; `via_multicast` when sent to the group.
  void OnSdDatagram(core::TimePoint now, const Endpoint& from, bool via_multicast,
                    ByteSpan datagram, Datagrams& out);
  // A datagram received on a service endpoint port.
  void OnServiceDatagram(core::TimePoint now, uint16_t port, const Endpoint& from,
                         ByteSpan datagram, Datagrams& out);
  void OnTimer(core::TimePoint now, Datagrams& out);
  // When OnTimer must run next (nullopt: nothing scheduled).
  std::optional<core::TimePoint> NextWakeup() const;

 private:
  struct OfferState {
    std::unique_ptr<ServiceInstance> instance;
    Phase phase = Phase::kInitialWait;
    core::TimePoint next;
    uint32_t repetitions = 0;
  };
  struct PendingAnswer {
    core::TimePoint due;
    bool multicast = false;
    Endpoint to;
    SdMessage message;
  };
  struct PeerState {
    uint16_t session = 0;
    bool reboot = false;
  };

  Entry OfferEntry(const ServiceInstance& inst, bool stop) const;
  void AddOffer(SdMessage& m, const ServiceInstance& inst, bool stop) const;
  // Encodes `m` (split in several messages when it exceeds a datagram) with the relation's
  // sessions and appends the datagrams.
  void Send(SdMessage m, bool multicast, const Endpoint& to, Datagrams& out);
  void AdvancePhase(core::TimePoint now, OfferState& s);
  core::Duration RandomIn(core::Duration lo, core::Duration hi);
  // _764: true when the peer's session/reboot pair shows it restarted.
  bool DetectReboot(const Endpoint& from, bool via_multicast, uint16_t session, bool reboot);
  void OnFind(core::TimePoint now, const Endpoint& from, bool via_multicast, const SdMessage& m,
              Datagrams& out);
  void OnSubscribe(core::TimePoint now, const Endpoint& from, const SdMessage& m, Datagrams& out);
  // Returns the Ack (ttl > 0) or Nack entry; fills `initial` when initial events are due.
  Entry HandleSubscribe(core::TimePoint now, const Endpoint& from, const SdMessage& m,
                        const Entry& e, std::vector<Option>& ack_options, bool& initial,
                        Endpoint& subscriber);
  void HandleStopSubscribe(const SdMessage& m, const Entry& e, const Endpoint& from);
  void DispatchRequest(core::TimePoint now, uint16_t port, const Endpoint& from,
                       const MessageView& m, Datagrams& out);

  SdServerConfig config_;
  Reporter& reporter_;
  std::mt19937_64 rng_;
  std::map<InstanceKey, OfferState> offers_;
  SdSession multicast_session_;
  std::map<Endpoint, SdSession> unicast_sessions_;
  std::map<std::pair<asio::ip::address, bool>, PeerState> peers_;
  std::vector<PendingAnswer> pending_answers_;
  TpReassembler tp_;
};

}  // namespace ecusim::someip

#endif  // ECUSIM_SIM_SOMEIP_SD_SERVER_H_
