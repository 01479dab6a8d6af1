// Counts every RPC in ecusim_grpc_requests_total{service,method,code}.
#ifndef ECUSIM_SERVER_METRICS_INTERCEPTOR_H_
#define ECUSIM_SERVER_METRICS_INTERCEPTOR_H_

#include <grpcpp/support/server_interceptor.h>
#include <prometheus/counter.h>

#include <map>
#include <string>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "sim/observe/metrics.h"

namespace ecusim::server {

class GrpcRequestCounter {
 public:
  explicit GrpcRequestCounter(observe::Metrics& metrics);
  // `full_method` is "/package.Service/Method".
  void Count(const std::string& full_method, grpc::StatusCode code);

 private:
  prometheus::Family<prometheus::Counter>& family_;
  absl::Mutex mu_;
  std::map<std::pair<std::string, int>, prometheus::Counter*> counters_ ABSL_GUARDED_BY(mu_);
};

class MetricsInterceptorFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsInterceptorFactory(GrpcRequestCounter& counter) : counter_(counter) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  GrpcRequestCounter& counter_;
};

}  // namespace ecusim::server

#endif  // ECUSIM_SERVER_METRICS_INTERCEPTOR_H_
