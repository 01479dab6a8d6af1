// A DOIP v2 endpoint on one ECU: a TLS listener on the ECU's address (default port 9000,
// Cordra's) on the ECU's shard, serving the endpoint's object store. Thin asio glue around
// TlsSession (bytes <-> records) and Connection (records <-> requests).
#ifndef ECUSIM_SIM_DIGITAL_OBJECT_ENDPOINT_H_
#define ECUSIM_SIM_DIGITAL_OBJECT_ENDPOINT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sim/digital_object/connection.h"
#include "sim/digital_object/object_store.h"
#include "sim/digital_object/processor.h"
#include "sim/digital_object/tls_context.h"
#include "sim/ecu/ecu.h"

namespace ecusim::digital_object {

inline constexpr uint16_t kDefaultPort = 9000;
inline constexpr char kComponentKey[] = "digital_object";

struct EndpointConfig {
  uint16_t port = kDefaultPort;  // 0 = any free port
  std::string service_id;        // empty = "<ecu id>/service"
  TlsFiles tls;
  std::vector<Credential> credentials;
  std::vector<ExtendedOperation> operations;
  std::vector<DigitalObject> objects;  // present at start
  ConnectionLimits limits;
  size_t max_connections = 256;
  size_t max_objects = 100000;
  core::Duration handshake_timeout = std::chrono::seconds(10);
  // Stop reading from a client whose unsent responses exceed this.
  size_t max_pending_output = 4 << 20;
  // Opaque to the endpoint: lets the control plane tell whether a running endpoint already
  // has a wanted configuration (scenario idempotency).
  std::string origin;
};

// What the control plane reports about a running endpoint.
struct EndpointInfo {
  std::string ecu_id;
  std::string address;
  uint16_t port = 0;
  std::string service_id;
  std::string certificate_sha256;
  std::string certificate_subject;
  std::string certificate_pem;
  bool self_signed = false;
  bool mutual_tls = false;
  size_t objects = 0;
  size_t connections = 0;
};

class Endpoint : public ecu::EcuComponent {
 public:
  // Binds and listens. REQUIRES: on the ECU's shard thread. INVALID_ARGUMENT for bad TLS
  // files or objects, FAILED_PRECONDITION when the port cannot be bound.
  static absl::StatusOr<std::unique_ptr<Endpoint>> Start(ecu::Ecu& ecu, EndpointConfig config);
  ~Endpoint() override;

  // Closes the listener and every connection (close_notify first). Idempotent.
  void Shutdown() override;

  EndpointInfo Info() const;
  const EndpointConfig& config() const;
  ObjectStore& store();
  // Call after changing the store from outside a connection (control plane).
  void NotifyStoreChanged();

  struct State;

 private:
  explicit Endpoint(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};

// Checks an endpoint configuration without starting anything. INVALID_ARGUMENT naming
// `path`.field and the value.
absl::Status ValidateEndpointConfig(const EndpointConfig& config, std::string_view path);

}  // namespace ecusim::digital_object

#endif  // ECUSIM_SIM_DIGITAL_OBJECT_ENDPOINT_H_
