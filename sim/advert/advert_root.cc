#include "sim/advert/advert_root.h"

#include <unistd.h>

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "sim/advert/advert_file.h"

namespace ecusim::advert {
namespace {

// pathlib and os.path.abspath drop trailing slashes.
std::string WithoutTrailingSlash(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

bool Blank(const char* value) {
  return value == nullptr || absl::StripAsciiWhitespace(absl::string_view(value)).empty();
}

}  // namespace

RootEnvironment RootEnvironment::Real() {
  RootEnvironment env;
  env.getenv = [](const char* name) -> const char* { return std::getenv(name); };
  env.uid = static_cast<unsigned>(::getuid());
  env.writable = [](const std::string& path) { return ::access(path.c_str(), W_OK) == 0; };
  return env;
}

RootChoice ResolveAdvertRoot(const std::string& override_root, const RootEnvironment& env) {
  if (!override_root.empty()) return {override_root, "--advert_dir"};
  if (const char* xdg = env.getenv("XDG_RUNTIME_DIR"); !Blank(xdg)) {
    return {absl::StrCat(WithoutTrailingSlash(xdg), "/", kRootDirName), "XDG_RUNTIME_DIR"};
  }
  const std::string run_user = absl::StrCat("/run/user/", env.uid);
  if (env.writable(run_user)) return {absl::StrCat(run_user, "/", kRootDirName), run_user};
  // Python's tempfile.gettempdir() candidate order (the existence probe is left out: the
  // directory is created on first publish anyway).
  std::string tmp = "/tmp";
  for (const char* name : {"TMPDIR", "TEMP", "TMP"}) {
    if (const char* v = env.getenv(name); v != nullptr && *v != '\0') {
      tmp = WithoutTrailingSlash(v);
      break;
    }
  }
  return {absl::StrCat(tmp, "/runtime-", env.uid, "/", kRootDirName), "temp dir"};
}

}  // namespace ecusim::advert
