// Advertisement file throughput: publish, discover (cold: readers create .lock files; warm),
// a watcher scan (cold and unchanged tree), withdraw. Usage: advert_bench [count] (default
// 1000). Runs in a fresh directory under the temp dir.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "sim/advert/advert_directory.h"

namespace {

using Clock = std::chrono::steady_clock;
using ecusim::advert::AdvertDirectory;
using ecusim::advert::AdvertRecord;

void Report(const char* what, size_t n, Clock::duration took) {
  const double us = std::chrono::duration<double, std::micro>(took).count();
  std::printf("%-28s %6zu files %10.1f ms %8.1f us/file\n", what, n, us / 1000, us / n);
}

}  // namespace

int main(int argc, char** argv) {
  const size_t n = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 1000;
  const auto dir = std::filesystem::temp_directory_path() /
                   ("ecusim-advert-bench-" + std::to_string(::getpid()));
  AdvertDirectory ads((dir / "LocalServiceAdvertisements").string());
  std::vector<std::string> paths;

  auto t0 = Clock::now();
  for (size_t i = 0; i < n; ++i) {
    AdvertRecord r;
    r.service_name = "bench " + std::to_string(i);
    r.service_type = "bench.type";
    r.address = "tcp://127.0.0.1:" + std::to_string(10000 + i);
    r.pid = ::getpid();
    r.uuid = ecusim::advert::Uuid::Random();
    r.properties = {{"index", std::to_string(i)}, {"parity", i % 2 ? "odd" : "even"}};
    auto p = ads.Publish(r);
    if (!p.ok()) {
      std::fprintf(stderr, "publish: %s\n", std::string(p.status().message()).c_str());
      return 1;
    }
    paths.push_back(*p);
  }
  Report("publish (tmp + rename)", n, Clock::now() - t0);

  for (const char* label : {"discover, cold (.lock new)", "discover, warm"}) {
    ecusim::advert::ScanStats stats;
    t0 = Clock::now();
    auto found = ads.Discover("bench.type", {{"parity", "odd"}}, stats);
    Report(label, n, Clock::now() - t0);
    if (!found.ok() || found->size() != n / 2) return 1;
  }

  ecusim::advert::ScanCache cache;
  ecusim::advert::ScanStats stats;
  t0 = Clock::now();
  ads.ScanAll(cache, stats);
  Report("watcher scan, cold", n, Clock::now() - t0);
  t0 = Clock::now();
  ads.ScanAll(cache, stats);
  Report("watcher scan, unchanged", n, Clock::now() - t0);

  t0 = Clock::now();
  for (const auto& p : paths) (void)ads.Withdraw(p);
  Report("withdraw (lock, unlink)", n, Clock::now() - t0);
  std::filesystem::remove_all(dir);
  return std::filesystem::exists(dir / "LocalServiceAdvertisements") ? 1 : 0;
}
