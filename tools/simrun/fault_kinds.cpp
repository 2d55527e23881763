#include "tools/simrun/fault_kinds.h"

#include "sim/assert.h"

namespace simrun::cli {

const FaultKindInfo& fault_kind_info(FaultKind kind) {
  const auto index = static_cast<std::size_t>(kind);
  SIMRUN_ASSERT(index < kFaultKinds.size(), "a FaultKind without a row in kFaultKinds");
  const FaultKindInfo& info = kFaultKinds[index];
  SIMRUN_ASSERT(info.kind == kind, "kFaultKinds is not in FaultKind order");
  return info;
}

std::string_view fault_kind_name(FaultKind kind) { return fault_kind_info(kind).name; }

std::optional<FaultKind> fault_kind_from_name(std::string_view name) {
  for (const FaultKindInfo& info : kFaultKinds) {
    if (info.name == name) return info.kind;
  }
  return std::nullopt;
}

std::string fault_kind_names() {
  std::string names;
  for (const FaultKindInfo& info : kFaultKinds) {
    names += names.empty() ? "" : ", ";
    names += info.name;
  }
  return names;
}

}  // namespace simrun::cli
