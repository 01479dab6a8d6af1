// Version and commit of this build (set by CMake; fallbacks for other builds).
#ifndef ECUSIM_SERVER_BUILD_INFO_H_
#define ECUSIM_SERVER_BUILD_INFO_H_

#ifndef ECUSIM_VERSION
#define ECUSIM_VERSION "dev"
#endif
#ifndef ECUSIM_COMMIT
#define ECUSIM_COMMIT "unknown"
#endif

#endif  // ECUSIM_SERVER_BUILD_INFO_H_
