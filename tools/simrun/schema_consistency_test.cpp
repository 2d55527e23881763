// One source of truth: every closed set simrun has lives in one table in the
// code (fault kinds, metrics, checkers, knob limits). The JSON Schema and
// scenarios/README.md are written by hand for people to read; this test
// checks them against the tables, so adding a row without updating them (or
// the other way round) fails here and says what is missing.

#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "broker/config_limits.h"
#include "sim/checkers.h"
#include "tools/simrun/assertions.h"
#include "tools/simrun/fault_kinds.h"
#include "tools/simrun/metrics.h"
#include "tools/simrun/scenario_limits.h"
#include "tools/simrun/schema_text.h"

using namespace simrun;
using nlohmann::json;

namespace {

const json& schema() {
  static const json document = json::parse(cli::scenario_schema_text());
  return document;
}

std::set<std::string> strings_of(const json& array) {
  std::set<std::string> result;
  for (const json& value : array) result.insert(value.get_ref<const std::string&>());
  return result;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "cannot read " << path << " (CTest runs from the source root)");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Every `code span` of the README, as words: "`clock_offset {offset_ms}`"
// gives "clock_offset" and "{offset_ms}"; "`metadata_sync.{attempts,failed}`"
// is expanded to "metadata_sync.attempts", "metadata_sync.failed".
std::set<std::string> documented_words(const std::string& markdown) {
  std::set<std::string> words;
  const std::regex span("`([^`]+)`");
  for (auto it = std::sregex_iterator(markdown.begin(), markdown.end(), span);
       it != std::sregex_iterator(); ++it) {
    std::istringstream parts((*it)[1].str());
    std::string word;
    while (parts >> word) {
      const std::size_t open = word.find(".{");
      const std::size_t close = word.find('}');
      if (open != std::string::npos && close != std::string::npos && close > open) {
        const std::string prefix = word.substr(0, open + 1);
        std::istringstream names(word.substr(open + 2, close - open - 2));
        std::string name;
        while (std::getline(names, name, ',')) words.insert(prefix + name);
      } else {
        words.insert(word);
      }
    }
  }
  return words;
}

const std::set<std::string>& readme_words() {
  static const std::set<std::string> words = documented_words(read_text("scenarios/README.md"));
  return words;
}

}  // namespace

TEST_CASE("fault kinds: the schema's action enum and params are kFaultKinds'") {
  std::set<std::string> table_names;
  std::set<std::string> table_params;
  for (const cli::FaultKindInfo& info : cli::kFaultKinds) {
    table_names.emplace(info.name);
    for (const std::string_view key : info.params) {
      if (!key.empty()) table_params.emplace(key);
    }
  }
  CHECK(strings_of(schema().at("definitions").at("action").at("enum")) == table_names);
  std::set<std::string> schema_params;
  for (const auto& [key, value] :
       schema().at("definitions").at("params").at("properties").items()) {
    schema_params.insert(key);
  }
  CHECK(schema_params == table_params);
}

TEST_CASE("fault kinds: every action is documented in scenarios/README.md") {
  for (const cli::FaultKindInfo& info : cli::kFaultKinds) {
    CHECK_MESSAGE(readme_words().count(std::string(info.name)) == 1,
                  "fault action " << info.name << " is not in scenarios/README.md");
  }
}

TEST_CASE("metrics: the schema's metric enum is the metric table, each documented") {
  const json& metric_enum = schema()
                                .at("properties")
                                .at("assertions")
                                .at("items")
                                .at("properties")
                                .at("metric")
                                .at("enum");
  const std::vector<std::string> names = cli::metric_names();
  CHECK(strings_of(metric_enum) == std::set<std::string>(names.begin(), names.end()));
  CHECK(names.size() == cli::metric_table().size());
  for (const std::string& name : names) {
    CHECK_MESSAGE(readme_words().count(name) == 1,
                  "metric " << name << " has no definition in scenarios/README.md");
  }
}

TEST_CASE("checkers: every checker is documented in scenarios/README.md") {
  for (const sim::CheckerInfo& checker : sim::kCheckers) {
    CHECK_MESSAGE(readme_words().count(std::string(checker.name)) == 1,
                  "checker " << checker.name << " is not in scenarios/README.md");
  }
}

