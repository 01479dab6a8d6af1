// someip_events: SOME/IP event throughput on loopback, in one run (issue 3 benchmark).
//   (a) a plain sendmmsg loop: the raw UDP ceiling of this machine;
//   (b) ecusim's in-sim generator (SetEventGenerator) to 1 and to 100 real SD subscribers;
//   (c) PublishEvents over gRPC to 1 subscriber.
// The receiver subscribes for real (SubscribeEventgroup, waits for the Ack) and counts
// notifications with recvmmsg, checking the big-endian sequence number in each payload.
// Run it in a private network namespace:
//   tests/in-netns.sh build/default/tests/bench/someip/someip_events [--seconds=2]
#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "ecusim/v1/ecu.grpc.pb.h"
#include "ecusim/v1/someip.grpc.pb.h"
#include "server/ecusim_server.h"
#include "sim/someip/sd_message.h"

namespace {

using namespace ecusim;
using Clock = std::chrono::steady_clock;

constexpr size_t kPayload = 64;
constexpr const char* kEcu = "127.0.0.2";
constexpr uint16_t kServicePort = 30501;
double g_seconds = 2.0;
std::string g_only;  // "", "raw", "generator" or "publish": run only that part

int UdpSocket(const char* addr, uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  int buf = 64 << 20;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  ::inet_pton(AF_INET, addr, &a.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    std::perror("bind");
    std::exit(1);
  }
  return fd;
}

sockaddr_in Addr(const char* addr, uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  ::inet_pton(AF_INET, addr, &a.sin_addr);
  return a;
}

// Counts datagrams on a set of sockets; the sequence number sits at `seq_offset`.
class Receiver {
 public:
  Receiver(std::vector<int> fds, size_t seq_offset) : fds_(std::move(fds)), off_(seq_offset) {
    per_.resize(fds_.size());
    thread_ = std::thread([this] { Loop(); });
  }
  ~Receiver() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  uint64_t received() const { return received_.load(); }
  // Sequence numbers missing between the first and the last seen, over all sockets.
  uint64_t Lost() const {
    uint64_t lost = 0;
    for (const auto& p : per_) {
      if (p.count) lost += (p.max - p.min + 1) - p.count;
    }
    return lost;
  }
  uint64_t Reordered() const {
    uint64_t r = 0;
    for (const auto& p : per_) r += p.reordered;
    return r;
  }

