// The DOIP v2 TLS endpoint over real sockets on loopback (private network namespace), with an
// OpenSSL client: handshake, certificate, requests, failures and their counters.
#include "sim/digital_object/endpoint.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <prometheus/text_serializer.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <future>
#include <string>

#include "sim/digital_object/segment_codec.h"
#include "sim/digital_object/tls_context.h"

namespace ecusim::digital_object {
namespace {

using ::testing::HasSubstr;

class EndpointTest : public ::testing::Test {
 protected:
  EndpointTest() : shards_(1) {
    shards_.Start();
    ecu::EcuIdentity identity;
    identity.id = "brake";
    identity.address = "127.0.0.1";
    ecu_ = std::make_unique<ecu::Ecu>(identity, asio::ip::make_address("127.0.0.1"),
                                      shards_.shard(0), hub_);
  }
  ~EndpointTest() override {
    std::promise<void> done;
    shards_.shard(0).Post([&] {
      ecu_->ShutdownAll();
      done.set_value();
    });
    done.get_future().wait();
    shards_.Stop();
  }

  template <typename Fn>
  auto OnShard(Fn fn) {
    std::packaged_task<decltype(fn())()> task(std::move(fn));
    auto f = task.get_future();
    shards_.shard(0).Post([&task] { task(); });
    return f.get();
  }

  absl::StatusOr<EndpointInfo> Start(EndpointConfig config) {
    return OnShard([&]() -> absl::StatusOr<EndpointInfo> {
      auto ep = Endpoint::Start(*ecu_, std::move(config));
      if (!ep.ok()) return ep.status();
      EndpointInfo info = (*ep)->Info();
      ecu_->set_component(std::string(kComponentKey), std::move(*ep));
      return info;
    });
  }

  double Metric(const std::string& name) {
    prometheus::TextSerializer text;
    std::string all = text.Serialize(hub_.metrics.registry()->Collect());
    double sum = 0;
    size_t pos = 0;
    while ((pos = all.find("\n" + name, pos)) != std::string::npos) {
      size_t eol = all.find('\n', pos + 1);
      std::string line = all.substr(pos + 1, eol - pos - 1);
      if (line[name.size()] == ' ' || line[name.size()] == '{') {
        sum += std::stod(line.substr(line.rfind(' ') + 1));
      }
      pos = eol;
    }
    return sum;
  }

