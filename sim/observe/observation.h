// One data-plane happening that a test might assert on: counted in Prometheus and streamed
// by ObserveService.Watch.
#ifndef ECUSIM_SIM_OBSERVE_OBSERVATION_H_
#define ECUSIM_SIM_OBSERVE_OBSERVATION_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"

namespace ecusim::observe {

struct Observation {
  // Dotted, module first: "ecu.created", "someip.subscription.added", "doip.routing_activation".
  std::string kind;
  // The ECU it concerns; empty for process-wide happenings.
  std::string ecu_id;
  // Resource name as in the control API: "ecus/brake/someip/1234.1".
  std::string resource;
  absl::Time time = absl::Now();
  // Details in protocol words, e.g. {"eventgroup", "0x0001"}, {"peer", "127.0.0.1:40000"}.
  std::vector<std::pair<std::string, std::string>> attributes;
  // True for observations that describe current state in a watcher's initial snapshot.
  bool snapshot = false;

  Observation& With(std::string key, std::string value) {
    attributes.emplace_back(std::move(key), std::move(value));
    return *this;
  }
};

}  // namespace ecusim::observe

#endif  // ECUSIM_SIM_OBSERVE_OBSERVATION_H_
