// ecusimd: the ecusim daemon. See README.md and `ecusimd --help`.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/ecusim_server.h"
#include "server/scenario_parser.h"

ABSL_FLAG(std::string, grpc, "0.0.0.0:50051", "Address of the gRPC control API (host:port).");
ABSL_FLAG(std::string, metrics, "0.0.0.0:9464",
          "Address of the Prometheus exporter, served at /metrics (host:port); empty = off.");
ABSL_FLAG(std::string, config, "",
          "Scenario file (YAML or JSON, ecusim.v1.Scenario) applied at start. Without it the "
          "embedded demo vehicle runs (see --demo).");
ABSL_FLAG(bool, demo, true, "Run the embedded demo vehicle when no --config is given.");
ABSL_FLAG(bool, print_demo_scenario, false,
          "Print the embedded demo scenario (a template for --config) and exit.");
ABSL_FLAG(bool, check_config, false, "Validate --config and exit: 0 when valid, 2 when not.");
ABSL_FLAG(int, shards, 0, "Event-loop threads of the data plane; 0 = one per core.");
ABSL_FLAG(std::string, log_level, "info", "Log level: debug, info, warning or error.");
ABSL_FLAG(std::string, advert_dir, "",
          "Root directory for local service advertisements; empty = $XDG_RUNTIME_DIR, then "
          "/run/user/<uid>, then the temp dir.");
ABSL_FLAG(bool, advertise, false,
          "Advertise the control endpoint as a local service advertisement of type ecusim.");

namespace ecusim::server {
extern const std::string_view kDemoScenarioYaml;
}  // namespace ecusim::server

namespace {

int g_log_level = 1;  // 0 debug, 1 info, 2 warning, 3 error

void Log(int level, const std::string& message) {
  static const char* kNames[] = {"debug", "info", "warning", "error"};
  if (level < g_log_level) return;
  std::fprintf(stderr, "ecusimd %s: %s\n", kNames[level], message.c_str());
}

[[noreturn]] void Fail(int code, const std::string& message) {
  std::fprintf(stderr, "ecusimd: %s\n", message.c_str());
  std::fflush(stderr);
  std::_Exit(code);
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "ecusim daemon: simulates automotive ECUs (SOME/IP, DoIP, DOIP v2, local service "
      "advertisements) driven over a gRPC control API.\n\n"
      "  ecusimd                         run the embedded demo vehicle\n"
      "  ecusimd --config vehicle.yaml   run a vehicle file\n"
      "  ecusimd --demo=false            start empty; create ECUs over gRPC\n\n"
      "Control API: ecusim.v1 (EcuService, SomeIpService, DoipService, "
      "DigitalObjectService, AdvertisementService, ObserveService), gRPC health and "
      "reflection. Metrics: http://<--metrics>/metrics. SIGTERM/SIGINT: orderly shutdown.");
  absl::FlagsUsageConfig usage;
  usage.contains_help_flags = [](absl::string_view file) {
    return absl::EndsWith(file, "server/main.cc");
  };
  usage.contains_helpshort_flags = usage.contains_help_flags;
  absl::SetFlagsUsageConfig(usage);
  absl::ParseCommandLine(argc, argv);

  using ecusim::server::kDemoScenarioYaml;
  if (absl::GetFlag(FLAGS_print_demo_scenario)) {
    std::fwrite(kDemoScenarioYaml.data(), 1, kDemoScenarioYaml.size(), stdout);
    return 0;
  }
  const std::string level = absl::GetFlag(FLAGS_log_level);
  if (level == "debug") {
    g_log_level = 0;
  } else if (level == "info") {
    g_log_level = 1;
  } else if (level == "warning") {
    g_log_level = 2;
  } else if (level == "error") {
    g_log_level = 3;
  } else {
    Fail(2, absl::StrCat("--log_level \"", level, "\" is not debug, info, warning or error"));
  }
  // gRPC's own logging would add multi-line noise to our one-line errors.
  if (g_log_level > 0) setenv("GRPC_VERBOSITY", "NONE", /*overwrite=*/0);
  if (absl::GetFlag(FLAGS_shards) < 0) {
    Fail(2, absl::StrCat("--shards ", absl::GetFlag(FLAGS_shards), " is negative"));
  }

  // The scenario is read and checked before anything binds a port.
  ecusim::v1::Scenario scenario;
  const std::string config = absl::GetFlag(FLAGS_config);
  bool have_scenario = true;
  if (!config.empty()) {
    auto loaded = ecusim::server::LoadScenarioFile(config);
    if (!loaded.ok()) Fail(2, std::string(loaded.status().message()));
    scenario = std::move(*loaded);
  } else if (absl::GetFlag(FLAGS_demo)) {
    auto loaded = ecusim::server::ParseScenario(
        absl::string_view(kDemoScenarioYaml.data(), kDemoScenarioYaml.size()),
        "<embedded demo scenario>");
    if (!loaded.ok()) Fail(1, std::string(loaded.status().message()));
    scenario = std::move(*loaded);
  } else {
    have_scenario = false;
  }

  // Signals are taken by sigwait below; every thread started from here on inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  ecusim::server::Settings settings;
  settings.grpc_address = absl::GetFlag(FLAGS_grpc);
  settings.metrics_address = absl::GetFlag(FLAGS_metrics);
  settings.shards = absl::GetFlag(FLAGS_shards);
  settings.config_path = config;
  settings.advert_dir = absl::GetFlag(FLAGS_advert_dir);
  settings.advertise = absl::GetFlag(FLAGS_advertise);
  ecusim::server::EcusimServer server(settings);

  if (auto s = server.ValidateScenario(scenario); !s.ok()) Fail(2, std::string(s.message()));
  if (absl::GetFlag(FLAGS_check_config)) {
    std::printf("%s: valid, %d ECUs\n", config.empty() ? "demo scenario" : config.c_str(),
                scenario.ecus_size());
    std::fflush(stdout);
    std::_Exit(0);
  }

  if (auto s = server.Start(); !s.ok()) Fail(1, std::string(s.message()));
  Log(1, absl::StrCat("control API on port ", server.grpc_port(), ", metrics on port ",
                      server.metrics_port(), ", ", server.runtime().shards.size(), " shards"));

  if (have_scenario) {
    auto applied = server.ApplyScenario(scenario);
    if (!applied.ok()) {
      server.Shutdown();
      Fail(absl::IsInvalidArgument(applied.status()) ? 2 : 1,
           std::string(applied.status().message()));
    }
    Log(1, absl::StrCat("scenario \"", scenario.name(), "\": ", applied->created_size(),
                        " ECUs created (", absl::StrJoin(applied->created(), ", "), ")"));
  }
  server.MarkServing();

  int signal = 0;
  sigwait(&signals, &signal);
  Log(1, absl::StrCat("signal ", signal, ": shutting down"));
  server.Shutdown();
  Log(1, "stopped");
  std::fflush(stderr);
  // The /metrics exporter (civetweb) takes ~2 s to destroy; everything that matters is done.
  std::_Exit(0);
}
