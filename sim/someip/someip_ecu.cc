#include "sim/someip/someip_ecu.h"

#include <net/if.h>

#include "absl/strings/str_format.h"
#include "asio/ip/multicast.hpp"

namespace ecusim::someip {

struct SomeIpEcu::Socket {
  explicit Socket(asio::io_context& io) : socket(io), buffer(65536) {}
  asio::ip::udp::socket socket;
  std::vector<uint8_t> buffer;
  Endpoint from;
  enum class Kind { kSdUnicast, kSdMulticast, kService } kind = Kind::kService;
  uint16_t port = 0;
};

namespace {

absl::Status Failed(const std::string& what, const asio::error_code& ec) {
  return absl::FailedPreconditionError(what + ": " + ec.message());
}

}  // namespace

SomeIpEcu::SomeIpEcu(ecu::Ecu& ecu, SdServerConfig config)
    : ecu_(ecu),
      reporter_(ecu.hub(), ecu.id()),
      server_(std::move(config), reporter_),
      timer_(ecu.shard().context()),
      generator_timer_(ecu.shard().context()),
      alive_(std::make_shared<bool>(true)) {}

SomeIpEcu::~SomeIpEcu() {
  if (!shut_down_) Shutdown();
}

absl::StatusOr<std::unique_ptr<SomeIpEcu>> SomeIpEcu::Create(ecu::Ecu& ecu,
                                                             const asio::ip::address& group,
                                                             uint16_t sd_port) {
  if (!group.is_multicast()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("SD multicast address %s is not a multicast group", group.to_string()));
  }
  if (group.is_v4() != ecu.address().is_v4()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("SD group %s and ECU address %s are of different families",
                        group.to_string(), ecu.address().to_string()));
  }
  SdServerConfig c;
  c.unicast = ecu.address();
  c.multicast = Endpoint(group, sd_port);
  c.seed = std::hash<std::string>()(ecu.id()) ^
           static_cast<uint64_t>(ecu.hub().clock.Now().time_since_epoch().count());
  std::unique_ptr<SomeIpEcu> e(new SomeIpEcu(ecu, c));
  if (auto s = e->OpenSd(sd_port); !s.ok()) {
    e->shut_down_ = true;
    return s;
  }
  return e;
}

