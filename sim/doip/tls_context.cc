#include "sim/doip/tls_context.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_format.h"

namespace ecusim::doip {
namespace {

struct Deleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
template <typename T>
using Owned = std::unique_ptr<T, Deleter>;

std::string BioString(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

// EC P-256 key and a self-signed certificate valid for ten years.
absl::Status GenerateSelfSigned(const std::string& cn, std::string& cert_pem,
                                std::string& key_pem) {
  Owned<EVP_PKEY_CTX> kctx(EVP_PKEY_CTX_new_id(EVP_PKEY_EC, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!kctx || EVP_PKEY_keygen_init(kctx.get()) <= 0 ||
      EVP_PKEY_CTX_set_ec_paramgen_curve_nid(kctx.get(), NID_X9_62_prime256v1) <= 0 ||
      EVP_PKEY_keygen(kctx.get(), &raw) <= 0) {
    return absl::InternalError("generating the EC P-256 TLS key failed");
  }
  Owned<EVP_PKEY> key(raw);
  Owned<X509> cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), static_cast<long>(time(nullptr)));
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 10L * 365 * 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("ecusim"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) {
    return absl::InternalError("signing the self-signed TLS certificate failed");
  }
  Owned<BIO> cbio(BIO_new(BIO_s_mem()));
  Owned<BIO> kbio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(cbio.get(), cert.get());
  PEM_write_bio_PrivateKey(kbio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  cert_pem = BioString(cbio.get());
  key_pem = BioString(kbio.get());
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadFile(const std::string& field, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(absl::StrFormat("%s \"%s\" cannot be read", field, path));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Fingerprint(const std::string& cert_pem) {
  Owned<BIO> bio(BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())));
  Owned<X509> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return "";
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  X509_digest(cert.get(), EVP_sha256(), md, &n);
  std::string out;
  for (unsigned i = 0; i < n; ++i) {
    if (i > 0) out += ':';
    out += absl::StrFormat("%02X", md[i]);
  }
  return out;
}

}  // namespace

absl::StatusOr<TlsServerContext> MakeTlsServerContext(const std::string& cert_file,
                                                      const std::string& key_file,
                                                      const std::string& common_name) {
  std::string cert_pem;
  std::string key_pem;
  if (cert_file.empty() != key_file.empty()) {
    return absl::InvalidArgumentError("tls_cert_file and tls_key_file must be given together");
  }
  if (cert_file.empty()) {
    if (absl::Status s = GenerateSelfSigned(common_name, cert_pem, key_pem); !s.ok()) return s;
  } else {
    absl::StatusOr<std::string> c = ReadFile("tls_cert_file", cert_file);
    if (!c.ok()) return c.status();
    absl::StatusOr<std::string> k = ReadFile("tls_key_file", key_file);
    if (!k.ok()) return k.status();
    cert_pem = *c;
    key_pem = *k;
  }
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                   asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
  asio::error_code ec;
  ctx->use_certificate_chain(asio::buffer(cert_pem), ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrFormat("tls_cert_file \"%s\": %s", cert_file, ec.message()));
  }
  ctx->use_private_key(asio::buffer(key_pem), asio::ssl::context::pem, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrFormat("tls_key_file \"%s\": %s", key_file, ec.message()));
  }
  return TlsServerContext{ctx, Fingerprint(cert_pem), cert_pem};
}

}  // namespace ecusim::doip