namespace {

std::string type_of(const json& subschema) {
  const auto it = subschema.find("type");
  return it != subschema.end() && it->is_string() ? it->get_ref<const std::string&>() : "";
}

// Collects integer knobs of the schema under cluster.raft / cluster.broker:
// "raft.tick_interval_ms" -> its subschema (array items for delays_ms).
void integer_knobs(const json& object_schema, const std::string& prefix,
                   std::map<std::string, json>& out) {
  for (const auto& [key, property] : object_schema.at("properties").items()) {
    const std::string path = prefix + "." + key;
    const std::string type = type_of(property);
    if (type == "integer") {
      out[path] = property;
    } else if (type == "array" && type_of(property.at("items")) == "integer") {
      out[path] = property.at("items");
    } else if (type == "object") {
      integer_knobs(property, path, out);
    }
  }
}

}  // namespace

TEST_CASE("knob limits: the schema and broker/config_json.cpp obey one table") {
  std::map<std::string, json> knobs;
  const json& cluster = schema().at("properties").at("cluster").at("properties");
  integer_knobs(cluster.at("raft"), "raft", knobs);
  integer_knobs(cluster.at("broker"), "broker", knobs);
  std::set<std::string> table_paths;
  for (const broker::KnobLimit& limit : broker::kKnobLimits) {
    const std::string path(limit.path);
    table_paths.insert(path);
    REQUIRE_MESSAGE(knobs.count(path) == 1, path << " is in kKnobLimits but not in the schema");
    CHECK_MESSAGE(knobs.at(path).at("minimum").get<std::int64_t>() == limit.min, path);
    CHECK_MESSAGE(knobs.at(path).at("maximum").get<std::int64_t>() == limit.max, path);
  }
  for (const auto& knob : knobs) {
    // A named copy, not a structured binding: clang 14 cannot capture one
    // in the lambda CHECK_MESSAGE expands to.
    const std::string& path = knob.first;
    CHECK_MESSAGE(table_paths.count(path) == 1, path << " is in the schema but not in kKnobLimits");
  }
  CHECK(cluster.at("broker")
            .at("properties")
            .at("metadata_retry")
            .at("properties")
            .at("delays_ms")
            .at("maxItems")
            .get<std::size_t>() == broker::kMaxRetryDelays);
}

TEST_CASE("scenario limits: the schema's time bounds are kMaxDurationMs") {
  const json& definitions = schema().at("definitions");
  CHECK(definitions.at("duration").at("oneOf").at(0).at("maximum").get<std::int64_t>() ==
        cli::kMaxDurationMs);
  CHECK(definitions.at("duration_positive").at("oneOf").at(0).at("maximum").get<std::int64_t>() ==
        cli::kMaxDurationMs);
  const json& workload = schema().at("properties").at("workload").at("properties");
  const json& producer = workload.at("producers").at("items").at("properties");
  CHECK(producer.at("start_ms").at("maximum").get<std::int64_t>() == cli::kMaxDurationMs);
  CHECK(producer.at("stop_ms").at("maximum").get<std::int64_t>() == cli::kMaxDurationMs);
  const json& consumer = workload.at("consumers").at("items").at("properties");
  CHECK(consumer.at("start_ms").at("maximum").get<std::int64_t>() == cli::kMaxDurationMs);
}

TEST_CASE("scenario limits: the schema's timeline bound is kMaxTimelineFaults") {
  CHECK(schema().at("properties").at("faults").at("maxItems").get<std::size_t>() ==
        cli::kMaxTimelineFaults);
}

TEST_CASE("comparison operators: the schema's op enums are kCompareOps") {
  std::set<std::string> table;
  for (const cli::CompareOpInfo& info : cli::kCompareOps) table.emplace(info.symbol);
  const json& assertion_op =
      schema().at("properties").at("assertions").at("items").at("properties").at("op");
  CHECK(strings_of(assertion_op.at("enum")) == table);
  const json& gate_op = schema()
                            .at("properties")
                            .at("gates")
                            .at("properties")
                            .at("thresholds")
                            .at("items")
                            .at("properties")
                            .at("op");
  CHECK(strings_of(gate_op.at("enum")) == table);
  for (const cli::CompareOpInfo& info : cli::kCompareOps) {
    CHECK(cli::compare_op_from(info.symbol) == info.op);
  }
  CHECK_FALSE(cli::compare_op_from("=<").has_value());
}
