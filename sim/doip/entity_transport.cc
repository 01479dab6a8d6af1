#include "sim/doip/entity_transport.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <asio/ip/address_v4.hpp>

#include "absl/strings/str_format.h"
#include "sim/doip/link.h"

namespace ecusim::doip {

struct EntityTransport::AnnouncementRun {
  explicit AnnouncementRun(asio::io_context& io) : timer(io) {}
  asio::steady_timer timer;
  asio::ip::udp::endpoint target;
  uint32_t remaining = 0;
  core::Duration interval{0};
  std::optional<uint8_t> further_action;
};

asio::ip::address DefaultAnnouncementAddress(const asio::ip::address& address) {
  if (address.is_v6()) return asio::ip::make_address("ff02::1");
  if (address.is_loopback()) return asio::ip::make_address_v4("127.255.255.255");
  ifaddrs* list = nullptr;
  asio::ip::address result = asio::ip::address_v4::broadcast();
  if (getifaddrs(&list) != 0) return result;
  const uint32_t want = address.to_v4().to_uint();
  for (ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
    auto* in = reinterpret_cast<sockaddr_in*>(i->ifa_addr);
    if (ntohl(in->sin_addr.s_addr) != want) continue;
    if ((i->ifa_flags & IFF_BROADCAST) != 0 && i->ifa_broadaddr != nullptr) {
      auto* b = reinterpret_cast<sockaddr_in*>(i->ifa_broadaddr);
      result = asio::ip::address_v4(ntohl(b->sin_addr.s_addr));
    }
    break;
  }
  freeifaddrs(list);
  return result;
}

EntityTransport::EntityTransport(asio::io_context& io, core::Clock& clock,
                                 asio::ip::address address, EntityConfig config,
                                 EntityObserver* observer)
    : io_(io),
      clock_(clock),
      address_(address),
      observer_(observer),
      entity_(std::move(config), observer, std::random_device{}()),
      udp_(io),
      tcp_(io),
      tls_acceptor_(io),
      timer_(io),
      announce_address_(DefaultAnnouncementAddress(address)),
      rng_(std::random_device{}()) {}

EntityTransport::~EntityTransport() { Stop(); }

absl::StatusOr<std::shared_ptr<EntityTransport>> EntityTransport::Start(asio::io_context& io,
                                                                        core::Clock& clock,
                                                                        asio::ip::address address,
                                                                        EntityConfig config,
                                                                        EntityObserver* observer) {
  std::shared_ptr<EntityTransport> t(
      new EntityTransport(io, clock, address, std::move(config), observer));
  if (absl::Status s = t->Bind(); !s.ok()) {
    t->Stop();
    return s;
  }
  t->ReceiveDatagram();
  t->Accept(t->tcp_, false);
  if (t->tls_acceptor_.is_open()) t->Accept(t->tls_acceptor_, true);
  const EntityConfig& c = t->entity_.config();
  // A_DoIP_Announce_Wait: random 0..500 ms before the first announcement.
  const auto wait_max = std::max<int64_t>(0, c.announcement_wait_max.count());
  const core::Duration wait(std::uniform_int_distribution<int64_t>(0, wait_max)(t->rng_));
  if (c.announcement_count > 0) {
    auto run = std::make_shared<AnnouncementRun>(io);
    run->target = t->DefaultAnnouncementTarget(c.udp_port);
    run->remaining = c.announcement_count;
    run->interval = c.announcement_interval;
    t->runs_.push_back(run);
    t->ScheduleAnnouncement(run, wait);
  }
  if (c.periodic_announcement.count() > 0) {
    auto run = std::make_shared<AnnouncementRun>(io);
    run->target = t->DefaultAnnouncementTarget(c.udp_port);
    run->remaining = UINT32_MAX;
    run->interval = c.periodic_announcement;
    t->runs_.push_back(run);
    t->ScheduleAnnouncement(run, c.periodic_announcement);
  }
  return t;
}

absl::Status EntityTransport::Bind() {
  const EntityConfig& c = entity_.config();
  if (!c.announcement_address.empty()) {
    asio::error_code parse;
    announce_address_ = asio::ip::make_address(c.announcement_address, parse);
    if (parse || announce_address_.is_v4() != address_.is_v4()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("announcement_address \"%s\" is not an address of the ECU's family",
                          c.announcement_address));
    }
  }
  auto fail = [this](const char* what, uint16_t port, const asio::error_code& ec) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "cannot bind DoIP %s socket %s:%d: %s", what, address_.to_string(), port, ec.message()));
  };
  asio::error_code ec;
  asio::ip::udp::endpoint uep(address_, c.udp_port);
  udp_.open(uep.protocol(), ec);
  if (!ec) udp_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) udp_.set_option(asio::socket_base::broadcast(true), ec);
  if (!ec) udp_.bind(uep, ec);
  if (ec) return fail("UDP", c.udp_port, ec);
  udp_port_ = udp_.local_endpoint().port();

  auto listen = [&](asio::ip::tcp::acceptor& a, uint16_t port, const char* what) {
    asio::ip::tcp::endpoint ep(address_, port);
    asio::error_code e;
    a.open(ep.protocol(), e);
    if (!e) a.set_option(asio::socket_base::reuse_address(true), e);
    if (!e) a.bind(ep, e);
    if (!e) a.listen(asio::socket_base::max_listen_connections, e);
    if (e) return fail(what, port, e);
    return absl::OkStatus();
  };
  if (absl::Status s = listen(tcp_, c.tcp_port, "TCP"); !s.ok()) return s;
  tcp_port_ = tcp_.local_endpoint().port();
  if (c.tls_mode != TlsMode::kDisabled) {
    absl::StatusOr<TlsServerContext> tls =
        MakeTlsServerContext(c.tls_cert_file, c.tls_key_file, address_.to_string());
    if (!tls.ok()) return tls.status();
    tls_ = std::move(*tls);
    if (absl::Status s = listen(tls_acceptor_, c.tls_port, "TLS"); !s.ok()) return s;
    tls_port_ = tls_acceptor_.local_endpoint().port();
  }
  return absl::OkStatus();
}

