// The SOME/IP component of one virtual ECU: the asio glue around SdServer. It owns the SD
// sockets (unicast ECU-address:30490, and one bound to the group, joined on the ECU's
// address), one UDP socket per service endpoint port, the SD timer and the generator timer.
// Everything here runs on the ECU's shard thread.
#ifndef ECUSIM_SIM_SOMEIP_SOMEIP_ECU_H_
#define ECUSIM_SIM_SOMEIP_SOMEIP_ECU_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "asio/ip/udp.hpp"
#include "asio/steady_timer.hpp"
#include "sim/ecu/ecu.h"
#include "sim/someip/fan_out.h"
#include "sim/someip/hub_reporter.h"
#include "sim/someip/sd_server.h"

namespace ecusim::someip {

inline constexpr const char* kComponentKey = "someip";

class SomeIpEcu : public ecu::EcuComponent {
 public:
  // Opens the SD sockets. FAILED_PRECONDITION naming the address when a socket cannot be
  // bound or the group cannot be joined; INVALID_ARGUMENT when the group is not multicast
  // or its family differs from the ECU address.
  static absl::StatusOr<std::unique_ptr<SomeIpEcu>> Create(ecu::Ecu& ecu,
                                                           const asio::ip::address& group,
                                                           uint16_t sd_port);
  ~SomeIpEcu() override;

  // Sends StopOffer for every offer in one SD message and closes every socket.
  void Shutdown() override;

  const Endpoint& sd_multicast() const { return server_.config().multicast; }
  SdServer& server() { return server_; }
  HubReporter& reporter() { return reporter_; }
  ecu::Ecu& ecu() { return ecu_; }

  // Binds the endpoint port (shared with other services' instances on the same port) and
  // starts the SD phases. Errors as SdServer::Offer, FAILED_PRECONDITION when the port
  // cannot be bound.
  absl::Status StartOffer(InstanceConfig config);
  absl::Status StopOffer(uint16_t service_id, uint16_t instance_id);
  // NOT_FOUND naming service and instance.
  absl::StatusOr<ServiceInstance*> Instance(uint16_t service_id, uint16_t instance_id);

  // Sends one notification (after CheckEvent). Returns the number of recipients.
  absl::StatusOr<size_t> SendEvent(uint16_t service_id, uint16_t instance_id,
                                   uint16_t eventgroup_id, uint16_t event_id, ByteSpan payload);
  // Hot path for many events of one instance: no validation beyond the event check, batched.
  // Returns false when the event is not in the eventgroup (`error` says why).
  bool QueueEvent(ServiceInstance& instance, uint16_t eventgroup_id, uint16_t event_id,
                  ByteSpan payload, std::string* error);
  void FlushEvents();

  absl::StatusOr<bool> SetField(uint16_t service_id, uint16_t instance_id, uint16_t field_id,
                                ByteSpan value, size_t* recipients);
  absl::Status SetGenerator(uint16_t service_id, uint16_t instance_id, uint16_t eventgroup_id,
                            uint16_t event_id, std::optional<GeneratorConfig> config);
  // Called once from Shutdown (the control plane forgets the ECU's offers).
  void set_shutdown_hook(std::function<void()> hook) { shutdown_hook_ = std::move(hook); }
  // Sends what the state machine produced and re-arms the SD timer.
  void Dispatch(Datagrams& out);

 private:
  struct Socket;
  SomeIpEcu(ecu::Ecu& ecu, SdServerConfig config);
  absl::Status OpenSd(uint16_t sd_port);
  absl::StatusOr<std::shared_ptr<Socket>> OpenPort(uint16_t port);
  void Receive(std::shared_ptr<Socket> s);
  void OnDatagram(Socket& s, size_t n);
  void ArmTimer();
  void ArmGeneratorTimer();
  void RunGenerators();
  int FdForInstance(InstanceKey key);
  void ReleasePortIfUnused(uint16_t port);

  ecu::Ecu& ecu_;
  HubReporter reporter_;
  SdServer server_;
  std::shared_ptr<Socket> sd_unicast_;
  std::shared_ptr<Socket> sd_multicast_;
  std::map<uint16_t, std::shared_ptr<Socket>> ports_;
  asio::steady_timer timer_;
  asio::steady_timer generator_timer_;
  std::optional<core::TimePoint> timer_at_;
  std::optional<core::TimePoint> generator_at_;
  FanOut fan_out_;
  std::shared_ptr<bool> alive_;
  bool shut_down_ = false;
  std::function<void()> shutdown_hook_;
};

}  // namespace ecusim::someip

#endif  // ECUSIM_SIM_SOMEIP_SOMEIP_ECU_H_
