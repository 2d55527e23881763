#include "tools/simrun/overrides.h"

#include "tools/simrun/input_error.h"

namespace simrun::cli {

namespace {

constexpr std::size_t kMaxPathSegments = 32;

std::vector<std::string> split_path(std::string_view path, std::string_view original) {
  std::vector<std::string> segments;
  std::size_t start = 0;
  while (start <= path.size()) {
    if (segments.size() >= kMaxPathSegments) {
      throw InputError("--set " + std::string(original) + ": path is too deep");
    }
    const std::size_t dot = path.find('.', start);
    const std::size_t end = dot == std::string_view::npos ? path.size() : dot;
    if (end == start) {
      throw InputError("--set " + std::string(original) +
                       ": empty segment in path (expected PATH like cluster.raft.pre_vote)");
    }
    segments.emplace_back(path.substr(start, end - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return segments;
}

bool is_index(const std::string& segment) {
  if (segment.empty() || segment.size() > 6) return false;
  for (char c : segment) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool is_bare_word(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == ':' || c == '/' || c == '-' || c == '+';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Override parse_override(std::string_view text) {
  const std::size_t equals = text.find('=');
  if (equals == std::string_view::npos || equals == 0) {
    throw InputError("--set " + std::string(text) +
                     ": expected PATH=VALUE (e.g. cluster.raft.election_timeout_ms=3000)");
  }
  Override result;
  result.path = std::string(text.substr(0, equals));
  result.text = std::string(text);
  (void)split_path(result.path, text);  // reject bad paths early
  const std::string value_text(text.substr(equals + 1));
  result.value = nlohmann::json::parse(value_text, nullptr, /*allow_exceptions=*/false);
  if (result.value.is_discarded()) {
    if (!is_bare_word(value_text)) {
      throw InputError("--set " + std::string(text) + ": value is not valid JSON (use '\"...\"' " +
                       "for strings with spaces or symbols)");
    }
    result.value = value_text;
  }
  return result;
}

void apply_override(nlohmann::json& document, const Override& override_value,
                    std::string_view file) {
  const auto segments = split_path(override_value.path, override_value.text);
  nlohmann::json* node = &document;
  std::string pointer;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const std::string& segment = segments[i];
    const bool last = i + 1 == segments.size();
    const std::string parent = pointer.empty() ? "/" : pointer;
    pointer += "/" + segment;
    if (node->is_object()) {
      if (last) {
        (*node)[segment] = override_value.value;
        return;
      }
      if (!node->contains(segment)) (*node)[segment] = nlohmann::json::object();
      node = &(*node)[segment];
    } else if (node->is_array()) {
      if (!is_index(segment)) {
        throw InputError(std::string(file) + ": --set " + override_value.text + ": " + parent +
                         " is an array; expected an index, got \"" + segment + "\"");
      }
      const std::size_t index = std::stoul(segment);
      if (index > node->size()) {
        throw InputError(std::string(file) + ": --set " + override_value.text + ": " + pointer +
                         ": index out of range (array has " + std::to_string(node->size()) +
                         " elements)");
      }
      if (index == node->size()) node->push_back(nlohmann::json::object());
      if (last) {
        (*node)[index] = override_value.value;
        return;
      }
      node = &(*node)[index];
    } else {
      throw InputError(std::string(file) + ": --set " + override_value.text + ": " + parent +
                       " is a " + node->type_name() + ", not an object or array");
    }
  }
}

std::string override_argument(const Override& override_value) {
  std::string quoted;
  for (char c : override_value.path + "=" + override_value.value.dump()) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return "--set '" + quoted + "'";
}

}  // namespace simrun::cli
