#include "sim/digital_object/object_store.h"

#include <set>

#include "absl/strings/str_cat.h"

namespace ecusim::digital_object {

const Element* DigitalObject::FindElement(std::string_view element_id) const {
  for (const Element& e : elements) {
    if (e.id == element_id) return &e;
  }
  return nullptr;
}

Json ToDoipJson(const DigitalObject& object) {
  Json out = Json::object();
  out["id"] = object.id;
  out["type"] = object.type;
  out["attributes"] = object.attributes.is_object() ? object.attributes : Json::object();
  if (!object.elements.empty()) {
    Json elements = Json::array();
    for (const Element& e : object.elements) {
      Json el = Json::object();
      el["id"] = e.id;
      if (!e.type.empty()) el["type"] = e.type;
      el["length"] = e.data.size();
      if (e.attributes.is_object() && !e.attributes.empty()) el["attributes"] = e.attributes;
      elements.push_back(std::move(el));
    }
    out["elements"] = std::move(elements);
  }
  return out;
}

namespace {

absl::Status ReadElement(const Json& json, size_t index, Element& out) {
  const std::string where = absl::StrCat("elements[", index, "]");
  if (!json.is_object()) return absl::InvalidArgumentError(where + " must be an object");
  auto id = StringField(json, "id");
  if (!id.ok())
    return absl::InvalidArgumentError(where + ": " + std::string(id.status().message()));
  if (!id->has_value() || (*id)->empty()) {
    return absl::InvalidArgumentError(where + " has no \"id\"");
  }
  out.id = **id;
  auto type = StringField(json, "type");
  if (!type.ok()) {
    return absl::InvalidArgumentError(where + ": " + std::string(type.status().message()));
  }
  out.type = type->value_or("");
  if (auto it = json.find("attributes"); it != json.end() && !it->is_null()) {
    if (!it->is_object()) {
      return absl::InvalidArgumentError(where + ".attributes must be an object");
    }
    out.attributes = *it;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<DigitalObject> FromDoipJson(const Json& json) {
  if (!json.is_object()) return absl::InvalidArgumentError("digital object must be a JSON object");
  DigitalObject object;
  auto id = StringField(json, "id");
  if (!id.ok()) return id.status();
  object.id = id->value_or("");
  auto type = StringField(json, "type");
  if (!type.ok()) return type.status();
  object.type = type->value_or("");
  if (auto it = json.find("attributes"); it != json.end() && !it->is_null()) {
    if (!it->is_object()) return absl::InvalidArgumentError("\"attributes\" must be an object");
    object.attributes = *it;
  }
  if (auto it = json.find("elements"); it != json.end() && !it->is_null()) {
    if (!it->is_array()) return absl::InvalidArgumentError("\"elements\" must be an array");
    std::set<std::string, std::less<>> seen;
    for (size_t i = 0; i < it->size(); ++i) {
      Element e;
      if (absl::Status s = ReadElement((*it)[i], i, e); !s.ok()) return s;
      if (!seen.insert(e.id).second) {
        return absl::InvalidArgumentError(absl::StrCat("duplicate element id \"", e.id, "\""));
      }
      object.elements.push_back(std::move(e));
    }
  }
  return object;
}

const DigitalObject* ObjectStore::Find(std::string_view id) const {
  auto it = objects_.find(id);
  return it == objects_.end() ? nullptr : &it->second;
}

absl::Status ObjectStore::Insert(DigitalObject object) {
  if (objects_.count(object.id)) {
    return absl::AlreadyExistsError(absl::StrCat("Object already exists: ", object.id));
  }
  std::string id = object.id;
  objects_.emplace(std::move(id), std::move(object));
  ++generation_;
  return absl::OkStatus();
}

void ObjectStore::Put(DigitalObject object) {
  std::string id = object.id;
  objects_.insert_or_assign(std::move(id), std::move(object));
  ++generation_;
}

bool ObjectStore::Erase(std::string_view id) {
  auto it = objects_.find(id);
  if (it == objects_.end()) return false;
  objects_.erase(it);
  ++generation_;
  return true;
}

std::vector<const DigitalObject*> ObjectStore::All() const {
  std::vector<const DigitalObject*> out;
  out.reserve(objects_.size());
  for (const auto& [id, object] : objects_) out.push_back(&object);
  return out;
}

}  // namespace ecusim::digital_object
