#include "sim/advert/advert_directory.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "sim/advert/advert_lock.h"

namespace ecusim::advert {
namespace {

std::string Errno(int err) { return std::strerror(err); }

FileIdentity IdentityOf(const struct stat& st) {
  FileIdentity id;
  id.dev = st.st_dev;
  id.ino = st.st_ino;
  id.size = st.st_size;
  id.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  return id;
}

// Reads at most kMaxFileBytes + 1 bytes. Returns errno (0 on success).
int ReadWhole(int fd, std::string& out) {
  out.clear();
  char buf[8192];
  while (out.size() <= kMaxFileBytes) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return 0;
}

// Names glob('*.json') yields: not hidden, ending in .json.
bool IsAdvertFileName(absl::string_view name) {
  return !name.empty() && name[0] != '.' && absl::EndsWith(name, kAdvertSuffix);
}

std::vector<std::string> ListDirectory(const std::string& dir, bool want_dirs) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return names;
  while (const dirent* e = ::readdir(d)) {
    const absl::string_view name(e->d_name);
    if (name == "." || name == "..") continue;
    const bool is_dir = e->d_type == DT_DIR;
    if (e->d_type != DT_UNKNOWN && is_dir != want_dirs) continue;
    names.emplace_back(name);
  }
  ::closedir(d);
  return names;
}

absl::Status WriteFile(const std::string& path, const std::string& content) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return absl::ErrnoToStatus(errno, path);
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      ::unlink(path.c_str());
      return absl::ErrnoToStatus(err, path);
    }
    done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(path.c_str());
    return absl::ErrnoToStatus(err, path);
  }
  return absl::OkStatus();
}

}  // namespace

bool ProcessAlive(int64_t pid) {
  if (pid < 0) return false;
  if (pid == 0) return true;  // psutil.pid_exists(0) is True on Linux
  if (pid > INT32_MAX) return false;
  if (::kill(static_cast<pid_t>(pid), 0) == 0) return true;
  return errno == EPERM;
}

std::string SidecarPath(const std::string& json_path, absl::string_view suffix) {
  absl::string_view base(json_path);
  if (absl::EndsWith(base, kAdvertSuffix)) base.remove_suffix(sizeof(kAdvertSuffix) - 1);
  return absl::StrCat(base, suffix);
}

AdvertDirectory::AdvertDirectory(std::string root, DirectoryOptions options)
    : root_(std::move(root)), options_(std::move(options)) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

std::string AdvertDirectory::TypeDirectory(absl::string_view service_type) const {
  return absl::StrCat(root_, "/", SanitizeServiceType(service_type));
}

std::string AdvertDirectory::FilePath(absl::string_view service_type, const Uuid& uuid) const {
  return absl::StrCat(TypeDirectory(service_type), "/", uuid.Hex(), kAdvertSuffix);
}

absl::StatusOr<std::string> AdvertDirectory::Publish(const AdvertRecord& record) const {
  const std::string dir = TypeDirectory(record.service_type);
  const std::string path = FilePath(record.service_type, record.uuid);
  const std::string tmp = SidecarPath(path, kTempSuffix);
  const std::string content = EncodeAdvertFile(record);
  absl::Status last;
  // A peer's withdraw may prune the directory between our mkdir and our write: retry once.
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      return absl::FailedPreconditionError(
          absl::StrCat("advertisement directory ", dir, " cannot be created: ", ec.message()));
    }
    last = WriteFile(tmp, content);
    if (last.ok()) {
      if (::rename(tmp.c_str(), path.c_str()) == 0) return path;
      last = absl::ErrnoToStatus(errno, absl::StrCat("rename to ", path));
      ::unlink(tmp.c_str());
    }
    if (!absl::IsNotFound(last)) break;
  }
  return absl::FailedPreconditionError(
      absl::StrCat("advertisement directory ", dir, " is not writable: ", last.message()));
}

absl::Status AdvertDirectory::Withdraw(const std::string& json_path) const {
  SidecarLock lock =
      SidecarLock::Acquire(SidecarPath(json_path, kLockSuffix), options_.lock_timeout);
  absl::Status result;
  if (::unlink(json_path.c_str()) != 0 && errno != ENOENT) {
    result = absl::FailedPreconditionError(
        absl::StrCat("cannot remove ", json_path, ": ", Errno(errno)));
  }
  if (lock.held()) {
    lock.RemoveAndRelease();
  } else if (absl::IsDeadlineExceeded(lock.status()) && result.ok()) {
    result = lock.status();
  }
  PruneEmptyDirectories(std::filesystem::path(json_path).parent_path().string());
  return result;
}

void AdvertDirectory::PruneEmptyDirectories(const std::string& type_dir) const {
  // bpod-core: prune_empty_parent_directories(..., remove_root=True). rmdir fails on a
  // non-empty directory, which is the emptiness check without a race.
  std::filesystem::path dir(type_dir);
  const std::filesystem::path root(root_);
  while (true) {
    if (::rmdir(dir.c_str()) != 0) return;
    if (dir == root || !dir.has_parent_path()) return;
    const auto rel = dir.lexically_relative(root);
    if (rel.empty() || *rel.begin() == "..") return;
    dir = dir.parent_path();
  }
}

