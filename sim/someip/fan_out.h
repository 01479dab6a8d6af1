// The event hot path: notifications for many recipients leave in sendmmsg batches. Buffers
// are allocated once; a message is encoded once into a slot and every recipient's mmsghdr
// points at it. Nothing queues beyond one batch: when the socket buffer stays full the rest
// of the batch is dropped and counted (UDP semantics, never unbounded memory).
#ifndef ECUSIM_SIM_SOMEIP_FAN_OUT_H_
#define ECUSIM_SIM_SOMEIP_FAN_OUT_H_

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "sim/someip/service_instance.h"

namespace ecusim::someip {

class FanOut {
 public:
  static constexpr size_t kBatch = 256;      // datagrams per sendmmsg
  static constexpr size_t kSlots = 256;      // distinct messages per batch
  static constexpr size_t kSlotSize = 1500;  // larger messages take the slow path

  struct Totals {
    uint64_t sent = 0;
    uint64_t failed = 0;
    uint64_t dropped_by_fault = 0;
  };

  FanOut();

  // Encodes a notification of `event_id` into a slot and queues it for every recipient of
  // the event (drop fault applied per copy). Flushes first when the batch is full or bound
  // to another socket. Returns false when the message does not fit a slot (caller uses the
  // slow path).
  bool AddNotification(int fd, ServiceInstance& instance, uint16_t event_id, ByteSpan payload);
  // Sends everything queued.
  void Flush();
  // Cumulative datagrams sent / dropped since the last TakeTotals.
  Totals TakeTotals();

 private:
  void Queue(const Endpoint& to, size_t slot, size_t len);

  int fd_ = -1;
  size_t used_slots_ = 0;
  size_t count_ = 0;
  std::unique_ptr<uint8_t[]> slots_;
  std::array<mmsghdr, kBatch> msgs_{};
  std::array<iovec, kBatch> iovs_{};
  std::array<sockaddr_storage, kBatch> addrs_{};
  Totals totals_;
};

}  // namespace ecusim::someip

#endif  // ECUSIM_SIM_SOMEIP_FAN_OUT_H_
