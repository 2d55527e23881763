// libFuzzer target: scenario text and --set overrides, through parsing,
// overrides, schema validation and conversion (load_scenario_text), then the
// fault timeline the run would build first (build_fault_schedule, which
// expands the nemesis). Bad input must end in an InputError (exit 2 in the
// CLI); any other exception, an assertion, a sanitizer report, a hang or a
// leak is a finding.
//
// Input: the scenario text, optionally followed by a line "#set" and then
// one PATH=VALUE override per line, so the fuzzer mutates both. tools/fuzz.sh
// seeds it with scenarios/ and with the README's --set examples applied to
// them.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sim/assert.h"
#include "sim/random.h"
#include "tools/simrun/fault_schedule.h"
#include "tools/simrun/input_error.h"
#include "tools/simrun/overrides.h"
#include "tools/simrun/scenario_loader.h"

namespace {

// Bounds a single input, so that a slow case is about the code, not the size.
constexpr std::size_t kMaxInputBytes = 64 * 1024;
constexpr std::size_t kMaxOverrides = 16;
constexpr std::string_view kSetMarker = "\n#set\n";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > kMaxInputBytes) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t marker = input.find(kSetMarker);
  const std::string_view text = input.substr(0, marker);
  simrun::cli::LoadOptions options;
  try {
    if (marker != std::string_view::npos) {
      std::string_view rest = input.substr(marker + kSetMarker.size());
      while (!rest.empty() && options.overrides.size() < kMaxOverrides) {
        const std::size_t end = rest.find('\n');
        const std::string_view line = rest.substr(0, end);
        if (!line.empty()) options.overrides.push_back(simrun::cli::parse_override(line));
        rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
      }
    }
    const simrun::cli::Scenario scenario =
        simrun::cli::load_scenario_text(text, "fuzz.json", options);
    // As the run and `simrun materialise` draw it: the "faults" stream.
    simrun::sim::Rng faults = simrun::sim::Rng::stream(scenario.seed, "faults");
    const auto schedule = simrun::cli::build_fault_schedule(scenario, faults);
    for (std::size_t i = 1; i < schedule.size(); ++i) {
      SIMRUN_ASSERT(schedule[i - 1].at_ms <= schedule[i].at_ms, "fault schedule out of order");
    }
    (void)simrun::cli::last_fault_end_ms(schedule, scenario.duration_ms);
  } catch (const simrun::cli::InputError&) {
    // Bad input, reported as such: the expected outcome for most inputs.
  }
  return 0;
}
