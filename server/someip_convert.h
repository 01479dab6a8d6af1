// ecusim.v1 SOME/IP messages <-> the data plane's configuration (sim/someip), with the
// validation that needs the proto's field names.
#ifndef ECUSIM_SERVER_SOMEIP_CONVERT_H_
#define ECUSIM_SERVER_SOMEIP_CONVERT_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ecusim/v1/someip.pb.h"
#include "sim/someip/event_generator.h"
#include "sim/someip/instance_config.h"
#include "sim/someip/service_instance.h"

namespace ecusim::server {

// The SD group and port an instance asks for (defaults applied).
struct SdEndpointChoice {
  asio::ip::address group;
  uint16_t port = 0;
};

// INVALID_ARGUMENT naming "<path>.<field>" and the value. `path` is e.g. "instance" or
// "ecus[1].someip_offers[0]".
absl::StatusOr<someip::InstanceConfig> InstanceFromProto(const v1::ServiceInstance& p,
                                                         absl::string_view path);
absl::StatusOr<SdEndpointChoice> SdEndpointFromProto(const v1::ServiceInstance& p,
                                                     absl::string_view path);
absl::StatusOr<someip::GeneratorConfig> GeneratorFromProto(const v1::EventGenerator& p);
absl::StatusOr<someip::MethodBehavior> BehaviorFromProto(const v1::MethodBehavior& p,
                                                         absl::string_view path);
absl::StatusOr<someip::FaultConfig> FaultsFromProto(const v1::FaultInjection& p,
                                                    absl::string_view path);
// A uint32 id field that must fit 16 bits: INVALID_ARGUMENT "<field> 0x12345 ...".
absl::StatusOr<uint16_t> Id16(absl::string_view field, uint32_t value);

std::string InstanceName(absl::string_view ecu_id, uint16_t service, uint16_t instance);

}  // namespace ecusim::server

#endif  // ECUSIM_SERVER_SOMEIP_CONVERT_H_
