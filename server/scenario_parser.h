// Scenario files: YAML or JSON, in the protobuf JSON mapping of ecusim.v1.Scenario (field
// names as in the .proto or in lowerCamelCase, enums by name or number, 64-bit integers as
// numbers or strings). Two conveniences on top of the mapping: integers may be written in hex
// ("0x1234"), and bytes may be written as "hex:0a0b" instead of base64.
#ifndef ECUSIM_SERVER_SCENARIO_PARSER_H_
#define ECUSIM_SERVER_SCENARIO_PARSER_H_

#include <google/protobuf/message.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ecusim/v1/ecu.pb.h"

namespace ecusim::server {

// Fills `message` from YAML/JSON text. Errors are INVALID_ARGUMENT and read
// "<source>:<line>:<column>: <field path>: <what is wrong>", e.g.
// "vehicle.yaml:4:7: ecus[0].ecu.adress: unknown field (ecusim.v1.Ecu has no such field)".
absl::Status ParseYamlToMessage(absl::string_view text, absl::string_view source,
                                google::protobuf::Message& message);

absl::StatusOr<v1::Scenario> ParseScenario(absl::string_view text, absl::string_view source);
// NOT_FOUND when the file cannot be read.
absl::StatusOr<v1::Scenario> LoadScenarioFile(const std::string& path);

}  // namespace ecusim::server

#endif  // ECUSIM_SERVER_SCENARIO_PARSER_H_
