#include "sim/someip/sd_server.h"

#include <gtest/gtest.h>

#include "tests/unit/someip/test_util.h"

namespace ecusim::someip {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::DecodeSd;
using testing::Ep;

const Endpoint kClientSd = Ep("127.0.0.9", 30490);
const Endpoint kClientEvents = Ep("127.0.0.9", 40000);

InstanceConfig Demo(uint16_t service = 0x1234, uint16_t instance = 1, uint16_t port = 30501) {
  InstanceConfig c;
  c.service.id = service;
  c.service.major_version = 1;
  c.service.minor_version = 0;
  c.service.events = {{0x8001, false}};
  c.service.fields = {{0x0010, 0x0011, 0x8002, {0xAA}}};
  c.service.methods = {{0x0001, false, false}};
  c.service.eventgroups = {{0x0001, {0x8001, 0x8002}, std::nullopt, 0}};
  c.instance_id = instance;
  c.endpoint_port = port;
  return c;
}

class SdServerTest : public ::testing::Test {
 protected:
  SdServerTest() : server_({asio::ip::make_address("127.0.0.2")}, reporter_) {}

  // Runs the timer at exactly each wakeup until `until`; returns the times SD datagrams went
  // out with their contents.
  std::vector<std::pair<core::TimePoint, Datagram>> RunUntil(core::TimePoint until) {
    std::vector<std::pair<core::TimePoint, Datagram>> sent;
    while (auto next = server_.NextWakeup()) {
      if (*next > until) break;
      clock_.Set(*next);
      Datagrams out;
      server_.OnTimer(clock_.Now(), out);
      for (auto& d : out) sent.emplace_back(clock_.Now(), std::move(d));
    }
    clock_.Set(until);
    return sent;
  }

  void ReachMainPhase() { RunUntil(clock_.Now() + seconds(2)); }

  Datagrams Sd(const Bytes& datagram, bool via_multicast = false,
               const Endpoint& from = kClientSd) {
    Datagrams out;
    server_.OnSdDatagram(clock_.Now(), from, via_multicast, datagram, out);
    return out;
  }

  core::FakeClock clock_;
  testing::RecordingReporter reporter_;
  SdServer server_;
};

TEST_F(SdServerTest, OfferPhasesFollowInitialWaitRepetitionAndMain) {
  core::TimePoint start = clock_.Now();
  ASSERT_TRUE(server_.Offer(start, Demo()).ok());
  auto sent = RunUntil(start + seconds(9));
  ASSERT_GE(sent.size(), 7u);
  core::Duration initial = sent[0].first - start;
  EXPECT_GE(initial, milliseconds(10));
  EXPECT_LE(initial, milliseconds(100));
  core::TimePoint t0 = sent[0].first;
  // Repetitions at base, 2x base, 4x base after the previous one; then cyclic.
  EXPECT_EQ(sent[1].first - t0, milliseconds(200));
  EXPECT_EQ(sent[2].first - sent[1].first, milliseconds(400));
  EXPECT_EQ(sent[3].first - sent[2].first, milliseconds(800));
  EXPECT_EQ(sent[4].first - sent[3].first, milliseconds(2000));
  EXPECT_EQ(sent[5].first - sent[4].first, milliseconds(2000));
  for (auto& [t, d] : sent) {
    EXPECT_EQ(d.to, Ep("224.224.224.245", 30490));
    EXPECT_EQ(d.from, 0u);
    SdMessage m = DecodeSd(d.bytes);
    ASSERT_EQ(m.entries.size(), 1u);
    EXPECT_EQ(m.entries[0].type, EntryType::kOfferService);
    EXPECT_EQ(m.entries[0].ttl, 6u);  // 3 x 2000 ms
    EXPECT_TRUE(m.unicast());
    auto opts = m.OptionsOf(m.entries[0]);
    ASSERT_EQ(opts.size(), 1u);
    EXPECT_EQ(opts[0]->address, asio::ip::make_address("127.0.0.2"));
    EXPECT_EQ(opts[0]->port, 30501);
    EXPECT_EQ(opts[0]->l4_proto, kL4Udp);
  }
  EXPECT_EQ(server_.phase(MakeInstanceKey(0x1234, 1)), SdServer::Phase::kMain);
}

TEST_F(SdServerTest, InitialWaitIsRandomInsideItsWindow) {
  std::set<int64_t> waits;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    testing::RecordingReporter r;
    SdServer s({asio::ip::make_address("127.0.0.2"), Ep("224.224.224.245", 30490), true, seed}, r);
    ASSERT_TRUE(s.Offer(clock_.Now(), Demo()).ok());
    auto w = *s.NextWakeup() - clock_.Now();
    EXPECT_GE(w, milliseconds(10));
    EXPECT_LE(w, milliseconds(100));
    waits.insert(w.count());
  }
  EXPECT_GT(waits.size(), 10u);
}

