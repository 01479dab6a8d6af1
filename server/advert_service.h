// ecusim.v1.AdvertisementService over the sim's AdvertRegistry. Thin: translate proto <-> sim
// and run the (blocking, file system) work on one worker thread, so gRPC's callback threads
// never wait on a peer's .lock.
#ifndef ECUSIM_SERVER_ADVERT_SERVICE_H_
#define ECUSIM_SERVER_ADVERT_SERVICE_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "absl/status/statusor.h"
#include "ecusim/v1/advertisement.grpc.pb.h"
#include "sim/advert/advert_registry.h"

namespace ecusim::server {

// One thread running posted jobs in order; Stop() runs what is queued, then joins.
class AdvertWorker {
 public:
  AdvertWorker();
  ~AdvertWorker();
  void Post(std::function<void()> job);
  void Stop();

 private:
  void Run();
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stop_ = false;
  std::thread thread_;
};

// A proto Advertisement as the sim's record (+ the caller's uuid, if any). Errors are
// INVALID_ARGUMENT naming "<prefix><field>".
struct ParsedAdvertisement {
  advert::AdvertRecord record;
  std::optional<advert::Uuid> uuid;
};
absl::StatusOr<ParsedAdvertisement> FromProto(const v1::Advertisement& a,
                                              const std::string& prefix);
void ToProto(const advert::AdvertRecord& record, const std::string& path, const std::string& ecu_id,
             v1::Advertisement& out);

class AdvertServiceImpl final : public v1::AdvertisementService::CallbackService {
 public:
  AdvertServiceImpl(advert::AdvertRegistry& registry, AdvertWorker& worker)
      : registry_(registry), worker_(worker) {}

  grpc::ServerUnaryReactor* Register(grpc::CallbackServerContext* ctx,
                                     const v1::RegisterRequest* req,
                                     v1::Advertisement* resp) override;
  grpc::ServerUnaryReactor* Unregister(grpc::CallbackServerContext* ctx,
                                       const v1::UnregisterRequest* req,
                                       v1::UnregisterResponse* resp) override;
  grpc::ServerUnaryReactor* Discover(grpc::CallbackServerContext* ctx,
                                     const v1::DiscoverRequest* req,
                                     v1::DiscoverResponse* resp) override;
  grpc::ServerUnaryReactor* List(grpc::CallbackServerContext* ctx,
                                 const v1::ListAdvertisementsRequest* req,
                                 v1::ListAdvertisementsResponse* resp) override;

 private:
  advert::AdvertRegistry& registry_;
  AdvertWorker& worker_;
};

}  // namespace ecusim::server

#endif  // ECUSIM_SERVER_ADVERT_SERVICE_H_
