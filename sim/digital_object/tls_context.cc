#include "sim/digital_object/tls_context.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "asio/ip/address.hpp"

namespace ecusim::digital_object {
namespace {

struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;

constexpr long kValiditySeconds = 365L * 24 * 3600;

std::string Base64Url(const unsigned char* data, size_t n) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = static_cast<uint32_t>(data[i]) << 16;
    if (i + 1 < n) v |= static_cast<uint32_t>(data[i + 1]) << 8;
    if (i + 2 < n) v |= data[i + 2];
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    if (i + 1 < n) out.push_back(kAlphabet[(v >> 6) & 63]);
    if (i + 2 < n) out.push_back(kAlphabet[v & 63]);
  }
  return out;
}

// A big number as unpadded base64url of `width` bytes (0 = minimal), as JWK wants.
std::string BnBase64Url(EVP_PKEY* key, const char* param, int width) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, param, &raw) != 1) return "";
  BnPtr bn(raw);
  const int n = width > 0 ? width : BN_num_bytes(bn.get());
  std::string buf(static_cast<size_t>(n), '\0');
  if (BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(buf.data()), n) != n) return "";
  return Base64Url(reinterpret_cast<const unsigned char*>(buf.data()), buf.size());
}

Json Jwk(EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "EC")) {
    char group[64] = {};
    size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                       &len) != 1 ||
        std::string_view(group) != "prime256v1") {
      return nullptr;
    }
    return Json{{"kty", "EC"},
                {"crv", "P-256"},
                {"x", BnBase64Url(key, OSSL_PKEY_PARAM_EC_PUB_X, 32)},
                {"y", BnBase64Url(key, OSSL_PKEY_PARAM_EC_PUB_Y, 32)}};
  }
  if (EVP_PKEY_is_a(key, "RSA")) {
    return Json{{"kty", "RSA"},
                {"n", BnBase64Url(key, OSSL_PKEY_PARAM_RSA_N, 0)},
                {"e", BnBase64Url(key, OSSL_PKEY_PARAM_RSA_E, 0)}};
  }
  return nullptr;
}

bool AddExtension(X509* cert, int nid, const std::string& value) {
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value.c_str());
  if (!ext) return false;
  const bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

absl::StatusOr<std::pair<X509Ptr, PkeyPtr>> SelfSigned(std::string_view host) {
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return absl::InternalError(OpenSslErrors("EC P-256 key generation failed"));
  X509Ptr cert(X509_new());
  unsigned char serial[16];
  if (!cert || RAND_bytes(serial, sizeof serial) != 1) {
    return absl::InternalError(OpenSslErrors("certificate allocation failed"));
  }
  serial[0] &= 0x7f;  // positive
  BnPtr bn(BN_bin2bn(serial, sizeof serial, nullptr));
  const std::string cn = host.empty() ? std::string("localhost") : std::string(host);
  std::error_code ec;
  asio::ip::make_address(cn, ec);
  const std::string san = absl::StrCat(ec ? "DNS:" : "IP:", cn);
  X509_NAME* name = X509_get_subject_name(cert.get());
  bool ok = X509_set_version(cert.get(), 2) == 1 &&
            BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get())) != nullptr &&
            X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr &&
            X509_gmtime_adj(X509_getm_notAfter(cert.get()), kValiditySeconds) != nullptr &&
            X509_set_pubkey(cert.get(), key.get()) == 1 &&
            X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                       reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                                       0) == 1 &&
            X509_set_issuer_name(cert.get(), name) == 1 &&
            AddExtension(cert.get(), NID_basic_constraints, "critical,CA:FALSE") &&
            AddExtension(cert.get(), NID_subject_alt_name, san) &&
            AddExtension(cert.get(), NID_ext_key_usage, "serverAuth") &&
            X509_sign(cert.get(), key.get(), EVP_sha256()) > 0;
  if (!ok) return absl::InternalError(OpenSslErrors("self-signed certificate failed"));
  return std::make_pair(std::move(cert), std::move(key));
}

