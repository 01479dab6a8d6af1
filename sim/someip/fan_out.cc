#include "sim/someip/fan_out.h"

#include <poll.h>

#include <cerrno>
#include <cstring>

namespace ecusim::someip {

FanOut::FanOut() : slots_(new uint8_t[kSlots * kSlotSize]) {}

void FanOut::Queue(const Endpoint& to, size_t slot, size_t len) {
  if (count_ == kBatch) Flush();
  std::memcpy(&addrs_[count_], to.data(), to.size());
  iovs_[count_].iov_base = slots_.get() + slot * kSlotSize;
  iovs_[count_].iov_len = len;
  msghdr& h = msgs_[count_].msg_hdr;
  h.msg_name = &addrs_[count_];
  h.msg_namelen = static_cast<socklen_t>(to.size());
  h.msg_iov = &iovs_[count_];
  h.msg_iovlen = 1;
  h.msg_control = nullptr;
  h.msg_controllen = 0;
  h.msg_flags = 0;
  ++count_;
}

bool FanOut::AddNotification(int fd, ServiceInstance& instance, uint16_t event_id,
                             ByteSpan payload) {
  if (kHeaderSize + payload.size() > kSlotSize) return false;
  const std::vector<Endpoint>& to = instance.Recipients(event_id);
  if (fd != fd_ || used_slots_ == kSlots || count_ + to.size() > kBatch) Flush();
  fd_ = fd;
  size_t slot = used_slots_++;
  // The session id advances even with no recipient: one id per event (_932).
  size_t len = instance.EncodeNotification(event_id, payload, slots_.get() + slot * kSlotSize);
  for (const Endpoint& ep : to) {
    if (instance.DropByFault()) {
      ++totals_.dropped_by_fault;
      continue;
    }
    Queue(ep, slot, len);
  }
  return true;
}

void FanOut::Flush() {
  size_t done = 0;
  uint64_t sent = 0;
  bool waited = false;
  while (done < count_) {
    int n = ::sendmmsg(fd_, msgs_.data() + done, static_cast<unsigned>(count_ - done), 0);
    if (n > 0) {
      done += static_cast<size_t>(n);
      sent += static_cast<uint64_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && !waited) {
      // Wait once, briefly, for room in the socket buffer; then drop rather than queue.
      pollfd p{fd_, POLLOUT, 0};
      ::poll(&p, 1, 1);
      waited = true;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      ++totals_.failed;  // this datagram is refused (e.g. unreachable); go on with the rest
      ++done;
      continue;
    }
    totals_.failed += count_ - done;
    break;
  }
  totals_.sent += sent;
  count_ = 0;
  used_slots_ = 0;
}

FanOut::Totals FanOut::TakeTotals() {
  Totals t = totals_;
  totals_ = {};
  return t;
}

}  // namespace ecusim::someip
