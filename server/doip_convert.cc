#include "server/doip_convert.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ecusim::server {
namespace {

using std::chrono::milliseconds;

absl::Status Invalid(const std::string& path, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(path, what));
}

absl::Status CheckByte(const std::string& field, uint32_t v) {
  if (v > 0xFF) return absl::InvalidArgumentError(absl::StrFormat("%s %d exceeds 0xFF", field, v));
  return absl::OkStatus();
}

absl::Status CheckU16(const std::string& field, uint32_t v) {
  if (v > 0xFFFF) {
    return absl::InvalidArgumentError(absl::StrFormat("%s %d exceeds 0xFFFF", field, v));
  }
  return absl::OkStatus();
}

template <size_t N>
absl::Status FixedBytes(const std::string& field, const std::string& in,
                        std::array<uint8_t, N>& out) {
  if (in.size() != N) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s has %d bytes, want %d", field, in.size(), N));
  }
  std::copy(in.begin(), in.end(), out.begin());
  return absl::OkStatus();
}

absl::Status DidsFromProto(const v1::UdsModel& m, const std::string& p, doip::UdsConfig& c) {
  for (int i = 0; i < m.dids_size(); ++i) {
    const auto& d = m.dids(i);
    const std::string f = absl::StrFormat("%sdids[%d]", p, i);
    if (auto s = CheckU16(f + ".did", d.did()); !s.ok()) return s;
    if (d.value().empty()) return Invalid(f, ".value must not be empty");
    if (c.dids.contains(static_cast<uint16_t>(d.did()))) {
      return absl::InvalidArgumentError(absl::StrFormat("%s.did 0x%04X repeats", f, d.did()));
    }
    for (auto [name, v] : {std::pair{".write_security_level", d.write_security_level()},
                           std::pair{".read_security_level", d.read_security_level()},
                           std::pair{".write_session", d.write_session()}}) {
      if (auto s = CheckByte(f + name, v); !s.ok()) return s;
    }
    doip::DidConfig dc;
    dc.value.assign(d.value().begin(), d.value().end());
    dc.writable = d.writable();
    dc.write_security_level = static_cast<uint8_t>(d.write_security_level());
    dc.read_security_level = static_cast<uint8_t>(d.read_security_level());
    dc.write_session = static_cast<uint8_t>(d.write_session());
    c.dids[static_cast<uint16_t>(d.did())] = std::move(dc);
  }
  return absl::OkStatus();
}

absl::Status SecurityFromProto(const v1::SecurityAccess& s, const std::string& p,
                               doip::UdsConfig& c) {
  if (s.has_xor_constant()) c.security_constant = s.xor_constant();
  if (s.seed_length() != 0) {
    if (s.seed_length() > 32) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%sseed_length %d must be 1..32", p, s.seed_length()));
    }
    c.seed_length = static_cast<uint8_t>(s.seed_length());
  }
  if (s.max_attempts() != 0) {
    if (auto st = CheckByte(p + "max_attempts", s.max_attempts()); !st.ok()) return st;
    c.max_attempts = static_cast<uint8_t>(s.max_attempts());
  }
  switch (s.algorithm()) {
    case v1::SECURITY_ALGORITHM_XOR:
      c.algorithm = doip::SecurityAlgorithm::kXor;
      break;
    case v1::SECURITY_ALGORITHM_ADD:
      c.algorithm = doip::SecurityAlgorithm::kAdd;
      break;
    case v1::SECURITY_ALGORITHM_COMPLEMENT:
      c.algorithm = doip::SecurityAlgorithm::kComplement;
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrFormat("%salgorithm %d is unknown", p, static_cast<int>(s.algorithm())));
  }
  if (s.levels_size() > 0) {
    c.security_levels.clear();
    for (int i = 0; i < s.levels_size(); ++i) {
      const uint32_t l = s.levels(i);
      if (l % 2 == 0 || l > 0x41) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "%slevels[%d] 0x%02X must be an odd requestSeed sub-function 0x01..0x41", p, i, l));
      }
      c.security_levels.insert(static_cast<uint8_t>(l));
    }
  }
  if (s.delay_ms() != 0) c.security_delay = milliseconds(s.delay_ms());
  return absl::OkStatus();
}

}  // namespace