  observe::Hub hub_;
  core::ShardPool shards_;
  std::unique_ptr<ecu::Ecu> ecu_;
};

int Connect(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// A blocking TLS client like doip_sdk's: no certificate verification.
struct Client {
  explicit Client(uint16_t port, const std::string& cert = "", const std::string& key = "") {
    ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    if (!cert.empty()) {
      SSL_CTX_use_certificate_file(ctx, cert.c_str(), SSL_FILETYPE_PEM);
      SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM);
    }
    fd = Connect(port);
    ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    connected = SSL_connect(ssl) == 1;
  }
  ~Client() {
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    if (fd >= 0) close(fd);
  }
  // Sends one message and reads until one full response message arrived (or EOF).
  std::vector<Segment> Exchange(const std::string& wire, bool* eof = nullptr) {
    SSL_write(ssl, wire.data(), static_cast<int>(wire.size()));
    return ReadMessage(eof);
  }
  std::vector<Segment> ReadMessage(bool* eof = nullptr) {
    std::vector<Segment> segments;
    char buf[4096];
    for (;;) {
      int n = SSL_read(ssl, buf, sizeof buf);
      if (n <= 0) {
        if (eof) *eof = true;
        return segments;
      }
      std::vector<DecodeEvent> events;
      EXPECT_TRUE(decoder.Feed(std::string_view(buf, n), events).ok());
      for (auto& e : events) {
        if (e.type == DecodeEvent::Type::kMessageEnd) return segments;
        segments.push_back(e.segment);
      }
    }
  }
  std::string PeerFingerprint() {
    X509* cert = SSL_get1_peer_certificate(ssl);
    std::string fp = cert ? CertificateFingerprint(cert) : "";
    X509_free(cert);
    return fp;
  }
  SSL_CTX* ctx = nullptr;
  SSL* ssl = nullptr;
  int fd = -1;
  bool connected = false;
  SegmentDecoder decoder;
};

std::string Hello(const std::string& request_id = "1") {
  return EncodeMessage(
      {Segment{Segment::Type::kJson,
               "{\"requestId\":\"" + request_id + "\",\"operationId\":\"0.DOIP/Op.Hello\"}"}});
}

TEST_F(EndpointTest, SelfSignedCertificateAndHelloOverTls12Plus) {
  EndpointConfig config;
  config.port = 0;
  auto info = Start(config);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_TRUE(info->self_signed);
  EXPECT_EQ(info->certificate_subject, "CN=127.0.0.1");
  EXPECT_EQ(info->service_id, "brake/service");
  Client c(info->port);
  ASSERT_TRUE(c.connected);
  EXPECT_GE(SSL_version(c.ssl), TLS1_2_VERSION);
  EXPECT_EQ(c.PeerFingerprint(), info->certificate_sha256);
  EXPECT_EQ(info->certificate_sha256.size(), 32u * 3 - 1);
  auto reply = c.Exchange(Hello());
  ASSERT_EQ(reply.size(), 1u);
  auto j = Json::parse(reply[0].data);
  EXPECT_EQ(j["status"], "0.DOIP/Status.001");
  EXPECT_EQ(j["output"]["attributes"]["port"], info->port);
  EXPECT_EQ(j["output"]["attributes"]["publicKey"]["kty"], "EC");
  EXPECT_EQ(j["output"]["attributes"]["publicKey"]["crv"], "P-256");
  // Several requests on one connection.
  EXPECT_EQ(Json::parse(c.Exchange(Hello("2"))[0].data)["requestId"], "2");
  EXPECT_EQ(Metric("ecusim_dobj_requests_total"), 2);
}

TEST_F(EndpointTest, TlsOlderThan12IsRefusedAndCounted) {
  EndpointConfig config;
  config.port = 0;
  auto info = Start(config);
  ASSERT_TRUE(info.ok());
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_security_level(ctx, 0);
  SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
  SSL_CTX_set_max_proto_version(ctx, TLS1_1_VERSION);
  int fd = Connect(info->port);
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  EXPECT_NE(SSL_connect(ssl), 1);
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  close(fd);
  // A client that is not TLS at all.
  int plain = Connect(info->port);
  const char http[] = "GET / HTTP/1.0\r\n\r\n";
  ASSERT_EQ(write(plain, http, sizeof http - 1), static_cast<ssize_t>(sizeof http - 1));
  char buf[256];
  while (read(plain, buf, sizeof buf) > 0) {
  }
  close(plain);
  for (int i = 0; i < 50 && Metric("ecusim_dobj_tls_handshake_failures_total") < 2; ++i) {
    usleep(20000);
  }
  EXPECT_EQ(Metric("ecusim_dobj_tls_handshake_failures_total"), 2);
  // Other clients are unaffected.
  Client c(info->port);
  ASSERT_TRUE(c.connected);
  EXPECT_EQ(c.Exchange(Hello()).size(), 1u);
}

TEST_F(EndpointTest, MalformedMessageAnswers101AndClosesOnlyThatConnection) {
  EndpointConfig config;
  config.port = 0;
  auto info = Start(config);
  ASSERT_TRUE(info.ok());
  Client good(info->port), bad(info->port);
  ASSERT_TRUE(good.connected && bad.connected);
  bool eof = false;
  auto reply = bad.Exchange("@\n0\n", &eof);
  ASSERT_EQ(reply.size(), 1u);
  EXPECT_THAT(reply[0].data, HasSubstr("zero at start of chunk size"));
  bad.ReadMessage(&eof);
  EXPECT_TRUE(eof);
  EXPECT_EQ(good.Exchange(Hello()).size(), 1u);
  EXPECT_EQ(Metric("ecusim_dobj_framing_errors_total"), 1);
}

TEST_F(EndpointTest, PortInUseIsFailedPrecondition) {
  EndpointConfig config;
  config.port = 0;
  auto first = Start(config);
  ASSERT_TRUE(first.ok());
  config.port = first->port;
  auto second = OnShard([&] { return Endpoint::Start(*ecu_, config).status(); });
  EXPECT_EQ(second.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(second.message()), HasSubstr("cannot listen on 127.0.0.1:"));
}

class EndpointFilesTest : public EndpointTest {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("dobj-tls-" + std::to_string(getpid()) + "-" + std::to_string(rand()));
    std::filesystem::create_directories(dir_);
    auto req = [&](const std::string& name, const std::string& cn) {
      std::string cmd =
          "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
          "-days 1 -subj /CN=" +
          cn + " -keyout " + (dir_ / (name + ".key")).string() + " -out " +
          (dir_ / (name + ".crt")).string() + " 2>/dev/null";
      ASSERT_EQ(std::system(cmd.c_str()), 0);
    };
    req("server", "configured.example");
    req("client", "tester");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string File(const std::string& n) { return (dir_ / n).string(); }
  std::filesystem::path dir_;
};

TEST_F(EndpointFilesTest, ConfiguredCertificateAndMutualTls) {
  EndpointConfig config;
  config.port = 0;
  config.tls = TlsFiles{File("server.crt"), File("server.key"), File("client.crt")};
  auto info = Start(config);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_FALSE(info->self_signed);
  EXPECT_TRUE(info->mutual_tls);
  EXPECT_EQ(info->certificate_subject, "CN=configured.example");
  Client with_cert(info->port, File("client.crt"), File("client.key"));
  ASSERT_TRUE(with_cert.connected);
  EXPECT_EQ(with_cert.PeerFingerprint(), info->certificate_sha256);
  EXPECT_EQ(with_cert.Exchange(Hello()).size(), 1u);
  Client without(info->port);
  bool eof = false;
  // With TLS 1.3 the client learns of the refusal on its first read.
  EXPECT_TRUE(!without.connected || (without.Exchange(Hello(), &eof).empty() && eof));
  for (int i = 0; i < 50 && Metric("ecusim_dobj_tls_handshake_failures_total") < 1; ++i) {
    usleep(20000);
  }
  EXPECT_EQ(Metric("ecusim_dobj_tls_handshake_failures_total"), 1);
}

TEST_F(EndpointFilesTest, BadFilesAreInvalidArgument) {
  EndpointConfig config;
  config.tls = TlsFiles{File("missing.crt"), File("server.key"), ""};
  auto s = OnShard([&] { return Endpoint::Start(*ecu_, config).status(); });
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("missing.crt"));
  config.tls = TlsFiles{File("server.crt"), File("client.key"), ""};
  s = OnShard([&] { return Endpoint::Start(*ecu_, config).status(); });
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("does not match"));
}

}  // namespace
}  // namespace ecusim::digital_object
