// ecusimctl: a command-line client of ecusimd's control API.
//
//   ecusimctl [--target=HOST:PORT] COMMAND [ARGS]
//
//   ecus                          list ECUs
//   get ECU_ID                    one ECU
//   create ECU_ID ADDRESS [IF]    create an ECU
//   delete ECU_ID                 delete an ECU (after its endpoints withdrew)
//   apply FILE [--prune] [--dry-run]   apply a scenario file (YAML or JSON)
//   watch [KIND_PREFIX...]        stream observations until Ctrl-C
//   stats                         process statistics
//
// Exit codes: 0 ok, 1 the call failed (the gRPC status is printed), 2 usage.
#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "ecusim/v1/ecu.grpc.pb.h"
#include "ecusim/v1/observe.grpc.pb.h"
#include "server/scenario_parser.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "ecusimd control API address.");
ABSL_FLAG(double, timeout, 30, "Deadline of each call in seconds (watch: none).");

namespace {

using ecusim::v1::EcuService;
using ecusim::v1::ObserveService;

constexpr char kUsage[] =
    "ecusimctl [--target=HOST:PORT] COMMAND [ARGS]\n\n"
    "  ecus                               list ECUs\n"
    "  get ECU_ID                         show one ECU\n"
    "  create ECU_ID ADDRESS [INTERFACE]  create an ECU\n"
    "  delete ECU_ID                      delete an ECU\n"
    "  apply FILE [--prune] [--dry-run]   apply a scenario file (YAML or JSON)\n"
    "  watch [KIND_PREFIX...]             stream observations until interrupted\n"
    "  stats                              process statistics\n";

int Usage() {
  std::fputs(kUsage, stderr);
  return 2;
}

int Failed(const grpc::Status& s) {
  static const char* kCodes[] = {"OK",
                                 "CANCELLED",
                                 "UNKNOWN",
                                 "INVALID_ARGUMENT",
                                 "DEADLINE_EXCEEDED",
                                 "NOT_FOUND",
                                 "ALREADY_EXISTS",
                                 "PERMISSION_DENIED",
                                 "RESOURCE_EXHAUSTED",
                                 "FAILED_PRECONDITION",
                                 "ABORTED",
                                 "OUT_OF_RANGE",
                                 "UNIMPLEMENTED",
                                 "INTERNAL",
                                 "UNAVAILABLE",
                                 "DATA_LOSS",
                                 "UNAUTHENTICATED"};
  int code = static_cast<int>(s.error_code());
  std::fprintf(stderr, "ecusimctl: %s: %s\n", code >= 0 && code <= 16 ? kCodes[code] : "?",
               s.error_message().c_str());
  return 1;
}

void SetDeadline(grpc::ClientContext& ctx) {
  ctx.set_deadline(
      std::chrono::system_clock::now() +
      std::chrono::milliseconds(static_cast<int64_t>(absl::GetFlag(FLAGS_timeout) * 1000)));
}

void PrintEcu(const ecusim::v1::Ecu& e) {
  std::vector<std::string> labels;
  for (const auto& [k, v] : e.labels()) labels.push_back(k + "=" + v);
  std::printf("%-24s %-16s %-8s shard=%d %s\n", e.id().c_str(), e.address().c_str(),
              e.interface().empty() ? "-" : e.interface().c_str(), e.shard(),
              absl::StrJoin(labels, ",").c_str());
}

int ListEcus(EcuService::Stub& stub) {
  std::string token;
  do {
    grpc::ClientContext ctx;
    SetDeadline(ctx);
    ecusim::v1::ListEcusRequest req;
    req.set_page_token(token);
    ecusim::v1::ListEcusResponse resp;
    if (auto s = stub.ListEcus(&ctx, req, &resp); !s.ok()) return Failed(s);
    for (const auto& e : resp.ecus()) PrintEcu(e);
    token = resp.next_page_token();
  } while (!token.empty());
  return 0;
}

int Apply(EcuService::Stub& stub, const std::vector<std::string>& args) {
  if (args.empty()) return Usage();
  auto scenario = ecusim::server::LoadScenarioFile(args[0]);
  if (!scenario.ok()) {
    std::fprintf(stderr, "ecusimctl: %s\n", std::string(scenario.status().message()).c_str());
    return 2;
  }
  ecusim::v1::ApplyScenarioRequest req;
  *req.mutable_scenario() = *scenario;
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--prune") {
      req.set_prune(true);
    } else if (args[i] == "--dry-run") {
      req.set_validate_only(true);
    } else {
      return Usage();
    }
  }
  grpc::ClientContext ctx;
  SetDeadline(ctx);
  ecusim::v1::ApplyScenarioResponse resp;
  if (auto s = stub.ApplyScenario(&ctx, req, &resp); !s.ok()) return Failed(s);
  std::printf(
      "created:   %s\nupdated:   %s\nunchanged: %s\ndeleted:   %s\n",
      absl::StrJoin(resp.created(), " ").c_str(), absl::StrJoin(resp.updated(), " ").c_str(),
      absl::StrJoin(resp.unchanged(), " ").c_str(), absl::StrJoin(resp.deleted(), " ").c_str());
  return 0;
}

