// The DoIP entity on real sockets (in a private network namespace): announcements on the
// loopback broadcast address, UDP identification, TCP and TLS diagnostics, partial writes,
// many connections, metrics.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <asio/connect.hpp>
#include <asio/read.hpp>
#include <asio/ssl.hpp>
#include <asio/write.hpp>
#include <future>
#include <thread>

#include "sim/core/shard.h"
#include "sim/doip/doip_component.h"
#include "sim/ecu/ecu.h"

namespace ecusim::doip {
namespace {

using namespace std::chrono_literals;
using asio::ip::tcp;
using asio::ip::udp;
using ::testing::ElementsAre;

constexpr char kEcuAddress[] = "127.0.0.2";

double Ms(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

EntityConfig Config() {
  EntityConfig c;
  c.logical_address = 0x1000;
  c.vin = *VinFromString("WVWZZZ1JZXW000001");
  c.eid = {0x02, 0, 0, 0, 0x10, 0x00};
  c.gid = {0x02, 0, 0, 0, 0, 0x01};
  c.announcement_count = 3;
  c.announcement_interval = 200ms;
  c.announcement_wait_max = 100ms;
  c.tls_mode = TlsMode::kOptional;
  LogicalEcuConfig a;
  a.address = 0x1001;
  LogicalEcuConfig b;
  b.address = 0x1002;
  c.ecus = {a, b};
  EXPECT_TRUE(NormalizeEntityConfig(c).ok());
  return c;
}

class TransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Listen for announcements before the entity starts (testers bind 0.0.0.0:13400).
    listener_.open(udp::v4());
    listener_.set_option(asio::socket_base::reuse_address(true));
    listener_.bind(udp::endpoint(asio::ip::address_v4::any(), kUdpDiscoveryPort));
    shard_.Start();
    ecu_ = std::make_unique<ecu::Ecu>(ecu::EcuIdentity{"gw", kEcuAddress, "", {}},
                                      asio::ip::make_address(kEcuAddress), shard_, hub_);
    started_ = Run([this] {
      auto c = DoipComponent::Start(*ecu_, Config(), mirror_);
      if (!c.ok()) return c.status();
      component_ = c->get();
      ecu_->set_component(kComponentKey, std::move(*c));
      return absl::OkStatus();
    });
    ASSERT_TRUE(started_.ok()) << started_;
  }
  void TearDown() override {
    EXPECT_TRUE(Run([this] {
                  ecu_->ShutdownAll();
                  return absl::OkStatus();
                }).ok());
    shard_.Stop();
  }
  absl::Status Run(std::function<absl::Status()> fn) {
    std::promise<absl::Status> p;
    shard_.Post([&] { p.set_value(fn()); });
    return p.get_future().get();
  }
  double Metric(const std::string& name, const std::map<std::string, std::string>& labels = {}) {
    for (const auto& family : hub_.metrics.registry()->Collect()) {
      if (family.name != name) continue;
      for (const auto& m : family.metric) {
        bool match = true;
        for (const auto& [k, v] : labels) {
          match = match && std::any_of(m.label.begin(), m.label.end(),
                                       [&](const auto& l) { return l.name == k && l.value == v; });
        }
        if (match) return m.counter.value + m.gauge.value;
      }
    }
    return -1;
  }
  bool WaitForMetric(const std::string& name, double want, std::chrono::milliseconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (Metric(name) != want) {
      if (std::chrono::steady_clock::now() > end) return false;
      std::this_thread::sleep_for(10ms);
    }
    return true;
  }
  // Receives one datagram on `s` within `timeout`.
  std::optional<Bytes> Receive(udp::socket& s, std::chrono::milliseconds timeout) {
    // Plain poll + recv: asio's blocking receive ignores SO_RCVTIMEO.
    pollfd p{s.native_handle(), POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(timeout.count())) != 1) return std::nullopt;
    Bytes buf(2048);
    ssize_t n = recv(s.native_handle(), buf.data(), buf.size(), 0);
    if (n < 0) return std::nullopt;
    buf.resize(static_cast<size_t>(n));
    return buf;
  }

