// The advertisement module of ecusimd: AdvertisementService, the scenario's per-ECU
// advertisements, ecusimd's own control endpoint (--advertise), and withdrawal of every file
// on SIGTERM.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "server/advert_service.h"
#include "server/build_info.h"
#include "server/module.h"

namespace ecusim::server {

std::unique_ptr<Module> CreateAdvertModule(Runtime& runtime);

namespace {

constexpr char kComponentKey[] = "advert";
constexpr char kSelfType[] = "ecusim";
// Room left for the ECU id list in the self-advertisement (the limit is 4096 bytes in all).
constexpr size_t kMaxEcuListBytes = 3072;

// Withdraws its ECU's advertisements when the ECU is deleted (runs on the ECU's shard; the
// file work is a few unlinks, lock waits are bounded). Holds the registry weakly: ECUs may
// outlive the module at process exit.
class EcuAdverts : public ecu::EcuComponent {
 public:
  EcuAdverts(std::weak_ptr<advert::AdvertRegistry> registry, std::string ecu_id)
      : registry_(std::move(registry)), ecu_id_(std::move(ecu_id)) {}
  void Shutdown() override {
    if (auto registry = registry_.lock()) registry->UnregisterEcu(ecu_id_);
  }

 private:
  std::weak_ptr<advert::AdvertRegistry> registry_;
  const std::string ecu_id_;
};

// "0.0.0.0:50051" -> "grpc://127.0.0.1:50051": a wildcard bind is reached on loopback, the
// advertisement being local to the host anyway.
std::string ControlAddress(const std::string& grpc_address, int port) {
  std::string host = "127.0.0.1";
  const size_t colon = grpc_address.rfind(':');
  if (colon != std::string::npos && colon > 0) {
    std::string h = grpc_address.substr(0, colon);
    if (h != "0.0.0.0" && h != "[::]" && h != "::" && h != "*") host = h;
  }
  return absl::StrCat("grpc://", host, ":", port);
}

std::string Expand(const std::string& text, const v1::Ecu& ecu) {
  return absl::StrReplaceAll(text, {{"{ecu_address}", ecu.address()}, {"{ecu_id}", ecu.id()}});
}

// The entry's advertisements as records, placeholders expanded and ecu_id added.
absl::StatusOr<std::vector<ParsedAdvertisement>> DesiredAdverts(const v1::ScenarioEcu& entry,
                                                                absl::string_view path) {
  std::vector<ParsedAdvertisement> out;
  std::set<std::string> uuids;
  for (int i = 0; i < entry.advertisements_size(); ++i) {
    v1::Advertisement a = entry.advertisements(i);
    a.set_service_name(Expand(a.service_name(), entry.ecu()));
    a.set_address(Expand(a.address(), entry.ecu()));
    for (auto& [k, v] : *a.mutable_properties()) v = Expand(v, entry.ecu());
    const bool has_ecu_id =
        a.properties().count("ecu_id") > 0 ||
        std::count(a.null_properties().begin(), a.null_properties().end(), "ecu_id") > 0;
    if (!has_ecu_id) (*a.mutable_properties())["ecu_id"] = entry.ecu().id();
    const std::string prefix =
        absl::StrCat(path, path.empty() ? "" : ".", "advertisements[", i, "].");
    auto parsed = FromProto(a, prefix);
    if (!parsed.ok()) return parsed.status();
    if (parsed->uuid && !uuids.insert(parsed->uuid->Hex()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(prefix, "uuid: ", a.uuid(), " is used twice in this ECU"));
    }
    out.push_back(*std::move(parsed));
  }
  return out;
}

bool SameContent(const advert::OwnedAdvert& have, const ParsedAdvertisement& want) {
  const advert::AdvertRecord& h = have.record;
  const advert::AdvertRecord& w = want.record;
  return h.service_name == w.service_name && h.service_type == w.service_type &&
         h.address == w.address && h.properties == w.properties &&
         (!want.uuid || *want.uuid == h.uuid);
}

class AdvertModule : public Module {
 public:
  explicit AdvertModule(Runtime& runtime)
      : runtime_(runtime),
        registry_(std::make_shared<advert::AdvertRegistry>(runtime.hub, Options(runtime.settings))),
        service_(*registry_, worker_) {
    if (runtime_.settings.advertise) self_thread_ = std::thread([this] { SelfAdvertLoop(); });
  }
  ~AdvertModule() override { Shutdown(); }

  absl::string_view name() const override { return "advert"; }
  grpc::Service* service() override { return &service_; }

  absl::Status ValidateScenarioEcu(const v1::ScenarioEcu& entry, absl::string_view path) override {
    return DesiredAdverts(entry, path).status();
  }

  absl::StatusOr<bool> ApplyScenarioEcu(const v1::ScenarioEcu& entry) override;

  void Shutdown() override {
    {
      std::lock_guard<std::mutex> lock(self_mu_);
      if (shut_down_) return;
      shut_down_ = true;
    }
    self_cv_.notify_all();
    if (self_thread_.joinable()) self_thread_.join();
    registry_->Close();
    worker_.Stop();
  }

