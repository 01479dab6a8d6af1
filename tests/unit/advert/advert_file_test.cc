#include "sim/advert/advert_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "sim/advert/advert_root.h"

namespace ecusim::advert {
namespace {

using ::testing::HasSubstr;

AdvertRecord Sample() {
  AdvertRecord r;
  r.service_name = "Bpod1";
  r.service_type = "bpod";
  r.address = "tcp://127.0.0.1:5555";
  r.pid = 42;
  r.uuid = *Uuid::Parse("12345678-1234-5678-1234-567812345678");
  r.properties = {{"a", "1"}, {"n", std::nullopt}};
  return r;
}

TEST(SanitizeServiceType, MatchesBpodCore) {
  // bpod-core test_service_type_sanitization.
  EXPECT_EQ(SanitizeServiceType("service_type.local"), "service_type_local");
  EXPECT_EQ(SanitizeServiceType("bpod"), "bpod");
  EXPECT_EQ(SanitizeServiceType("Bpod_3"), "Bpod_3");  // no lowercasing
  EXPECT_EQ(SanitizeServiceType("_tcp.local."), "_tcp_local_");
  EXPECT_EQ(SanitizeServiceType("a-b c/d"), "a_b_c_d");
  EXPECT_EQ(SanitizeServiceType("../etc"), "___etc");
  // re.sub works on code points: one '_' per character, not per UTF-8 byte.
  EXPECT_EQ(SanitizeServiceType("caf\xc3\xa9"), "caf_");
  EXPECT_EQ(SanitizeServiceType("\xe2\x82\xac"
                                "x"),
            "_x");
  EXPECT_EQ(SanitizeServiceType("\xff"
                                "a"),
            "_a");  // invalid byte: one each
  EXPECT_EQ(SanitizeServiceType(""), "");
}

TEST(Uuid, HyphenatedAndHexAsPython) {
  auto u = Uuid::Parse("12345678-1234-5678-1234-567812345678");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->Hyphenated(), "12345678-1234-5678-1234-567812345678");
  EXPECT_EQ(u->Hex(), "12345678123456781234567812345678");
  EXPECT_EQ(*Uuid::Parse("12345678123456781234567812345678"), *u);
  EXPECT_EQ(*Uuid::Parse("{12345678-1234-5678-1234-567812345678}"), *u);
  EXPECT_EQ(*Uuid::Parse("urn:uuid:12345678-1234-5678-1234-567812345678"), *u);
  EXPECT_EQ(*Uuid::Parse("12345678-1234-5678-1234-56781234567A"),
            *Uuid::Parse("12345678-1234-5678-1234-56781234567a"));
  EXPECT_FALSE(Uuid::Parse("").ok());
  EXPECT_FALSE(Uuid::Parse("1234").ok());
  EXPECT_FALSE(Uuid::Parse("1234567-81234-5678-1234-567812345678").ok());
  EXPECT_FALSE(Uuid::Parse("g2345678-1234-5678-1234-567812345678").ok());
}

TEST(Uuid, RandomIsVersion4AndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    Uuid u = Uuid::Random();
    EXPECT_EQ(u.bytes[6] >> 4, 4);
    EXPECT_EQ(u.bytes[8] & 0xC0, 0x80);
    seen.insert(u.Hex());
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(EncodeAdvertFile, ExactlyWhatMsgspecWrites) {
  EXPECT_EQ(EncodeAdvertFile(Sample()),
            R"({"service_name":"Bpod1","service_type":"bpod","address":"tcp://127.0.0.1:5555",)"
            R"("pid":42,"uuid":"12345678-1234-5678-1234-567812345678",)"
            R"("properties":{"a":"1","n":null}})");
  AdvertRecord r = Sample();
  r.properties.clear();
  r.service_name = "caf\xc3\xa9 \"q\"";
  EXPECT_THAT(EncodeAdvertFile(r), HasSubstr(R"("service_name":"caf)"
                                             "\xc3\xa9"
                                             R"( \"q\"")"));
  EXPECT_THAT(EncodeAdvertFile(r), HasSubstr(R"("properties":{}})"));
}

TEST(ParseAdvertFile, RoundTrip) {
  auto parsed = ParseAdvertFile(EncodeAdvertFile(Sample()));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->service_name, "Bpod1");
  EXPECT_EQ(parsed->service_type, "bpod");
  EXPECT_EQ(parsed->address, "tcp://127.0.0.1:5555");
  EXPECT_EQ(parsed->pid, 42);
  EXPECT_EQ(parsed->uuid.Hyphenated(), "12345678-1234-5678-1234-567812345678");
  EXPECT_EQ(parsed->properties, Sample().properties);
}

TEST(ParseAdvertFile, AcceptsWhatMsgspecAccepts) {
  // Whitespace, other key order, unknown keys and a hex uuid are fine for msgspec.
  auto parsed = ParseAdvertFile(R"({ "properties": {}, "uuid": "12345678123456781234567812345678",
      "pid": 7, "address": "ipc://@REQ_REP_x", "extra": [1, 2], "service_type": "t",
      "service_name": "n" })");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->pid, 7);
}