AdvertDirectory::ReadResult AdvertDirectory::ReadLocked(const std::string& json_path) const {
  ReadResult result;
  SidecarLock lock =
      SidecarLock::Acquire(SidecarPath(json_path, kLockSuffix), options_.lock_timeout);
  if (absl::IsDeadlineExceeded(lock.status())) {
    result.outcome = ReadOutcome::kLockTimeout;
    return result;
  }
  // Any other lock failure (read-only directory of another user): read without the lock;
  // rename and unlink are atomic, so the content is still whole.
  const int fd = ::open(json_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    result.outcome = errno == ENOENT ? ReadOutcome::kGone : ReadOutcome::kCorrupt;
    return result;
  }
  struct stat st {};
  std::string content;
  const bool ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && ReadWhole(fd, content) == 0;
  ::close(fd);
  if (!ok) {
    result.outcome = ReadOutcome::kCorrupt;
    return result;
  }
  result.identity = IdentityOf(st);
  auto record = ParseAdvertFile(content);
  if (!record.ok()) {
    result.outcome = ReadOutcome::kCorrupt;
    return result;
  }
  result.outcome = ReadOutcome::kOk;
  result.record = *std::move(record);
  return result;
}

bool AdvertDirectory::RemoveStale(const std::string& json_path, ScanStats& stats) const {
  SidecarLock lock =
      SidecarLock::Acquire(SidecarPath(json_path, kLockSuffix), options_.lock_timeout);
  if (absl::IsDeadlineExceeded(lock.status())) {
    ++stats.lock_timeouts;
    return false;
  }
  // The file may have been replaced by a live publisher since we read it.
  const int fd = ::open(json_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  std::string content;
  const int err = ReadWhole(fd, content);
  ::close(fd);
  if (err != 0) return false;
  auto record = ParseAdvertFile(content);
  if (!record.ok() || options_.is_alive(record->pid)) return false;
  if (::unlink(json_path.c_str()) != 0) return false;
  if (lock.held()) lock.RemoveAndRelease();
  ++stats.stale_removed;
  return true;
}

absl::StatusOr<std::vector<FoundAdvert>> AdvertDirectory::Discover(absl::string_view service_type,
                                                                   const Properties& filter,
                                                                   ScanStats& stats) const {
  if (service_type.empty()) {
    return absl::InvalidArgumentError("service_type: must not be empty");
  }
  const std::string sanitized = SanitizeServiceType(service_type);
  if (sanitized.find_first_not_of('_') == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("service_type: \"", service_type,
                                                   "\" sanitizes to \"", sanitized,
                                                   "\", which has no letter or digit"));
  }
  const std::string dir = TypeDirectory(service_type);
  std::vector<FoundAdvert> found;
  for (const std::string& name : ListDirectory(dir, /*want_dirs=*/false)) {
    if (!IsAdvertFileName(name)) continue;
    const std::string path = absl::StrCat(dir, "/", name);
    ReadResult r = ReadLocked(path);
    switch (r.outcome) {
      case ReadOutcome::kGone:
        continue;
      case ReadOutcome::kCorrupt:
        ++stats.corrupt_skipped;
        continue;
      case ReadOutcome::kLockTimeout:
        ++stats.lock_timeouts;
        continue;
      case ReadOutcome::kOk:
        break;
    }
    if (!options_.is_alive(r.record.pid)) {
      RemoveStale(path, stats);
      continue;
    }
    if (MatchesProperties(r.record.properties, filter)) {
      found.push_back({std::move(r.record), path});
    }
  }
  return found;
}

void AdvertDirectory::ScanTypeDirectory(const std::string& dir, ScanCache& cache,
                                        std::vector<std::string>& seen, ScanStats& stats) const {
  for (const std::string& name : ListDirectory(dir, /*want_dirs=*/false)) {
    if (!IsAdvertFileName(name)) continue;
    const std::string path = absl::StrCat(dir, "/", name);
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    const FileIdentity identity = IdentityOf(st);
    auto it = cache.entries.find(path);
    if (it == cache.entries.end() || !(it->second.identity == identity)) {
      ReadResult r = ReadLocked(path);
      if (r.outcome == ReadOutcome::kGone) continue;
      if (r.outcome == ReadOutcome::kLockTimeout) {
        ++stats.lock_timeouts;
        if (it != cache.entries.end()) seen.push_back(path);
        continue;
      }
      ScanCache::Entry entry;
      entry.identity = r.outcome == ReadOutcome::kOk ? r.identity : identity;
      if (r.outcome == ReadOutcome::kOk) {
        entry.record = std::move(r.record);
      } else {
        ++stats.corrupt_skipped;
      }
      it = cache.entries.insert_or_assign(path, std::move(entry)).first;
    }
    if (it->second.record && !options_.is_alive(it->second.record->pid)) {
      if (RemoveStale(path, stats)) {
        cache.entries.erase(it);
        continue;
      }
    }
    seen.push_back(path);
  }
}

void AdvertDirectory::ScanAll(ScanCache& cache, ScanStats& stats) const {
  std::vector<std::string> seen;
  for (const std::string& type : ListDirectory(root_, /*want_dirs=*/true)) {
    ScanTypeDirectory(absl::StrCat(root_, "/", type), cache, seen, stats);
  }
  const std::set<std::string> keep(seen.begin(), seen.end());
  for (auto it = cache.entries.begin(); it != cache.entries.end();) {
    it = keep.count(it->first) ? std::next(it) : cache.entries.erase(it);
  }
}

}  // namespace ecusim::advert
