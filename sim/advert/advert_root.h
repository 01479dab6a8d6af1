// Where advertisement files live: the directory platformdirs.user_runtime_path(
// 'LocalServiceAdvertisements') names on Linux, so bpod-core peers and ecusim agree.
#ifndef ECUSIM_SIM_ADVERT_ADVERT_ROOT_H_
#define ECUSIM_SIM_ADVERT_ADVERT_ROOT_H_

#include <functional>
#include <string>

namespace ecusim::advert {

struct RootChoice {
  // The root directory: type directories are created inside it.
  std::string path;
  // Why this one: "--advert_dir", "XDG_RUNTIME_DIR", "/run/user/<uid>" or "temp dir".
  std::string source;
};

// What ResolveAdvertRoot asks the system; replaced in tests.
struct RootEnvironment {
  std::function<const char*(const char* name)> getenv;
  unsigned uid = 0;
  // True when the directory exists and is writable (os.access(path, os.W_OK)).
  std::function<bool(const std::string& path)> writable;

  static RootEnvironment Real();
};

// platformdirs (unix.py) user_runtime_dir + "/LocalServiceAdvertisements":
//   1. `override_root` when not empty, used as the root itself (no suffix appended);
//   2. $XDG_RUNTIME_DIR/LocalServiceAdvertisements when the variable is not blank;
//   3. /run/user/<uid>/LocalServiceAdvertisements when /run/user/<uid> is writable;
//   4. <tempfile.gettempdir()>/runtime-<uid>/LocalServiceAdvertisements, where the temp dir
//      is $TMPDIR, $TEMP or $TMP if set, else /tmp.
RootChoice ResolveAdvertRoot(const std::string& override_root,
                             const RootEnvironment& env = RootEnvironment::Real());

}  // namespace ecusim::advert

#endif  // ECUSIM_SIM_ADVERT_ADVERT_ROOT_H_
