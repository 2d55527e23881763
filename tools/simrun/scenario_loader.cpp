#include "tools/simrun/scenario_loader.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validator.hpp>

#include "broker/config_json.h"
#include "broker/timing.h"
#include "sim/assert.h"
#include "sim/checkers.h"
#include "tools/simrun/duration.h"
#include "tools/simrun/input_error.h"
#include "tools/simrun/json_text.h"
#include "tools/simrun/scenario_limits.h"
#include "tools/simrun/schema_text.h"
#include "tools/simrun/swarm.h"

namespace simrun::cli {

using nlohmann::json;

namespace {

constexpr std::size_t kMaxReportedErrors = 8;
constexpr std::size_t kMaxScenarioBytes = 16u << 20;

const json& schema_document() {
  static const json document = json::parse(scenario_schema_text());
  return document;
}

const valijson::Schema& compiled_schema() {
  // valijson::Schema is neither copyable nor movable: build it in place once.
  static const std::unique_ptr<valijson::Schema> schema = [] {
    auto result = std::make_unique<valijson::Schema>();
    valijson::SchemaParser parser;
    valijson::adapters::NlohmannJsonAdapter adapter(schema_document());
    parser.populateSchema(adapter, *result);
    return result;
  }();
  return *schema;
}

// Follows "$ref": "#/definitions/x" (the only form the schema uses).
const json* resolve(const json* schema) {
  for (int hops = 0; hops < 8 && schema != nullptr && schema->contains("$ref"); ++hops) {
    const std::string ref = (*schema)["$ref"].get<std::string>();
    const std::string prefix = "#/definitions/";
    if (ref.rfind(prefix, 0) != 0) return nullptr;
    const json& definitions = schema_document()["definitions"];
    const auto it = definitions.find(ref.substr(prefix.size()));
    schema = it == definitions.end() ? nullptr : &*it;
  }
  return schema;
}

// The subschema that governs the value at `segments`, or nullptr.
const json* schema_at(const std::vector<std::string>& segments) {
  const json* schema = resolve(&schema_document());
  for (const std::string& segment : segments) {
    if (schema == nullptr) return nullptr;
    if (schema->contains("properties") && (*schema)["properties"].contains(segment)) {
      schema = resolve(&(*schema)["properties"][segment]);
    } else if (schema->contains("items")) {
      schema = resolve(&(*schema)["items"]);
    } else {
      return nullptr;
    }
  }
  return schema;
}

std::string format_number(const json& value) {
  if (value.is_number_float()) {
    std::ostringstream out;
    out << value.get<double>();
    return out.str();
  }
  return value.dump();
}

// "what was expected", in words, from the subschema.
std::string describe_expected(const json* schema) {
  if (schema == nullptr) return {};
  const bool is_object = schema->value("type", json()) == json("object");
  if (schema->contains("description") && (!is_object || schema->contains("required"))) {
    if (!is_object) return (*schema)["description"].get<std::string>();
  }
  if (schema->contains("enum")) {
    std::string words = "one of ";
    bool first = true;
    for (const json& option : (*schema)["enum"]) {
      words += (first ? "" : ", ") + option.dump();
      first = false;
    }
    return words;
  }
  if (schema->contains("oneOf")) {
    std::string words;
    for (const json& option : (*schema)["oneOf"]) {
      words += (words.empty() ? "" : " or ") + describe_expected(resolve(&option));
    }
    return words;
  }
  std::string words;
  if (schema->contains("type")) {
    const std::string type = (*schema)["type"].get<std::string>();
    words = (type == "integer" || type == "object" || type == "array" ? "an " : "a ") + type;
  }
  const bool has_min = schema->contains("minimum") || schema->contains("exclusiveMinimum");
  const bool has_max = schema->contains("maximum");
  if (has_min || has_max) {
    const bool exclusive = schema->contains("exclusiveMinimum");
    words += " in " + std::string(exclusive ? "(" : "[") +
             (has_min ? format_number((*schema)[exclusive ? "exclusiveMinimum" : "minimum"])
                      : std::string("-inf")) +
             ", " + (has_max ? format_number((*schema)["maximum"]) : std::string("inf")) + "]";
  }
  if (schema->contains("pattern")) {
    words += " matching " + (*schema)["pattern"].get<std::string>();
  }
  if (schema->value("additionalProperties", true) == false && schema->contains("properties")) {
    words += " with keys among: ";
    bool first = true;
    for (const auto& [key, value] : (*schema)["properties"].items()) {
      words += (first ? "" : ", ") + key;
      first = false;
    }
  }
  if (schema->contains("required")) {
    words += " (required: ";
    bool first = true;
    for (const json& key : (*schema)["required"]) {
      words += (first ? "" : ", ") + key.get<std::string>();
      first = false;
    }
    words += ")";
  }
  return words;
}

std::string pointer_of(const std::vector<std::string>& segments) {
  if (segments.empty()) return "/";
  std::string pointer;
  for (const std::string& segment : segments) pointer += "/" + segment;
  return pointer;
}

[[noreturn]] void fail(const std::string& file, const std::string& pointer,
                       const std::string& what) {
  throw InputError(file + ": " + pointer + ": " + what);
}

std::string read_file(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError(file + ": cannot open scenario file (does it exist?)");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  if (text.size() > kMaxScenarioBytes) throw InputError(file + ": scenario file is too large");
  return text;
}

// ---- conversion of validated values ----

sim::duration_ns ms_to_ns(double ms) {
  return static_cast<sim::duration_ns>(std::llround(ms * 1e6));
}

}  // namespace

sim::DurationDistribution distribution_from_json(const json& value, const std::string& file,
                                                 const std::string& pointer) {
  sim::DurationDistribution result;
  const std::string kind = value.at("kind").get<std::string>();
  auto need = [&](const char* key) {
    if (!value.contains(key)) {
      fail(file, pointer, "a \"" + kind + "\" distribution needs \"" + key + "\"");
    }
    return value[key].get<double>();
  };
  result.base_ns = ms_to_ns(value.value("base_ms", 0.0));
  if (kind == "fixed") {
    result.kind = sim::DurationDistribution::Kind::fixed;
    result.base_ns += ms_to_ns(need("value_ms"));
  } else if (kind == "uniform") {
    result.kind = sim::DurationDistribution::Kind::uniform;
    const double low = need("low_ms");
    const double high = need("high_ms");
    if (high < low) fail(file, pointer + "/high_ms", "expected high_ms >= low_ms");
    result.base_ns += ms_to_ns(low);
    result.jitter_ns = ms_to_ns(high - low);
  } else if (kind == "exponential") {
    result.kind = sim::DurationDistribution::Kind::exponential;
    result.mean_ns = ms_to_ns(need("mean_ms"));
  } else {
    result.kind = sim::DurationDistribution::Kind::lognormal;
    result.median_ns = ms_to_ns(need("median_ms"));
    result.sigma = need("sigma");
  }
  if (value.contains("max_ms")) result.max_ns = ms_to_ns(value["max_ms"].get<double>());
  return result;
}

bool is_client_ref(std::string_view ref) {
  return ref.rfind("producer", 0) == 0 || ref.rfind("consumer", 0) == 0;
}

namespace {

void apply_link_fields(const json& value, sim::LinkConfig& link, const std::string& file,
                       const std::string& pointer) {
  if (value.contains("latency"))
    link.latency = distribution_from_json(value["latency"], file, pointer + "/latency");
  link.drop_probability = value.value("drop_probability", link.drop_probability);
  link.duplicate_probability = value.value("duplicate_probability", link.duplicate_probability);
  link.reorder_probability = value.value("reorder_probability", link.reorder_probability);
  if (value.contains("reorder_delay_max_ms")) {
    link.reorder_delay_max_ns = ms_to_ns(value["reorder_delay_max_ms"].get<double>());
  }
}

int node_index(const std::string& name, int nodes, const std::string& file,
               const std::string& pointer) {
  const int index = name[1] - '1';  // the schema allows only n1..n9
  if (index >= nodes) {
    fail(file, pointer,
         "node " + name + " does not exist (the cluster has " + std::to_string(nodes) +
             " nodes: n1..n" + std::to_string(nodes) + ")");
  }
  return index;
}

// The client processes' names as the cluster creates them: producers,
// then consumers, numbered together in file order ("producer1",
// "consumer2"), as traces and reports name them.
std::vector<std::string> client_names(const Scenario& scenario) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < scenario.producers.size(); ++i) {
    names.push_back("producer" + std::to_string(names.size() + 1));
  }
  for (std::size_t i = 0; i < scenario.consumers.size(); ++i) {
    names.push_back("consumer" + std::to_string(names.size() + 1));
  }
  return names;
}

