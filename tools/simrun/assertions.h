#pragma once
// Evaluating a scenario's assertions ({metric, op, bound, group, window})
// against computed metrics. Comparisons are exact on doubles: bounds are
// written by people ("<= 5", ">= 0.99") and metrics are counts or rates.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "tools/simrun/metrics.h"
#include "tools/simrun/scenario.h"

namespace simrun::cli {

struct AssertionResult {
  std::string name;
  std::string metric;
  std::string op;
  std::string group;  // empty: totals
  double value = 0.0;
  double bound = 0.0;
  bool passed = false;
  // Why it failed when its value says nothing (a ratio with a zero
  // denominator); empty otherwise.
  std::string detail;
};

// The comparison operators of assertions and gate thresholds: one table
// (the schema's two `op` enums are checked against it by
// schema_consistency_test.cpp); compare() dispatches with an exhaustive
// switch over CompareOp.
enum class CompareOp { at_most, below, at_least, above, equal };
struct CompareOpInfo {
  CompareOp op;
  std::string_view symbol;
};
inline constexpr CompareOpInfo kCompareOps[] = {
    {CompareOp::at_most, "<="}, {CompareOp::below, "<"},  {CompareOp::at_least, ">="},
    {CompareOp::above, ">"},    {CompareOp::equal, "=="},
};
std::optional<CompareOp> compare_op_from(std::string_view symbol);
bool compare(double value, CompareOp op, double bound);

// Throws std::invalid_argument for an unknown operator.
bool compare(double value, const std::string& op, double bound);

// `metrics_for(window)` returns the metrics computed over that window (the
// whole run for nullopt).
std::vector<AssertionResult> evaluate_assertions(
    const std::vector<AssertionSpec>& specs,
    const std::function<const Metrics&(const std::optional<TimeWindow>&)>& metrics_for);

nlohmann::json to_json(const AssertionResult& result);

}  // namespace simrun::cli