namespace {

absl::Status ResponsesFromProto(const v1::UdsModel& m, const std::string& p, doip::UdsConfig& c) {
  for (int i = 0; i < m.nrc_overrides_size(); ++i) {
    const auto& o = m.nrc_overrides(i);
    const std::string f = absl::StrFormat("%snrc_overrides[%d]", p, i);
    if (auto s = CheckByte(f + ".service_id", o.service_id()); !s.ok()) return s;
    if (auto s = CheckByte(f + ".nrc", o.nrc()); !s.ok()) return s;
    if (o.nrc() == 0 || o.nrc() == 0x78) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s.nrc 0x%02X is not a final negative response code", f, o.nrc()));
    }
    c.nrc_overrides[static_cast<uint8_t>(o.service_id())] = static_cast<uint8_t>(o.nrc());
  }
  if (m.response_pending_count() > 100) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%sresponse_pending_count %d exceeds 100", p, m.response_pending_count()));
  }
  c.response_pending_count = m.response_pending_count();
  if (m.response_pending_interval_ms() != 0) {
    c.response_pending_interval = milliseconds(m.response_pending_interval_ms());
  }
  for (uint32_t sid : m.response_pending_services()) {
    if (auto s = CheckByte(p + "response_pending_services", sid); !s.ok()) return s;
    c.response_pending_services.insert(static_cast<uint8_t>(sid));
  }
  if (m.response_delay_ms() > 60000) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%sresponse_delay_ms %d exceeds 60000", p, m.response_delay_ms()));
  }
  c.response_delay = milliseconds(m.response_delay_ms());
  return absl::OkStatus();
}

absl::Status SessionsFromProto(const v1::UdsModel& m, const std::string& p, doip::UdsConfig& c) {
  if (m.p2_server_max_ms() != 0) {
    if (auto s = CheckU16(p + "p2_server_max_ms", m.p2_server_max_ms()); !s.ok()) return s;
    c.p2_server_max_ms = static_cast<uint16_t>(m.p2_server_max_ms());
  }
  if (m.p2_star_server_max_ms() != 0) {
    if (m.p2_star_server_max_ms() > 655350) {
      return absl::InvalidArgumentError(absl::StrFormat("%sp2_star_server_max_ms %d exceeds 655350",
                                                        p, m.p2_star_server_max_ms()));
    }
    c.p2_star_server_max_ms = m.p2_star_server_max_ms();
  }
  if (m.sessions_size() > 0) {
    c.sessions.clear();
    for (uint32_t s : m.sessions()) {
      if (s == 0 || s > 0x7F) {
        return absl::InvalidArgumentError(absl::StrFormat("%ssessions %d must be 1..0x7F", p, s));
      }
      c.sessions.insert(static_cast<uint8_t>(s));
    }
  }
  if (m.service_sessions_size() > 0) {
    c.service_sessions.clear();
    for (int i = 0; i < m.service_sessions_size(); ++i) {
      const auto& ss = m.service_sessions(i);
      const std::string f = absl::StrFormat("%sservice_sessions[%d]", p, i);
      if (auto s = CheckByte(f + ".service_id", ss.service_id()); !s.ok()) return s;
      auto& set = c.service_sessions[static_cast<uint8_t>(ss.service_id())];
      for (uint32_t s : ss.sessions()) {
        if (auto st = CheckByte(f + ".sessions", s); !st.ok()) return st;
        set.insert(static_cast<uint8_t>(s));
      }
    }
  }
  c.programming_requires_extended = !m.programming_from_default();
  if (m.reset_duration_ms() != 0) c.reset_duration = milliseconds(m.reset_duration_ms());
  if (m.s3_ms() != 0) c.s3 = milliseconds(m.s3_ms());
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<doip::UdsConfig> UdsConfigFromProto(const v1::UdsModel& m, const std::string& path) {
  doip::UdsConfig c;
  const std::string p = path.empty() ? "" : path + ".";
  if (auto s = DidsFromProto(m, p, c); !s.ok()) return s;
  if (auto s = SecurityFromProto(m.security(), p + "security.", c); !s.ok()) return s;
  if (auto s = ResponsesFromProto(m, p, c); !s.ok()) return s;
  if (auto s = SessionsFromProto(m, p, c); !s.ok()) return s;
  if (auto s = doip::ValidateUdsConfig(c); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(p, s.message()));
  }
  return c;
}