  core::Shard shard_{0};
  observe::Hub hub_;
  std::shared_ptr<DoipMirror> mirror_ = std::make_shared<DoipMirror>();
  std::unique_ptr<ecu::Ecu> ecu_;
  DoipComponent* component_ = nullptr;
  absl::Status started_;
  asio::io_context io_;
  udp::socket listener_{io_};
};

template <typename Stream>
std::vector<Payload> ReadMessages(Stream& s, size_t count) {
  std::vector<Payload> out;
  while (out.size() < count) {
    Bytes header(kHeaderSize);
    asio::read(s, asio::buffer(header));
    uint32_t len = (header[4] << 24) | (header[5] << 16) | (header[6] << 8) | header[7];
    Bytes msg = header;
    msg.resize(kHeaderSize + len);
    if (len > 0) asio::read(s, asio::buffer(msg.data() + kHeaderSize, len));
    auto m = DecodeMessage(msg);
    EXPECT_TRUE(m.ok()) << m.status();
    out.push_back(m->payload);
  }
  return out;
}

TEST_F(TransportTest, StartUpAnnouncementsReachTheLoopbackBroadcastAddress) {
  std::vector<std::chrono::steady_clock::time_point> at;
  for (int i = 0; i < 3; ++i) {
    auto d = Receive(listener_, 1500ms);
    ASSERT_TRUE(d) << "announcement " << i;
    at.push_back(std::chrono::steady_clock::now());
    ASSERT_EQ(d->size(), 41u);
    auto a = std::get<VehicleAnnouncement>(DecodeMessage(*d)->payload);
    EXPECT_EQ(a.logical_address, 0x1000);
    EXPECT_EQ(VinToString(a.vin), "WVWZZZ1JZXW000001");
  }
  EXPECT_FALSE(Receive(listener_, 400ms));
  EXPECT_NEAR(Ms(at[2] - at[0]), 400, 100);
  EXPECT_EQ(Metric("ecusim_doip_announcements_sent_total"), 3);
}

TEST_F(TransportTest, TriggeredAnnouncementsToATargetAreCycleApart) {
  udp::socket rx(io_, udp::endpoint(asio::ip::make_address("127.0.0.9"), 0));
  const uint16_t port = rx.local_endpoint().port();
  ASSERT_TRUE(Run([&] {
                component_->transport().TriggerAnnouncement(
                    udp::endpoint(asio::ip::make_address("127.0.0.9"), port), 3, 100ms, 0x10);
                return absl::OkStatus();
              }).ok());
  std::vector<std::chrono::steady_clock::time_point> at;
  for (int i = 0; i < 3; ++i) {
    auto d = Receive(rx, 1000ms);
    ASSERT_TRUE(d);
    at.push_back(std::chrono::steady_clock::now());
    EXPECT_EQ(std::get<VehicleAnnouncement>(DecodeMessage(*d)->payload).further_action, 0x10);
  }
  EXPECT_FALSE(Receive(rx, 300ms));
  for (int i = 1; i < 3; ++i) {
    EXPECT_NEAR(Ms(at[i] - at[i - 1]), 100, 50);
  }
}

