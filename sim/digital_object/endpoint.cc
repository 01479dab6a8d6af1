#include "sim/digital_object/endpoint.h"

#include <array>
#include <cstdio>
#include <deque>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "asio/ip/tcp.hpp"
#include "asio/steady_timer.hpp"
#include "asio/write.hpp"
#include "sim/digital_object/endpoint_metrics.h"
#include "sim/digital_object/tls_session.h"

namespace ecusim::digital_object {

class Session;

namespace {

observe::Observation Obs(std::string kind) {
  observe::Observation o;
  o.kind = std::move(kind);
  return o;
}

}  // namespace

struct Endpoint::State : std::enable_shared_from_this<Endpoint::State> {
  State(ecu::Ecu& ecu, EndpointConfig cfg, std::shared_ptr<TlsContext> tls_ctx)
      : ecu_id(ecu.id()),
        address(ecu.address().to_string()),
        resource(absl::StrCat(ecu.ResourceName(), "/digital-objects")),
        context(ecu.shard().context()),
        hub(ecu.hub()),
        config(std::move(cfg)),
        tls(std::move(tls_ctx)),
        processor(ProcessorConfig{}, store),
        metrics(hub.metrics),
        acceptor(context) {}

  void Publish(observe::Observation o) {
    o.ecu_id = ecu_id;
    if (o.resource.empty()) o.resource = resource;
    hub.bus.Publish(std::move(o));
  }
  // Keeps the objects gauge and the snapshot mirror in step with the store.
  void SyncStore();
  void Accept();

  const std::string ecu_id;
  const std::string address;
  const std::string resource;
  asio::io_context& context;
  observe::Hub& hub;
  EndpointConfig config;
  std::shared_ptr<TlsContext> tls;
  ObjectStore store;
  Processor processor;
  EndpointMetrics metrics;
  asio::ip::tcp::acceptor acceptor;
  uint16_t port = 0;
  bool stopped = false;
  std::set<std::shared_ptr<Session>> sessions;
  size_t reported_objects = 0;
  int snapshot_token = 0;
  // Read by the snapshot source from gRPC threads.
  mutable absl::Mutex mirror_mu;
  EndpointInfo mirror ABSL_GUARDED_BY(mirror_mu);
};

// One TLS connection: socket -> TlsSession -> Connection and back.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(std::shared_ptr<Endpoint::State> state, asio::ip::tcp::socket socket)
      : state_(std::move(state)),
        socket_(std::move(socket)),
        timer_(state_->context),
        tls_(state_->tls->ctx(), TlsSession::Role::kServer),
        conn_(state_->processor, state_->config.limits, state_->hub.clock.Now()) {
    std::error_code ec;
    auto remote = socket_.remote_endpoint(ec);
    peer_ = ec ? "unknown" : absl::StrCat(remote.address().to_string(), ":", remote.port());
  }

  void Start() {
    ArmTimer(state_->config.handshake_timeout);
    Read();
  }

  // Sends close_notify and closes once it is written.
  void Stop() {
    if (closing_) return;
    tls_.SendCloseNotify();
    CloseAfterFlush();
  }

 private:
  void Read() {
    if (reading_ || closing_ || close_after_flush_ || pending_ > state_->config.max_pending_output)
      return;
    reading_ = true;
    socket_.async_read_some(asio::buffer(buffer_),
                            [self = shared_from_this()](std::error_code ec, size_t n) {
                              self->reading_ = false;
                              self->OnRead(ec, n);
                            });
  }

  void OnRead(std::error_code ec, size_t n) {
    if (closing_) return;
    if (ec) {
      if (!tls_.handshake_done()) {
        Fail("tls.handshake_failed", "peer closed during the handshake", true);
        return;
      }
      Handle(conn_.OnEndOfInput());
      Close();
      return;
    }
    std::string plaintext;
    const bool was_done = tls_.handshake_done();
    absl::Status s = tls_.FeedCiphertext(std::string_view(buffer_.data(), n), plaintext);
    if (!s.ok()) {
      Fail(was_done ? "tls.error" : "tls.handshake_failed", std::string(s.message()), !was_done);
      return;
    }
    if (!was_done && tls_.handshake_done()) OnHandshake();
    if (!plaintext.empty()) Handle(conn_.OnInput(state_->hub.clock.Now(), plaintext));
    if (tls_.peer_closed() && !closing_) {
      Handle(conn_.OnEndOfInput());
      Stop();
    }
    Flush();
    Read();
  }