void check_client(const std::string& name, const Scenario& scenario, const std::string& pointer) {
  const auto names = client_names(scenario);
  if (std::find(names.begin(), names.end(), name) != names.end()) return;
  std::string known;
  for (const auto& client : names) known += (known.empty() ? "" : ", ") + client;
  fail(scenario.file, pointer,
       "unknown client \"" + name + "\" (clients: " + (known.empty() ? "none" : known) +
           "; producers and consumers are numbered together, producers first)");
}

// `event_allowed`: the fault has a `when`, so the ref "event" (the
// triggering event's node or client) means something.
void check_ref(const std::string& ref, const Scenario& scenario, const std::string& pointer,
               bool event_allowed = false) {
  const int nodes = scenario.cluster.nodes;
  if (!ref.empty() && ref.front() == kBindingPrefix) return;  // check_bindings
  if (ref.size() == 2 && ref[0] == 'n') {
    (void)node_index(ref, nodes, scenario.file, pointer);
    return;
  }
  if (ref == "event") {
    if (!event_allowed) {
      fail(scenario.file, pointer,
           "the target \"event\" (the node or client of the triggering event) needs a \"when\"");
    }
    return;
  }
  if (is_client_ref(ref)) {
    check_client(ref, scenario, pointer);
    return;
  }
  const std::size_t colon = ref.find(':');
  if (colon == std::string::npos) return;  // "random"
  const std::string group = ref.substr(colon + 1);
  const auto groups = scenario.group_names();
  if (std::find(groups.begin(), groups.end(), group) == groups.end()) {
    std::string known;
    for (const auto& name : groups) known += (known.empty() ? "" : ", ") + name;
    fail(scenario.file, pointer, "unknown Raft group \"" + group + "\" (groups: " + known + ")");
  }
}

void check_refs(const json& list, const Scenario& scenario, const std::string& pointer,
                bool event_allowed) {
  for (std::size_t i = 0; i < list.size(); ++i) {
    check_ref(list[i].get<std::string>(), scenario, pointer + "/" + std::to_string(i),
              event_allowed);
  }
}

FaultKind fault_kind_at(const json& entry, const std::string& file, const std::string& pointer) {
  const std::string name = entry.at("action").get<std::string>();
  const auto kind = fault_kind_from_name(name);
  // The schema's action enum is checked against kFaultKinds by a test.
  if (!kind)
    fail(file, pointer + "/action",
         "unknown action \"" + name + "\"; expected one of " + fault_kind_names());
  return *kind;
}

