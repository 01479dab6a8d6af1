// The operations of a DOIP v2 endpoint over its in-memory object store, modelled on what
// Cordra's DOIP listener does (CordraClientDoipProcessor): Hello, Create, Retrieve, Update,
// Delete, Search, ListOperations, and configurable extended operations. Pure: no I/O, no
// clock. Shard thread only.
#ifndef ECUSIM_SIM_DIGITAL_OBJECT_PROCESSOR_H_
#define ECUSIM_SIM_DIGITAL_OBJECT_PROCESSOR_H_

#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "sim/digital_object/json_util.h"
#include "sim/digital_object/message.h"
#include "sim/digital_object/object_store.h"

namespace ecusim::digital_object {

struct Credential {
  std::string username;  // with password
  std::string password;
  std::string token;  // alternative to username/password
  // Authenticated, but Create/Update/Delete answer 0.DOIP/Status.103.
  bool read_only = false;
};

// How an extended operation (any operationId outside the seven basic ones) is answered.
struct ExtendedOperation {
  std::string operation_id;
  std::string target_id;  // empty = any target
  std::string status = std::string(kStatusOk);
  Json output;              // compact output; null = none
  Json attributes;          // response attributes; null = none
  bool echo_input = false;  // answer with the request's input as output
};

struct ServiceInfo {
  std::string service_id;
  std::string ip_address;
  uint16_t port = 9000;
  Json public_key;  // JWK; null = left out of Hello
};

struct ProcessorConfig {
  ServiceInfo service;
  // Empty = no authentication: every request is served.
  std::vector<Credential> credentials;
  std::vector<ExtendedOperation> operations;
  size_t max_objects = 100000;
};

// What a processed request was, for metrics and observations.
struct ProcessResult {
  Response response;
  // Low-cardinality operation label: a basic operation id or "extended".
  std::string operation;
  std::string object_id;  // the object the request touched, if any
  bool store_changed = false;
};

class Processor {
 public:
  Processor(ProcessorConfig config, ObjectStore& store, uint64_t id_seed = std::random_device{}());

  ProcessResult Process(const Request& request);

  const ProcessorConfig& config() const { return config_; }
  ProcessorConfig& mutable_config() { return config_; }
  ObjectStore& store() { return store_; }

  // "0.DOIP/Op.Hello" -> itself; any other -> "extended".
  static std::string OperationLabel(std::string_view operation_id);

 private:
  struct Caller {
    bool authenticated = false;
    bool read_only = false;
    std::string name;
  };
  // 102 response on failure.
  bool Authenticate(const Request& r, Caller& caller, Response& error) const;
  bool IsService(const std::optional<std::string>& target) const;

  Response Hello(const Request& r) const;
  Response ListOperations(const Request& r, const DigitalObject* object) const;
  Response Create(const Request& r, ProcessResult& result);
  Response Retrieve(const Request& r, const DigitalObject& object) const;
  Response Update(const Request& r, const DigitalObject& object, ProcessResult& result);
  Response Delete(const Request& r, const DigitalObject& object, ProcessResult& result);
  Response Search(const Request& r) const;
  Response Extended(const Request& r, const ExtendedOperation* behaviour) const;
  const ExtendedOperation* FindBehaviour(std::string_view op, std::string_view target) const;
  std::string NewObjectId();

  ProcessorConfig config_;
  ObjectStore& store_;
  std::mt19937_64 rng_;
};

struct ObjectInput {
  DigitalObject object;
  // Elements whose bytes the input carried (Update keeps the stored bytes of the others).
  std::set<std::string, std::less<>> elements_with_data;
};

// Reads Create/Update input: the object JSON, then per element a JSON header {"id":...}
// and its bytes. INVALID_ARGUMENT with Cordra's message ("Missing input", "No such element x").
absl::StatusOr<ObjectInput> ObjectFromInput(const std::vector<Segment>& input);

}  // namespace ecusim::digital_object

#endif  // ECUSIM_SIM_DIGITAL_OBJECT_PROCESSOR_H_
