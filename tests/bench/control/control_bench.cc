// Control-plane latency: unary RPCs through a real gRPC channel to an in-process ecusimd,
// including the hop to the ECU's shard (DeleteEcu completes on the shard). Prints p50/p99.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ecusim/v1/ecu.grpc.pb.h"
#include "server/ecusim_server.h"

namespace {

using Clock = std::chrono::steady_clock;

void Report(const char* what, std::vector<double>& us) {
  std::sort(us.begin(), us.end());
  auto pct = [&](double p) { return us[static_cast<size_t>(p * (us.size() - 1))]; };
  std::printf("%-28s n=%zu  p50=%7.1f us  p99=%7.1f us  max=%7.1f us\n", what, us.size(), pct(0.5),
              pct(0.99), us.back());
}

}  // namespace

int main() {
  ecusim::server::Settings settings;
  settings.grpc_address = "127.0.0.1:0";
  settings.metrics_address = "";
  ecusim::server::EcusimServer server(settings);
  if (!server.Start().ok()) return 1;
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server.grpc_port()),
                                     grpc::InsecureChannelCredentials());
  auto stub = ecusim::v1::EcuService::NewStub(channel);
  constexpr int kN = 2000;
  std::vector<double> create_us, get_us, delete_us;
  for (int i = 0; i < kN; ++i) {
    const std::string id = absl::StrCat("ecu-", i);
    {
      grpc::ClientContext ctx;
      ecusim::v1::CreateEcuRequest req;
      req.mutable_ecu()->set_id(id);
      req.mutable_ecu()->set_address("127.0.0.2");
      ecusim::v1::Ecu resp;
      auto t0 = Clock::now();
      if (!stub->CreateEcu(&ctx, req, &resp).ok()) return 1;
      create_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    }
    {
      grpc::ClientContext ctx;
      ecusim::v1::GetEcuRequest req;
      req.set_ecu_id(id);
      ecusim::v1::Ecu resp;
      auto t0 = Clock::now();
      if (!stub->GetEcu(&ctx, req, &resp).ok()) return 1;
      get_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    }
  }
  for (int i = 0; i < kN; ++i) {
    grpc::ClientContext ctx;
    ecusim::v1::DeleteEcuRequest req;
    req.set_ecu_id(absl::StrCat("ecu-", i));
    ecusim::v1::DeleteEcuResponse resp;
    auto t0 = Clock::now();
    if (!stub->DeleteEcu(&ctx, req, &resp).ok()) return 1;
    delete_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  Report("CreateEcu", create_us);
  Report("GetEcu", get_us);
  Report("DeleteEcu (via shard)", delete_us);
  server.Shutdown();
  return 0;
}
