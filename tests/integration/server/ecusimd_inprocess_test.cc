// ecusimd in-process on port 0, driven through real gRPC channels.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "ecusim/v1/ecu.grpc.pb.h"
#include "ecusim/v1/observe.grpc.pb.h"
#include "ecusim/v1/someip.grpc.pb.h"
#include "server/ecusim_server.h"
#include "server/scenario_parser.h"

namespace ecusim::server {
namespace {

using testing::ElementsAre;
using testing::HasSubstr;

class EcusimdTest : public testing::Test {
 protected:
  void SetUp() override {
    Settings settings;
    settings.grpc_address = "127.0.0.1:0";
    settings.metrics_address = "";  // the exporter costs 2 s to stop; not needed here
    settings.shards = 2;
    server_ = std::make_unique<EcusimServer>(settings);
    ASSERT_TRUE(server_->Start().ok());
    server_->MarkServing();
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->grpc_port()),
                                   grpc::InsecureChannelCredentials());
    ecus_ = v1::EcuService::NewStub(channel_);
    observe_ = v1::ObserveService::NewStub(channel_);
  }
  void TearDown() override { server_->Shutdown(); }

  grpc::Status Create(const std::string& id, const std::string& address, v1::Ecu* out = nullptr) {
    grpc::ClientContext ctx;
    v1::CreateEcuRequest req;
    req.mutable_ecu()->set_id(id);
    req.mutable_ecu()->set_address(address);
    v1::Ecu resp;
    auto s = ecus_->CreateEcu(&ctx, req, &resp);
    if (out) *out = resp;
    return s;
  }

  v1::ApplyScenarioResponse Apply(const std::string& yaml, bool prune = false,
                                  grpc::Status* status = nullptr) {
    auto scenario = ParseScenario(yaml, "test");
    EXPECT_TRUE(scenario.ok()) << scenario.status();
    grpc::ClientContext ctx;
    v1::ApplyScenarioRequest req;
    *req.mutable_scenario() = *scenario;
    req.set_prune(prune);
    v1::ApplyScenarioResponse resp;
    auto s = ecus_->ApplyScenario(&ctx, req, &resp);
    if (status) {
      *status = s;
    } else {
      EXPECT_TRUE(s.ok()) << s.error_message();
    }
    return resp;
  }

  std::unique_ptr<EcusimServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::EcuService::Stub> ecus_;
  std::unique_ptr<v1::ObserveService::Stub> observe_;
};

TEST_F(EcusimdTest, CreateGetListDelete) {
  v1::Ecu made;
  ASSERT_TRUE(Create("brake", "127.0.0.2", &made).ok());
  EXPECT_EQ(made.id(), "brake");
  EXPECT_EQ(made.address(), "127.0.0.2");
  ASSERT_TRUE(Create("abs", "127.0.0.3").ok());

  grpc::ClientContext get_ctx;
  v1::GetEcuRequest get;
  get.set_ecu_id("brake");
  v1::Ecu got;
  ASSERT_TRUE(ecus_->GetEcu(&get_ctx, get, &got).ok());
  EXPECT_EQ(got.address(), "127.0.0.2");

  grpc::ClientContext list_ctx;
  v1::ListEcusResponse list;
  ASSERT_TRUE(ecus_->ListEcus(&list_ctx, v1::ListEcusRequest(), &list).ok());
  ASSERT_EQ(list.ecus_size(), 2);
  EXPECT_EQ(list.ecus(0).id(), "abs");
  EXPECT_EQ(list.ecus(1).id(), "brake");

  grpc::ClientContext del_ctx;
  v1::DeleteEcuRequest del;
  del.set_ecu_id("brake");
  v1::DeleteEcuResponse del_resp;
  ASSERT_TRUE(ecus_->DeleteEcu(&del_ctx, del, &del_resp).ok());

  grpc::ClientContext get2_ctx;
  auto s = ecus_->GetEcu(&get2_ctx, get, &got);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(s.error_message(), HasSubstr("\"brake\""));
}

