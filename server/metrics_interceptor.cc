#include "server/metrics_interceptor.h"

namespace ecusim::server {
namespace {

const char* CodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    default:
      return "UNKNOWN";
  }
}

class MetricsInterceptor : public grpc::experimental::Interceptor {
 public:
  MetricsInterceptor(GrpcRequestCounter& counter, std::string method)
      : counter_(counter), method_(std::move(method)) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      counter_.Count(method_, methods->GetSendStatus().error_code());
    }
    methods->Proceed();
  }

 private:
  GrpcRequestCounter& counter_;
  const std::string method_;
};

}  // namespace

GrpcRequestCounter::GrpcRequestCounter(observe::Metrics& metrics)
    : family_(metrics.Counters("ecusim_grpc_requests_total",
                               "Control API calls by service, method and status code.")) {}

void GrpcRequestCounter::Count(const std::string& full_method, grpc::StatusCode code) {
  prometheus::Counter* counter;
  {
    absl::MutexLock lock(&mu_);
    auto& slot = counters_[{full_method, static_cast<int>(code)}];
    if (slot == nullptr) {
      // "/ecusim.v1.EcuService/CreateEcu" -> service "ecusim.v1.EcuService", method "CreateEcu".
      std::string service = full_method, method;
      if (auto slash = full_method.rfind('/'); slash != std::string::npos && slash > 0) {
        service = full_method.substr(1, slash - 1);
        method = full_method.substr(slash + 1);
      }
      slot = &family_.Add({{"service", service}, {"method", method}, {"code", CodeName(code)}});
    }
    counter = slot;
  }
  counter->Increment();
}

grpc::experimental::Interceptor* MetricsInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new MetricsInterceptor(counter_, info->method());
}

}  // namespace ecusim::server
