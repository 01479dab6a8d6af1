// The configuration of one offered service instance (mirrors ecusim.v1.ServiceInstance and
// someipy's Service / ServerServiceInstance), and its validation.
#ifndef ECUSIM_SIM_SOMEIP_INSTANCE_CONFIG_H_
#define ECUSIM_SIM_SOMEIP_INSTANCE_CONFIG_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "asio/ip/address.hpp"
#include "sim/core/clock.h"
#include "sim/someip/header.h"
#include "sim/someip/tp.h"

namespace ecusim::someip {

using std::chrono::milliseconds;

struct EventgroupConfig {
  uint16_t id = 0;
  std::vector<uint16_t> event_ids;
  // Unspecified = unicast delivery to each subscriber.
  std::optional<asio::ip::address> multicast_address;
  uint16_t multicast_port = 0;
};

struct EventConfig {
  uint16_t id = 0;  // 0x8000-0xFFFE
  bool tp = false;
};

struct MethodConfig {
  uint16_t id = 0;  // 0x0001-0x7FFE
  bool fire_and_forget = false;
  bool tp = false;
};

struct FieldConfig {
  uint16_t getter_id = 0;  // 0 = none
  uint16_t setter_id = 0;
  uint16_t notifier_id = 0;
  Bytes value;
};

struct ServiceConfig {
  uint16_t id = 0;
  uint8_t major_version = 1;
  uint32_t minor_version = 0;
  std::vector<EventgroupConfig> eventgroups;
  std::vector<EventConfig> events;
  std::vector<MethodConfig> methods;
  std::vector<FieldConfig> fields;
};

// PROTOCOLS.md defaults.
struct SdTiming {
  core::Duration initial_delay_min = milliseconds(10);
  core::Duration initial_delay_max = milliseconds(100);
  core::Duration repetitions_base_delay = milliseconds(200);
  uint32_t repetitions_max = 3;
  core::Duration cyclic_offer_delay = milliseconds(2000);
  core::Duration request_response_delay_min = milliseconds(0);
  core::Duration request_response_delay_max = milliseconds(0);
};

struct FaultConfig {
  bool nack_subscriptions = false;
  double drop_notifications_percent = 0;
  core::Duration response_delay = milliseconds(0);
};

struct InstanceConfig {
  ServiceConfig service;
  uint16_t instance_id = 0;
  uint16_t endpoint_port = 0;
  // 0 = 3 x cyclic offer delay rounded up to seconds.
  uint32_t ttl_s = 0;
  SdTiming timing;
  uint32_t max_subscribers = 0;  // per eventgroup, 0 = unlimited
  FaultConfig faults;
  size_t tp_max_segment = kDefaultMaxSegment;
  // Opaque to the data plane: what the control plane was asked for (a serialized proto), so
  // applying the same scenario twice can tell that nothing changed.
  std::string origin;

  uint32_t EffectiveTtl() const;
};

// INVALID_ARGUMENT naming the field and value: reserved ids, duplicate ids, events outside
// 0x8000-0xFFFE, methods outside 0x0001-0x7FFE, an eventgroup naming an unknown event, a
// field without getter/setter/notifier, timing windows min > max, ...
absl::Status ValidateInstanceConfig(const InstanceConfig& c);

}  // namespace ecusim::someip

#endif  // ECUSIM_SIM_SOMEIP_INSTANCE_CONFIG_H_
