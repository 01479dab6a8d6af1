#include "sim/doip/link.h"

#include <array>
#include <asio/read.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/write.hpp>
#include <vector>

#include "sim/doip/entity_transport.h"

namespace ecusim::doip {
namespace {

template <typename Stream>
class StreamLink : public Link, public std::enable_shared_from_this<StreamLink<Stream>> {
 public:
  template <typename... Args>
  StreamLink(std::weak_ptr<EntityTransport> owner, uint64_t id, size_t max_queue, Args&&... args)
      : owner_(std::move(owner)),
        id_(id),
        max_queue_(max_queue),
        stream_(std::forward<Args>(args)...) {}

  void Start() override {
    if constexpr (kTls) {
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](const asio::error_code& ec) {
                                if (ec)
                                  return self->Failed("TLS handshake failed: " + ec.message());
                                self->Read();
                              });
    } else {
      Read();
    }
  }

  void Send(Bytes bytes) override {
    if (closed_ || closing_) return;
    queued_ += bytes.size();
    if (queued_ > max_queue_) return Failed("send queue above its limit (peer not reading)");
    if (pending_.empty()) {
      pending_ = std::move(bytes);
    } else {
      pending_.insert(pending_.end(), bytes.begin(), bytes.end());
    }
    if (!writing_) WriteNext();
  }

  void CloseAfterWrites() override {
    closing_ = true;
    if (!writing_) Abort();
  }

  void Abort() override {
    if (closed_) return;
    closed_ = true;
    asio::error_code ec;
    Socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    Socket().close(ec);
  }

 private:
  static constexpr bool kTls = !std::is_same_v<Stream, asio::ip::tcp::socket>;

  asio::ip::tcp::socket& Socket() {
    if constexpr (kTls) {
      return stream_.next_layer();
    } else {
      return stream_;
    }
  }

  void Read() {
    if (closed_) return;
    stream_.async_read_some(asio::buffer(buffer_), [self = this->shared_from_this()](
                                                       const asio::error_code& ec, size_t n) {
      if (self->closed_) return;
      if (ec) {
        return self->Failed(ec == asio::error::eof ? "peer closed" : ec.message());
      }
      if (auto owner = self->owner_.lock()) {
        owner->OnLinkData(self->id_, ByteSpan(self->buffer_.data(), n));
      }
      self->Read();
    });
  }

  void WriteNext() {
    if (closed_) return;
    if (pending_.empty()) {
      writing_ = false;
      if (closing_) Abort();
      return;
    }
    writing_ = true;
    writing_buffer_.swap(pending_);
    pending_.clear();
    asio::async_write(stream_, asio::buffer(writing_buffer_),
                      [self = this->shared_from_this()](const asio::error_code& ec, size_t n) {
                        self->queued_ -= std::min(self->queued_, self->writing_buffer_.size());
                        self->writing_buffer_.clear();
                        if (ec) return self->Failed(ec.message());
                        self->WriteNext();
                      });
  }

  void Failed(const std::string& reason) {
    if (closed_) return;
    Abort();
    if (auto owner = owner_.lock()) owner->OnLinkClosed(id_, reason);
  }

  std::weak_ptr<EntityTransport> owner_;
  const uint64_t id_;
  const size_t max_queue_;
  Stream stream_;
  std::array<uint8_t, 16384> buffer_{};
  Bytes pending_;
  Bytes writing_buffer_;
  size_t queued_ = 0;
  bool writing_ = false;
  bool closing_ = false;
  bool closed_ = false;
};

}  // namespace

std::shared_ptr<Link> MakeTcpLink(std::weak_ptr<EntityTransport> owner, uint64_t id,
                                  asio::ip::tcp::socket socket, size_t max_queue) {
  return std::make_shared<StreamLink<asio::ip::tcp::socket>>(std::move(owner), id, max_queue,
                                                             std::move(socket));
}

std::shared_ptr<Link> MakeTlsLink(std::weak_ptr<EntityTransport> owner, uint64_t id,
                                  asio::ip::tcp::socket socket, asio::ssl::context& context,
                                  size_t max_queue) {
  return std::make_shared<StreamLink<asio::ssl::stream<asio::ip::tcp::socket>>>(
      std::move(owner), id, max_queue, std::move(socket), context);
}

}  // namespace ecusim::doip
