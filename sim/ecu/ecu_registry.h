// The ECUs of the process, by id. The registry itself is guarded by a mutex and used by the
// control plane; each ECU's state is reached only through RunOn, on the ECU's shard.
#ifndef ECUSIM_SIM_ECU_ECU_REGISTRY_H_
#define ECUSIM_SIM_ECU_ECU_REGISTRY_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "sim/core/shard.h"
#include "sim/ecu/ecu.h"
#include "sim/observe/hub.h"

namespace ecusim::ecu {

class EcuRegistry {
 public:
  EcuRegistry(core::ShardPool& shards, observe::Hub& hub);
  ~EcuRegistry();

  // ALREADY_EXISTS when the id is taken; INVALID_ARGUMENT for a bad identity.
  absl::StatusOr<std::shared_ptr<Ecu>> Create(EcuIdentity identity);

  // Removes the ECU at once (it is no longer found), then shuts its components down on its
  // shard and calls `done` there. NOT_FOUND when there is no such ECU.
  absl::Status Delete(absl::string_view id, std::function<void()> done);

  std::shared_ptr<Ecu> Find(absl::string_view id) const;
  // Sorted by id.
  std::vector<std::shared_ptr<Ecu>> List() const;
  size_t size() const;

  // Runs `fn` on the ECU's shard thread, then `done` (also on that thread) with its status.
  // `done` gets NOT_FOUND, naming the id, when the ECU does not exist or was deleted before
  // `fn` could run.
  void RunOn(absl::string_view id, std::function<absl::Status(Ecu&)> fn,
             std::function<void(absl::Status)> done);

  // RunOn for blocking callers (scenario application): returns fn's status once it has run.
  // Must not be called from a shard thread.
  absl::Status RunOnAndWait(absl::string_view id, std::function<absl::Status(Ecu&)> fn);

  // Shuts down every ECU's components on their shards and empties the registry. Blocks; not
  // for use on a shard thread.
  void ShutdownAll();

  core::ShardPool& shards() { return shards_; }
  observe::Hub& hub() { return hub_; }

 private:
  core::ShardPool& shards_;
  observe::Hub& hub_;
  prometheus::Gauge& ecus_gauge_;
  int snapshot_token_ = 0;
  mutable absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<Ecu>, std::less<>> ecus_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ecusim::ecu

#endif  // ECUSIM_SIM_ECU_ECU_REGISTRY_H_
