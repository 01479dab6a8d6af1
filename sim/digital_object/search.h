// The query language of 0.DOIP/Op.Search on the simulator: a small, Lucene-looking subset of
// what Cordra accepts.
//
//   query  := clause ( "OR" clause )*
//   clause := term ( ["AND"] term )*
//   term   := ["-" | "NOT "] ( "*:*" | field ":" value | value )
//   field  := "id" | "type" | "/json/pointer"   (into attributes.content, else attributes)
//   value  := word | "quoted words"; '*' and '?' are wildcards; case-sensitive
// A bare value matches the id, the type or any string/number/boolean leaf of the attributes.
#ifndef ECUSIM_SIM_DIGITAL_OBJECT_SEARCH_H_
#define ECUSIM_SIM_DIGITAL_OBJECT_SEARCH_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "sim/digital_object/object_store.h"

namespace ecusim::digital_object {

struct QueryTerm {
  std::string field;  // empty = any field
  std::string pattern;
  bool negated = false;
  bool match_all = false;  // "*:*"
};

// Disjunction of conjunctions.
struct SearchQuery {
  std::vector<std::vector<QueryTerm>> clauses;
};

struct SortField {
  std::string field;  // "id", "type" or a JSON pointer
  bool descending = false;
};

// INVALID_ARGUMENT with a message fit for attributes.message.
absl::StatusOr<SearchQuery> ParseSearchQuery(std::string_view text);
// "field [ASC|DESC], ..."
absl::StatusOr<std::vector<SortField>> ParseSortFields(std::string_view text);

bool Matches(const SearchQuery& query, const DigitalObject& object);
bool GlobMatch(std::string_view pattern, std::string_view text);

// Every object matching, sorted by `sort` (then by id).
std::vector<const DigitalObject*> RunSearch(const ObjectStore& store, const SearchQuery& query,
                                            const std::vector<SortField>& sort);

}  // namespace ecusim::digital_object

#endif  // ECUSIM_SIM_DIGITAL_OBJECT_SEARCH_H_
