// Metrics and observations of DOIP v2 endpoints. Counters are looked up once and cached.
#ifndef ECUSIM_SIM_DIGITAL_OBJECT_ENDPOINT_METRICS_H_
#define ECUSIM_SIM_DIGITAL_OBJECT_ENDPOINT_METRICS_H_

#include <map>
#include <string>
#include <utility>

#include "sim/digital_object/segment_codec.h"
#include "sim/observe/hub.h"

namespace ecusim::digital_object {

class EndpointMetrics {
 public:
  explicit EndpointMetrics(observe::Metrics& metrics);

  // ecusim_dobj_requests_total{operation,status}
  prometheus::Counter& Request(const std::string& operation, const std::string& status);
  // ecusim_dobj_framing_errors_total{error}
  prometheus::Counter& Framing(FramingError error);

  prometheus::Counter& handshake_failures;   // ecusim_dobj_tls_handshake_failures_total
  prometheus::Counter& tls_errors;           // ecusim_dobj_tls_errors_total
  prometheus::Counter& connections;          // ecusim_dobj_connections_total
  prometheus::Counter& connections_refused;  // ecusim_dobj_connections_refused_total
  prometheus::Gauge& connections_open;       // ecusim_dobj_connections_open
  prometheus::Gauge& objects;                // ecusim_dobj_objects
  prometheus::Gauge& endpoints;              // ecusim_dobj_endpoints

 private:
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Counter>& framing_;
  std::map<std::pair<std::string, std::string>, prometheus::Counter*> request_cache_;
  std::map<FramingError, prometheus::Counter*> framing_cache_;
};

}  // namespace ecusim::digital_object

#endif  // ECUSIM_SIM_DIGITAL_OBJECT_ENDPOINT_METRICS_H_
