// SomeIpService streams: PublishEvents (client stream, high rate) and HandleMethods (bidi).
#include <array>
#include <deque>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/grpc_util.h"
#include "server/someip_service.h"

namespace ecusim::server {
namespace {

using someip::ServiceInstance;
using someip::SomeIpEcu;

// Keeps at most two messages in flight: one being sent by the shard while the next is read,
// so gRPC decoding and sending overlap. gRPC flow control is the only other buffer; nothing
// queues without bound. Messages of one stream go to one shard in order (asio posts are FIFO).
class PublishEventsReactor : public grpc::ServerReadReactor<v1::PublishEventsRequest> {
 public:
  PublishEventsReactor(SomeIpServiceImpl& service, v1::PublishEventsResponse* response)
      : service_(service), response_(response) {
    reading_ = true;
    StartRead(&buffers_[0]);
  }

  void OnReadDone(bool ok) override {
    bool read_more = false;
    bool finish = false;
    grpc::Status status;
    v1::PublishEventsRequest* request = nullptr;
    std::string ecu_id;
    uint32_t service_id = 0, instance_id = 0;
    {
      absl::MutexLock lock(&mu_);
      reading_ = false;
      if (!ok) {
        eof_ = true;
      } else {
        request = &buffers_[read_index_];
        if (!request->ecu_id().empty()) {
          ecu_id_ = request->ecu_id();
          service_id_ = request->service_id();
          instance_id_ = request->instance_id();
        }
        if (ecu_id_.empty()) {
          status_ = ToGrpcStatus(absl::InvalidArgumentError(
              "the first PublishEventsRequest must name ecu_id, service_id and instance_id"));
          request = nullptr;
        } else {
          ecu_id = ecu_id_;
          service_id = service_id_;
          instance_id = instance_id_;
          ++in_flight_;
          read_index_ ^= 1;
        }
      }
      Decide(read_more, finish, status);
    }
    if (request != nullptr) {
      service_.RunOnInstance(
          ecu_id, service_id, instance_id,
          [this, request](SomeIpEcu& c, ServiceInstance& inst) {
            Publish(c, inst, *request);
            return absl::OkStatus();
          },
          [this](absl::Status s) { OnPublished(s); });
    }
    Act(read_more, finish, status);
  }

  void OnDone() override { delete this; }

 private:
  void OnPublished(const absl::Status& s) {
    bool read_more = false, finish = false;
    grpc::Status status;
    {
      absl::MutexLock lock(&mu_);
      --in_flight_;
      if (!s.ok() && status_.ok()) status_ = ToGrpcStatus(s);
      Decide(read_more, finish, status);
    }
    Act(read_more, finish, status);
  }

  // Under mu_: what to do next (acted upon outside the lock).
  void Decide(bool& read_more, bool& finish, grpc::Status& status)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    if ((eof_ || !status_.ok()) && in_flight_ == 0 && !reading_) {
      finished_ = finish = true;
      status = status_;
      return;
    }
    if (!reading_ && !eof_ && status_.ok() && in_flight_ < 2) {
      reading_ = read_more = true;
      next_read_ = &buffers_[read_index_];
    }
  }

  void Act(bool read_more, bool finish, const grpc::Status& status) {
    if (read_more) StartRead(next_read_);
    if (finish) Finish(status);
  }