TEST_F(SdServerTest, MainPhaseOffersOfOneEcuShareOneMessage) {
  ASSERT_TRUE(server_.Offer(clock_.Now(), Demo(0x1234, 1, 30501)).ok());
  ASSERT_TRUE(server_.Offer(clock_.Now(), Demo(0x5678, 1, 30502)).ok());
  RunUntil(clock_.Now() + seconds(4));
  auto sent = RunUntil(clock_.Now() + seconds(6));
  ASSERT_GE(sent.size(), 2u);
  for (auto& [t, d] : sent) EXPECT_EQ(DecodeSd(d.bytes).entries.size(), 2u);
}

TEST_F(SdServerTest, ManyOffersAreSplitIntoDatagramsWithinTheUdpLimit) {
  for (uint16_t i = 0; i < 80; ++i) {
    InstanceConfig c = Demo(static_cast<uint16_t>(0x1000 + i), 1, static_cast<uint16_t>(31000 + i));
    c.timing.initial_delay_min = c.timing.initial_delay_max = milliseconds(10);
    ASSERT_TRUE(server_.Offer(clock_.Now(), c).ok());
  }
  auto sent = RunUntil(clock_.Now() + milliseconds(10));
  size_t entries = 0;
  for (auto& [t, d] : sent) {
    EXPECT_LE(d.bytes.size(), kHeaderSize + kMaxUdpPayload);
    SdMessage m = DecodeSd(d.bytes);
    EXPECT_TRUE(ValidateOptionRefs(m).ok());
    for (const Entry& e : m.entries) {
      ++entries;
      auto opts = m.OptionsOf(e);
      ASSERT_EQ(opts.size(), 1u);
      EXPECT_EQ(opts[0]->port, 31000 + (e.service_id - 0x1000));
    }
  }
  EXPECT_GE(sent.size(), 2u);
  EXPECT_EQ(entries, 80u);
}

TEST_F(SdServerTest, MulticastSessionWrapsToOneAndClearsRebootFlag) {
  ASSERT_TRUE(server_.Offer(clock_.Now(), Demo()).ok());
  std::vector<std::pair<uint16_t, bool>> seen;
  for (int i = 0; i < 0x10002; ++i) {
    Datagrams out;
    Header h;
    server_.OnSdDatagram(clock_.Now(), kClientSd, true,
                         testing::FindDatagram(1, 0x1234, 0xFFFF, 0xFF, false), out);
    if (i == 0) {
      // Not offered yet (initial wait): no answer.
      EXPECT_TRUE(out.empty());
      ReachMainPhase();
      continue;
    }
    ASSERT_EQ(out.size(), 1u);
    SdMessage m = DecodeSd(out[0].bytes, &h);
    seen.emplace_back(h.session_id, m.reboot());
  }
  // Offers already used sessions 1..4 (initial + 3 repetitions); multicast answers go on.
  EXPECT_EQ(seen.front(), std::make_pair(uint16_t{5}, true));
  auto wrap = std::find_if(seen.begin(), seen.end(), [](auto& p) { return p.first == 0xFFFF; });
  ASSERT_NE(wrap, seen.end());
  EXPECT_TRUE(wrap->second);
  EXPECT_EQ(*(wrap + 1), std::make_pair(uint16_t{1}, false));
  EXPECT_EQ(*(wrap + 2), std::make_pair(uint16_t{2}, false));
  for (auto& p : seen) EXPECT_NE(p.first, 0);
}

TEST_F(SdServerTest, SessionsArePerRelation) {
  ASSERT_TRUE(server_.Offer(clock_.Now(), Demo()).ok());
  ReachMainPhase();
  Header h;
  auto a1 = Sd(testing::FindDatagram(1, 0x1234, 1, 1, true), true, Ep("127.0.0.9", 30490));
  auto b1 = Sd(testing::FindDatagram(1, 0x1234, 1, 1, true), true, Ep("127.0.0.10", 30490));
  auto a2 = Sd(testing::FindDatagram(2, 0x1234, 1, 1, true), true, Ep("127.0.0.9", 30490));
  ASSERT_EQ(a1.size(), 1u);
  ASSERT_EQ(b1.size(), 1u);
  ASSERT_EQ(a2.size(), 1u);
  EXPECT_EQ(a1[0].to, Ep("127.0.0.9", 30490));
  DecodeSd(a1[0].bytes, &h);
  EXPECT_EQ(h.session_id, 1);
  DecodeSd(b1[0].bytes, &h);
  EXPECT_EQ(h.session_id, 1);
  SdMessage m = DecodeSd(a2[0].bytes, &h);
  EXPECT_EQ(h.session_id, 2);
  EXPECT_TRUE(m.reboot());
}