// A fault's shape against its row in kFaultKinds: targets, duration and
// params it needs, and nothing it would silently ignore.
void check_fault_shape(const FaultKindInfo& info, const json& entry, const Scenario& scenario,
                       const std::string& pointer) {
  const json params = entry.value("params", json::object());
  const bool has_targets = entry.contains("targets");
  const bool has_duration = entry.contains("duration");
  const std::string action = "action \"" + std::string(info.name) + "\"";
  auto require = [&](bool present, const std::string& what) {
    if (!present) fail(scenario.file, pointer, action + " needs " + what);
  };
  if (info.needs_targets) require(has_targets, "\"targets\"");
  if (!info.needs_targets && has_targets) {
    fail(scenario.file, pointer + "/targets",
         action + " takes no \"targets\" (it is not aimed at nodes)");
  }
  if (info.needs_duration) require(has_duration, "a \"duration\"");
  if (!info.takes_duration && has_duration) {
    fail(scenario.file, pointer + "/duration",
         action + " takes no \"duration\" (it is instantaneous)");
  }
  std::string accepted;
  for (const std::string_view key : info.params) {
    if (key.empty()) continue;
    require(params.contains(key), "\"params." + std::string(key) + "\"");
    accepted += (accepted.empty() ? "\"" : ", \"") + std::string(key) + "\"";
  }
  for (const auto& [key, value] : params.items()) {
    if (std::find(info.params.begin(), info.params.end(), key) == info.params.end()) {
      fail(scenario.file, pointer + "/params/" + key,
           "parameter \"" + key + "\" does not apply to " + action + "; it takes " +
               (accepted.empty() ? std::string("no params") : accepted));
    }
  }
  if (entry.contains("until") && info.kind != FaultKind::clog) {
    fail(scenario.file, pointer + "/until",
         "only a \"clog\" takes \"until\" (its held messages are released at the event)");
  }
  const bool triggered = entry.contains("when");
  if (has_targets) check_refs(entry["targets"], scenario, pointer + "/targets", triggered);
  if (info.kind == FaultKind::controlled_shutdown && has_targets) {
    const json& targets = entry["targets"];
    for (std::size_t i = 0; i < targets.size(); ++i) {
      const std::string ref = targets[i].get<std::string>();
      if (is_client_ref(ref)) {
        fail(scenario.file, pointer + "/targets/" + std::to_string(i),
             action + " stops broker nodes; \"" + ref + "\" is a client (crash or pause it)");
      }
    }
  }
  for (const char* key : {"left", "right", "to"}) {
    if (params.contains(key))
      check_refs(params[key], scenario, pointer + "/params/" + key, triggered);
  }
  if (params.contains("bridge")) {
    check_ref(params["bridge"].get<std::string>(), scenario, pointer + "/params/bridge", triggered);
  }
  if (params.contains("groups")) {
    for (std::size_t g = 0; g < params["groups"].size(); ++g) {
      check_refs(params["groups"][g], scenario, pointer + "/params/groups/" + std::to_string(g),
                 triggered);
    }
  }
  if (params.contains("latency")) {
    (void)distribution_from_json(params["latency"], scenario.file, pointer + "/params/latency");
  }
  if (params.contains("fsync_latency")) {
    (void)distribution_from_json(params["fsync_latency"], scenario.file,
                                 pointer + "/params/fsync_latency");
  }
}

// `when` / `until` (tools/simrun/fault_triggers.h); the schema has checked
// the shape, this checks the names against the cluster.
TriggerSpec trigger_from_json(const json& entry, const Scenario& scenario,
                              const std::string& pointer) {
  TriggerSpec trigger;
  const std::string name = entry["event"].get<std::string>();
  const auto event = trigger_event_from_name(name);
  // The schema's enum is checked against kTriggerEvents by a test.
  SIMRUN_ASSERT(event.has_value(), "the schema admitted an unknown trigger event");
  trigger.event = *event;
  const bool about_client = trigger_event_info(*event).about_client;
  if (entry.contains("node")) {
    if (about_client) {
      fail(scenario.file, pointer + "/node",
           "event \"" + name + "\" is about a client: filter it with \"client\", not \"node\"");
    }
    trigger.node = node_index(entry["node"].get<std::string>(), scenario.cluster.nodes,
                              scenario.file, pointer + "/node") +
                   1;
  }
  if (entry.contains("client")) {
    if (!about_client) {
      fail(scenario.file, pointer + "/client",
           "event \"" + name + "\" is about a node: filter it with \"node\", not \"client\"");
    }
    trigger.client = entry["client"].get<std::string>();
    check_client(trigger.client, scenario, pointer + "/client");
  }
  if (entry.contains("group")) {
    if (about_client || *event == TriggerEvent::fsync_started ||
        *event == TriggerEvent::node_started || *event == TriggerEvent::node_crashed) {
      fail(scenario.file, pointer + "/group",
           "event \"" + name + "\" concerns no Raft group: \"group\" does not apply");
    }
    check_ref("leader:" + entry["group"].get<std::string>(), scenario, pointer + "/group");
    trigger.group = entry["group"].get<std::string>();
  }
  if (entry.contains("after")) trigger.after_ms = duration_ms_from_json(entry["after"]);
  if (entry.contains("within")) trigger.within_ms = duration_ms_from_json(entry["within"]);
  if (entry.contains("delay")) trigger.delay_ms = duration_ms_from_json(entry["delay"]);
  return trigger;
}

// Every node reference of a fault entry, with its JSON pointer: targets,
// the node-list params (to, left, right, groups) and params.bridge.
std::vector<std::pair<std::string, std::string>> node_refs(const json& entry,
                                                           const std::string& pointer) {
  std::vector<std::pair<std::string, std::string>> refs;
  auto add_list = [&](const json& list, const std::string& at) {
    for (std::size_t i = 0; i < list.size(); ++i) {
      refs.emplace_back(list[i].get<std::string>(), at + "/" + std::to_string(i));
    }
  };
  if (entry.contains("targets")) add_list(entry["targets"], pointer + "/targets");
  const json params = entry.value("params", json::object());
  for (const char* key : {"to", "left", "right"}) {
    if (params.contains(key)) add_list(params[key], pointer + "/params/" + key);
  }
  if (params.contains("groups")) {
    for (std::size_t g = 0; g < params["groups"].size(); ++g) {
      add_list(params["groups"][g], pointer + "/params/groups/" + std::to_string(g));
    }
  }
  if (params.contains("bridge")) {
    refs.emplace_back(params["bridge"].get<std::string>(), pointer + "/params/bridge");
  }
  return refs;
}