TEST_F(EcusimdTest, ErrorsNameTheFieldAndValue) {
  ASSERT_TRUE(Create("brake", "127.0.0.2").ok());
  auto dup = Create("brake", "127.0.0.4");
  EXPECT_EQ(dup.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(dup.error_message(), HasSubstr("\"brake\""));
  auto bad_id = Create("Brake_1", "127.0.0.2");
  EXPECT_EQ(bad_id.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(bad_id.error_message(), HasSubstr("ecu.id \"Brake_1\""));
  auto bad_addr = Create("x", "127.0.0.256");
  EXPECT_EQ(bad_addr.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(bad_addr.error_message(), HasSubstr("ecu.address \"127.0.0.256\""));

  grpc::ClientContext ctx;
  v1::DeleteEcuRequest del;
  del.set_ecu_id("ghost");
  v1::DeleteEcuResponse resp;
  auto s = ecus_->DeleteEcu(&ctx, del, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);

  grpc::ClientContext list_ctx;
  v1::ListEcusRequest list_req;
  list_req.set_page_size(-1);
  v1::ListEcusResponse list;
  auto ls = ecus_->ListEcus(&list_ctx, list_req, &list);
  EXPECT_EQ(ls.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ls.error_message(), HasSubstr("page_size -1"));
}

TEST_F(EcusimdTest, ListEcusPages) {
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Create(absl::StrCat("ecu-", i), "127.0.0.2").ok());
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    grpc::ClientContext ctx;
    v1::ListEcusRequest req;
    req.set_page_size(2);
    req.set_page_token(token);
    v1::ListEcusResponse resp;
    ASSERT_TRUE(ecus_->ListEcus(&ctx, req, &resp).ok());
    for (const auto& e : resp.ecus()) seen.push_back(e.id());
    token = resp.next_page_token();
    ++pages;
  } while (!token.empty());
  EXPECT_EQ(pages, 3);
  EXPECT_THAT(seen, ElementsAre("ecu-0", "ecu-1", "ecu-2", "ecu-3", "ecu-4"));
}

constexpr char kVehicle[] = R"(
name: car
ecus:
  - ecu: {id: brake, address: 127.0.0.2, labels: {zone: front}}
  - ecu: {id: gateway, address: 127.0.0.3}
)";

TEST_F(EcusimdTest, ApplyScenarioTwiceChangesNothing) {
  auto first = Apply(kVehicle);
  EXPECT_THAT(first.created(), ElementsAre("brake", "gateway"));
  auto second = Apply(kVehicle);
  EXPECT_TRUE(second.created().empty());
  EXPECT_TRUE(second.updated().empty());
  EXPECT_THAT(second.unchanged(), ElementsAre("brake", "gateway"));
  EXPECT_EQ(server_->runtime().ecus.size(), 2u);
}

TEST_F(EcusimdTest, ApplyScenarioUpdatesChangedEcusAndPrunes) {
  Apply(kVehicle);
  ASSERT_TRUE(Create("extra", "127.0.0.9").ok());
  auto changed = Apply(R"(
ecus:
  - ecu: {id: brake, address: 127.0.0.5, labels: {zone: front}}
  - ecu: {id: gateway, address: 127.0.0.3}
  - ecu: {id: door, address: 127.0.0.6}
)",
                       /*prune=*/true);
  EXPECT_THAT(changed.updated(), ElementsAre("brake"));
  EXPECT_THAT(changed.unchanged(), ElementsAre("gateway"));
  EXPECT_THAT(changed.created(), ElementsAre("door"));
  EXPECT_THAT(changed.deleted(), ElementsAre("extra"));
  EXPECT_EQ(server_->runtime().ecus.Find("brake")->identity().address, "127.0.0.5");
}

TEST_F(EcusimdTest, ApplyScenarioValidatesEverythingBeforeChangingAnything) {
  grpc::Status status;
  Apply(R"(
ecus:
  - ecu: {id: good, address: 127.0.0.2}
  - ecu: {id: bad, address: not-an-ip}
)",
        false, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("ecus[1]: ecu.address \"not-an-ip\""));
  EXPECT_EQ(server_->runtime().ecus.size(), 0u);

  Apply(R"(
ecus:
  - ecu: {id: twin, address: 127.0.0.2}
  - ecu: {id: twin, address: 127.0.0.3}
)",
        false, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("ecus[1].ecu.id \"twin\" repeats ecus[0]"));
}

