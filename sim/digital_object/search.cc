#include "sim/digital_object/search.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace ecusim::digital_object {
namespace {

// absl::StrSplit wants absl::string_view, which is not std::string_view on this Abseil.
std::vector<std::string> Split(std::string_view text, char sep, bool skip_blank) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t end = text.find(sep, start);
    std::string part(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (!skip_blank || part.find_first_not_of(" \t\r\n") != std::string::npos) {
      out.push_back(std::move(part));
    }
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

struct Token {
  std::string text;
  bool quoted_value = false;  // the value part was quoted: never a keyword
};

absl::StatusOr<std::vector<Token>> Tokenize(std::string_view text) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (i < text.size()) {
    if (absl::ascii_isspace(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    if (text[i] == '(' || text[i] == ')') {
      return absl::InvalidArgumentError("Unsupported query syntax: parentheses");
    }
    Token t;
    while (i < text.size() && !absl::ascii_isspace(static_cast<unsigned char>(text[i]))) {
      if (text[i] == '"') {
        size_t close = text.find('"', i + 1);
        if (close == std::string_view::npos) {
          return absl::InvalidArgumentError("Unterminated quote in query");
        }
        t.text.append(text.substr(i + 1, close - i - 1));
        t.quoted_value = true;
        i = close + 1;
      } else {
        t.text.push_back(text[i++]);
      }
    }
    tokens.push_back(std::move(t));
  }
  return tokens;
}

absl::StatusOr<QueryTerm> ParseTerm(const Token& token, bool negated) {
  QueryTerm term;
  term.negated = negated;
  std::string text = token.text;
  if (!negated && !token.quoted_value && text.size() > 1 && text[0] == '-') {
    term.negated = true;
    text.erase(0, 1);
  }
  if (text == "*:*") {
    term.match_all = true;
    return term;
  }
  size_t colon = text.find(':');
  if (colon != std::string::npos) {
    term.field = text.substr(0, colon);
    term.pattern = text.substr(colon + 1);
    if (term.field != "id" && term.field != "type" && !term.field.starts_with("/")) {
      return absl::InvalidArgumentError(absl::StrCat("Unknown search field \"", term.field,
                                                     "\" (use id, type or a /json/pointer)"));
    }
  } else {
    term.pattern = text;
  }
  if (term.pattern.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("Empty value in query term \"", text, "\""));
  }
  return term;
}

// RFC 6901 pointer lookup without exceptions.
const Json* Pointer(const Json& root, std::string_view pointer) {
  const Json* node = &root;
  if (pointer.empty()) return node;
  if (pointer[0] != '/') return nullptr;
  for (std::string token : Split(pointer.substr(1), '/', false)) {
    for (size_t p; (p = token.find("~1")) != std::string::npos;) token.replace(p, 2, "/");
    for (size_t p; (p = token.find("~0")) != std::string::npos;) token.replace(p, 2, "~");
    if (node->is_object()) {
      auto it = node->find(token);
      if (it == node->end()) return nullptr;
      node = &*it;
    } else if (node->is_array()) {
      size_t index = 0;
      if (token.empty() || !absl::SimpleAtoi(token, &index) || index >= node->size()) {
        return nullptr;
      }
      node = &(*node)[index];
    } else {
      return nullptr;
    }
  }
  return node;
}

std::string LeafText(const Json& leaf) {
  return leaf.is_string() ? leaf.get<std::string>() : DumpJson(leaf);
}

bool LeafMatches(const Json& node, std::string_view pattern, bool recurse) {
  if (node.is_array() || (recurse && node.is_object())) {
    for (const Json& child : node) {
      if (LeafMatches(child, pattern, recurse)) return true;
    }
    return false;
  }
  if (node.is_object() || node.is_null()) return false;
  return GlobMatch(pattern, LeafText(node));
}

bool TermMatches(const QueryTerm& term, const DigitalObject& object) {
  if (term.match_all) return true;
  if (term.field == "id") return GlobMatch(term.pattern, object.id);
  if (term.field == "type") return GlobMatch(term.pattern, object.type);
  if (term.field.empty()) {
    return GlobMatch(term.pattern, object.id) || GlobMatch(term.pattern, object.type) ||
           LeafMatches(object.attributes, term.pattern, /*recurse=*/true);
  }
  // Cordra's "/name" addresses the object's content.
  if (auto it = object.attributes.find("content");
      it != object.attributes.end() && it->is_object()) {
    if (const Json* v = Pointer(*it, term.field); v && LeafMatches(*v, term.pattern, false)) {
      return true;
    }
  }
  const Json* v = Pointer(object.attributes, term.field);
  return v && LeafMatches(*v, term.pattern, false);
}

std::string SortKey(const DigitalObject& object, const std::string& field) {
  if (field == "id") return object.id;
  if (field == "type") return object.type;
  if (auto it = object.attributes.find("content");
      it != object.attributes.end() && it->is_object()) {
    if (const Json* v = Pointer(*it, field)) return LeafText(*v);
  }
  const Json* v = Pointer(object.attributes, field);
  return v ? LeafText(*v) : std::string();
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view text) {
  // Iterative wildcard match with single backtrack point: linear-ish, no recursion.
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

absl::StatusOr<SearchQuery> ParseSearchQuery(std::string_view text) {
  auto tokens = Tokenize(text);
  if (!tokens.ok()) return tokens.status();
  SearchQuery query;
  query.clauses.emplace_back();
  bool negate_next = false;
  for (const Token& token : *tokens) {
    if (!token.quoted_value && token.text == "OR") {
      if (query.clauses.back().empty() || negate_next) {
        return absl::InvalidArgumentError("OR without a term before it");
      }
      query.clauses.emplace_back();
      continue;
    }
    if (!token.quoted_value && token.text == "AND") continue;
    if (!token.quoted_value && token.text == "NOT") {
      negate_next = true;
      continue;
    }
    auto term = ParseTerm(token, negate_next);
    if (!term.ok()) return term.status();
    negate_next = false;
    query.clauses.back().push_back(std::move(*term));
  }
  if (query.clauses.back().empty()) {
    if (query.clauses.size() > 1 || negate_next) {
      return absl::InvalidArgumentError("Query ends without a term");
    }
    // The empty query matches everything, like "*:*".
    QueryTerm all;
    all.match_all = true;
    query.clauses.back().push_back(std::move(all));
  }
  return query;
}

absl::StatusOr<std::vector<SortField>> ParseSortFields(std::string_view text) {
  std::vector<SortField> out;
  for (const std::string& part : Split(text, ',', true)) {
    std::vector<std::string> words = Split(part, ' ', true);
    if (words.empty()) continue;
    SortField f;
    f.field = std::string(words[0]);
    if (f.field != "id" && f.field != "type" && !f.field.starts_with("/")) {
      return absl::InvalidArgumentError(absl::StrCat("Unknown sort field \"", f.field, "\""));
    }
    if (words.size() > 1) {
      std::string dir = absl::AsciiStrToUpper(words[1]);
      if (dir == "DESC") {
        f.descending = true;
      } else if (dir != "ASC") {
        return absl::InvalidArgumentError(absl::StrCat("Bad sort direction \"", words[1], "\""));
      }
    }
    out.push_back(std::move(f));
  }
  return out;
}

bool Matches(const SearchQuery& query, const DigitalObject& object) {
  for (const auto& clause : query.clauses) {
    bool all = true;
    for (const QueryTerm& term : clause) {
      if (TermMatches(term, object) == term.negated) {
        all = false;
        break;
      }
    }
    if (all) return true;
  }
  return false;
}

std::vector<const DigitalObject*> RunSearch(const ObjectStore& store, const SearchQuery& query,
                                            const std::vector<SortField>& sort) {
  std::vector<const DigitalObject*> hits;
  for (const DigitalObject* o : store.All()) {
    if (Matches(query, *o)) hits.push_back(o);
  }
  if (!sort.empty()) {
    // All() is sorted by id, so a stable sort keeps id as the last key.
    std::stable_sort(hits.begin(), hits.end(), [&sort](const auto* a, const auto* b) {
      for (const SortField& f : sort) {
        std::string ka = SortKey(*a, f.field), kb = SortKey(*b, f.field);
        if (ka != kb) return f.descending ? ka > kb : ka < kb;
      }
      return false;
    });
  }
  return hits;
}

}  // namespace ecusim::digital_object
