#include "server/observe_service.h"

#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "server/build_info.h"
#include "server/grpc_util.h"

namespace ecusim::server {
namespace {

void ToProto(const observe::Observation& o, v1::Observation* out) {
  out->set_kind(o.kind);
  out->set_ecu_id(o.ecu_id);
  out->set_resource(o.resource);
  const int64_t nanos = absl::ToUnixNanos(o.time);
  out->mutable_time()->set_seconds(nanos / 1000000000);
  out->mutable_time()->set_nanos(static_cast<int32_t>(nanos % 1000000000));
  for (const auto& [k, v] : o.attributes) (*out->mutable_attributes())[k] = v;
  out->set_snapshot(o.snapshot);
}

}  // namespace

// One Watch stream. The bus may wake it from any thread (a shard publishing an observation);
// writes are serialized by `mu_` and at most one is in flight.
class WatchReactor final : public grpc::ServerWriteReactor<v1::WatchResponse> {
 public:
  WatchReactor(ObserveServiceImpl& service, const v1::WatchRequest& request)
      : service_(service), bus_(service.runtime_.hub.bus) {
    if (request.queue_size() > ObserveServiceImpl::kMaxQueueSize) {
      Finish(ToGrpcStatus(absl::InvalidArgumentError(
          absl::StrCat("queue_size ", request.queue_size(), " is above the maximum ",
                       ObserveServiceImpl::kMaxQueueSize))));
      return;
    }
    observe::WatchFilter filter;
    filter.kind_prefixes = {request.kind_prefixes().begin(), request.kind_prefixes().end()};
    filter.ecu_ids = {request.ecu_ids().begin(), request.ecu_ids().end()};
    const size_t capacity =
        request.queue_size() == 0 ? ObserveServiceImpl::kDefaultQueueSize : request.queue_size();
    service_.watchers_.fetch_add(1);
    // The wakeup may outlive this reactor (a publisher may hold it while the stream ends),
    // so it reaches the reactor only through a shared, lockable handle.
    handle_ = std::make_shared<Handle>();
    handle_->reactor = this;
    watcher_ = bus_.Watch(std::move(filter), capacity, [h = handle_] {
      absl::MutexLock lock(&h->mu);
      if (h->reactor != nullptr) h->reactor->WriteNextLocked();
    });
    absl::MutexLock lock(&handle_->mu);
    WriteNextLocked();
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&handle_->mu);
    in_flight_ = false;
    if (!ok) {
      FinishLocked(grpc::Status::OK);
      return;
    }
    WriteNextLocked();
  }

  void OnCancel() override {
    absl::MutexLock lock(&handle_->mu);
    FinishLocked(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    if (handle_) {
      absl::MutexLock lock(&handle_->mu);
      handle_->reactor = nullptr;
    }
    if (watcher_) {
      bus_.Unwatch(watcher_);
      service_.dropped_.fetch_add(watcher_->dropped());
      service_.watchers_.fetch_sub(1);
    }
    delete this;
  }

 private:
  struct Handle {
    absl::Mutex mu;
    WatchReactor* reactor = nullptr;
  };

  // REQUIRES: handle_->mu held.
  void WriteNextLocked() {
    if (in_flight_ || finished_) return;
    if (pending_.empty()) {
      watcher_->Drain(64, pending_);
      next_ = 0;
      if (pending_.empty()) return;  // The watcher wakes us when something arrives.
    }
    auto& item = pending_[next_++];
    response_.Clear();
    if (item.type == observe::Watcher::Item::Type::kSyncMarker) {
      response_.mutable_sync()->set_snapshot_count(snapshot_count_);
    } else {
      if (item.observation.snapshot) ++snapshot_count_;
      ToProto(item.observation, response_.mutable_observation());
    }
    response_.set_dropped(watcher_->dropped());
    if (next_ == pending_.size()) pending_.clear();
    in_flight_ = true;
    StartWrite(&response_);
  }

  void FinishLocked(const grpc::Status& status) {
    if (finished_) return;
    finished_ = true;
    Finish(status);
  }

  ObserveServiceImpl& service_;
  observe::ObservationBus& bus_;
  std::shared_ptr<Handle> handle_;
  std::shared_ptr<observe::Watcher> watcher_;
  std::vector<observe::Watcher::Item> pending_;
  size_t next_ = 0;
  uint64_t snapshot_count_ = 0;
  v1::WatchResponse response_;
  bool in_flight_ = false;
  bool finished_ = false;
};

grpc::ServerWriteReactor<v1::WatchResponse>* ObserveServiceImpl::Watch(
    grpc::CallbackServerContext* /*ctx*/, const v1::WatchRequest* request) {
  return new WatchReactor(*this, *request);
}

grpc::ServerUnaryReactor* ObserveServiceImpl::GetStats(grpc::CallbackServerContext* ctx,
                                                       const v1::GetStatsRequest* /*request*/,
                                                       v1::GetStatsResponse* response) {
  response->set_version(ECUSIM_VERSION);
  response->set_commit(ECUSIM_COMMIT);
  response->set_ecus(static_cast<uint32_t>(runtime_.ecus.size()));
  response->set_shards(static_cast<uint32_t>(runtime_.shards.size()));
  response->set_observations_published(runtime_.hub.bus.published());
  response->set_observations_dropped(dropped_.load());
  response->set_watchers(static_cast<uint32_t>(watchers_.load()));
  response->set_uptime_seconds(absl::ToDoubleSeconds(absl::Now() - started_));
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace ecusim::server
