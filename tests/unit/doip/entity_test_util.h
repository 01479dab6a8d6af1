// Test harness for the sans-I/O entity: feeds messages, decodes what it sends per connection.
#ifndef ECUSIM_TESTS_UNIT_DOIP_ENTITY_TEST_UTIL_H_
#define ECUSIM_TESTS_UNIT_DOIP_ENTITY_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <map>
#include <memory>

#include "sim/doip/entity.h"

namespace ecusim::doip::testing {

struct RecordingObserver : EntityObserver {
  std::vector<uint8_t> activation_codes;
  std::vector<uint8_t> generic_nacks;
  std::vector<uint8_t> diagnostic_nacks;
  std::vector<std::string> closed_reasons;
  std::vector<std::pair<std::string, bool>> udp;
  void OnRoutingActivation(const ConnectionInfo&, uint16_t, uint8_t, uint8_t code) override {
    activation_codes.push_back(code);
  }
  void OnGenericNack(uint8_t code, Transport, const std::string&) override {
    generic_nacks.push_back(code);
  }
  void OnDiagnosticNack(uint16_t, uint16_t, uint8_t code) override {
    diagnostic_nacks.push_back(code);
  }
  void OnConnectionClosed(const ConnectionInfo&, const std::string& reason) override {
    closed_reasons.push_back(reason);
  }
  void OnUdpRequest(const char* type, bool answered) override { udp.emplace_back(type, answered); }
};

class EntityHarness {
 public:
  explicit EntityHarness(EntityConfig config) {
    absl::Status s = NormalizeEntityConfig(config);
    EXPECT_TRUE(s.ok()) << s;
    entity_ = std::make_unique<Entity>(std::move(config), &observer_, 7);
  }
  Entity& entity() { return *entity_; }
  core::FakeClock& clock() { return clock_; }
  RecordingObserver& observer() { return observer_; }

  void Connect(ConnId id, bool tls = false) {
    Actions out;
    entity_->OnAccept(id, clock_.Now(), "127.0.0.1:" + std::to_string(40000 + id), tls, out);
    Apply(out);
  }
  void SendRaw(ConnId id, const Bytes& bytes) {
    Actions out;
    entity_->OnData(id, clock_.Now(), bytes, out);
    Apply(out);
  }
  void Send(ConnId id, const Payload& p, uint8_t version = 2) {
    SendRaw(id, EncodeMessage(version, p));
  }
  void PeerCloses(ConnId id) {
    Actions out;
    entity_->OnClosed(id, clock_.Now(), "peer closed", out);
    Apply(out);
  }
  // Advances the fake clock, firing timers as the transport would.
  void Advance(core::Duration d) {
    const core::TimePoint end = clock_.Now() + d;
    while (true) {
      std::optional<core::TimePoint> next = entity_->NextDeadline();
      if (!next || *next > end) break;
      if (*next > clock_.Now()) clock_.Set(*next);
      Actions out;
      entity_->OnTimer(clock_.Now(), out);
      Apply(out);
    }
    clock_.Set(end);
  }
  // Messages received by the tester on `id` since the last call.
  std::vector<Payload> Received(ConnId id) {
    std::vector<Payload> out;
    Bytes& buf = inbox_[id];
    size_t pos = 0;
    while (buf.size() - pos >= kHeaderSize) {
      auto h = DecodeHeader(ByteSpan(buf).subspan(pos));
      EXPECT_TRUE(h.ok());
      size_t total = kHeaderSize + h->payload_length;
      auto m = DecodeMessage(ByteSpan(buf).subspan(pos, total));
      EXPECT_TRUE(m.ok()) << m.status();
      out.push_back(m->payload);
      pos += total;
    }
    buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(pos));
    return out;
  }
  template <typename T>
  T Only(ConnId id) {
    auto got = Received(id);
    EXPECT_EQ(got.size(), 1u);
    if (got.size() != 1 || !std::holds_alternative<T>(got[0])) {
      ADD_FAILURE() << "unexpected message";
      return T{};
    }
    return std::get<T>(got[0]);
  }
  bool closed(ConnId id) const { return closed_.contains(id); }
  const std::vector<Action>& forwards() const { return forwards_; }

  // Routing activation with success expected.
  void Activate(ConnId id, uint16_t sa = 0x0E80) {
    Connect(id);
    Send(id, RoutingActivationRequest{sa, 0x00, 0, std::nullopt});
    auto r = Only<RoutingActivationResponse>(id);
    ASSERT_EQ(r.code, 0x10);
  }

 private:
  void Apply(const Actions& out) {
    for (const Action& a : out) {
      if (a.kind == Action::Kind::kSend) {
        ASSERT_FALSE(closed_.contains(a.conn)) << "send after close";
        inbox_[a.conn].insert(inbox_[a.conn].end(), a.bytes.begin(), a.bytes.end());
      } else if (a.kind == Action::Kind::kClose) {
        closed_.insert(a.conn);
      } else {
        forwards_.push_back(a);
      }
    }
  }

  core::FakeClock clock_;
  RecordingObserver observer_;
  std::unique_ptr<Entity> entity_;
  std::map<ConnId, Bytes> inbox_;
  std::set<ConnId> closed_;
  std::vector<Action> forwards_;
};

inline EntityConfig TestConfig() {
  EntityConfig c;
  c.logical_address = 0x1000;
  c.vin = *VinFromString("WVWZZZ1JZXW000001");
  c.eid = {0x02, 0x00, 0x00, 0x00, 0x10, 0x00};
  c.gid = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
  c.max_sockets = 2;
  return c;
}

inline EntityConfig GatewayConfig() {
  EntityConfig c = TestConfig();
  LogicalEcuConfig engine;
  engine.address = 0x1001;
  LogicalEcuConfig brake;
  brake.address = 0x1002;
  c.ecus = {engine, brake};
  return c;
}

}  // namespace ecusim::doip::testing

#endif  // ECUSIM_TESTS_UNIT_DOIP_ENTITY_TEST_UTIL_H_
