// Configuration of one DoIP entity (a node, or a gateway with ECUs behind it). Plain data;
// the server translates the proto into it and ValidateEntityConfig checks it.
#ifndef ECUSIM_SIM_DOIP_ENTITY_CONFIG_H_
#define ECUSIM_SIM_DOIP_ENTITY_CONFIG_H_

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "sim/core/clock.h"
#include "sim/doip/doip_message.h"
#include "sim/doip/uds_server.h"

namespace ecusim::doip {

enum class TlsMode { kDisabled, kOptional, kMandatory };

// What routing activation does after the source address, type and socket checks
// (ISO 13400-2 routing activation handler, confirmation step).
enum class Confirmation {
  kNone,      // 0x10 at once
  kRequired,  // first request 0x11 (registered, not routing), a repeated request 0x10
  kRejected,  // 0x05, socket closed
};

struct LogicalEcuConfig {
  uint16_t address = 0;
  UdsConfig uds;
  // Largest UDS request the ECU accepts (diagnostic NACK 0x04 above); 0 = the entity's max.
  uint32_t max_request_size = 0;
  // false: every request gets diagnostic NACK 0x06 (target unreachable).
  bool reachable = true;
  // Requests still being answered (response pending) before NACK 0x05 (out of memory).
  uint32_t max_outstanding = 8;
};

struct EntityConfig {
  uint8_t protocol_version = kVersion2012;
  uint16_t logical_address = 0x1000;
  Vin vin{};
  Eid eid{};
  Gid gid{};
  uint8_t further_action = 0x00;
  // Announcements are 33 bytes with it, 32 without.
  std::optional<uint8_t> sync_status = kSyncStatusSynchronized;

  std::vector<std::pair<uint16_t, uint16_t>> tester_ranges = {{0x0E00, 0x0FFF}};
  std::set<uint8_t> activation_types = {kActivationDefault, kActivationWwhObd,
                                        kActivationCentralSecurity};
  uint8_t central_security_type = kActivationCentralSecurity;
  // When set, activation with the central security type needs this OEM-specific value,
  // otherwise 0x04 (missing authentication).
  std::optional<uint32_t> authentication_oem;
  Confirmation confirmation = Confirmation::kNone;
  TlsMode tls_mode = TlsMode::kDisabled;

  // Maximum DoIP payload accepted (entity status "max data size"); generic NACK 0x02 above.
  uint32_t max_data_size = 4096;
  // MCTS: concurrently registered TCP_DATA sockets (one more is accepted for socket handling).
  // The entity status reports at most 255 (a one-byte field); more is allowed for load tests.
  uint32_t max_sockets = 4;
  // Hard limit of open TCP connections (registered or not) per entity.
  uint32_t max_connections = 1024;
  uint16_t functional_address = 0xE400;
  // ECUs answering diagnostics. Empty: the entity itself at `logical_address` with `uds`.
  std::vector<LogicalEcuConfig> ecus;
  UdsConfig uds;

  core::Duration initial_inactivity = std::chrono::seconds(2);
  core::Duration general_inactivity = std::chrono::minutes(5);
  core::Duration alive_check_timeout = std::chrono::milliseconds(500);
  // HandleDiagnostics: the model answers when the orchestrator has not within this time.
  core::Duration external_reply_timeout = std::chrono::seconds(2);
  uint8_t power_mode = kPowerModeReady;
  // Receive memory shared by the entity's connections (generic NACK 0x03 when exhausted).
  size_t receive_buffer_bytes = 1 << 20;
  // Bytes queued for sending on one connection before it is closed as stuck.
  size_t max_send_queue_bytes = 1 << 20;

  uint32_t announcement_count = 3;
  core::Duration announcement_interval = std::chrono::milliseconds(500);
  core::Duration announcement_wait_max = std::chrono::milliseconds(500);
  core::Duration periodic_announcement{0};
  // Announcement destination; empty = DefaultAnnouncementAddress(ECU address).
  std::string announcement_address;

  uint16_t udp_port = kUdpDiscoveryPort;
  uint16_t tcp_port = kTcpDataPort;
  uint16_t tls_port = kTcpDataTlsPort;
  std::string tls_cert_file;
  std::string tls_key_file;

  bool is_gateway() const { return !(ecus.size() == 1 && ecus[0].address == logical_address); }
};

// Checks the configuration; INVALID_ARGUMENT names the field and the value. Fills defaults:
// an empty `ecus` becomes the entity itself with `uds`; every ECU's model gets DID 0xF190 = VIN
// unless configured.
absl::Status NormalizeEntityConfig(EntityConfig& config);

}  // namespace ecusim::doip

#endif  // ECUSIM_SIM_DOIP_ENTITY_CONFIG_H_
