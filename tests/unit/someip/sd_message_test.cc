#include "sim/someip/sd_message.h"

#include <gtest/gtest.h>

namespace ecusim::someip {
namespace {

using asio::ip::make_address;

// OfferService 0x1234.0x5678 v1.2 TTL 5 with IPv4 endpoint 127.0.0.1 UDP 30000, written by
// hand from the layout in someip-sd.rst (not produced by our encoder).
const Bytes kOfferPayload = {
    0xC0, 0x00, 0x00, 0x00,                          // flags reboot+unicast, reserved
    0x00, 0x00, 0x00, 0x10,                          // entries length 16
    0x01, 0x00, 0x00, 0x10, 0x12, 0x34, 0x56, 0x78,  // type, idx1, idx2, #1=1 #2=0, svc, inst
    0x01, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x02,  // major, TTL, minor
    0x00, 0x00, 0x00, 0x0C,                          // options length 12
    0x00, 0x09, 0x04, 0x00, 0x7F, 0x00, 0x00, 0x01,  // len 9, IPv4 endpoint, addr
    0x00, 0x11, 0x75, 0x30,                          // reserved, UDP, port 30000
};

TEST(SdMessageTest, DecodesAHandWrittenOffer) {
  auto m = DecodeSdPayload(kOfferPayload);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_TRUE(m->reboot());
  EXPECT_TRUE(m->unicast());
  ASSERT_EQ(m->entries.size(), 1u);
  const Entry& e = m->entries[0];
  EXPECT_EQ(e.type, EntryType::kOfferService);
  EXPECT_EQ(e.service_id, 0x1234);
  EXPECT_EQ(e.instance_id, 0x5678);
  EXPECT_EQ(e.major_version, 1);
  EXPECT_EQ(e.ttl, 5u);
  EXPECT_EQ(e.minor_version, 2u);
  ASSERT_EQ(m->OptionsOf(e).size(), 1u);
  const Option& o = *m->OptionsOf(e)[0];
  EXPECT_EQ(o.type, OptionType::kIpv4Endpoint);
  EXPECT_EQ(o.address, make_address("127.0.0.1"));
  EXPECT_EQ(o.l4_proto, kL4Udp);
  EXPECT_EQ(o.port, 30000);
  Bytes again;
  AppendSdPayload(*m, again);
  EXPECT_EQ(again, kOfferPayload);
  EXPECT_EQ(SdPayloadSize(*m), kOfferPayload.size());
}

SdMessage EveryKind() {
  SdMessage m;
  m.flags = kSdFlagUnicast | kSdFlagExplicitInitialData;
  Entry find{.type = EntryType::kFindService,
             .service_id = 1,
             .instance_id = 0xFFFF,
             .major_version = 0xFF,
             .ttl = 3,
             .minor_version = 0xFFFFFFFF};
  Entry offer{.type = EntryType::kOfferService,
              .service_id = 2,
              .instance_id = 3,
              .major_version = 1,
              .ttl = 0xFFFFFF,
              .minor_version = 7};
  Entry stop = offer;
  stop.ttl = 0;
  Entry sub{.type = EntryType::kSubscribeEventgroup,
            .service_id = 2,
            .instance_id = 3,
            .major_version = 1,
            .ttl = 5,
            .initial_data_requested = true,
            .counter = 9,
            .eventgroup_id = 0x10};
  Entry ack = sub;
  ack.type = EntryType::kSubscribeEventgroupAck;
  ack.initial_data_requested = false;
  Entry nack = ack;
  nack.ttl = 0;
  AttachOptions(m, offer,
                {EndpointOption(make_address("10.0.0.1"), kL4Udp, 3000),
                 EndpointOption(make_address("10.0.0.1"), kL4Tcp, 3001)});
  AttachOptions(m, stop,
                {EndpointOption(make_address("10.0.0.1"), kL4Udp, 3000),
                 EndpointOption(make_address("10.0.0.1"), kL4Tcp, 3001)});
  AttachOptions(m, sub, {EndpointOption(make_address("fe80::1"), kL4Udp, 4000)});
  AttachOptions(m, ack, {MulticastOption(make_address("239.1.1.1"), 5000)});
  Option mc6 = MulticastOption(make_address("ff14::1"), 5001);
  Option cfg;
  cfg.type = OptionType::kConfiguration;
  cfg.config = {"abc=x", "flag"};
  Option lb;
  lb.type = OptionType::kLoadBalancing;
  lb.priority = 3;
  lb.weight = 0x1234;
  Option sdep = EndpointOption(make_address("10.0.0.9"), kL4Udp, 30490);
  sdep.type = OptionType::kIpv4SdEndpoint;
  AttachOptions(m, nack, {mc6, cfg, lb, sdep});
  m.entries = {find, offer, stop, sub, ack, nack};
  return m;
}

TEST(SdMessageTest, RoundTripsEveryEntryAndOptionType) {
  SdMessage m = EveryKind();
  Bytes b = EncodeSdMessage(m, 0x4242);
  auto h = DecodeHeader(b);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->service_id, 0xFFFF);
  EXPECT_EQ(h->method_id, 0x8100);
  EXPECT_EQ(h->client_id, 0);
  EXPECT_EQ(h->session_id, 0x4242);
  EXPECT_EQ(h->interface_version, 1);
  EXPECT_EQ(h->message_type, 0x02);
  EXPECT_EQ(h->length, b.size() - 8);
  auto d = DecodeSdPayload(ByteSpan(b).subspan(16));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(*d, m);
  EXPECT_EQ(d->options.size(), 8u);  // the identical Offer/Stop run is shared
  EXPECT_STREQ(EntryTypeName(d->entries[2]), "StopOfferService");
  EXPECT_STREQ(EntryTypeName(d->entries[5]), "SubscribeEventgroupNack");
}

Bytes Payload(const SdMessage& m) {
  Bytes b;
  AppendSdPayload(m, b);
  return b;
}

TEST(SdMessageTest, SkipsUnknownEntryTypes) {
  Bytes b = kOfferPayload;
  Bytes unknown(b.begin() + 8, b.begin() + 24);
  unknown[0] = 0x02;  // legacy REQUEST type: skipped (_302)
  b.insert(b.begin() + 24, unknown.begin(), unknown.end());
  b[7] = 0x20;
  auto m = DecodeSdPayload(b);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->entries.size(), 1u);
  EXPECT_EQ(m->skipped_entries, 1);
}

