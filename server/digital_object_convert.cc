#include "server/digital_object_convert.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace ecusim::server {
namespace dobj = ::ecusim::digital_object;
namespace {

// An optional JSON text field: empty = `fallback`.
absl::StatusOr<dobj::Json> JsonField(const std::string& text, const std::string& field,
                                     bool must_be_object, dobj::Json fallback) {
  if (text.empty()) return fallback;
  auto json = dobj::ParseJson(text);
  if (!json.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " is not JSON (", json.status().message(), "): ", text));
  }
  if (must_be_object && !json->is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(field, " must be a JSON object, got ", text));
  }
  return *json;
}

// Map fields would make plain serialization unstable between equal messages.
std::string DeterministicBytes(const google::protobuf::Message& message) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  return out;
}

}  // namespace

absl::StatusOr<dobj::DigitalObject> ObjectFromProto(const v1::DigitalObject& proto,
                                                    absl::string_view path) {
  const std::string p(path);
  dobj::DigitalObject out;
  if (proto.id().empty()) return absl::InvalidArgumentError(p + ".id must not be empty");
  out.id = proto.id();
  out.type = proto.type();
  auto attributes =
      JsonField(proto.attributes_json(), p + ".attributes_json", true, dobj::Json::object());
  if (!attributes.ok()) return attributes.status();
  out.attributes = std::move(*attributes);
  std::set<std::string> ids;
  for (int i = 0; i < proto.elements_size(); ++i) {
    const v1::DigitalObjectElement& e = proto.elements(i);
    const std::string ep = absl::StrCat(p, ".elements[", i, "]");
    if (e.id().empty()) return absl::InvalidArgumentError(ep + ".id must not be empty");
    if (!ids.insert(e.id()).second) {
      return absl::InvalidArgumentError(absl::StrCat(ep, ".id \"", e.id(), "\" is used twice"));
    }
    dobj::Element el;
    el.id = e.id();
    el.type = e.type();
    el.data = e.data();
    if (!e.attributes_json().empty()) {
      auto a = JsonField(e.attributes_json(), ep + ".attributes_json", true, nullptr);
      if (!a.ok()) return a.status();
      el.attributes = std::move(*a);
    } else {
      for (const auto& [k, v] : e.attributes()) el.attributes[k] = v;
    }
    out.elements.push_back(std::move(el));
  }
  return out;
}

v1::DigitalObject ObjectToProto(const dobj::DigitalObject& object, bool with_data) {
  v1::DigitalObject out;
  out.set_id(object.id);
  out.set_type(object.type);
  out.set_attributes_json(dobj::DumpJson(object.attributes));
  for (const dobj::Element& e : object.elements) {
    v1::DigitalObjectElement* pe = out.add_elements();
    pe->set_id(e.id);
    pe->set_type(e.type);
    pe->set_length(e.data.size());
    if (with_data) pe->set_data(e.data);
    if (e.attributes.is_object() && !e.attributes.empty()) {
      pe->set_attributes_json(dobj::DumpJson(e.attributes));
      for (const auto& [k, v] : e.attributes.items()) {
        if (v.is_string()) (*pe->mutable_attributes())[k] = v.get<std::string>();
      }
    }
  }
  return out;
}

absl::StatusOr<dobj::EndpointConfig> EndpointConfigFromProto(const v1::DigitalObjectEndpoint& proto,
                                                             absl::string_view path) {
  const std::string p(path);
  dobj::EndpointConfig c;
  if (proto.port() > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(p, ".port ", proto.port(), " is not a port"));
  }
  c.port = proto.port() == 0 ? dobj::kDefaultPort : static_cast<uint16_t>(proto.port());
  c.service_id = proto.service_id();
  c.tls = dobj::TlsFiles{proto.tls_cert_file(), proto.tls_key_file(), proto.tls_client_ca_file()};
  for (const v1::Credential& cred : proto.credentials()) {
    c.credentials.push_back(
        dobj::Credential{cred.username(), cred.password(), cred.token(), cred.read_only()});
  }
  for (int i = 0; i < proto.operations_size(); ++i) {
    const v1::ExtendedOperation& op = proto.operations(i);
    const std::string op_path = absl::StrCat(p, ".operations[", i, "]");
    dobj::ExtendedOperation e;
    e.operation_id = op.operation_id();
    e.target_id = op.target_id();
    if (!op.status().empty()) e.status = op.status();
    auto output = JsonField(op.output_json(), op_path + ".output_json", false, nullptr);
    if (!output.ok()) return output.status();
    e.output = std::move(*output);
    auto attributes = JsonField(op.attributes_json(), op_path + ".attributes_json", true, nullptr);
    if (!attributes.ok()) return attributes.status();
    e.attributes = std::move(*attributes);
    e.echo_input = op.echo_input();
    c.operations.push_back(std::move(e));
  }
  for (int i = 0; i < proto.objects_size(); ++i) {
    auto o = ObjectFromProto(proto.objects(i), absl::StrCat(p, ".objects[", i, "]"));
    if (!o.ok()) return o.status();
    c.objects.push_back(std::move(*o));
  }
  if (proto.max_connections() > 0) c.max_connections = proto.max_connections();
  if (proto.idle_timeout_ms() > 0) {
    c.limits.idle_timeout = std::chrono::milliseconds(proto.idle_timeout_ms());
  }
  if (proto.max_objects() > 0) c.max_objects = proto.max_objects();
  if (absl::Status s = dobj::ValidateEndpointConfig(c, p); !s.ok()) return s;
  c.origin = DeterministicBytes(proto);
  return c;
}

v1::EndpointStatus EndpointStatusToProto(const dobj::EndpointInfo& info) {
  v1::EndpointStatus out;
  out.set_ecu_id(info.ecu_id);
  out.set_name(absl::StrCat("ecus/", info.ecu_id, "/digital-objects"));
  out.set_port(info.port);
  out.set_certificate_sha256(info.certificate_sha256);
  out.set_service_id(info.service_id);
  out.set_address(info.address);
  out.set_certificate_subject(info.certificate_subject);
  out.set_certificate_pem(info.certificate_pem);
  out.set_self_signed(info.self_signed);
  out.set_mutual_tls(info.mutual_tls);
  out.set_object_count(static_cast<uint32_t>(info.objects));
  out.set_connection_count(static_cast<uint32_t>(info.connections));
  return out;
}

}  // namespace ecusim::server
