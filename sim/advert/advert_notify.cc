#include "sim/advert/advert_notify.h"

#include <dirent.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <string_view>

namespace ecusim::advert {
namespace {

constexpr uint32_t kDirEvents = IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM |
                                IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;

bool IsDirectory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

TreeNotifier::TreeNotifier(std::string root)
    : root_(std::move(root)), fd_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {}

TreeNotifier::~TreeNotifier() {
  if (fd_ >= 0) ::close(fd_);
}

void TreeNotifier::Rearm() {
  if (fd_ < 0) return;
  for (int wd : watches_) ::inotify_rm_watch(fd_, wd);
  watches_.clear();
  auto add = [this](const std::string& path) {
    const int wd = ::inotify_add_watch(fd_, path.c_str(), kDirEvents);
    if (wd >= 0) watches_.push_back(wd);
  };
  if (!IsDirectory(root_)) {
    std::filesystem::path p = std::filesystem::path(root_).parent_path();
    while (!p.empty() && !IsDirectory(p.string()) && p != p.root_path()) p = p.parent_path();
    if (!p.empty()) add(p.string());
    return;
  }
  add(root_);
  if (DIR* d = ::opendir(root_.c_str())) {
    while (const dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      const std::string path = root_ + "/" + name;
      if (IsDirectory(path)) add(path);
    }
    ::closedir(d);
  }
}

bool TreeNotifier::Drain() {
  // Readers open .lock files for writing, which raises IN_CREATE / IN_CLOSE_WRITE on every
  // discovery; only .json files and directories matter to the tree's content.
  bool relevant = false;
  alignas(inotify_event) char buf[8192];
  ssize_t n;
  while ((n = ::read(fd_, buf, sizeof(buf))) > 0) {
    for (char* p = buf; p < buf + n;) {
      const auto* e = reinterpret_cast<const inotify_event*>(p);
      const std::string_view name = e->len > 0 ? std::string_view(e->name) : std::string_view();
      if ((e->mask & (IN_ISDIR | IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED | IN_Q_OVERFLOW)) ||
          name.empty() || name.ends_with(".json")) {
        relevant = true;
      }
      p += sizeof(inotify_event) + e->len;
    }
  }
  return relevant;
}

TreeNotifier::Wake TreeNotifier::Wait(int wake_fd, std::chrono::milliseconds timeout) {
  pollfd fds[2] = {{wake_fd, POLLIN, 0}, {fd_, POLLIN, 0}};
  const nfds_t n = fd_ >= 0 ? 2 : 1;
  const int r = ::poll(fds, n, static_cast<int>(timeout.count()));
  if (r <= 0) return Wake::kTimeout;
  if (fds[0].revents & POLLIN) {
    uint64_t count = 0;
    while (::read(wake_fd, &count, sizeof(count)) > 0) {
    }
    return Wake::kWakeFd;
  }
  if (n == 2 && (fds[1].revents & POLLIN)) {
    return Drain() ? Wake::kTreeChanged : Wake::kIrrelevant;
  }
  return Wake::kTimeout;
}

}  // namespace ecusim::advert
