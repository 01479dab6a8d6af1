#include "sim/someip/service_instance.h"

#include <gtest/gtest.h>

#include "sim/someip/sd_server.h"
#include "tests/unit/someip/test_util.h"

namespace ecusim::someip {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::Ep;
using testing::Request;

MethodBehavior B(MethodBehavior::Kind kind, Bytes payload = {}, uint8_t rc = 0,
                 core::Duration delay = core::Duration::zero()) {
  MethodBehavior b;
  b.kind = kind;
  b.payload = std::move(payload);
  b.return_code = rc;
  b.delay = delay;
  return b;
}

const Endpoint kClient = Ep("127.0.0.9", 40000);
constexpr uint16_t kPort = 30501;

class MethodsTest : public ::testing::Test {
 protected:
  MethodsTest() : server_({asio::ip::make_address("127.0.0.2")}, reporter_) {
    InstanceConfig c;
    c.service.id = 0x1234;
    c.service.major_version = 2;
    c.service.events = {{0x8001, false}, {0x8003, true}};
    c.service.methods = {{0x0001, false, false}, {0x0002, true, false}, {0x0003, false, true}};
    c.service.fields = {{0x0010, 0x0011, 0x8002, {0x01, 0x02}}};
    c.service.eventgroups = {{0x0001, {0x8001, 0x8002, 0x8003}, std::nullopt, 0}};
    c.instance_id = 1;
    c.endpoint_port = kPort;
    EXPECT_TRUE(server_.Offer(clock_.Now(), c).ok());
    Datagrams ignore;
    clock_.Advance(seconds(3));
    server_.OnTimer(clock_.Now(), ignore);
    inst_ = server_.Find(0x1234, 1);
  }

  Datagrams Call(const Bytes& datagram) {
    Datagrams out;
    server_.OnServiceDatagram(clock_.Now(), kPort, kClient, datagram, out);
    return out;
  }

  // Exactly one reply: its header.
  Header Reply(const Datagrams& out, Bytes* payload = nullptr) {
    EXPECT_EQ(out.size(), 1u);
    if (out.empty()) return {};
    EXPECT_EQ(out[0].to, kClient);
    EXPECT_EQ(out[0].from, MakeInstanceKey(0x1234, 1));
    if (payload) payload->assign(out[0].bytes.begin() + 16, out[0].bytes.end());
    return *DecodeHeader(out[0].bytes);
  }

  void Subscribe() {
    Datagrams out;
    server_.OnSdDatagram(clock_.Now(), Ep("127.0.0.9", 30490), false,
                         testing::SubscribeDatagram(1, 0x1234, 1, 2, 1, 100, 0, kClient), out);
  }