TEST_F(TransportTest, UdpIdentificationEntityStatusAndPowerMode) {
  udp::socket s(io_, udp::endpoint(udp::v4(), 0));
  udp::endpoint ecu(asio::ip::make_address(kEcuAddress), kUdpDiscoveryPort);
  s.send_to(asio::buffer(EncodeMessage(0xFF, VehicleIdRequest{})), ecu);
  auto r = Receive(s, 1000ms);
  ASSERT_TRUE(r);
  EXPECT_TRUE(std::holds_alternative<VehicleAnnouncement>(DecodeMessage(*r)->payload));
  s.send_to(
      asio::buffer(EncodeMessage(2, VehicleIdRequestVin{*VinFromString("XXXXXXXXXXXXXXXXX")})),
      ecu);
  EXPECT_FALSE(Receive(s, 300ms));
  s.send_to(asio::buffer(EncodeMessage(2, EntityStatusRequest{})), ecu);
  r = Receive(s, 1000ms);
  ASSERT_TRUE(r);
  auto st = std::get<EntityStatusResponse>(DecodeMessage(*r)->payload);
  EXPECT_EQ(st.node_type, kNodeTypeGateway);
  s.send_to(asio::buffer(EncodeMessage(2, PowerModeRequest{})), ecu);
  r = Receive(s, 1000ms);
  ASSERT_TRUE(r);
  EXPECT_EQ(std::get<PowerModeResponse>(DecodeMessage(*r)->payload).power_mode, 1);
  EXPECT_EQ(
      Metric("ecusim_doip_identification_requests_total", {{"type", "vin"}, {"result", "ignored"}}),
      1);
}

TEST_F(TransportTest, TcpDiagnosticsWithByteByByteWrites) {
  tcp::socket s(io_);
  s.connect(tcp::endpoint(asio::ip::make_address(kEcuAddress), kTcpDataPort));
  Bytes req = EncodeMessage(2, RoutingActivationRequest{0x0E80, 0, 0, {}});
  AppendMessage(2, DiagnosticMessage{0x0E80, 0x1001, {0x22, 0xF1, 0x90}}, req);
  for (uint8_t b : req) {
    asio::write(s, asio::buffer(&b, 1));
    std::this_thread::sleep_for(1ms);
  }
  auto got = ReadMessages(s, 3);
  EXPECT_EQ(std::get<RoutingActivationResponse>(got[0]).code, 0x10);
  EXPECT_EQ(std::get<DiagnosticAck>(got[1]).source_address, 0x1001);
  auto resp = std::get<DiagnosticMessage>(got[2]);
  EXPECT_EQ(resp.user_data[0], 0x62);
  EXPECT_EQ(resp.user_data.size(), 20u);
  EXPECT_EQ(Metric("ecusim_doip_routing_activations_total", {{"code", "0x10"}}), 1);
  EXPECT_EQ(Metric("ecusim_doip_tcp_connections"), 1);
}

TEST_F(TransportTest, WrongInverseVersionGetsNack00AndTheSocketIsClosed) {
  tcp::socket s(io_);
  s.connect(tcp::endpoint(asio::ip::make_address(kEcuAddress), kTcpDataPort));
  Bytes bad = {0x02, 0x02, 0x00, 0x05, 0, 0, 0, 7, 0x0E, 0x80, 0, 0, 0, 0, 0};
  asio::write(s, asio::buffer(bad));
  auto got = ReadMessages(s, 1);
  EXPECT_EQ(std::get<GenericNack>(got[0]).code, 0x00);
  Bytes more(1);
  asio::error_code ec;
  asio::read(s, asio::buffer(more), ec);
  EXPECT_EQ(ec, asio::error::eof);
  EXPECT_EQ(Metric("ecusim_doip_generic_nacks_total", {{"code", "0x00"}, {"transport", "tcp"}}), 1);
}

TEST_F(TransportTest, TlsPortRunsTheSameStateMachine) {
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.set_verify_mode(asio::ssl::verify_none);
  asio::ssl::stream<tcp::socket> s(io_, ctx);
  s.next_layer().connect(tcp::endpoint(asio::ip::make_address(kEcuAddress), kTcpDataTlsPort));
  s.handshake(asio::ssl::stream_base::client);
  Bytes req = EncodeMessage(2, RoutingActivationRequest{0x0E80, 0, 0, {}});
  AppendMessage(2, DiagnosticMessage{0x0E80, 0x1002, {0x10, 0x03}}, req);
  asio::write(s, asio::buffer(req));
  auto got = ReadMessages(s, 3);
  EXPECT_EQ(std::get<RoutingActivationResponse>(got[0]).code, 0x10);
  EXPECT_THAT(std::get<DiagnosticMessage>(got[2]).user_data,
              ElementsAre(0x50, 0x03, 0x00, 0x32, 0x01, 0xF4));
  EXPECT_FALSE(component_->transport().tls_fingerprint().empty());
}

