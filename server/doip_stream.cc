#include "server/doip_stream.h"

#include <deque>
#include <memory>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "server/grpc_util.h"
#include "sim/doip/doip_component.h"

namespace ecusim::server {
namespace {

using Reactor = grpc::ServerBidiReactor<v1::DiagnosticReply, v1::DiagnosticRequest>;

// Requests waiting to be written to the stream. Shared with the shard's forward handler,
// which may outlive the reactor. Bounded: when full the model answers instead.
class Outbox {
 public:
  static constexpr size_t kCapacity = 1024;

  explicit Outbox(Reactor* reactor) : reactor_(reactor) {}

  // Shard thread. False when the stream cannot take it (gone, finishing, full).
  bool Push(v1::DiagnosticRequest request) {
    const v1::DiagnosticRequest* start = nullptr;
    Reactor* reactor = nullptr;
    {
      absl::MutexLock lock(&mu_);
      if (reactor_ == nullptr || finishing_ || queue_.size() >= kCapacity) return false;
      queue_.push_back(std::move(request));
      if (!writing_) {
        writing_ = true;
        start = &queue_.front();
        reactor = reactor_;
      }
    }
    if (start != nullptr) reactor->StartWrite(start);
    return true;
  }

  // Reactor: the previous write finished.
  void WriteDone() {
    const v1::DiagnosticRequest* next = nullptr;
    std::optional<grpc::Status> finish;
    Reactor* reactor = nullptr;
    {
      absl::MutexLock lock(&mu_);
      if (!queue_.empty()) queue_.pop_front();
      reactor = reactor_;
      if (!queue_.empty() && !finishing_) {
        next = &queue_.front();
      } else {
        writing_ = false;
        if (finishing_ && !finished_) {
          finished_ = true;
          finish = status_;
        }
      }
    }
    if (next != nullptr) reactor->StartWrite(next);
    if (finish) reactor->Finish(*finish);
  }

  // Finishes the stream once no write is in flight. Idempotent.
  void RequestFinish(const grpc::Status& status) {
    Reactor* reactor = nullptr;
    {
      absl::MutexLock lock(&mu_);
      if (finishing_) return;
      finishing_ = true;
      status_ = status;
      if (writing_) return;
      finished_ = true;
      reactor = reactor_;
    }
    reactor->Finish(status);
  }

  void Detach() {
    absl::MutexLock lock(&mu_);
    reactor_ = nullptr;
  }

 private:
  absl::Mutex mu_;
  Reactor* reactor_ ABSL_GUARDED_BY(mu_);
  std::deque<v1::DiagnosticRequest> queue_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finishing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
};

class DiagnosticsStream final : public Reactor {
 public:
  explicit DiagnosticsStream(Runtime& runtime)
      : runtime_(runtime), outbox_(std::make_shared<Outbox>(this)) {
    StartRead(&reply_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) return Close(absl::OkStatus());
    if (ecu_id_.empty()) return Bind();
    if (reply_.request_id() != 0) {
      std::optional<doip::Bytes> uds;
      if (!reply_.uds().empty()) uds = doip::Bytes(reply_.uds().begin(), reply_.uds().end());
      runtime_.ecus.RunOn(
          ecu_id_,
          [owner = outbox_.get(), id = reply_.request_id(), uds](ecu::Ecu& ecu) {
            auto* c = ecu.component_as<doip::DoipComponent>(doip::kComponentKey);
            if (c != nullptr && c->transport().forward_owner() == owner) {
              c->transport().ExternalReply(id, uds);
            }
            return absl::OkStatus();
          },
          [](absl::Status) {});
    }
    StartRead(&reply_);
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      outbox_->WriteDone();
      return Close(absl::OkStatus());
    }
    outbox_->WriteDone();
  }

  void OnDone() override {
    outbox_->Detach();
    delete this;
  }

 private:
  void Bind() {
    std::set<uint16_t> addresses;
    absl::Status s = ecu::ValidateEcuId(reply_.ecu_id()).ok()
                         ? absl::OkStatus()
                         : absl::InvalidArgumentError(absl::StrCat(
                               "first message: ecu_id \"", reply_.ecu_id(), "\" is invalid"));
    for (uint32_t a : reply_.logical_addresses()) {
      if (a > 0xFFFF) {
        s = absl::InvalidArgumentError(absl::StrFormat("logical_addresses %d exceeds 0xFFFF", a));
      }
      addresses.insert(static_cast<uint16_t>(a));
    }
    if (!s.ok()) return outbox_->RequestFinish(ToGrpcStatus(s));
    ecu_id_ = reply_.ecu_id();
    std::shared_ptr<Outbox> outbox = outbox_;
    runtime_.ecus.RunOn(
        ecu_id_,
        [outbox, addresses, id = ecu_id_](ecu::Ecu& ecu) -> absl::Status {
          auto* c = ecu.component_as<doip::DoipComponent>(doip::kComponentKey);
          if (c == nullptr) {
            return absl::NotFoundError(
                absl::StrCat("ecu \"", id, "\" has no DoIP entity (StartEntity first)"));
          }
          if (c->transport().has_forward_handler()) {
            return absl::AlreadyExistsError(
                absl::StrCat("ecu \"", id, "\" is already handled by another stream"));
          }
          for (uint16_t a : addresses) {
            if (c->entity().FindEcu(a) == nullptr) {
              return absl::NotFoundError(absl::StrFormat(
                  "ecu \"%s\": the DoIP entity has no logical address 0x%04X", id, a));
            }
          }
          c->transport().SetForwardHandler(
              [outbox, id](const doip::Action& a) {
                v1::DiagnosticRequest r;
                r.set_request_id(a.request_id);
                r.set_ecu_id(id);
                r.set_source_address(a.source_address);
                r.set_target_address(a.target_address);
                r.set_uds(std::string(a.bytes.begin(), a.bytes.end()));
                return outbox->Push(std::move(r));
              },
              outbox.get());
          c->entity().SetExternalHandler(true, addresses.empty(), addresses);
          return absl::OkStatus();
        },
        [this](absl::Status st) {
          if (!st.ok()) {
            bound_failed_ = true;
            return outbox_->RequestFinish(ToGrpcStatus(st));
          }
          StartRead(&reply_);
        });
  }

  // Detaches from the entity (pending requests go to the model), then finishes.
  void Close(absl::Status status) {
    if (ecu_id_.empty() || bound_failed_) return outbox_->RequestFinish(ToGrpcStatus(status));
    runtime_.ecus.RunOn(
        ecu_id_,
        [owner = outbox_.get()](ecu::Ecu& ecu) {
          auto* c = ecu.component_as<doip::DoipComponent>(doip::kComponentKey);
          if (c != nullptr) c->transport().ClearForwardHandler(owner);
          return absl::OkStatus();
        },
        [outbox = outbox_, status](absl::Status) { outbox->RequestFinish(ToGrpcStatus(status)); });
  }

  Runtime& runtime_;
  std::shared_ptr<Outbox> outbox_;
  v1::DiagnosticReply reply_;
  std::string ecu_id_;
  bool bound_failed_ = false;
};

}  // namespace

grpc::ServerBidiReactor<v1::DiagnosticReply, v1::DiagnosticRequest>* NewDiagnosticsStream(
    Runtime& runtime) {
  return new DiagnosticsStream(runtime);
}

}  // namespace ecusim::server
