// The DOIP v2 connection handler and operations, bytes in -> bytes out, as a client sees them.
#include "sim/digital_object/connection.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/digital_object/segment_format.h"

namespace ecusim::digital_object {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr std::string_view kService = "20.500.123/service";

// A decoded response: the first segment as JSON and the rest.
struct Reply {
  Json header;
  std::vector<Segment> rest;
  std::string status() const { return header.value("status", ""); }
  std::string message() const {
    return header.contains("attributes") ? header["attributes"].value("message", "") : "";
  }
};

std::vector<Reply> Replies(const std::string& bytes) {
  SegmentDecoder decoder;
  std::vector<DecodeEvent> events;
  EXPECT_TRUE(decoder.Feed(bytes, events).ok()) << bytes;
  EXPECT_EQ(decoder.ErrorAtEndOfInput(), FramingError::kNone) << bytes;
  std::vector<Reply> out;
  std::vector<Segment> segments;
  for (DecodeEvent& e : events) {
    if (e.type == DecodeEvent::Type::kSegment) {
      segments.push_back(std::move(e.segment));
      continue;
    }
    Reply r;
    EXPECT_FALSE(segments.empty());
    r.header = Json::parse(segments[0].data);
    r.rest.assign(segments.begin() + 1, segments.end());
    out.push_back(std::move(r));
    segments.clear();
  }
  return out;
}

// doip_sdk's client writes: json.dumps(data) + "\n#\n", then "#\n".
std::string Msg(const Json& first, const std::vector<Segment>& more = {}) {
  std::vector<Segment> all = {Segment{Segment::Type::kJson, first.dump()}};
  all.insert(all.end(), more.begin(), more.end());
  return EncodeMessage(all);
}

Segment JsonSeg(const Json& j) { return Segment{Segment::Type::kJson, j.dump()}; }
Segment BytesSeg(std::string s) { return Segment{Segment::Type::kBytes, std::move(s)}; }

class ConnectionTest : public ::testing::Test {
 protected:
  ConnectionTest() { Reset(); }

  void Reset(ProcessorConfig config = {}) {
    if (config.service.service_id.empty()) config.service.service_id = std::string(kService);
    config.service.ip_address = "127.0.0.11";
    config.service.port = 9000;
    processor_ = std::make_unique<Processor>(std::move(config), store_, 42);
    NewConnection();
  }
  void NewConnection() {
    conn_ = std::make_unique<Connection>(*processor_, ConnectionLimits{}, now_);
  }

  Reply Send(const std::string& bytes) {
    last_ = conn_->OnInput(now_, bytes);
    std::vector<Reply> replies = Replies(last_.bytes);
    EXPECT_EQ(replies.size(), 1u) << last_.bytes;
    return replies.empty() ? Reply{} : replies[0];
  }

  Reply CreateBrake() {
    Json create = {{"requestId", "1"},
                   {"targetId", kService},
                   {"operationId", kOpCreate},
                   {"authentication", {{"username", "u"}, {"password", "p"}}}};
    Json object = {{"id", "20.500.123/brake-1"},
                   {"type", "Document"},
                   {"attributes", {{"content", {{"name", "brake"}, {"pressure", 42}}}}},
                   {"elements", {{{"id", "file"}, {"type", "text/plain"}}}}};
    return Send(Msg(create, {JsonSeg(object), JsonSeg({{"id", "file"}}), BytesSeg("hello")}));
  }