  // On the ECU's shard.
  void Publish(SomeIpEcu& c, ServiceInstance& inst, v1::PublishEventsRequest& request) {
    uint64_t sent = 0;
    uint64_t rejected = 0;
    std::string error;
    for (const v1::PublishedEvent& e : request.events()) {
      if (e.eventgroup_id() > 0xFFFF || e.event_id() > 0xFFFF) {
        ++rejected;
        if (first_error_.empty()) {
          first_error_ = absl::StrFormat("eventgroup 0x%X / event 0x%X do not fit 16 bits",
                                         e.eventgroup_id(), e.event_id());
        }
        continue;
      }
      const std::string& p = e.payload();
      if (c.QueueEvent(inst, static_cast<uint16_t>(e.eventgroup_id()),
                       static_cast<uint16_t>(e.event_id()),
                       someip::ByteSpan(reinterpret_cast<const uint8_t*>(p.data()), p.size()),
                       first_error_.empty() ? &error : nullptr)) {
        ++sent;
      } else {
        ++rejected;
        if (first_error_.empty()) first_error_ = error;
      }
    }
    c.FlushEvents();
    response_->set_sent(response_->sent() + sent);
    response_->set_rejected(response_->rejected() + rejected);
    response_->set_first_error(first_error_);
  }

  SomeIpServiceImpl& service_;
  v1::PublishEventsResponse* response_;  // written on the shard only, read after Finish
  std::string first_error_;
  std::array<v1::PublishEventsRequest, 2> buffers_;
  absl::Mutex mu_;
  int read_index_ ABSL_GUARDED_BY(mu_) = 0;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  bool reading_ ABSL_GUARDED_BY(mu_) = false;
  bool eof_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
  v1::PublishEventsRequest* next_read_ = nullptr;
  std::string ecu_id_ ABSL_GUARDED_BY(mu_);
  uint32_t service_id_ ABSL_GUARDED_BY(mu_) = 0;
  uint32_t instance_id_ ABSL_GUARDED_BY(mu_) = 0;
};

// Calls the instance forwards, queued for the stream. Outlives the reactor (the shard may
// still forward after the stream ended) and is bounded by the instance's pending-call limit.
struct CallQueue {
  absl::Mutex mu;
  grpc::ServerBidiReactor<v1::MethodReply, v1::MethodCall>* reactor ABSL_GUARDED_BY(mu) = nullptr;
  std::deque<v1::MethodCall> pending ABSL_GUARDED_BY(mu);
  bool writing ABSL_GUARDED_BY(mu) = false;
};

class HandleMethodsReactor : public grpc::ServerBidiReactor<v1::MethodReply, v1::MethodCall> {
 public:
  explicit HandleMethodsReactor(SomeIpServiceImpl& service)
      : service_(service), queue_(std::make_shared<CallQueue>()) {
    {
      absl::MutexLock lock(&queue_->mu);
      queue_->reactor = this;
    }
    StartRead(&reply_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) return End(grpc::Status::OK);
    if (!registered_) return Register();
    if (!reply_.has_behavior()) {
      return End(ToGrpcStatus(absl::InvalidArgumentError(
          absl::StrCat("reply to call ", reply_.call_id(), " has no behavior"))));
    }
    auto b = BehaviorFromProto(reply_.behavior(), "behavior");
    if (!b.ok()) return End(ToGrpcStatus(b.status()));
    uint64_t call = reply_.call_id();
    service_.RunOnInstance(
        ecu_id_, service_id_, instance_id_,
        [call, behavior = *b](SomeIpEcu& c, ServiceInstance& inst) {
          someip::Datagrams out;
          // A late answer (timed out, already E_NOT_OK) is not an error for the stream.
          (void)inst.CompleteCall(c.ecu().hub().clock.Now(), call, behavior, out);
          c.Dispatch(out);
          return absl::OkStatus();
        },
        [this](absl::Status s) {
          if (!s.ok()) return End(ToGrpcStatus(s));
          StartRead(&reply_);
        });
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&queue_->mu);
    queue_->pending.pop_front();
    queue_->writing = false;
    if (ok && !queue_->pending.empty()) {
      queue_->writing = true;
      StartWrite(&queue_->pending.front());
    }
  }

  void OnCancel() override { Unregister(); }

  void OnDone() override {
    {
      absl::MutexLock lock(&queue_->mu);
      queue_->reactor = nullptr;
    }
    delete this;
  }

