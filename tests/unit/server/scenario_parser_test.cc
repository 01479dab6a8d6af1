#include "server/scenario_parser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

namespace ecusim::server {
namespace {

using testing::HasSubstr;

TEST(ScenarioParserTest, YamlWithNestedMessagesListsAndMaps) {
  auto s = ParseScenario(R"(
name: test-car
ecus:
  - ecu:
      id: brake
      address: 127.0.0.2
      labels: {zone: front, asil: "B"}
  - ecu: {id: gw, address: "::1"}
)",
                         "t.yaml");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->name(), "test-car");
  ASSERT_EQ(s->ecus_size(), 2);
  EXPECT_EQ(s->ecus(0).ecu().id(), "brake");
  EXPECT_EQ(s->ecus(0).ecu().labels().at("asil"), "B");
  EXPECT_EQ(s->ecus(1).ecu().address(), "::1");
}

TEST(ScenarioParserTest, JsonWorksAndCamelCaseNamesAreAccepted) {
  auto s = ParseScenario(
      R"({"ecus": [{"ecu": {"id": "brake", "address": "127.0.0.2"},
                    "someipOffers": [{"instanceId": 1, "endpointPort": 30509}]}]})",
      "t.json");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->ecus(0).someip_offers(0).instance_id(), 1u);
  EXPECT_EQ(s->ecus(0).someip_offers(0).endpoint_port(), 30509u);
}

TEST(ScenarioParserTest, HexIntegersEnumsAndBytes) {
  v1::ServiceInstance si;
  ASSERT_TRUE(ParseYamlToMessage(R"(
service:
  id: 0x1234
  major_version: 1
  fields: [{notifier_id: 0x8001, value: "hex:0102ff"}, {value: "AAE="}]
instance_id: 0X0001
)",
                                 "t.yaml", si)
                  .ok());
  EXPECT_EQ(si.service().id(), 0x1234u);
  EXPECT_EQ(si.instance_id(), 1u);
  EXPECT_EQ(si.service().fields(0).value(), std::string("\x01\x02\xff", 3));
  EXPECT_EQ(si.service().fields(1).value(), std::string("\x00\x01", 2));
  v1::EventGenerator gen;
  ASSERT_TRUE(ParseYamlToMessage("policy: CYCLIC", "t", gen).ok());
  EXPECT_EQ(gen.policy(), v1::EventGenerator::CYCLIC);
  ASSERT_TRUE(ParseYamlToMessage("policy: 2", "t", gen).ok());
  EXPECT_EQ(gen.policy(), v1::EventGenerator::ON_CHANGE);
}

struct BadCase {
  const char* text;
  const char* expect;
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.expect; }

class ScenarioParserBadInputTest : public testing::TestWithParam<BadCase> {};

TEST_P(ScenarioParserBadInputTest, NamesFileLineFieldAndProblem) {
  auto s = ParseScenario(GetParam().text, "vehicle.yaml");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.status().message()), HasSubstr(GetParam().expect));
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("vehicle.yaml:"));
}

INSTANTIATE_TEST_SUITE_P(
    All, ScenarioParserBadInputTest,
    testing::Values(
        BadCase{"ecus:\n  - ecu:\n      adress: 1.2.3.4\n",
                "vehicle.yaml:3:7: ecus[0].ecu.adress: unknown field (ecusim.v1.Ecu has no such"},
        BadCase{"nmae: x\n", "nmae: unknown field (ecusim.v1.Scenario"},
        BadCase{"ecus: {ecu: 1}\n", "ecus: expected a list"},
        BadCase{"ecus:\n  - ecu: [1, 2]\n", "ecus[0].ecu: expected a mapping for ecusim.v1.Ecu"},
        BadCase{"ecus:\n  - someip_offers: [{instance_id: -1}]\n",
                "ecus[0].someip_offers[0].instance_id: \"-1\" is not an integer in the range of "
                "uint32"},
        BadCase{"ecus:\n  - someip_offers: [{instance_id: 4294967296}]\n", "uint32"},
        BadCase{"ecus:\n  - someip_offers: [{instance_id: twelve}]\n", "\"twelve\""},
        BadCase{"ecus:\n  - someip_offers: [{faults: {nack_subscriptions: maybe}}]\n",
                "\"maybe\" is not true or false"},
        BadCase{"ecus:\n  - someip_offers: [{faults: {drop_notifications_percent: lots}}]\n",
                "\"lots\" is not a number"},
        BadCase{"ecus:\n  - someip_offers: [{service: {fields: [{value: \"hex:0\"}]}}]\n",
                "\"hex:0\" is not base64 or hex:"},
        BadCase{"ecus:\n  - ecu: {id: {a: 1}}\n", "ecus[0].ecu.id: expected a single value"},
        BadCase{"ecus: [\n", "not YAML or JSON"},
        BadCase{"{\"ecus\": [{\"ecu\": {\"id\": \"x\",}}]", "not YAML or JSON"},
        BadCase{"- 1\n- 2\n", "expected a mapping for ecusim.v1.Scenario"}));

TEST(ScenarioParserTest, EmptyDocumentIsAnEmptyScenario) {
  auto s = ParseScenario("", "empty.yaml");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->ecus_size(), 0);
}

TEST(ScenarioParserTest, MissingFileIsNotFoundNamingThePath) {
  auto s = LoadScenarioFile("/nonexistent/vehicle.yaml");
  EXPECT_EQ(s.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("/nonexistent/vehicle.yaml"));
}

TEST(ScenarioParserTest, FileIsReadAndErrorsNameIt) {
  const std::string path = testing::TempDir() + "/bad_vehicle.yaml";
  std::ofstream(path) << "ecus:\n  - ecu: {id: a, port: 1}\n";
  auto s = LoadScenarioFile(path);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.status().message()), HasSubstr(path + ":2:"));
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("ecus[0].ecu.port"));
}

}  // namespace
}  // namespace ecusim::server
