// doip_diag: N routing-activated TCP testers (1, 16, 256) each sending ReadDataByIdentifier
// 0xF190 in a closed loop against one DoIP entity on loopback. Prints requests/s and the
// p50/p99 round trip (request sent -> UDS response received, after the ACK).
//
// The entity runs on its own shard thread, as in ecusimd; the testers share one client
// thread (asio). Run inside a network namespace: tests/in-netns.sh doip_diag.
#include <algorithm>
#include <asio/connect.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sim/core/shard.h"
#include "sim/doip/doip_component.h"
#include "sim/ecu/ecu.h"

namespace {

using namespace ecusim;
using Clock = std::chrono::steady_clock;
using asio::ip::tcp;

constexpr char kAddress[] = "127.0.0.2";
// ACK (8 + 5) and the response 62 F1 90 + 17-byte VIN (8 + 4 + 20).
constexpr size_t kReplyBytes = 13 + 32;

class Tester : public std::enable_shared_from_this<Tester> {
 public:
  Tester(asio::io_context& io, uint16_t address, std::vector<double>& latencies,
         std::atomic<bool>& running)
      : socket_(io), address_(address), latencies_(latencies), running_(running) {
    request_ = doip::EncodeMessage(2, doip::DiagnosticMessage{address, 0x1000, {0x22, 0xF1, 0x90}});
  }

  void Connect() {
    socket_.connect(tcp::endpoint(asio::ip::make_address(kAddress), doip::kTcpDataPort));
    socket_.set_option(tcp::no_delay(true));
    doip::Bytes ra = doip::EncodeMessage(2, doip::RoutingActivationRequest{address_, 0, 0, {}});
    asio::write(socket_, asio::buffer(ra));
    std::array<uint8_t, 17> resp{};
    asio::read(socket_, asio::buffer(resp));
    if (resp[12] != 0x10) {
      std::fprintf(stderr, "routing activation of 0x%04X failed: 0x%02X\n", address_, resp[12]);
      std::exit(1);
    }
  }

  void Start() { Send(); }

 private:
  void Send() {
    if (!running_) return;
    sent_at_ = Clock::now();
    asio::async_write(socket_, asio::buffer(request_),
                      [self = shared_from_this()](const asio::error_code& ec, size_t) {
                        if (ec) return;
                        self->Receive();
                      });
  }
  void Receive() {
    asio::async_read(
        socket_, asio::buffer(reply_),
        [self = shared_from_this()](const asio::error_code& ec, size_t) {
          if (ec) return;
          if (self->reply_[13 + 2] != 0x80 || self->reply_[13 + 12] != 0x62) {
            std::fprintf(stderr, "unexpected reply\n");
            std::exit(1);
          }
          self->latencies_.push_back(
              std::chrono::duration<double, std::micro>(Clock::now() - self->sent_at_).count());
          self->Send();
        });
  }

  tcp::socket socket_;
  uint16_t address_;
  std::vector<double>& latencies_;
  std::atomic<bool>& running_;
  doip::Bytes request_;
  std::array<uint8_t, kReplyBytes> reply_{};
  Clock::time_point sent_at_;
};

struct Result {
  double rps;
  double p50_us;
  double p99_us;
};

Result Run(int testers, std::chrono::milliseconds duration) {
  asio::io_context io;
  std::vector<double> latencies;
  latencies.reserve(4'000'000);
  std::atomic<bool> running{true};
  std::vector<std::shared_ptr<Tester>> all;
  for (int i = 0; i < testers; ++i) {
    all.push_back(
        std::make_shared<Tester>(io, static_cast<uint16_t>(0x0E00 + i), latencies, running));
    all.back()->Connect();
  }
  for (auto& t : all) t->Start();
  // Warm-up, then measure.
  asio::steady_timer warm(io, std::chrono::milliseconds(200));
  warm.async_wait([&](const asio::error_code&) { latencies.clear(); });
  const auto start = Clock::now() + std::chrono::milliseconds(200);
  asio::steady_timer stop(io, std::chrono::milliseconds(200) + duration);
  size_t measured = 0;
  stop.async_wait([&](const asio::error_code&) {
    measured = latencies.size();
    running = false;
    for (auto& t : all) t.reset();
    io.stop();
  });
  io.run();
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  latencies.resize(measured);
  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) {
    return latencies.empty() ? 0.0 : latencies[static_cast<size_t>(p * (latencies.size() - 1))];
  };
  return Result{measured / secs, pct(0.50), pct(0.99)};
}

