// The asio glue on real sockets, in a private network namespace: a plain-socket client finds
// the offer on the multicast group, subscribes, gets the Ack, the field's initial event and
// generated events, and sees StopOffer on shutdown.
#include "sim/someip/someip_ecu.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <future>

#include "asio/ip/multicast.hpp"
#include "tests/unit/someip/test_util.h"

namespace ecusim::someip {
namespace {

using testing::Ep;

class Client {
 public:
  Client() : sd_(io_), events_(io_) {
    sd_.open(asio::ip::udp::v4());
    sd_.set_option(asio::socket_base::reuse_address(true));
    sd_.bind(Ep("0.0.0.0", 30490));
    sd_.set_option(asio::ip::multicast::join_group(asio::ip::make_address_v4("224.224.224.245"),
                                                   asio::ip::make_address_v4("127.0.0.1")));
    events_.open(asio::ip::udp::v4());
    events_.bind(Ep("127.0.0.9", 40000));
  }

  // The next datagram on `s` within `ms`, or empty.
  static Bytes Recv(asio::ip::udp::socket& s, int ms, Endpoint* from = nullptr) {
    pollfd p{s.native_handle(), POLLIN, 0};
    if (::poll(&p, 1, ms) <= 0) return {};
    Bytes b(65536);
    Endpoint f;
    size_t n = s.receive_from(asio::buffer(b), f);
    if (from) *from = f;
    b.resize(n);
    return b;
  }

  // The next SD message with an entry of `type`, skipping others.
  SdMessage WaitSd(EntryType type, int ms, Endpoint* from = nullptr) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < deadline) {
      Bytes b = Recv(sd_, 100, from);
      if (b.empty()) continue;
      SdMessage m = testing::DecodeSd(b);
      for (const Entry& e : m.entries) {
        if (e.type == type) return m;
      }
    }
    return {};
  }

  asio::io_context io_;
  asio::ip::udp::socket sd_;
  asio::ip::udp::socket events_;
};

class SomeIpEcuTest : public ::testing::Test {
 protected:
  SomeIpEcuTest() : shard_(0) {
    shard_.Start();
    ecu_ = std::make_unique<ecu::Ecu>(ecu::EcuIdentity{"brake", "127.0.0.2", "", {}},
                                      asio::ip::make_address("127.0.0.2"), shard_, hub_);
  }
  ~SomeIpEcuTest() override {
    (void)OnShard([&] {
      ecu_->ShutdownAll();
      return absl::OkStatus();
    });
    shard_.Stop();
  }

  template <typename Fn>
  absl::Status OnShard(Fn fn) {
    std::promise<absl::Status> p;
    shard_.Post([&] { p.set_value(fn()); });
    return p.get_future().get();
  }

  InstanceConfig Config() {
    InstanceConfig c;
    c.service.id = 0x1234;
    c.service.major_version = 1;
    c.service.events = {{0x8001, false}};
    c.service.fields = {{0x0010, 0x0011, 0x8002, {0xAB, 0xCD}}};
    c.service.eventgroups = {{1, {0x8001, 0x8002}, std::nullopt, 0}};
    c.instance_id = 1;
    c.endpoint_port = 30501;
    c.timing.repetitions_base_delay = std::chrono::milliseconds(20);
    return c;
  }

  observe::Hub hub_;
  core::Shard shard_;
  std::unique_ptr<ecu::Ecu> ecu_;
};

TEST_F(SomeIpEcuTest, OfferSubscribeEventsAndStopOfferOnTheWire) {
  Client client;
  ASSERT_TRUE(OnShard([&]() -> absl::Status {
                auto e = SomeIpEcu::Create(*ecu_, asio::ip::make_address("224.224.224.245"), 30490);
                if (!e.ok()) return e.status();
                auto s = (*e)->StartOffer(Config());
                ecu_->set_component(kComponentKey, std::move(*e));
                return s;
              }).ok());
  Endpoint from;
  SdMessage offer = client.WaitSd(EntryType::kOfferService, 2000, &from);
  ASSERT_EQ(offer.entries.size(), 1u);
  EXPECT_EQ(from, Ep("127.0.0.2", 30490));
  EXPECT_EQ(offer.OptionsOf(offer.entries[0])[0]->port, 30501);

  client.sd_.send_to(
      asio::buffer(testing::SubscribeDatagram(1, 0x1234, 1, 1, 1, 10, 2, Ep("127.0.0.9", 40000))),
      Ep("127.0.0.2", 30490));
  SdMessage ack = client.WaitSd(EntryType::kSubscribeEventgroupAck, 2000, &from);
  ASSERT_EQ(ack.entries.size(), 1u);
  EXPECT_EQ(ack.entries[0].ttl, 10u);
  EXPECT_EQ(ack.entries[0].counter, 2);
  EXPECT_EQ(from, Ep("127.0.0.2", 30490));
  Bytes initial = Client::Recv(client.events_, 2000, &from);
  ASSERT_EQ(initial.size(), 18u);
  EXPECT_EQ(from, Ep("127.0.0.2", 30501));
  EXPECT_EQ(DecodeHeader(initial)->method_id, 0x8002);

  GeneratorConfig g;
  g.period = std::chrono::milliseconds(5);
  g.burst = 10;
  g.count = 100;
  g.payload_size = 64;
  ASSERT_TRUE(
      OnShard([&] {
        return ecu_->component_as<SomeIpEcu>(kComponentKey)->SetGenerator(0x1234, 1, 1, 0x8001, g);
      }).ok());
  uint64_t expected = 1;
  for (int i = 0; i < 100; ++i) {
    Bytes b = Client::Recv(client.events_, 2000);
    ASSERT_EQ(b.size(), 80u) << i;
    uint64_t seq = 0;
    for (int k = 0; k < 8; ++k) seq = (seq << 8) | b[16 + k];
    EXPECT_EQ(seq, expected++);
    EXPECT_EQ(DecodeHeader(b)->session_id, (i + 1) & 0xFFFF);
  }

  ASSERT_TRUE(OnShard([&] {
                ecu_->erase_component(kComponentKey);
                return absl::OkStatus();
              }).ok());
  SdMessage stop = client.WaitSd(EntryType::kOfferService, 2000);
  ASSERT_FALSE(stop.entries.empty());
  // Cyclic offers may still be in flight; the last offer seen must be the stop.
  while (stop.entries[0].ttl != 0) {
    stop = client.WaitSd(EntryType::kOfferService, 2000);
    ASSERT_FALSE(stop.entries.empty());
  }
  EXPECT_EQ(stop.entries[0].ttl, 0u);
}

TEST_F(SomeIpEcuTest, PortInUseIsAFailedPrecondition) {
  asio::io_context io;
  asio::ip::udp::socket squatter(io, Ep("127.0.0.2", 30501));
  absl::Status s = OnShard([&]() -> absl::Status {
    auto e = SomeIpEcu::Create(*ecu_, asio::ip::make_address("224.224.224.245"), 30490);
    if (!e.ok()) return e.status();
    auto st = (*e)->StartOffer(Config());
    ecu_->set_component(kComponentKey, std::move(*e));
    return st;
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("127.0.0.2:30501"), std::string::npos) << s;
}

}  // namespace
}  // namespace ecusim::someip