  void OnHandshake() {
    ArmTimer(conn_.deadline() - state_->hub.clock.Now());
    if (!state_->hub.bus.HasWatchers()) return;
    state_->Publish(Obs("dobj.connection.opened")
                        .With("peer", peer_)
                        .With("protocol", tls_.protocol())
                        .With("cipher", tls_.cipher())
                        .With("client_subject", tls_.peer_subject()));
  }

  // Turns a connection's output into records, metrics and observations.
  void Handle(const ConnectionOutput& out) {
    if (out.framing_error != FramingError::kNone) {
      state_->metrics.Framing(out.framing_error).Increment();
    }
    for (const RequestRecord& r : out.requests) {
      state_->metrics.Request(r.operation, r.status).Increment();
      if (r.store_changed) state_->SyncStore();
      if (!state_->hub.bus.HasWatchers()) continue;
      observe::Observation o = Obs("dobj.request");
      if (!r.object_id.empty()) o.resource = absl::StrCat(state_->resource, "/", r.object_id);
      o.With("operation", r.operation_id)
          .With("status", r.status)
          .With("target", r.target_id)
          .With("request_id", r.request_id)
          .With("peer", peer_);
      if (r.status == kStatusBadRequest && !out.bad_request.empty()) {
        o.With("message", out.bad_request);
      }
      state_->Publish(std::move(o));
    }
    if (!out.bytes.empty()) {
      if (absl::Status s = tls_.WritePlaintext(out.bytes); !s.ok()) {
        Fail("tls.error", std::string(s.message()), false);
        return;
      }
    }
    if (out.close) {
      tls_.SendCloseNotify();
      CloseAfterFlush();
    } else {
      ArmTimer(conn_.deadline() - state_->hub.clock.Now());
    }
  }

  void Fail(const char* kind, const std::string& reason, bool handshake) {
    (handshake ? state_->metrics.handshake_failures : state_->metrics.tls_errors).Increment();
    if (state_->hub.bus.HasWatchers()) {
      state_->Publish(Obs(absl::StrCat("dobj.", kind)).With("peer", peer_).With("reason", reason));
    }
    // Send the alert OpenSSL queued, if any, then close.
    CloseAfterFlush();
  }

  void ArmTimer(core::Duration after) {
    if (after < core::Duration::zero()) after = core::Duration::zero();
    timer_.expires_after(after);
    timer_.async_wait([self = shared_from_this()](std::error_code ec) {
      if (!ec) self->OnTimer();
    });
  }

  void OnTimer() {
    if (closing_) return;
    if (!tls_.handshake_done()) {
      Fail("tls.handshake_failed", "handshake timed out", true);
      return;
    }
    const core::TimePoint now = state_->hub.clock.Now();
    if (now < conn_.deadline()) {
      ArmTimer(conn_.deadline() - now);
      return;
    }
    Handle(conn_.OnTimer(now));
    Flush();
  }

  void Flush() {
    std::string bytes = tls_.TakeCiphertext();
    if (!bytes.empty()) {
      pending_ += bytes.size();
      queue_.push_back(std::move(bytes));
    }
    if (writing_ || queue_.empty()) {
      if (!writing_ && close_after_flush_) Close();
      return;
    }
    writing_ = true;
    asio::async_write(socket_, asio::buffer(queue_.front()),
                      [self = shared_from_this()](std::error_code ec, size_t) {
                        self->writing_ = false;
                        self->pending_ -= self->queue_.front().size();
                        self->queue_.pop_front();
                        if (ec) {
                          self->Close();
                          return;
                        }
                        self->Flush();
                        self->Read();
                      });
  }

  void CloseAfterFlush() {
    close_after_flush_ = true;
    Flush();
  }

