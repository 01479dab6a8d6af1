// inotify over the advertisement tree, so the watcher reacts to other programs' files at once
// instead of at the next poll. Watches the root and every type directory; while the root does
// not exist, its nearest existing ancestor (for the root's creation). Polling stays as the
// fallback when inotify is unavailable (e.g. out of watches).
#ifndef ECUSIM_SIM_ADVERT_ADVERT_NOTIFY_H_
#define ECUSIM_SIM_ADVERT_ADVERT_NOTIFY_H_

#include <chrono>
#include <string>
#include <vector>

namespace ecusim::advert {

class TreeNotifier {
 public:
  explicit TreeNotifier(std::string root);
  ~TreeNotifier();
  TreeNotifier(const TreeNotifier&) = delete;
  TreeNotifier& operator=(const TreeNotifier&) = delete;

  bool ok() const { return fd_ >= 0; }
  // Re-creates the watches for the tree as it is now (call after every scan).
  void Rearm();

  // kIrrelevant: only .lock/.tmp files changed (callers wait again, without rescanning).
  enum class Wake { kTimeout, kTreeChanged, kIrrelevant, kWakeFd };
  // Waits for a tree change, `wake_fd` readable, or `timeout`. Drains what it read.
  Wake Wait(int wake_fd, std::chrono::milliseconds timeout);

 private:
  // Reads every pending event; true when one concerns a .json file or a directory.
  bool Drain();

  const std::string root_;
  int fd_ = -1;
  std::vector<int> watches_;
};

}  // namespace ecusim::advert

#endif  // ECUSIM_SIM_ADVERT_ADVERT_NOTIFY_H_
