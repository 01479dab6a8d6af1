// One TLS session over OpenSSL memory BIOs: ciphertext in, plaintext out and back, with no
// socket. The transport moves bytes; tests can pump two sessions into each other.
#ifndef ECUSIM_SIM_DIGITAL_OBJECT_TLS_SESSION_H_
#define ECUSIM_SIM_DIGITAL_OBJECT_TLS_SESSION_H_

#include <openssl/ssl.h>

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace ecusim::digital_object {

class TlsSession {
 public:
  enum class Role { kServer, kClient };

  TlsSession(SSL_CTX* ctx, Role role);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  // Takes bytes from the network and appends the application data they complete to
  // `plaintext`. Returns the OpenSSL reason on a failed handshake or a bad record; the
  // session is then unusable (an alert may wait in TakeCiphertext()).
  absl::Status FeedCiphertext(std::string_view in, std::string& plaintext);
  // Encrypts application data. REQUIRES: handshake_done() for a server.
  absl::Status WritePlaintext(std::string_view data);
  // Bytes to send to the peer (handshake, records, alerts).
  std::string TakeCiphertext();
  size_t pending_ciphertext() const;
  // Starts the handshake (client) or sends close_notify (after it).
  absl::Status StartHandshake();
  void SendCloseNotify();

  bool handshake_done() const { return handshake_done_; }
  bool peer_closed() const { return peer_closed_; }
  // "TLSv1.3", "TLSv1.2"; empty before the handshake.
  std::string protocol() const;
  std::string cipher() const;
  // The peer certificate's subject (mutual TLS), or empty.
  std::string peer_subject() const;
  SSL* ssl() const { return ssl_; }

 private:
  absl::Status Advance(std::string& plaintext);

  SSL* ssl_ = nullptr;
  BIO* in_ = nullptr;   // network -> OpenSSL, owned by ssl_
  BIO* out_ = nullptr;  // OpenSSL -> network, owned by ssl_
  bool handshake_done_ = false;
  bool peer_closed_ = false;
  bool failed_ = false;
};

}  // namespace ecusim::digital_object

#endif  // ECUSIM_SIM_DIGITAL_OBJECT_TLS_SESSION_H_
