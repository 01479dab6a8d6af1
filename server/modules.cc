#include "server/module.h"

namespace ecusim::server {

std::vector<std::unique_ptr<Module>> CreateModules(Runtime& runtime) {
  std::vector<std::unique_ptr<Module>> modules;
  // Advertisements first: on shutdown they are withdrawn before the endpoints they name.
  modules.push_back(CreateAdvertModule(runtime));
  modules.push_back(CreateSomeIpModule(runtime));
  modules.push_back(CreateDoipModule(runtime));
  modules.push_back(CreateDigitalObjectModule(runtime));
  return modules;
}

}  // namespace ecusim::server