// Named target bindings. `bound` maps each name bound by an earlier entry
// of /faults to that entry's (at_ms, pointer). A "$name" must be bound by an
// earlier entry that fires no later than this one (at the same instant,
// faults fire in file order); the entry's own `bind` is added after.
void check_bindings(const json& entry, const FaultSpec& fault, const FaultKindInfo& info,
                    std::map<std::string, std::pair<std::int64_t, std::string>>& bound,
                    const std::string& file) {
  for (const auto& [ref, at] : node_refs(entry, fault.json_path)) {
    if (ref.empty() || ref.front() != kBindingPrefix) continue;
    const std::string name = ref.substr(1);
    const auto it = bound.find(name);
    if (it == bound.end()) {
      fail(file, at,
           "unbound name \"" + ref + "\": expected \"bind\": \"" + name +
               "\" on an earlier fault in /faults");
    }
    if (it->second.first > fault.at_ms) {
      fail(file, at,
           "\"" + ref + "\" is bound by " + it->second.second + ", which fires later (at " +
               std::to_string(it->second.first) + " ms); expected a binding fault at or before " +
               std::to_string(fault.at_ms) + " ms");
    }
  }
  if (fault.bind.empty()) return;
  if (!info.needs_targets) {
    fail(file, fault.json_path + "/bind",
         "action \"" + std::string(info.name) + "\" has no targets, so it has no nodes to bind");
  }
  const auto [it, inserted] = bound.emplace(fault.bind, std::pair{fault.at_ms, fault.json_path});
  if (!inserted) {
    fail(file, fault.json_path + "/bind",
         "name \"" + fault.bind + "\" is already bound by " + it->second.second +
             "; expected a new name");
  }
}

std::optional<TimeWindow> window_from(const json& entry) {
  if (!entry.contains("window")) return std::nullopt;
  TimeWindow window;
  if (entry["window"].contains("from"))
    window.from_ms = duration_ms_from_json(entry["window"]["from"]);
  if (entry["window"].contains("to")) window.to_ms = duration_ms_from_json(entry["window"]["to"]);
  return window;
}

std::string default_assertion_name(const AssertionSpec& spec) {
  std::ostringstream name;
  name << spec.metric;
  if (!spec.group.empty()) name << "[" << spec.group << "]";
  if (spec.window) {
    name << "@" << format_duration_ms(spec.window->from_ms) << ".."
         << (spec.window->to_ms == INT64_MAX ? std::string("end")
                                             : format_duration_ms(spec.window->to_ms));
  }
  name << " " << spec.op << " " << spec.bound;
  return name.str();
}

// The names a legacy expectation may list: the scenario's assertions, the
// liveness assertions when it has a liveness section, and the checkers.
std::vector<std::string> failable_names(const Scenario& scenario) {
  std::vector<std::string> names;
  for (const auto& spec : scenario.assertions) names.push_back(spec.name);
  if (scenario.liveness_within_ms) {
    names.emplace_back(kLivenessLeaderName);
    if (!scenario.producers.empty()) names.emplace_back(kLivenessProduceName);
  }
  for (const std::string_view checker : kCheckerNames) {
    names.push_back(std::string(kCheckerPrefix) + std::string(checker));
  }
  return names;
}

// A `fails` list of an expectation: every name must exist (a renamed
// assertion must not make the expectation pass vacuously).
std::vector<std::string> checked_fail_names(const json& fails, const Scenario& scenario,
                                            const std::string& pointer) {
  const std::vector<std::string> known = failable_names(scenario);
  std::vector<std::string> names;
  for (std::size_t i = 0; i < fails.size(); ++i) {
    const std::string name = fails[i].get<std::string>();
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::string listed;
      for (const auto& candidate : known)
        listed += (listed.empty() ? "\"" : ", \"") + candidate + "\"";
      fail(scenario.file, pointer + "/" + std::to_string(i),
           "unknown check \"" + name + "\"; expected one of: " + listed);
    }
    names.push_back(name);
  }
  return names;
}

// expect.legacy, checked now rather than when CTest runs it: its overrides
// must apply to this scenario and still satisfy the schema, and every name it
// expects to fail must exist (a renamed assertion must not make the legacy
// test pass vacuously).
LegacyExpectation legacy_expectation(const json& document, const Scenario& scenario) {
  const std::string& file = scenario.file;
  const json& entry = document.at("expect").at("legacy");
  LegacyExpectation legacy;
  legacy.reason = entry.value("reason", std::string());
  json flipped = document;
  for (const auto& [path, value] : entry.at("set").items()) {
    Override knob{path, value, path + "=" + value.dump()};
    try {
      apply_override(flipped, knob, file);
    } catch (const InputError& error) {
      fail(file, "/expect/legacy/set/" + path, error.what());
    }
    legacy.set.push_back(std::move(knob));
  }
  const auto errors = schema_errors(flipped);
  if (!errors.empty()) {
    fail(file, "/expect/legacy/set", "the overrides make the scenario invalid: " + errors.front());
  }
  legacy.fails = checked_fail_names(entry.at("fails"), scenario, "/expect/legacy/fails");
  return legacy;
}

