// The TLS server context of a DOIP v2 endpoint (OpenSSL, TLS 1.2 or later). DOIP v2 always
// runs over TLS; with no certificate configured a self-signed EC P-256 certificate is made
// at start and its key stays in memory, as doip_sdk's DOIPServer and the CNRI
// AutoSelfSignedKeyManager do.
#ifndef ECUSIM_SIM_DIGITAL_OBJECT_TLS_CONTEXT_H_
#define ECUSIM_SIM_DIGITAL_OBJECT_TLS_CONTEXT_H_

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "sim/digital_object/json_util.h"

namespace ecusim::digital_object {

struct TlsFiles {
  // PEM. Both empty = self-signed; one without the other is an error.
  std::string cert_file;
  std::string key_file;
  // PEM CA bundle; when set, clients must present a certificate it signed (mutual TLS).
  std::string client_ca_file;
};

class TlsContext {
 public:
  // `host` is the subject CN (and subjectAltName, as IP or DNS) of a self-signed
  // certificate. INVALID_ARGUMENT naming the file and OpenSSL's reason when a configured
  // file cannot be used.
  static absl::StatusOr<std::shared_ptr<TlsContext>> Create(const TlsFiles& files,
                                                            std::string_view host);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  SSL_CTX* ctx() const { return ctx_; }
  bool self_signed() const { return self_signed_; }
  bool requires_client_certificate() const { return mutual_; }
  // SHA-256 of the leaf certificate's DER, upper-case hex pairs joined by ':'
  // (as `openssl x509 -fingerprint -sha256` prints it).
  const std::string& fingerprint_sha256() const { return fingerprint_; }
  // One-line subject, e.g. "CN=127.0.0.11".
  const std::string& subject() const { return subject_; }
  const std::string& certificate_pem() const { return certificate_pem_; }
  // The public key as a JWK (EC or RSA), the form Cordra puts in Hello; null otherwise.
  const Json& public_key_jwk() const { return jwk_; }

 private:
  TlsContext() = default;
  absl::Status Describe(X509* cert, EVP_PKEY* key);

  SSL_CTX* ctx_ = nullptr;
  bool self_signed_ = false;
  bool mutual_ = false;
  std::string fingerprint_;
  std::string subject_;
  std::string certificate_pem_;
  Json jwk_;
};

// The SHA-256 fingerprint of a DER certificate in TlsContext's format.
std::string CertificateFingerprint(X509* cert);

// The OpenSSL error queue as text (and cleared); `fallback` when empty.
std::string OpenSslErrors(std::string_view fallback);

}  // namespace ecusim::digital_object

#endif  // ECUSIM_SIM_DIGITAL_OBJECT_TLS_CONTEXT_H_
