// A running DoIP entity on one virtual ECU: the transport, its metrics (ecusim_doip_*) and
// observations ("doip.*"), and a thread-safe mirror of its state for Watch snapshots.
#ifndef ECUSIM_SIM_DOIP_DOIP_COMPONENT_H_
#define ECUSIM_SIM_DOIP_DOIP_COMPONENT_H_

#include <prometheus/counter.h>
#include <prometheus/gauge.h>

#include <map>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "sim/doip/entity_transport.h"
#include "sim/ecu/ecu.h"
#include "sim/observe/hub.h"

namespace ecusim::doip {

inline constexpr char kComponentKey[] = "doip";

// Metric families shared by every entity of the process.
class DoipMetrics {
 public:
  explicit DoipMetrics(observe::Metrics& metrics);
  prometheus::Counter& announcements_sent;
  prometheus::Family<prometheus::Counter>& identification_requests;  // type, result
  prometheus::Family<prometheus::Counter>& udp_requests;             // type
  prometheus::Family<prometheus::Counter>& routing_activations;      // code
  prometheus::Family<prometheus::Counter>& diagnostic_messages;      // direction
  prometheus::Family<prometheus::Counter>& diagnostic_nacks;         // code
  prometheus::Family<prometheus::Counter>& generic_nacks;            // code, transport
  prometheus::Family<prometheus::Counter>& alive_checks;             // result
  prometheus::Gauge& tcp_connections;
};

// What Watch's snapshot shows: running entities and their connections. Written on shard
// threads, read from gRPC threads.
class DoipMirror {
 public:
  void SetEntity(const std::string& ecu_id, std::vector<std::pair<std::string, std::string>> attrs);
  void EraseEntity(const std::string& ecu_id);
  void SetConnection(const std::string& ecu_id, const ConnectionInfo& c);
  void EraseConnection(const std::string& ecu_id, ConnId id);
  void Snapshot(std::vector<observe::Observation>& out) const;

 private:
  struct Entry {
    std::vector<std::pair<std::string, std::string>> attrs;
    std::map<ConnId, ConnectionInfo> connections;
  };
  mutable absl::Mutex mu_;
  std::map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

class DoipComponent : public ecu::EcuComponent, public EntityObserver {
 public:
  // Binds the entity's sockets on the ECU's address. Shard thread only.
  static absl::StatusOr<std::unique_ptr<DoipComponent>> Start(ecu::Ecu& ecu, EntityConfig config,
                                                              std::shared_ptr<DoipMirror> mirror);
  ~DoipComponent() override;
  void Shutdown() override;

  EntityTransport& transport() { return *transport_; }
  Entity& entity() { return transport_->entity(); }
  const std::string& ecu_id() const { return ecu_id_; }
  // Opaque fingerprint of the configuration it was started from (the server stores the
  // serialized proto), so re-applying an unchanged scenario changes nothing.
  const std::string& tag() const { return tag_; }
  void set_tag(std::string tag) { tag_ = std::move(tag); }

  // EntityObserver
  void OnConnectionOpened(const ConnectionInfo& c) override;
  void OnConnectionClosed(const ConnectionInfo& c, const std::string& reason) override;
  void OnRoutingActivation(const ConnectionInfo& c, uint16_t source, uint8_t type,
                           uint8_t code) override;
  void OnAliveCheck(ConnId conn, bool answered) override;
  void OnDiagnosticRequest(uint16_t source, uint16_t target, ByteSpan uds) override;
  void OnDiagnosticResponse(uint16_t source, uint16_t target, ByteSpan uds) override;
  void OnDiagnosticNack(uint16_t source, uint16_t target, uint8_t code) override;
  void OnGenericNack(uint8_t code, Transport transport, const std::string& detail) override;
  void OnUdpRequest(const char* type, bool answered) override;
  void OnAnnouncementSent(const std::string& target, uint8_t further_action) override;

 private:
  DoipComponent(ecu::Ecu& ecu, std::shared_ptr<DoipMirror> mirror);
  void Publish(const char* kind, std::vector<std::pair<std::string, std::string>> attrs);
  prometheus::Counter& CodeCounter(prometheus::Family<prometheus::Counter>& family,
                                   std::map<uint32_t, prometheus::Counter*>& cache, uint32_t key,
                                   std::map<std::string, std::string> labels);

  std::string ecu_id_;
  std::string resource_;
  observe::Hub& hub_;
  DoipMetrics metrics_;
  std::shared_ptr<DoipMirror> mirror_;
  std::shared_ptr<EntityTransport> transport_;
  prometheus::Counter& requests_rx_;
  prometheus::Counter& responses_tx_;
  std::map<uint32_t, prometheus::Counter*> activation_counters_;
  std::map<uint32_t, prometheus::Counter*> diag_nack_counters_;
  std::map<uint32_t, prometheus::Counter*> generic_nack_counters_;
  std::string tag_;
  bool shut_down_ = false;
};

std::string Hex16(uint16_t v);
std::string HexBytes(ByteSpan bytes, size_t max = 64);

}  // namespace ecusim::doip

#endif  // ECUSIM_SIM_DOIP_DOIP_COMPONENT_H_
