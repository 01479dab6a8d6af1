#include "sim/digital_object/tls_session.h"

#include <openssl/err.h>

#include "absl/strings/str_cat.h"
#include "sim/digital_object/tls_context.h"

namespace ecusim::digital_object {

TlsSession::TlsSession(SSL_CTX* ctx, Role role) {
  ssl_ = SSL_new(ctx);
  in_ = BIO_new(BIO_s_mem());
  out_ = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl_, in_, out_);
  if (role == Role::kServer) {
    SSL_set_accept_state(ssl_);
  } else {
    SSL_set_connect_state(ssl_);
  }
}

TlsSession::~TlsSession() { SSL_free(ssl_); }

absl::Status TlsSession::StartHandshake() {
  std::string ignored;
  return Advance(ignored);
}

absl::Status TlsSession::FeedCiphertext(std::string_view in, std::string& plaintext) {
  if (failed_) return absl::FailedPreconditionError("TLS session already failed");
  size_t pos = 0;
  while (pos < in.size()) {
    const int n = BIO_write(in_, in.data() + pos, static_cast<int>(in.size() - pos));
    if (n <= 0) return absl::InternalError("BIO_write failed");
    pos += static_cast<size_t>(n);
  }
  return Advance(plaintext);
}

absl::Status TlsSession::Advance(std::string& plaintext) {
  ERR_clear_error();
  if (!handshake_done_) {
    const int r = SSL_do_handshake(ssl_);
    if (r != 1) {
      const int err = SSL_get_error(ssl_, r);
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return absl::OkStatus();
      failed_ = true;
      return absl::UnavailableError(
          absl::StrCat("TLS handshake failed: ", OpenSslErrors("peer closed or bad record")));
    }
    handshake_done_ = true;
  }
  char buf[16384];
  for (;;) {
    const int r = SSL_read(ssl_, buf, sizeof buf);
    if (r > 0) {
      plaintext.append(buf, static_cast<size_t>(r));
      continue;
    }
    const int err = SSL_get_error(ssl_, r);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return absl::OkStatus();
    if (err == SSL_ERROR_ZERO_RETURN) {
      peer_closed_ = true;
      return absl::OkStatus();
    }
    failed_ = true;
    return absl::UnavailableError(absl::StrCat("TLS error: ", OpenSslErrors("bad record")));
  }
}

absl::Status TlsSession::WritePlaintext(std::string_view data) {
  if (failed_) return absl::FailedPreconditionError("TLS session already failed");
  ERR_clear_error();
  size_t pos = 0;
  // Memory BIOs grow, so SSL_write only stops on a real error.
  while (pos < data.size()) {
    const int r = SSL_write(ssl_, data.data() + pos, static_cast<int>(data.size() - pos));
    if (r <= 0) {
      failed_ = true;
      return absl::UnavailableError(absl::StrCat("TLS write failed: ", OpenSslErrors("SSL_write")));
    }
    pos += static_cast<size_t>(r);
  }
  return absl::OkStatus();
}

std::string TlsSession::TakeCiphertext() {
  std::string out;
  const size_t n = BIO_ctrl_pending(out_);
  if (n == 0) return out;
  out.resize(n);
  const int r = BIO_read(out_, out.data(), static_cast<int>(n));
  out.resize(r > 0 ? static_cast<size_t>(r) : 0);
  return out;
}

size_t TlsSession::pending_ciphertext() const { return BIO_ctrl_pending(out_); }

void TlsSession::SendCloseNotify() {
  if (handshake_done_ && !failed_) SSL_shutdown(ssl_);
}

std::string TlsSession::protocol() const { return handshake_done_ ? SSL_get_version(ssl_) : ""; }

std::string TlsSession::cipher() const {
  const SSL_CIPHER* c = SSL_get_current_cipher(ssl_);
  return c ? SSL_CIPHER_get_name(c) : "";
}

std::string TlsSession::peer_subject() const {
  X509* cert = SSL_get1_peer_certificate(ssl_);
  if (!cert) return "";
  char line[512];
  X509_NAME_oneline(X509_get_subject_name(cert), line, sizeof line);
  X509_free(cert);
  return line[0] == '/' ? line + 1 : line;
}

}  // namespace ecusim::digital_object