TEST(ParseAdvertFile, NamesWhatIsWrong) {
  struct Case {
    const char* content;
    const char* error;
  };
  const std::string good = EncodeAdvertFile(Sample());
  const Case cases[] = {
      {"", "not JSON"},
      {"{\"service_name\":", "not JSON"},
      {"[1,2]", "not a JSON object"},
      {R"({"service_type":"t","address":"a:b","pid":1,"uuid":"12345678123456781234567812345678","properties":{}})",
       "'service_name' missing"},
      {R"({"service_name":1,"service_type":"t","address":"a:b","pid":1,"uuid":"12345678123456781234567812345678","properties":{}})",
       "'service_name' is not a string"},
      {R"({"service_name":"n","service_type":"t","address":"a:b","pid":1.5,"uuid":"12345678123456781234567812345678","properties":{}})",
       "'pid' is not an integer"},
      {R"({"service_name":"n","service_type":"t","address":"a:b","pid":true,"uuid":"12345678123456781234567812345678","properties":{}})",
       "'pid' is not an integer"},
      {R"({"service_name":"n","service_type":"t","address":"a:b","pid":99999999999,"uuid":"12345678123456781234567812345678","properties":{}})",
       "out of range"},
      {R"({"service_name":"n","service_type":"t","address":"a:b","pid":1,"uuid":"nope","properties":{}})",
       "not a UUID"},
      {R"({"service_name":"n","service_type":"t","address":"a:b","pid":1,"uuid":"12345678123456781234567812345678"})",
       "'properties' missing"},
      {R"({"service_name":"n","service_type":"t","address":"a:b","pid":1,"uuid":"12345678123456781234567812345678","properties":{"k":1}})",
       "neither a string nor null"},
      {"{\"service_name\":\"\xff\"}", "not JSON"},  // msgspec rejects invalid UTF-8 too
  };
  for (const Case& c : cases) {
    auto parsed = ParseAdvertFile(c.content);
    ASSERT_FALSE(parsed.ok()) << c.content;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(parsed.status().message()), HasSubstr(c.error)) << c.content;
  }
  EXPECT_FALSE(ParseAdvertFile(good.substr(0, good.size() - 1)).ok());
}