// The state machine alone (no sockets): what one shard can do when the kernel is not the limit.
double EntityOnlyRate(std::chrono::milliseconds duration) {
  doip::EntityConfig config;
  config.logical_address = 0x1000;
  config.vin = *doip::VinFromString("WVWZZZ1JZXW000001");
  if (!doip::NormalizeEntityConfig(config).ok()) return 0;
  doip::Entity entity(config, nullptr);
  doip::Actions out;
  auto now = Clock::now();
  entity.OnAccept(1, now, "bench", false, out);
  entity.OnData(1, now, doip::EncodeMessage(2, doip::RoutingActivationRequest{0x0E80, 0, 0, {}}),
                out);
  const doip::Bytes request =
      doip::EncodeMessage(2, doip::DiagnosticMessage{0x0E80, 0x1000, {0x22, 0xF1, 0x90}});
  size_t n = 0;
  const auto start = Clock::now();
  while (Clock::now() - start < duration) {
    for (int i = 0; i < 1000; ++i) {
      out.clear();
      entity.OnData(1, start, request, out);
      if (out.size() != 1 || out[0].bytes.size() != kReplyBytes) std::exit(1);
    }
    n += 1000;
  }
  return n / std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  const bool smoke = argc > 1 && std::strcmp(argv[1], "--smoke") == 0;
  core::Shard shard(0);
  shard.Start();
  observe::Hub hub;
  auto ecu = std::make_unique<ecu::Ecu>(ecu::EcuIdentity{"bench", kAddress, "", {}},
                                        asio::ip::make_address(kAddress), shard, hub);
  doip::EntityConfig config;
  config.logical_address = 0x1000;
  config.vin = *doip::VinFromString("WVWZZZ1JZXW000001");
  config.max_sockets = 300;
  config.announcement_count = 0;
  if (!doip::NormalizeEntityConfig(config).ok()) return 1;
  std::promise<absl::Status> started;
  shard.Post([&] {
    auto c = doip::DoipComponent::Start(*ecu, config, nullptr);
    if (c.ok()) ecu->set_component(doip::kComponentKey, std::move(*c));
    started.set_value(c.status());
  });
  if (absl::Status s = started.get_future().get(); !s.ok()) {
    std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
    return 1;
  }
  const auto duration = std::chrono::milliseconds(smoke ? 300 : 3000);
  std::printf("doip_diag: ReadDataByIdentifier 0xF190 round trips (ACK + response) on loopback\n");
  std::printf("%8s %14s %10s %10s\n", "testers", "requests/s", "p50 (us)", "p99 (us)");
  for (int n : {1, 16, 256}) {
    Result r = Run(n, duration);
    std::printf("%8d %14.0f %10.1f %10.1f\n", n, r.rps, r.p50_us, r.p99_us);
    std::fflush(stdout);
    if (smoke && r.rps <= 0) return 1;
  }
  std::printf("entity state machine alone (no sockets, one thread): %.0f requests/s\n",
              EntityOnlyRate(smoke ? std::chrono::milliseconds(100) : duration));
  std::promise<void> stopped;
  shard.Post([&] {
    ecu->ShutdownAll();
    stopped.set_value();
  });
  stopped.get_future().wait();
  shard.Stop();
  return 0;
}
