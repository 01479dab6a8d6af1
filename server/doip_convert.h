// DoIP control API <-> data plane: proto messages to sim/doip configuration, validated with
// errors that name the field path and the value.
#ifndef ECUSIM_SERVER_DOIP_CONVERT_H_
#define ECUSIM_SERVER_DOIP_CONVERT_H_

#include <string>

#include "absl/status/statusor.h"
#include "ecusim/v1/doip.pb.h"
#include "sim/doip/entity_config.h"

namespace ecusim::server {

// `path` prefixes field names in errors, e.g. "entity" or "ecus[0].doip".
absl::StatusOr<doip::EntityConfig> EntityConfigFromProto(const v1::DoipEntity& entity,
                                                         const std::string& path);
absl::StatusOr<doip::UdsConfig> UdsConfigFromProto(const v1::UdsModel& model,
                                                   const std::string& path);
// The entity as applied: the request with defaults filled in.
v1::DoipEntity EntityConfigToProto(const v1::DoipEntity& requested,
                                   const doip::EntityConfig& applied);

}  // namespace ecusim::server

#endif  // ECUSIM_SERVER_DOIP_CONVERT_H_
