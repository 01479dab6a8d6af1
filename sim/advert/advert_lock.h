// The `<uuid hex>.lock` sidecar: an flock(2) exclusive lock, the mechanism of the Python
// `filelock` package bpod-core uses (UnixFileLock: open O_RDWR|O_CREAT, flock LOCK_EX|LOCK_NB
// polled until a timeout). Waiting is always bounded: a peer that never lets go costs one
// skipped file, never a stuck discovery.
#ifndef ECUSIM_SIM_ADVERT_ADVERT_LOCK_H_
#define ECUSIM_SIM_ADVERT_ADVERT_LOCK_H_

#include <chrono>
#include <string>

#include "absl/status/status.h"

namespace ecusim::advert {

class SidecarLock {
 public:
  // Takes the lock at `lock_path`, polling for at most `timeout`. Status of the result:
  // OK (held), DEADLINE_EXCEEDED (someone else holds it), or another error when the lock file
  // cannot be created (e.g. a read-only directory; callers may then go on without a lock).
  static SidecarLock Acquire(const std::string& lock_path, std::chrono::milliseconds timeout);

  SidecarLock(SidecarLock&& other) noexcept;
  SidecarLock& operator=(SidecarLock&& other) noexcept;
  SidecarLock(const SidecarLock&) = delete;
  SidecarLock& operator=(const SidecarLock&) = delete;
  ~SidecarLock();

  const absl::Status& status() const { return status_; }
  bool held() const { return fd_ >= 0; }

  // Unlinks the lock file while still holding it (as bpod-core's withdraw does), then releases.
  void RemoveAndRelease();
  void Release();

 private:
  SidecarLock(int fd, std::string path, absl::Status status)
      : fd_(fd), path_(std::move(path)), status_(std::move(status)) {}

  int fd_ = -1;
  std::string path_;
  absl::Status status_;
};

}  // namespace ecusim::advert

#endif  // ECUSIM_SIM_ADVERT_ADVERT_LOCK_H_