// /cluster after every override: a profile's and the knobs' timeouts must
// give Raft more election ticks than heartbeat ticks (broker/timing.h), or
// the first node would fail an assertion in raft/ instead of exit 2.
void check_cluster_timing(const Scenario& scenario) {
  broker::BrokerConfig config;
  try {
    config = broker::config_from_json(scenario.cluster_knobs, broker::profile(scenario.profile),
                                      "cluster");
  } catch (const std::invalid_argument& error) {
    fail(scenario.file, "/cluster", error.what());
  }
  const auto problem = broker::timing_problem(config);
  if (!problem) return;
  std::string pointer = "/cluster/" + problem->knob;
  std::replace(pointer.begin(), pointer.end(), '.', '/');
  fail(scenario.file, pointer,
       problem->message + " (profile \"" + scenario.profile + "\" with the scenario's knobs)");
}

// /cluster: size, profile, knobs (kept as JSON), startup delays.
void convert_cluster(const json& document, Scenario& scenario) {
  const std::string& file = scenario.file;
  const json cluster = document.value("cluster", json::object());
  scenario.cluster.nodes = cluster.value("nodes", 3);
  scenario.profile = cluster.value("profile", std::string("recommended"));
  // The knobs stay JSON here (the schema checked their names, types and
  // ranges); the runner overlays them on the profile with
  // broker::config_from_json. Their combination is checked now.
  scenario.cluster_knobs = json::object();
  if (cluster.contains("raft")) scenario.cluster_knobs["raft"] = cluster["raft"];
  if (cluster.contains("broker")) scenario.cluster_knobs["broker"] = cluster["broker"];
  if (cluster.contains("broker") && cluster["broker"].contains("replication_factor") &&
      cluster["broker"]["replication_factor"].get<int>() > scenario.cluster.nodes) {
    fail(file, "/cluster/broker/replication_factor",
         "expected at most the number of nodes (" + std::to_string(scenario.cluster.nodes) + ")");
  }
  if (cluster.contains("startup_delays_ms")) {
    scenario.cluster.startup_delays_ms =
        cluster["startup_delays_ms"].get<std::vector<std::int64_t>>();
    if (static_cast<int>(scenario.cluster.startup_delays_ms.size()) > scenario.cluster.nodes) {
      fail(file, "/cluster/startup_delays_ms", "expected at most one delay per node");
    }
  }
  check_cluster_timing(scenario);
}

// /network: the default link and per-link overrides.
void convert_network(const json& document, Scenario& scenario) {
  const std::string& file = scenario.file;
  const json network = document.value("network", json::object());
  apply_link_fields(network, scenario.default_link, file, "/network");
  if (network.contains("links")) {
    for (std::size_t i = 0; i < network["links"].size(); ++i) {
      const json& entry = network["links"][i];
      const std::string pointer = "/network/links/" + std::to_string(i);
      LinkOverride link;
      link.from_node = node_index(entry["from"], scenario.cluster.nodes, file, pointer + "/from");
      link.to_node = node_index(entry["to"], scenario.cluster.nodes, file, pointer + "/to");
      link.config = scenario.default_link;
      apply_link_fields(entry, link.config, file, pointer);
      scenario.links.push_back(link);
    }
  }
}

// /disk: fsync latency and the whole-cluster disk fault probabilities.
void convert_disk(const json& document, Scenario& scenario) {
  const std::string& file = scenario.file;
  const json disk = document.value("disk", json::object());
  if (disk.contains("fsync_latency")) {
    scenario.disk.fsync_latency =
        distribution_from_json(disk["fsync_latency"], file, "/disk/fsync_latency");
  }
  scenario.disk.torn_write_probability = disk.value("torn_write_probability", 0.0);
  scenario.disk.bit_flip_probability = disk.value("bit_flip_probability", 0.0);
  scenario.disk.queue_depth = disk.value("queue_depth", std::uint32_t{1});
  // Issue 11: a node's own disk settings, overlaid on the ones above.
  const json node_disks = disk.value("nodes", json::object());
  for (const auto& [name, settings] : node_disks.items()) {
    const std::string pointer = "/disk/nodes/" + name;
    const int node = node_index(name, scenario.cluster.nodes, file, pointer);
    sim::DiskConfig config = scenario.disk;
    if (settings.contains("fsync_latency")) {
      config.fsync_latency =
          distribution_from_json(settings["fsync_latency"], file, pointer + "/fsync_latency");
    }
    config.torn_write_probability =
        settings.value("torn_write_probability", config.torn_write_probability);
    config.bit_flip_probability =
        settings.value("bit_flip_probability", config.bit_flip_probability);
    config.queue_depth = settings.value("queue_depth", config.queue_depth);
    scenario.node_disks[node] = config;
  }
}