  void Close() {
    if (closing_) return;
    closing_ = true;
    std::error_code ec;
    timer_.cancel();
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    state_->metrics.connections_open.Decrement();
    if (state_->hub.bus.HasWatchers()) {
      state_->Publish(Obs("dobj.connection.closed").With("peer", peer_));
    }
    // Last: this may destroy *this once the pending handlers have run.
    state_->sessions.erase(shared_from_this());
  }

  std::shared_ptr<Endpoint::State> state_;
  asio::ip::tcp::socket socket_;
  asio::steady_timer timer_;
  TlsSession tls_;
  Connection conn_;
  std::string peer_;
  std::array<char, 16384> buffer_;
  std::deque<std::string> queue_;
  size_t pending_ = 0;
  bool reading_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool close_after_flush_ = false;
};

void Endpoint::State::SyncStore() {
  const size_t n = store.size();
  metrics.objects.Increment(static_cast<double>(n) - static_cast<double>(reported_objects));
  reported_objects = n;
  absl::MutexLock lock(&mirror_mu);
  mirror.objects = n;
  mirror.connections = sessions.size();
}

void Endpoint::State::Accept() {
  acceptor.async_accept(
      [self = shared_from_this()](std::error_code ec, asio::ip::tcp::socket socket) {
        if (self->stopped || ec == asio::error::operation_aborted) return;
        if (!ec) {
          if (self->sessions.size() >= self->config.max_connections) {
            self->metrics.connections_refused.Increment();
            std::error_code ignored;
            socket.close(ignored);
          } else {
            self->metrics.connections.Increment();
            self->metrics.connections_open.Increment();
            auto session = std::make_shared<Session>(self, std::move(socket));
            self->sessions.insert(session);
            session->Start();
          }
        }
        self->Accept();
      });
}

namespace {

EndpointInfo MakeInfo(const Endpoint::State& s);

}  // namespace