bool KeyFileReadable(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f) return false;
  EVP_PKEY* key = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  ERR_clear_error();
  EVP_PKEY_free(key);
  return key != nullptr;
}

}  // namespace

std::string OpenSslErrors(std::string_view fallback) {
  std::string out;
  char buf[256];
  while (unsigned long e = ERR_get_error()) {
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? std::string(fallback) : out;
}

std::string CertificateFingerprint(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (X509_digest(cert, EVP_sha256(), md, &n) != 1) return "";
  std::string out;
  char hex[4];
  for (unsigned int i = 0; i < n; ++i) {
    std::snprintf(hex, sizeof hex, i ? ":%02X" : "%02X", md[i]);
    out += hex;
  }
  return out;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

absl::Status TlsContext::Describe(X509* cert, EVP_PKEY* key) {
  fingerprint_ = CertificateFingerprint(cert);
  char line[512];
  X509_NAME_oneline(X509_get_subject_name(cert), line, sizeof line);
  subject_ = line[0] == '/' ? line + 1 : line;
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) {
    return absl::InternalError(OpenSslErrors("PEM encoding failed"));
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  certificate_pem_.assign(data, static_cast<size_t>(len));
  jwk_ = key ? Jwk(key) : Json(nullptr);
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<TlsContext>> TlsContext::Create(const TlsFiles& files,
                                                               std::string_view host) {
  if (files.cert_file.empty() != files.key_file.empty()) {
    return absl::InvalidArgumentError(
        "tls_cert_file and tls_key_file must be given together (both empty = self-signed)");
  }
  ERR_clear_error();
  std::shared_ptr<TlsContext> self(new TlsContext());
  self->ctx_ = SSL_CTX_new(TLS_server_method());
  if (!self->ctx_) return absl::InternalError(OpenSslErrors("SSL_CTX_new failed"));
  SSL_CTX* ctx = self->ctx_;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (files.cert_file.empty()) {
    auto made = SelfSigned(host);
    if (!made.ok()) return made.status();
    if (SSL_CTX_use_certificate(ctx, made->first.get()) != 1 ||
        SSL_CTX_use_PrivateKey(ctx, made->second.get()) != 1) {
      return absl::InternalError(OpenSslErrors("installing the self-signed certificate failed"));
    }
    self->self_signed_ = true;
    if (absl::Status s = self->Describe(made->first.get(), made->second.get()); !s.ok()) return s;
  } else {
    if (SSL_CTX_use_certificate_chain_file(ctx, files.cert_file.c_str()) != 1) {
      return absl::InvalidArgumentError(absl::StrCat("tls_cert_file \"", files.cert_file,
                                                     "\": ", OpenSslErrors("cannot be read")));
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, files.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      std::string reason = OpenSslErrors("cannot be read");
      if (!KeyFileReadable(files.key_file)) {
        return absl::InvalidArgumentError(
            absl::StrCat("tls_key_file \"", files.key_file, "\": ", reason));
      }
      return absl::InvalidArgumentError(absl::StrCat("tls_key_file \"", files.key_file,
                                                     "\" does not match tls_cert_file \"",
                                                     files.cert_file, "\""));
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
      return absl::InvalidArgumentError(absl::StrCat("tls_key_file \"", files.key_file,
                                                     "\" does not match tls_cert_file \"",
                                                     files.cert_file, "\""));
    }
    if (absl::Status s =
            self->Describe(SSL_CTX_get0_certificate(ctx), SSL_CTX_get0_privatekey(ctx));
        !s.ok()) {
      return s;
    }
  }
  if (!files.client_ca_file.empty()) {
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(files.client_ca_file.c_str());
    if (!names || SSL_CTX_load_verify_locations(ctx, files.client_ca_file.c_str(), nullptr) != 1) {
      if (names) sk_X509_NAME_pop_free(names, X509_NAME_free);
      return absl::InvalidArgumentError(absl::StrCat("tls_client_ca_file \"", files.client_ca_file,
                                                     "\": ", OpenSslErrors("cannot be read")));
    }
    SSL_CTX_set_client_CA_list(ctx, names);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    self->mutual_ = true;
  }
  return self;
}

}  // namespace ecusim::digital_object