int Watch(ObserveService::Stub& stub, const std::vector<std::string>& prefixes) {
  grpc::ClientContext ctx;
  ecusim::v1::WatchRequest req;
  for (const auto& p : prefixes) req.add_kind_prefixes(p);
  auto reader = stub.Watch(&ctx, req);
  ecusim::v1::WatchResponse msg;
  while (reader->Read(&msg)) {
    if (msg.has_sync()) {
      std::printf("--- sync: %llu in snapshot, live from here ---\n",
                  static_cast<unsigned long long>(msg.sync().snapshot_count()));
    } else {
      const auto& o = msg.observation();
      std::vector<std::string> attrs;
      for (const auto& [k, v] : o.attributes()) attrs.push_back(k + "=" + v);
      std::printf("%s %-28s %-32s %s\n", o.snapshot() ? "S" : "+", o.kind().c_str(),
                  o.resource().c_str(), absl::StrJoin(attrs, " ").c_str());
    }
    std::fflush(stdout);
  }
  auto s = reader->Finish();
  return s.ok() ? 0 : Failed(s);
}

int Stats(ObserveService::Stub& stub) {
  grpc::ClientContext ctx;
  SetDeadline(ctx);
  ecusim::v1::GetStatsResponse r;
  if (auto s = stub.GetStats(&ctx, ecusim::v1::GetStatsRequest(), &r); !s.ok()) {
    return Failed(s);
  }
  std::printf(
      "version %s (%s)\necus %u\nshards %u\nwatchers %u\nobservations %llu published, %llu "
      "dropped\nuptime %.1f s\n",
      r.version().c_str(), r.commit().c_str(), r.ecus(), r.shards(), r.watchers(),
      static_cast<unsigned long long>(r.observations_published()),
      static_cast<unsigned long long>(r.observations_dropped()), r.uptime_seconds());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  absl::FlagsUsageConfig usage;
  usage.contains_help_flags = [](absl::string_view f) { return absl::EndsWith(f, "ecusimctl.cc"); };
  usage.contains_helpshort_flags = usage.contains_help_flags;
  absl::SetFlagsUsageConfig(usage);
  std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  if (rest.size() < 2) return Usage();
  const std::string command = rest[1];
  std::vector<std::string> args(rest.begin() + 2, rest.end());

  auto channel =
      grpc::CreateChannel(absl::GetFlag(FLAGS_target), grpc::InsecureChannelCredentials());
  auto ecus = EcuService::NewStub(channel);
  auto observe = ObserveService::NewStub(channel);

  if (command == "ecus" && args.empty()) return ListEcus(*ecus);
  if (command == "get" && args.size() == 1) {
    grpc::ClientContext ctx;
    SetDeadline(ctx);
    ecusim::v1::GetEcuRequest req;
    req.set_ecu_id(args[0]);
    ecusim::v1::Ecu e;
    if (auto s = ecus->GetEcu(&ctx, req, &e); !s.ok()) return Failed(s);
    PrintEcu(e);
    return 0;
  }
  if (command == "create" && (args.size() == 2 || args.size() == 3)) {
    grpc::ClientContext ctx;
    SetDeadline(ctx);
    ecusim::v1::CreateEcuRequest req;
    req.mutable_ecu()->set_id(args[0]);
    req.mutable_ecu()->set_address(args[1]);
    if (args.size() == 3) req.mutable_ecu()->set_interface(args[2]);
    ecusim::v1::Ecu e;
    if (auto s = ecus->CreateEcu(&ctx, req, &e); !s.ok()) return Failed(s);
    PrintEcu(e);
    return 0;
  }
  if (command == "delete" && args.size() == 1) {
    grpc::ClientContext ctx;
    SetDeadline(ctx);
    ecusim::v1::DeleteEcuRequest req;
    req.set_ecu_id(args[0]);
    ecusim::v1::DeleteEcuResponse resp;
    if (auto s = ecus->DeleteEcu(&ctx, req, &resp); !s.ok()) return Failed(s);
    return 0;
  }
  if (command == "apply") return Apply(*ecus, args);
  if (command == "watch") return Watch(*observe, args);
  if (command == "stats" && args.empty()) return Stats(*observe);
  return Usage();
}
