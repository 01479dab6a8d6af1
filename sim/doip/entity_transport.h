// The asio glue around a sans-I/O Entity, on the ECU's shard: UDP discovery socket
// (identification, entity status, power mode, announcements), TCP_DATA listener and the TLS
// listener, one timer for the entity's deadlines. Bounded buffers everywhere: a fixed read
// buffer per connection, a send queue limit per connection, a limit on UDP replies in flight.
#ifndef ECUSIM_SIM_DOIP_ENTITY_TRANSPORT_H_
#define ECUSIM_SIM_DOIP_ENTITY_TRANSPORT_H_

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>
#include <asio/steady_timer.hpp>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "absl/status/statusor.h"
#include "sim/core/clock.h"
#include "sim/doip/entity.h"
#include "sim/doip/tls_context.h"

namespace ecusim::doip {

class Link;

// Where announcements go when no target is given: the broadcast address of the interface that
// holds `address` (127.255.255.255 for loopback addresses), 255.255.255.255 when none is
// known; ff02::1 for IPv6 (ISO 13400-2 DoIP-125 / DoIP-155).
asio::ip::address DefaultAnnouncementAddress(const asio::ip::address& address);

class EntityTransport : public std::enable_shared_from_this<EntityTransport> {
 public:
  // Returns false when it cannot take the request (the model answers at once).
  using ForwardHandler = std::function<bool(const Action&)>;

  // Binds the sockets on `address` and schedules the start-up announcements. Call on the
  // thread running `io`. Errors: FAILED_PRECONDITION naming address and port when a socket
  // cannot be bound, INVALID_ARGUMENT for TLS files.
  static absl::StatusOr<std::shared_ptr<EntityTransport>> Start(asio::io_context& io,
                                                                core::Clock& clock,
                                                                asio::ip::address address,
                                                                EntityConfig config,
                                                                EntityObserver* observer);
  EntityTransport(const EntityTransport&) = delete;
  EntityTransport& operator=(const EntityTransport&) = delete;
  ~EntityTransport();

  // Closes every connection and socket, cancels announcements. Idempotent.
  void Stop();

  Entity& entity() { return entity_; }
  uint16_t udp_port() const { return udp_port_; }
  uint16_t tcp_port() const { return tcp_port_; }
  uint16_t tls_port() const { return tls_port_; }
  const std::string& tls_fingerprint() const { return tls_.fingerprint; }
  const asio::ip::address& announcement_address() const { return announce_address_; }

  // Seed's trigger_vehicle_announcement: `count` announcements, the first now, then one every
  // `cycle`. REQUIRES: count >= 1.
  void TriggerAnnouncement(asio::ip::udp::endpoint target, uint32_t count, core::Duration cycle,
                           std::optional<uint8_t> further_action);
  asio::ip::udp::endpoint DefaultAnnouncementTarget(uint16_t port) const;

  // HandleDiagnostics: forwarded requests go here; answers come back via ExternalReply.
  // `owner` identifies the stream; only it can clear the handler. Clearing lets the model
  // answer every request still waiting for the orchestrator.
  void SetForwardHandler(ForwardHandler handler, const void* owner);
  void ClearForwardHandler(const void* owner);
  bool has_forward_handler() const { return forward_ != nullptr; }
  const void* forward_owner() const { return forward_owner_; }
  void ExternalReply(uint64_t request_id, std::optional<Bytes> uds);
  // Runs `fn` on the entity and executes what it returns (control-plane changes).
  void Mutate(const std::function<void(Entity&, core::TimePoint, Actions&)>& fn);

  // --- Called by links. ---
  void OnLinkData(uint64_t id, ByteSpan data);
  void OnLinkClosed(uint64_t id, const std::string& reason);

 private:
  EntityTransport(asio::io_context& io, core::Clock& clock, asio::ip::address address,
                  EntityConfig config, EntityObserver* observer);
  absl::Status Bind();
  void ReceiveDatagram();
  void SendDatagram(const asio::ip::udp::endpoint& to, Bytes bytes);
  void Accept(asio::ip::tcp::acceptor& acceptor, bool tls);
  void Apply(Actions& actions);
  void Rearm();
  void OnTimer();
  struct AnnouncementRun;
  void ScheduleAnnouncement(std::shared_ptr<AnnouncementRun> run, core::Duration delay);

  asio::io_context& io_;
  core::Clock& clock_;
  const asio::ip::address address_;
  EntityObserver* observer_;
  Entity entity_;
  asio::ip::udp::socket udp_;
  asio::ip::tcp::acceptor tcp_;
  asio::ip::tcp::acceptor tls_acceptor_;
  TlsServerContext tls_;
  asio::steady_timer timer_;
  std::optional<core::TimePoint> armed_;
  std::map<uint64_t, std::shared_ptr<Link>> links_;
  uint64_t next_link_id_ = 1;
  std::array<uint8_t, 16384> udp_buffer_{};
  asio::ip::udp::endpoint udp_peer_;
  size_t udp_in_flight_ = 0;
  std::list<std::shared_ptr<AnnouncementRun>> runs_;
  asio::ip::address announce_address_;
  std::mt19937_64 rng_;
  ForwardHandler forward_;
  const void* forward_owner_ = nullptr;
  uint16_t udp_port_ = 0;
  uint16_t tcp_port_ = 0;
  uint16_t tls_port_ = 0;
  bool stopped_ = false;
};

}  // namespace ecusim::doip

#endif  // ECUSIM_SIM_DOIP_ENTITY_TRANSPORT_H_
