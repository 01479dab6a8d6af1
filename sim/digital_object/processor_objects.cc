// Create, Retrieve, Update, Delete and Search over the object store, with Cordra's inputs,
// outputs and messages.
#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "sim/digital_object/processor.h"
#include "sim/digital_object/search.h"

namespace ecusim::digital_object {
namespace {

Response BadRequest(std::string_view message) {
  return Response::Error(kStatusBadRequest, message);
}

Response BadRequest(const absl::Status& status) {
  return Response::Error(kStatusBadRequest, std::string(status.message()));
}

Response CompactObject(const DigitalObject& object) {
  Response resp;
  resp.compact_output = ToDoipJson(object);
  return resp;
}

// Cordra getBooleanAttribute: true or "true".
bool BooleanAttribute(const Json& attributes, std::string_view key) {
  if (!attributes.is_object()) return false;
  auto it = attributes.find(key);
  if (it == attributes.end()) return false;
  if (it->is_boolean()) return it->get<bool>();
  return it->is_string() && it->get<std::string>() == "true";
}

// Cordra's byte range: start and end inclusive; only end = the last `end` bytes.
absl::StatusOr<std::string> Slice(const std::string& data, const Json& range) {
  if (!range.is_object()) return absl::InvalidArgumentError("\"range\" must be an object");
  auto start = IntegerField(range, "start");
  auto end = IntegerField(range, "end");
  if (!start.ok()) return start.status();
  if (!end.ok()) return end.status();
  const long long size = static_cast<long long>(data.size());
  long long from = 0, to = size - 1;
  if (start->has_value()) {
    from = **start;
    if (end->has_value()) to = std::min(**end, size - 1);
  } else if (end->has_value()) {
    from = std::max(0LL, size - **end);
  }
  if (from < 0 || (start->has_value() && end->has_value() && **end < from)) {
    return absl::InvalidArgumentError("Bad range");
  }
  if (from >= size || to < from) return std::string();
  return data.substr(static_cast<size_t>(from), static_cast<size_t>(to - from + 1));
}

}  // namespace

absl::StatusOr<ObjectInput> ObjectFromInput(const std::vector<Segment>& input) {
  if (input.empty()) return absl::InvalidArgumentError("Missing input");
  if (!input[0].is_json()) return absl::InvalidArgumentError("Input must start with JSON");
  auto json = ParseJson(input[0].data);
  if (!json.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("Error parsing digital object: ", json.status().message()));
  }
  auto object = FromDoipJson(*json);
  if (!object.ok()) return object.status();
  ObjectInput out{std::move(*object), {}};
  if (out.object.elements.empty() && input.size() > 1) {
    return absl::InvalidArgumentError("Unexpected input segments");
  }
  std::map<std::string, Element*, std::less<>> by_id;
  for (Element& e : out.object.elements) by_id[e.id] = &e;
  for (size_t i = 1; i < input.size(); i += 2) {
    std::string element_id;
    if (input[i].is_json()) {
      auto header = ParseJson(input[i].data);
      if (header.ok() && header->is_object()) {
        auto id = StringField(*header, "id");
        if (id.ok() && id->has_value()) element_id = **id;
      }
    }
    if (element_id.empty()) return absl::InvalidArgumentError("Unexpected element header");
    if (i + 1 >= input.size()) return absl::InvalidArgumentError("Unexpected end of input");
    auto it = by_id.find(element_id);
    if (it == by_id.end()) {
      return absl::InvalidArgumentError(absl::StrCat("No such element ", element_id));
    }
    // Cordra reads the next segment's bytes whether it is a bytes or a JSON segment.
    it->second->data = input[i + 1].data;
    out.elements_with_data.insert(element_id);
  }
  return out;
}

Response Processor::Create(const Request& r, ProcessResult& result) {
  auto in = ObjectFromInput(r.InputSegments());
  if (!in.ok()) return BadRequest(in.status());
  DigitalObject& object = in->object;
  if (object.type.empty()) return BadRequest("Missing type");
  if (object.id.empty()) {
    object.id = NewObjectId();
  } else if (store_.Find(object.id)) {
    return Response::Error(kStatusConflict, absl::StrCat("Object already exists: ", object.id));
  }
  if (store_.size() >= config_.max_objects) {
    return Response::Error(
        kStatusError, absl::StrCat("Object store is full (", config_.max_objects, " objects)"));
  }
  Response resp = CompactObject(object);
  result.object_id = object.id;
  result.store_changed = true;
  store_.Put(std::move(object));
  return resp;
}

