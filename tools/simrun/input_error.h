#pragma once
// Bad input (a scenario file, a --set override, a command-line option): the
// run never starts and simrun exits with status 2. The message names the
// file and the JSON path of the offending value and says what was expected.

#include <stdexcept>
#include <string>

namespace simrun::cli {

class InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace simrun::cli