TEST(SdMessageTest, KeepsUnknownOptionsSoIndexesStayRight) {
  Bytes b = kOfferPayload;
  // Insert an unknown option type 0x77 (length 3) before the endpoint and point the entry
  // at index 1.
  Bytes unknown = {0x00, 0x03, 0x77, 0x00, 0xAA, 0xBB};
  b.insert(b.begin() + 28, unknown.begin(), unknown.end());
  b[27] = 0x12;
  b[9] = 0x01;
  auto m = DecodeSdPayload(b);
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->options.size(), 2u);
  EXPECT_FALSE(m->options[0].known);
  EXPECT_EQ(m->OptionsOf(m->entries[0])[0]->port, 30000);
}

struct BadCase {
  const char* name;
  Bytes payload;
  const char* error;
};

std::vector<BadCase> BadCases() {
  std::vector<BadCase> cases;
  auto with = [](std::initializer_list<std::pair<size_t, uint8_t>> edits) {
    Bytes b = kOfferPayload;
    for (auto [at, v] : edits) b[at] = v;
    return b;
  };
  cases.push_back({"short", Bytes(11, 0), "need at least 12"});
  cases.push_back({"entries_not_multiple", with({{7, 0x11}}), "not a multiple of 16"});
  cases.push_back({"entries_past_end", with({{7, 0x30}}), "entries array length 48"});
  cases.push_back({"options_past_end", with({{27, 0x0D}}), "options array length 13"});
  cases.push_back({"option_length_zero", with({{29, 0x00}}), "length 0"});
  cases.push_back({"option_past_array", with({{29, 0x0A}}), "runs past the options array"});
  cases.push_back({"ipv4_wrong_length",
                   [] {
                     Bytes b = kOfferPayload;
                     b[29] = 0x0A;
                     b[27] = 0x0D;
                     b.push_back(0);
                     return b;
                   }(),
                   "IPv4 option at offset 28 has length 10, must be 9"});
  cases.push_back({"option_ref_out_of_range", with({{9, 0x01}}), "references options 1+1"});
  cases.push_back({"multicast_tcp", with({{30, 0x14}, {37, 0x06}}), "must be UDP 0x11"});
  {
    Bytes b = kOfferPayload;
    b.resize(28);
    b[27] = 3;
    b.insert(b.end(), {0x00, 0x01, 0x04});
    cases.push_back({"option_header_truncated", b, "option header at offset 28 truncated"});
  }
  {
    SdMessage m;
    Option ipv6 = EndpointOption(make_address("::1"), kL4Udp, 1);
    m.options.push_back(ipv6);
    Bytes b = Payload(m);
    b[13] = 0x14;  // IPv6 option length 20 instead of 21
    b[11] = 23;
    b.pop_back();
    cases.push_back({"ipv6_wrong_length", b, "IPv6 option at offset 12 has length 20"});
  }
  {
    SdMessage m;
    Option lb;
    lb.type = OptionType::kLoadBalancing;
    m.options.push_back(lb);
    Bytes b = Payload(m);
    b[13] = 4;
    b[11] = 7;
    b.pop_back();
    cases.push_back({"load_balancing_wrong_length", b, "load balancing option"});
  }
  {
    SdMessage m;
    Option cfg;
    cfg.type = OptionType::kConfiguration;
    cfg.config = {"ab"};
    m.options.push_back(cfg);
    Bytes b = Payload(m);
    b.pop_back();  // no terminating zero
    b[13] -= 1;
    b[11] -= 1;
    cases.push_back({"config_unterminated", b, "does not end with a zero length byte"});
    b = Payload(m);
    b[16] = 0x09;  // item length runs past
    cases.push_back({"config_item_overrun", b, "runs past the option"});
  }
  return cases;
}

TEST(SdMessageTest, EveryMalformedCaseIsANamedError) {
  for (const BadCase& c : BadCases()) {
    auto m = DecodeSdPayload(c.payload);
    ASSERT_FALSE(m.ok()) << c.name;
    EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_NE(m.status().message().find(c.error), std::string::npos)
        << c.name << ": " << m.status().message();
  }
}

}  // namespace
}  // namespace ecusim::someip
