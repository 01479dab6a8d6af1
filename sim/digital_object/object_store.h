// Digital objects (CNRI DigitalObject / Element) and the in-memory store an endpoint serves.
// Shard thread only.
#ifndef ECUSIM_SIM_DIGITAL_OBJECT_OBJECT_STORE_H_
#define ECUSIM_SIM_DIGITAL_OBJECT_OBJECT_STORE_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "sim/digital_object/json_util.h"

namespace ecusim::digital_object {

struct Element {
  std::string id;
  std::string type;                  // optional
  Json attributes = Json::object();  // optional, a JSON object
  std::string data;                  // the element's bytes

  bool operator==(const Element&) const = default;
};

struct DigitalObject {
  std::string id;
  std::string type;
  Json attributes = Json::object();  // e.g. {"content": {...}}
  std::vector<Element> elements;

  const Element* FindElement(std::string_view element_id) const;
  bool operator==(const DigitalObject&) const = default;
};

// The wire form: {"id","type","attributes","elements":[{"id","type","length","attributes"}]}
// (element bytes travel as separate segments; "elements" is left out when there are none).
Json ToDoipJson(const DigitalObject& object);

// Reads the wire form. INVALID_ARGUMENT naming the bad field. Element data stays empty.
// REQUIRES nothing of "id" (Create may leave it out).
absl::StatusOr<DigitalObject> FromDoipJson(const Json& json);

class ObjectStore {
 public:
  const DigitalObject* Find(std::string_view id) const;
  // ALREADY_EXISTS when the id is in use.
  absl::Status Insert(DigitalObject object);
  // Creates or replaces.
  void Put(DigitalObject object);
  // False when there was no such object.
  bool Erase(std::string_view id);
  // Sorted by id.
  std::vector<const DigitalObject*> All() const;
  size_t size() const { return objects_.size(); }
  // Grows on every change; lets observers notice changes cheaply.
  uint64_t generation() const { return generation_; }

 private:
  std::map<std::string, DigitalObject, std::less<>> objects_;
  uint64_t generation_ = 0;
};

}  // namespace ecusim::digital_object

#endif  // ECUSIM_SIM_DIGITAL_OBJECT_OBJECT_STORE_H_
