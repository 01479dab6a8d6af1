#include "sim/someip/instance_config.h"

#include <set>

#include "absl/strings/str_format.h"
#include "sim/someip/sd_message.h"

namespace ecusim::someip {
namespace {

absl::Status Invalid(const std::string& s) { return absl::InvalidArgumentError(s); }

absl::Status ValidateMembers(const ServiceConfig& s) {
  std::set<uint16_t> events, methods, groups;
  for (const auto& e : s.events) {
    if (e.id < 0x8000 || e.id == 0xFFFF) {
      return Invalid(absl::StrFormat("event id 0x%04X is outside 0x8000-0xFFFE", e.id));
    }
    if (!events.insert(e.id).second) {
      return Invalid(absl::StrFormat("event id 0x%04X is listed twice", e.id));
    }
  }
  for (const auto& m : s.methods) {
    if (m.id == 0 || m.id >= 0x7FFF) {
      return Invalid(absl::StrFormat("method id 0x%04X is outside 0x0001-0x7FFE", m.id));
    }
    if (!methods.insert(m.id).second) {
      return Invalid(absl::StrFormat("method id 0x%04X is listed twice", m.id));
    }
  }
  for (size_t i = 0; i < s.fields.size(); ++i) {
    const FieldConfig& f = s.fields[i];
    if (f.getter_id == 0 && f.setter_id == 0 && f.notifier_id == 0) {
      return Invalid(absl::StrFormat(
          "field %d has no getter, setter or notifier (feat_req_someip_631 needs one)", i));
    }
    for (uint16_t m : {f.getter_id, f.setter_id}) {
      if (m == 0) continue;
      if (m >= 0x7FFF) {
        return Invalid(
            absl::StrFormat("field getter/setter id 0x%04X is outside 0x0001-0x7FFE", m));
      }
      if (!methods.insert(m).second) {
        return Invalid(absl::StrFormat("method id 0x%04X of field %d is already used", m, i));
      }
    }
    if (f.notifier_id != 0) {
      if (f.notifier_id < 0x8000 || f.notifier_id == 0xFFFF) {
        return Invalid(
            absl::StrFormat("field notifier id 0x%04X is outside 0x8000-0xFFFE", f.notifier_id));
      }
      if (!events.insert(f.notifier_id).second) {
        return Invalid(absl::StrFormat("notifier id 0x%04X of field %d is already an event",
                                       f.notifier_id, i));
      }
    }
  }
  for (const auto& g : s.eventgroups) {
    if (g.id == 0 || g.id == 0xFFFF) {
      return Invalid(absl::StrFormat("eventgroup id 0x%04X is reserved", g.id));
    }
    if (!groups.insert(g.id).second) {
      return Invalid(absl::StrFormat("eventgroup 0x%04X is listed twice", g.id));
    }
    for (uint16_t e : g.event_ids) {
      if (!events.count(e)) {
        return Invalid(absl::StrFormat(
            "eventgroup 0x%04X names event 0x%04X, which is neither an event nor a field "
            "notifier of service 0x%04X",
            g.id, e, s.id));
      }
    }
    if (g.multicast_address && (!g.multicast_address->is_multicast() || g.multicast_port == 0)) {
      return Invalid(
          absl::StrFormat("eventgroup 0x%04X multicast %s:%d is not a multicast "
                          "group and port",
                          g.id, g.multicast_address->to_string(), g.multicast_port));
    }
  }
  return absl::OkStatus();
}

}  // namespace

uint32_t InstanceConfig::EffectiveTtl() const {
  if (ttl_s != 0) return ttl_s;
  auto ms = std::chrono::duration_cast<milliseconds>(timing.cyclic_offer_delay).count();
  uint32_t ttl = static_cast<uint32_t>((3 * ms + 999) / 1000);
  return ttl == 0 ? 3 : ttl;
}

absl::Status ValidateInstanceConfig(const InstanceConfig& c) {
  const ServiceConfig& s = c.service;
  if (s.id == 0 || s.id == 0xFFFF || s.id == 0xFFFE) {
    return Invalid(absl::StrFormat("service id 0x%04X is reserved (use 0x0001-0xFFFD)", s.id));
  }
  if (s.major_version == 0xFF) {
    return Invalid("major_version 255 is reserved (it means any version in FindService)");
  }
  if (s.minor_version == 0xFFFFFFFF) {
    return Invalid("minor_version 0xFFFFFFFF is reserved (it means any version)");
  }
  if (c.instance_id == 0 || c.instance_id == 0xFFFF) {
    return Invalid(absl::StrFormat("instance_id 0x%04X is reserved", c.instance_id));
  }
  if (c.endpoint_port == 0) return Invalid("endpoint_port 0 is not a port");
  if (c.endpoint_port == kSdPort) {
    return Invalid("endpoint_port 30490 is the SD port and shall not carry service traffic");
  }
  if (c.ttl_s > kTtlInfinite) {
    return Invalid(absl::StrFormat("ttl_s %d exceeds 0xFFFFFF", c.ttl_s));
  }
  const SdTiming& t = c.timing;
  if (t.initial_delay_min > t.initial_delay_max) {
    return Invalid("sd_timing.initial_delay_min_ms is greater than initial_delay_max_ms");
  }
  if (t.request_response_delay_min > t.request_response_delay_max) {
    return Invalid(
        "sd_timing.request_response_delay_min_ms is greater than request_response_delay_max_ms");
  }
  if (t.repetitions_max > 10) {
    return Invalid(absl::StrFormat("sd_timing.repetitions_max %d is above 10", t.repetitions_max));
  }
  if (c.faults.drop_notifications_percent < 0 || c.faults.drop_notifications_percent > 100) {
    return Invalid(absl::StrFormat("faults.drop_notifications_percent %g is outside 0-100",
                                   c.faults.drop_notifications_percent));
  }
  if (c.tp_max_segment == 0 || c.tp_max_segment % 16 != 0 || c.tp_max_segment > 1392) {
    return Invalid(absl::StrFormat("TP segment size %d must be a multiple of 16, at most 1392",
                                   c.tp_max_segment));
  }
  return ValidateMembers(s);
}

}  // namespace ecusim::someip
