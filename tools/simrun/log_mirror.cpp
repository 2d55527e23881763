#include "tools/simrun/log_mirror.h"

#include "sim/assert.h"

namespace simrun::cli {

std::optional<std::uint64_t> MirroredLog::term_at(std::uint64_t index) const {
  if (index < first_index || index > last_index()) return std::nullopt;
  return terms[index - first_index];
}

MirroredLog& LogMirror::log(std::string_view group, std::uint32_t node) {
  const sim::NameIndex::Id id = group_ids_.intern(group);
  if (id == logs_.size()) logs_.emplace_back();
  return logs_[id][node];
}

void LogMirror::append(std::string_view group, std::uint32_t node, std::uint64_t index,
                       std::uint64_t count, std::uint64_t term) {
  SIMRUN_ASSERT(index > 0 && count > 0, "an append writes at least one entry at index >= 1");
  MirroredLog& mirrored = log(group, node);
  if (index > mirrored.last_index() + 1) {
    // A gap: the mirror missed what lies between (it never mirrors more than
    // the node told); start over from here.
    mirrored.terms.clear();
    mirrored.first_index = index;
  }
  std::uint64_t skip = 0;
  if (index < mirrored.first_index) {
    // Below the window: only the part inside it is mirrored.
    skip = std::min(count, mirrored.first_index - index);
    index += skip;
    count -= skip;
    if (count == 0) return;
  }
  // Section 5.3: a write at `index` replaces everything from there on.
  mirrored.terms.resize(index - mirrored.first_index);
  const std::uint64_t kept = std::min<std::uint64_t>(count, kMaxEntriesPerLog);
  if (kept < count) {
    mirrored.terms.clear();
    mirrored.first_index = index + (count - kept);
  }
  mirrored.terms.insert(mirrored.terms.end(), kept, term);
  while (mirrored.terms.size() > kMaxEntriesPerLog) {
    mirrored.terms.pop_front();
    ++mirrored.first_index;
  }
}

void LogMirror::install_snapshot(std::string_view group, std::uint32_t node, std::uint64_t index) {
  MirroredLog& mirrored = log(group, node);
  mirrored.terms.clear();
  mirrored.first_index = index + 1;
  mirrored.commit_index = std::max(mirrored.commit_index, index);
}

void LogMirror::loaded(std::string_view group, std::uint32_t node, std::uint64_t first_index,
                       std::uint64_t last_index, std::uint64_t last_term,
                       std::uint64_t commit_index) {
  MirroredLog& mirrored = log(group, node);
  mirrored.commit_index = commit_index;
  const bool empty = last_index < first_index;
  if (!empty && mirrored.term_at(last_index) == last_term) {
    // What the disk kept is a prefix of what was written.
    mirrored.terms.resize(last_index + 1 - mirrored.first_index);
    while (mirrored.first_index < first_index && !mirrored.terms.empty()) {
      mirrored.terms.pop_front();
      ++mirrored.first_index;
    }
    return;
  }
  // Not a prefix of the mirror (or empty): keep only what the record says.
  mirrored.terms.clear();
  mirrored.first_index = empty ? last_index + 1 : last_index;
  if (!empty) mirrored.terms.push_back(last_term);
}

std::uint64_t LogMirror::set_commit(std::string_view group, std::uint32_t node,
                                    std::uint64_t commit_index) {
  MirroredLog& mirrored = log(group, node);
  const std::uint64_t previous = mirrored.commit_index;
  mirrored.commit_index = std::max(previous, commit_index);
  return previous;
}

const MirroredLog* LogMirror::find(std::string_view group, std::uint32_t node) const {
  const sim::NameIndex::Id id = group_ids_.find(group);
  if (id == sim::NameIndex::kAbsent) return nullptr;
  const auto& nodes = logs_[id];
  auto found = nodes.find(node);
  return found == nodes.end() ? nullptr : &found->second;
}

std::vector<std::uint32_t> LogMirror::nodes(std::string_view group) const {
  std::vector<std::uint32_t> result;
  const sim::NameIndex::Id id = group_ids_.find(group);
  if (id == sim::NameIndex::kAbsent) return result;
  for (const auto& [node, mirrored] : logs_[id]) result.push_back(node);
  return result;
}

std::vector<std::string> LogMirror::groups() const {
  std::vector<std::string> result;
  for (const sim::NameIndex::Id id : group_ids_.sorted_ids()) result.push_back(group_ids_.name(id));
  return result;
}

sim::LogView LogMirror::view(std::string_view group, std::uint32_t node) const {
  const MirroredLog* mirrored = find(group, node);
  SIMRUN_ASSERT(mirrored != nullptr, "a view of a log that was never mirrored");
  sim::LogView result;
  result.node = node;
  result.first_index = mirrored->first_index;
  result.last_index = mirrored->last_index();
  result.commit_index = mirrored->commit_index;
  result.entry = [mirrored](std::uint64_t index) {
    return sim::LogEntryId{mirrored->terms[index - mirrored->first_index], sim::kUnknownHash};
  };
  return result;
}

}  // namespace simrun::cli