TEST_F(TransportTest, ManyConcurrentTestersAreServedIndependently) {
  constexpr int kTesters = 40;
  std::vector<std::unique_ptr<tcp::socket>> sockets;
  // max_sockets is 4 by default: the rest are connected but not activated.
  for (int i = 0; i < kTesters; ++i) {
    sockets.push_back(std::make_unique<tcp::socket>(io_));
    sockets.back()->connect(tcp::endpoint(asio::ip::make_address(kEcuAddress), kTcpDataPort));
  }
  for (int i = 0; i < 4; ++i) {
    asio::write(*sockets[i],
                asio::buffer(EncodeMessage(
                    2, RoutingActivationRequest{static_cast<uint16_t>(0x0E80 + i), 0, 0, {}})));
    EXPECT_EQ(std::get<RoutingActivationResponse>(ReadMessages(*sockets[i], 1)[0]).code, 0x10);
  }
  for (int round = 0; round < 10; ++round) {
    for (int i = 0; i < 4; ++i) {
      asio::write(
          *sockets[i],
          asio::buffer(EncodeMessage(
              2, DiagnosticMessage{static_cast<uint16_t>(0x0E80 + i), 0x1001, {0x3E, 0x00}})));
    }
    for (int i = 0; i < 4; ++i) {
      auto got = ReadMessages(*sockets[i], 2);
      EXPECT_THAT(std::get<DiagnosticMessage>(got[1]).user_data, ElementsAre(0x7E, 0x00));
    }
  }
  // The kernel completes connects before the entity accepts them: wait for the gauge.
  EXPECT_TRUE(WaitForMetric("ecusim_doip_tcp_connections", kTesters, 2s));
  // Unactivated sockets are closed after T_TCP_Initial_Inactivity (2 s).
  EXPECT_TRUE(WaitForMetric("ecusim_doip_tcp_connections", 4, 3s));
}

TEST(DefaultAnnouncementAddress, LoopbackUsesTheLoopbackBroadcast) {
  EXPECT_EQ(DefaultAnnouncementAddress(asio::ip::make_address("127.0.0.7")).to_string(),
            "127.255.255.255");
  EXPECT_EQ(DefaultAnnouncementAddress(asio::ip::make_address("::1")).to_string(), "ff02::1");
}

}  // namespace
}  // namespace ecusim::doip

namespace ecusim::doip {
namespace {

// Periodic re-announcement (off by default) keeps announcing to the broadcast address.
TEST(TransportPeriodic, ReAnnouncesEveryPeriod) {
  asio::io_context io;
  udp::socket listener(io);
  listener.open(udp::v4());
  listener.set_option(asio::socket_base::reuse_address(true));
  listener.bind(udp::endpoint(asio::ip::address_v4::any(), 23400));
  EntityConfig c = Config();
  c.udp_port = 23400;
  c.tcp_port = 0;
  c.tls_mode = TlsMode::kDisabled;
  c.announcement_count = 0;
  c.periodic_announcement = 100ms;
  auto t = EntityTransport::Start(io, core::Clock::Real(), asio::ip::make_address("127.0.0.3"), c,
                                  nullptr);
  ASSERT_TRUE(t.ok()) << t.status();
  std::thread runner([&io] { io.run_for(450ms); });
  runner.join();
  (*t)->Stop();
  int received = 0;
  pollfd p{listener.native_handle(), POLLIN, 0};
  Bytes buf(2048);
  while (poll(&p, 1, 0) == 1 && recv(listener.native_handle(), buf.data(), buf.size(), 0) > 0) {
    ++received;
  }
  EXPECT_GE(received, 3);
  EXPECT_LE(received, 5);
}

}  // namespace
}  // namespace ecusim::doip
