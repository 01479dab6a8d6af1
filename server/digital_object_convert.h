// ecusim.v1 digital object messages <-> the DOIP v2 data plane (sim/digital_object).
#ifndef ECUSIM_SERVER_DIGITAL_OBJECT_CONVERT_H_
#define ECUSIM_SERVER_DIGITAL_OBJECT_CONVERT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ecusim/v1/digital_object.pb.h"
#include "sim/digital_object/endpoint.h"

namespace ecusim::server {

// INVALID_ARGUMENT naming "<path>.<field>" and the value.
absl::StatusOr<digital_object::DigitalObject> ObjectFromProto(const v1::DigitalObject& proto,
                                                              absl::string_view path);
v1::DigitalObject ObjectToProto(const digital_object::DigitalObject& object, bool with_data);

absl::StatusOr<digital_object::EndpointConfig> EndpointConfigFromProto(
    const v1::DigitalObjectEndpoint& proto, absl::string_view path);

v1::EndpointStatus EndpointStatusToProto(const digital_object::EndpointInfo& info);

}  // namespace ecusim::server

#endif  // ECUSIM_SERVER_DIGITAL_OBJECT_CONVERT_H_