 private:
  struct Per {
    uint64_t min = UINT64_MAX, max = 0, count = 0, last = 0, reordered = 0;
  };
  void Loop() {
    constexpr int kBatch = 256;
    std::vector<std::array<uint8_t, 2048>> bufs(kBatch);
    std::vector<mmsghdr> msgs(kBatch);
    std::vector<iovec> iovs(kBatch);
    std::vector<pollfd> pfds;
    for (int fd : fds_) pfds.push_back({fd, POLLIN, 0});
    while (!stop_) {
      if (::poll(pfds.data(), pfds.size(), 20) <= 0) continue;
      for (size_t i = 0; i < pfds.size(); ++i) {
        if (!(pfds[i].revents & POLLIN)) continue;
        for (;;) {
          for (int k = 0; k < kBatch; ++k) {
            iovs[k] = {bufs[k].data(), bufs[k].size()};
            msgs[k] = {};
            msgs[k].msg_hdr.msg_iov = &iovs[k];
            msgs[k].msg_hdr.msg_iovlen = 1;
          }
          int n = ::recvmmsg(pfds[i].fd, msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
          if (n <= 0) break;
          Per& p = per_[i];
          for (int k = 0; k < n; ++k) {
            if (msgs[k].msg_len < off_ + 8) continue;
            uint64_t seq = 0;
            for (int b = 0; b < 8; ++b) seq = (seq << 8) | bufs[k][off_ + b];
            p.min = std::min(p.min, seq);
            p.max = std::max(p.max, seq);
            if (seq < p.last) ++p.reordered;
            p.last = seq;
            ++p.count;
          }
          received_ += n;
        }
      }
    }
  }
  std::vector<int> fds_;
  size_t off_;
  std::vector<Per> per_;
  std::atomic<uint64_t> received_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

struct Result {
  double sent_per_s = 0;
  double received_per_s = 0;
  uint64_t lost = 0;
};

void Print(const char* name, const Result& r) {
  std::printf("%-46s %10.0f target/s %10.0f received/s  loss %llu\n", name, r.sent_per_s,
              r.received_per_s, static_cast<unsigned long long>(r.lost));
  std::fflush(stdout);
}

// (a) The raw ceiling: 80-byte datagrams (16 + 64, as a notification) with sendmmsg.
Result RawSendmmsg() {
  int rx = UdpSocket("127.0.0.1", 45000);
  int tx = UdpSocket("127.0.0.3", 0);
  Receiver receiver({rx}, 16);
  constexpr int kBatch = 256;
  std::vector<std::array<uint8_t, kPayload + 16>> bufs(kBatch);
  std::vector<mmsghdr> msgs(kBatch);
  std::vector<iovec> iovs(kBatch);
  sockaddr_in to = Addr("127.0.0.1", 45000);
  uint64_t seq = 0, sent = 0;
  auto start = Clock::now();
  auto end = start + std::chrono::duration<double>(g_seconds);
  while (Clock::now() < end) {
    for (int k = 0; k < kBatch; ++k) {
      ++seq;
      for (int b = 0; b < 8; ++b) bufs[k][16 + b] = static_cast<uint8_t>(seq >> (56 - 8 * b));
      iovs[k] = {bufs[k].data(), bufs[k].size()};
      msgs[k] = {};
      msgs[k].msg_hdr.msg_name = &to;
      msgs[k].msg_hdr.msg_namelen = sizeof(to);
      msgs[k].msg_hdr.msg_iov = &iovs[k];
      msgs[k].msg_hdr.msg_iovlen = 1;
    }
    int n = ::sendmmsg(tx, msgs.data(), kBatch, 0);
    if (n > 0) sent += n;
  }
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  receiver.Stop();
  ::close(rx);
  ::close(tx);
  return {sent / secs, receiver.received() / secs, sent - receiver.received()};
}

class Bench {
 public:
  Bench() : server_(MakeSettings()) {
    if (auto s = server_.Start(); !s.ok()) {
      std::fprintf(stderr, "server: %s\n", std::string(s.message()).c_str());
      std::exit(1);
    }
    server_.MarkServing();
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_.grpc_port()),
                                   grpc::InsecureChannelCredentials());
    ecus_ = v1::EcuService::NewStub(channel_);
    someip_ = v1::SomeIpService::NewStub(channel_);
    grpc::ClientContext c1, c2;
    v1::CreateEcuRequest create;
    create.mutable_ecu()->set_id("bench");
    create.mutable_ecu()->set_address(kEcu);
    v1::Ecu ecu;
    Check(ecus_->CreateEcu(&c1, create, &ecu), "CreateEcu");
    v1::StartOfferRequest offer;
    offer.set_ecu_id("bench");
    auto* inst = offer.mutable_instance();
    inst->set_instance_id(1);
    inst->set_endpoint_port(kServicePort);
    inst->mutable_sd_timing()->set_initial_delay_min_ms(1);
    inst->mutable_sd_timing()->set_initial_delay_max_ms(1);
    auto* svc = inst->mutable_service();
    svc->set_id(0x1234);
    svc->set_major_version(1);
    svc->add_events()->set_id(0x8001);
    auto* eg = svc->add_eventgroups();
    eg->set_id(1);
    eg->add_event_ids(0x8001);
    v1::Offer out;
    Check(someip_->StartOffer(&c2, offer, &out), "StartOffer");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }

  static server::Settings MakeSettings() {
    server::Settings s;
    s.grpc_address = "127.0.0.1:0";
    s.metrics_address = "";
    s.shards = 1;
    return s;
  }

  static void Check(const grpc::Status& s, const char* what) {
    if (!s.ok()) {
      std::fprintf(stderr, "%s: %s\n", what, s.error_message().c_str());
      std::exit(1);
    }
  }

