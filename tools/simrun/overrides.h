#pragma once
// --set PATH=VALUE: overrides any scenario field before validation, so an
// override is checked exactly like the file. PATH is dot-separated object
// keys and array indexes ("cluster.raft.election_timeout_ms",
// "faults.2.at"); VALUE is JSON, and a bare word ("v1.3.67", "leader:__meta")
// is taken as a string so shells need no extra quoting.

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace simrun::cli {

struct Override {
  std::string path;  // as given: "cluster.raft.election_timeout_ms"
  nlohmann::json value;
  std::string text;  // the original "PATH=VALUE", for the repro line
};

// Throws InputError for a missing '=', an empty path segment, or a value
// that is neither JSON nor a bare word.
Override parse_override(std::string_view text);

// Sets the value at the path, creating missing object keys (the schema then
// rejects unknown ones with their JSON path). Throws InputError when the path
// runs through a scalar or indexes past the end of an array (index == size
// appends). `file` names the scenario in the message.
void apply_override(nlohmann::json& document, const Override& override_value,
                    std::string_view file);

// The override as a shell-safe command-line argument: --set 'PATH=VALUE'.
std::string override_argument(const Override& override_value);

}  // namespace simrun::cli