void EntityTransport::Stop() {
  if (stopped_) return;
  stopped_ = true;
  asio::error_code ec;
  udp_.close(ec);
  tcp_.close(ec);
  tls_acceptor_.close(ec);
  timer_.cancel();
  for (auto& run : runs_) run->timer.cancel();
  runs_.clear();
  Actions out;
  entity_.CloseAll(clock_.Now(), "entity stopped", out);
  for (auto& [id, link] : links_) link->Abort();
  links_.clear();
}

asio::ip::udp::endpoint EntityTransport::DefaultAnnouncementTarget(uint16_t port) const {
  return asio::ip::udp::endpoint(announce_address_, port);
}

void EntityTransport::ReceiveDatagram() {
  udp_.async_receive_from(asio::buffer(udp_buffer_), udp_peer_,
                          [weak = weak_from_this()](const asio::error_code& ec, size_t n) {
                            auto self = weak.lock();
                            if (!self || self->stopped_ || ec == asio::error::operation_aborted)
                              return;
                            if (!ec) {
                              std::optional<Bytes> reply = self->entity_.OnDatagram(
                                  self->clock_.Now(), ByteSpan(self->udp_buffer_.data(), n));
                              if (reply) self->SendDatagram(self->udp_peer_, std::move(*reply));
                            }
                            self->ReceiveDatagram();
                          });
}

void EntityTransport::SendDatagram(const asio::ip::udp::endpoint& to, Bytes bytes) {
  // Bounded: replies beyond this many in flight are dropped (a flood cannot grow memory).
  if (udp_in_flight_ >= 256) return;
  ++udp_in_flight_;
  auto buf = std::make_shared<Bytes>(std::move(bytes));
  udp_.async_send_to(asio::buffer(*buf), to,
                     [weak = weak_from_this(), buf](const asio::error_code&, size_t) {
                       if (auto self = weak.lock()) --self->udp_in_flight_;
                     });
}

void EntityTransport::ScheduleAnnouncement(std::shared_ptr<AnnouncementRun> run,
                                           core::Duration delay) {
  run->timer.expires_after(delay);
  run->timer.async_wait([weak = weak_from_this(), run](const asio::error_code& ec) {
    auto self = weak.lock();
    if (!self || self->stopped_ || ec) return;
    self->SendDatagram(run->target, self->entity_.Announcement(run->further_action));
    if (self->observer_ != nullptr) {
      self->observer_->OnAnnouncementSent(
          absl::StrFormat("%s:%d", run->target.address().to_string(), run->target.port()),
          run->further_action.value_or(self->entity_.config().further_action));
    }
    if (--run->remaining > 0) {
      self->ScheduleAnnouncement(run, run->interval);
    } else {
      self->runs_.remove(run);
    }
  });
}

