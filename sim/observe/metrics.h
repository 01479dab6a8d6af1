// The metrics seam of the data plane. Modules register their families in one
// prometheus::Registry; the server exposes it on /metrics. Families are created on first use
// and shared after (prometheus-cpp merges same-name registrations).
#ifndef ECUSIM_SIM_OBSERVE_METRICS_H_
#define ECUSIM_SIM_OBSERVE_METRICS_H_

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <map>
#include <memory>
#include <string>

namespace ecusim::observe {

class Metrics {
 public:
  Metrics() : registry_(std::make_shared<prometheus::Registry>()) {}

  const std::shared_ptr<prometheus::Registry>& registry() const { return registry_; }

  // Follow Prometheus naming: base units, `_total` for counters, few label values.
  prometheus::Family<prometheus::Counter>& Counters(const std::string& name,
                                                    const std::string& help) {
    return prometheus::BuildCounter().Name(name).Help(help).Register(*registry_);
  }
  prometheus::Family<prometheus::Gauge>& Gauges(const std::string& name, const std::string& help) {
    return prometheus::BuildGauge().Name(name).Help(help).Register(*registry_);
  }
  prometheus::Family<prometheus::Histogram>& Histograms(const std::string& name,
                                                        const std::string& help) {
    return prometheus::BuildHistogram().Name(name).Help(help).Register(*registry_);
  }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
};

}  // namespace ecusim::observe

#endif  // ECUSIM_SIM_OBSERVE_METRICS_H_