 private:
  static advert::RegistryOptions Options(const Settings& settings) {
    advert::RegistryOptions o;
    o.root = advert::ResolveAdvertRoot(settings.advert_dir);
    return o;
  }

  absl::Status AttachComponent(const std::string& ecu_id);
  void SelfAdvertLoop();
  void RefreshSelfAdvert();

  Runtime& runtime_;
  std::shared_ptr<advert::AdvertRegistry> registry_;
  AdvertWorker worker_;
  AdvertServiceImpl service_;

  std::mutex apply_mu_;  // one scenario apply at a time per module

  std::mutex self_mu_;
  std::condition_variable self_cv_;
  bool shut_down_ = false;
  std::thread self_thread_;
  std::optional<advert::Uuid> self_uuid_;
  advert::AdvertRecord self_record_;
};

absl::Status AdvertModule::AttachComponent(const std::string& ecu_id) {
  return runtime_.ecus.RunOnAndWait(ecu_id, [this, ecu_id](ecu::Ecu& ecu) {
    if (ecu.component(kComponentKey) == nullptr) {
      ecu.set_component(kComponentKey, std::make_unique<EcuAdverts>(registry_, ecu_id));
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<bool> AdvertModule::ApplyScenarioEcu(const v1::ScenarioEcu& entry) {
  const std::string& ecu_id = entry.ecu().id();
  // The applier names the ECU in front of our message.
  auto desired = DesiredAdverts(entry, "");
  if (!desired.ok()) return desired.status();
  std::lock_guard<std::mutex> lock(apply_mu_);
  std::vector<advert::OwnedAdvert> current = registry_->ListEcu(ecu_id);
  if (current.empty() && desired->empty()) return false;
  if (!desired->empty()) {
    if (absl::Status s = AttachComponent(ecu_id); !s.ok()) return s;
  }
  std::vector<bool> kept(current.size(), false);
  std::vector<const ParsedAdvertisement*> missing;
  for (const ParsedAdvertisement& want : *desired) {
    bool found = false;
    for (size_t i = 0; i < current.size() && !found; ++i) {
      if (!kept[i] && SameContent(current[i], want)) kept[i] = found = true;
    }
    if (!found) missing.push_back(&want);
  }
  bool changed = false;
  for (size_t i = 0; i < current.size(); ++i) {
    if (kept[i]) continue;
    (void)registry_->Unregister(current[i].record.uuid);
    changed = true;
  }
  for (const ParsedAdvertisement* want : missing) {
    auto owned = registry_->Register(want->record, want->uuid, ecu_id);
    if (!owned.ok()) return owned.status();
    changed = true;
  }
  return changed;
}

void AdvertModule::RefreshSelfAdvert() {
  // Written once by the gRPC builder while it binds; read here until it is set.
  const int port = std::atomic_ref<int>(runtime_.grpc_port).load(std::memory_order_relaxed);
  if (port <= 0) return;  // the server has not bound yet
  std::vector<std::string> ids;
  size_t bytes = 0;
  bool truncated = false;
  const auto ecus = runtime_.ecus.List();
  for (const auto& ecu : ecus) {
    bytes += ecu->id().size() + 1;
    if (bytes > kMaxEcuListBytes) {
      truncated = true;
      break;
    }
    ids.push_back(ecu->id());
  }
  advert::AdvertRecord r;
  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  r.service_name = absl::StrCat("ecusimd@", host);
  r.service_type = kSelfType;
  r.address = ControlAddress(runtime_.settings.grpc_address, port);
  r.properties = {{"version", ECUSIM_VERSION},
                  {"commit", ECUSIM_COMMIT},
                  {"ecus", absl::StrJoin(ids, ",")},
                  {"ecu_count", absl::StrCat(ecus.size())}};
  if (truncated) r.properties["ecus_truncated"] = "true";
  if (self_uuid_) {
    r.uuid = *self_uuid_;
    r.pid = self_record_.pid;
    if (r.service_name == self_record_.service_name && r.address == self_record_.address &&
        r.properties == self_record_.properties) {
      return;
    }
    auto updated = registry_->Update(*self_uuid_, r);
    if (updated.ok()) self_record_ = updated->record;
    return;
  }
  auto owned = registry_->Register(r, std::nullopt);
  if (!owned.ok()) {
    std::fprintf(stderr, "advert: cannot advertise the control endpoint: %s\n",
                 std::string(owned.status().message()).c_str());
    return;
  }
  self_uuid_ = owned->record.uuid;
  self_record_ = owned->record;
  std::fprintf(stderr, "advert: advertising %s in %s\n", r.address.c_str(), owned->path.c_str());
}

void AdvertModule::SelfAdvertLoop() {
  std::unique_lock<std::mutex> lock(self_mu_);
  while (!shut_down_) {
    lock.unlock();
    RefreshSelfAdvert();
    lock.lock();
    // The port appears once the server is up; the ECU list changes with the scenario.
    self_cv_.wait_for(lock, std::chrono::milliseconds(self_uuid_ ? 1000 : 50),
                      [this] { return shut_down_; });
  }
}

}  // namespace

std::unique_ptr<Module> CreateAdvertModule(Runtime& runtime) {
  return std::make_unique<AdvertModule>(runtime);
}

}  // namespace ecusim::server