// /workload: topics, producers and consumers.
void convert_workload(const json& document, Scenario& scenario) {
  const std::string& file = scenario.file;
  const json workload = document.value("workload", json::object());
  std::set<std::string> topics;
  for (const json& entry : workload.value("topics", json::array())) {
    broker::TopicSpec topic;
    topic.name = entry["name"].get<std::string>();
    topic.partitions = entry.value("partitions", 1);
    if (!topics.insert(topic.name).second) {
      fail(file, "/workload/topics", "topic \"" + topic.name + "\" is declared twice");
    }
    scenario.cluster.topics.push_back(topic);
  }
  auto check_topic = [&](const std::string& topic, const std::string& pointer) {
    if (topics.count(topic) == 0) {
      fail(file, pointer, "unknown topic \"" + topic + "\" (declare it in /workload/topics)");
    }
  };
  const json producers = workload.value("producers", json::array());
  for (std::size_t i = 0; i < producers.size(); ++i) {
    const json& entry = producers[i];
    broker::ProducerSpec spec;
    spec.topic = entry["topic"].get<std::string>();
    check_topic(spec.topic, "/workload/producers/" + std::to_string(i) + "/topic");
    spec.rate_per_second = entry.value("rate_per_second", spec.rate_per_second);
    spec.batch_records = entry.value("batch_records", spec.batch_records);
    spec.record_bytes = entry.value("record_bytes", spec.record_bytes);
    spec.acks = entry.value("acks", spec.acks);
    spec.max_retries = entry.value("max_retries", spec.max_retries);
    spec.retry_backoff_ms = entry.value("retry_backoff_ms", spec.retry_backoff_ms);
    spec.start_ms = entry.value("start_ms", spec.start_ms);
    spec.stop_ms = entry.value("stop_ms", spec.stop_ms);
    spec.max_in_flight = entry.value("max_in_flight", spec.max_in_flight);
    spec.request_timeout_ms = entry.value("request_timeout_ms", spec.request_timeout_ms);
    scenario.producers.push_back(spec);
  }
  const json consumers = workload.value("consumers", json::array());
  for (std::size_t i = 0; i < consumers.size(); ++i) {
    const json& entry = consumers[i];
    broker::ConsumerSpec spec;
    spec.topic = entry["topic"].get<std::string>();
    check_topic(spec.topic, "/workload/consumers/" + std::to_string(i) + "/topic");
    spec.group_id = entry.value("group_id", spec.group_id);
    spec.poll_interval_ms = entry.value("poll_interval_ms", spec.poll_interval_ms);
    spec.start_ms = entry.value("start_ms", spec.start_ms);
    spec.max_in_flight = entry.value("max_in_flight", spec.max_in_flight);
    spec.request_timeout_ms = entry.value("request_timeout_ms", spec.request_timeout_ms);
    scenario.consumers.push_back(spec);
  }
}

// /faults: the timeline, each entry checked against its kFaultKinds row.
void convert_faults(const json& document, Scenario& scenario) {
  const std::string& file = scenario.file;
  const json faults = document.value("faults", json::array());
  std::map<std::string, std::pair<std::int64_t, std::string>> bound;  // see check_bindings
  for (std::size_t i = 0; i < faults.size(); ++i) {
    const json& entry = faults[i];
    FaultSpec fault;
    fault.json_path = "/faults/" + std::to_string(i);
    if (entry.contains("at") == entry.contains("when")) {
      fail(file, fault.json_path,
           "expected exactly one of \"at\" (a time) and \"when\" (an event that triggers it)");
    }
    if (entry.contains("when")) {
      fault.when = trigger_from_json(entry["when"], scenario, fault.json_path + "/when");
      fault.at_ms = fault.when->after_ms;
    } else {
      fault.at_ms = duration_ms_from_json(entry["at"]);
    }
    if (entry.contains("until")) {
      fault.until = trigger_from_json(entry["until"], scenario, fault.json_path + "/until");
      if (entry["until"].contains("after")) {
        fail(file, fault.json_path + "/until/after",
             "\"until\" is armed when its clog applies: \"after\" does not apply");
      }
    }
    fault.kind = fault_kind_at(entry, file, fault.json_path);
    if (entry.contains("targets")) fault.targets = entry["targets"].get<std::vector<std::string>>();
    if (entry.contains("duration")) fault.duration_ms = duration_ms_from_json(entry["duration"]);
    fault.params = entry.value("params", json::object());
    fault.bind = entry.value("bind", std::string());
    check_fault_shape(fault_kind_info(fault.kind), entry, scenario, fault.json_path);
    check_bindings(entry, fault, fault_kind_info(fault.kind), bound, file);
    scenario.faults.push_back(fault);
  }
}

// /nemesis: random faults drawn from the fault stream.
void convert_nemesis(const json& document, Scenario& scenario) {
  const std::string& file = scenario.file;
  if (document.contains("nemesis")) {
    const json& entry = document["nemesis"];
    NemesisSpec nemesis;
    nemesis.from_ms = entry.contains("from") ? duration_ms_from_json(entry["from"]) : 0;
    nemesis.to_ms =
        entry.contains("to") ? duration_ms_from_json(entry["to"]) : scenario.duration_ms;
    if (nemesis.to_ms < nemesis.from_ms) fail(file, "/nemesis/to", "expected to >= from");
    for (std::size_t i = 0; i < entry["kinds"].size(); ++i) {
      const json& kind_entry = entry["kinds"][i];
      const std::string pointer = "/nemesis/kinds/" + std::to_string(i);
      NemesisKind kind;
      kind.kind = fault_kind_at(kind_entry, file, pointer);
      const FaultKindInfo& info = fault_kind_info(kind.kind);
      kind.mean_interval_ms = duration_ms_from_json(kind_entry["mean_interval"]);
      if (kind_entry.contains("targets")) {
        kind.targets = kind_entry["targets"].get<std::vector<std::string>>();
      } else if (info.needs_targets) {
        kind.targets = {"random"};
      }
      if (kind_entry.contains("duration"))
        kind.duration_ms = duration_ms_from_json(kind_entry["duration"]);
      kind.params = kind_entry.value("params", json::object());
      if (kind_entry.contains("when")) {
        kind.when = trigger_from_json(kind_entry["when"], scenario, pointer + "/when");
        if (kind_entry["when"].contains("after")) {
          fail(file, pointer + "/when/after",
               "a nemesis trigger is armed at each arrival: \"after\" does not apply");
        }
      }
      if (kind_entry.contains("until")) {
        kind.until = trigger_from_json(kind_entry["until"], scenario, pointer + "/until");
        if (kind_entry["until"].contains("after")) {
          fail(file, pointer + "/until/after",
               "\"until\" is armed when its clog applies: \"after\" does not apply");
        }
      }
      if (kind_entry.contains("swarm")) {
        const json& range = kind_entry["swarm"];
        SwarmRange swarm;
        swarm.mean_interval_from_ms = duration_ms_from_json(range["mean_interval_from"]);
        swarm.mean_interval_to_ms = duration_ms_from_json(range["mean_interval_to"]);
        if (swarm.mean_interval_to_ms < swarm.mean_interval_from_ms) {
          fail(file, pointer + "/swarm/mean_interval_to", "expected >= mean_interval_from");
        }
        // Per million: integer draws (tools/simrun/swarm.cpp).
        swarm.on_per_million = static_cast<std::uint64_t>(
            std::llround(range.value("on_probability", 0.5) * 1'000'000.0));
        kind.swarm = swarm;
      }
      json shaped = kind_entry;
      if (!kind.targets.empty()) shaped["targets"] = kind.targets;
      check_fault_shape(info, shaped, scenario, pointer);
      for (const auto& [ref, at] : node_refs(shaped, pointer)) {
        if (!ref.empty() && ref.front() == kBindingPrefix) {
          fail(file, at,
               "a nemesis kind cannot target a bound name (\"" + ref +
                   "\"): its faults fire at random times; expected a node reference");
        }
      }
      nemesis.kinds.push_back(kind);
    }
    nemesis.swarm = entry.value("swarm", false);
    if (nemesis.swarm) {
      if (std::none_of(nemesis.kinds.begin(), nemesis.kinds.end(),
                       [](const NemesisKind& kind) { return kind.swarm.has_value(); })) {
        fail(file, "/nemesis/swarm",
             "swarm testing needs a kind with a \"swarm\" range (mean_interval_from/_to)");
      }
      nemesis.swarm_draw = draw_swarm(nemesis, scenario.seed);
    }
    scenario.nemesis = nemesis;
  }
}

