// A main for the fuzz targets in ordinary (gcc, non-fuzzing) builds: runs
// LLVMFuzzerTestOneInput on every file named on the command line or found in
// a named directory, so CTest replays the kept corpus and every regression
// input on every build. Exit status 0 when all ran; a crash is a crash.

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

void run_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
  (void)LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}

}  // namespace

int main(int argc, char** argv) {
  std::set<std::filesystem::path> files;  // sorted: the same order on every machine
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path path(argv[i]);
    if (!std::filesystem::exists(path)) {
      // A target's regressions/ folder exists once it has a finding.
      std::printf("no such input or folder (skipped): %s\n", argv[i]);
    } else if (std::filesystem::is_directory(path)) {
      for (const auto& entry : std::filesystem::recursive_directory_iterator(path)) {
        if (entry.is_regular_file()) files.insert(entry.path());
      }
    } else {
      files.insert(path);
    }
  }
  for (const auto& file : files) {
    std::printf("replaying %s\n", file.c_str());
    std::fflush(stdout);  // the last line names the input when one crashes
    run_file(file);
  }
  std::printf("replayed %zu inputs\n", files.size());
  return files.empty() ? 1 : 0;
}
