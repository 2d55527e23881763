// Usage: determinism_probe [--seed N] [--processes N] [--seconds N] [--json FILE]
// Prints: trace_hash=<16 hex digits> events=<n>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "sim/chaos_workload.h"

namespace {
bool parse_number(const char* text, std::uint64_t& out) {
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text, &end, 10);
  if (end == text || *end != '\0') return false;
  out = value;
  return true;
}

int usage() {
  std::fprintf(stderr,
               "usage: determinism_probe [--seed N] [--processes N] [--seconds N] [--json FILE]\n");
  return 2;
}
}  // namespace

int main(int argc, char** argv) {
  simrun::sim::ChaosOptions options;
  std::string json_path;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) return usage();
    const char* value = argv[++i];
    std::uint64_t number = 0;
    if (flag == "--seed" && parse_number(value, number)) {
      options.seed = number;
    } else if (flag == "--processes" && parse_number(value, number) && number >= 3 &&
               number <= 64) {
      options.processes = static_cast<int>(number);
    } else if (flag == "--seconds" && parse_number(value, number) && number >= 5 &&
               number <= 3600) {
      options.duration = simrun::sim::seconds(static_cast<std::int64_t>(number));
    } else if (flag == "--json") {
      json_path = value;
    } else {
      return usage();
    }
  }
  std::ofstream json;
  if (!json_path.empty()) {
    json.open(json_path);
    if (!json) {
      std::fprintf(stderr, "cannot write %s\n", json_path.c_str());
      return 1;
    }
    options.json_trace = &json;
  }
  const simrun::sim::ChaosResult result = simrun::sim::run_chaos_workload(options);
  std::printf("trace_hash=%016" PRIx64 " events=%" PRIu64 "\n", result.trace_hash, result.events);
  return 0;
}