// /assertions: metric bounds, per group and window.
void convert_assertions(const json& document, Scenario& scenario) {
  const std::string& file = scenario.file;
  const auto groups = scenario.group_names();
  const json assertions = document.value("assertions", json::array());
  for (std::size_t i = 0; i < assertions.size(); ++i) {
    const json& entry = assertions[i];
    AssertionSpec spec;
    spec.metric = entry["metric"].get<std::string>();
    spec.op = entry["op"].get<std::string>();
    spec.bound = entry["bound"].get<double>();
    spec.group = entry.value("group", std::string());
    if (!spec.group.empty() &&
        std::find(groups.begin(), groups.end(), spec.group) == groups.end()) {
      fail(file, "/assertions/" + std::to_string(i) + "/group",
           "unknown Raft group \"" + spec.group + "\"");
    }
    spec.window = window_from(entry);
    if (spec.window && spec.window->to_ms <= spec.window->from_ms) {
      fail(file, "/assertions/" + std::to_string(i) + "/window", "expected from < to");
    }
    spec.name = entry.value("name", default_assertion_name(spec));
    scenario.assertions.push_back(spec);
  }
}

// /liveness, /checks and /expect.
void convert_checks(const json& document, Scenario& scenario) {
  if (document.contains("liveness")) {
    scenario.liveness_within_ms = duration_ms_from_json(document["liveness"]["within"]);
  }
  if (document.contains("checks") && document["checks"].contains("consume_grace")) {
    scenario.consume_grace_ms = duration_ms_from_json(document["checks"]["consume_grace"]);
  }
  const json expect = document.value("expect", json::object());
  for (const auto& [profile, outcome] : expect.items()) {
    if (profile == "legacy") continue;
    if (outcome.is_object()) {  // {"fails": [...], "reason": ...}: a failure on these checks
      scenario.expect[profile] = "fail";
      scenario.expect_fails[profile] =
          checked_fail_names(outcome.at("fails"), scenario, "/expect/" + profile + "/fails");
    } else {
      scenario.expect[profile] = outcome.get<std::string>();
    }
  }
  if (expect.contains("legacy")) scenario.legacy = legacy_expectation(document, scenario);
}

// What a converted scenario guarantees to the runner (the schema and the
// checks above make each of these true; a failure is a loader bug).
void assert_converted(const Scenario& scenario) {
  const int nodes = scenario.cluster.nodes;
  SIMRUN_ASSERT(nodes >= 1 && nodes <= 9, "the schema allows 1..9 nodes");
  SIMRUN_ASSERT(scenario.duration_ms > 0 && scenario.duration_ms <= kMaxDurationMs,
                "the duration is positive and bounded");
  SIMRUN_ASSERT(scenario.cluster.startup_delays_ms.size() <= static_cast<std::size_t>(nodes),
                "at most one startup delay per node");
  for (const LinkOverride& link : scenario.links) {
    SIMRUN_ASSERT(
        link.from_node >= 0 && link.from_node < nodes && link.to_node >= 0 && link.to_node < nodes,
        "link overrides name existing nodes");
  }
  std::int64_t partitions = 0;
  for (const broker::TopicSpec& topic : scenario.cluster.topics) {
    SIMRUN_ASSERT(topic.partitions >= 1 && !topic.name.empty(),
                  "a topic has a name and partitions");
    partitions += topic.partitions;
  }
  SIMRUN_ASSERT(partitions <= kMaxPartitions, "scenario_limit_problem bounds the partitions");
  for (const broker::ProducerSpec& producer : scenario.producers) {
    SIMRUN_ASSERT(producer.rate_per_second > 0.0 && producer.max_in_flight >= 1,
                  "a producer sends at a positive rate with at least one batch in flight");
  }
  for (const broker::ConsumerSpec& consumer : scenario.consumers) {
    SIMRUN_ASSERT(consumer.request_timeout_ms >= 1 && consumer.max_in_flight >= 1,
                  "a consumer waits a positive time for at least one fetch");
  }
  std::set<std::string> bound;
  for (const FaultSpec& fault : scenario.faults) {
    SIMRUN_ASSERT(fault.at_ms >= 0 && fault.duration_ms >= 0, "fault times are non-negative");
    SIMRUN_ASSERT(fault_kind_info(fault.kind).needs_targets == !fault.targets.empty(),
                  "targets exactly where the kind needs them");
    SIMRUN_ASSERT(fault.bind.empty() || bound.insert(fault.bind).second, "one fault per name");
  }
  SIMRUN_ASSERT(scenario.faults.size() <= kMaxTimelineFaults, "the schema bounds the timeline");
  for (const AssertionSpec& spec : scenario.assertions) {
    SIMRUN_ASSERT(!spec.name.empty() && !spec.metric.empty(), "assertions are named");
    SIMRUN_ASSERT(!spec.window || spec.window->from_ms < spec.window->to_ms,
                  "assertion windows are non-empty");
  }
  SIMRUN_ASSERT(!scenario.liveness_within_ms || *scenario.liveness_within_ms > 0,
                "a liveness bound is positive");
}

