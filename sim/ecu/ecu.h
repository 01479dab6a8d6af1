// A virtual ECU: one identity (unicast address, optional interface) owning the protocol
// endpoints of the modules (SOME/IP, DoIP, digital objects). It lives on one shard; its
// components are touched only from that shard's thread.
#ifndef ECUSIM_SIM_ECU_ECU_H_
#define ECUSIM_SIM_ECU_ECU_H_

#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "asio/ip/address.hpp"
#include "sim/core/shard.h"
#include "sim/observe/hub.h"

namespace ecusim::ecu {

struct EcuIdentity {
  std::string id;              // [a-z0-9-]{1,63}
  std::string address;         // unicast IPv4 or IPv6 literal the ECU binds to
  std::string interface_name;  // optional; used for multicast
  std::map<std::string, std::string> labels;

  bool operator==(const EcuIdentity&) const = default;
};

// Each returns INVALID_ARGUMENT naming the field and the value.
absl::Status ValidateEcuId(absl::string_view id);
absl::Status ValidateUnicastAddress(absl::string_view field, absl::string_view address);
absl::Status ValidateInterfaceName(absl::string_view field, absl::string_view name);
absl::Status ValidateIdentity(const EcuIdentity& identity);

// A module's endpoint(s) on one ECU.
class EcuComponent {
 public:
  virtual ~EcuComponent() = default;
  // Withdraw what was announced (StopOffer, close connections, ...) and release sockets.
  // Called on the ECU's shard thread, once, before the component is destroyed.
  virtual void Shutdown() = 0;
};

class Ecu {
 public:
  Ecu(EcuIdentity identity, asio::ip::address address, core::Shard& shard, observe::Hub& hub)
      : identity_(std::move(identity)), address_(address), shard_(shard), hub_(hub) {}
  Ecu(const Ecu&) = delete;
  Ecu& operator=(const Ecu&) = delete;
  ~Ecu();

  const EcuIdentity& identity() const { return identity_; }
  const std::string& id() const { return identity_.id; }
  const asio::ip::address& address() const { return address_; }
  core::Shard& shard() const { return shard_; }
  observe::Hub& hub() const { return hub_; }
  // "ecus/{id}"
  std::string ResourceName() const { return "ecus/" + identity_.id; }

  // --- Shard thread only below this line. ---

  // The component a module stored under `key` ("someip", "doip", ...), or null.
  EcuComponent* component(absl::string_view key) const;
  template <typename T>
  T* component_as(absl::string_view key) const {
    return static_cast<T*>(component(key));
  }
  // Replaces (shutting down) any component stored under `key`.
  void set_component(std::string key, std::unique_ptr<EcuComponent> component);
  // Shuts down and removes the component under `key`; no-op when there is none.
  void erase_component(absl::string_view key);
  // Shuts down every component (in reverse order of creation keys) and marks the ECU deleted.
  void ShutdownAll();
  bool deleted() const { return deleted_; }

 private:
  const EcuIdentity identity_;
  const asio::ip::address address_;
  core::Shard& shard_;
  observe::Hub& hub_;
  std::map<std::string, std::unique_ptr<EcuComponent>, std::less<>> components_;
  bool deleted_ = false;
};

}  // namespace ecusim::ecu

#endif  // ECUSIM_SIM_ECU_ECU_H_
