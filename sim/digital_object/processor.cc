// Dispatch, authentication, Hello, ListOperations and extended operations. The object
// operations are in processor_objects.cc.
#include "sim/digital_object/processor.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace ecusim::digital_object {
namespace {

bool IsEmptyAuthentication(const Json& auth) {
  return auth.is_null() || (auth.is_object() && auth.empty());
}

std::string JsonString(const Json& object, std::string_view key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : DumpJson(*it);
}

bool IsWrite(std::string_view op) { return op == kOpCreate || op == kOpUpdate || op == kOpDelete; }

}  // namespace

Processor::Processor(ProcessorConfig config, ObjectStore& store, uint64_t id_seed)
    : config_(std::move(config)), store_(store), rng_(id_seed) {}

std::string Processor::OperationLabel(std::string_view op) {
  if (op == kOpHello || op == kOpCreate || op == kOpRetrieve || op == kOpUpdate ||
      op == kOpDelete || op == kOpSearch || op == kOpListOperations) {
    return std::string(op);
  }
  return "extended";
}

bool Processor::IsService(const std::optional<std::string>& target) const {
  // doip_sdk's client example sends Hello with no targetId at all.
  return !target || target->empty() || *target == config_.service.service_id;
}

// Cordra's authenticate(): token, username + password, or clientId + password; no
// authentication and no clientId is anonymous.
bool Processor::Authenticate(const Request& r, Caller& caller, Response& error) const {
  const Json& auth = r.authentication;
  if (!auth.is_null() && !auth.is_object()) {
    error =
        Response::Error(kStatusUnauthenticated, "Unable to parse authentication (not an object)");
    return false;
  }
  if (IsEmptyAuthentication(auth)) {
    if (r.client_id && !config_.credentials.empty()) {
      error = Response::Error(kStatusUnauthenticated,
                              absl::StrCat("No authentication provided for ", *r.client_id));
      return false;
    }
    return true;  // anonymous
  }
  std::string token, username, password;
  bool has_token = auth.contains("token"), has_password = auth.contains("password");
  if (has_token) {
    token = JsonString(auth, "token");
  } else if (has_password) {
    password = JsonString(auth, "password");
    username = JsonString(auth, "username");
    if (!auth.contains("username") && r.client_id) username = *r.client_id;
    if (auth.contains("username") && r.client_id) {
      error = Response::Error(kStatusUnauthenticated,
                              "No support for authenticating with both username and clientId");
      return false;
    }
    if (username.empty()) {
      error = Response::Error(kStatusUnauthenticated,
                              "Unable to parse authentication (neither username nor clientId)");
      return false;
    }
  } else {
    error = Response::Error(kStatusUnauthenticated,
                            "Unable to parse authentication (neither token nor password)");
    return false;
  }
  if (config_.credentials.empty()) {
    // No credentials configured: any well-formed authentication is accepted.
    caller = Caller{true, false, has_token ? "token" : username};
    return true;
  }
  for (const Credential& c : config_.credentials) {
    bool ok = has_token ? (!c.token.empty() && c.token == token)
                        : (!c.username.empty() && c.username == username && c.password == password);
    if (ok) {
      caller = Caller{true, c.read_only, has_token ? "token" : username};
      return true;
    }
  }
  error = Response::Error(kStatusUnauthenticated, "Authentication failed");
  return false;
}