  // Sends SubscribeEventgroup (ttl > 0, waits for the Ack) or StopSubscribeEventgroup.
  void SendSubscribe(int sd, uint16_t port, uint32_t ttl) {
    sockaddr_in ecu = Addr(kEcu, 30490);
    {
      someip::SdMessage m;
      someip::Entry e;
      e.type = someip::EntryType::kSubscribeEventgroup;
      e.service_id = 0x1234;
      e.instance_id = 1;
      e.major_version = 1;
      e.ttl = ttl;
      e.eventgroup_id = 1;
      someip::AttachOptions(
          m, e,
          {someip::EndpointOption(asio::ip::make_address("127.0.0.1"), someip::kL4Udp, port)});
      m.entries.push_back(e);
      someip::Bytes b = someip::EncodeSdMessage(m, static_cast<uint16_t>(++sd_session_));
      ::sendto(sd, b.data(), b.size(), 0, reinterpret_cast<sockaddr*>(&ecu), sizeof(ecu));
      if (ttl == 0) return;
      // Wait for the Ack.
      pollfd p{sd, POLLIN, 0};
      bool acked = false;
      while (!acked && ::poll(&p, 1, 2000) > 0) {
        uint8_t buf[1500];
        ssize_t r = ::recv(sd, buf, sizeof(buf), 0);
        auto msg = someip::DecodeSdPayload(someip::ByteSpan(buf + 16, r > 16 ? r - 16 : 0));
        if (msg.ok() && !msg->entries.empty() &&
            msg->entries[0].type == someip::EntryType::kSubscribeEventgroupAck &&
            msg->entries[0].ttl > 0) {
          acked = true;
        }
      }
      if (!acked) {
        std::fprintf(stderr, "no SubscribeEventgroupAck for port %d\n", port);
        std::exit(1);
      }
    }
  }

  // Subscribes `n` receiver sockets (ports 41000+) for real over SD; returns their fds.
  std::vector<int> Subscribe(int n) {
    if (sd_ < 0) sd_ = UdpSocket("127.0.0.1", 30490);
    std::vector<int> fds;
    ports_.clear();
    for (int i = 0; i < n; ++i) {
      uint16_t port = static_cast<uint16_t>(41000 + i);
      fds.push_back(UdpSocket("127.0.0.1", port));
      ports_.push_back(port);
      SendSubscribe(sd_, port, 3600);
    }
    return fds;
  }

