// ecusim.v1.ObserveService: Watch (snapshot, sync marker, live changes) and GetStats.
#ifndef ECUSIM_SERVER_OBSERVE_SERVICE_H_
#define ECUSIM_SERVER_OBSERVE_SERVICE_H_

#include <atomic>

#include "absl/time/time.h"
#include "ecusim/v1/observe.grpc.pb.h"
#include "server/runtime.h"

namespace ecusim::server {

class ObserveServiceImpl final : public v1::ObserveService::CallbackService {
 public:
  explicit ObserveServiceImpl(Runtime& runtime) : runtime_(runtime) {}

  grpc::ServerWriteReactor<v1::WatchResponse>* Watch(grpc::CallbackServerContext* ctx,
                                                     const v1::WatchRequest* request) override;
  grpc::ServerUnaryReactor* GetStats(grpc::CallbackServerContext* ctx,
                                     const v1::GetStatsRequest* request,
                                     v1::GetStatsResponse* response) override;

  static constexpr uint32_t kDefaultQueueSize = 4096;
  static constexpr uint32_t kMaxQueueSize = 1000000;

 private:
  friend class WatchReactor;
  Runtime& runtime_;
  const absl::Time started_ = absl::Now();
  std::atomic<int> watchers_{0};
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace ecusim::server

#endif  // ECUSIM_SERVER_OBSERVE_SERVICE_H_