ProcessResult Processor::Process(const Request& r) {
  ProcessResult result;
  if (!r.operation_id || r.operation_id->empty()) {
    result.operation = "none";
    result.response = Response::Error(kStatusBadRequest, "Missing operationId");
    return result;
  }
  const std::string& op = *r.operation_id;
  result.operation = OperationLabel(op);
  Caller caller;
  if (!Authenticate(r, caller, result.response)) return result;
  const bool service = IsService(r.target_id);
  // Hello and ListOperations need no authentication (Cordra checks it only when given).
  const bool needs_auth = op != kOpHello && op != kOpListOperations;
  if (needs_auth && !config_.credentials.empty() && !caller.authenticated) {
    result.response = Response::Error(kStatusUnauthenticated, "Authentication required");
    return result;
  }
  if (IsWrite(op) && caller.read_only) {
    result.response = Response::Error(
        kStatusForbidden, absl::StrCat("Forbidden: ", caller.name, " may not perform ", op));
    return result;
  }
  const std::string target = service ? config_.service.service_id : *r.target_id;
  if (service) {
    if (op == kOpHello) {
      result.response = Hello(r);
    } else if (op == kOpListOperations) {
      result.response = ListOperations(r, nullptr);
    } else if (op == kOpCreate) {
      result.response = Create(r, result);
    } else if (op == kOpSearch) {
      result.response = Search(r);
    } else {
      result.response = Extended(r, FindBehaviour(op, target));
    }
    return result;
  }
  result.object_id = target;
  const bool object_op =
      op == kOpRetrieve || op == kOpUpdate || op == kOpDelete || op == kOpListOperations;
  const DigitalObject* object = store_.Find(target);
  if (!object_op) {
    // A configured behaviour answers even for a target the store does not hold.
    const ExtendedOperation* b = FindBehaviour(op, target);
    if (!b && !object) {
      result.response = Response::Error(kStatusNotFound, absl::StrCat("No such object ", target));
    } else {
      result.response = Extended(r, b);
    }
    return result;
  }
  if (!object) {
    result.response = Response::Error(kStatusNotFound, absl::StrCat("No such object ", target));
  } else if (op == kOpRetrieve) {
    result.response = Retrieve(r, *object);
  } else if (op == kOpUpdate) {
    result.response = Update(r, *object, result);
  } else if (op == kOpDelete) {
    result.response = Delete(r, *object, result);
  } else {
    result.response = ListOperations(r, object);
  }
  return result;
}

Response Processor::Hello(const Request& r) const {
  if (r.HasInput()) return Response::Error(kStatusBadRequest, "Unexpected input");
  Json attributes = Json::object();
  attributes["ipAddress"] = config_.service.ip_address;
  attributes["port"] = config_.service.port;
  attributes["protocol"] = "TCP";
  attributes["protocolVersion"] = "2.0";
  if (!config_.service.public_key.is_null()) attributes["publicKey"] = config_.service.public_key;
  Json info = Json::object();
  info["id"] = config_.service.service_id;
  info["type"] = std::string(kDoipServiceType);
  info["attributes"] = std::move(attributes);
  Response resp;
  resp.compact_output = std::move(info);
  return resp;
}

Response Processor::ListOperations(const Request& r, const DigitalObject* object) const {
  if (r.HasInput()) return Response::Error(kStatusBadRequest, "Unexpected input");
  Json ops = Json::array();
  std::string target;
  if (object) {
    target = object->id;
    for (std::string_view op : {kOpListOperations, kOpRetrieve, kOpUpdate, kOpDelete}) {
      ops.push_back(std::string(op));
    }
  } else {
    target = config_.service.service_id;
    for (std::string_view op : {kOpHello, kOpListOperations, kOpCreate, kOpSearch}) {
      ops.push_back(std::string(op));
    }
  }
  for (const ExtendedOperation& e : config_.operations) {
    if ((e.target_id.empty() || e.target_id == target) &&
        std::find(ops.begin(), ops.end(), Json(e.operation_id)) == ops.end()) {
      ops.push_back(e.operation_id);
    }
  }
  Response resp;
  resp.compact_output = std::move(ops);
  return resp;
}

const ExtendedOperation* Processor::FindBehaviour(std::string_view op,
                                                  std::string_view target) const {
  const ExtendedOperation* any = nullptr;
  for (const ExtendedOperation& e : config_.operations) {
    if (e.operation_id != op) continue;
    if (e.target_id == target) return &e;
    if (e.target_id.empty() && !any) any = &e;
  }
  return any;
}

Response Processor::Extended(const Request& r, const ExtendedOperation* behaviour) const {
  if (!behaviour) {
    return Response::Error(kStatusDeclined, "Operation not supported");
  }
  Response resp;
  resp.status = behaviour->status;
  if (behaviour->attributes.is_object()) resp.attributes = behaviour->attributes;
  if (behaviour->echo_input) {
    if (r.compact_input) {
      resp.compact_output = r.input;
    } else {
      resp.output_segments = r.input_segments;
    }
  } else if (!behaviour->output.is_null()) {
    resp.compact_output = behaviour->output;
  }
  return resp;
}

std::string Processor::NewObjectId() {
  // Cordra mints "<prefix>/<random>" handles under the service's prefix.
  const std::string& service = config_.service.service_id;
  const size_t slash = service.find('/');
  const std::string prefix = slash == std::string::npos ? service : service.substr(0, slash);
  for (;;) {
    std::string id =
        absl::StrCat(prefix, "/", absl::Hex(rng_() & 0xffffffffffULL, absl::kZeroPad10));
    if (!store_.Find(id)) return id;
  }
}

}  // namespace ecusim::digital_object