TEST_F(SdServerTest, FindIsAnsweredByUnicastOrMulticastPerTheUnicastFlag) {
  ASSERT_TRUE(server_.Offer(clock_.Now(), Demo()).ok());
  ReachMainPhase();
  auto uni = Sd(testing::FindDatagram(1, 0x1234, 0xFFFF, 0xFF, true), true);
  ASSERT_EQ(uni.size(), 1u);
  EXPECT_EQ(uni[0].to, kClientSd);
  auto multi = Sd(testing::FindDatagram(2, 0x1234, 1, 1, false), true);
  ASSERT_EQ(multi.size(), 1u);
  EXPECT_EQ(multi[0].to, Ep("224.224.224.245", 30490));
  EXPECT_EQ(DecodeSd(multi[0].bytes).entries[0].type, EntryType::kOfferService);
  // Other major version, other instance, other service: nothing.
  EXPECT_TRUE(Sd(testing::FindDatagram(3, 0x1234, 0xFFFF, 2, true)).empty());
  EXPECT_TRUE(Sd(testing::FindDatagram(4, 0x1234, 2, 0xFF, true)).empty());
  EXPECT_TRUE(Sd(testing::FindDatagram(5, 0x9999, 0xFFFF, 0xFF, true)).empty());
  EXPECT_EQ(reporter_.received[Received::kFind], 5u);
}

TEST_F(SdServerTest, FindAnswerWaitsForTheRequestResponseDelayWhenMulticast) {
  InstanceConfig c = Demo();
  c.timing.request_response_delay_min = milliseconds(50);
  c.timing.request_response_delay_max = milliseconds(50);
  ASSERT_TRUE(server_.Offer(clock_.Now(), c).ok());
  ReachMainPhase();
  EXPECT_TRUE(Sd(testing::FindDatagram(1, 0x1234, 1, 1, true), true).empty());
  // Unicast Find: no delay (_766).
  EXPECT_EQ(Sd(testing::FindDatagram(2, 0x1234, 1, 1, true), false).size(), 1u);
  auto later = RunUntil(clock_.Now() + milliseconds(60));
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].second.to, kClientSd);
}

TEST_F(SdServerTest, SubscribeIsAckedByUnicastEchoingCounterThenFieldInitialEvent) {
  ASSERT_TRUE(server_.Offer(clock_.Now(), Demo()).ok());
  ReachMainPhase();
  auto out = Sd(testing::SubscribeDatagram(1, 0x1234, 1, 1, 0x0001, 5, 3, kClientEvents));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].to, kClientSd);  // _818: unicast, to the SD sender
  SdMessage ack = DecodeSd(out[0].bytes);
  ASSERT_EQ(ack.entries.size(), 1u);
  const Entry& e = ack.entries[0];
  EXPECT_EQ(e.type, EntryType::kSubscribeEventgroupAck);
  EXPECT_EQ(e.ttl, 5u);
  EXPECT_EQ(e.counter, 3);
  EXPECT_EQ(e.eventgroup_id, 1);
  EXPECT_EQ(e.major_version, 1);
  EXPECT_EQ(e.num1, 0);
  // Initial event of the field: unicast from the service endpoint, right after the Ack.
  EXPECT_EQ(out[1].to, kClientEvents);
  EXPECT_EQ(out[1].from, MakeInstanceKey(0x1234, 1));
  auto h = DecodeHeader(out[1].bytes);
  EXPECT_EQ(h->method_id, 0x8002);
  EXPECT_EQ(h->message_type, 0x02);
  EXPECT_EQ(h->client_id, 0);
  EXPECT_EQ(h->interface_version, 1);
  EXPECT_EQ(out[1].bytes.back(), 0xAA);
  EXPECT_EQ(server_.Find(0x1234, 1)->subscribers().size(), 1u);
  EXPECT_EQ(reporter_.subscriptions[SubscriptionResult::kAdded], 1u);
}