  core::TimePoint now_ = core::TimePoint(std::chrono::seconds(100));
  ObjectStore store_;
  std::unique_ptr<Processor> processor_;
  std::unique_ptr<Connection> conn_;
  ConnectionOutput last_;
};

TEST_F(ConnectionTest, HelloWithoutTargetAnswersServiceInfoAsCordra) {
  Reply r = Send(Msg({{"operationId", kOpHello}}));
  EXPECT_EQ(r.status(), kStatusOk);
  EXPECT_FALSE(r.header.contains("requestId"));
  EXPECT_TRUE(r.rest.empty());
  const Json& out = r.header["output"];
  EXPECT_EQ(out["id"], kService);
  EXPECT_EQ(out["type"], "0.TYPE/DOIPService");
  EXPECT_EQ(out["attributes"]["ipAddress"], "127.0.0.11");
  EXPECT_EQ(out["attributes"]["port"], 9000);
  EXPECT_EQ(out["attributes"]["protocol"], "TCP");
  EXPECT_EQ(out["attributes"]["protocolVersion"], "2.0");
  EXPECT_FALSE(last_.close);
  ASSERT_EQ(last_.requests.size(), 1u);
  EXPECT_EQ(last_.requests[0].operation, kOpHello);
}

TEST_F(ConnectionTest, ResponseBytesAreTheReferenceLayout) {
  last_ = conn_->OnInput(
      now_, Msg({{"requestId", "7"}, {"operationId", "x.y/Op.Nope"}, {"targetId", kService}}));
  EXPECT_EQ(last_.bytes,
            "{\"requestId\":\"7\",\"status\":\"0.DOIP/Status.200\",\"attributes\":{\"message\":"
            "\"Operation not supported\"}}\n#\n#\n");
}

TEST_F(ConnectionTest, CreateRetrieveElementUpdateDelete) {
  Reply created = CreateBrake();
  EXPECT_EQ(created.status(), kStatusOk) << created.message();
  EXPECT_EQ(created.header["requestId"], "1");
  EXPECT_EQ(created.header["output"]["elements"][0]["length"], 5);
  ASSERT_NE(store_.Find("20.500.123/brake-1"), nullptr);
  EXPECT_EQ(store_.Find("20.500.123/brake-1")->elements[0].data, "hello");

  Reply element = Send(Msg({{"targetId", "20.500.123/brake-1"},
                            {"operationId", kOpRetrieve},
                            {"attributes", {{"element", "file"}}}}));
  EXPECT_EQ(element.status(), kStatusOk);
  EXPECT_FALSE(element.header.contains("output"));
  EXPECT_THAT(element.rest, ElementsAre(BytesSeg("hello")));

  Reply range =
      Send(Msg({{"targetId", "20.500.123/brake-1"},
                {"operationId", kOpRetrieve},
                {"attributes", {{"element", "file"}, {"range", {{"start", 1}, {"end", 3}}}}}}));
  EXPECT_THAT(range.rest, ElementsAre(BytesSeg("ell")));

  Reply whole = Send(Msg({{"targetId", "20.500.123/brake-1"}, {"operationId", kOpRetrieve}}));
  EXPECT_EQ(whole.header["output"]["attributes"]["content"]["name"], "brake");

  Reply with_data = Send(Msg({{"targetId", "20.500.123/brake-1"},
                              {"operationId", kOpRetrieve},
                              {"attributes", {{"includeElementData", true}}}}));
  ASSERT_EQ(with_data.rest.size(), 3u);
  EXPECT_EQ(Json::parse(with_data.rest[1].data)["id"], "file");
  EXPECT_EQ(with_data.rest[2], BytesSeg("hello"));

  Json updated = {{"type", "Document"},
                  {"attributes", {{"content", {{"name", "brake-v2"}}}}},
                  {"elements", {{{"id", "file"}}}}};
  Reply update = Send(
      Msg({{"targetId", "20.500.123/brake-1"}, {"operationId", kOpUpdate}}, {JsonSeg(updated)}));
  EXPECT_EQ(update.status(), kStatusOk) << update.message();
  EXPECT_EQ(update.header["output"]["attributes"]["content"]["name"], "brake-v2");
  // Elements listed without new bytes keep their bytes.
  EXPECT_EQ(store_.Find("20.500.123/brake-1")->elements[0].data, "hello");

  Reply del = Send(Msg({{"targetId", "20.500.123/brake-1"}, {"operationId", kOpDelete}}));
  EXPECT_EQ(del.status(), kStatusOk);
  EXPECT_EQ(store_.size(), 0u);
  Reply gone = Send(Msg({{"targetId", "20.500.123/brake-1"}, {"operationId", kOpRetrieve}}));
  EXPECT_EQ(gone.status(), kStatusNotFound);
  EXPECT_EQ(gone.message(), "No such object 20.500.123/brake-1");
  EXPECT_FALSE(last_.close);
}

TEST_F(ConnectionTest, CreateStatusCodes) {
  CreateBrake();
  Reply dup = CreateBrake();
  EXPECT_EQ(dup.status(), kStatusConflict);
  EXPECT_EQ(dup.message(), "Object already exists: 20.500.123/brake-1");
  Reply minted = Send(
      Msg({{"targetId", kService}, {"operationId", kOpCreate}, {"input", {{"type", "Sensor"}}}}));
  EXPECT_EQ(minted.status(), kStatusOk);
  EXPECT_THAT(minted.header["output"]["id"].get<std::string>(), HasSubstr("20.500.123/"));
  Reply no_input = Send(Msg({{"targetId", kService}, {"operationId", kOpCreate}}));
  EXPECT_EQ(no_input.status(), kStatusBadRequest);
  EXPECT_EQ(no_input.message(), "Missing input");
  Reply stray = Send(Msg({{"targetId", kService}, {"operationId", kOpCreate}},
                         {JsonSeg({{"type", "T"}, {"elements", {{{"id", "a"}}}}}),
                          JsonSeg({{"id", "b"}}), BytesSeg("x")}));
  EXPECT_EQ(stray.message(), "No such element b");
  EXPECT_FALSE(last_.close);
}

TEST_F(ConnectionTest, RetrieveErrors) {
  CreateBrake();
  Reply input = Send(Msg({{"targetId", "20.500.123/brake-1"}, {"operationId", kOpRetrieve}},
                         {JsonSeg({{"x", 1}})}));
  EXPECT_EQ(input.status(), kStatusBadRequest);
  EXPECT_EQ(input.message(), "Unexpected input");
  Reply element = Send(Msg({{"targetId", "20.500.123/brake-1"},
                            {"operationId", kOpRetrieve},
                            {"attributes", {{"element", "nope"}}}}));
  EXPECT_EQ(element.status(), kStatusNotFound);
  EXPECT_FALSE(last_.close);
}

TEST_F(ConnectionTest, SearchPagesAndTypes) {
  for (int i = 0; i < 5; ++i) {
    Json o = {{"id", "20.500.123/s" + std::to_string(i)},
              {"type", i % 2 ? "Odd" : "Even"},
              {"attributes", {{"content", {{"n", i}}}}}};
    ASSERT_EQ(
        Send(Msg({{"targetId", kService}, {"operationId", kOpCreate}, {"input", o}})).status(),
        kStatusOk);
  }
  Reply even = Send(Msg({{"targetId", kService},
                         {"operationId", kOpSearch},
                         {"attributes", {{"query", "type:Even"}, {"type", "id"}}}}));
  ASSERT_EQ(even.rest.size(), 1u);
  Json out = Json::parse(even.rest[0].data);
  EXPECT_EQ(out["size"], 3);
  EXPECT_EQ(out["results"], Json({"20.500.123/s0", "20.500.123/s2", "20.500.123/s4"}));

  Reply page =
      Send(Msg({{"targetId", kService},
                {"operationId", kOpSearch},
                {"attributes",
                 {{"query", "*:*"}, {"pageNum", 1}, {"pageSize", 2}, {"sortFields", "id DESC"}}}}));
  Json p = Json::parse(page.rest[0].data);
  EXPECT_EQ(p["size"], 5);
  ASSERT_EQ(p["results"].size(), 2u);
  EXPECT_EQ(p["results"][0]["id"], "20.500.123/s2");
  EXPECT_EQ(p["results"][1]["id"], "20.500.123/s1");

  Reply pointer = Send(Msg({{"targetId", kService},
                            {"operationId", kOpSearch},
                            {"attributes", {{"query", "/n:3 OR id:*s4"}, {"type", "id"}}}}));
  EXPECT_EQ(Json::parse(pointer.rest[0].data)["results"], Json({"20.500.123/s3", "20.500.123/s4"}));

  Reply missing = Send(Msg({{"targetId", kService}, {"operationId", kOpSearch}}));
  EXPECT_EQ(missing.status(), kStatusBadRequest);
  EXPECT_EQ(missing.message(), "Missing query");
}

TEST_F(ConnectionTest, ListOperationsForServiceAndObject) {
  Reply service = Send(Msg({{"operationId", kOpListOperations}}));
  EXPECT_EQ(service.header["output"], Json({kOpHello, kOpListOperations, kOpCreate, kOpSearch}));
  CreateBrake();
  Reply object =
      Send(Msg({{"targetId", "20.500.123/brake-1"}, {"operationId", kOpListOperations}}));
  EXPECT_EQ(object.header["output"], Json({kOpListOperations, kOpRetrieve, kOpUpdate, kOpDelete}));
}

TEST_F(ConnectionTest, ExtendedOperations) {
  ProcessorConfig config;
  ExtendedOperation calibrate;
  calibrate.operation_id = "20.DOIP/Op.Calibrate";
  calibrate.output = {{"calibrated", true}};
  ExtendedOperation echo;
  echo.operation_id = "20.DOIP/Op.Echo";
  echo.echo_input = true;
  ExtendedOperation refuse;
  refuse.operation_id = "20.DOIP/Op.Refuse";
  refuse.status = std::string(kStatusForbidden);
  refuse.attributes = {{"message", "no"}};
  config.operations = {calibrate, echo, refuse};
  Reset(config);
  Reply unknown = Send(Msg({{"targetId", kService}, {"operationId", "20.DOIP/Op.Unknown"}}));
  EXPECT_EQ(unknown.status(), kStatusDeclined);
  Reply cal =
      Send(Msg({{"targetId", "20.500.123/anything"}, {"operationId", "20.DOIP/Op.Calibrate"}}));
  EXPECT_EQ(cal.status(), kStatusOk);
  EXPECT_EQ(cal.header["output"]["calibrated"], true);
  Reply e = Send(Msg({{"operationId", "20.DOIP/Op.Echo"}}, {BytesSeg("abc")}));
  EXPECT_THAT(e.rest, ElementsAre(BytesSeg("abc")));
  Reply ref = Send(Msg({{"operationId", "20.DOIP/Op.Refuse"}}));
  EXPECT_EQ(ref.status(), kStatusForbidden);
  EXPECT_EQ(ref.message(), "no");
  Reply nobody = Send(Msg({{"targetId", "20.500.123/none"}, {"operationId", "20.DOIP/Op.X"}}));
  EXPECT_EQ(nobody.status(), kStatusNotFound);
  EXPECT_EQ(last_.requests[0].operation, "extended");
  Reply listed = Send(Msg({{"operationId", kOpListOperations}}));
  EXPECT_EQ(listed.header["output"].size(), 7u);
}

struct BadCase {
  std::string name;
  std::string wire;
  std::string message;
};

TEST_F(ConnectionTest, MalformedRequestsAnswer101AndClose) {
  const std::vector<BadCase> cases = {
      {"unexpected property", Msg({{"operationId", kOpHello}, {"extra", 1}, {"requestId", "9"}}),
       "Unexpected request property extra"},
      {"compact input then segment",
       Msg({{"operationId", kOpCreate}, {"input", {{"type", "T"}}}}, {BytesSeg("x")}),
       "Extra segments after initial JSON with compact input"},
      {"invalid JSON", "{\"operationId\": \n#\n#\n", "Error parsing initial JSON of request"},
      {"not an object", "[1,2]\n#\n#\n", "Request initial segment must be a JSON object"},
      {"bytes first", "@\n2\nab\n#\n#\n", "Request initial segment must be JSON"},
      {"empty message", "#\n", "no initial segment in request"},
      {"framing", "{\"operationId\":\"0.DOIP/Op.Hello\"}\n#\n@\n0\n",
       "zero at start of chunk size"},
      {"targetId not a string", Msg({{"operationId", kOpHello}, {"targetId", {1}}}),
       "\"targetId\" must be a string"},
  };
  for (const BadCase& c : cases) {
    NewConnection();
    last_ = conn_->OnInput(now_, c.wire);
    std::vector<Reply> replies = Replies(last_.bytes);
    ASSERT_EQ(replies.size(), 1u) << c.name;
    EXPECT_EQ(replies[0].status(), kStatusBadRequest) << c.name;
    EXPECT_THAT(replies[0].message(), HasSubstr(c.message)) << c.name;
    EXPECT_TRUE(last_.close) << c.name;
    EXPECT_TRUE(conn_->closed()) << c.name;
    EXPECT_EQ(conn_->OnInput(now_, Msg({{"operationId", kOpHello}})).bytes, "") << c.name;
  }
  NewConnection();
  last_ = conn_->OnInput(now_, Msg({{"operationId", kOpHello}, {"bogus", 1}, {"requestId", "9"}}));
  EXPECT_EQ(Replies(last_.bytes)[0].header["requestId"], "9");
  NewConnection();
  last_ = conn_->OnInput(now_, "@\n0\n");
  EXPECT_EQ(last_.framing_error, FramingError::kZeroAtStartOfChunkSize);
}

TEST_F(ConnectionTest, AuthenticationStatusCodes) {
  ProcessorConfig config;
  config.credentials = {Credential{"admin", "secret", "", false},
                        Credential{"", "", "tok-1", false}, Credential{"viewer", "v", "", true}};
  Reset(config);
  Json create_input = {{"type", "T"}};
  auto create = [&](Json auth) {
    Json first = {{"targetId", kService}, {"operationId", kOpCreate}, {"input", create_input}};
    if (!auth.is_null()) first["authentication"] = auth;
    return Send(Msg(first));
  };
  EXPECT_EQ(Send(Msg({{"operationId", kOpHello}})).status(), kStatusOk);
  Reply anonymous = create(nullptr);
  EXPECT_EQ(anonymous.status(), kStatusUnauthenticated);
  EXPECT_EQ(create({{"username", "admin"}, {"password", "wrong"}}).status(),
            kStatusUnauthenticated);
  EXPECT_EQ(create("not-an-object").status(), kStatusUnauthenticated);
  EXPECT_EQ(create({{"username", "admin"}, {"password", "secret"}}).status(), kStatusOk);
  EXPECT_EQ(create({{"token", "tok-1"}}).status(), kStatusOk);
  Reply viewer = create({{"username", "viewer"}, {"password", "v"}});
  EXPECT_EQ(viewer.status(), kStatusForbidden);
  Reply search = Send(Msg({{"targetId", kService},
                           {"operationId", kOpSearch},
                           {"authentication", {{"username", "viewer"}, {"password", "v"}}},
                           {"attributes", {{"query", "*"}}}}));
  EXPECT_EQ(search.status(), kStatusOk);
  EXPECT_EQ(Send(Msg({{"operationId", kOpHello}, {"authentication", {{"token", "bad"}}}})).status(),
            kStatusUnauthenticated);
  EXPECT_FALSE(last_.close);
}

TEST_F(ConnectionTest, PipelinedRequestsSplitAtEveryByte) {
  CreateBrake();
  const std::string wire = Msg({{"requestId", "a"}, {"operationId", kOpHello}}) +
                           Msg({{"requestId", "b"},
                                {"targetId", "20.500.123/brake-1"},
                                {"operationId", kOpRetrieve},
                                {"attributes", {{"element", "file"}}}});
  for (size_t i = 0; i <= wire.size(); ++i) {
    NewConnection();
    std::string out = conn_->OnInput(now_, wire.substr(0, i)).bytes;
    out += conn_->OnInput(now_, wire.substr(i)).bytes;
    std::vector<Reply> replies = Replies(out);
    ASSERT_EQ(replies.size(), 2u) << "split at " << i;
    EXPECT_EQ(replies[0].header["requestId"], "a");
    EXPECT_THAT(replies[1].rest, ElementsAre(BytesSeg("hello"))) << "split at " << i;
  }
}

TEST_F(ConnectionTest, IdleTimeoutAnswers101AndCloses) {
  conn_->OnInput(now_, "{\"operationId\":");
  EXPECT_EQ(conn_->deadline(), now_ + std::chrono::minutes(5));
  EXPECT_EQ(conn_->OnTimer(now_ + std::chrono::minutes(4)).bytes, "");
  ConnectionOutput out = conn_->OnTimer(now_ + std::chrono::minutes(5));
  EXPECT_TRUE(out.close);
  EXPECT_EQ(Replies(out.bytes)[0].message(), "Read timed out");
}

TEST_F(ConnectionTest, EndOfInputMidMessageIsAFramingError) {
  conn_->OnInput(now_, "{\"operationId\":\"0.DOIP/Op.Hello\"}\n#\n");
  ConnectionOutput out = conn_->OnEndOfInput();
  EXPECT_TRUE(out.close);
  EXPECT_EQ(out.framing_error, FramingError::kEndOfInputBeforeTerminalEmptySegment);
}

}  // namespace
}  // namespace ecusim::digital_object
