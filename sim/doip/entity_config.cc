#include "sim/doip/entity_config.h"

#include <set>

#include "absl/strings/str_format.h"

namespace ecusim::doip {
namespace {

bool IsTesterAddress(uint16_t a) { return a >= 0x0E00 && a <= 0x0FFF; }

absl::Status CheckEcuAddress(const std::string& field, uint16_t a) {
  if (a == 0x0000 || IsTesterAddress(a) || a >= 0xE000) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s 0x%04X is not an ECU logical address (0x0001-0x0DFF, 0x1000-0xDFFF)", field, a));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status NormalizeEntityConfig(EntityConfig& c) {
  if (c.protocol_version < kVersion2010 || c.protocol_version > kVersion2019Amd1) {
    return absl::InvalidArgumentError(
        absl::StrFormat("protocol_version %d is not supported (1, 2, 3 or 4)", c.protocol_version));
  }
  if (absl::Status s = CheckEcuAddress("logical_address", c.logical_address); !s.ok()) return s;
  if (c.functional_address < 0xE000) {
    return absl::InvalidArgumentError(
        absl::StrFormat("functional_address 0x%04X is not a functional address (0xE000-0xFFFF)",
                        c.functional_address));
  }
  if (c.tester_ranges.empty()) {
    return absl::InvalidArgumentError("tester_ranges must not be empty");
  }
  for (size_t i = 0; i < c.tester_ranges.size(); ++i) {
    const auto& [first, last] = c.tester_ranges[i];
    if (first > last) {
      return absl::InvalidArgumentError(
          absl::StrFormat("tester_ranges[%d]: first 0x%04X is above last 0x%04X", i, first, last));
    }
  }
  if (c.activation_types.empty()) {
    return absl::InvalidArgumentError("activation_types must not be empty");
  }
  if (c.max_sockets < 1 || c.max_sockets > 65535) {
    return absl::InvalidArgumentError(
        absl::StrFormat("max_sockets %d must be 1..65535", c.max_sockets));
  }
  if (c.max_data_size < 5) {
    return absl::InvalidArgumentError(
        absl::StrFormat("max_diagnostic_size %d is below 5", c.max_data_size));
  }
  if (c.announcement_interval.count() < 0 || c.initial_inactivity.count() <= 0 ||
      c.general_inactivity.count() <= 0 || c.alive_check_timeout.count() <= 0) {
    return absl::InvalidArgumentError("timers must be positive");
  }
  if (c.power_mode > kPowerModeNotSupported) {
    return absl::InvalidArgumentError(
        absl::StrFormat("power_mode %d must be 0, 1 or 2", c.power_mode));
  }
  if (c.ecus.empty()) {
    LogicalEcuConfig self;
    self.address = c.logical_address;
    self.uds = c.uds;
    c.ecus.push_back(std::move(self));
  }
  std::set<uint16_t> seen;
  for (size_t i = 0; i < c.ecus.size(); ++i) {
    LogicalEcuConfig& e = c.ecus[i];
    const std::string field = absl::StrFormat("ecus[%d].logical_address", i);
    if (absl::Status s = CheckEcuAddress(field, e.address); !s.ok()) return s;
    if (!seen.insert(e.address).second) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s 0x%04X is used twice", field, e.address));
    }
    if (absl::Status s = ValidateUdsConfig(e.uds); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("ecus[%d].uds: %s", i, std::string(s.message())));
    }
    if (!e.uds.dids.contains(kDidVin)) {
      e.uds.dids[kDidVin] = DidConfig{std::vector<uint8_t>(c.vin.begin(), c.vin.end())};
    }
  }
  return absl::OkStatus();
}

}  // namespace ecusim::doip
