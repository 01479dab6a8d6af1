// The sans-I/O DoIP entity: UDP discovery answers, the TCP_DATA connection state machine
// (routing activation with socket handling and alive check, inactivity timers, diagnostic
// message ACK/NACK and routing to the logical ECUs' UDS models), scheduled sends.
//
// The transport feeds it events with `now` and executes the actions it returns; tests drive it
// under a FakeClock. One instance per entity, used from one thread.
#ifndef ECUSIM_SIM_DOIP_ENTITY_H_
#define ECUSIM_SIM_DOIP_ENTITY_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "sim/core/clock.h"
#include "sim/doip/doip_message.h"
#include "sim/doip/entity_config.h"
#include "sim/doip/stream_framer.h"
#include "sim/doip/uds_server.h"

namespace ecusim::doip {

using ConnId = uint64_t;

struct Action {
  enum class Kind {
    kSend,     // write `bytes` to `conn`
    kClose,    // close `conn` (after the sends before it)
    kForward,  // hand a diagnostic request to the orchestrator (HandleDiagnostics)
  };
  Kind kind = Kind::kSend;
  ConnId conn = 0;
  Bytes bytes;              // kSend: DoIP message(s); kForward: UDS request
  std::string reason;       // kClose
  uint64_t request_id = 0;  // kForward
  uint16_t source_address = 0;
  uint16_t target_address = 0;
};
using Actions = std::vector<Action>;

enum class ConnectionState {
  kSocketInitialized,      // connected, no routing activation yet
  kPendingAliveCheck,      // activation waits for alive check answers of other sockets
  kPendingAuthentication,  // registered, answered 0x04
  kPendingConfirmation,    // registered, answered 0x11
  kRoutingActive,
};
const char* ConnectionStateName(ConnectionState state);

struct ConnectionInfo {
  ConnId id = 0;
  std::string peer;
  bool tls = false;
  ConnectionState state = ConnectionState::kSocketInitialized;
  uint16_t tester_address = 0;  // 0 when not registered
  uint64_t diagnostic_messages = 0;
};

// What the entity reports; the component turns it into metrics and observations.
class EntityObserver {
 public:
  virtual ~EntityObserver() = default;
  virtual void OnConnectionOpened(const ConnectionInfo& c) {}
  virtual void OnConnectionClosed(const ConnectionInfo& c, const std::string& reason) {}
  virtual void OnRoutingActivation(const ConnectionInfo& c, uint16_t source, uint8_t type,
                                   uint8_t code) {}
  virtual void OnAliveCheck(ConnId conn, bool answered) {}
  virtual void OnDiagnosticRequest(uint16_t source, uint16_t target, ByteSpan uds) {}
  virtual void OnDiagnosticResponse(uint16_t source, uint16_t target, ByteSpan uds) {}
  virtual void OnDiagnosticNack(uint16_t source, uint16_t target, uint8_t code) {}
  virtual void OnGenericNack(uint8_t code, Transport transport, const std::string& detail) {}
  // type: "plain", "eid", "vin", "entity_status", "power_mode".
  virtual void OnUdpRequest(const char* type, bool answered) {}
  // Reported by the transport.
  virtual void OnAnnouncementSent(const std::string& target, uint8_t further_action) {}
};

class Entity {
 public:
  // REQUIRES: NormalizeEntityConfig(config) returned OK.
  Entity(EntityConfig config, EntityObserver* observer, uint64_t random_seed = 1);
  Entity(const Entity&) = delete;
  Entity& operator=(const Entity&) = delete;
  ~Entity();

  const EntityConfig& config() const { return config_; }

  // --- UDP (entity_udp.cc) ---
  // The answer to one datagram received on the discovery port, if any.
  std::optional<Bytes> OnDatagram(core::TimePoint now, ByteSpan datagram);
  // A vehicle announcement (0x0004) with the entity's identity.
  Bytes Announcement(std::optional<uint8_t> further_action = std::nullopt) const;

  // --- TCP ---
  // A new TCP_DATA connection. May close it at once (too many connections).
  void OnAccept(ConnId id, core::TimePoint now, std::string peer, bool tls, Actions& out);
  void OnData(ConnId id, core::TimePoint now, ByteSpan data, Actions& out);
  // The peer closed or the socket failed; nothing is sent.
  void OnClosed(ConnId id, core::TimePoint now, const std::string& reason, Actions& out);
  // Fires every due timer; the transport calls it at NextDeadline().
  void OnTimer(core::TimePoint now, Actions& out);
  std::optional<core::TimePoint> NextDeadline() const;

