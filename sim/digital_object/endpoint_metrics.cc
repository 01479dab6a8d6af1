#include "sim/digital_object/endpoint_metrics.h"

namespace ecusim::digital_object {

EndpointMetrics::EndpointMetrics(observe::Metrics& m)
    : handshake_failures(m.Counters("ecusim_dobj_tls_handshake_failures_total",
                                    "DOIP v2 TLS handshakes that failed or timed out.")
                             .Add({})),
      tls_errors(m.Counters("ecusim_dobj_tls_errors_total",
                            "DOIP v2 connections closed for a TLS error after the handshake.")
                     .Add({})),
      connections(
          m.Counters("ecusim_dobj_connections_total", "DOIP v2 TLS connections accepted.").Add({})),
      connections_refused(m.Counters("ecusim_dobj_connections_refused_total",
                                     "DOIP v2 connections closed at once: too many open.")
                              .Add({})),
      connections_open(
          m.Gauges("ecusim_dobj_connections_open", "DOIP v2 connections open now.").Add({})),
      objects(
          m.Gauges("ecusim_dobj_objects", "Digital objects held by DOIP v2 endpoints.").Add({})),
      endpoints(m.Gauges("ecusim_dobj_endpoints", "DOIP v2 endpoints running.").Add({})),
      requests_(m.Counters("ecusim_dobj_requests_total",
                           "DOIP v2 requests answered, by operation (basic operation id, "
                           "\"extended\" or \"none\") and status.")),
      framing_(m.Counters("ecusim_dobj_framing_errors_total",
                          "DOIP v2 messages refused for bad framing, by error.")) {}

prometheus::Counter& EndpointMetrics::Request(const std::string& operation,
                                              const std::string& status) {
  auto key = std::make_pair(operation, status);
  auto it = request_cache_.find(key);
  if (it != request_cache_.end()) return *it->second;
  prometheus::Counter& c = requests_.Add({{"operation", operation}, {"status", status}});
  request_cache_.emplace(std::move(key), &c);
  return c;
}

prometheus::Counter& EndpointMetrics::Framing(FramingError error) {
  auto it = framing_cache_.find(error);
  if (it != framing_cache_.end()) return *it->second;
  prometheus::Counter& c = framing_.Add({{"error", std::string(FramingErrorName(error))}});
  framing_cache_.emplace(error, &c);
  return c;
}

}  // namespace ecusim::digital_object