Scenario convert(json document, const std::string& file, const LoadOptions& options) {
  Scenario scenario;
  scenario.file = file;
  scenario.overrides = options.overrides;
  scenario.name = document.at("name").get<std::string>();
  scenario.description = document.value("description", std::string());
  scenario.seed = options.seed ? *options.seed : document.value("seed", std::uint64_t{1});
  scenario.duration_ms =
      options.duration_ms ? *options.duration_ms : duration_ms_from_json(document.at("duration"));
  if (scenario.duration_ms <= 0) fail(file, "/duration", "expected a positive duration");
  // In document order: later sections refer to earlier ones (faults to
  // nodes and groups, assertions to groups).
  convert_cluster(document, scenario);
  convert_network(document, scenario);
  convert_disk(document, scenario);
  convert_workload(document, scenario);
  convert_faults(document, scenario);
  convert_nemesis(document, scenario);
  convert_assertions(document, scenario);
  convert_checks(document, scenario);
  if (const auto problem = scenario_limit_problem(scenario)) {
    const bool from_cli = options.duration_ms.has_value() && problem->pointer == "/duration";
    fail(file, problem->pointer, problem->message + (from_cli ? " (from --duration)" : ""));
  }
  assert_converted(scenario);
  scenario.document = std::move(document);
  return scenario;
}

}  // namespace

std::vector<std::string> Scenario::group_names() const {
  std::vector<std::string> names{"__meta"};
  for (const auto& topic : cluster.topics) {
    for (int p = 0; p < topic.partitions; ++p)
      names.push_back(topic.name + "/" + std::to_string(p));
  }
  return names;
}

std::vector<std::string> schema_errors(const json& document) {
  valijson::Validator validator;
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter adapter(document);
  std::vector<std::string> errors;
  if (validator.validate(compiled_schema(), adapter, &results)) return errors;
  std::set<std::string> seen;
  valijson::ValidationResults::Error error;
  while (results.popError(error) && errors.size() < kMaxReportedErrors) {
    // Aggregate messages ("Failed to validate item #2 in array.") repeat a
    // deeper error; report only the leaves.
    if (error.description.rfind("Failed to validate", 0) == 0) continue;
    std::vector<std::string> segments;
    for (const std::string& part : error.context) {
      if (part == "<root>") continue;
      segments.push_back(part.size() >= 2 && part.front() == '[' ? part.substr(1, part.size() - 2)
                                                                 : part);
    }
    std::string what = error.description;
    const std::string unknown_marker = "'additionalProperties' constraints: '";
    const std::size_t marker = what.find(unknown_marker);
    const json* governing = schema_at(segments);
    const std::string expected = describe_expected(governing);
    if (marker != std::string::npos) {
      const std::string key =
          what.substr(marker + unknown_marker.size(),
                      what.size() - marker - unknown_marker.size() - 2);  // drop "'."
      segments.push_back(key);
      what = "unknown key \"" + key + "\"; expected " + expected;
    } else {
      if (what.rfind("Value type not permitted", 0) == 0) {
        const json::json_pointer pointer(pointer_of(segments) == "/" ? "" : pointer_of(segments));
        what = std::string("wrong type (got ") +
               (document.contains(pointer) ? document.at(pointer).type_name() : "nothing") + ")";
      }
      // valijson prints bounds as "9.000000".
      for (std::size_t zeros = what.find(".000000"); zeros != std::string::npos;
           zeros = what.find(".000000")) {
        what.erase(zeros, 7);
      }
      if (!what.empty() && what.back() == '.') what.pop_back();
      if (!expected.empty()) what += "; expected " + expected;
    }
    const std::string pointer = pointer_of(segments);
    if (!seen.insert(pointer).second) continue;  // one message per path
    errors.push_back(pointer + ": " + what);
  }
  return errors;
}

Scenario load_scenario_text(std::string_view text, const std::string& file,
                            const LoadOptions& options) {
  json document = parse_json_text(text, file);
  for (const Override& override_value : options.overrides) {
    apply_override(document, override_value, file);
  }
  const auto errors = schema_errors(document);
  if (!errors.empty()) {
    std::string message = file + ": " + errors.front();
    for (std::size_t i = 1; i < errors.size(); ++i) message += "\n" + file + ": " + errors[i];
    throw InputError(message);
  }
  try {
    return convert(std::move(document), file, options);
  } catch (const json::exception& error) {
    // The schema should make this unreachable; still bad input, not a crash.
    throw InputError(file + ": " + error.what());
  }
}

Scenario load_scenario_file(const std::string& file, const LoadOptions& options) {
  return load_scenario_text(read_file(file), file, options);
}

}  // namespace simrun::cli