 private:
  void Register() {
    if (!reply_.has_filter() || reply_.filter().ecu_id().empty()) {
      return End(ToGrpcStatus(absl::InvalidArgumentError(
          "the first MethodReply must carry a filter naming ecu_id, service_id, instance_id")));
    }
    const v1::MethodFilter& f = reply_.filter();
    ecu_id_ = f.ecu_id();
    service_id_ = f.service_id();
    instance_id_ = f.instance_id();
    std::set<uint16_t> methods;
    for (uint32_t m : f.method_ids()) {
      auto id = Id16("filter.method_ids", m);
      if (!id.ok()) return End(ToGrpcStatus(id.status()));
      methods.insert(*id);
    }
    std::weak_ptr<CallQueue> weak = queue_;
    std::string ecu_id = ecu_id_;
    service_.RunOnInstance(
        ecu_id_, service_id_, instance_id_,
        [methods, weak, ecu_id](SomeIpEcu& c, ServiceInstance& inst) -> absl::Status {
          if (inst.has_forwarder()) {
            return absl::AlreadyExistsError(absl::StrFormat(
                "service 0x%04X instance 0x%04X on ecu \"%s\" is already handled by another "
                "HandleMethods stream",
                inst.service_id(), inst.instance_id(), ecu_id));
          }
          uint16_t s = inst.service_id(), i = inst.instance_id();
          inst.SetForwarder(methods, [weak, ecu_id, s, i](const someip::ForwardedCall& call) {
            auto q = weak.lock();
            if (!q) return;
            v1::MethodCall m;
            m.set_call_id(call.call_id);
            m.set_ecu_id(ecu_id);
            m.set_service_id(s);
            m.set_instance_id(i);
            m.set_method_id(call.method_id);
            m.set_client_id(call.client_id);
            m.set_session_id(call.session_id);
            m.set_payload(std::string(call.payload.begin(), call.payload.end()));
            m.set_peer(absl::StrCat(call.peer.address().to_string(), ":", call.peer.port()));
            absl::MutexLock lock(&q->mu);
            if (q->reactor == nullptr) return;
            q->pending.push_back(std::move(m));
            if (!q->writing) {
              q->writing = true;
              q->reactor->StartWrite(&q->pending.front());
            }
          });
          return absl::OkStatus();
        },
        [this](absl::Status s) {
          if (!s.ok()) return End(ToGrpcStatus(s));
          registered_ = true;
          StartRead(&reply_);
        });
  }

  void Unregister() {
    if (!registered_ || unregistered_.exchange(true)) return;
    service_.runtime().ecus.RunOn(
        ecu_id_,
        [s = service_id_, i = instance_id_](ecu::Ecu& ecu) {
          auto* c = ecu.component_as<SomeIpEcu>(someip::kComponentKey);
          ServiceInstance* inst = c ? c->server().Find(s, i) : nullptr;
          if (inst) inst->ClearForwarder();
          return absl::OkStatus();
        },
        [](absl::Status) {});
  }

  void End(grpc::Status status) {
    Unregister();
    {
      absl::MutexLock lock(&queue_->mu);
      queue_->reactor = nullptr;
    }
    Finish(status);
  }

  SomeIpServiceImpl& service_;
  std::shared_ptr<CallQueue> queue_;
  v1::MethodReply reply_;
  bool registered_ = false;
  std::atomic<bool> unregistered_{false};
  std::string ecu_id_;
  uint32_t service_id_ = 0;
  uint32_t instance_id_ = 0;
};

}  // namespace

grpc::ServerReadReactor<v1::PublishEventsRequest>* SomeIpServiceImpl::PublishEvents(
    grpc::CallbackServerContext*, v1::PublishEventsResponse* response) {
  return new PublishEventsReactor(*this, response);
}

grpc::ServerBidiReactor<v1::MethodReply, v1::MethodCall>* SomeIpServiceImpl::HandleMethods(
    grpc::CallbackServerContext*) {
  return new HandleMethodsReactor(*this);
}

}  // namespace ecusim::server
