#pragma once
// What the loader tests compare: the message of the InputError a call throws,
// or "no error" when it returns, so one CHECK can assert both that the input
// is rejected and where (file, JSON path, what was expected).

#include <string>
#include <utility>

#include "tools/simrun/input_error.h"

namespace simrun::cli::testing {

template <class Call>
std::string input_error_of(Call&& call) {
  try {
    (void)std::forward<Call>(call)();
  } catch (const InputError& error) {
    return error.what();
  }
  return "no error";
}

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace simrun::cli::testing
