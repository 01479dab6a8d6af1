// Server TLS for the DoIP TCP_DATA TLS port (ISO 13400-2:2019, port 3496): a configured
// certificate and key, or a self-signed EC P-256 certificate generated at start.
#ifndef ECUSIM_SIM_DOIP_TLS_CONTEXT_H_
#define ECUSIM_SIM_DOIP_TLS_CONTEXT_H_

#include <asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace ecusim::doip {

struct TlsServerContext {
  std::shared_ptr<asio::ssl::context> context;
  // SHA-256 of the DER certificate, hex with colons (what `openssl x509 -fingerprint` shows).
  std::string fingerprint;
  // PEM of the certificate (so tests and clients can pin it).
  std::string certificate_pem;
};

// TLS 1.2 and 1.3. With empty `cert_file`/`key_file` a self-signed certificate with
// CN = `common_name` is generated. Errors: INVALID_ARGUMENT naming the file that failed.
absl::StatusOr<TlsServerContext> MakeTlsServerContext(const std::string& cert_file,
                                                      const std::string& key_file,
                                                      const std::string& common_name);

}  // namespace ecusim::doip

#endif  // ECUSIM_SIM_DOIP_TLS_CONTEXT_H_
