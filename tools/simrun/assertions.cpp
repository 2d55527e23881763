#include "tools/simrun/assertions.h"

#include <cmath>
#include <stdexcept>

#include "sim/assert.h"

namespace simrun::cli {

std::optional<CompareOp> compare_op_from(std::string_view symbol) {
  for (const CompareOpInfo& info : kCompareOps) {
    if (info.symbol == symbol) return info.op;
  }
  return std::nullopt;
}

bool compare(double value, CompareOp op, double bound) {
  switch (op) {
    case CompareOp::at_most:
      return value <= bound;
    case CompareOp::below:
      return value < bound;
    case CompareOp::at_least:
      return value >= bound;
    case CompareOp::above:
      return value > bound;
    case CompareOp::equal:
      return value == bound;
  }
  SIMRUN_ASSERT(false, "a CompareOp value outside the enum");
  return false;
}

bool compare(double value, const std::string& op, double bound) {
  const auto parsed = compare_op_from(op);
  if (!parsed) throw std::invalid_argument("unknown comparison operator \"" + op + "\"");
  return compare(value, *parsed, bound);
}

std::vector<AssertionResult> evaluate_assertions(
    const std::vector<AssertionSpec>& specs,
    const std::function<const Metrics&(const std::optional<TimeWindow>&)>& metrics_for) {
  std::vector<AssertionResult> results;
  for (const AssertionSpec& spec : specs) {
    const Metrics& metrics = metrics_for(spec.window);
    // A group that never appeared in the trace has all-zero metrics, except
    // that it never had a leader: that must not pass "leaderless_ms <= X".
    GroupMetrics absent;
    absent.leaderless_ms = 1e300;
    absent.time_to_first_leader_ms = 1e300;
    const GroupMetrics* group = &metrics.totals;
    if (!spec.group.empty()) {
      const auto it = metrics.groups.find(spec.group);
      group = it == metrics.groups.end() ? &absent : &it->second;
    }
    SIMRUN_ASSERT(!spec.name.empty(), "the loader names every assertion");
    const auto value = metric_value(*group, spec.metric);
    if (!value) throw std::invalid_argument("unknown metric \"" + spec.metric + "\"");
    SIMRUN_ASSERT(!std::isnan(*value), "a metric is a number, never NaN");
    AssertionResult result{spec.name,
                           spec.metric,
                           spec.op,
                           spec.group,
                           *value,
                           spec.bound,
                           compare(*value, spec.op, spec.bound),
                           {}};
    // A ratio over nothing is no evidence either way: "success >= 99 %"
    // must not pass because nothing was attempted.
    if (auto reason = metric_undefined_reason(*group, spec.metric)) {
      result.passed = false;
      result.detail = std::move(*reason);
    }
    results.push_back(std::move(result));
  }
  return results;
}

nlohmann::json to_json(const AssertionResult& result) {
  nlohmann::json json = {{"name", result.name},   {"metric", result.metric},
                         {"op", result.op},       {"value", result.value},
                         {"bound", result.bound}, {"passed", result.passed}};
  if (!result.group.empty()) json["group"] = result.group;
  if (!result.detail.empty()) json["detail"] = result.detail;
  return json;
}

}  // namespace simrun::cli