void EntityTransport::TriggerAnnouncement(asio::ip::udp::endpoint target, uint32_t count,
                                          core::Duration cycle,
                                          std::optional<uint8_t> further_action) {
  auto run = std::make_shared<AnnouncementRun>(io_);
  run->target = target;
  run->remaining = count;
  run->interval = cycle;
  run->further_action = further_action;
  runs_.push_back(run);
  ScheduleAnnouncement(run, core::Duration(0));
}

void EntityTransport::Accept(asio::ip::tcp::acceptor& acceptor, bool tls) {
  acceptor.async_accept([weak = weak_from_this(), &acceptor, tls](const asio::error_code& ec,
                                                                  asio::ip::tcp::socket socket) {
    auto self = weak.lock();
    if (!self || self->stopped_ || ec == asio::error::operation_aborted) return;
    if (!ec) {
      asio::error_code opt;
      socket.set_option(asio::ip::tcp::no_delay(true), opt);
      auto remote = socket.remote_endpoint(opt);
      const uint64_t id = self->next_link_id_++;
      const size_t max_queue = self->entity_.config().max_send_queue_bytes;
      std::shared_ptr<Link> link =
          tls ? MakeTlsLink(weak, id, std::move(socket), *self->tls_.context, max_queue)
              : MakeTcpLink(weak, id, std::move(socket), max_queue);
      self->links_[id] = link;
      Actions out;
      self->entity_.OnAccept(id, self->clock_.Now(),
                             absl::StrFormat("%s:%d", remote.address().to_string(), remote.port()),
                             tls, out);
      link->Start();
      self->Apply(out);
      self->Rearm();
    }
    self->Accept(acceptor, tls);
  });
}

void EntityTransport::OnLinkData(uint64_t id, ByteSpan data) {
  if (stopped_) return;
  Actions out;
  entity_.OnData(id, clock_.Now(), data, out);
  Apply(out);
  Rearm();
}

void EntityTransport::OnLinkClosed(uint64_t id, const std::string& reason) {
  if (stopped_) return;
  links_.erase(id);
  Actions out;
  entity_.OnClosed(id, clock_.Now(), reason, out);
  Apply(out);
  Rearm();
}

void EntityTransport::Apply(Actions& actions) {
  for (Action& a : actions) {
    switch (a.kind) {
      case Action::Kind::kSend:
        if (auto it = links_.find(a.conn); it != links_.end()) it->second->Send(std::move(a.bytes));
        break;
      case Action::Kind::kClose:
        if (auto it = links_.find(a.conn); it != links_.end()) {
          it->second->CloseAfterWrites();
          links_.erase(it);
        }
        break;
      case Action::Kind::kForward:
        if (forward_ && forward_(a)) {
          break;
        } else {
          Actions more;
          entity_.OnExternalReply(a.request_id, clock_.Now(), std::nullopt, more);
          Apply(more);
        }
        break;
    }
  }
}

void EntityTransport::SetForwardHandler(ForwardHandler handler, const void* owner) {
  forward_ = std::move(handler);
  forward_owner_ = owner;
}

void EntityTransport::ClearForwardHandler(const void* owner) {
  if (forward_owner_ != owner) return;
  forward_ = nullptr;
  forward_owner_ = nullptr;
  Mutate([](Entity& e, core::TimePoint now, Actions& out) {
    e.SetExternalHandler(false, false, {});
    e.ReleaseExternal(now, out);
  });
}

void EntityTransport::ExternalReply(uint64_t request_id, std::optional<Bytes> uds) {
  if (stopped_) return;
  Actions out;
  entity_.OnExternalReply(request_id, clock_.Now(), std::move(uds), out);
  Apply(out);
  Rearm();
}

void EntityTransport::Mutate(const std::function<void(Entity&, core::TimePoint, Actions&)>& fn) {
  Actions out;
  fn(entity_, clock_.Now(), out);
  Apply(out);
  Rearm();
}

void EntityTransport::Rearm() {
  if (stopped_) return;
  std::optional<core::TimePoint> next = entity_.NextDeadline();
  if (!next) return;
  // Only an earlier deadline re-arms; a timer firing early just re-arms for the next one.
  if (armed_ && *armed_ <= *next) return;
  armed_ = next;
  timer_.expires_at(std::chrono::steady_clock::time_point(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(next->time_since_epoch())));
  timer_.async_wait([weak = weak_from_this()](const asio::error_code& ec) {
    auto self = weak.lock();
    if (!self || self->stopped_ || ec == asio::error::operation_aborted) return;
    self->OnTimer();
  });
}

void EntityTransport::OnTimer() {
  armed_.reset();
  Actions out;
  entity_.OnTimer(clock_.Now(), out);
  Apply(out);
  Rearm();
}

}  // namespace ecusim::doip