TEST(MatchesProperties, SubsetWithNoneRule) {
  const Properties ad = {{"a", "1"}, {"b", "2"}, {"n", std::nullopt}};
  EXPECT_TRUE(MatchesProperties(ad, {}));
  EXPECT_TRUE(MatchesProperties(ad, {{"a", "1"}}));
  EXPECT_TRUE(MatchesProperties(ad, {{"a", "1"}, {"b", "2"}}));
  EXPECT_FALSE(MatchesProperties(ad, {{"a", "2"}}));
  EXPECT_FALSE(MatchesProperties(ad, {{"a", "1"}, {"c", "3"}}));
  // properties.get(k) == v: a None filter value matches a null value and a missing key...
  EXPECT_TRUE(MatchesProperties(ad, {{"n", std::nullopt}}));
  EXPECT_TRUE(MatchesProperties(ad, {{"missing", std::nullopt}}));
  // ...but not a present string, and a string never matches null.
  EXPECT_FALSE(MatchesProperties(ad, {{"a", std::nullopt}}));
  EXPECT_FALSE(MatchesProperties(ad, {{"n", ""}}));
  EXPECT_FALSE(MatchesProperties({}, {{"a", "1"}}));
}

TEST(ValidateRecord, NamesTheField) {
  auto expect_invalid = [](const AdvertRecord& r, const char* field) {
    absl::Status s = ValidateRecord(r);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << field;
    EXPECT_THAT(std::string(s.message()), HasSubstr(field));
  };
  EXPECT_TRUE(ValidateRecord(Sample()).ok());
  AdvertRecord r = Sample();
  r.service_name = "";
  expect_invalid(r, "service_name");
  r = Sample();
  r.service_type = "";
  expect_invalid(r, "service_type");
  r.service_type = "...";
  expect_invalid(r, "service_type");
  r.service_type = "\xc3\xa9";
  expect_invalid(r, "sanitizes to \"_\"");
  r = Sample();
  for (const char* bad :
       {"", "127.0.0.1:5555", "no scheme", "tcp:", ":x", "tcp://a b", "1tcp://x"}) {
    r.address = bad;
    expect_invalid(r, "address");
  }
  for (const char* good :
       {"grpc://127.0.0.1:50051", "ipc://@REQ_REP_ab", "someip+udp://h:1", "urn:x"}) {
    r.address = good;
    EXPECT_TRUE(ValidateRecord(r).ok()) << good;
  }
  r = Sample();
  r.properties.clear();
  for (int i = 0; i < 65; ++i) r.properties["k" + std::to_string(i)] = "v";
  expect_invalid(r, "properties");
  EXPECT_THAT(std::string(ValidateRecord(r).message()), HasSubstr("65 entries"));
  r.properties.clear();
  r.properties["big"] = std::string(4096, 'x');
  expect_invalid(r, "properties");
  r.properties["big"] = std::string(4093, 'x');
  EXPECT_TRUE(ValidateRecord(r).ok());
}

TEST(ResolveAdvertRoot, FollowsPlatformdirs) {
  std::map<std::string, std::string> vars;
  bool run_user_writable = true;
  RootEnvironment env;
  env.uid = 1000;
  env.getenv = [&vars](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
  env.writable = [&run_user_writable](const std::string& p) {
    return p == "/run/user/1000" && run_user_writable;
  };
  EXPECT_EQ(ResolveAdvertRoot("/srv/ads", env).path, "/srv/ads");
  EXPECT_EQ(ResolveAdvertRoot("/srv/ads", env).source, "--advert_dir");
  vars["XDG_RUNTIME_DIR"] = "/xdg";
  EXPECT_EQ(ResolveAdvertRoot("", env).path, "/xdg/LocalServiceAdvertisements");
  EXPECT_EQ(ResolveAdvertRoot("", env).source, "XDG_RUNTIME_DIR");
  vars["XDG_RUNTIME_DIR"] = "  ";  // blank counts as unset
  EXPECT_EQ(ResolveAdvertRoot("", env).path, "/run/user/1000/LocalServiceAdvertisements");
  run_user_writable = false;
  EXPECT_EQ(ResolveAdvertRoot("", env).path, "/tmp/runtime-1000/LocalServiceAdvertisements");
  EXPECT_EQ(ResolveAdvertRoot("", env).source, "temp dir");
  vars["TMPDIR"] = "/scratch";
  EXPECT_EQ(ResolveAdvertRoot("", env).path, "/scratch/runtime-1000/LocalServiceAdvertisements");
}

}  // namespace
}  // namespace ecusim::advert