  core::FakeClock clock_;
  testing::RecordingReporter reporter_;
  SdServer server_;
  ServiceInstance* inst_ = nullptr;
};

TEST_F(MethodsTest, DefaultResponseCopiesRequestIdAndInterfaceVersion) {
  Header h = Reply(Call(Request(0x1234, 0x0001, 2, MessageType::kRequest, {}, 0x77)));
  EXPECT_EQ(h.message_type, 0x80);
  EXPECT_EQ(h.return_code, 0x00);
  EXPECT_EQ(h.client_id, 0x1234);
  EXPECT_EQ(h.session_id, 0x77);
  EXPECT_EQ(h.interface_version, 2);
  EXPECT_EQ(h.method_id, 0x0001);
  EXPECT_EQ(reporter_.sent[Sent::kResponse], 1u);
}

TEST_F(MethodsTest, BehavioursStaticEchoErrorDropDelay) {
  Bytes payload;
  ASSERT_TRUE(inst_->SetMethodBehavior(1, B(MethodBehavior::Kind::kStaticReply, {9, 8})).ok());
  Reply(Call(Request(0x1234, 1, 2, MessageType::kRequest, {1})), &payload);
  EXPECT_EQ(payload, Bytes({9, 8}));
  ASSERT_TRUE(inst_->SetMethodBehavior(1, B(MethodBehavior::Kind::kEcho)).ok());
  Reply(Call(Request(0x1234, 1, 2, MessageType::kRequest, {5, 6, 7})), &payload);
  EXPECT_EQ(payload, Bytes({5, 6, 7}));
  ASSERT_TRUE(inst_->SetMethodBehavior(1, B(MethodBehavior::Kind::kError, {}, 0x21)).ok());
  Header h = Reply(Call(Request(0x1234, 1, 2, MessageType::kRequest, {5})), &payload);
  EXPECT_EQ(h.message_type, 0x81);
  EXPECT_EQ(h.return_code, 0x21);
  EXPECT_TRUE(payload.empty());
  ASSERT_TRUE(inst_->SetMethodBehavior(1, B(MethodBehavior::Kind::kDrop)).ok());
  EXPECT_TRUE(Call(Request(0x1234, 1, 2, MessageType::kRequest)).empty());
  ASSERT_TRUE(
      inst_->SetMethodBehavior(1, B(MethodBehavior::Kind::kEcho, {}, 0, milliseconds(30))).ok());
  EXPECT_TRUE(Call(Request(0x1234, 1, 2, MessageType::kRequest, {1})).empty());
  EXPECT_EQ(*server_.NextWakeup(), clock_.Now() + milliseconds(30));
  clock_.Advance(milliseconds(30));
  Datagrams out;
  server_.OnTimer(clock_.Now(), out);
  Reply(out, &payload);
  EXPECT_EQ(payload, Bytes({1}));
  EXPECT_EQ(inst_->SetMethodBehavior(0x0042, {}).code(), absl::StatusCode::kNotFound);
}

TEST_F(MethodsTest, FaultResponseDelayAppliesToEveryResponse) {
  FaultConfig f;
  f.response_delay = milliseconds(100);
  inst_->SetFaults(f);
  EXPECT_TRUE(Call(Request(0x1234, 1, 2, MessageType::kRequest)).empty());
  clock_.Advance(milliseconds(100));
  Datagrams out;
  server_.OnTimer(clock_.Now(), out);
  EXPECT_EQ(out.size(), 1u);
}

TEST_F(MethodsTest, FireAndForgetGetsNothing) {
  EXPECT_TRUE(Call(Request(0x1234, 2, 2, MessageType::kRequestNoReturn, {1})).empty());
  EXPECT_EQ(reporter_.received[Received::kRequestNoReturn], 1u);
  // Even errors are never sent for REQUEST_NO_RETURN.
  EXPECT_TRUE(Call(Request(0x1234, 0x0042, 2, MessageType::kRequestNoReturn)).empty());
}

struct ErrorCase {
  const char* name;
  Bytes request;
  ReturnCode rc;
};

TEST_F(MethodsTest, ProtocolErrorsGetTheSpecifiedReturnCode) {
  Bytes wrong_proto = Request(0x1234, 1, 2, MessageType::kRequest);
  wrong_proto[12] = 0x02;
  Bytes with_rc = Request(0x1234, 1, 2, MessageType::kRequest);
  with_rc[15] = 0x01;
  Bytes truncated = Request(0x1234, 1, 2, MessageType::kRequest, {1, 2, 3});
  truncated[7] = 0x40;
  std::vector<ErrorCase> cases = {
      {"unknown service", Request(0x4321, 1, 2, MessageType::kRequest),
       ReturnCode::kUnknownService},
      {"unknown method", Request(0x1234, 0x0042, 2, MessageType::kRequest),
       ReturnCode::kUnknownMethod},
      {"event id as method", Request(0x1234, 0x8001, 2, MessageType::kRequest),
       ReturnCode::kUnknownMethod},
      {"wrong interface version", Request(0x1234, 1, 1, MessageType::kRequest),
       ReturnCode::kWrongInterfaceVersion},
      {"wrong protocol version", wrong_proto, ReturnCode::kWrongProtocolVersion},
      {"request to fire&forget", Request(0x1234, 2, 2, MessageType::kRequest),
       ReturnCode::kWrongMessageType},
      {"return code in request", with_rc, ReturnCode::kMalformedMessage},
      {"getter with payload", Request(0x1234, 0x0010, 2, MessageType::kRequest, {1}),
       ReturnCode::kMalformedMessage},
      {"setter without payload", Request(0x1234, 0x0011, 2, MessageType::kRequest),
       ReturnCode::kMalformedMessage},
      {"length past datagram", truncated, ReturnCode::kMalformedMessage},
  };
  for (const ErrorCase& c : cases) {
    Bytes payload;
    Header h = Reply(Call(c.request), &payload);
    EXPECT_EQ(h.message_type, 0x81) << c.name;
    EXPECT_EQ(h.return_code, static_cast<uint8_t>(c.rc)) << c.name;
    EXPECT_EQ(h.protocol_version, 1) << c.name;
    EXPECT_EQ(h.session_id, 1) << c.name;
    EXPECT_TRUE(payload.empty()) << c.name;
  }
  EXPECT_EQ(reporter_.sent[Sent::kError], cases.size());
  EXPECT_EQ(reporter_.malformed[Malformed::kWrongProtocolVersion], 1u);
  EXPECT_EQ(reporter_.malformed[Malformed::kLengthBeyondDatagram], 1u);
}

TEST_F(MethodsTest, ResponsesNotificationsAndJunkAreIgnored) {
  EXPECT_TRUE(Call(Request(0x1234, 1, 2, MessageType::kResponse)).empty());
  EXPECT_TRUE(Call(Request(0x1234, 1, 2, MessageType::kError)).empty());
  EXPECT_TRUE(Call(Request(0x1234, 0x8001, 2, MessageType::kNotification)).empty());
  Bytes weird = Request(0x1234, 1, 2, MessageType::kRequest);
  weird[14] = 0x40;
  EXPECT_TRUE(Call(weird).empty());
  EXPECT_EQ(reporter_.malformed[Malformed::kUnknownMessageType], 1u);
  EXPECT_TRUE(Call(Bytes(5, 0)).empty());
  EXPECT_EQ(reporter_.malformed[Malformed::kTruncatedHeader], 1u);
}

TEST_F(MethodsTest, SeveralRequestsInOneDatagramAreAllAnswered) {
  Bytes d = Request(0x1234, 1, 2, MessageType::kRequest, {}, 1);
  Bytes b = Request(0x1234, 0x0042, 2, MessageType::kRequest, {}, 2);
  d.insert(d.end(), b.begin(), b.end());
  auto out = Call(d);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(DecodeHeader(out[0].bytes)->message_type, 0x80);
  EXPECT_EQ(DecodeHeader(out[1].bytes)->return_code, 0x03);
}

TEST_F(MethodsTest, GetterAndSetterFollowTheSeed) {
  Bytes payload;
  Reply(Call(Request(0x1234, 0x0010, 2, MessageType::kRequest)), &payload);
  EXPECT_EQ(payload, Bytes({1, 2}));
  Subscribe();
  auto out = Call(Request(0x1234, 0x0011, 2, MessageType::kRequest, {7, 7}));
  ASSERT_EQ(out.size(), 2u);  // response with the value set, then the notification
  EXPECT_EQ(DecodeHeader(out[0].bytes)->message_type, 0x80);
  EXPECT_EQ(Bytes(out[0].bytes.begin() + 16, out[0].bytes.end()), Bytes({7, 7}));
  auto n = DecodeHeader(out[1].bytes);
  EXPECT_EQ(n->message_type, 0x02);
  EXPECT_EQ(n->method_id, 0x8002);
  EXPECT_EQ(out[1].to, kClient);
  // Same value again: response, no notification.
  EXPECT_EQ(Call(Request(0x1234, 0x0011, 2, MessageType::kRequest, {7, 7})).size(), 1u);
  Reply(Call(Request(0x1234, 0x0010, 2, MessageType::kRequest)), &payload);
  EXPECT_EQ(payload, Bytes({7, 7}));
}

TEST_F(MethodsTest, SetFieldNotifiesOnlyOnChange) {
  Subscribe();
  Datagrams out;
  auto changed = inst_->SetField(0x8002, Bytes{3}, out);
  ASSERT_TRUE(changed.ok());
  EXPECT_TRUE(*changed);
  EXPECT_EQ(out.size(), 1u);
  out.clear();
  EXPECT_FALSE(*inst_->SetField(0x8002, Bytes{3}, out));
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(inst_->SetField(0x8009, Bytes{3}, out).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(MethodsTest, NotificationsUseClientZeroAndASessionPerEvent) {
  Subscribe();
  Datagrams out;
  for (int i = 0; i < 3; ++i) inst_->AppendNotification(0x8001, Bytes{1}, out);
  inst_->AppendNotification(0x8002, Bytes{1}, out);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(DecodeHeader(out[0].bytes)->session_id, 1);
  EXPECT_EQ(DecodeHeader(out[2].bytes)->session_id, 3);
  EXPECT_EQ(DecodeHeader(out[3].bytes)->session_id, 2);  // field: its initial event was 1
  for (auto& d : out) EXPECT_EQ(DecodeHeader(d.bytes)->client_id, 0);
}

TEST_F(MethodsTest, CheckEventNamesTheMissingId) {
  auto s = inst_->CheckEvent(0x0009, 0x8001);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(s.message().find("eventgroup 0x0009"), std::string::npos);
  s = inst_->CheckEvent(0x0001, 0x8777);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("event 0x8777"), std::string::npos);
}

TEST_F(MethodsTest, LargeTpEventIsSegmented) {
  Subscribe();
  Datagrams out;
  inst_->AppendNotification(0x8003, Bytes(3000, 1), out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(DecodeHeader(out[0].bytes)->message_type, 0x22);
}

TEST_F(MethodsTest, TpRequestIsReassembledAndAnswered) {
  ASSERT_TRUE(inst_->SetMethodBehavior(3, B(MethodBehavior::Kind::kEcho)).ok());
  Header h;
  h.service_id = 0x1234;
  h.method_id = 3;
  h.client_id = 1;
  h.session_id = 9;
  h.interface_version = 2;
  Bytes payload(2000, 0x42);
  auto segs = SegmentMessage(h, payload, 1392);
  EXPECT_TRUE(Call(segs[0]).empty());
  auto out = Call(segs[1]);
  ASSERT_EQ(out.size(), 2u);  // the echo is segmented again (method allows TP)
  EXPECT_EQ(DecodeHeader(out[0].bytes)->message_type, 0xA0);
}

TEST_F(MethodsTest, DropFaultDropsAboutThePercentage) {
  Subscribe();
  FaultConfig f;
  f.drop_notifications_percent = 50;
  inst_->SetFaults(f);
  Datagrams out;
  for (int i = 0; i < 1000; ++i) inst_->AppendNotification(0x8001, Bytes{1}, out);
  EXPECT_GT(out.size(), 400u);
  EXPECT_LT(out.size(), 600u);
  EXPECT_EQ(reporter_.dropped, 1000u - out.size());
}

TEST_F(MethodsTest, ForwardedCallsAreAnsweredLaterOrTimeOut) {
  std::vector<ForwardedCall> calls;
  inst_->SetForwarder({}, [&](const ForwardedCall& c) { calls.push_back(c); });
  EXPECT_TRUE(Call(Request(0x1234, 1, 2, MessageType::kRequest, {4})).empty());
  ASSERT_EQ(calls.size(), 1u);
  Datagrams out;
  ASSERT_TRUE(
      inst_->CompleteCall(clock_.Now(), calls[0].call_id, B(MethodBehavior::Kind::kEcho), out)
          .ok());
  Bytes payload;
  Reply(out, &payload);
  EXPECT_EQ(payload, Bytes({4}));
  EXPECT_EQ(inst_->CompleteCall(clock_.Now(), calls[0].call_id, {}, out).code(),
            absl::StatusCode::kNotFound);
  Call(Request(0x1234, 1, 2, MessageType::kRequest));
  clock_.Advance(seconds(6));
  out.clear();
  server_.OnTimer(clock_.Now(), out);
  std::erase_if(out, [](const Datagram& d) { return d.from == 0; });  // cyclic offers
  Header h = Reply(out);
  EXPECT_EQ(h.return_code, 0x01);
}

TEST(EventGeneratorTest, CyclicBurstCarriesBigEndianSequenceNumbers) {
  core::FakeClock clock;
  GeneratorConfig c;
  c.period = milliseconds(10);
  c.burst = 3;
  c.payload_size = 64;
  c.count = 7;
  EventGenerator g(1, 0x8001, c, clock.Now(), 1);
  std::vector<uint64_t> seqs;
  auto emit = [&](ByteSpan p) {
    ASSERT_EQ(p.size(), 64u);
    uint64_t s = 0;
    for (int i = 0; i < 8; ++i) s = (s << 8) | p[i];
    seqs.push_back(s);
  };
  EXPECT_EQ(g.Run(clock.Now(), emit), 0u);
  clock.Advance(milliseconds(10));
  EXPECT_EQ(g.Run(clock.Now(), emit), 3u);
  clock.Advance(milliseconds(20));
  EXPECT_EQ(g.Run(clock.Now(), emit), 4u);  // two periods, capped by count 7
  EXPECT_TRUE(g.done());
  EXPECT_EQ(seqs, (std::vector<uint64_t>{1, 2, 3, 4, 5, 6, 7}));
}

TEST(EventGeneratorTest, ChangePoliciesSendLessThanEverySample) {
  core::FakeClock clock;
  GeneratorConfig on_change;
  on_change.policy = GeneratorConfig::Policy::kOnChange;
  on_change.period = milliseconds(1);
  on_change.payload_size = 16;
  GeneratorConfig eps = on_change;
  eps.policy = GeneratorConfig::Policy::kEpsilonChange;
  eps.epsilon = 1.0;
  EventGenerator a(1, 0x8001, on_change, clock.Now(), 5);
  EventGenerator b(1, 0x8001, eps, clock.Now(), 5);
  uint64_t na = 0, nb = 0;
  for (int i = 0; i < 1000; ++i) {
    clock.Advance(milliseconds(1));
    na += a.Run(clock.Now(), [](ByteSpan) {});
    nb += b.Run(clock.Now(), [](ByteSpan) {});
  }
  EXPECT_GT(na, 300u);
  EXPECT_LT(na, 700u);
  EXPECT_LT(nb, na);
  EXPECT_GT(nb, 0u);
  EXPECT_FALSE(ValidateGeneratorConfig(GeneratorConfig{.period = milliseconds(0)}).ok());
  EXPECT_FALSE(ValidateGeneratorConfig(GeneratorConfig{.payload_size = 4}).ok());
}

}  // namespace
}  // namespace ecusim::someip
