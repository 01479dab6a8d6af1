#include "server/advert_service.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "server/grpc_util.h"

namespace ecusim::server {
namespace {

absl::Status Prefixed(const absl::Status& s, const std::string& prefix) {
  if (s.ok() || prefix.empty()) return s;
  return absl::Status(s.code(), absl::StrCat(prefix, s.message()));
}

}  // namespace

AdvertWorker::AdvertWorker() : thread_([this] { Run(); }) {}

AdvertWorker::~AdvertWorker() { Stop(); }

void AdvertWorker::Post(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stop_) {
      jobs_.push_back(std::move(job));
      job = nullptr;
    }
  }
  cv_.notify_one();
  if (job) job();  // stopped: run inline rather than leave an RPC unfinished
}

void AdvertWorker::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void AdvertWorker::Run() {
  while (true) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
      if (jobs_.empty()) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

absl::StatusOr<ParsedAdvertisement> FromProto(const v1::Advertisement& a,
                                              const std::string& prefix) {
  ParsedAdvertisement p;
  p.record.service_name = a.service_name();
  p.record.service_type = a.service_type();
  p.record.address = a.address();
  for (const auto& [k, v] : a.properties()) p.record.properties[k] = v;
  for (const std::string& k : a.null_properties()) {
    if (p.record.properties.count(k)) {
      return absl::InvalidArgumentError(
          absl::StrCat(prefix, "null_properties: \"", k, "\" is also in properties with a value"));
    }
    p.record.properties[k] = std::nullopt;
  }
  if (absl::Status s = advert::ValidateRecord(p.record); !s.ok()) return Prefixed(s, prefix);
  if (!a.uuid().empty()) {
    auto uuid = advert::Uuid::Parse(a.uuid());
    if (!uuid.ok()) return Prefixed(uuid.status(), prefix);
    p.uuid = *uuid;
  }
  return p;
}

void ToProto(const advert::AdvertRecord& r, const std::string& path, const std::string& ecu_id,
             v1::Advertisement& out) {
  out.set_service_name(r.service_name);
  out.set_service_type(r.service_type);
  out.set_address(r.address);
  for (const auto& [k, v] : r.properties) {
    if (v) {
      (*out.mutable_properties())[k] = *v;
    } else {
      out.add_null_properties(k);
    }
  }
  out.set_uuid(r.uuid.Hyphenated());
  out.set_pid(static_cast<int32_t>(r.pid));
  out.set_path(path);
  out.set_ecu_id(ecu_id);
}

grpc::ServerUnaryReactor* AdvertServiceImpl::Register(grpc::CallbackServerContext* ctx,
                                                      const v1::RegisterRequest* req,
                                                      v1::Advertisement* resp) {
  auto* reactor = ctx->DefaultReactor();
  auto parsed = FromProto(req->advertisement(), "advertisement.");
  if (!parsed.ok()) {
    registry_.CountRejected("invalid_argument");
    FinishUnary(reactor, parsed.status());
    return reactor;
  }
  worker_.Post([this, reactor, resp, p = *std::move(parsed)]() mutable {
    auto owned = registry_.Register(std::move(p.record), p.uuid);
    if (owned.ok()) ToProto(owned->record, owned->path, owned->ecu_id, *resp);
    FinishUnary(reactor, owned.status());
  });
  return reactor;
}

grpc::ServerUnaryReactor* AdvertServiceImpl::Unregister(grpc::CallbackServerContext* ctx,
                                                        const v1::UnregisterRequest* req,
                                                        v1::UnregisterResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  auto uuid = advert::Uuid::Parse(req->uuid());
  if (!uuid.ok()) {
    registry_.CountRejected("invalid_argument");
    FinishUnary(reactor, uuid.status());
    return reactor;
  }
  worker_.Post([this, reactor, u = *uuid] { FinishUnary(reactor, registry_.Unregister(u)); });
  return reactor;
}

grpc::ServerUnaryReactor* AdvertServiceImpl::Discover(grpc::CallbackServerContext* ctx,
                                                      const v1::DiscoverRequest* req,
                                                      v1::DiscoverResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  advert::Properties filter;
  for (const auto& [k, v] : req->properties()) filter[k] = v;
  for (const std::string& k : req->absent_properties()) {
    if (filter.count(k)) {
      registry_.CountRejected("invalid_argument");
      FinishUnary(reactor, absl::InvalidArgumentError(absl::StrCat("absent_properties: \"", k,
                                                                   "\" is also in properties")));
      return reactor;
    }
    filter[k] = std::nullopt;
  }
  worker_.Post([this, reactor, resp, type = req->service_type(), filter = std::move(filter)] {
    advert::ScanStats stats;
    auto found = registry_.Discover(type, filter, &stats);
    if (found.ok()) {
      std::map<advert::Uuid, std::string> ecu_of;
      for (const auto& owned : registry_.List()) ecu_of[owned.record.uuid] = owned.ecu_id;
      for (const auto& f : *found) {
        auto it = ecu_of.find(f.record.uuid);
        ToProto(f.record, f.path, it == ecu_of.end() ? "" : it->second,
                *resp->add_advertisements());
      }
      resp->set_stale_removed(static_cast<uint32_t>(stats.stale_removed));
      resp->set_corrupt_skipped(static_cast<uint32_t>(stats.corrupt_skipped));
      resp->set_lock_timeouts(static_cast<uint32_t>(stats.lock_timeouts));
    }
    FinishUnary(reactor, found.status());
  });
  return reactor;
}

grpc::ServerUnaryReactor* AdvertServiceImpl::List(grpc::CallbackServerContext* ctx,
                                                  const v1::ListAdvertisementsRequest* req,
                                                  v1::ListAdvertisementsResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  for (const auto& owned : registry_.List()) {
    ToProto(owned.record, owned.path, owned.ecu_id, *resp->add_advertisements());
  }
  resp->set_root(registry_.root().path);
  resp->set_root_source(registry_.root().source);
  FinishUnary(reactor, absl::OkStatus());
  return reactor;
}

}  // namespace ecusim::server
