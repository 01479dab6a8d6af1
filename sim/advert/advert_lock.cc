#include "sim/advert/advert_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "absl/strings/str_cat.h"

namespace ecusim::advert {
namespace {

constexpr std::chrono::milliseconds kPollInterval(5);

}  // namespace

SidecarLock SidecarLock::Acquire(const std::string& lock_path, std::chrono::milliseconds timeout) {
  // filelock opens with mode 0o644 by default.
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    const int err = errno;
    return SidecarLock(-1, lock_path,
                       absl::FailedPreconditionError(
                           absl::StrCat("cannot open lock ", lock_path, ": ", std::strerror(err))));
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return SidecarLock(fd, lock_path, absl::OkStatus());
    const int err = errno;
    if (err != EWOULDBLOCK && err != EINTR) {
      ::close(fd);
      return SidecarLock(-1, lock_path,
                         absl::FailedPreconditionError(
                             absl::StrCat("cannot lock ", lock_path, ": ", std::strerror(err))));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      ::close(fd);
      return SidecarLock(-1, lock_path,
                         absl::DeadlineExceededError(absl::StrCat(
                             "lock ", lock_path, " still held by another process after ",
                             timeout.count(), " ms")));
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

SidecarLock::SidecarLock(SidecarLock&& other) noexcept
    : fd_(other.fd_), path_(std::move(other.path_)), status_(std::move(other.status_)) {
  other.fd_ = -1;
}

SidecarLock& SidecarLock::operator=(SidecarLock&& other) noexcept {
  if (this != &other) {
    Release();
    fd_ = other.fd_;
    path_ = std::move(other.path_);
    status_ = std::move(other.status_);
    other.fd_ = -1;
  }
  return *this;
}

SidecarLock::~SidecarLock() { Release(); }

void SidecarLock::RemoveAndRelease() {
  if (fd_ >= 0) ::unlink(path_.c_str());
  Release();
}

void SidecarLock::Release() {
  if (fd_ < 0) return;
  ::flock(fd_, LOCK_UN);
  ::close(fd_);
  fd_ = -1;
}

}  // namespace ecusim::advert