  // StopSubscribeEventgroup for every receiver, then closes them.
  void Unsubscribe(std::vector<int>& fds) {
    for (uint16_t port : ports_) SendSubscribe(sd_, port, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    for (int fd : fds) ::close(fd);
    fds.clear();
  }

  void SetGenerator(uint32_t burst, uint32_t period_ms, bool on) {
    grpc::ClientContext c;
    v1::SetEventGeneratorRequest r;
    r.set_ecu_id("bench");
    r.set_service_id(0x1234);
    r.set_instance_id(1);
    r.set_eventgroup_id(1);
    r.set_event_id(0x8001);
    if (on) {
      auto* g = r.mutable_generator();
      g->set_policy(v1::EventGenerator::CYCLIC);
      g->set_period_ms(period_ms);
      g->set_burst(burst);
      g->set_payload_size(kPayload);
    }
    v1::SetEventGeneratorResponse out;
    Check(someip_->SetEventGenerator(&c, r, &out), "SetEventGenerator");
  }

  // (b) The in-sim generator delivering `rate` notifications/s in total to `subscribers`
  // subscribers (events/s = rate / subscribers).
  Result Generator(int subscribers, double rate) {
    std::vector<int> fds = Subscribe(subscribers);
    Receiver receiver(fds, 16);
    double events_per_s = rate / subscribers;
    uint32_t period_ms = 1;
    uint32_t burst = static_cast<uint32_t>(events_per_s / 1000.0);
    if (burst == 0) {  // under 1000 events/s: bursts every 10 ms
      period_ms = 10;
      burst = std::max<uint32_t>(1, static_cast<uint32_t>(events_per_s / 100.0 + 0.5));
    }
    SetGenerator(burst, period_ms, true);
    auto start = Clock::now();
    std::this_thread::sleep_for(std::chrono::duration<double>(g_seconds));
    SetGenerator(0, 0, false);
    double secs = std::chrono::duration<double>(Clock::now() - start).count();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    receiver.Stop();
    Result r{burst * (1000.0 / period_ms) * subscribers, receiver.received() / secs,
             receiver.Lost()};
    Unsubscribe(fds);
    return r;
  }

  // (c) PublishEvents: messages of `per_message` events, as fast as the stream goes.
  Result Publish(int per_message) {
    std::vector<int> fds = Subscribe(1);
    Receiver receiver(fds, 16);
    grpc::ClientContext c;
    v1::PublishEventsResponse response;
    auto writer = someip_->PublishEvents(&c, &response);
    v1::PublishEventsRequest req;
    req.set_ecu_id("bench");
    req.set_service_id(0x1234);
    req.set_instance_id(1);
    std::string payload(kPayload, '\0');
    for (int i = 0; i < per_message; ++i) {
      auto* e = req.add_events();
      e->set_eventgroup_id(1);
      e->set_event_id(0x8001);
    }
    uint64_t seq = 0;
    auto start = Clock::now();
    auto end = start + std::chrono::duration<double>(g_seconds);
    while (Clock::now() < end) {
      for (int i = 0; i < per_message; ++i) {
        ++seq;
        for (int b = 0; b < 8; ++b) payload[b] = static_cast<char>(seq >> (56 - 8 * b));
        req.mutable_events(i)->set_payload(payload);
      }
      if (!writer->Write(req)) break;
      req.clear_ecu_id();
    }
    writer->WritesDone();
    Check(writer->Finish(), "PublishEvents");
    double secs = std::chrono::duration<double>(Clock::now() - start).count();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    receiver.Stop();
    Result r{response.sent() / secs, receiver.received() / secs, receiver.Lost()};
    Unsubscribe(fds);
    return r;
  }

  ~Bench() { server_.Shutdown(); }

 private:
  server::EcusimServer server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::EcuService::Stub> ecus_;
  std::unique_ptr<v1::SomeIpService::Stub> someip_;
  int sd_ = -1;
  std::vector<uint16_t> ports_;
  int sd_session_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--seconds=", 10) == 0) g_seconds = std::atof(argv[i] + 10);
    if (std::strncmp(argv[i], "--only=", 7) == 0) g_only = argv[i] + 7;
  }
  std::printf("someip_events: %zu-byte payloads, %.1f s per run, loopback\n", kPayload, g_seconds);
  Result raw = RawSendmmsg();
  Print("(a) raw sendmmsg loop", raw);
  if (g_only == "raw") return 0;
  Bench bench;
  if (g_only == "publish") {
    Print("(c) PublishEvents over gRPC -> 1 subscriber", bench.Publish(500));
    return 0;
  }
  Result best;
  for (double share : {0.5, 0.7, 0.9, 1.1, 1.3}) {
    double rate = raw.received_per_s * share;
    Result r = bench.Generator(1, rate);
    char name[96];
    std::snprintf(name, sizeof(name), "(b) generator -> 1 subscriber @ %.0f%% of (a)", share * 100);
    Print(name, r);
    if (r.lost == 0 && r.received_per_s > best.received_per_s) best = r;
  }
  Result hundred = bench.Generator(100, raw.received_per_s * 0.5);
  // For the raw loop "target" is what sendmmsg accepted.
  Print("(b) generator -> 100 subscribers (deliveries)", hundred);
  Result hundred_full = bench.Generator(100, raw.received_per_s * 0.8);
  Print("(b) generator -> 100 subscribers @ 80% (deliv.)", hundred_full);
  Result pub = bench.Publish(500);
  Print("(c) PublishEvents over gRPC -> 1 subscriber", pub);
  double ratio = raw.received_per_s > 0 ? best.received_per_s / raw.received_per_s : 0;
  std::printf("ratio (b, best loss-free, 1 subscriber) / (a) = %.2f  [target >= 0.50]\n", ratio);
  std::printf("PublishEvents: %.0f events/s  [target >= 100000]\n", pub.received_per_s);
  return 0;
}
