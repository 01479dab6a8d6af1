// One TCP_DATA connection's I/O (plain TCP or TLS): a read loop with a fixed buffer feeding the
// transport, a bounded send queue written in order, close after the queued writes.
#ifndef ECUSIM_SIM_DOIP_LINK_H_
#define ECUSIM_SIM_DOIP_LINK_H_

#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "sim/doip/doip_message.h"

namespace ecusim::doip {

class EntityTransport;

class Link {
 public:
  virtual ~Link() = default;
  // Starts the TLS handshake (if any) and the read loop.
  virtual void Start() = 0;
  // Queues bytes; a queue above its limit closes the connection as stuck.
  virtual void Send(Bytes bytes) = 0;
  // Closes once the queued bytes are written.
  virtual void CloseAfterWrites() = 0;
  virtual void Abort() = 0;
};

std::shared_ptr<Link> MakeTcpLink(std::weak_ptr<EntityTransport> owner, uint64_t id,
                                  asio::ip::tcp::socket socket, size_t max_queue);
std::shared_ptr<Link> MakeTlsLink(std::weak_ptr<EntityTransport> owner, uint64_t id,
                                  asio::ip::tcp::socket socket, asio::ssl::context& context,
                                  size_t max_queue);

}  // namespace ecusim::doip

#endif  // ECUSIM_SIM_DOIP_LINK_H_