absl::Status ValidateEndpointConfig(const EndpointConfig& config, std::string_view path) {
  const std::string p(path);
  if (config.tls.cert_file.empty() != config.tls.key_file.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(p, ".tls_cert_file and ", p, ".tls_key_file must be given together (cert \"",
                     config.tls.cert_file, "\", key \"", config.tls.key_file, "\")"));
  }
  for (size_t i = 0; i < config.credentials.size(); ++i) {
    const Credential& c = config.credentials[i];
    if (c.token.empty() && c.username.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(p, ".credentials[", i, "] needs a username (with password) or a token"));
    }
    if (!c.token.empty() && !c.username.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          p, ".credentials[", i, "] has both a token and a username; give one of them"));
    }
  }
  for (size_t i = 0; i < config.operations.size(); ++i) {
    const ExtendedOperation& op = config.operations[i];
    if (op.operation_id.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(p, ".operations[", i, "].operation_id must not be empty"));
    }
    if (!op.status.starts_with("0.DOIP/Status.")) {
      return absl::InvalidArgumentError(absl::StrCat(p, ".operations[", i, "].status \"", op.status,
                                                     "\" is not a 0.DOIP/Status.NNN identifier"));
    }
  }
  std::set<std::string, std::less<>> ids;
  for (size_t i = 0; i < config.objects.size(); ++i) {
    const DigitalObject& o = config.objects[i];
    if (o.id.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(p, ".objects[", i, "].id must not be empty"));
    }
    if (!ids.insert(o.id).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(p, ".objects[", i, "].id \"", o.id, "\" is used twice"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Endpoint>> Endpoint::Start(ecu::Ecu& ecu, EndpointConfig config) {
  if (absl::Status s = ValidateEndpointConfig(config, "endpoint"); !s.ok()) return s;
  if (config.service_id.empty()) config.service_id = absl::StrCat(ecu.id(), "/service");
  auto tls = TlsContext::Create(config.tls, ecu.address().to_string());
  if (!tls.ok()) return tls.status();
  auto state = std::make_shared<State>(ecu, std::move(config), std::move(*tls));
  asio::ip::tcp::endpoint where(ecu.address(), state->config.port);
  std::error_code ec;
  state->acceptor.open(where.protocol(), ec);
  if (!ec) state->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) state->acceptor.bind(where, ec);
  if (!ec) state->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::FailedPreconditionError(absl::StrCat("cannot listen on ", state->address, ":",
                                                      state->config.port, ": ", ec.message()));
  }
  state->port = state->acceptor.local_endpoint().port();

  ProcessorConfig& pc = state->processor.mutable_config();
  pc.service = ServiceInfo{state->config.service_id, state->address, state->port,
                           state->tls->public_key_jwk()};
  pc.credentials = state->config.credentials;
  pc.operations = state->config.operations;
  pc.max_objects = state->config.max_objects;
  for (const DigitalObject& o : state->config.objects) state->store.Put(o);
  {
    absl::MutexLock lock(&state->mirror_mu);
    state->mirror = MakeInfo(*state);
  }
  state->SyncStore();
  state->metrics.endpoints.Increment();
  std::weak_ptr<State> weak = state;
  state->snapshot_token = state->hub.bus.AddSnapshotSource([weak](auto& out) {
    auto s = weak.lock();
    if (!s) return;
    absl::MutexLock lock(&s->mirror_mu);
    observe::Observation o = Obs("dobj.endpoint");
    o.ecu_id = s->ecu_id;
    o.resource = s->resource;
    o.snapshot = true;
    o.With("port", std::to_string(s->mirror.port))
        .With("service_id", s->mirror.service_id)
        .With("certificate_sha256", s->mirror.certificate_sha256)
        .With("objects", std::to_string(s->mirror.objects));
    out.push_back(std::move(o));
  });
  std::fprintf(stderr,
               "ecusim: DOIP v2 endpoint %s on %s:%u (TLS, %s certificate %s, SHA-256 %s)\n",
               state->config.service_id.c_str(), state->address.c_str(), state->port,
               state->tls->self_signed() ? "self-signed" : "configured",
               state->tls->subject().c_str(), state->tls->fingerprint_sha256().c_str());
  state->Publish(Obs("dobj.endpoint.started")
                     .With("port", std::to_string(state->port))
                     .With("service_id", state->config.service_id)
                     .With("certificate_sha256", state->tls->fingerprint_sha256()));
  state->Accept();
  return std::unique_ptr<Endpoint>(new Endpoint(std::move(state)));
}

Endpoint::~Endpoint() { Shutdown(); }

void Endpoint::Shutdown() {
  State& s = *state_;
  if (s.stopped) return;
  s.stopped = true;
  std::error_code ec;
  s.acceptor.close(ec);
  // Stop() may remove the session from the set at once.
  std::vector<std::shared_ptr<Session>> sessions(s.sessions.begin(), s.sessions.end());
  for (auto& session : sessions) session->Stop();
  s.hub.bus.RemoveSnapshotSource(s.snapshot_token);
  s.metrics.objects.Decrement(static_cast<double>(s.reported_objects));
  s.reported_objects = 0;
  s.metrics.endpoints.Decrement();
  s.Publish(Obs("dobj.endpoint.stopped").With("port", std::to_string(s.port)));
}

namespace {

EndpointInfo MakeInfo(const Endpoint::State& s) {
  EndpointInfo info;
  info.ecu_id = s.ecu_id;
  info.address = s.address;
  info.port = s.port;
  info.service_id = s.config.service_id;
  info.certificate_sha256 = s.tls->fingerprint_sha256();
  info.certificate_subject = s.tls->subject();
  info.certificate_pem = s.tls->certificate_pem();
  info.self_signed = s.tls->self_signed();
  info.mutual_tls = s.tls->requires_client_certificate();
  info.objects = s.store.size();
  info.connections = s.sessions.size();
  return info;
}

}  // namespace

EndpointInfo Endpoint::Info() const { return MakeInfo(*state_); }
const EndpointConfig& Endpoint::config() const { return state_->config; }
ObjectStore& Endpoint::store() { return state_->store; }
void Endpoint::NotifyStoreChanged() { state_->SyncStore(); }

}  // namespace ecusim::digital_object