// Reads stream messages until `pred` says stop or a deadline passes.
template <typename Pred>
std::vector<v1::WatchResponse> ReadUntil(grpc::ClientReader<v1::WatchResponse>& reader, Pred pred) {
  std::vector<v1::WatchResponse> got;
  v1::WatchResponse msg;
  while (reader.Read(&msg)) {
    got.push_back(msg);
    if (pred(msg)) break;
  }
  return got;
}

TEST_F(EcusimdTest, WatchSeesSnapshotSyncThenLiveChanges) {
  ASSERT_TRUE(Create("brake", "127.0.0.2").ok());
  ASSERT_TRUE(Create("gateway", "127.0.0.3").ok());
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::WatchRequest req;
  req.add_kind_prefixes("ecu.");
  auto reader = observe_->Watch(&ctx, req);
  auto snapshot = ReadUntil(*reader, [](const auto& m) { return m.has_sync(); });
  ASSERT_EQ(snapshot.size(), 3u);
  EXPECT_TRUE(snapshot[0].observation().snapshot());
  EXPECT_EQ(snapshot[0].observation().kind(), "ecu.created");
  EXPECT_EQ(snapshot[0].observation().ecu_id(), "brake");
  EXPECT_EQ(snapshot[1].observation().ecu_id(), "gateway");
  EXPECT_EQ(snapshot[2].sync().snapshot_count(), 2u);

  ASSERT_TRUE(Create("door", "127.0.0.4").ok());
  auto live = ReadUntil(*reader, [](const auto&) { return true; });
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].observation().kind(), "ecu.created");
  EXPECT_EQ(live[0].observation().ecu_id(), "door");
  EXPECT_EQ(live[0].observation().resource(), "ecus/door");
  EXPECT_FALSE(live[0].observation().snapshot());
  EXPECT_EQ(live[0].observation().attributes().at("address"), "127.0.0.4");
  ctx.TryCancel();
}

TEST_F(EcusimdTest, WatchFilterAndBadQueueSize) {
  grpc::ClientContext ctx;
  v1::WatchRequest req;
  req.set_queue_size(2000000);
  auto reader = observe_->Watch(&ctx, req);
  v1::WatchResponse msg;
  EXPECT_FALSE(reader->Read(&msg));
  auto s = reader->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("queue_size 2000000"));
}

TEST_F(EcusimdTest, GetStatsCountsEcusAndWatchers) {
  ASSERT_TRUE(Create("brake", "127.0.0.2").ok());
  grpc::ClientContext ctx;
  v1::GetStatsResponse stats;
  ASSERT_TRUE(observe_->GetStats(&ctx, v1::GetStatsRequest(), &stats).ok());
  EXPECT_EQ(stats.ecus(), 1u);
  EXPECT_EQ(stats.shards(), 2u);
  EXPECT_FALSE(stats.version().empty());
  EXPECT_GE(stats.observations_published(), 1u);
}

TEST_F(EcusimdTest, ManyEcusInOneProcess) {
  // 1,000 virtual ECUs in one process, created and listed through the control API.
  v1::Scenario scenario;
  for (int i = 0; i < 1000; ++i) {
    auto* e = scenario.add_ecus()->mutable_ecu();
    e->set_id(absl::StrCat("ecu-", i));
    e->set_address(absl::StrCat("127.0.", 1 + i / 250, ".", 1 + i % 250));
  }
  grpc::ClientContext ctx;
  v1::ApplyScenarioRequest req;
  *req.mutable_scenario() = scenario;
  v1::ApplyScenarioResponse resp;
  ASSERT_TRUE(ecus_->ApplyScenario(&ctx, req, &resp).ok());
  EXPECT_EQ(resp.created_size(), 1000);
  grpc::ClientContext list_ctx;
  v1::ListEcusResponse list;
  ASSERT_TRUE(ecus_->ListEcus(&list_ctx, v1::ListEcusRequest(), &list).ok());
  EXPECT_EQ(list.ecus_size(), 1000);
}

}  // namespace
}  // namespace ecusim::server
