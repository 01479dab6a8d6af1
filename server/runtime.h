// What the control plane shares with every module: shards, hub, ECU registry and the
// process's settings.
#ifndef ECUSIM_SERVER_RUNTIME_H_
#define ECUSIM_SERVER_RUNTIME_H_

#include <string>

#include "sim/core/shard.h"
#include "sim/ecu/ecu_registry.h"
#include "sim/observe/hub.h"

namespace ecusim::server {

struct Settings {
  std::string grpc_address = "0.0.0.0:50051";
  std::string metrics_address = "0.0.0.0:9464";
  int shards = 0;  // 0 = one per core
  std::string config_path;
  // Root for local service advertisements; empty = $XDG_RUNTIME_DIR, /run/user/<uid>, tmp.
  std::string advert_dir;
  // Advertise the control endpoint as a local service advertisement of type "ecusim".
  bool advertise = false;
};

struct Runtime {
  Settings settings;
  core::ShardPool& shards;
  observe::Hub& hub;
  ecu::EcuRegistry& ecus;
  // The gRPC port actually bound (known after start; 0 before).
  int grpc_port = 0;
};

}  // namespace ecusim::server

#endif  // ECUSIM_SERVER_RUNTIME_H_