TEST_F(SdServerTest, RenewalSendsNoInitialEventUnlessRequested) {
  ASSERT_TRUE(server_.Offer(clock_.Now(), Demo()).ok());
  ReachMainPhase();
  ASSERT_EQ(Sd(testing::SubscribeDatagram(1, 0x1234, 1, 1, 1, 5, 0, kClientEvents)).size(), 2u);
  auto renew = Sd(testing::SubscribeDatagram(2, 0x1234, 1, 1, 1, 5, 0, kClientEvents));
  ASSERT_EQ(renew.size(), 1u);
  EXPECT_EQ(DecodeSd(renew[0].bytes).entries[0].type, EntryType::kSubscribeEventgroupAck);
  auto requested =
      Sd(testing::SubscribeDatagram(3, 0x1234, 1, 1, 1, 5, 0, kClientEvents, true, true));
  EXPECT_EQ(requested.size(), 2u);
  EXPECT_EQ(server_.Find(0x1234, 1)->subscribers().size(), 1u);
  EXPECT_EQ(reporter_.subscriptions[SubscriptionResult::kRenewed], 2u);
}

TEST_F(SdServerTest, NacksEveryRefusalWithTtlZeroAndTheCounter) {
  InstanceConfig c = Demo();
  c.max_subscribers = 1;
  ASSERT_TRUE(server_.Offer(clock_.Now(), c).ok());
  ReachMainPhase();
  ASSERT_EQ(Sd(testing::SubscribeDatagram(1, 0x1234, 1, 1, 1, 5, 0, kClientEvents)).size(), 2u);
  struct Case {
    const char* name;
    Bytes datagram;
  };
  std::vector<Case> cases = {
      {"unknown service", testing::SubscribeDatagram(2, 0x9999, 1, 1, 1, 5, 7, kClientEvents)},
      {"unknown instance", testing::SubscribeDatagram(3, 0x1234, 2, 1, 1, 5, 7, kClientEvents)},
      {"unknown eventgroup", testing::SubscribeDatagram(4, 0x1234, 1, 1, 9, 5, 7, kClientEvents)},
      {"major mismatch", testing::SubscribeDatagram(5, 0x1234, 1, 2, 1, 5, 7, kClientEvents)},
      {"limit", testing::SubscribeDatagram(6, 0x1234, 1, 1, 1, 5, 7, Ep("127.0.0.9", 40001))},
  };
  for (const Case& k : cases) {
    auto out = Sd(k.datagram);
    ASSERT_EQ(out.size(), 1u) << k.name;
    EXPECT_EQ(out[0].to, kClientSd) << k.name;
    SdMessage m = DecodeSd(out[0].bytes);
    ASSERT_EQ(m.entries.size(), 1u) << k.name;
    EXPECT_EQ(m.entries[0].type, EntryType::kSubscribeEventgroupAck) << k.name;
    EXPECT_EQ(m.entries[0].ttl, 0u) << k.name;
    EXPECT_EQ(m.entries[0].counter, 7) << k.name;
  }
  EXPECT_EQ(reporter_.sent[Sent::kSubscribeNack], 5u);
  EXPECT_EQ(reporter_.subscriptions[SubscriptionResult::kRefused], 5u);
}

TEST_F(SdServerTest, FaultInjectionNacksSubscriptions) {
  InstanceConfig c = Demo();
  c.faults.nack_subscriptions = true;
  ASSERT_TRUE(server_.Offer(clock_.Now(), c).ok());
  ReachMainPhase();
  auto out = Sd(testing::SubscribeDatagram(1, 0x1234, 1, 1, 1, 5, 0, kClientEvents));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(DecodeSd(out[0].bytes).entries[0].ttl, 0u);
}

TEST_F(SdServerTest, TwoUdpEndpointsAreNacked) {
  ASSERT_TRUE(server_.Offer(clock_.Now(), Demo()).ok());
  ReachMainPhase();
  SdMessage m;
  Entry e{.type = EntryType::kSubscribeEventgroup,
          .service_id = 0x1234,
          .instance_id = 1,
          .major_version = 1,
          .ttl = 5,
          .eventgroup_id = 1};
  AttachOptions(m, e,
                {EndpointOption(kClientEvents.address(), kL4Udp, 1),
                 EndpointOption(kClientEvents.address(), kL4Udp, 2)});
  m.entries.push_back(e);
  auto out = Sd(EncodeSdMessage(m, 1));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(DecodeSd(out[0].bytes).entries[0].ttl, 0u);
}

TEST_F(SdServerTest, SubscriptionExpiresAfterItsTtl) {
  ASSERT_TRUE(server_.Offer(clock_.Now(), Demo()).ok());
  ReachMainPhase();
  Sd(testing::SubscribeDatagram(1, 0x1234, 1, 1, 1, 3, 0, kClientEvents));
  RunUntil(clock_.Now() + milliseconds(2999));
  EXPECT_EQ(server_.Find(0x1234, 1)->subscribers().size(), 1u);
  RunUntil(clock_.Now() + milliseconds(2));
  EXPECT_EQ(server_.Find(0x1234, 1)->subscribers().size(), 0u);
  EXPECT_EQ(reporter_.subscriptions[SubscriptionResult::kExpired], 1u);
  // A new subscription after expiry gets the initial event again.
  EXPECT_EQ(Sd(testing::SubscribeDatagram(2, 0x1234, 1, 1, 1, 3, 0, kClientEvents)).size(), 2u);
}