Response Processor::Retrieve(const Request& r, const DigitalObject& object) const {
  if (r.HasInput()) return BadRequest("Unexpected input");
  auto element_id = StringField(r.attributes, "element");
  if (!element_id.ok()) return BadRequest(element_id.status());
  if (element_id->has_value()) {
    const Element* element = object.FindElement(**element_id);
    if (!element) {
      return Response::Error(kStatusNotFound, absl::StrCat("No such element ", **element_id,
                                                           " in object ", object.id));
    }
    Response resp;
    auto range = r.attributes.find("range");
    if (range == r.attributes.end() || range->is_null()) {
      resp.output_segments.push_back(Segment{Segment::Type::kBytes, element->data});
    } else {
      auto part = Slice(element->data, *range);
      if (!part.ok()) return BadRequest(part.status());
      resp.output_segments.push_back(Segment{Segment::Type::kBytes, std::move(*part)});
    }
    return resp;
  }
  if (!BooleanAttribute(r.attributes, "includeElementData")) return CompactObject(object);
  Response resp;
  resp.output_segments.push_back(Segment{Segment::Type::kJson, DumpJson(ToDoipJson(object))});
  for (const Element& e : object.elements) {
    Json header = Json::object();
    header["id"] = e.id;
    resp.output_segments.push_back(Segment{Segment::Type::kJson, DumpJson(header)});
    resp.output_segments.push_back(Segment{Segment::Type::kBytes, e.data});
  }
  return resp;
}

Response Processor::Update(const Request& r, const DigitalObject& object, ProcessResult& result) {
  auto in = ObjectFromInput(r.InputSegments());
  if (!in.ok()) return BadRequest(in.status());
  DigitalObject& updated = in->object;
  if (updated.id.empty()) {
    updated.id = object.id;
  } else if (updated.id != object.id) {
    return BadRequest(
        absl::StrCat("Object id ", updated.id, " does not match targetId ", object.id));
  }
  if (updated.type.empty()) updated.type = object.type;
  // Elements listed without new bytes keep what they had; unlisted elements are removed.
  for (Element& e : updated.elements) {
    if (in->elements_with_data.count(e.id)) continue;
    if (const Element* old = object.FindElement(e.id)) e.data = old->data;
  }
  Response resp = CompactObject(updated);
  result.store_changed = true;
  store_.Put(std::move(updated));
  return resp;
}

Response Processor::Delete(const Request& r, const DigitalObject& object, ProcessResult& result) {
  if (r.HasInput()) return BadRequest("Unexpected input");
  std::string id = object.id;  // `object` dies with the erase
  store_.Erase(id);
  result.store_changed = true;
  return Response{};
}

Response Processor::Search(const Request& r) const {
  if (r.HasInput()) return BadRequest("Unexpected input");
  auto query_text = StringField(r.attributes, "query");
  if (!query_text.ok()) return BadRequest(query_text.status());
  if (!query_text->has_value()) return BadRequest("Missing query");
  auto query = ParseSearchQuery(**query_text);
  if (!query.ok()) return BadRequest(query.status());
  auto type = StringField(r.attributes, "type");
  if (!type.ok()) return BadRequest(type.status());
  const std::string kind = type->value_or("full");
  if (kind != "full" && kind != "id") {
    return BadRequest(absl::StrCat("Unknown search type \"", kind, "\" (full or id)"));
  }
  auto page_num = IntegerField(r.attributes, "pageNum");
  auto page_size = IntegerField(r.attributes, "pageSize");
  if (!page_num.ok()) return BadRequest(page_num.status());
  if (!page_size.ok()) return BadRequest(page_size.status());
  auto sort_text = StringField(r.attributes, "sortFields");
  if (!sort_text.ok()) return BadRequest(sort_text.status());
  auto sort = ParseSortFields(sort_text->value_or(""));
  if (!sort.ok()) return BadRequest(sort.status());
  const long long num = page_num->value_or(0);
  const long long size = page_size->value_or(-1);
  if (num < 0) return BadRequest("\"pageNum\" must not be negative");

  std::vector<const DigitalObject*> hits = RunSearch(store_, *query, *sort);
  Json results = Json::array();
  // Cordra: a negative pageSize means everything; pageSize 0 returns only the size.
  size_t first = 0, last = hits.size();
  if (size >= 0) {
    // Clamped first, so the product cannot overflow.
    const long long n = static_cast<long long>(hits.size());
    const long long clamped_size = std::min(size, n);
    const long long clamped_num = std::min(num, n);
    first = static_cast<size_t>(std::min(clamped_num * clamped_size, n));
    last = static_cast<size_t>(std::min<long long>(first + clamped_size, n));
  }
  for (size_t i = first; i < last; ++i) {
    if (kind == "id") {
      results.push_back(hits[i]->id);
    } else {
      results.push_back(ToDoipJson(*hits[i]));
    }
  }
  Json out = Json::object();
  out["size"] = hits.size();
  out["results"] = std::move(results);
  // Cordra writes the results as an output segment, not as compact output.
  Response resp;
  resp.output_segments.push_back(Segment{Segment::Type::kJson, DumpJson(out)});
  return resp;
}

}  // namespace ecusim::digital_object