  // --- Control ---
  void SetPositiveResponding(bool positive, uint8_t nrc);
  // NOT_FOUND when no ECU has `address`.
  absl::Status SetUdsConfig(uint16_t address, UdsConfig uds);
  UdsServer* FindEcu(uint16_t address);
  std::vector<ConnectionInfo> Connections() const;
  size_t open_connections() const { return connections_.size(); }
  // Requests to these logical addresses (all when `all`) go to the orchestrator first.
  void SetExternalHandler(bool enabled, bool all, std::set<uint16_t> addresses);
  // The orchestrator's answer to a forwarded request; empty `uds` = let the model answer.
  void OnExternalReply(uint64_t request_id, core::TimePoint now, std::optional<Bytes> uds,
                       Actions& out);
  // Lets the model answer every request still waiting for the orchestrator.
  void ReleaseExternal(core::TimePoint now, Actions& out);
  // Closes every connection (StopEntity).
  void CloseAll(core::TimePoint now, const std::string& reason, Actions& out);
  // 0x00 not ready while an ECU resets, else the configured mode.
  uint8_t PowerMode(core::TimePoint now) const;

 private:
  struct Connection;
  struct Target;
  struct Scheduled {
    core::TimePoint at;
    ConnId conn;
    uint16_t source;
    uint16_t target;
    Bytes uds;
    Target* ecu;  // counts outstanding requests; final message decrements
    bool final;
  };
  struct PendingExternal {
    ConnId conn;
    uint16_t tester;
    uint16_t ecu;
    Bytes request;
    core::TimePoint deadline;
  };

  void HandleFrame(Connection& c, core::TimePoint now, const StreamFramer::Frame& f, Actions& out);
  void HandleRoutingActivation(Connection& c, core::TimePoint now,
                               const RoutingActivationRequest& req, Actions& out);
  void FinishActivation(Connection& c, core::TimePoint now, const RoutingActivationRequest& req,
                        Actions& out);
  void RespondActivation(Connection& c, uint16_t source, uint8_t type, RoutingActivationCode code,
                         Actions& out);
  void HandleAliveCheckResponse(Connection& c, core::TimePoint now, Actions& out);
  void ResolvePendingActivations(ConnId subject, bool alive, core::TimePoint now, Actions& out);
  void HandleDiagnostic(Connection& c, core::TimePoint now, const DiagnosticMessage& m,
                        Actions& out);
  void AnswerWithModel(Target& t, ConnId conn, uint16_t tester, ByteSpan uds, bool functional,
                       core::TimePoint now, Actions& out);
  void SendDiagnosticNack(Connection& c, uint16_t source, uint16_t target, DiagnosticNackCode code,
                          Actions& out);
  void SendResponse(ConnId conn, uint16_t source, uint16_t target, const Bytes& uds, Actions& out);
  void SendGenericNack(Connection& c, const HeaderVerdict& v, Actions& out);
  void Send(ConnId conn, const Payload& payload, Actions& out);
  void Close(ConnId id, core::TimePoint now, const std::string& reason, Actions& out);
  void Forget(ConnId id, const std::string& reason);
  void RunDueTimers(core::TimePoint now, Actions& out);
  void Touch(Connection& c, core::TimePoint now);
  void Rearm(Connection& c);
  core::TimePoint InactivityDeadline(const Connection& c) const;
  bool IsTesterAddress(uint16_t sa) const;
  size_t RegisteredCount() const;
  Connection* FindConnection(ConnId id);
  ConnectionInfo Info(const Connection& c) const;
  Target* FindTarget(uint16_t address);

  EntityConfig config_;
  EntityObserver* observer_;
  EntityObserver null_observer_;
  BufferBudget budget_;
  std::map<ConnId, std::unique_ptr<Connection>> connections_;
  std::vector<std::unique_ptr<Target>> targets_;
  std::multimap<core::TimePoint, Scheduled> scheduled_;
  // Inactivity and alive check deadlines of every connection.
  std::set<std::pair<core::TimePoint, ConnId>> deadlines_;
  std::map<uint64_t, PendingExternal> external_;
  uint64_t next_request_id_ = 1;
  bool external_enabled_ = false;
  bool external_all_ = false;
  std::set<uint16_t> external_addresses_;
};

}  // namespace ecusim::doip

#endif  // ECUSIM_SIM_DOIP_ENTITY_H_