TEST_F(SdServerTest, StopSubscribeRemovesWithoutReply) {
  ASSERT_TRUE(server_.Offer(clock_.Now(), Demo()).ok());
  ReachMainPhase();
  Sd(testing::SubscribeDatagram(1, 0x1234, 1, 1, 1, 5, 0, kClientEvents));
  EXPECT_TRUE(Sd(testing::SubscribeDatagram(2, 0x1234, 1, 1, 1, 0, 0, kClientEvents)).empty());
  EXPECT_TRUE(server_.Find(0x1234, 1)->subscribers().empty());
  EXPECT_EQ(reporter_.subscriptions[SubscriptionResult::kStopped], 1u);
}

TEST_F(SdServerTest, ClientRebootDropsItsSubscriptions) {
  ASSERT_TRUE(server_.Offer(clock_.Now(), Demo()).ok());
  ReachMainPhase();
  Sd(testing::SubscribeDatagram(10, 0x1234, 1, 1, 1, 5, 0, kClientEvents));
  // Same reboot flag, lower session: the client restarted (_764); its new Subscribe is new.
  auto out = Sd(testing::SubscribeDatagram(3, 0x1234, 1, 1, 1, 5, 0, kClientEvents));
  EXPECT_EQ(out.size(), 2u);  // Ack + initial event again
  EXPECT_EQ(reporter_.subscriptions[SubscriptionResult::kExpired], 1u);
}

TEST_F(SdServerTest, StopOfferSendsTtlZeroOfferAndShutdownStopsAllInOneMessage) {
  ASSERT_TRUE(server_.Offer(clock_.Now(), Demo(0x1234, 1, 30501)).ok());
  ASSERT_TRUE(server_.Offer(clock_.Now(), Demo(0x5678, 1, 30502)).ok());
  ASSERT_TRUE(server_.Offer(clock_.Now(), Demo(0x9ABC, 1, 30503)).ok());
  ReachMainPhase();
  Datagrams out;
  ASSERT_TRUE(server_.StopOffer(clock_.Now(), 0x1234, 1, out).ok());
  ASSERT_EQ(out.size(), 1u);
  SdMessage m = DecodeSd(out[0].bytes);
  EXPECT_EQ(m.entries[0].type, EntryType::kOfferService);
  EXPECT_EQ(m.entries[0].ttl, 0u);
  EXPECT_EQ(m.entries[0].service_id, 0x1234);
  EXPECT_EQ(server_.StopOffer(clock_.Now(), 0x1234, 1, out).code(), absl::StatusCode::kNotFound);
  out.clear();
  server_.StopAll(clock_.Now(), out);
  ASSERT_EQ(out.size(), 1u);
  m = DecodeSd(out[0].bytes);
  ASSERT_EQ(m.entries.size(), 2u);
  for (const Entry& e : m.entries) EXPECT_EQ(e.ttl, 0u);
  EXPECT_TRUE(server_.Instances().empty());
}

TEST_F(SdServerTest, OfferRejectsDuplicatesAndBadConfig) {
  ASSERT_TRUE(server_.Offer(clock_.Now(), Demo()).ok());
  EXPECT_EQ(server_.Offer(clock_.Now(), Demo()).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(server_.Offer(clock_.Now(), Demo(0x1234, 2, 30501)).code(),
            absl::StatusCode::kFailedPrecondition);
  InstanceConfig bad = Demo(0x2222, 1, 30509);
  bad.service.eventgroups[0].event_ids.push_back(0x8009);
  auto s = server_.Offer(clock_.Now(), bad);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("event 0x8009"), std::string::npos);
}

TEST_F(SdServerTest, MalformedSdIsCountedAndIgnored) {
  ASSERT_TRUE(server_.Offer(clock_.Now(), Demo()).ok());
  ReachMainPhase();
  Bytes bad = testing::FindDatagram(1, 0x1234, 1, 1, true);
  bad[16 + 7] = 0x11;  // entries length not a multiple of 16
  EXPECT_TRUE(Sd(bad).empty());
  EXPECT_EQ(reporter_.malformed[Malformed::kBadSdMessage], 1u);
}

}  // namespace
}  // namespace ecusim::someip