absl::Status SomeIpEcu::OpenSd(uint16_t sd_port) {
  asio::io_context& io = ecu_.shard().context();
  asio::error_code ec;
  const asio::ip::address& addr = ecu_.address();
  const asio::ip::address& group = server_.config().multicast.address();
  auto uni = std::make_shared<Socket>(io);
  uni->kind = Socket::Kind::kSdUnicast;
  uni->socket.open(addr.is_v4() ? asio::ip::udp::v4() : asio::ip::udp::v6(), ec);
  uni->socket.set_option(asio::socket_base::reuse_address(true), ec);
  uni->socket.bind(Endpoint(addr, sd_port), ec);
  if (ec)
    return Failed(absl::StrFormat("cannot bind SD socket %s:%d", addr.to_string(), sd_port), ec);
  // Multicast leaves through the ECU's own address, never the default route.
  if (addr.is_v4()) {
    uni->socket.set_option(asio::ip::multicast::outbound_interface(addr.to_v4()), ec);
  } else {
    unsigned idx = ecu_.identity().interface_name.empty()
                       ? 0
                       : if_nametoindex(ecu_.identity().interface_name.c_str());
    uni->socket.set_option(asio::ip::multicast::outbound_interface(idx), ec);
  }
  if (ec) return Failed("cannot set IP_MULTICAST_IF to " + addr.to_string(), ec);
  uni->socket.set_option(asio::ip::multicast::enable_loopback(true), ec);
  uni->socket.set_option(asio::ip::multicast::hops(1), ec);
  auto multi = std::make_shared<Socket>(io);
  multi->kind = Socket::Kind::kSdMulticast;
  multi->socket.open(group.is_v4() ? asio::ip::udp::v4() : asio::ip::udp::v6(), ec);
  multi->socket.set_option(asio::socket_base::reuse_address(true), ec);
  multi->socket.bind(Endpoint(group, sd_port), ec);
  if (ec) {
    return Failed(absl::StrFormat("cannot bind SD group socket %s:%d", group.to_string(), sd_port),
                  ec);
  }
  if (group.is_v4()) {
    multi->socket.set_option(asio::ip::multicast::join_group(group.to_v4(), addr.to_v4()), ec);
    int off = 0;
    ::setsockopt(multi->socket.native_handle(), IPPROTO_IP, IP_MULTICAST_ALL, &off, sizeof(off));
  } else {
    unsigned idx = ecu_.identity().interface_name.empty()
                       ? 0
                       : if_nametoindex(ecu_.identity().interface_name.c_str());
    multi->socket.set_option(asio::ip::multicast::join_group(group.to_v6(), idx), ec);
  }
  if (ec) {
    return Failed(
        absl::StrFormat("cannot join SD group %s on %s", group.to_string(), addr.to_string()), ec);
  }
  sd_unicast_ = uni;
  sd_multicast_ = multi;
  Receive(uni);
  Receive(multi);
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<SomeIpEcu::Socket>> SomeIpEcu::OpenPort(uint16_t port) {
  auto it = ports_.find(port);
  if (it != ports_.end()) return it->second;
  asio::error_code ec;
  const asio::ip::address& addr = ecu_.address();
  auto s = std::make_shared<Socket>(ecu_.shard().context());
  s->port = port;
  s->socket.open(addr.is_v4() ? asio::ip::udp::v4() : asio::ip::udp::v6(), ec);
  s->socket.bind(Endpoint(addr, port), ec);
  if (ec) {
    return Failed(absl::StrFormat("cannot bind service endpoint %s:%d", addr.to_string(), port),
                  ec);
  }
  if (addr.is_v4()) {
    s->socket.set_option(asio::ip::multicast::outbound_interface(addr.to_v4()), ec);
  }
  s->socket.set_option(asio::socket_base::send_buffer_size(4 << 20), ec);
  s->socket.non_blocking(true, ec);
  ports_[port] = s;
  Receive(s);
  return s;
}

void SomeIpEcu::ReleasePortIfUnused(uint16_t port) {
  if (!server_.InstancesOnPort(port).empty()) return;
  auto it = ports_.find(port);
  if (it == ports_.end()) return;
  asio::error_code ec;
  it->second->socket.close(ec);
  ports_.erase(it);
}

void SomeIpEcu::Receive(std::shared_ptr<Socket> s) {
  std::weak_ptr<bool> alive = alive_;
  Socket& sock = *s;
  sock.socket.async_receive_from(
      asio::buffer(sock.buffer), sock.from,
      [this, alive, s = std::move(s)](const asio::error_code& ec, size_t n) mutable {
        if (alive.expired() || ec == asio::error::operation_aborted || !s->socket.is_open()) {
          return;
        }
        if (!ec) OnDatagram(*s, n);
        Receive(std::move(s));
      });
}

void SomeIpEcu::OnDatagram(Socket& s, size_t n) {
  core::TimePoint now = ecu_.hub().clock.Now();
  ByteSpan data(s.buffer.data(), n);
  Datagrams out;
  switch (s.kind) {
    case Socket::Kind::kSdUnicast:
      server_.OnSdDatagram(now, s.from, false, data, out);
      break;
    case Socket::Kind::kSdMulticast:
      // Our own multicast comes back over loopback: not input.
      if (s.from == Endpoint(ecu_.address(), server_.config().multicast.port())) return;
      server_.OnSdDatagram(now, s.from, true, data, out);
      break;
    case Socket::Kind::kService:
      server_.OnServiceDatagram(now, s.port, s.from, data, out);
      break;
  }
  Dispatch(out);
}

int SomeIpEcu::FdForInstance(InstanceKey key) {
  ServiceInstance* inst =
      server_.Find(static_cast<uint16_t>(key >> 16), static_cast<uint16_t>(key & 0xFFFF));
  if (inst == nullptr) return -1;
  auto it = ports_.find(inst->config().endpoint_port);
  return it == ports_.end() ? -1 : it->second->socket.native_handle();
}

void SomeIpEcu::Dispatch(Datagrams& out) {
  for (Datagram& d : out) {
    asio::error_code ec;
    if (d.from == 0) {
      if (sd_unicast_) sd_unicast_->socket.send_to(asio::buffer(d.bytes), d.to, 0, ec);
    } else {
      ServiceInstance* inst =
          server_.Find(static_cast<uint16_t>(d.from >> 16), static_cast<uint16_t>(d.from & 0xFFFF));
      auto it = inst ? ports_.find(inst->config().endpoint_port) : ports_.end();
      if (it == ports_.end()) continue;
      it->second->socket.send_to(asio::buffer(d.bytes), d.to, 0, ec);
    }
    if (ec) reporter_.CountNotificationDropped("send_error");
  }
  out.clear();
  ArmTimer();
}

void SomeIpEcu::ArmTimer() {
  if (shut_down_) return;
  std::optional<core::TimePoint> next = server_.NextWakeup();
  if (next == timer_at_) return;
  timer_at_ = next;
  timer_.cancel();
  if (!next) return;
  timer_.expires_at(std::chrono::steady_clock::time_point(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(next->time_since_epoch())));
  std::weak_ptr<bool> alive = alive_;
  timer_.async_wait([this, alive](const asio::error_code& ec) {
    if (alive.expired() || ec == asio::error::operation_aborted) return;
    timer_at_.reset();
    Datagrams out;
    server_.OnTimer(ecu_.hub().clock.Now(), out);
    Dispatch(out);
  });
}

absl::Status SomeIpEcu::StartOffer(InstanceConfig config) {
  if (shut_down_) return absl::FailedPreconditionError("the ECU is shutting down");
  uint16_t port = config.endpoint_port;
  bool existed = ports_.count(port) > 0;
  auto sock = OpenPort(port);
  if (!sock.ok()) return sock.status();
  if (auto s = server_.Offer(ecu_.hub().clock.Now(), std::move(config)); !s.ok()) {
    if (!existed) ReleasePortIfUnused(port);
    return s;
  }
  reporter_.metrics().offers->Increment();
  ArmTimer();
  return absl::OkStatus();
}

absl::Status SomeIpEcu::StopOffer(uint16_t service_id, uint16_t instance_id) {
  ServiceInstance* inst = server_.Find(service_id, instance_id);
  uint16_t port = inst ? inst->config().endpoint_port : 0;
  Datagrams out;
  if (auto s = server_.StopOffer(ecu_.hub().clock.Now(), service_id, instance_id, out); !s.ok()) {
    return s;
  }
  reporter_.metrics().offers->Decrement();
  Dispatch(out);
  ReleasePortIfUnused(port);
  ArmGeneratorTimer();
  return absl::OkStatus();
}

absl::StatusOr<ServiceInstance*> SomeIpEcu::Instance(uint16_t service_id, uint16_t instance_id) {
  ServiceInstance* inst = server_.Find(service_id, instance_id);
  if (inst == nullptr) {
    return absl::NotFoundError(absl::StrFormat("ECU %s offers no service 0x%04X instance 0x%04X",
                                               ecu_.id(), service_id, instance_id));
  }
  return inst;
}

void SomeIpEcu::Shutdown() {
  if (shut_down_) return;
  Datagrams out;
  size_t offers = server_.Instances().size();
  server_.StopAll(ecu_.hub().clock.Now(), out);
  reporter_.metrics().offers->Decrement(static_cast<double>(offers));
  Dispatch(out);
  shut_down_ = true;
  asio::error_code ec;
  timer_.cancel();
  generator_timer_.cancel();
  for (auto* s : {&sd_unicast_, &sd_multicast_}) {
    if (*s) (*s)->socket.close(ec);
  }
  for (auto& [port, s] : ports_) s->socket.close(ec);
  ports_.clear();
  alive_.reset();
  if (shutdown_hook_) std::exchange(shutdown_hook_, nullptr)();
}

}  // namespace ecusim::someip