namespace {

absl::Status IdentityFromProto(const v1::DoipEntity& e, const std::string& p,
                               doip::EntityConfig& c) {
  if (e.logical_address() == 0) return Invalid(p, "logical_address is required");
  if (auto s = CheckU16(p + "logical_address", e.logical_address()); !s.ok()) return s;
  c.logical_address = static_cast<uint16_t>(e.logical_address());
  const std::string vin = e.vin().empty() ? "ECUSIM00000000001" : e.vin();
  absl::StatusOr<doip::Vin> v = doip::VinFromString(vin);
  if (!v.ok()) return Invalid(p, std::string(v.status().message()));
  c.vin = *v;
  if (e.eid().empty()) {
    c.eid = {0x02,
             0x00,
             0x00,
             0x00,
             static_cast<uint8_t>(c.logical_address >> 8),
             static_cast<uint8_t>(c.logical_address)};
  } else if (auto s = FixedBytes(p + "eid", e.eid(), c.eid); !s.ok()) {
    return s;
  }
  if (!e.gid().empty()) {
    if (auto s = FixedBytes(p + "gid", e.gid(), c.gid); !s.ok()) return s;
  }
  if (auto s = CheckByte(p + "further_action", e.further_action()); !s.ok()) return s;
  c.further_action = static_cast<uint8_t>(e.further_action());
  if (auto s = CheckByte(p + "sync_status", e.sync_status()); !s.ok()) return s;
  c.sync_status = e.announcement_without_sync_status()
                      ? std::nullopt
                      : std::optional<uint8_t>(static_cast<uint8_t>(e.sync_status()));
  if (e.protocol_version() != 0) c.protocol_version = static_cast<uint8_t>(e.protocol_version());
  if (e.protocol_version() > 0xFF) return Invalid(p, "protocol_version exceeds 0xFF");
  return absl::OkStatus();
}

absl::Status RoutingFromProto(const v1::DoipEntity& e, const std::string& p,
                              doip::EntityConfig& c) {
  if (e.tester_ranges_size() > 0) {
    c.tester_ranges.clear();
    for (int i = 0; i < e.tester_ranges_size(); ++i) {
      const auto& r = e.tester_ranges(i);
      const std::string f = absl::StrFormat("%stester_ranges[%d]", p, i);
      if (auto s = CheckU16(f + ".first", r.first()); !s.ok()) return s;
      if (auto s = CheckU16(f + ".last", r.last()); !s.ok()) return s;
      c.tester_ranges.emplace_back(static_cast<uint16_t>(r.first()),
                                   static_cast<uint16_t>(r.last()));
    }
  }
  if (e.activation_types_size() > 0) {
    c.activation_types.clear();
    for (uint32_t t : e.activation_types()) {
      if (auto s = CheckByte(p + "activation_types", t); !s.ok()) return s;
      c.activation_types.insert(static_cast<uint8_t>(t));
    }
  }
  if (e.has_central_security_activation_type()) {
    if (auto s =
            CheckByte(p + "central_security_activation_type", e.central_security_activation_type());
        !s.ok()) {
      return s;
    }
    c.central_security_type = static_cast<uint8_t>(e.central_security_activation_type());
  }
  if (e.has_authentication_oem()) c.authentication_oem = e.authentication_oem();
  switch (e.confirmation()) {
    case v1::ROUTING_CONFIRMATION_NONE:
      c.confirmation = doip::Confirmation::kNone;
      break;
    case v1::ROUTING_CONFIRMATION_REQUIRED:
      c.confirmation = doip::Confirmation::kRequired;
      break;
    case v1::ROUTING_CONFIRMATION_REJECTED:
      c.confirmation = doip::Confirmation::kRejected;
      break;
    default:
      return Invalid(p, absl::StrFormat("confirmation %d is unknown", e.confirmation()));
  }
  switch (e.tls_mode()) {
    case v1::TLS_MODE_UNSPECIFIED:
      c.tls_mode = e.tls() ? doip::TlsMode::kOptional : doip::TlsMode::kDisabled;
      break;
    case v1::TLS_MODE_DISABLED:
      c.tls_mode = doip::TlsMode::kDisabled;
      break;
    case v1::TLS_MODE_OPTIONAL:
      c.tls_mode = doip::TlsMode::kOptional;
      break;
    case v1::TLS_MODE_MANDATORY:
      c.tls_mode = doip::TlsMode::kMandatory;
      break;
    default:
      return Invalid(p, absl::StrFormat("tls_mode %d is unknown", e.tls_mode()));
  }
  c.tls_cert_file = e.tls_cert_file();
  c.tls_key_file = e.tls_key_file();
  if (c.tls_cert_file.empty() != c.tls_key_file.empty()) {
    return Invalid(p, "tls_cert_file and tls_key_file must be given together");
  }
  return absl::OkStatus();
}

absl::Status LimitsFromProto(const v1::DoipEntity& e, const std::string& p, doip::EntityConfig& c) {
  for (auto [name, v] : {std::pair{"tcp_port", e.tcp_port()}, std::pair{"udp_port", e.udp_port()},
                         std::pair{"tls_port", e.tls_port()},
                         std::pair{"functional_address", e.functional_address()}}) {
    if (auto s = CheckU16(p + name, v); !s.ok()) return s;
  }
  if (e.tcp_port() != 0) c.tcp_port = static_cast<uint16_t>(e.tcp_port());
  if (e.udp_port() != 0) c.udp_port = static_cast<uint16_t>(e.udp_port());
  if (e.tls_port() != 0) c.tls_port = static_cast<uint16_t>(e.tls_port());
  if (e.functional_address() != 0) {
    c.functional_address = static_cast<uint16_t>(e.functional_address());
  }
  if (e.max_diagnostic_size() != 0) {
    if (e.max_diagnostic_size() > (64u << 20)) {
      return Invalid(
          p, absl::StrFormat("max_diagnostic_size %d exceeds 64 MiB", e.max_diagnostic_size()));
    }
    c.max_data_size = e.max_diagnostic_size();
  }
  if (e.max_sockets() != 0) {
    if (auto s = CheckU16(p + "max_sockets", e.max_sockets()); !s.ok()) return s;
    c.max_sockets = e.max_sockets();
  }
  if (e.max_connections() != 0) c.max_connections = e.max_connections();
  if (e.initial_inactivity_ms() != 0)
    c.initial_inactivity = milliseconds(e.initial_inactivity_ms());
  if (e.general_inactivity_ms() != 0)
    c.general_inactivity = milliseconds(e.general_inactivity_ms());
  if (e.alive_check_timeout_ms() != 0) {
    c.alive_check_timeout = milliseconds(e.alive_check_timeout_ms());
  }
  if (e.has_power_mode()) {
    if (e.power_mode() > 2) {
      return Invalid(p, absl::StrFormat("power_mode %d must be 0, 1 or 2", e.power_mode()));
    }
    c.power_mode = static_cast<uint8_t>(e.power_mode());
  }
  if (e.has_announcement_count()) {
    if (e.announcement_count() > 10000) {
      return Invalid(
          p, absl::StrFormat("announcement_count %d exceeds 10000", e.announcement_count()));
    }
    c.announcement_count = e.announcement_count();
  }
  if (e.announcement_interval_ms() != 0) {
    c.announcement_interval = milliseconds(e.announcement_interval_ms());
  }
  if (e.has_announcement_wait_ms())
    c.announcement_wait_max = milliseconds(e.announcement_wait_ms());
  c.periodic_announcement = milliseconds(e.periodic_announcement_ms());
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<doip::EntityConfig> EntityConfigFromProto(const v1::DoipEntity& e,
                                                         const std::string& path) {
  doip::EntityConfig c;
  const std::string p = path.empty() ? "" : path + ".";
  if (auto s = IdentityFromProto(e, p, c); !s.ok()) return s;
  if (auto s = RoutingFromProto(e, p, c); !s.ok()) return s;
  if (auto s = LimitsFromProto(e, p, c); !s.ok()) return s;
  absl::StatusOr<doip::UdsConfig> uds = UdsConfigFromProto(e.uds(), p + "uds");
  if (!uds.ok()) return uds.status();
  c.uds = *uds;
  for (int i = 0; i < e.ecus_size(); ++i) {
    const auto& le = e.ecus(i);
    const std::string f = absl::StrFormat("%secus[%d]", p, i);
    doip::LogicalEcuConfig lc;
    if (auto s = CheckU16(f + ".logical_address", le.logical_address()); !s.ok()) return s;
    lc.address = static_cast<uint16_t>(le.logical_address());
    absl::StatusOr<doip::UdsConfig> m = UdsConfigFromProto(le.uds(), f + ".uds");
    if (!m.ok()) return m.status();
    lc.uds = *m;
    lc.max_request_size = le.max_request_size();
    lc.reachable = !le.unreachable();
    if (le.max_outstanding() != 0) lc.max_outstanding = le.max_outstanding();
    c.ecus.push_back(std::move(lc));
  }
  if (auto s = doip::NormalizeEntityConfig(c); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(p, s.message()));
  }
  return c;
}

v1::DoipEntity EntityConfigToProto(const v1::DoipEntity& requested, const doip::EntityConfig& c) {
  v1::DoipEntity out = requested;
  out.set_vin(doip::VinToString(c.vin));
  out.set_eid(std::string(c.eid.begin(), c.eid.end()));
  out.set_gid(std::string(c.gid.begin(), c.gid.end()));
  out.set_protocol_version(c.protocol_version);
  out.set_functional_address(c.functional_address);
  out.set_max_diagnostic_size(c.max_data_size);
  out.set_max_sockets(c.max_sockets);
  out.set_tcp_port(c.tcp_port);
  out.set_udp_port(c.udp_port);
  out.set_tls_port(c.tls_port);
  out.set_announcement_count(c.announcement_count);
  out.set_announcement_interval_ms(static_cast<uint32_t>(
      std::chrono::duration_cast<milliseconds>(c.announcement_interval).count()));
  out.set_initial_inactivity_ms(static_cast<uint32_t>(
      std::chrono::duration_cast<milliseconds>(c.initial_inactivity).count()));
  out.set_general_inactivity_ms(static_cast<uint32_t>(
      std::chrono::duration_cast<milliseconds>(c.general_inactivity).count()));
  out.set_alive_check_timeout_ms(static_cast<uint32_t>(
      std::chrono::duration_cast<milliseconds>(c.alive_check_timeout).count()));
  if (out.tester_ranges_size() == 0) {
    for (const auto& [first, last] : c.tester_ranges) {
      auto* r = out.add_tester_ranges();
      r->set_first(first);
      r->set_last(last);
    }
  }
  if (out.activation_types_size() == 0) {
    for (uint8_t t : c.activation_types) out.add_activation_types(t);
  }
  return out;
}

}  // namespace ecusim::server
