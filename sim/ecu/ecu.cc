#include "sim/ecu/ecu.h"

#include <arpa/inet.h>
#include <net/if.h>

#include "absl/strings/str_cat.h"

namespace ecusim::ecu {

absl::Status ValidateEcuId(absl::string_view id) {
  bool ok = !id.empty() && id.size() <= 63;
  for (char c : id) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
  }
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat("ecu.id \"", id, "\" is invalid: want 1 to 63 of [a-z0-9-]"));
  }
  return absl::OkStatus();
}

absl::Status ValidateUnicastAddress(absl::string_view field, absl::string_view address) {
  std::error_code ec;
  auto parsed = asio::ip::make_address(std::string(address), ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " \"", address, "\" is not an IPv4 or IPv6 address"));
  }
  if (parsed.is_multicast() || parsed.is_unspecified() ||
      (parsed.is_v4() && parsed.to_v4() == asio::ip::address_v4::broadcast())) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " \"", address, "\" is not a unicast address"));
  }
  return absl::OkStatus();
}

absl::Status ValidateInterfaceName(absl::string_view field, absl::string_view name) {
  if (name.empty()) return absl::OkStatus();
  if (name.size() >= IF_NAMESIZE || if_nametoindex(std::string(name).c_str()) == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " \"", name, "\" is not a network interface of this host"));
  }
  return absl::OkStatus();
}

absl::Status ValidateIdentity(const EcuIdentity& identity) {
  if (auto s = ValidateEcuId(identity.id); !s.ok()) return s;
  if (identity.address.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("ecu.address is required for ecu \"", identity.id, "\""));
  }
  if (auto s = ValidateUnicastAddress("ecu.address", identity.address); !s.ok()) return s;
  return ValidateInterfaceName("ecu.interface", identity.interface_name);
}

Ecu::~Ecu() = default;

EcuComponent* Ecu::component(absl::string_view key) const {
  auto it = components_.find(key);
  return it == components_.end() ? nullptr : it->second.get();
}

void Ecu::set_component(std::string key, std::unique_ptr<EcuComponent> component) {
  erase_component(key);
  components_.emplace(std::move(key), std::move(component));
}

void Ecu::erase_component(absl::string_view key) {
  auto it = components_.find(key);
  if (it == components_.end()) return;
  it->second->Shutdown();
  components_.erase(it);
}

void Ecu::ShutdownAll() {
  for (auto it = components_.rbegin(); it != components_.rend(); ++it) it->second->Shutdown();
  components_.clear();
  deleted_ = true;
}

}  // namespace ecusim::ecu
